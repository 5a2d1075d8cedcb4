"""Figures of notebook 03's neuron analysis (arrays in, a matplotlib Figure out).

Moved out of :mod:`toolkit.activations` (which still exposes the first four under the same names):

- :func:`plot_neuron_bars`, :func:`plot_frequency_heatmaps`: how often each neuron is in a member's top k;
- :func:`plot_weight_images`, :func:`plot_transformed`: weight rows and "transformed images" as 28 x 28;
- :func:`plot_best_counts`: for how many clusters each neuron is "best" (raw vs z-scored side by side);
- :func:`plot_weight_histograms`: histograms of weight matrices (e.g. regularized vs not);
- :func:`plot_cluster_neuron_graph`: the bipartite graph cluster -> its best neurons (networkx).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .activations import ClusterNeurons, as_membership, transformed_images

__all__ = ["plot_neuron_bars", "plot_frequency_heatmaps", "plot_weight_images", "plot_transformed",
           "plot_best_counts", "plot_weight_histograms", "plot_cluster_neuron_graph"]


def _grid(n: int, ncols: int):
    ncols = min(ncols, n)
    return int(np.ceil(n / ncols)), ncols


def plot_neuron_bars(cn: ClusterNeurons, *, titles: Mapping | None = None, ncols: int = 5,
                     normalize: bool = True):
    """Bar plot per cluster of how often each neuron is in a member's top k; best neurons in red."""
    import matplotlib.pyplot as plt

    C, H = cn.counts.shape
    nr, nc = _grid(C, ncols)
    fig, axes = plt.subplots(nr, nc, figsize=(3.2 * nc, 2.3 * nr), squeeze=False, sharey=normalize)
    vals = cn.frequency if normalize else cn.counts
    for r, cid in enumerate(cn.ids):
        ax = axes.flat[r]
        colors = np.full(H, "0.6", dtype=object)
        colors[cn.best[r]] = "tab:red"
        ax.bar(np.arange(H), vals[r], width=1.0, color=list(colors))
        title = titles.get(cid, f"cluster {cid}") if titles else f"cluster {cid}"
        ax.set_title(f"{title} (n={cn.sizes[r]})", fontsize=9)
        ax.set_xlim(-1, H)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[C:]:
        ax.axis("off")
    fig.supxlabel("hidden neuron")
    fig.supylabel(f"share of points with it in top {cn.k}" if normalize else "count")
    fig.tight_layout()
    return fig


def plot_frequency_heatmaps(cn: ClusterNeurons, *, titles: Mapping | None = None, ncols: int = 5):
    """Each cluster's neuron frequencies as a sqrt(H) x sqrt(H) heatmap (H padded to a square)."""
    import matplotlib.pyplot as plt

    C, H = cn.counts.shape
    side = int(np.ceil(np.sqrt(H)))
    nr, nc = _grid(C, ncols)
    fig, axes = plt.subplots(nr, nc, figsize=(2.4 * nc, 2.4 * nr), squeeze=False)
    freq = cn.frequency
    vmax = freq.max()
    for r, cid in enumerate(cn.ids):
        img = np.full(side * side, np.nan)
        img[:H] = freq[r]
        ax = axes.flat[r]
        im = ax.imshow(img.reshape(side, side), cmap="magma", vmin=0, vmax=vmax)
        ax.set_title(titles.get(cid, f"cluster {cid}") if titles else f"cluster {cid}", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    for ax in list(axes.flat)[C:]:
        ax.axis("off")
    fig.colorbar(im, ax=list(axes.flat), shrink=0.7, label=f"share with neuron in top {cn.k}")
    return fig


def plot_weight_images(W, neurons, *, shape=(28, 28), titles: Sequence[str] | None = None,
                       ax_row=None):
    """Each neuron's weight row of W (H, D) as an image (red positive, blue negative, symmetric scale)."""
    import matplotlib.pyplot as plt

    W = np.asarray(W)
    neurons = list(np.asarray(neurons).ravel())
    if ax_row is None:
        fig, axes = plt.subplots(1, len(neurons), figsize=(1.8 * len(neurons), 2.0), squeeze=False)
        ax_row = axes[0]
    else:
        fig = ax_row[0].figure
    for i, (ax, j) in enumerate(zip(ax_row, neurons)):
        w = W[j].reshape(shape)
        v = np.abs(w).max() or 1.0
        ax.imshow(w, cmap="RdBu_r", vmin=-v, vmax=v)
        ax.set_title(titles[i] if titles else f"neuron {j}", fontsize=8)
        ax.set_xticks([]), ax.set_yticks([])
    return fig


def plot_transformed(X, W, cn: ClusterNeurons, cluster, clusters, *, n_images: int = 4,
                     seed: int = 0, shape=(28, 28)):
    """Rows: original images X (n, D) of a cluster, then transformed with its own best neurons, another
    cluster's best neurons, and random neurons (the two controls)."""
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    Xf = np.asarray(X.detach().cpu().numpy() if hasattr(X, "detach") else X, dtype=np.float32)
    Xf = Xf.reshape(len(Xf), -1)
    members = as_membership(clusters, n=len(Xf))
    r = cn.row(cluster)
    idx = members[cluster]
    idx = rng.choice(idx, size=min(n_images, len(idx)), replace=False)
    conds = [("original", None), ("own best", cn.best[r]),
             (f"cluster {cn.ids[(r + 1) % len(cn.ids)]}'s best", cn.best[(r + 1) % len(cn.ids)]),
             ("random", rng.choice(cn.H, size=cn.best.shape[1], replace=False))]
    fig, axes = plt.subplots(len(conds), len(idx), figsize=(1.6 * len(idx), 1.7 * len(conds)),
                             squeeze=False)
    for row, (name, neurons) in enumerate(conds):
        imgs = Xf[idx] if neurons is None else transformed_images(Xf[idx], W, neurons)
        for c in range(len(idx)):
            ax = axes[row, c]
            ax.imshow(imgs[c].reshape(shape), cmap="gray")
            ax.set_xticks([]), ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.suptitle(f"cluster {cluster}: transformed images and controls", fontsize=10)
    fig.tight_layout()
    return fig


def plot_best_counts(best_sets: Mapping[str, np.ndarray], H: int, *, top: int = 8):
    """For each way of choosing best neurons (``{name: best (C, n_best) int}``), a bar per neuron (0..H-1):
    for how many of the C clusters it is among the best. The ``top`` neurons most often best are labelled.
    Side by side, one panel per name, same y scale."""
    import matplotlib.pyplot as plt

    if not best_sets:
        raise ValueError("best_sets is empty; pass {name: (C, n_best) array of neuron indices}.")
    fig, axes = plt.subplots(1, len(best_sets), figsize=(5.5 * len(best_sets), 2.8), squeeze=False,
                             sharey=True)
    for ax, (name, best) in zip(axes[0], best_sets.items()):
        best = np.asarray(best, dtype=np.int64)
        if best.ndim != 2 or best.size == 0 or best.min() < 0 or best.max() >= H:
            raise ValueError(f"best_sets[{name!r}] must be (C, n_best) neuron indices in 0..{H - 1}.")
        counts = np.bincount(best.ravel(), minlength=H)
        ax.bar(np.arange(H), counts, width=1.0, color="tab:blue")
        for j in np.argsort(-counts, kind="stable")[:top]:
            if counts[j] > 1:
                ax.annotate(str(j), (j, counts[j]), ha="center", va="bottom", fontsize=7)
        ax.set_title(f"{name}: best for how many of the {len(best)} clusters", fontsize=9)
        ax.set_xlabel("hidden neuron")
        ax.set_xlim(-1, H)
    axes[0, 0].set_ylabel("clusters")
    fig.tight_layout()
    return fig


def plot_weight_histograms(weights: Mapping[str, np.ndarray], *, bins: int = 100, log: bool = True):
    """Overlaid histograms (density) of weight arrays ``{name: array}`` (any shape; flattened), e.g. the fc1
    weights of a net with and without weight decay; log y axis by default (the tails matter)."""
    import matplotlib.pyplot as plt

    if not weights:
        raise ValueError("weights is empty; pass {name: weight array}.")
    flat = {k: np.asarray(v, dtype=float).ravel() for k, v in weights.items()}
    lo = min(v.min() for v in flat.values())
    hi = max(v.max() for v in flat.values())
    edges = np.linspace(lo, hi, bins + 1)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for name, v in flat.items():
        ax.hist(v, bins=edges, density=True, histtype="step", lw=1.5, label=f"{name} (SD {v.std():.3f})")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("weight")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_cluster_neuron_graph(best, ids: Sequence | None = None, *, titles: Mapping | None = None,
                              ax=None):
    """The bipartite graph clusters -> their best neurons (networkx): clusters in a column on the left,
    every neuron that is best for some cluster on the right, an edge per (cluster, best neuron). A
    neuron with many edges is "best" for many clusters. best: (C, n_best) int; ids: C cluster ids.
    Returns the Figure; the graph itself is in ``fig.graph`` (a ``networkx.Graph``)."""
    import matplotlib.pyplot as plt
    import networkx as nx

    best = np.asarray(best, dtype=np.int64)
    if best.ndim != 2 or best.size == 0:
        raise ValueError(f"best must be (C clusters, n_best) neuron indices; got shape {best.shape}.")
    ids = list(range(len(best))) if ids is None else list(ids)
    if len(ids) != len(best):
        raise ValueError(f"ids has {len(ids)} entries but best has {len(best)} rows (one per cluster).")
    G = nx.Graph()
    cl_nodes = [("c", c) for c in ids]
    neurons = sorted(set(best.ravel().tolist()))
    G.add_nodes_from(cl_nodes, bipartite=0)
    G.add_nodes_from([("n", j) for j in neurons], bipartite=1)
    G.add_edges_from((("c", c), ("n", int(j))) for c, row in zip(ids, best) for j in row)
    pos = {("c", c): (0.0, -i / max(1, len(ids) - 1)) for i, c in enumerate(ids)}
    pos.update({("n", j): (1.0, -i / max(1, len(neurons) - 1)) for i, j in enumerate(neurons)})
    if ax is None:
        _, ax = plt.subplots(figsize=(6, max(4.0, 0.22 * len(neurons))))
    deg = np.array([G.degree(("n", j)) for j in neurons])
    nx.draw_networkx_edges(G, pos, ax=ax, alpha=0.4)
    nx.draw_networkx_nodes(G, pos, nodelist=cl_nodes, node_color="tab:orange", node_size=250, ax=ax)
    nx.draw_networkx_nodes(G, pos, nodelist=[("n", j) for j in neurons], node_size=40 + 60 * deg,
                           node_color=deg, cmap="viridis", ax=ax)
    for c in ids:
        x, yv = pos[("c", c)]
        ax.text(x - 0.05, yv, titles.get(c, f"cluster {c}") if titles else f"cluster {c}",
                ha="right", va="center", fontsize=8)
    for j, d in zip(neurons, deg):
        x, yv = pos[("n", j)]
        ax.text(x + 0.05, yv, f"neuron {j}" + (f" ({d} clusters)" if d > 1 else ""), ha="left",
                va="center", fontsize=7)
    ax.set_xlim(-0.8, 1.6)
    ax.axis("off")
    fig = ax.figure
    fig.graph = G
    return fig
