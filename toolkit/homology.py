"""Persistent homology for the course: fast Vietoris-Rips on point clouds with landmarks, barcodes,
diagrams, Betti numbers at a scale and a circle score (REFERENCES.md section 6).

Full Vietoris-Rips on ~2,000 points in R^9 takes 90-140 s on 2 CPU cores, so ``persistence`` offers two
accelerations, both on ``n_landmarks`` points chosen by the greedy maxmin rule (each new landmark is the
point farthest from those already chosen, so landmarks cover the cloud evenly):

- ``method="maxmin"`` (default): Rips on the landmarks only.
- ``method="witness"``: the lazy witness complex (de Silva & Carlsson 2004): every point of the cloud is
  a witness; an edge between landmarks a, b enters at ``min_w max(d(w,a), d(w,b)) - m_w`` where ``m_w``
  is the distance from w to its nearest landmark (nu = 1); then the flag complex, computed by ripser.

Both keep the large features (long bars) of the full computation and lose small ones; tests check that
the leading bars match full Rips on small clouds. Scales of a witness complex are shifted by ``m_w`` and
are not directly comparable to Rips scales.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Diagrams", "maxmin_landmarks", "persistence", "bar_lengths", "circle_score", "betti_at",
           "plot_barcode", "plot_diagram", "sample_cloud"]


class Diagrams(list):
    """A list with one (n_bars, 2) array of (birth, death) pairs per dimension 0..maxdim.

    Extra attributes: ``method`` ('rips', 'maxmin' or 'witness'), ``landmarks`` (indices into the input
    cloud, or None), ``coeff`` (the prime field Z/p), ``seconds`` (compute time).
    """

    method: str = "rips"
    landmarks: np.ndarray | None = None
    coeff: int = 2
    seconds: float = 0.0


def _as_cloud(X) -> np.ndarray:
    if hasattr(X, "detach"):
        X = X.detach().cpu().numpy()
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or len(X) < 1:
        raise ValueError(f"Expected a point cloud of shape (N, d) with N >= 1, got {tuple(X.shape)}. "
                         f"Flatten filters first (e.g. filters.spatial_filters gives (N, 9)).")
    if not np.isfinite(X).all():
        raise ValueError("The point cloud contains NaN or infinite values.")
    return X


def maxmin_landmarks(X, n: int, *, seed: int = 0) -> np.ndarray:
    """Greedy maxmin (farthest-point) landmarks: indices (n,) into X (N, d).

    Starts from a point chosen by ``seed``; each next landmark maximizes the distance to the chosen set.
    O(N n) time, O(N) memory.
    """
    X = _as_cloud(X)
    n = int(n)
    if not 1 <= n <= len(X):
        raise ValueError(f"n_landmarks={n} must be between 1 and the number of points ({len(X)}).")
    rng = np.random.default_rng(seed)
    idx = np.empty(n, dtype=int)
    idx[0] = rng.integers(len(X))
    d = np.linalg.norm(X - X[idx[0]], axis=1)
    for i in range(1, n):
        idx[i] = int(np.argmax(d))
        d = np.minimum(d, np.linalg.norm(X - X[idx[i]], axis=1))
    return idx


def _witness_matrix(X: np.ndarray, L: np.ndarray, chunk: int = 16) -> np.ndarray:
    """Lazy witness (nu = 1) filtration values between landmarks: (n_L, n_L), zero diagonal."""
    from scipy.spatial.distance import cdist

    D = cdist(X, X[L])                                  # (N, n_L) witness-landmark distances
    m = D.min(axis=1)                                   # distance to nearest landmark
    nL = len(L)
    W = np.empty((nL, nL))
    for s in range(0, nL, chunk):                       # min_w max(D[w,a], D[w,b]) - m[w]
        blk = np.maximum(D[:, s:s + chunk, None], D[:, None, :]) - m[:, None, None]
        W[s:s + chunk] = blk.min(axis=0)
    W = np.maximum(W, 0.0)
    W = np.minimum(W, W.T)
    np.fill_diagonal(W, 0.0)
    return W


def persistence(X, *, maxdim: int = 1, coeff: int = 2, n_landmarks: int | None = None,
                method: str = "maxmin", thresh: float = np.inf, seed: int = 0) -> Diagrams:
    """Persistent homology of the Vietoris-Rips filtration of a point cloud (Euclidean distances).

    X: (N, d) points. maxdim: highest homology dimension (2 = voids; costly beyond ~300 points).
    coeff: prime p of the coefficient field Z/p (2 and 3 tell a Klein bottle from a torus).
    n_landmarks: None = full Rips on all N points (slow beyond ~1,000 points); an int = compute on that
    many maxmin landmarks with ``method`` 'maxmin' (Rips on the landmarks) or 'witness' (lazy witness
    complex, all points witness). thresh: stop the filtration at this scale (deaths beyond it are inf).
    Returns :class:`Diagrams`: one (n_bars, 2) float array of (birth, death) per dimension 0..maxdim,
    in the units of the input distances; infinite death = the class never dies.
    """
    import time

    from ripser import ripser

    X = _as_cloud(X)
    if int(maxdim) < 0:
        raise ValueError(f"maxdim={maxdim} must be >= 0.")
    if method not in ("maxmin", "witness"):
        raise ValueError(f"method={method!r}: use 'maxmin' (Rips on landmarks) or 'witness'.")
    coeff = int(coeff)
    if coeff < 2 or any(coeff % q == 0 for q in range(2, int(coeff ** 0.5) + 1)):
        raise ValueError(f"coeff={coeff} must be a prime (2, 3, 5, ...): homology over the field Z/p.")
    import warnings

    t0 = time.perf_counter()
    L = None
    if n_landmarks is not None and int(n_landmarks) < len(X):
        L = maxmin_landmarks(X, int(n_landmarks), seed=seed)
    with warnings.catch_warnings():   # ripser warns about square / wide point clouds; ours are (N, d)
        warnings.simplefilter("ignore", UserWarning)
        if L is None:
            used = "rips"
            res = ripser(X, maxdim=int(maxdim), coeff=coeff, thresh=thresh)
        elif method == "maxmin":
            used = "maxmin"
            res = ripser(X[L], maxdim=int(maxdim), coeff=coeff, thresh=thresh)
        else:
            used = "witness"
            res = ripser(_witness_matrix(X, L), maxdim=int(maxdim), coeff=coeff, thresh=thresh,
                         distance_matrix=True)
    out = Diagrams(np.asarray(d, dtype=float).reshape(-1, 2) for d in res["dgms"])
    out.method, out.landmarks, out.coeff = used, L, coeff
    out.seconds = time.perf_counter() - t0
    return out


def _dgm(dgms, dim: int) -> np.ndarray:
    if dim < 0 or dim >= len(dgms):
        raise ValueError(f"No dimension {dim} in these diagrams (dimensions 0..{len(dgms) - 1}); "
                         f"compute with maxdim >= {dim}.")
    return np.asarray(dgms[dim], dtype=float).reshape(-1, 2)


def bar_lengths(dgms, dim: int = 1) -> np.ndarray:
    """Lifetimes (death - birth) of the bars of one dimension, longest first (inf for infinite bars)."""
    d = _dgm(dgms, dim)
    return np.sort(d[:, 1] - d[:, 0])[::-1]


def circle_score(dgms, dim: int = 1) -> float:
    """How much one circle dominates: longest H1 bar / second longest (inf if only one bar, 0 if none).

    >= 3 reads as "one clear circle" in this course; near 1 means no single dominant loop.
    """
    life = bar_lengths(dgms, dim)
    if len(life) == 0:
        return 0.0
    if len(life) == 1 or life[1] <= 0:
        return float("inf")
    return float(life[0] / life[1])


def betti_at(dgms, scale: float) -> tuple[int, ...]:
    """Betti numbers at one scale: for each dimension, the number of bars with birth <= scale < death."""
    return tuple(int(((d[:, 0] <= scale) & (d[:, 1] > scale)).sum())
                 for d in (np.asarray(x, dtype=float).reshape(-1, 2) for x in dgms))


def plot_barcode(dgms, ax=None, *, dims=None, max_bars: int = 30, title: str | None = None):
    """Barcode: one horizontal bar per (birth, death), longest first, dimensions stacked and coloured.

    Infinite bars are drawn to the right edge with an arrow head. Shows at most ``max_bars`` per dimension.
    """
    import matplotlib.pyplot as plt

    dims = range(len(dgms)) if dims is None else dims
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    finite = [v for k in dims for v in _dgm(dgms, k).ravel() if np.isfinite(v)]
    top = (max(finite) if finite else 1.0) * 1.1 or 1.0
    row = 0
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k in dims:
        d = _dgm(dgms, k)
        order = np.argsort(-(d[:, 1] - d[:, 0]))[:max_bars]
        for j, (b, e) in enumerate(d[order]):
            inf = not np.isfinite(e)
            ax.plot([b, top if inf else e], [row, row], color=colors[k % len(colors)], lw=2,
                    label=f"H{k}" if j == 0 else None)
            if inf:
                ax.plot([top], [row], ">", color=colors[k % len(colors)], ms=4)
            row += 1
        row += 1
    ax.set_yticks([])
    ax.set_xlabel("scale (distance)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title or "Barcode (longest bars first)")
    return ax


def plot_diagram(dgms, ax=None, *, dims=None, title: str | None = None):
    """Persistence diagram: (birth, death) points per dimension, infinite deaths on a dashed top line."""
    import matplotlib.pyplot as plt

    dims = range(len(dgms)) if dims is None else dims
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    finite = [v for k in dims for v in _dgm(dgms, k).ravel() if np.isfinite(v)]
    top = (max(finite) if finite else 1.0) * 1.1 or 1.0
    for k in dims:
        d = _dgm(dgms, k)
        death = np.where(np.isfinite(d[:, 1]), d[:, 1], top)
        ax.scatter(d[:, 0], death, s=12, label=f"H{k}")
    ax.plot([0, top], [0, top], "k-", lw=0.5)
    ax.axhline(top, ls="--", color="gray", lw=0.5)
    ax.set_xlabel("birth")
    ax.set_ylabel("death")
    ax.legend(fontsize=8)
    ax.set_title(title or "Persistence diagram")
    return ax


def sample_cloud(shape: str, n: int = 300, *, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Points sampled from a known space, for checking and teaching persistence. Returns (n, d).

    'circle' (unit circle in R^2, Betti 1,1), 'sphere' (unit S^2 in R^3, Betti 1,0,1), 'torus' (flat torus
    S^1 x S^1 in R^4, Betti 1,2,1 over every field), 'klein' (Klein bottle in R^4, Betti 1,2,1 over Z/2
    and 1,1,0 over Z/3). Parameters are drawn uniformly; ``noise`` adds Gaussian noise of that std.
    """
    rng = np.random.default_rng(seed)
    n = int(n)
    u = rng.uniform(0, 2 * np.pi, n)
    v = rng.uniform(0, 2 * np.pi, n)
    if shape == "circle":
        P = np.stack([np.cos(u), np.sin(u)], 1)
    elif shape == "sphere":
        g = rng.normal(size=(n, 3))
        P = g / np.linalg.norm(g, axis=1, keepdims=True)
    elif shape == "torus":
        P = np.stack([np.cos(u), np.sin(u), np.cos(v), np.sin(v)], 1)
    elif shape == "klein":
        R, r = 2.0, 1.0
        P = np.stack([(R + r * np.cos(v)) * np.cos(u), (R + r * np.cos(v)) * np.sin(u),
                      r * np.sin(v) * np.cos(u / 2), r * np.sin(v) * np.sin(u / 2)], 1)
    else:
        raise ValueError(f"shape={shape!r}: use 'circle', 'sphere', 'torus' or 'klein'.")
    return P + noise * rng.normal(size=P.shape) if noise else P
