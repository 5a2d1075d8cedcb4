"""The figure of a clustering on a 2-D embedding (notebook 03): :func:`plot_embedding`. This module
imports toolkit.clustering, never the other way round."""

from __future__ import annotations

import numpy as np

from .clustering import majority_labels, purity

__all__ = ["plot_embedding"]


def plot_embedding(emb, clusters, labels=None, *, ax=None, title: str = ""):
    """Scatter of a 2-D embedding (N, 2) coloured by cluster, each cluster annotated with its
    majority label and purity (from ALL members) when ``labels`` are given."""
    import matplotlib.pyplot as plt

    emb = np.asarray(emb)
    c = np.asarray(clusters)
    if emb.ndim != 2 or emb.shape[1] != 2 or len(emb) != len(c):
        raise ValueError(
            f"emb must be (N, 2) with one cluster label per row; got {emb.shape} and {c.shape}."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(emb[:, 0], emb[:, 1], c=np.where(c >= 0, c, -1), cmap="tab10", s=4, alpha=0.7)
    if labels is not None:
        maj, pur = majority_labels(c, labels), purity(c, labels)
        for k in maj:
            cx, cy = np.median(emb[c == k], axis=0)
            ax.annotate(
                f"{maj[k]} ({pur[k]:.0%})",
                (cx, cy),
                fontsize=8,
                ha="center",
                bbox=dict(boxstyle="round,pad=0.2", fc="white", alpha=0.8),
            )
    ax.set_title(title)
    ax.set_xticks([]), ax.set_yticks([])
    return ax.figure
