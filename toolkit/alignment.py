"""Neuron alignment and representation similarity: the primitives behind notebook 02's comparisons.

Hidden neurons of two nets are only defined up to a permutation, so heatmaps of two nets cannot be
compared row by row. :func:`similarity_matrix` compares every row of one matrix with every row of
another, :func:`match_neurons` / :func:`match_activations` align the neurons of two nets (Hungarian
assignment), :func:`linear_cka` compares representations without any alignment (Kornblith et al.
2019), :func:`seriate` orders rows or columns so that similar ones sit together, :func:`selectivity`
says which task a unit fires for.

Conventions: a weight matrix is (n_out, n_in) as in ``nn.Linear.weight`` (one row per neuron);
activations are (N samples, units). Inputs are NumPy arrays or torch tensors; outputs NumPy arrays
or floats.
"""

from __future__ import annotations

import numpy as np

from .arrays import as_array, as_labels

__all__ = [
    "similarity_matrix",
    "match_neurons",
    "match_activations",
    "linear_cka",
    "seriate",
    "selectivity",
]
_AXES, _ACTS = "(rows, columns): one row per neuron or input", "(N inputs, units)"


def _unit_rows(M: np.ndarray, center: bool) -> np.ndarray:
    if center:
        M = M - M.mean(axis=1, keepdims=True)
    n = np.linalg.norm(M, axis=1, keepdims=True)
    return np.divide(M, n, out=np.zeros_like(M), where=n > 1e-12)


def similarity_matrix(A, B, metric: str = "correlation") -> np.ndarray:
    """Similarity of every row of A (n_a, d) with every row of B (n_b, d): array (n_a, n_b) in [-1,
    1].

    ``metric="correlation"``: Pearson correlation of the rows; ``"cosine"``: cosine similarity.
    A row with zero variance (a dead neuron) has similarity 0 with everything.
    """
    A, B = as_array(A, "A", axes=_AXES), as_array(B, "B", axes=_AXES)
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"Rows must live in the same space: A has shape {A.shape}, B has shape {B.shape} "
            f"(different numbers of columns). Compare the same layer of nets with equal inputs."
        )
    if metric not in ("correlation", "cosine"):
        raise ValueError(f"metric must be 'correlation' or 'cosine', got {metric!r}.")
    c = metric == "correlation"
    return np.clip(_unit_rows(A, c) @ _unit_rows(B, c).T, -1.0, 1.0)


def match_neurons(W_a, W_b, metric: str = "correlation", *, return_similarity: bool = False):
    """The permutation of W_b's rows that best matches W_a's rows (Hungarian assignment).

    W_a: (n_a, d) one row per neuron of net a (incoming weights or any per-neuron feature); W_b:
    (n_b, d), n_b >= n_a, the same for net b; metric: see :func:`similarity_matrix`. Returns perm
    (n_a,) of distinct rows of W_b with ``W_b[perm]`` aligned to ``W_a`` (maximal summed
    similarity); with ``return_similarity=True`` also the (n_a,) similarities of the matched pairs.
    """
    from scipy.optimize import linear_sum_assignment

    S = similarity_matrix(W_a, W_b, metric)
    if S.shape[0] > S.shape[1]:
        raise ValueError(
            f"W_a has {S.shape[0]} rows but W_b only {S.shape[1]}: every row of W_a needs its "
            f"own partner. Swap the arguments (match the smaller net into the larger)."
        )
    rows, cols = linear_sum_assignment(S, maximize=True)
    perm = cols[np.argsort(rows)]
    return (perm, S[np.arange(len(perm)), perm]) if return_similarity else perm


def match_activations(H_a, H_b, metric: str = "correlation", *, return_similarity: bool = False):
    """:func:`match_neurons` on activations: H_a (N, n_a), H_b (N, n_b) on the same N inputs.

    Returns the permutation of H_b's *columns* (units) that best matches H_a's units.
    """
    H_a, H_b = as_array(H_a, "H_a", axes=_ACTS), as_array(H_b, "H_b", axes=_ACTS)
    if H_a.shape[0] != H_b.shape[0]:
        raise ValueError(
            f"Activations must be on the same inputs: H_a has {H_a.shape[0]} rows (samples), "
            f"H_b has {H_b.shape[0]}."
        )
    return match_neurons(H_a.T, H_b.T, metric, return_similarity=return_similarity)


def linear_cka(X, Y) -> float:
    """Linear centred kernel alignment (Kornblith et al., ICML 2019) of X (N, p) and Y (N, q) on the
    same N inputs.

    ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F), columns centred: in [0, 1], 1 for identical
    representations, invariant to orthogonal transforms and isotropic scaling, near 0 for
    independent ones.
    """
    X, Y = as_array(X, "X", axes=_ACTS), as_array(Y, "Y", axes=_ACTS)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"X and Y must hold the same N inputs (rows): X has shape {X.shape}, "
            f"Y has shape {Y.shape}."
        )
    if X.shape[0] < 2:
        raise ValueError("CKA needs at least 2 inputs (rows).")
    # CKA is scale invariant: bring both to max |entry| in [0.5, 1) by a power of two (exact, so the
    # same numbers as unscaled), which keeps 1e200-sized or 1e-200-sized activations from
    # overflowing to inf/NaN
    X, Y = (
        np.ldexp(Z, -np.frexp(np.abs(Z).max())[1]) if np.abs(Z).max() > 0 else Z for Z in (X, Y)
    )
    X = X - X.mean(0)
    Y = Y - Y.mean(0)
    if min(np.abs(X).max(), np.abs(Y).max()) < 1e-12:
        raise ValueError(
            "One representation is constant over the inputs (all units dead?): CKA is undefined."
        )
    if X.shape[1] + Y.shape[1] <= X.shape[0]:  # feature space: p x q matrices
        xy = np.linalg.norm(Y.T @ X) ** 2
        xx, yy = np.linalg.norm(X.T @ X), np.linalg.norm(Y.T @ Y)
    else:  # sample space: N x N Gram matrices
        K, L = X @ X.T, Y @ Y.T
        xy, xx, yy = float((K * L).sum()), np.linalg.norm(K), np.linalg.norm(L)
    return float(np.clip(xy / (xx * yy), 0.0, 1.0))


def seriate(M, axis: int = 0, method: str = "average") -> np.ndarray:
    """An order of M's rows (axis=0) or columns (axis=1) that puts similar ones next to each other.

    Hierarchical clustering (``method`` linkage, correlation distance) and its dendrogram leaf order
    (with optimal leaf ordering for up to 400 items). Returns an int array, a permutation.
    """
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    M = as_array(M, "M", axes=_AXES)
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (rows) or 1 (columns), got {axis}.")
    R = M if axis == 0 else M.T
    if len(R) < 3:
        return np.arange(len(R))
    U = _unit_rows(R, center=True)
    D = np.clip(1.0 - U @ U.T, 0.0, 2.0)
    np.fill_diagonal(D, 0.0)
    y = squareform(D, checks=False)
    Z = linkage(y, method=method)
    if len(R) <= 400:
        Z = optimal_leaf_ordering(Z, y)
    return leaves_list(Z).astype(int)


def selectivity(H, y, first_classes=range(5)) -> np.ndarray:
    """Per unit, (mean activation on ``first_classes`` - mean on the rest) / (sum of the two), in
    [-1, 1].

    H: (N, units) non-negative activations (after the ReLU; a negative one raises ValueError, since
    the ratio leaves [-1, 1] then); y: (N,) labels. +1 = fires only for the first task's inputs.
    """
    H = as_array(H, "H", axes=_ACTS)
    if H.min() < 0:
        raise ValueError(
            f"H must be non-negative activations (after the ReLU: Recording.post); it holds "
            f"{int((H < 0).sum())} negative values (min {H.min():g}), for which the ratio is not "
            "in "
            f"[-1, 1]. Pass rec.post[layer], or shift with H - H.min(0) if that is what you mean."
        )
    first = np.isin(as_labels(y, len(H), "y"), list(first_classes))
    if first.all() or not first.any():
        raise ValueError(
            "Selectivity needs inputs from both tasks (labels in and outside first_classes)."
        )
    a, b = H[first].mean(0), H[~first].mean(0)
    return np.divide(a - b, a + b, out=np.zeros_like(a), where=(a + b) > 1e-12)
