"""Statistics primitives for verdicts read from intervals over seeds (one value per independently trained net).

:func:`mean_se` (mean and standard error), :func:`bootstrap_ci` (percentile bootstrap interval of a statistic),
:func:`diff_ci` (difference of means b - a with a bootstrap interval, paired or not), :func:`permutation_test`
(difference of means, exact when small), :func:`interval_sign` (+1 / -1 / 0: the interval lies above, below or
covers a value). Intervals are for the *mean*, never standard deviations of n = 3 as error bars; the verdict
(evidence for / against / inconclusive) is written in the notebook, from the interval.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .arrays import as_array

__all__ = ["mean_se", "bootstrap_ci", "diff_ci", "DiffCI", "permutation_test", "interval_sign"]


def _sample(x, name: str, *, min_n: int = 1) -> np.ndarray:
    """A 1-D finite float array (n,) of at least ``min_n`` values (one per seed), or an error naming ``name``."""
    return as_array(x, name, ndim=1, axes="(one value per seed)", min_len=min_n)


def _check(level: float, n_boot: int) -> float:
    if not (0.0 < float(level) < 1.0):
        raise ValueError(f"level must be in (0, 1), e.g. 0.95; got {level}")
    if n_boot < 100:
        raise ValueError(f"n_boot must be at least 100; got {n_boot}")
    return float(level)


def _percentiles(boots: np.ndarray, level: float) -> tuple[float, float]:
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(boots, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def mean_se(x) -> tuple[float, float]:
    """Mean and standard error of the mean of per-seed values ``x`` (n,): (mean, SD/sqrt(n)); SE NaN for n = 1."""
    a = _sample(x, "x")
    se = a.std(ddof=1) / math.sqrt(a.size) if a.size > 1 else float("nan")
    return float(a.mean()), float(se)


def bootstrap_ci(x, stat: Callable[[np.ndarray], float] = np.mean, *, n_boot: int = 10_000,
                 level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval (lo, hi) of ``stat`` of the sample ``x`` (n,), resampled with replacement.

    ``stat`` maps a resample (n,) to a number (default: the mean). Local generator (the global NumPy state is
    untouched). With n = 1 the interval is the single value (no information on spread).
    """
    a = _sample(x, "x")
    level = _check(level, n_boot)
    idx = np.random.default_rng(seed).integers(0, a.size, size=(n_boot, a.size))
    boots = a[idx].mean(axis=1) if stat is np.mean else np.array([stat(a[i]) for i in idx], dtype=float)
    return _percentiles(boots, level)


@dataclass(frozen=True)
class DiffCI:
    """Difference of means ``diff = mean(b) - mean(a)`` with its bootstrap interval [lo, hi] at ``level``."""

    diff: float
    lo: float
    hi: float
    n_a: int
    n_b: int
    level: float = 0.95

    def __str__(self) -> str:
        pct = round(100 * self.level)
        return f"{self.diff:+.3f} [{pct}% CI {self.lo:+.3f}, {self.hi:+.3f}] (n = {self.n_a} vs {self.n_b})"


def diff_ci(a, b, *, n_boot: int = 10_000, level: float = 0.95, seed: int = 0, paired: bool = False) -> DiffCI:
    """Difference of means of two groups of per-seed values, ``mean(b) - mean(a)``, with a bootstrap interval.

    a: (n_a,), b: (n_b,) -- one value per independently trained net (seed). Each group is resampled
    independently (``paired=False``), or the per-seed differences ``b - a`` are resampled (``paired=True``:
    a and b must have the same length, entry i of both from the same seed). Needs at least 2 values per
    group. Local generator; the global NumPy state is untouched.
    """
    a, b = _sample(a, "a", min_n=2), _sample(b, "b", min_n=2)
    level = _check(level, n_boot)
    rng = np.random.default_rng(seed)
    if paired:
        if a.size != b.size:
            raise ValueError(f"paired=True needs a and b of the same length; got {a.size} and {b.size}")
        d = b - a
        boots = d[rng.integers(0, d.size, size=(n_boot, d.size))].mean(axis=1)
    else:
        boots = (b[rng.integers(0, b.size, size=(n_boot, b.size))].mean(axis=1)
                 - a[rng.integers(0, a.size, size=(n_boot, a.size))].mean(axis=1))
    return DiffCI(float(b.mean() - a.mean()), *_percentiles(boots, level), int(a.size), int(b.size), level)


def permutation_test(a, b, *, n_perm: int = 10_000, seed: int = 0, alternative: str = "two-sided") -> float:
    """p-value of a two-sample permutation test of ``mean(b) - mean(a)`` over seeds.

    Exact (all relabelings) when there are at most 20,000 of them, else ``n_perm`` random relabelings with
    the +1 correction. ``alternative``: "two-sided", "greater" (b > a) or "less" (b < a).
    """
    a, b = _sample(a, "a"), _sample(b, "b")
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less'; got {alternative!r}")
    pooled = np.concatenate([a, b])
    n, nb = pooled.size, b.size
    observed = b.mean() - a.mean()

    def stat(b_mask_idx: np.ndarray) -> np.ndarray:
        # b_mask_idx: (m, nb) indices of the pooled values relabelled as group b
        sb = pooled[b_mask_idx].sum(axis=1)
        return sb / nb - (pooled.sum() - sb) / (n - nb)

    if math.comb(n, nb) <= 20_000:   # exact: every relabeling
        null, extra = stat(np.array(list(itertools.combinations(range(n), nb)))), 0
    else:
        null, extra = stat(np.argsort(np.random.default_rng(seed).random((n_perm, n)), axis=1)[:, :nb]), 1
    eps = 1e-12 * max(1.0, abs(observed))
    if alternative == "two-sided":
        hits = np.sum(np.abs(null) >= abs(observed) - eps)
    elif alternative == "greater":
        hits = np.sum(null >= observed - eps)
    else:
        hits = np.sum(null <= observed + eps)
    return float((hits + extra) / (null.size + extra))


def interval_sign(lo: float, hi: float, value: float = 0.0) -> int:
    """+1 if the interval [lo, hi] lies entirely above ``value``, -1 if entirely below, 0 if it covers it."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"interval bounds must be finite; got [{lo}, {hi}]")
    if lo > hi:
        raise ValueError(f"lo must be <= hi; got [{lo}, {hi}]")
    if lo > value:
        return 1
    if hi < value:
        return -1
    return 0
