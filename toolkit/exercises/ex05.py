"""Checkers of notebook 05_filter_topology: the primary circle, the density filtration, the circle score.

    from toolkit.exercises import ex05 as check
    check.q1(circle_filter)     # circle_filter(a) -> (3, 3) unit filter of the primary circle at angle a
    check.q2(density_filter)    # density_filter(F, k, p) -> the kept points of the density filtration X(k, p)
    check.q3(circle_score)      # circle_score(dgm1) -> longest H1 bar / second longest
    check.q4(prediction)        # judgement: "A".."D", what circle_evidence says about four clumps
"""
from __future__ import annotations

import numpy as np

from . import Exercise, Wrong, call_student, expect_array, expect_callable
from .. import filters, homology

__all__ = ["q1", "q2", "q3", "q4", "Q4_CHOICES"]


# ----------------------------------------------------------------------------------------------------
def _check_circle_filter(answer) -> None:
    fn = expect_callable(answer, "a function circle_filter(a)")
    x, y = filters.grid_xy()
    for a in (0.0, np.pi / 2, np.pi / 3, 2.0, -1.0, np.pi):
        got = expect_array(call_student(fn, float(a)), None, "a 3x3 filter")
        if got.size != 9:
            raise Wrong(f"circle_filter({a:.3f}) should be a 3x3 array (9 numbers), got shape {got.shape}.")
        got = got.reshape(3, 3)
        want = (x * np.cos(a) + y * np.sin(a)) / np.sqrt(6)
        if np.allclose(got, want, atol=1e-6):
            continue
        if abs(got.mean()) > 1e-6:
            raise Wrong(f"circle_filter({a:.3f}) has mean {got.mean():.4f}; the primary-circle filters are "
                        f"mean-zero (x and y each sum to 0 over the grid).")
        nrm = np.linalg.norm(got)
        if abs(nrm - 1) > 1e-6:
            hint = " (divide by sqrt(6): x cos a + y sin a has squared norm 6)" if abs(nrm - np.sqrt(6)) < 1e-4 else ""
            raise Wrong(f"circle_filter({a:.3f}) has L2 norm {nrm:.4f}, not 1{hint}.")
        if np.allclose(got, want.T, atol=1e-6):
            raise Wrong(f"circle_filter({a:.3f}) is the transpose of the expected filter: x varies along "
                        f"the columns (x = 1 - column), y along the rows (y = 1 - row).")
        if np.allclose(got, -want, atol=1e-6) or np.allclose(got[:, ::-1], want, atol=1e-6) or \
                np.allclose(got[::-1], want, atol=1e-6):
            raise Wrong(f"circle_filter({a:.3f}) has a sign flipped. Use the course's convention: "
                        f"x = filters.grid_xy()[0] is +1 on the LEFT column, y is +1 on the TOP row, "
                        f"so that circle_filter(a) = cos(a) e1 + sin(a) e2.")
        raise Wrong(f"circle_filter({a:.3f}) should be\n{np.round(want, 4)}\nbut is\n{np.round(got, 4)}.")


q1 = Exercise(
    "q1", _check_circle_filter,
    hint="""Get the grid with `x, y = filters.grid_xy()` (each 3x3, values -1, 0, 1). The filter is
    x cos(a) + y sin(a); its squared L2 norm on the grid is 6 for every a.""",
    solution="",
    success="Correct: that is W_a = cos(a) e1 + sin(a) e2, a unit vector on the primary circle.")


# ----------------------------------------------------------------------------------------------------
def _rows_as_set(A) -> set:
    return {tuple(np.round(r, 9)) for r in np.asarray(A, dtype=float)}


def _check_density(answer) -> None:
    fn = expect_callable(answer, "a function density_filter(F, k, p)")
    rng = np.random.default_rng(5)
    # a dense ring plus uniform noise in R^9: the filtration should keep the ring
    t = rng.uniform(0, 2 * np.pi, 300)
    ring = np.zeros((300, 9))
    ring[:, 0], ring[:, 1] = np.cos(t), np.sin(t)
    ring += 0.03 * rng.normal(size=ring.shape)
    F = np.concatenate([ring, rng.uniform(-1.5, 1.5, size=(200, 9))])
    for k, p in ((10, 0.3), (25, 0.5), (3, 0.1), (10, 1.0)):
        got = expect_array(call_student(fn, F.copy(), k, p), (None, 9), "the kept points")
        want = filters.density_filtration(F, k, p)
        if len(got) != len(want):
            raise Wrong(f"With N = {len(F)} points and p = {p} keep round(p * N) = {len(want)} points; "
                        f"you returned {len(got)}.")
        if _rows_as_set(got) == _rows_as_set(want):
            continue
        if not _rows_as_set(got) <= _rows_as_set(F):
            raise Wrong("Return rows of F itself (the kept points), not transformed points.")
        dens = filters.knn_density(F, k)
        where = {tuple(np.round(r, 9)): i for i, r in enumerate(F)}
        idx = [where[tuple(np.round(r, 9))] for r in got]
        if len(set(idx)) == len(idx) and dens[idx].max() <= np.sort(dens)[len(want) - 1] + 1e-12:
            continue                                       # the same up to ties at the cut-off
        sparse = F[np.argsort(filters.knn_density(F, k))[::-1][:len(want)]]
        if _rows_as_set(got) == _rows_as_set(sparse):
            raise Wrong("You kept the points with the LARGEST k-th neighbour distance: those are the sparse "
                        "outliers. Keep the smallest distances (the densest points).")
        if k > 1:
            off = filters.density_filtration(F, k - 1, p)
            if _rows_as_set(got) == _rows_as_set(off):
                raise Wrong("Off by one: the nearest neighbour of every point is the point itself (distance "
                            "0). The density is the distance to the k-th OTHER point, so ask "
                            "NearestNeighbors for k + 1 neighbours and take column k.")
        overlap = len(_rows_as_set(got) & _rows_as_set(want))
        raise Wrong(f"For k = {k}, p = {p}: only {overlap} of your {len(got)} points are among the "
                    f"{len(want)} densest (smallest distance to the k-th nearest other point).")


q2 = Exercise(
    "q2", _check_density,
    hint="""`NearestNeighbors(n_neighbors=k + 1).fit(F).kneighbors(F)` returns distances sorted per row;
    column 0 is the point itself (distance 0), so column k is the distance to the k-th other point.
    Keep the round(p * N) points with the smallest such distance (np.argsort).""",
    solution="",
    success="Correct: that is the density filtration X(k, p) of Carlsson et al.")


# ----------------------------------------------------------------------------------------------------
def _one_number(value, call: str) -> float:
    """The student's return value as one float; None, strings, booleans, NaN and arrays of several
    numbers are wrong answers (with a message), never silently converted."""
    if value is None:
        raise Wrong(f"{call} returned None: did you forget `return`?")
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise Wrong(f"{call} returned {value!r} ({type(value).__name__}); return a number (a float).")
    try:                                        # not expect_array: inf is a right answer here
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise Wrong(f"{call} returned a {type(value).__name__}; return a number (a float).") from None
    if v.size != 1:
        raise Wrong(f"{call} should return one number, got an array of shape {v.shape}.")
    v = float(v.reshape(-1)[0])
    if np.isnan(v):
        raise Wrong(f"{call} returned NaN; bar lengths are finite here, so the ratio is a number.")
    return v


def _close(v: float, want: float) -> bool:
    """Equal up to a relative tolerance that accepts float32 arithmetic (1e-5); inf only equals inf."""
    if np.isinf(want) or np.isinf(v):
        return v == want
    return abs(v - want) <= 1e-5 * max(abs(want), 1e-12)


def _check_score(answer) -> None:
    fn = expect_callable(answer, "a function circle_score(dgm1)")
    cases = [
        (np.array([[0.2, 1.2], [0.3, 0.5], [0.4, 0.45]]), 5.0),
        (np.array([[0.3, 0.5], [0.1, 0.2], [0.2, 1.2]]), 5.0),       # unsorted
        (np.array([[0.9, 1.3], [0.0, 0.6]]), 1.5),                   # latest death is not the longest
        (np.array([[0.1, 0.7]]), float("inf")),
        (np.zeros((0, 2)), 0.0),
    ]
    for dgm, want in cases:
        v = _one_number(call_student(fn, dgm.copy()), f"circle_score({dgm.tolist()})")
        if _close(v, want):
            continue
        life = dgm[:, 1] - dgm[:, 0]
        if len(dgm) >= 2 and _close(v, np.sort(dgm[:, 1])[-1] / np.sort(dgm[:, 1])[-2]):
            raise Wrong("You compared death times; compare bar LENGTHS (death - birth).")
        if len(dgm) == 1:
            raise Wrong(f"With a single H1 bar there is no second bar: return float('inf') (got {v}).")
        if len(dgm) == 0:
            raise Wrong(f"With no H1 bar at all there is no circle: return 0.0 (got {v}).")
        raise Wrong(f"For the bars {dgm.tolist()} (lengths {np.round(life, 3).tolist()}) the score is "
                    f"{want}, you returned {v}. Sort the lengths in decreasing order first.")
    d = homology.persistence(homology.sample_cloud("circle", 80, noise=0.05, seed=1))
    want = homology.circle_score(d[1])
    v = _one_number(call_student(fn, d[1].copy()), "circle_score(H1 diagram of a noisy circle)")
    if not _close(v, want):
        raise Wrong(f"On the H1 diagram of a noisy circle ({len(d[1])} bars) you returned {v}, expected "
                    f"{want:.4f}.")


q3 = Exercise(
    "q3", _check_score,
    hint="""Bar lengths are dgm1[:, 1] - dgm1[:, 0]; sort them in decreasing order and divide the first
    by the second. Handle 0 bars (return 0.0) and 1 bar (return float('inf')).""",
    solution="",
    success="Correct: one H1 bar at least 3x longer than the next is what this course calls one clear circle.")


# ----------------------------------------------------------------------------------------------------
#: The choices of the judgement exercise q4 (four clumps of filters at 0, 90, 180 and 270 degrees).
Q4_CHOICES = {
    "A": "a circle: one dominant loop (longest/next >= 3), born early (death/birth >= 3), all 16 sectors",
    "B": "not a circle: one dominant loop (longest/next >= 3), but born late (death/birth < 2) and with "
         "empty sectors",
    "C": "not a circle: no dominant loop (longest/next < 2) and born late (death/birth < 2)",
    "D": "not a circle: no H1 bar at all (longest/next = 0)",
}

_Q4_WHY = {
    "A": "Where is the loop of four clumps born? Only when neighbouring clumps connect: a chord of "
         "sqrt(2) on the unit ring. It dies when opposite clumps connect (2), so death/birth is about "
         "sqrt(2), far below 3; and most of the 16 sectors between the clumps hold no point.",
    "C": "Four clumps on a ring DO have one dominant loop: once neighbouring clumps connect, the square's "
         "hole lives until the diagonals connect, while every other loop (inside a clump) is tiny. That "
         "is exactly why longest/next alone is fooled by clumps.",
    "D": "The clumps, once connected to their neighbours, enclose a hole (a square) that persists from "
         "the side length to the diagonal: there is an H1 bar, and a long one.",
}


def _check_clumps(answer) -> None:
    if answer is None:
        raise Wrong("prediction is None: set it to one of 'A', 'B', 'C', 'D' before running the cell.")
    if not isinstance(answer, str):
        raise Wrong(f"prediction should be a letter as a string ('A', 'B', 'C' or 'D'), got "
                    f"{type(answer).__name__}.")
    key = answer.strip().upper().rstrip(").").lstrip("(")
    if key not in Q4_CHOICES:
        raise Wrong(f"prediction={answer!r} is not one of the choices 'A', 'B', 'C', 'D'.")
    if key != "B":
        raise Wrong(f"You chose {key}: {Q4_CHOICES[key]}. {_Q4_WHY[key]}")


q4 = Exercise(
    "q4", _check_clumps,
    hint="""Think of four points at the corners of a square inscribed in the unit circle. At which scale do
    the first edges (between neighbours) appear and close a loop? At which scale do the diagonals appear
    and fill it? The ratio of the two is death/birth. Then count how many of 16 sectors of 22.5 degrees
    contain a corner.""",
    solution="",
    success="Correct: the ratio longest/next is fooled by clumps; death/birth (about sqrt 2) and the empty "
            "sectors are not. Run the next cell to see the measured numbers.")
