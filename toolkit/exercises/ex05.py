"""Checkers of notebook 05_filter_topology: the primary circle, the density filtration, the circle
score.

from toolkit.exercises import ex05 as check
check.q1(circle_filter)     # circle_filter(a) -> (3, 3) unit filter of the primary circle at
                            # angle a
check.q2(density_filter)    # density_filter(F, k, p) -> the kept points of the density filtration
                            # X(k, p)
check.q3(circle_score)      # circle_score(dgm1) -> longest H1 bar / second longest
check.q4(prediction)        # judgement: "A".."D", what circle_evidence says about four clumps
"""

from __future__ import annotations

import numpy as np

from . import (
    Exercise,
    Wrong,
    call_student,
    expect_array,
    expect_callable,
    parse_letter,
    sealed_verdict,
)
from .. import filters, homology

__all__ = ["q1", "q2", "q3", "q4", "Q4_CHOICES"]


# --------------------------------------------------------------------------------------------------
def _check_circle_filter(answer) -> None:
    fn = expect_callable(answer, "a function circle_filter(a)")
    x, y = filters.grid_xy()
    for a in (0.0, np.pi / 2, np.pi / 3, 2.0, -1.0, np.pi):
        got = expect_array(call_student(fn, float(a)), None, "a 3x3 filter")
        if got.size != 9:
            raise Wrong(
                f"circle_filter({a:.3f}) should be a 3x3 array (9 numbers), got shape {got.shape}."
            )
        got = got.reshape(3, 3)
        want = (x * np.cos(a) + y * np.sin(a)) / np.sqrt(6)
        if np.allclose(got, want, atol=1e-6):
            continue
        if abs(got.mean()) > 1e-6:
            raise Wrong(
                f"circle_filter({a:.3f}) has mean {got.mean():.4f}; the primary-circle filters are "
                f"mean-zero (x and y each sum to 0 over the grid)."
            )
        nrm = np.linalg.norm(got)
        if abs(nrm - 1) > 1e-6:
            hint = (
                " (divide by sqrt(6): x cos a + y sin a has squared norm 6)"
                if abs(nrm - np.sqrt(6)) < 1e-4
                else ""
            )
            raise Wrong(f"circle_filter({a:.3f}) has L2 norm {nrm:.4f}, not 1{hint}.")
        if np.allclose(got, want.T, atol=1e-6):
            raise Wrong(
                f"circle_filter({a:.3f}) is the transpose of the expected filter: x varies along "
                f"the columns (x = 1 - column), y along the rows (y = 1 - row)."
            )
        if (
            np.allclose(got, -want, atol=1e-6)
            or np.allclose(got[:, ::-1], want, atol=1e-6)
            or np.allclose(got[::-1], want, atol=1e-6)
        ):
            raise Wrong(
                f"circle_filter({a:.3f}) has a sign flipped. Use the course's convention: "
                f"x = filters.grid_xy()[0] is +1 on the LEFT column, y is +1 on the TOP row, "
                f"so that circle_filter(a) = cos(a) e1 + sin(a) e2."
            )
        raise Wrong(
            f"circle_filter({a:.3f}) should be\n{np.round(want, 4)}\nbut is\n{np.round(got, 4)}."
        )


q1 = Exercise(
    "q1",
    _check_circle_filter,
    forbid=lambda: [filters.primary_circle_filters],
    hint="""Get the grid with `x, y = filters.grid_xy()` (each 3x3, values -1, 0, 1). The filter is
    x cos(a) + y sin(a); its squared L2 norm on the grid is 6 for every a.""",
    solution="",
    success="Correct: that is W_a = cos(a) e1 + sin(a) e2, a unit vector on the primary circle.",
)


# --------------------------------------------------------------------------------------------------
def _row_index(got, F) -> np.ndarray | None:
    """For each returned row the index of the row of F it is (up to float32 rounding), or None if
    some returned row is no row of F."""
    from scipy.spatial import cKDTree

    d, idx = cKDTree(F).query(got)
    scale = max(float(np.abs(F).max()), 1.0)
    return None if np.any(d > 1e-5 * scale) else idx


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
        dens = filters.knn_density(F, k)
        n_keep = len(filters.density_filtration(F, k, p))
        if len(got) != n_keep:
            raise Wrong(
                f"With N = {len(F)} points and p = {p} keep round(p * N) = {n_keep} points; "
                f"you returned {len(got)}."
            )
        idx = _row_index(got, F)
        if idx is None:
            raise Wrong("Return rows of F itself (the kept points), not transformed points.")
        if len(set(idx.tolist())) != len(idx):
            raise Wrong("Some of your rows repeat: keep each point once.")
        cut = np.sort(dens)[n_keep - 1]
        if dens[idx].max() <= cut * (1 + 1e-6) + 1e-12:
            continue  # the densest points, up to ties at the cut-off
        sparse = set(np.argsort(dens)[::-1][:n_keep].tolist())
        if set(idx.tolist()) == sparse:
            raise Wrong(
                "You kept the points with the LARGEST k-th neighbour distance: those are the "
                "sparse "
                "outliers. Keep the smallest distances (the densest points)."
            )
        if k > 1:
            off = filters.knn_density(F, k - 1)
            if off[idx].max() <= np.sort(off)[n_keep - 1] * (1 + 1e-6) + 1e-12:
                raise Wrong(
                    "Off by one: the nearest neighbour of every point is the point itself "
                    "(distance "
                    "0). The density is the distance to the k-th OTHER point, so ask "
                    "NearestNeighbors for k + 1 neighbours and take column k."
                )
        overlap = int(np.sum(dens[idx] <= cut * (1 + 1e-6) + 1e-12))
        raise Wrong(
            f"For k = {k}, p = {p}: only {overlap} of your {len(got)} points are among the "
            f"{n_keep} densest (smallest distance to the k-th nearest other point)."
        )


q2 = Exercise(
    "q2",
    _check_density,
    forbid=lambda: [filters.density_filtration, filters.knn_density],
    hint="""`NearestNeighbors(n_neighbors=k + 1).fit(F).kneighbors(F)` returns distances sorted per
         row;
    column 0 is the point itself (distance 0), so column k is the distance to the k-th other point.
    Keep the round(p * N) points with the smallest such distance (np.argsort).""",
    solution="",
    success="Correct: that is the density filtration X(k, p) of Carlsson et al.",
)


# --------------------------------------------------------------------------------------------------
def _one_number(value, call: str) -> float:
    """The student's return value as one float; None, strings, booleans, NaN and arrays of several
    numbers are wrong answers (with a message), never silently converted."""
    if value is None:
        raise Wrong(f"{call} returned None: did you forget `return`?")
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise Wrong(
            f"{call} returned {value!r} ({type(value).__name__}); return a number (a float)."
        )
    try:  # not expect_array: inf is a right answer here
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise Wrong(
            f"{call} returned a {type(value).__name__}; return a number (a float)."
        ) from None
    if v.size != 1:
        raise Wrong(f"{call} should return one number, got an array of shape {v.shape}.")
    v = float(v.reshape(-1)[0])
    if np.isnan(v):
        raise Wrong(f"{call} returned NaN; bar lengths are finite here, so the ratio is a number.")
    return v


def _close(v: float, want: float) -> bool:
    """Equal up to a relative tolerance that accepts float32 arithmetic (1e-4); inf only equals
    inf."""
    if np.isinf(want) or np.isinf(v):
        return v == want
    return abs(v - want) <= 1e-4 * max(abs(want), 1e-12)


def _check_score(answer) -> None:
    fn = expect_callable(answer, "a function circle_score(dgm1)")
    cases = [
        (np.array([[0.2, 1.2], [0.3, 0.5], [0.4, 0.45]]), 5.0),
        (np.array([[0.3, 0.5], [0.1, 0.2], [0.2, 1.2]]), 5.0),  # unsorted
        (np.array([[0.9, 1.3], [0.0, 0.6]]), 1.5),  # latest death is not the longest
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
            raise Wrong(
                f"With a single H1 bar there is no second bar: return float('inf') (got {v})."
            )
        if len(dgm) == 0:
            raise Wrong(f"With no H1 bar at all there is no circle: return 0.0 (got {v}).")
        raise Wrong(
            f"For the bars {dgm.tolist()} (lengths {np.round(life, 3).tolist()}) the score is "
            f"{want}, you returned {v}. Sort the lengths in decreasing order first."
        )
    d = homology.persistence(homology.sample_cloud("circle", 80, noise=0.05, seed=1))
    want = homology.circle_score(d[1])
    v = _one_number(call_student(fn, d[1].copy()), "circle_score(H1 diagram of a noisy circle)")
    if not _close(v, want):
        raise Wrong(
            f"On the H1 diagram of a noisy circle ({len(d[1])} bars) you returned {v}, expected "
            f"{want:.4f}."
        )


q3 = Exercise(
    "q3",
    _check_score,
    forbid=lambda: [homology.circle_score],
    hint="""Bar lengths are dgm1[:, 1] - dgm1[:, 0]; sort them in decreasing order and divide the
         first
    by the second. Handle 0 bars (return 0.0) and 1 bar (return float('inf')).""",
    solution="",
    success="Correct: one H1 bar at least 3x longer than the next is what this course calls one "
    "clear circle.",
)


# --------------------------------------------------------------------------------------------------
#: The choices of the judgement exercise q4 (four clumps of filters at 0, 90, 180 and 270 degrees).
Q4_CHOICES = {
    "A": "a circle: one dominant loop (longest/next >= 3), born early (death/birth >= 2.5 in the "
    "circle's "
    "plane), all 16 sectors",
    "B": "not a circle: one dominant loop (longest/next >= 3), but born late (death/birth < 2) and "
    "with "
    "empty sectors",
    "C": "not a circle: no dominant loop (longest/next < 2) and born late (death/birth < 2)",
    "D": "not a circle: no H1 bar at all (longest/next = 0)",
}


def _check_clumps(answer):
    key = parse_letter(answer, Q4_CHOICES, "prediction").upper()
    ok, why = sealed_verdict(_SEALED["ex05.q4"], "ex05.q4", key)
    if not ok:
        raise Wrong(f"You chose {key}: {Q4_CHOICES[key]}. {why}")
    return why


q4 = Exercise(
    "q4",
    _check_clumps,
    hint="""
    Think of four points at the corners of a square inscribed in the unit circle. At which scale do
    the first edges (between neighbours) appear and close a loop? At which scale do the diagonals
    appear and fill it? The ratio of the two is death/birth. Then count how many of 16 sectors of
    22.5 degrees contain a corner.
    """,
    solution="",
    success="Correct:",
)


# Sealed feedback of the judgement options (tools/exercise_keys.py writes it; instructor-only
# plain text there). Each blob opens only with its own option: see toolkit.exercises.seal.
_SEALED = {
    "ex05.q4": [
        "Ud98wq0yL5vb+nGdABTUWtYWJVJrxkMg+Z8AdLEJJoPOOZW/5SeUljOscEpZjid8KL1CIUnGpH2GWNtAK14BFb6v67yNfdpnU71fsqeKak7Ms/9zQbPJwPEq+ZGccg13VYTc2AFJCh7cQ/BakaXmZwbGlVkHy0t0BWkWikcVAZYo/EonK/8fGEZ8ZGlChVrFikuGlIGBNNfRc3UtPZLBxgwpTcUUntQPLdr9X5ibwzOeUOruS0PcFlGQNkP/XvIJA0hqBLQT7fkjbTVcsRY8ui3LDOVJS+2LZ+yNewZ+Fp1BNf2ISVb6leB9Va/kEDk6Eb5iX8NE4EODXw==",
        "cdL/vmBWHctzQF7K9GjXmPGaBBToX3E1JA36MBrZFgcSGH4fPQB9ulreKgZo5h47cNTYSWvJbuTG358K4UdlEH5aQRk+gLzIH+wTd0vEh/geGQizx8+hbdgKy18uuym5FpIE//aHDzVmzY4rOXmB5D9zQWWlHKZP8eb2bVQjVNDtHZvOW8ZFa/NrxwMhfpbl2BfqJsnLfytp9DzzJjtvlGqrO8alEys=",
        "l2lKR1KiUNxryHiQdx2v3utKgiKADIiw6UMechnWpWbwZOyWdyLLup5zAmLPDYEvym9zXJW5sbhbUiTXhSqmLF8A3HOA9A5KeNAsFEepHHzyMaGmat/nVzjEvUaklOOzPnjFbP+sxlj4oayqkIqLyrkY6HLujHQCLS2Zx7jjAamxNimPIJOq/3I1ZNQbba7YrGcniHShyTHh74Nr0omYIVkDHhgFzZyKq16FBzAyyN+cVIHq8hElB5/mpYJreNp4MX+6oexX/VKP1WVFUwkPrkPYayYTW7ZeiBUM+GNimWYrzNCSWDoIgs19iuOHxTFA9AKtX2KdNo0I4rpOO07+PvmEtJBjLpAQnDdPbM4=",
        "xh8Ct8rjF7CJsXbHJjgDbgI4qaDBVdViy0544nyjqyT3voRWyj48TV8hepgtI9nJ+bZ8pT1TR1sfOl6OYMQQGvJxiUJ3SSlpgJGzcgdrWOEnbel+dp1qrFhoLEprERs+b2VXvXPmcKqgd9lpFpAGamNQDuFhZs9M+9YEmVgy51IwPL4IKN9WIUBWnHMpEcVdnGDDhS5BaEIB4g==",
    ],
}
