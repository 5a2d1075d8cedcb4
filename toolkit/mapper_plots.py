"""Pictures of Mapper graphs: matplotlib drawings, the cover picture, sensitivity heatmaps,
KeplerMapper's HTML view and the interactive explorer (ipywidgets). Arrays and graphs in, Figures /
Axes / files out; every graph is computed by :mod:`toolkit.mapper`.
"""
from __future__ import annotations

import html as _html
import time
import warnings
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .mapper import (BACKENDS, MapperResult, _as_points, auto_eps, ball_mapper, compute_lens,
                     interval_limits, make_clusterer, mapper_graph, typical_distance)

__all__ = ["draw", "plot_cover", "kmapper_graph", "save_html", "show_html", "plot_sensitivity",
           "MapperExplorer"]


def _layout(res: MapperResult, seed: int = 0) -> dict:
    """Node positions: every connected component gets its own spring layout (started from the nodes' mean
    lens values, so redraws are stable), scaled by its size; components are packed in rows, largest first."""
    import networkx as nx

    G = res.graph
    if res.n_nodes == 0:
        return {}
    init = None
    if res.lens is not None:
        L = res.lens
        init = np.stack([L[m].mean(axis=0) for m in res.members])
        if init.shape[1] == 1:
            init = np.hstack([init, np.random.default_rng(seed).uniform(-0.5, 0.5, (len(init), 1))
                              * (np.ptp(init[:, 0]) + 1e-9)])
        init = init[:, :2]
    iters = 50 if res.n_nodes <= 400 else 25
    comps = sorted(nx.connected_components(G), key=lambda c: (-len(c), min(c)))
    biggest = len(comps[0])
    width = 1.3 * np.sqrt(sum(len(c) / biggest for c in comps)) + 1.0
    pos, x, y, row_h = {}, 0.0, 0.0, 0.0
    for comp in comps:
        nodes = sorted(comp)
        scale = np.sqrt(len(nodes) / biggest)
        if len(nodes) == 1:
            p = {nodes[0]: np.zeros(2)}
        else:
            H = G.subgraph(nodes)
            pos0 = None
            if init is not None:
                sub = init[nodes]
                sub = (sub - sub.mean(0)) / (sub.std(0) + 1e-12)
                pos0 = {k: sub[i] for i, k in enumerate(nodes)}
            p = nx.spring_layout(H, pos=pos0, seed=seed, iterations=iters, weight=None)
        P = np.array([p[k] for k in nodes], dtype=float)
        P = P - P.min(0)
        P = P / max(P.max(), 1e-12) * scale if len(nodes) > 1 else P
        if x > 0 and x + scale > width:
            x, y, row_h = 0.0, y - row_h - 0.25, 0.0
        for i, k in enumerate(nodes):
            pos[k] = P[i] + np.array([x, y - scale])
        x += scale + 0.25
        row_h = max(row_h, scale)
    return pos


def draw(res: MapperResult, color=None, *, node_color=None, ax=None, cmap: str | None = None,
         title: str | None = None, categorical: bool | None = None, colorbar_label: str = "",
         pos: dict | None = None, seed: int = 0):
    """Draw a Mapper graph with matplotlib; node area ~ number of points.

    color:      per-point values (N,) shown as the node mean; integer labels (categorical) are shown as
                the node's majority label with a legend.
    node_color: per-node values (n_nodes,) instead (e.g. purity).
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt
    import networkx as nx

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5))
    pos = pos or _layout(res, seed)
    sizes = np.array([len(m) for m in res.members], dtype=float)
    area = 20 + 280 * np.sqrt(sizes / max(sizes.max(), 1))
    vals, cat = None, False
    if node_color is not None:
        vals = np.asarray(node_color, dtype=float)
        if vals.shape != (res.n_nodes,):
            raise ValueError(f"node_color needs one value per node ({res.n_nodes}); got shape {vals.shape}.")
    elif color is not None:
        c = res._point_values(color, "color")
        cat = categorical if categorical is not None else np.issubdtype(c.dtype, np.integer)
        vals = res.node_majority(c)[0].astype(float) if cat else res.node_values(c)
    nx.draw_networkx_edges(res.graph, pos, ax=ax, alpha=0.4, width=0.8)
    if vals is None:
        nx.draw_networkx_nodes(res.graph, pos, ax=ax, node_size=area, node_color="tab:blue")
    elif cat:
        cm = plt.get_cmap(cmap or "tab10")
        nx.draw_networkx_nodes(res.graph, pos, ax=ax, node_size=area,
                               node_color=[cm(int(v) % cm.N) for v in vals])
        for v in np.unique(vals).astype(int):
            ax.scatter([], [], color=cm(v % cm.N), label=str(v))
        ax.legend(title=colorbar_label or "majority", fontsize=7, loc="best", ncol=2, markerscale=0.8)
    else:
        art = nx.draw_networkx_nodes(res.graph, pos, ax=ax, node_size=area, node_color=vals,
                                     cmap=plt.get_cmap(cmap or "viridis"))
        plt.colorbar(art, ax=ax, shrink=0.8, label=colorbar_label)
    s = res.summary()
    ax.set_title(title or f"{s['nodes']} nodes, {s['edges']} edges, {s['components']} components, "
                          f"{s['cycles']} cycles", fontsize=10)
    ax.set_axis_off()
    return ax


def plot_cover(points2d, lens, resolution: int = 5, gain: float = 0.3, *, ax=None, s: float = 6):
    """Scatter 2-D points coloured by a 1-D lens with the cover intervals drawn as bands (for teaching).

    points2d: (N, 2); lens: (N,) values. The bands are the intervals of :func:`interval_limits` placed on
    the lens axis (right); points are coloured by the lens. Returns the Axes pair (scatter, intervals).
    """
    import matplotlib.pyplot as plt

    P = _as_points(points2d, "points2d")
    f = np.asarray(lens, dtype=float).ravel()
    if len(f) != len(P):
        raise ValueError(f"lens has {len(f)} values but there are {len(P)} points.")
    left, right = interval_limits(f.min(), f.max(), resolution, gain)
    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(9, 4), gridspec_kw={"width_ratios": [3, 1]})
    a0, a1 = ax
    a0.scatter(P[:, 0], P[:, 1], c=f, s=s, cmap="viridis")
    a0.set_aspect("equal")
    a0.set_title("points coloured by the lens")
    cm = plt.get_cmap("tab10")
    for k, (lo, hi) in enumerate(zip(left, right)):
        a1.plot([k % 2, k % 2], [lo, hi], lw=6, color=cm(k % 10), solid_capstyle="butt")
    a1.set_xlim(-1, 2)
    a1.set_xticks([])
    a1.set_ylabel("lens value")
    a1.set_title(f"{resolution} intervals,\noverlap {gain:.2f}")
    return a0, a1


def kmapper_graph(res: MapperResult) -> dict:
    """A KeplerMapper graph dict of ``res`` for ``KeplerMapper.visualize``: the kmapper backend's own
    output when there is one, else built from the networkx graph (giotto-tda, Ball Mapper)."""
    if isinstance(res.native, dict) and "nodes" in res.native:
        return res.native
    names = [f"node{i}_set{s}" for i, s in enumerate(res.cover_set)]
    links: dict = {}
    for a, b in res.graph.edges():
        links.setdefault(names[min(a, b)], []).append(names[max(a, b)])
    return {"nodes": {k: m.tolist() for k, m in zip(names, res.members)}, "links": links,
            "simplices": [[n] for n in names] + [[a, b] for a in links for b in links[a]],
            "meta_data": {k: str(v) for k, v in res.params.items()}, "meta_nodes": {}}


def save_html(res: MapperResult, path=None, *, color=None, color_name: str = "value",
              labels=None, title: str = "Mapper graph") -> Path:
    """Write KeplerMapper's interactive HTML view of ``res`` (``KeplerMapper.visualize``; default path
    under ``config.build_dir()/mapper``). color: per-point values (N,) (node colour = their mean);
    labels: per-point tooltips (e.g. digit labels). Returns the path of the HTML file.
    """
    import kmapper

    from . import config

    path = Path(config.build_dir() / "mapper" / "mapper_graph.html" if path is None else path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv = None if color is None else res._point_values(color, "color").astype(float)
    tips = None if labels is None else np.asarray(res._point_values(labels, "labels"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kmapper.KeplerMapper(verbose=0).visualize(
            kmapper_graph(res), color_values=cv, color_function_name=None if cv is None else [color_name],
            custom_tooltips=tips, path_html=str(path), title=title)
    return path


def show_html(path, height: int = 650):
    """Show an HTML file inline in Jupyter / Colab (an iframe with the page inside, no file server)."""
    from IPython.display import HTML

    text = Path(path).read_text(encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # IPython suggests IFrame, which cannot show a local file on Colab
        return HTML(f'<iframe srcdoc="{_html.escape(text, quote=True)}" width="100%" height="{int(height)}" '
                f'style="border:1px solid #ccc"></iframe>')


def plot_sensitivity(table: Mapping, stats: Sequence[str] = ("nodes", "components", "cycles", "holes")):
    """Heatmaps (resolution x gain) of the statistics from :func:`sensitivity`, numbers written in."""
    import matplotlib.pyplot as plt

    R, G = table["resolutions"], table["gains"]
    fig, axes = plt.subplots(1, len(stats), figsize=(3.3 * len(stats), 3.2), squeeze=False)
    for ax, k in zip(axes[0], stats):
        A = np.asarray(table[k])
        ax.imshow(A, cmap="viridis", aspect="auto", origin="lower")
        for i in range(len(R)):
            for j in range(len(G)):
                ax.text(j, i, f"{A[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="w" if A[i, j] < 0.6 * max(A.max(), 1) else "k")
        ax.set_xticks(range(len(G)), [f"{g:.2f}" for g in G], fontsize=7)
        ax.set_yticks(range(len(R)), [str(r) for r in R], fontsize=7)
        ax.set_xlabel("gain (overlap)")
        ax.set_ylabel("resolution")
        ax.set_title(k)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------------
# Interactive explorer
# ---------------------------------------------------------------------------------------------------
class MapperExplorer:
    """Sliders for resolution, gain, the clusterer's parameter and the Ball Mapper radius; drop-downs
    for lens, clusterer and colouring. :meth:`update` / :meth:`update_ball` are the callbacks (tests call
    them headless); :meth:`widget` builds the ipywidgets UI.

    X:       (N, D) points (e.g. output activations); labels: (N,) ints (true digits) for colouring.
    values:  extra per-point colourings {name: (N,)} (e.g. {"confidence": ...}).
    lenses:  lens choices (names for :func:`compute_lens`); ``precomputed`` adds named lens arrays
             {name: (N,) or (N, d)} used as given (put t-SNE or UMAP coordinates there: too slow to
             recompute on a slider move). Lenses, k-NN graphs and the eps scale are computed once.
    """

    CLUSTERERS = ("knn", "dbscan", "single", "kmeans")

    def __init__(self, X, labels=None, *, values: Mapping | None = None,
                 lenses: Sequence[str] = ("pca", "confidence", "density", "l2norm", "eccentricity"),
                 precomputed: Mapping | None = None, backend: str = "kmapper"):
        self.X = _as_points(X)
        n = len(self.X)
        self.labels = None if labels is None else np.asarray(labels).astype(np.int64)
        if self.labels is not None and len(self.labels) != n:
            raise ValueError(f"labels has {len(self.labels)} entries but X has {n} points.")
        self.values = {k: np.asarray(v, dtype=float) for k, v in (values or {}).items()}
        for k, v in self.values.items():
            if len(v) != n:
                raise ValueError(f"values[{k!r}] has {len(v)} entries but X has {n} points.")
        self._lens_cache = {k: compute_lens(self.X, v) for k, v in (precomputed or {}).items()}
        self.lenses = list(dict.fromkeys([*lenses, *self._lens_cache]))
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}.")
        self.backend = backend
        self._eps = auto_eps(self.X)
        self._ball_scale = typical_distance(self.X)
        self._clusterers: dict = {}
        self.result: MapperResult | None = None
        self.ball_result: MapperResult | None = None
        self.seconds = None

    @property
    def colorings(self) -> list[str]:
        c = ["majority label", "purity"] if self.labels is not None else []
        return c + ["lens", "size", *self.values]

    def lens(self, name: str) -> np.ndarray:
        if name not in self._lens_cache:
            self._lens_cache[name] = compute_lens(self.X, name)
        return self._lens_cache[name]

    def clusterer(self, name: str = "knn", k: int = 10, eps_scale: float = 1.0):
        """The clusterer for the widget's settings (cached: a k-NN graph is searched once per k)."""
        if name not in self.CLUSTERERS:
            raise ValueError(f"Unknown clusterer {name!r}; choose from {self.CLUSTERERS}.")
        key = (name, int(k)) if name in ("knn", "kmeans") else (name, round(float(eps_scale), 6))
        if key not in self._clusterers:
            self._clusterers[key] = make_clusterer(name, eps=self._eps, eps_scale=eps_scale, k=int(k),
                                                   n_clusters=int(k))
        return self._clusterers[key]

    def _colour_args(self, res, color):
        if color == "majority label" and self.labels is not None:
            return {"color": self.labels, "categorical": True, "colorbar_label": "label"}
        if color == "purity" and self.labels is not None:
            return {"node_color": res.node_majority(self.labels)[1], "colorbar_label": "purity"}
        if color == "lens" and res.lens is not None:
            return {"color": res.lens[:, 0], "colorbar_label": "lens (1st coordinate)"}
        if color in self.values:
            return {"color": self.values[color], "colorbar_label": color}
        if color in ("size", "lens"):
            return {"node_color": np.array([len(m) for m in res.members], float),
                    "colorbar_label": "points per node"}
        raise ValueError(f"Unknown colouring {color!r}; choose from {self.colorings}.")

    def update(self, resolution: int = 10, gain: float = 0.3, lens: str = "pca", clusterer: str = "knn",
               k: int = 10, eps_scale: float = 1.0, color: str | None = None, *, ax=None,
               show: bool = True):
        """Recompute and draw the Mapper graph; returns the :class:`MapperResult` (also ``self.result``).

        clusterer "knn" uses ``k`` neighbours, "kmeans" ``k`` clusters, "dbscan"/"single" the radius
        ``eps_scale`` x the data's neighbour scale. On a clusterer that finds nothing it prints why and
        returns None (the sliders keep working). ``self.seconds``: time of the last update.
        """
        import matplotlib.pyplot as plt

        t0 = time.perf_counter()
        color = color or self.colorings[0]
        try:
            res = mapper_graph(self.X, lens=self.lens(lens), resolution=resolution, gain=gain,
                               clusterer=self.clusterer(clusterer, k, eps_scale), backend=self.backend)
        except ValueError as e:
            print(f"No graph: {e}")
            self.result = None
            return None
        res.params["lens"] = lens
        self.result = res
        if show:
            own = ax is None
            if own:
                fig, ax = plt.subplots(figsize=(7, 5.2))
            draw(res, ax=ax, **self._colour_args(res, color))
            self.seconds = time.perf_counter() - t0
            ax.set_title(f"lens={lens}, resolution={resolution}, gain={gain:.2f}, {clusterer}: "
                         f"{ax.get_title()}  ({self.seconds:.1f} s)", fontsize=9)
            if own:
                plt.show()
        self.seconds = time.perf_counter() - t0
        return res

    def update_ball(self, eps_fraction: float = 0.25, color: str | None = None, *, ax=None, show: bool = True):
        """Ball Mapper with radius ``eps_fraction`` x the median distance between two points; returns the
        result (also ``self.ball_result``)."""
        import matplotlib.pyplot as plt

        color = color or self.colorings[0]
        res = ball_mapper(self.X, eps=eps_fraction * self._ball_scale)
        self.ball_result = res
        if show:
            own = ax is None
            if own:
                fig, ax = plt.subplots(figsize=(7, 5.2))
            draw(res, ax=ax, **self._colour_args(res, "size" if color == "lens" else color))
            ax.set_title(f"Ball Mapper, eps = {eps_fraction:.2f} x median distance {self._ball_scale:.3g}: "
                         f"{ax.get_title()}", fontsize=9)
            if own:
                plt.show()
        return res

    def widget(self, resolution: int = 10, gain: float = 0.3, lens: str | None = None):
        """The ipywidgets UI (tabs Mapper and Ball Mapper). In a notebook: ``display(explorer.widget())``.
        ``self.controls`` holds the widgets by name (tests set their values)."""
        import ipywidgets as W

        style = {"description_width": "80px"}
        lay = W.Layout(width="330px")
        c = {
            "resolution": W.IntSlider(value=resolution, min=1, max=40, description="resolution"),
            "gain": W.FloatSlider(value=gain, min=0.05, max=0.85, step=0.05, description="gain"),
            "k": W.IntSlider(value=10, min=2, max=40, description="k (knn/kmeans)"),
            "eps_scale": W.FloatLogSlider(value=1.0, base=2, min=-2, max=2, step=0.25,
                                          description="eps scale"),
            "lens": W.Dropdown(options=self.lenses, value=lens or self.lenses[0], description="lens"),
            "clusterer": W.Dropdown(options=list(self.CLUSTERERS), value="knn", description="clusterer"),
            "color": W.Dropdown(options=self.colorings, value=self.colorings[0], description="colour"),
            "ball_eps": W.FloatLogSlider(value=0.25, base=2, min=-5, max=0, step=0.25,
                                         description="ball radius"),
        }
        for w in c.values():
            w.style, w.layout = style, lay
            if hasattr(w, "continuous_update"):
                w.continuous_update = False
        out, ball_out = W.Output(), W.Output()

        def redraw(_=None):
            with out:
                out.clear_output(wait=True)
                self.update(c["resolution"].value, c["gain"].value, c["lens"].value, c["clusterer"].value,
                            c["k"].value, c["eps_scale"].value, c["color"].value)

        def redraw_ball(_=None):
            with ball_out:
                ball_out.clear_output(wait=True)
                self.update_ball(c["ball_eps"].value, c["color"].value)

        for name in ("resolution", "gain", "k", "eps_scale", "lens", "clusterer", "color"):
            c[name].observe(redraw, names="value")
        c["ball_eps"].observe(redraw_ball, names="value")
        c["color"].observe(redraw_ball, names="value")
        redraw()
        redraw_ball()
        panel = W.HBox([W.VBox([c["resolution"], c["gain"], c["k"], c["eps_scale"]]),
                        W.VBox([c["lens"], c["clusterer"], c["color"]])])
        tabs = W.Tab(children=[W.VBox([panel, out]), W.VBox([c["ball_eps"], ball_out])])
        tabs.set_title(0, "Mapper")
        tabs.set_title(1, "Ball Mapper")
        self.controls = c
        return tabs


# ---------------------------------------------------------------------------------------------------
# Teaching shapes (synthetic, and named as such)
