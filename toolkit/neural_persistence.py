"""Neural persistence (Rieck et al., ICLR 2019): a topological summary of a network's weights.

Each fully connected layer with weight matrix ``W`` of shape (n_out, n_in) is a complete bipartite
graph on n_in + n_out vertices whose edge (j, i) carries the weight ``|W[j, i]|``. Weights are first
divided by the largest absolute weight of the whole network, so every edge weight lies in [0, 1].

The filtration is a *superlevel* one: all vertices are present from the start (value 1) and edges are
added in order of decreasing weight. Zero-dimensional persistent homology records when connected
components merge: every edge that joins two components kills one of them, giving a point
(birth = 1, death = w') in the diagram, persistence ``1 - w'``. These edges are exactly the edges of a
*maximum spanning tree*, so a layer with V = n_in + n_out vertices has V - 1 finite points.

    NP(W)          = || (1 - w'_e) over the spanning-tree edges e ||_p        (p = 2 by default)
    normalized NP  = NP(W) / (V - 1)^(1/p)        in [0, 1]  (Theorem 2 of the paper)

The one essential class (the component that never dies) is left out. (The authors' code gives it
death 0, which adds 1 to the sum of p-th powers; with V in the hundreds this changes the normalized
value by well under 1 %.) A network's summary is the mean normalized NP over its layers.

All functions take NumPy arrays or torch tensors; no gradient flows.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

__all__ = ["as_weight_matrix", "persistence_diagram", "layer_neural_persistence",
           "network_weights", "neural_persistence"]


def as_weight_matrix(W, name: str = "W") -> np.ndarray:
    """A finite 2-D float64 copy of ``W`` (torch tensor or array); clear errors otherwise."""
    if hasattr(W, "detach"):
        W = W.detach().cpu().numpy()
    try:
        W = np.array(W, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 2-D array of numbers, got a {type(W).__name__}.") from None
    if W.ndim != 2 or min(W.shape) < 1:
        raise ValueError(f"{name} must be a 2-D weight matrix (n_out, n_in) with at least one entry; "
                         f"got shape {W.shape}.")
    if not np.isfinite(W).all():
        bad = int((~np.isfinite(W)).sum())
        raise ValueError(f"{name} (shape {W.shape}) contains {bad} NaN or infinite weights; "
                         f"the network diverged or was not initialized. Retrain or reload it.")
    return W


def _spanning_tree_weights(A: np.ndarray) -> np.ndarray:
    """Edge weights of a maximum spanning tree of the complete bipartite graph with weights A (n_out, n_in).

    Kruskal's algorithm with union-find on the edges sorted by decreasing weight; returns V - 1 weights
    in the order the edges enter the filtration (non-increasing).
    """
    n_out, n_in = A.shape
    V = n_out + n_in
    parent = np.arange(V)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    flat = A.ravel()
    order = np.argsort(-flat, kind="stable")
    rows, cols = np.divmod(order, n_in)
    out = np.empty(V - 1)
    k = 0
    for e, r, c in zip(order, rows, cols):
        a, b = find(int(r)), find(n_out + int(c))
        if a != b:
            parent[a] = b
            out[k] = flat[e]
            k += 1
            if k == V - 1:
                break
    return out


def persistence_diagram(W, scale: float | None = None) -> np.ndarray:
    """Zero-dimensional persistence diagram of one layer, shape (V - 1, 2): columns (birth, death).

    Args:
        W: weight matrix (n_out, n_in) of one layer.
        scale: the largest absolute weight used to normalize (default: ``max|W|`` of this layer;
            :func:`neural_persistence` passes the maximum over the whole network).
    Returns:
        birth = 1 for every point, death = the normalized weight ``|w| / scale`` of the spanning-tree
        edge that merged two components. Persistence = birth - death.
    """
    W = as_weight_matrix(W)
    A = np.abs(W)
    s = float(A.max()) if scale is None else float(scale)
    if not np.isfinite(s) or s <= 0:
        raise ValueError("All weights are zero (or scale <= 0): neural persistence is undefined. "
                         "Pass a trained or initialized layer.")
    if s < A.max() * (1 - 1e-12):
        raise ValueError(f"scale={s} is smaller than the largest |weight| {A.max()}; it must be the "
                         f"maximum absolute weight of the network.")
    deaths = _spanning_tree_weights(A / s)
    return np.stack([np.ones_like(deaths), deaths], axis=1)


def layer_neural_persistence(W, *, p: float = 2.0, scale: float | None = None) -> dict:
    """Neural persistence of one layer.

    Returns a dict: ``"np"`` = ||1 - w'||_p over the spanning-tree edges, ``"normalized"`` = np / (V-1)^(1/p)
    (in [0, 1]), ``"n_vertices"`` = V, ``"diagram"`` = the (V-1, 2) diagram.
    """
    if not p >= 1:
        raise ValueError(f"p must be >= 1 (a p-norm), got {p}.")
    D = persistence_diagram(W, scale=scale)
    pers = D[:, 0] - D[:, 1]
    value = float(np.sum(pers ** p) ** (1.0 / p))
    V = sum(as_weight_matrix(W).shape)
    return {"np": value, "normalized": value / (V - 1) ** (1.0 / p), "n_vertices": V, "diagram": D}


def network_weights(model) -> "OrderedDict[str, np.ndarray]":
    """The fully connected weight matrices of a model, in order: name -> (n_out, n_in) array.

    Accepts a torch ``nn.Module`` (every ``nn.Linear``), a dict name -> matrix, or a list of matrices.
    Convolutional layers are not bipartite graphs in this sense and are skipped for a module.
    """
    from torch import nn

    if isinstance(model, nn.Module):
        out = OrderedDict((name, as_weight_matrix(m.weight, f"layer {name!r}"))
                          for name, m in model.named_modules() if isinstance(m, nn.Linear))
        if not out:
            raise ValueError(f"{type(model).__name__} has no nn.Linear layer; neural persistence here "
                             f"needs fully connected layers.")
        return out
    if isinstance(model, dict):
        return OrderedDict((str(k), as_weight_matrix(v, f"layer {k!r}")) for k, v in model.items())
    if isinstance(model, (list, tuple)):
        return OrderedDict((f"layer{i}", as_weight_matrix(v, f"layer {i}")) for i, v in enumerate(model))
    raise TypeError(f"Expected an nn.Module, a dict of weight matrices or a list of them; "
                    f"got a {type(model).__name__}.")


def neural_persistence(model, *, p: float = 2.0) -> dict:
    """Neural persistence of every fully connected layer, normalized by the network's largest |weight|.

    Returns ``{"layers": {name: {"np", "normalized", "n_vertices"}}, "mean_normalized": float}``.
    """
    weights = network_weights(model)
    scale = max(float(np.abs(W).max()) for W in weights.values())
    layers = OrderedDict()
    for name, W in weights.items():
        r = layer_neural_persistence(W, p=p, scale=scale)
        layers[name] = {k: r[k] for k in ("np", "normalized", "n_vertices")}
    mean = float(np.mean([v["normalized"] for v in layers.values()]))
    return {"layers": layers, "mean_normalized": mean}
