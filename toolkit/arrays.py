"""The toolkit's one way to check user input: arrays, tensors or lists -> a checked NumPy copy.

Every public function that takes points, weights, activations or labels passes them through
:func:`as_array` or :func:`as_labels`, so a wrong shape, NaN or a non-numeric input always gets the same
kind of clear error, naming the argument and saying what to do.
"""
from __future__ import annotations

import numpy as np

__all__ = ["as_array", "as_labels"]


def _numpy(x):
    if hasattr(x, "detach"):  # a torch tensor, on any device
        x = x.detach().cpu().numpy()
    return x


def as_array(x, name: str = "X", *, ndim: int | tuple[int, ...] = 2, axes: str = "(N points, D features)",
             min_len: int = 1, finite: bool = True, dtype=np.float64) -> np.ndarray:
    """A checked copy of ``x`` (NumPy array, torch tensor or nested list) as a ``dtype`` array.

    ndim: the allowed number of dimensions (an int or a tuple of ints). axes: the meaning of the axes,
    used in messages, e.g. "(n_out, n_in)". min_len: the least number of entries along axis 0.
    finite: reject NaN and inf. Raises TypeError for non-numbers and ValueError naming ``name`` otherwise.
    """
    x = _numpy(x)
    try:
        a = np.array(x, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers {axes}; got {type(x).__name__}.") from None
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
        raise ValueError(f"{name} needs at least {min_len} entries along its first axis {axes} and no "
                         f"empty axis; got shape {a.shape}.")
    if finite and np.issubdtype(a.dtype, np.inexact) and not np.isfinite(a).all():
        bad = ~np.isfinite(a)
        rows = np.unique(np.nonzero(bad)[0]) if a.ndim else np.array([0])
        raise ValueError(f"{name} (shape {a.shape}) contains {int(bad.sum())} NaN or infinite values (in "
                         f"{len(rows)} rows, e.g. row {int(rows[0])}): a diverged net or a bad input. "
                         f"Retrain or reload it, or drop those rows: x[np.isfinite(x).all(axis=1)].")
    return a


def as_labels(labels, n: int | None = None, name: str = "labels", *, unclustered: bool = False) -> np.ndarray:
    """Class indices as an int64 vector (N,), all >= 0; ``n``: the required length (None = any).

    unclustered=True: cluster labels, where -1 marks a point in no cluster (Mapper, DBSCAN).

    Floats are accepted when they are whole numbers (e.g. labels read from a CSV); NaN, fractions, negative
    values, a wrong length or a matrix raise ValueError naming ``name``.
    """
    lab = np.asarray(_numpy(labels))
    if lab.ndim != 1:
        raise ValueError(f"{name} must be a vector (N,) of class indices; got shape {lab.shape}.")
    if n is not None and len(lab) != n:
        raise ValueError(f"{name} has {len(lab)} entries but {n} are needed (one per point).")
    if lab.size and not (np.issubdtype(lab.dtype, np.integer) or np.issubdtype(lab.dtype, np.floating)
                         or lab.dtype == bool):
        raise TypeError(f"{name} must be whole class indices; got dtype {lab.dtype}.")
    if lab.size and np.issubdtype(lab.dtype, np.floating):
        if not np.isfinite(lab).all() or not np.all(lab == np.round(lab)):
            raise ValueError(f"{name} must be whole class indices (got NaN or fractions).")
    lab = lab.astype(np.int64)
    low = -1 if unclustered else 0
    if lab.size and lab.min() < low:
        what = "cluster labels >= 0, and -1 for unclustered" if unclustered else "class indices >= 0"
        raise ValueError(f"{name} must be {what}; found {lab.min()}.")
    return lab
