"""The toolkit's one way to check user input: arrays, tensors or lists -> a checked NumPy copy.

Every public function that takes points, weights, activations or labels passes them through
:func:`as_array` or :func:`as_labels`, every count, size,
index or seed through :func:`as_count`, and every probability, fraction or level through
:func:`as_fraction`, so a wrong shape, NaN, a fraction where a count belongs or a non-numeric input
always gets the same kind of clear error, naming the argument and saying what to do.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from collections.abc import Mapping

__all__ = ["as_array", "as_labels", "as_membership", "as_count", "as_fraction"]


def as_count(v, name: str, minimum: int | None = 1, maximum: int | None = None) -> int:
    """``v`` as a Python int in [``minimum``, ``maximum``] (None = no bound): the one count check.

    Accepted: ints, NumPy integers, one-element integer tensors, and floats that are whole numbers
    (10.0, as a slider gives). Refused with TypeError: bool (True is not a count), text, None, other
    objects; with ValueError: fractions (2.5 is never truncated), NaN or infinity, and values out of
    range. Every message names ``name``.
    """
    if hasattr(v, "detach") and getattr(v, "numel", lambda: 0)() == 1:
        v = (
            v.detach().cpu().item()
        )  # a one-element tensor -> Python scalar (a bool tensor stays bool)
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    bounds = (f" >= {minimum}" if minimum is not None else "") + (
        f" and <= {maximum}" if maximum is not None else ""
    )
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be a whole number{bounds}; got {v!r} (a bool, not a count).")
    if isinstance(v, numbers.Integral):
        n = int(v)
    elif isinstance(v, numbers.Real):
        f = float(v)
        if math.isfinite(f) and abs(f) >= 2.0**53:
            raise ValueError(
                f"{name} must be a whole number{bounds}; got {v!r}, too large to be an exact count."
            )
        if not math.isfinite(f) or f != math.floor(f):
            raise ValueError(
                f"{name} must be a whole number{bounds}; got {v!r}. Counts are not rounded: "
                f"pass e.g. {max(int(f), minimum or 0) if math.isfinite(f) else 10}."
            )
        n = int(f)
    else:
        raise TypeError(f"{name} must be a whole number{bounds}; got {v!r} ({type(v).__name__}).")
    if (minimum is not None and n < minimum) or (maximum is not None and n > maximum):
        raise ValueError(f"{name} must be a whole number{bounds}; got {n}.")
    return n


def as_fraction(
    v, name: str, lo: float = 0.0, hi: float = 1.0, *, open_lo: bool = False, open_hi: bool = False
) -> float:
    """``v`` as a finite Python float in [lo, hi] (``open_lo``/``open_hi``: that end excluded).

    For probabilities, levels, thresholds and shares. A percentage passed for a fraction (95 for
    0.95) falls outside [0, 1] and is refused. TypeError for bool, text or None; ValueError for NaN,
    infinity or a value out of range, naming ``name``.
    """
    if hasattr(v, "detach") and getattr(v, "numel", lambda: 0)() == 1:
        v = v.detach().cpu().item()
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(
            f"{name} must be a number in {'(' if open_lo else '['}{lo:g}, "
            f"{hi:g}{')' if open_hi else ']'}; "
            f"got {v!r} ({type(v).__name__})."
        )
    f = float(v)
    below = f <= lo if open_lo else f < lo
    above = f >= hi if open_hi else f > hi
    if not math.isfinite(f) or below or above:
        hint = (
            " (a fraction, not a percentage: 0.95, not 95)"
            if hi == 1.0 and math.isfinite(f) and f > 1
            else ""
        )
        raise ValueError(
            f"{name} must be in {'(' if open_lo else '['}{lo:g}, {hi:g}{')' if open_hi else ']'}"
            f"{hint}; got {v!r}."
        )
    return f


def _numpy(x):
    if hasattr(x, "detach"):  # a torch tensor, on any device
        x = x.detach().cpu().numpy()
    return x


def as_array(
    x,
    name: str = "X",
    *,
    ndim: int | tuple[int, ...] = 2,
    axes: str = "(N points, D features)",
    min_len: int = 1,
    finite: bool = True,
    dtype=np.float64,
) -> np.ndarray:
    """A checked copy of ``x`` (NumPy array, torch tensor or nested list) as a ``dtype`` array.

    ndim: the allowed number of dimensions (an int or a tuple of ints). axes: the meaning of the
    axes, used in messages, e.g. "(n_out, n_in)". min_len: the least number of entries along axis 0.
    finite: reject NaN and inf. Raises TypeError for non-numbers and ValueError naming ``name``
    otherwise.
    """
    x = _numpy(x)
    if np.iscomplexobj(x) and not np.issubdtype(dtype, np.complexfloating):
        raise TypeError(
            f"{name} must hold real numbers {axes}; got complex values. Pass x.real, x.imag or "
            f"np.abs(x), whichever you mean (the imaginary part is never dropped silently)."
        )
    try:
        a = np.array(x, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be an array of numbers {axes}; got {type(x).__name__}."
        ) from None
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if a.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        fix = ""
        if 2 in allowed and a.ndim == 1:
            fix = " For one feature per point use x.reshape(-1, 1)."
        elif a.ndim > max(allowed):
            fix = " Flatten the trailing axes first: x.reshape(len(x), -1)."
        raise ValueError(f"{name} must be {want} {axes}; got shape {a.shape}.{fix}")
    n = len(a) if a.ndim else 0
    if n < min_len or (a.ndim >= 2 and 0 in a.shape[1:]):
        raise ValueError(
            f"{name} needs at least {min_len} entries along its first axis {axes} and no "
            f"empty axis; got shape {a.shape}."
        )
    if finite and np.issubdtype(a.dtype, np.inexact) and not np.isfinite(a).all():
        bad = ~np.isfinite(a)
        rows = np.unique(np.nonzero(bad)[0]) if a.ndim else np.array([0])
        raise ValueError(
            f"{name} (shape {a.shape}) contains {int(bad.sum())} NaN or infinite values (in "
            f"{len(rows)} rows, e.g. row {int(rows[0])}): a diverged net or a bad input. "
            f"Retrain or reload it, or drop those rows: x[np.isfinite(x).all(axis=1)]."
        )
    return a


def as_labels(
    labels, n: int | None = None, name: str = "labels", *, unclustered: bool = False
) -> np.ndarray:
    """Class indices as an int64 vector (N,), all >= 0; ``n``: the required length (None = any).

    unclustered=True: cluster labels, where -1 marks a point in no cluster (Mapper, DBSCAN).

    Floats are accepted when they are whole numbers (e.g. labels read from a CSV); NaN, fractions,
    negative values, a wrong length or a matrix raise ValueError naming ``name``.
    """
    lab = np.asarray(_numpy(labels))
    if lab.ndim != 1:
        raise ValueError(f"{name} must be a vector (N,) of class indices; got shape {lab.shape}.")
    if n is not None and len(lab) != n:
        raise ValueError(f"{name} has {len(lab)} entries but {n} are needed (one per point).")
    if lab.size and not (
        np.issubdtype(lab.dtype, np.integer)
        or np.issubdtype(lab.dtype, np.floating)
        or lab.dtype == bool
    ):
        raise TypeError(f"{name} must be whole class indices; got dtype {lab.dtype}.")
    if lab.size and np.issubdtype(lab.dtype, np.floating):
        if not np.isfinite(lab).all() or not np.all(lab == np.round(lab)):
            raise ValueError(f"{name} must be whole class indices (got NaN or fractions).")
    lab = lab.astype(np.int64)
    low = -1 if unclustered else 0
    if lab.size and lab.min() < low:
        what = (
            "cluster labels >= 0, and -1 for unclustered" if unclustered else "class indices >= 0"
        )
        raise ValueError(f"{name} must be {what}; found {lab.min()}.")
    return lab


def as_membership(clusters, n: int | None = None) -> dict:
    """``{cluster id: sorted index array}`` from a label vector (N,) (-1 = no cluster, left out), a
    dict ``{id: indices}`` or a list of index arrays (ids 0..C-1; overlap allowed, e.g. Mapper node
    members). n: the number of points. An empty cluster, a length mismatch, an index out of range, a
    fraction (2.5), a bool or a negative index (-1 would silently mean the last point) raise
    ValueError."""
    if not isinstance(clusters, Mapping) and not (
        isinstance(clusters, (list, tuple))
        and clusters
        and all(isinstance(c, (list, tuple, np.ndarray, range)) for c in clusters)
    ):
        lab = as_labels(clusters, name="clusters", unclustered=True)
        if n is not None and len(lab) != n:
            raise ValueError(
                f"The cluster label vector has {len(lab)} entries but there are {n} "
                f"points; they must match one to one."
            )
        clusters = {int(c): np.flatnonzero(lab == c) for c in np.unique(lab[lab >= 0])}
    out = {}
    for cid, idx in clusters.items() if isinstance(clusters, Mapping) else enumerate(clusters):
        raw = np.asarray(_numpy(idx)).ravel()
        if raw.size and (
            raw.dtype == bool
            or not np.issubdtype(raw.dtype, np.number)
            or not np.all(np.isfinite(raw))
            or np.any(raw != np.round(raw))
            or raw.min() < 0
        ):
            raise ValueError(
                f"Cluster {cid!r} must hold point indices, whole numbers >= 0; got e.g. "
                f"{raw[0]!r} (dtype {raw.dtype}). -1 means 'no cluster' only in a label vector."
            )
        idx = np.unique(raw.astype(np.int64))
        if idx.size == 0:
            raise ValueError(f"Cluster {cid!r} is empty; drop empty clusters first.")
        if n is not None and idx[-1] >= n:
            raise ValueError(
                f"Cluster {cid!r} holds index {idx[-1]} but there are only {n} points."
            )
        out[cid] = idx
    if not out:
        raise ValueError("There are no clusters (every point has label -1, or the list is empty).")
    return out
