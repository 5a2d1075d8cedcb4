"""Figures of a clustering and the cluster browser of notebook 03 (moved out of toolkit.clustering, which
still exposes them under the same names): :func:`plot_embedding`, :func:`show_cluster`, :func:`cluster_browser`."""
from __future__ import annotations

import numpy as np

from . import activations as _act
from .clustering import Analysis, majority_labels, purity

__all__ = ["plot_embedding", "show_cluster", "cluster_browser"]

# ---------------------------------------------------------------------------------------------------
def plot_embedding(emb, clusters, labels=None, *, ax=None, title: str = ""):
    """Scatter of a 2-D embedding (N, 2) coloured by cluster, each cluster annotated with its majority
    label and purity (from ALL members) when ``labels`` are given."""
    import matplotlib.pyplot as plt

    emb = np.asarray(emb)
    c = np.asarray(clusters)
    if emb.ndim != 2 or emb.shape[1] != 2 or len(emb) != len(c):
        raise ValueError(f"emb must be (N, 2) with one cluster label per row; got {emb.shape} and {c.shape}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(emb[:, 0], emb[:, 1], c=np.where(c >= 0, c, -1), cmap="tab10", s=4, alpha=0.7)
    if labels is not None:
        maj, pur = majority_labels(c, labels), purity(c, labels)
        for k in maj:
            cx, cy = np.median(emb[c == k], axis=0)
            ax.annotate(f"{maj[k]} ({pur[k]:.0%})", (cx, cy), fontsize=8, ha="center",
                        bbox=dict(boxstyle="round,pad=0.2", fc="white", alpha=0.8))
    ax.set_title(title)
    ax.set_xticks([]), ax.set_yticks([])
    return ax.figure


def show_cluster(an: Analysis, method: str = "kmeans", cluster_id: int = 0, rank: int = 0):
    """The widget's view of one cluster: its neuron frequencies (best in red), its mean image, the
    ``rank``-th best neuron's weight image and the cluster's transformed images vs the two controls.
    Returns the Figure (call ``plt.show()`` in a notebook)."""
    import matplotlib.pyplot as plt

    if method not in an.clusterings:
        raise KeyError(f"No clustering {method!r}; available: {list(an.clusterings)}.")
    cn = an.neurons[method]
    r = cn.row(cluster_id)
    n_best = cn.best.shape[1]
    if not 0 <= rank < n_best:
        raise ValueError(f"rank must be between 0 and {n_best - 1}.")
    labels = an.clusterings[method].labels
    idx = np.flatnonzero(labels == cluster_id)
    j = int(cn.best[r, rank])
    Xf = an.X.reshape(len(an.X), -1)
    rng = np.random.default_rng(cluster_id)
    other = cn.best[(r + 1) % len(cn.ids)]
    rand = rng.choice(cn.H, size=n_best, replace=False)
    imgs = [("mean image", Xf[idx].mean(0), "gray"),
            (f"neuron {j} weights", an.W[j], "RdBu_r"),
            ("own best", _act.transformed_images(Xf[idx], an.W, cn.best[r]).mean(0), "gray"),
            ("other's best", _act.transformed_images(Xf[idx], an.W, other).mean(0), "gray"),
            ("random", _act.transformed_images(Xf[idx], an.W, rand).mean(0), "gray")]
    fig = plt.figure(figsize=(12, 4.2))
    gs = fig.add_gridspec(2, 5, height_ratios=[1, 1.2])
    ax = fig.add_subplot(gs[0, :])
    colors = np.full(cn.H, "0.6", dtype=object)
    colors[cn.best[r]] = "tab:red"
    colors[j] = "black"
    ax.bar(np.arange(cn.H), cn.frequency[r], width=1.0, color=list(colors))
    ax.set_xlim(-1, cn.H)
    ax.set_ylabel(f"share in top {cn.k}")
    ax.set_title(f"{method}: {an.titles(method)[cluster_id]}, n={len(idx)}; best neurons "
                 f"{list(map(int, cn.best[r]))} (red; black = neuron {j})", fontsize=10)
    for i, (t, img, cmap) in enumerate(imgs):
        a = fig.add_subplot(gs[1, i])
        v = np.abs(img).max() or 1.0
        a.imshow(img.reshape(28, 28), cmap=cmap, **({"vmin": -v, "vmax": v} if cmap == "RdBu_r" else {}))
        a.set_title(t, fontsize=9)
        a.set_xticks([]), a.set_yticks([])
    fig.tight_layout()
    return fig


def cluster_browser(an: Analysis, method: str | None = None):
    """An ipywidgets panel to browse clusters and their best neurons: a method dropdown, a cluster
    slider and a neuron-rank slider; every change redraws :func:`show_cluster` in place (an ``Output``
    with ``plt.show()`` inside). Returns the panel (display it, or just leave it last in a cell)."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    methods = list(an.clusterings)
    if not methods:
        raise ValueError("The analysis has no clusterings; run clustering.analyze(...) with methods=...")
    out = widgets.Output()
    method_w = widgets.Dropdown(options=methods, value=method or methods[0], description="method")
    cluster_w = widgets.SelectionSlider(options=an.neurons[method_w.value].ids, description="cluster")
    rank_w = widgets.IntSlider(value=0, min=0, max=an.neurons[method_w.value].best.shape[1] - 1,
                               description="neuron rank")

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            show_cluster(an, method_w.value, cluster_w.value, rank_w.value)
            plt.show()

    def new_method(change):
        cluster_w.unobserve(redraw, "value")
        cluster_w.options = an.neurons[change["new"]].ids
        cluster_w.observe(redraw, "value")
        redraw()

    method_w.observe(new_method, "value")
    cluster_w.observe(redraw, "value")
    rank_w.observe(redraw, "value")
    redraw()
    return widgets.VBox([widgets.HBox([method_w, cluster_w, rank_w]), out])
