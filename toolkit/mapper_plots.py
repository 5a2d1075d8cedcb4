"""Pictures of Mapper graphs: a matplotlib drawing of a :class:`toolkit.mapper.MapperResult`, the
cover picture, and an inline view of an HTML file (``KeplerMapper.visualize`` writes Mapper's own
web page). They draw what they are given; every graph is computed by :mod:`toolkit.mapper`."""

from __future__ import annotations

import html as _html
import warnings
from pathlib import Path

import numpy as np

from .arrays import as_array
from .mapper import MapperResult, graph_cycles, interval_limits

__all__ = ["layout", "draw", "plot_cover", "show_html"]


def layout(res: MapperResult, seed: int = 0) -> dict:
    """{node: (2,) position}: a spring layout per connected component (started from the nodes' mean
    lens values, so redraws are stable), scaled by its size, components packed in rows, largest
    first."""
    import networkx as nx

    G, pos = res.graph, {}
    if res.n_nodes == 0:
        return pos
    init = None
    if res.lens is not None:
        init = np.stack([res.lens[m].mean(axis=0) for m in res.members])
        if init.shape[1] == 1:
            init = np.hstack(
                [
                    init,
                    np.random.default_rng(seed).uniform(-0.5, 0.5, (len(init), 1))
                    * (np.ptp(init[:, 0]) + 1e-9),
                ]
            )
        init = init[:, :2]
    comps = sorted(nx.connected_components(G), key=lambda c: (-len(c), min(c)))
    biggest = len(comps[0])
    width = 1.3 * np.sqrt(sum(len(c) / biggest for c in comps)) + 1.0
    x, y, row_h = 0.0, 0.0, 0.0
    for nodes in map(sorted, comps):
        scale = np.sqrt(len(nodes) / biggest)
        P = np.zeros((1, 2))
        if len(nodes) > 1:
            sub = (
                None
                if init is None
                else (init[nodes] - init[nodes].mean(0)) / (init[nodes].std(0) + 1e-12)
            )
            p = nx.spring_layout(
                G.subgraph(nodes),
                pos=None if sub is None else dict(zip(nodes, sub)),
                seed=seed,
                iterations=50 if res.n_nodes <= 400 else 25,
                weight=None,
            )
            P = np.array([p[k] for k in nodes], dtype=float)
            P = (P - P.min(0)) / max((P - P.min(0)).max(), 1e-12) * scale
        if x > 0 and x + scale > width:
            x, y, row_h = 0.0, y - row_h - 0.25, 0.0
        pos.update({k: P[i] + np.array([x, y - scale]) for i, k in enumerate(nodes)})
        x, row_h = x + scale + 0.25, max(row_h, scale)
    return pos


def draw(
    res: MapperResult,
    color=None,
    *,
    node_color=None,
    ax=None,
    cmap: str | None = None,
    title: str | None = None,
    categorical: bool | None = None,
    colorbar_label: str = "",
    pos: dict | None = None,
    seed: int = 0,
):
    """Draw a Mapper graph; node area ~ number of points. Returns the matplotlib Axes.

    color: per-point values (N,), shown as the node mean, or integer labels (categorical), shown as
    the node's majority label with a legend. node_color: per-node values (n_nodes,) instead (e.g.
    purity).
    """
    import matplotlib.pyplot as plt
    import networkx as nx

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5))
    pos = pos or layout(res, seed)
    sizes = np.array([len(m) for m in res.members], dtype=float)
    area = 20 + 280 * np.sqrt(sizes / max(sizes.max(), 1))
    vals, cat = None, False
    if node_color is not None:
        vals = np.asarray(node_color, dtype=float)
        if vals.shape != (res.n_nodes,):
            raise ValueError(
                f"node_color needs one value per node ({res.n_nodes}); got shape {vals.shape}."
            )
    elif color is not None:
        c = np.asarray(color)
        cat = categorical if categorical is not None else np.issubdtype(c.dtype, np.integer)
        vals = res.node_majority(c)[0].astype(float) if cat else res.node_mean(c)
    nx.draw_networkx_edges(res.graph, pos, ax=ax, alpha=0.4, width=0.8)
    if vals is None:
        nx.draw_networkx_nodes(res.graph, pos, ax=ax, node_size=area, node_color="tab:blue")
    elif cat:
        cm = plt.get_cmap(cmap or "tab10")
        nx.draw_networkx_nodes(
            res.graph, pos, ax=ax, node_size=area, node_color=[cm(int(v) % cm.N) for v in vals]
        )
        for v in np.unique(vals).astype(int):
            ax.scatter([], [], color=cm(v % cm.N), label=str(v))
        ax.legend(
            title=colorbar_label or "majority", fontsize=7, loc="best", ncol=2, markerscale=0.8
        )
    else:
        art = nx.draw_networkx_nodes(
            res.graph,
            pos,
            ax=ax,
            node_size=area,
            node_color=vals,
            cmap=plt.get_cmap(cmap or "viridis"),
        )
        plt.colorbar(art, ax=ax, shrink=0.8, label=colorbar_label)
    ax.set_title(
        title
        or f"{res.n_nodes} nodes, {res.n_edges} edges, {res.n_components()} components, "
        f"{graph_cycles(res.graph)} cycles",
        fontsize=10,
    )
    ax.set_axis_off()
    return ax


def plot_cover(points2d, lens, resolution: int = 5, gain: float = 0.3, *, ax=None, s: float = 6):
    """Points (N, 2) coloured by a 1-D lens (N,), and the cover intervals of :func:`interval_limits`
    drawn as bars on the lens axis. Returns the Axes pair (scatter, intervals)."""
    import matplotlib.pyplot as plt

    P = as_array(points2d, "points2d", axes="(N, 2)")
    f = as_array(lens, "lens", ndim=1, axes="(N,)")
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
    a1.set(
        xlim=(-1, 2),
        xticks=[],
        ylabel="lens value",
        title=f"{resolution} intervals,\noverlap {gain:.2f}",
    )
    return a0, a1


def show_html(path, height: int = 650):
    """Show an HTML file (e.g. written by ``KeplerMapper.visualize``) inline in Jupyter / Colab: an
    iframe with the page inside, so no file server is needed."""
    from IPython.display import HTML

    text = Path(path).read_text(encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # IPython suggests IFrame, which cannot show a local file on Colab
        return HTML(
            f'<iframe srcdoc="{_html.escape(text, quote=True)}" width="100%" '
            f'height="{int(height)}" '
            f'style="border:1px solid #ccc"></iframe>'
        )
