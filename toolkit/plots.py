"""Small plotting helpers shared by the notebooks (matplotlib; every function returns its Figure)."""
from __future__ import annotations

import numpy as np


def image_grid(images, labels=None, *, ncols: int = 10, titles=None, cmap="gray", size: float = 1.1,
               suptitle: str | None = None):
    """Show images (N, H, W) or (N, H, W, 3) in a grid, with optional per-image titles / labels."""
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"Expected images of shape (N, H, W) or (N, H, W, 3), got {images.shape}.")
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap=cmap if images.ndim == 3 else None)
        t = titles[i] if titles is not None else (str(int(labels[i])) if labels is not None else None)
        if t is not None:
            ax.set_title(t, fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def learning_curves(histories: dict, keys=("loss", "val_acc")):
    """One panel per history key, one line per named run. ``histories``: {name: history dict}."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.4), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for name, h in histories.items():
            if key in h:
                ax.plot(range(1, len(h[key]) + 1), h[key], marker="o", ms=3, label=name)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.set_ylabel({"loss": "training loss (nats)", "acc": "training accuracy",
                       "val_acc": "test accuracy", "val_loss": "test loss (nats)"}.get(key, key))
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def filter_grid(weights, *, ncols: int = 16, size: float = 0.6, title: str | None = None):
    """Show conv filters (K, 3, 3) (or (K, 1, 3, 3)) with a diverging colormap centred at 0."""
    w = np.asarray(weights.detach().cpu() if hasattr(weights, "detach") else weights, dtype=float)
    if w.ndim == 4:
        w = w[:, 0]
    if w.ndim != 3:
        raise ValueError(f"Expected filters (K, h, w) or (K, 1, h, w), got shape {w.shape}.")
    import matplotlib.pyplot as plt

    n = len(w)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            v = np.abs(w[i]).max() or 1.0
            ax.imshow(w[i], cmap="RdBu_r", vmin=-v, vmax=v)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_predictions(model, ds, start: int = 0, n: int = 20, *, ncols: int = 10):
    """A grid of test images with the model's prediction and confidence; wrong ones titled in red.

    ``ds``: a toolkit Dataset; shows images ``start .. start+n-1``. Returns the Figure.
    """
    import torch

    from .train import predict

    if not 0 <= start < len(ds):
        raise ValueError(f"start must be in 0..{len(ds) - 1}, got {start}.")
    sl = slice(start, min(start + n, len(ds)))
    logp = predict(model, ds.X[sl])
    conf, pred = logp.exp().max(1)
    y = ds.y[sl].cpu()
    titles = [f"{int(p)} ({float(c):.0%})" for p, c in zip(pred, conf)]
    fig = image_grid(ds.images()[sl], titles=titles, ncols=ncols)
    for ax, p, t in zip(fig.axes, pred, y):
        if int(p) != int(t):
            ax.title.set_color("red")
    fig.suptitle(f"predictions (confidence); wrong in red: {int((pred != y).sum())} of {len(y)}",
                 fontsize=10)
    return fig


def per_class_bars(accs: dict, *, title: str = "test accuracy per digit"):
    """Grouped bars: {net name: array (10,) of per-class accuracy}."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.2))
    k = len(accs)
    for i, (name, a) in enumerate(accs.items()):
        ax.bar(np.arange(len(a)) + (i - (k - 1) / 2) * 0.8 / k, a, width=0.8 / k, label=name)
    ax.set_xticks(range(10))
    ax.set_xlabel("digit")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
