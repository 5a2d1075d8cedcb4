"""Neural persistence (Rieck et al., ICLR 2019): a topological summary of a network's weights.

A fully connected layer W (n_out, n_in) is a complete bipartite graph on V = n_in + n_out vertices
whose edge (j, i) carries ``|W[j, i]| / max|W|`` (max over the whole network), in [0, 1]. In the
superlevel filtration (all vertices at 1, edges added by decreasing weight) every edge that joins
two components gives a point (birth 1, death w') of the 0-dimensional diagram; these are the edges
of a maximum spanning tree, V - 1 points.

    NP(W) = || (1 - w'_e) over the tree edges e ||_p  (p = 2),
    normalized NP = NP(W) / (V - 1)^(1/p) in [0, 1]

The essential class is left out (the authors' code gives it death 0: under 1 % on the normalized
value for V in the hundreds). A network's summary is the mean normalized NP over its layers.
docs/REFERENCES.md.
"""

from __future__ import annotations

import numpy as np

from .arrays import as_array, as_fraction

__all__ = ["persistence_diagram", "layer_neural_persistence", "neural_persistence"]

_AXES = "(n_out, n_in), one layer's weights"


def _spanning_tree_weights(A: np.ndarray) -> np.ndarray:
    """Edge weights (V - 1,) of a maximum spanning tree of the bipartite graph A (n_out, n_in),
    non-increasing."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree

    n_out, n_in = A.shape
    rows, cols = np.divmod(np.arange(A.size), n_in)
    # a maximum tree = a minimum tree of -A; csgraph drops zero entries, so weight-0 edges get the
    # smallest negative float instead (still last in the order); the tree's weights are read back
    # from A itself
    w = np.where(A.ravel() > 0, -A.ravel(), -5e-324)
    tree = minimum_spanning_tree(
        coo_matrix((w, (rows, n_out + cols)), shape=(n_out + n_in,) * 2)
    ).tocoo()
    return np.sort(A[tree.row, tree.col - n_out])[::-1]


def persistence_diagram(W, scale: float | None = None) -> np.ndarray:
    """Zero-dimensional diagram of one layer W (n_out, n_in): array (V - 1, 2) of (birth = 1,
    death = |w| / scale).

    scale: the largest |weight| used to normalize (default: this layer's; :func:`neural_persistence`
    passes the network's). Deaths are the spanning-tree edges' normalized weights, non-increasing.
    """
    A = np.abs(as_array(W, "W", axes=_AXES))
    s = float(A.max()) if scale is None else float(scale)
    if not np.isfinite(s) or s <= 0:
        raise ValueError(
            "All weights are zero (or scale <= 0): neural persistence is undefined. "
            "Pass a trained or initialized layer."
        )
    if s < A.max() * (1 - 1e-12):
        raise ValueError(
            f"scale={s} is smaller than the largest |weight| {A.max()}; it must be the "
            f"maximum absolute weight of the network."
        )
    deaths = _spanning_tree_weights(A / s)
    return np.stack([np.ones_like(deaths), deaths], axis=1)


def layer_neural_persistence(W, *, p: float = 2.0, scale: float | None = None) -> dict:
    """Neural persistence of one layer W (n_out, n_in).

    Returns {"np": ||1 - w'||_p, "normalized": np / (V - 1)^(1/p) in [0, 1], "n_vertices": V,
    "diagram": the (V - 1, 2) diagram}.
    """
    p = (
        p
        if p == np.inf
        else as_fraction(p, "p (a p-norm: >= 1, or np.inf)", 1.0, np.inf, open_hi=True)
    )
    D = persistence_diagram(W, scale=scale)
    V, gap = len(D) + 1, D[:, 0] - D[:, 1]
    if (
        p == np.inf
    ):  # the max norm; (V - 1)^(1/inf) = 1 (the sum formula would give 1.0 for any layer)
        value = float(gap.max())
        return {"np": value, "normalized": value, "n_vertices": V, "diagram": D}
    value = float(np.sum(gap**p) ** (1.0 / p))
    return {"np": value, "normalized": value / (V - 1) ** (1.0 / p), "n_vertices": V, "diagram": D}


def neural_persistence(model, *, p: float = 2.0) -> dict:
    """Neural persistence of every fully connected layer, normalized by the network's largest
    |weight|.

    model: a torch ``nn.Module`` (its ``nn.Linear`` layers, read with ``models.layer_weight``;
    convolutions are skipped), or a dict name -> weight matrix (n_out, n_in). Returns {"layers":
    {name: {"np", "normalized", "n_vertices"}}, "mean_normalized": float}.
    """
    from torch import nn

    from .models import layer_weight

    if isinstance(model, nn.Module):
        weights = {
            n: layer_weight(model, n) for n, m in model.named_modules() if isinstance(m, nn.Linear)
        }
        if not weights:
            raise ValueError(
                f"{type(model).__name__} has no nn.Linear layer; neural persistence here "
                f"needs fully connected layers."
            )
    elif isinstance(model, dict):
        weights = {str(k): as_array(v, f"layer {k!r}", axes=_AXES) for k, v in model.items()}
    else:
        raise TypeError(
            f"Expected an nn.Module or a dict of weight matrices; got a {type(model).__name__}."
        )
    scale = max(float(np.abs(W).max()) for W in weights.values())
    layers = {}
    for name, W in weights.items():
        r = layer_neural_persistence(W, p=p, scale=scale)
        layers[name] = {k: r[k] for k in ("np", "normalized", "n_vertices")}
    return {
        "layers": layers,
        "mean_normalized": float(np.mean([v["normalized"] for v in layers.values()])),
    }
