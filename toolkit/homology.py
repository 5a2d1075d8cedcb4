"""Persistent homology for the course (ripser): Vietoris-Rips on all points or on greedy maxmin landmarks,
bars, Betti numbers and curves, and circle evidence that clumps cannot fake (docs/REFERENCES.md 6-7).
Pictures: toolkit.filter_plots.plot_barcode, persim.plot_diagrams. Full Rips on ~2,000 points in R^9 takes
90-140 s on 2 CPU cores; Rips on a few hundred maxmin landmarks keeps the long bars (tested) in about 1 s.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from .arrays import as_array

__all__ = ["Diagrams", "maxmin_landmarks", "persistence", "bar_lengths", "circle_score", "betti_curve", "sample_cloud", "CircleEvidence", "circle_evidence", "circle_controls",
           "plane_coordinates", "sector_counts"]


class Diagrams(list):
    """One (n_bars, 2) array of (birth, death) per dimension 0..maxdim; ``method`` ('rips' or 'maxmin'),
    ``landmarks`` (indices into the cloud, or None), ``coeff`` (Z/p), ``seconds``."""

    method: str = "rips"
    landmarks: np.ndarray | None = None
    coeff: int = 2
    seconds: float = 0.0


def _cloud(X) -> np.ndarray:
    return as_array(X, "X", axes="(N, d): a point cloud (filters.spatial_filters gives (N, 9))")


def _whole(v, arg: str) -> int:
    """``v`` as an int, or TypeError naming ``arg`` (2.5, "3" and True are refused, not rounded)."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{arg} must be a whole number, got {v!r} ({type(v).__name__}).")
    return int(v)


def maxmin_landmarks(X, n: int, *, seed: int = 0) -> np.ndarray:
    """Greedy maxmin landmarks: indices (n,) into X (N, d), from a first point chosen by ``seed``; O(N n)."""
    X, n = _cloud(X), _whole(n, "n_landmarks")
    if _whole(seed, "seed") < 0:
        raise ValueError(f"seed must be >= 0, got {seed}.")
    if not 1 <= n <= len(X):
        raise ValueError(f"n_landmarks={n} must be between 1 and the number of points ({len(X)}).")
    idx = np.empty(n, dtype=int)
    idx[0] = np.random.default_rng(seed).integers(len(X))
    d = np.linalg.norm(X - X[idx[0]], axis=1)
    for i in range(1, n):
        idx[i] = int(np.argmax(d))
        d = np.minimum(d, np.linalg.norm(X - X[idx[i]], axis=1))
    return idx


def persistence(X, *, maxdim: int = 1, coeff: int = 2, n_landmarks: int | None = None,
                thresh: float = np.inf, seed: int = 0) -> Diagrams:
    """Persistent homology of the Vietoris-Rips filtration of X (N, d), Euclidean distances.

    maxdim: highest dimension (2 = voids; costly beyond ~300 points). coeff: the prime p of Z/p (2 and 3
    tell a Klein bottle from a torus). n_landmarks: None = all points (slow beyond ~1,000), else Rips on
    that many maxmin landmarks (chosen by ``seed``). thresh: stop at this scale (deaths beyond it: inf).
    Returns :class:`Diagrams` in the units of the input distances; death inf = the class never dies.
    """
    from ripser import ripser

    X = _cloud(X)
    maxdim, coeff = _whole(maxdim, "maxdim"), _whole(coeff, "coeff")
    n_landmarks = None if n_landmarks is None else _whole(n_landmarks, "n_landmarks")
    if maxdim < 0:
        raise ValueError(f"maxdim={maxdim} must be >= 0.")
    if coeff < 2 or any(coeff % q == 0 for q in range(2, int(coeff ** 0.5) + 1)):
        raise ValueError(f"coeff={coeff} must be a prime (2, 3, 5, ...): homology over the field Z/p.")
    t0 = time.perf_counter()
    L = maxmin_landmarks(X, n_landmarks, seed=seed) if n_landmarks is not None and n_landmarks < len(X) else None
    with warnings.catch_warnings():   # ripser warns about square / wide point clouds; ours are (N, d)
        warnings.simplefilter("ignore", UserWarning)
        res = ripser(X if L is None else X[L], maxdim=maxdim, coeff=coeff, thresh=thresh)
    out = Diagrams(np.asarray(d, dtype=float).reshape(-1, 2) for d in res["dgms"])
    out.landmarks, out.coeff, out.seconds = L, coeff, time.perf_counter() - t0
    out.method = "rips" if L is None else "maxmin"
    return out


def _dgm(dgms, dim: int) -> np.ndarray:
    """The (n_bars, 2) diagram of dimension ``dim`` of a list of diagrams; a bare (n, 2) array is itself."""
    if isinstance(dgms, np.ndarray):
        if dgms.ndim == 2 and dgms.shape[1] == 2:
            return dgms.astype(float)
        raise ValueError(f"dgms: an array must be one diagram of shape (n_bars, 2), got {dgms.shape}; "
                         f"or pass the list returned by persistence().")
    dgms = list(dgms)
    if dgms and all(np.ndim(x) == 1 and np.size(x) == 2 for x in dgms):
        raise ValueError("dgms: a list of (birth, death) pairs is ambiguous (one diagram, or one diagram per "
                         "dimension?). Pass np.asarray(pairs) for one diagram, or the list from persistence().")
    if _whole(dim, "dim") < 0 or dim >= len(dgms):
        raise ValueError(f"No dimension {dim} in these diagrams (dimensions 0..{len(dgms) - 1}); "
                         f"compute with maxdim >= {dim}.")
    return np.asarray(dgms[dim], dtype=float).reshape(-1, 2)


def bar_lengths(dgms, dim: int = 1) -> np.ndarray:
    """Lifetimes (death - birth) of the bars of one dimension, longest first (inf for infinite bars)."""
    d = _dgm(dgms, dim)
    return np.sort(d[:, 1] - d[:, 0])[::-1]


def circle_score(dgms, dim: int = 1) -> float:
    """Longest H1 bar / second longest (inf with one bar, 0 with none): one dominant loop if >= 3, which is
    not yet a circle (see :func:`circle_evidence`)."""
    life = bar_lengths(dgms, dim)
    if len(life) == 0:
        return 0.0
    return float("inf") if len(life) == 1 or life[1] <= 0 else float(life[0] / life[1])


def betti_curve(dgms, scales) -> np.ndarray:
    """Betti numbers at each scale (one number or a sequence): (len(scales), n_dims) ints, per dimension
    the number of bars with birth <= scale < death. Row 0 of ``betti_curve(d, 0.5)`` is (b0, b1, ...)."""
    scales = as_array(scales, "scales", ndim=(0, 1), axes="(n_scales,): distances", min_len=0).reshape(-1)
    D = [np.asarray(x, dtype=float).reshape(-1, 2) for x in dgms]
    return np.array([[int(((d[:, 0] <= t) & (d[:, 1] > t)).sum()) for d in D] for t in scales],
                    dtype=int).reshape(len(scales), len(D))


def sample_cloud(shape: str, n: int = 300, *, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """n points drawn uniformly in parameters from 'circle' (R^2; Betti 1, 1), 'sphere' (S^2 in R^3;
    1, 0, 1), 'torus' (flat, in R^4; 1, 2, 1 over every field) or 'klein' (in R^4; 1, 2, 1 over Z/2 and
    1, 1, 0 over Z/3), plus Gaussian ``noise`` of that std: (n, d)."""
    rng = np.random.default_rng(seed)
    n = int(n)
    u, v = rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n)
    if shape == "circle":
        P = np.stack([np.cos(u), np.sin(u)], 1)
    elif shape == "sphere":
        g = rng.normal(size=(n, 3))
        P = g / np.linalg.norm(g, axis=1, keepdims=True)
    elif shape == "torus":
        P = np.stack([np.cos(u), np.sin(u), np.cos(v), np.sin(v)], 1)
    elif shape == "klein":
        P = np.stack([(2 + np.cos(v)) * np.cos(u), (2 + np.cos(v)) * np.sin(u),
                      np.sin(v) * np.cos(u / 2), np.sin(v) * np.sin(u / 2)], 1)
    else:
        raise ValueError(f"shape={shape!r}: use 'circle', 'sphere', 'torus' or 'klein'.")
    return P + noise * rng.normal(size=P.shape) if noise else P


# ----------------------------------------------------------------------------------------------------
# Is it a circle? Evidence that a few clumps on a ring cannot fake
# ----------------------------------------------------------------------------------------------------
#: Thresholds of :func:`circle_evidence`, calibrated on :func:`circle_controls` (table in its docstring).
CIRCLE_MIN_DEATH_BIRTH, CIRCLE_MIN_COVERAGE, CIRCLE_MIN_IN_PLANE, CIRCLE_MIN_RATIO = 3.0, 0.9, 0.6, 3.0


@dataclass(frozen=True)
class CircleEvidence:
    """What :func:`circle_evidence` measured: ``ratio`` (longest / next H1 bar), ``death_birth`` (of the
    longest H1 bar; 1.0 with no bar), ``coverage`` in [0, 1] (``occupied`` of ``sectors`` sectors hold
    >= 1 % of the points), ``in_plane`` (median share of a centred point's norm in the plane),
    ``is_circle``, ``reason`` (one line), ``n_points``, ``n_landmarks`` (points persistence ran on),
    ``birth``, ``death`` of the longest H1 bar (input distance units; 0.0 with no bar)."""

    ratio: float
    death_birth: float
    coverage: float
    in_plane: float
    is_circle: bool
    reason: str
    occupied: int
    sectors: int
    n_points: int
    n_landmarks: int
    birth: float
    death: float

    def __str__(self) -> str:
        return (f"death/birth {self.death_birth:.2f}, longest/next {self.ratio:.2f}, "
                f"{self.occupied}/{self.sectors} sectors, in-plane {self.in_plane:.2f}: {self.reason}")


def plane_coordinates(X, plane=None, *, center=None) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates Y (N, 2) of the centred points X (N, d) in a plane, and share (N,) = |Y_i| / |x_i - c|
    (NaN for a point at the centre). plane: (2, d) rows spanning it (orthonormalized, the first row is 0
    degrees); None = the top two principal directions. center: (d,); None = the mean of X."""
    X = _cloud(X)
    n, d = X.shape
    c0 = X.mean(0) if center is None else np.asarray(center, dtype=float).reshape(-1)
    if c0.shape != (d,) or not np.isfinite(c0).all():
        raise ValueError(f"center must be a finite point of shape ({d},), got shape {c0.shape}.")
    Xc = X - c0
    if plane is None:
        if d < 2:
            raise ValueError(f"X has dimension {d}: a plane needs at least 2 coordinates.")
        Q = np.linalg.svd(Xc, full_matrices=False)[2][:2].T
    else:
        P = np.asarray(plane, dtype=float)
        if P.shape != (2, d) or not np.isfinite(P).all():
            raise ValueError(f"plane must be a finite (2, d) array whose rows span the plane, d = {d} (the "
                             f"cloud's dimension); got shape {P.shape}. For filters use filters.dct_basis()[:2].")
        u = P[0] / max(np.linalg.norm(P[0]), 1e-300)
        v = P[1] - (P[1] @ u) * u
        if np.linalg.norm(P[0]) < 1e-12 or np.linalg.norm(v) < 1e-9 * max(np.linalg.norm(P[1]), 1e-300):
            raise ValueError("plane: its two rows must be linearly independent (they span the plane).")
        Q = np.stack([u, v / np.linalg.norm(v)], 1)
    Y = Xc @ Q
    norm = np.linalg.norm(Xc, axis=1)
    ok = norm > 1e-12 * max(float(norm.max(initial=0.0)), 1e-300)
    share = np.full(n, np.nan)
    share[ok] = np.linalg.norm(Y[ok], axis=1) / norm[ok]
    return Y, share


def sector_counts(Y, sectors: int = 16) -> np.ndarray:
    """Points of Y (N, 2) per equal angular sector: (sectors,) ints. Sector j covers [(j - 1/2) w,
    (j + 1/2) w), w = 360 / sectors degrees; points at the origin are not counted."""
    Y, m = as_array(Y, "Y", axes="(N, 2): plane coordinates", min_len=0, finite=False), int(sectors)
    if Y.shape[1] != 2 or m < 4:
        raise ValueError(f"Y must be plane coordinates (N, 2) (got {Y.shape}) and sectors={sectors} at least 4 "
                         f"(equal angular sectors, e.g. 16 of 22.5 degrees).")
    Y, w = Y[np.isfinite(Y).all(1) & (np.abs(Y).sum(1) > 0)], 2 * np.pi / m
    return np.bincount(np.floor(np.mod(np.arctan2(Y[:, 1], Y[:, 0]) + w / 2, 2 * np.pi) / w).astype(int) % m,
                       minlength=m)


def circle_evidence(X, *, plane=None, sectors: int = 16, n_landmarks: int | None = 200,
                    center=None, seed: int = 0) -> CircleEvidence:
    """Is the point cloud X (N >= 10, d) a circle? Four numbers, each of which a fake circle fails:

    - ``ratio``, longest / next H1 bar (:func:`circle_score`): one dominant loop;
    - ``death_birth`` of the longest H1 bar (multiplicative persistence, Bobrowski, Kahle & Skraba 2017):
      a sampled circle's loop is born at the sampling gap and dies near sqrt(3) r; clumps on a ring make
      a loop born when neighbouring clumps connect (4 clumps on a unit ring: sqrt(2) -> 2, about 1.4;
      3 clumps: about 1);
    - ``coverage``: share of ``sectors`` equal angular sectors of ``plane`` (sector 0 centred on its first
      row) holding >= 1 % of the points (at least one): every direction present;
    - ``in_plane``: median share of each centred point's norm in the plane.

    plane: (2, d) rows spanning it (for normalized filters ``filters.dct_basis()[:2]``); None = the top
    two principal directions. center: origin of angles and norms, (d,); None = the mean. n_landmarks:
    persistence on that many maxmin landmarks (None = all; fewer landmarks, smaller death/birth).
    ``is_circle``: ratio >= 3, death_birth >= 3, coverage >= 0.9 and in_plane >= 0.6 (``CIRCLE_MIN_*``),
    calibrated on :func:`circle_controls` (240 points in R^9, noise 0.04, plane = first two coordinates;
    64 ideal filters in (e1, e2); seeds 0-2, measured 2026-12-01):

    ==========================  ===========  ============  =========  ========  ==========
    control                     death/birth  longest/next  sectors    in-plane  is_circle
    ==========================  ===========  ============  =========  ========  ==========
    uniform noisy circle        6.9 - 7.4    29 - 40       16/16      0.99      True
    64 ideal circle filters     18.0         inf (1 bar)   16/16      1.00      True
    4 clumps                    1.62 - 1.63  19 - 27 (!)   5-8/16     0.99      False
    3 clumps on a ring          1.07 - 1.11  3.3 - 4.9     5-6/16     0.99      False
    270 degree arc              1.14 - 1.17  4.9 - 6.9     13-14/16   0.99      False
    Gaussian blob               1.29 - 1.64  1.05 - 1.48   16/16      0.99      False
    240 random unit filters     1.43         1.06          16/16      0.44      False
    ==========================  ===========  ============  =========  ========  ==========

    Longest/next alone is fooled by clumps; death/birth separates every control by a factor of about 2
    either side of 3. The uniform circle passes from about 100 points (death/birth 3.6 - 5.3 at 100);
    with a few dozen even a true circle fails: compare a cloud only with controls of its size. Cost: one
    ripser H1 call on <= n_landmarks points (0.1 - 0.8 s for 200 points in R^9 on one core).
    """
    X = _cloud(X)
    n = len(X)
    if n < 10:
        raise ValueError(f"X has {n} points; circle_evidence needs at least 10 (a loop needs points all "
                         f"the way around it). Use a larger p in the density filtration.")
    Y, share = plane_coordinates(X, plane, center=center)
    in_plane = float(np.median(share[np.isfinite(share)])) if np.isfinite(share).any() else 0.0
    counts = sector_counts(Y, sectors)
    sectors, occupied = len(counts), int((counts >= max(1.0, 0.01 * n)).sum())
    coverage = occupied / sectors
    dg = persistence(X, maxdim=1, n_landmarks=n_landmarks, seed=seed)
    h1, ratio = dg[1], circle_score(dg)
    b, e = h1[np.argmax(h1[:, 1] - h1[:, 0])] if len(h1) else (0.0, 0.0)
    death_birth = (float(e / b) if b > 0 else float("inf")) if len(h1) else 1.0
    fails = [msg for bad, msg in [
        (ratio < CIRCLE_MIN_RATIO, f"no dominant loop (longest/next {ratio:.2f} < {CIRCLE_MIN_RATIO:g})"),
        (death_birth < CIRCLE_MIN_DEATH_BIRTH,
         f"loop born late (death/birth {death_birth:.2f} < {CIRCLE_MIN_DEATH_BIRTH:g})"),
        (coverage < CIRCLE_MIN_COVERAGE, f"gaps at {sectors - occupied} of {sectors} sectors"),
        (in_plane < CIRCLE_MIN_IN_PLANE, f"off the plane (in-plane {in_plane:.2f} < {CIRCLE_MIN_IN_PLANE:g})")]
        if bad]
    reason = ("circle: one dominant loop, born early, all around the plane" if not fails
              else "not a circle: " + "; ".join(fails))
    return CircleEvidence(ratio=float(ratio), death_birth=death_birth, coverage=float(coverage),
                          in_plane=in_plane, is_circle=not fails, reason=reason, occupied=occupied,
                          sectors=sectors, n_points=n, n_landmarks=n if dg.landmarks is None else len(dg.landmarks),
                          birth=float(b), death=float(e))


def circle_controls(n: int = 240, *, dim: int = 9, noise: float = 0.04, seed: int = 0) -> dict:
    """Control clouds for :func:`circle_evidence`: {name: (n, dim)}. Rings of radius 1 in the first two
    coordinates: 'uniform circle', '4 clumps' (0, 90, 180, 270 deg, angular std 0.08 rad), '3 clumps on a
    ring', '270° arc'; and a 'Gaussian blob' (std 0.5 in the first two). Gaussian ``noise`` on every
    coordinate. The first should read as a circle, the others not."""
    n, dim = int(n), int(dim)
    if n < 10 or dim < 2:
        raise ValueError(f"n={n}, dim={dim}: need n >= 10 points and dim >= 2 coordinates.")
    rng = np.random.default_rng(seed)
    ring = lambda a: np.c_[np.cos(a), np.sin(a), np.zeros((n, dim - 2))]                # noqa: E731
    clumps = lambda m: rng.integers(m, size=n) * 2 * np.pi / m + rng.normal(0, 0.08, n)  # noqa: E731
    blob = np.zeros((n, dim))
    blob[:, :2] = rng.normal(0, 0.5, (n, 2))
    out = {"uniform circle": ring(rng.uniform(0, 2 * np.pi, n)), "4 clumps": ring(clumps(4)),
           "3 clumps on a ring": ring(clumps(3)), "270° arc": ring(rng.uniform(0, 1.5 * np.pi, n)),
           "Gaussian blob": blob}
    return {k: v + noise * rng.normal(size=v.shape) for k, v in out.items()}
