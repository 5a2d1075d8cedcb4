"""Small plotting helpers shared by the notebooks: arrays in, a matplotlib Figure out."""

from __future__ import annotations

import numpy as np

from .arrays import as_array, as_labels


def _grid(n: int, ncols: int, size: float, extra: float = 0.3, tall: float = 1.0):
    import matplotlib.pyplot as plt

    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * tall * nrows + extra), squeeze=False
    )
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes.flat


def image_grid(
    images,
    labels=None,
    *,
    ncols: int = 10,
    titles=None,
    cmap="gray",
    size: float = 1.1,
    suptitle: str | None = None,
):
    """Show images (N, H, W) or (N, H, W, 3) in a grid, titled by ``titles`` or by ``labels``
    (N,)."""
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"Expected images of shape (N, H, W) or (N, H, W, 3), got {images.shape}.")
    fig, axes = _grid(len(images), ncols, size)
    for i, ax in zip(range(len(images)), axes):
        ax.imshow(images[i], cmap=cmap if images.ndim == 3 else None)
        t = (
            titles[i]
            if titles is not None
            else (str(int(labels[i])) if labels is not None else None)
        )
        if t is not None:
            ax.set_title(t, fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def learning_curves(histories: dict, keys=("loss", "val_acc")):
    """One panel per history key, one line per named run. ``histories``: {name: history dict of
    lists}."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.4), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for name, h in histories.items():
            if key in h:
                ax.plot(range(1, len(h[key]) + 1), h[key], marker="o", ms=3, label=name)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.set(
            xlabel="epoch",
            ylabel={
                "loss": "training loss (nats)",
                "acc": "training accuracy",
                "val_acc": "test accuracy",
                "val_loss": "test loss (nats)",
            }.get(key, key),
        )
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def filter_grid(
    weights,
    *,
    ncols: int = 16,
    size: float = 0.6,
    titles=None,
    title: str | None = None,
    cmap: str = "RdBu_r",
):
    """Conv filters as small images, each scaled symmetrically around 0 (the course's one filter
    grid).

    weights: (K, h, w), (K, 1, h, w) (the first input channel is shown) or square filters as points
    (K, h * w), e.g. (K, 9); an array or a tensor. titles: one per filter; title: above the grid.
    """
    w = as_array(weights, "weights", ndim=(2, 3, 4), axes="(K, h, w), (K, 1, h, w) or (K, h*w)")
    side = int(round(np.sqrt(w.shape[-1])))
    if w.ndim == 2 and side * side != w.shape[1]:
        raise ValueError(
            f"weights of shape {w.shape}: flattened filters must be square (K, h*w), e.g. (K, 9)."
        )
    w = w[:, 0] if w.ndim == 4 else w.reshape(len(w), side, side) if w.ndim == 2 else w
    fig, axes = _grid(len(w), ncols, size, 0.4, 1.35 if titles is not None else 1.0)
    for i, ax in zip(range(len(w)), axes):
        v = np.abs(w[i]).max() or 1.0
        ax.imshow(w[i], cmap=cmap, vmin=-v, vmax=v)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=6)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_predictions(images, labels, log_probs, *, ncols: int = 10):
    """Images (N, H, W[, 3]) titled with the predicted class and its probability, from ``log_probs``
    (N, classes), e.g. ``train.predict(model, X)``; wrong ones (against ``labels`` (N,)) titled in
    red."""
    lp = as_array(log_probs, "log_probs", axes="(N, classes)")
    y = as_labels(labels, len(lp))
    pred, conf = lp.argmax(1), np.exp(lp.max(1))
    fig = image_grid(images, titles=[f"{p} ({c:.0%})" for p, c in zip(pred, conf)], ncols=ncols)
    for ax, p, t in zip(fig.axes, pred, y):
        if p != t:
            ax.title.set_color("red")
    fig.suptitle(
        f"predictions (confidence); wrong in red: {int((pred != y).sum())} of {len(y)}", fontsize=10
    )
    return fig


def per_class_bars(accs: dict, *, title: str = "test accuracy per digit"):
    """Grouped bars: {net name: array (10,) of per-class accuracy}."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.2))
    for i, (name, a) in enumerate(accs.items()):
        ax.bar(
            np.arange(len(a)) + (i - (len(accs) - 1) / 2) * 0.8 / len(accs),
            a,
            width=0.8 / len(accs),
            label=name,
        )
    ax.set(xticks=range(10), xlabel="digit", ylabel="accuracy", ylim=(0, 1.05), title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
