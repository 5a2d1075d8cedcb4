"""Figures of the neuron analysis (notebooks 03, 04): arrays or a ClusterNeurons in, a matplotlib
Figure out.

Top-k frequencies per cluster (bars, heatmaps), weight rows and image grids as 28 x 28, how often a
neuron is "best", and one cluster's view (the browser).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .activations import ClusterNeurons
from .arrays import as_array

__all__ = [
    "plot_neuron_bars",
    "plot_frequency_heatmaps",
    "plot_image_rows",
    "plot_cluster_view",
    "plot_best_counts",
]


def _panels(cn: ClusterNeurons, titles, ncols: int, w: float, h: float, **kw):
    """A figure with a panel per cluster of ``cn`` (spare panels off): fig, [(row of cn, title,
    ax)]."""
    import matplotlib.pyplot as plt

    C = len(cn.ids)
    nc = min(ncols, C)
    nr = -(-C // nc)
    fig, axes = plt.subplots(nr, nc, figsize=(w * nc, h * nr), squeeze=False, **kw)
    for ax in list(axes.flat)[C:]:
        ax.axis("off")
    titles = titles or {}
    return fig, [
        (r, titles.get(c, f"cluster {c}"), a) for r, (c, a) in enumerate(zip(cn.ids, axes.flat))
    ]


def plot_neuron_bars(
    cn: ClusterNeurons, *, titles: Mapping | None = None, ncols: int = 5, normalize: bool = True
):
    """Bar plot per cluster of how often each neuron is in a member's top k; best neurons in red."""
    fig, panels = _panels(cn, titles, ncols, 3.2, 2.3, sharey=normalize)
    vals = cn.frequency if normalize else cn.counts
    for r, title, ax in panels:
        colors = np.full(cn.H, "0.6", dtype=object)
        colors[cn.best[r]] = "tab:red"
        ax.bar(np.arange(cn.H), vals[r], width=1.0, color=list(colors))
        ax.set_title(f"{title} (n={cn.sizes[r]})", fontsize=9)
        ax.set_xlim(-1, cn.H)
        ax.tick_params(labelsize=7)
    fig.supxlabel("hidden neuron")
    fig.supylabel(f"share of points with it in top {cn.k}" if normalize else "count")
    fig.tight_layout()
    return fig


def plot_frequency_heatmaps(cn: ClusterNeurons, *, titles: Mapping | None = None, ncols: int = 5):
    """Each cluster's neuron frequencies as a sqrt(H) x sqrt(H) heatmap (H padded to a square)."""
    side = int(np.ceil(np.sqrt(cn.H)))
    fig, panels = _panels(cn, titles, ncols, 2.4, 2.4)
    for r, title, ax in panels:
        img = np.full(side * side, np.nan)
        img[: cn.H] = cn.frequency[r]
        im = ax.imshow(img.reshape(side, side), cmap="magma", vmin=0, vmax=cn.frequency.max())
        ax.set_title(title, fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    fig.colorbar(im, ax=fig.axes, shrink=0.7, label=f"share with neuron in top {cn.k}")
    return fig


def plot_image_rows(rows: Mapping[str, np.ndarray], *, shape=(28, 28), title: str = ""):
    """A grid of images: one row per ``{name: (n, D) images}`` (e.g. a cluster's digits, then
    transformed with its own best neurons and with the controls), the name as the row label."""
    import matplotlib.pyplot as plt

    rows = {k: np.asarray(v).reshape(len(v), -1) for k, v in rows.items()}
    n = max(len(v) for v in rows.values())
    fig, axes = plt.subplots(len(rows), n, figsize=(1.6 * n, 1.7 * len(rows)), squeeze=False)
    for ax_row, (name, imgs) in zip(axes, rows.items()):
        for c, ax in enumerate(ax_row):
            if c < len(imgs):
                ax.imshow(imgs[c].reshape(shape), cmap="gray")
            ax.set_xticks([]), ax.set_yticks([])
        ax_row[0].set_ylabel(name, fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_cluster_view(
    frequency,
    best,
    chosen: int,
    images: Mapping[str, np.ndarray],
    *,
    k: int = 5,
    title: str = "",
    shape=(28, 28),
):
    """One cluster at a glance: bars of its neuron frequencies (H,) (``best`` neurons red,
    ``chosen`` black) above a row of images ``{name: (D,) image}`` (a name with "weights" is drawn
    red/blue, symmetric)."""
    import matplotlib.pyplot as plt

    frequency = np.asarray(frequency, dtype=float)
    H = len(frequency)
    fig = plt.figure(figsize=(12, 4.2))
    gs = fig.add_gridspec(2, max(1, len(images)), height_ratios=[1, 1.2])
    ax = fig.add_subplot(gs[0, :])
    colors = np.full(H, "0.6", dtype=object)
    colors[np.asarray(best, dtype=np.int64)] = "tab:red"
    colors[chosen] = "black"
    ax.bar(np.arange(H), frequency, width=1.0, color=list(colors))
    ax.set_xlim(-1, H)
    ax.set_ylabel(f"share in top {k}")
    ax.set_title(title, fontsize=10)
    for i, (name, img) in enumerate(images.items()):
        a = fig.add_subplot(gs[1, i])
        img = np.asarray(img, dtype=float).reshape(shape)
        v = np.abs(img).max() or 1.0
        diverging = {"cmap": "RdBu_r", "vmin": -v, "vmax": v}
        a.imshow(img, **(diverging if "weights" in name else {"cmap": "gray"}))
        a.set_title(name, fontsize=9)
        a.set_xticks([]), a.set_yticks([])
    fig.tight_layout()
    return fig


def plot_best_counts(counts: Mapping[str, np.ndarray], *, top: int = 8):
    """Side by side, one panel per ``{name: (H,) counts}``: for how many clusters each neuron is
    among the best (e.g. ``np.bincount(cn.best.ravel(), minlength=H)``, raw vs z-scored); the
    ``top`` most often best neurons are labelled."""
    import matplotlib.pyplot as plt

    if not counts:
        raise ValueError(
            "counts is empty; pass {name: (H,) number of clusters each neuron is best for}."
        )
    fig, axes = plt.subplots(
        1, len(counts), figsize=(5.5 * len(counts), 2.8), squeeze=False, sharey=True
    )
    for ax, (name, c) in zip(axes[0], counts.items()):
        c = as_array(c, f"counts[{name!r}]", ndim=1, axes="(H,) clusters per neuron")
        ax.bar(np.arange(len(c)), c, width=1.0, color="tab:blue")
        for j in np.argsort(-c, kind="stable")[:top]:
            if c[j] > 1:
                ax.annotate(str(j), (j, c[j]), ha="center", va="bottom", fontsize=7)
        ax.set_title(f"{name}: for how many clusters each neuron is best", fontsize=9)
        ax.set_xlabel("hidden neuron")
        ax.set_xlim(-1, len(c))
    axes[0, 0].set_ylabel("clusters")
    fig.tight_layout()
    return fig
