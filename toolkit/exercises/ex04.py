"""Checkers of notebook 04_mapper: a cover by hand, the Mapper graph of a circle, cycles of a graph.

from toolkit.exercises import ex04 as check
check.q1(cover_intervals)   # cover_intervals(lo, hi, resolution, gain) -> (resolution, 2) intervals
check.q2(prediction)        # {"nodes", "edges", "components", "cycles"} of the circle's
                            # Mapper graph
check.q3(cycles)            # cycles(G) -> number of independent cycles of a networkx graph
check.q4(choice)            # "a".."d": what k-means(10) on the output probabilities measures
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
from .. import mapper

__all__ = ["q1", "q2", "q3", "q4", "CIRCLE", "Q4_OPTIONS"]

# The circle of exercise 2 (the notebook draws it with these settings).
CIRCLE = {"n": 1000, "noise": 0.05, "seed": 0, "resolution": 5, "gain": 0.3}


def _check_cover(answer) -> None:
    fn = expect_callable(answer, "a function cover_intervals(lo, hi, resolution, gain)")
    cases = [
        (0.0, 1.0, 4, 0.25),
        (-1.0, 1.0, 5, 0.3),
        (2.0, 12.0, 10, 0.5),
        (-3.0, -1.0, 3, 0.6667),
        (0.0, 1.0, 1, 0.3),
    ]
    for lo, hi, r, g in cases:
        got = expect_array(call_student(fn, lo, hi, r, g), None, "a list of (start, end) pairs")
        if got.ndim != 2 or got.shape != (r, 2):
            raise Wrong(
                f"cover_intervals({lo}, {hi}, {r}, {g}) should give {r} intervals as an array of "
                f"shape ({r}, 2) (one (start, end) row each); got shape {got.shape}."
            )
        left, right = mapper.interval_limits(lo, hi, r, g)
        lengths = got[:, 1] - got[:, 0]
        if abs(got[0, 0] - lo) > 1e-6 or abs(got[-1, 1] - hi) > 1e-6:
            raise Wrong(
                f"For [{lo}, {hi}] the first interval must start at {lo} and the last end at {hi}; "
                f"yours go from {got[0, 0]:.4g} to {got[-1, 1]:.4g}."
            )
        if np.ptp(lengths) > 1e-6:
            raise Wrong(
                f"All intervals must have the same length; yours have lengths "
                f"{np.round(lengths, 4).tolist()} (case lo={lo}, hi={hi}, r={r}, gain={g})."
            )
        if r > 1:
            overlap = (got[:-1, 1] - got[1:, 0]) / lengths[:-1]
            if np.max(np.abs(overlap - g)) > 1e-6:
                raise Wrong(
                    f"Consecutive intervals must overlap by the fraction gain={g} of their length; "
                    f"yours overlap by {np.round(overlap, 4).tolist()} (lo={lo}, hi={hi}, r={r}). "
                    f"Solve (r - 1) * (1 - gain) * L + L = hi - lo for the length L."
                )
        if not (
            np.allclose(got[:, 0], left, atol=1e-6) and np.allclose(got[:, 1], right, atol=1e-6)
        ):
            raise Wrong(
                f"The intervals for lo={lo}, hi={hi}, r={r}, gain={g} should be "
                f"{np.round(np.c_[left, right], 4).tolist()}; got {np.round(got, 4).tolist()}."
            )


def _circle_graph() -> "mapper.MapperResult":
    """The Mapper graph exercise 2 asks about (computed when checking, never typed in; not public:
    the notebook draws it after the prediction)."""
    X = mapper.noisy_circle(CIRCLE["n"], CIRCLE["noise"], seed=CIRCLE["seed"])
    return mapper.mapper_graph(
        X, lens=X[:, 1], resolution=CIRCLE["resolution"], gain=CIRCLE["gain"]
    )


def _check_circle(answer) -> None:
    keys = ("nodes", "edges", "components", "cycles")
    if not isinstance(answer, dict) or set(answer) != set(keys):
        raise Wrong(
            f"Answer with a dict with exactly the keys {keys}, e.g. "
            f"{{'nodes': 3, 'edges': 2, 'components': 1, 'cycles': 0}}."
        )
    for k in keys:
        if not isinstance(answer[k], (int, np.integer)) or isinstance(answer[k], bool):
            raise Wrong(f"answer[{k!r}] should be a whole number, got {answer[k]!r}.")
    truth = _circle_graph().summary()
    if answer["nodes"] != truth["nodes"]:
        raise Wrong(
            f"{answer['nodes']} nodes is not it. Count, interval by interval from the bottom, how "
            f"many separate arcs of the circle lie at those heights: the top and bottom intervals "
            f"see one arc, the others see two (the left and right sides)."
        )
    if answer["edges"] != truth["edges"]:
        raise Wrong(
            f"Nodes right, edges not: {answer['edges']}. An edge joins two clusters of consecutive "
            f"intervals that share points (the overlap); each arc meets the arc above it on the "
            f"same side."
        )
    if answer["components"] != truth["components"] or answer["cycles"] != truth["cycles"]:
        raise Wrong(
            "Nodes and edges right. Components: can you walk from any node to any other? Cycles: "
            "edges - nodes + components."
        )


def _check_cycles(answer) -> None:
    import networkx as nx

    fn = expect_callable(answer, "a function cycles(G)")
    graphs = {
        "a triangle": nx.cycle_graph(3),
        "a path of 5 nodes": nx.path_graph(5),
        "two disjoint squares": nx.disjoint_union(nx.cycle_graph(4), nx.cycle_graph(4)),
        "the complete graph K4": nx.complete_graph(4),
        "a single node": nx.empty_graph(1),
        "a random graph (20 nodes, 30 edges)": nx.gnm_random_graph(20, 30, seed=1),
        "the Mapper graph of exercise 2": _circle_graph().graph,
    }
    for what, G in graphs.items():
        raw = call_student(fn, G.copy())
        v = expect_array(raw, None, "a number")
        if v.size != 1:
            raise Wrong(f"cycles({what}) should return one number, got {v!r}.")
        if isinstance(raw, (bool, np.bool_)):
            raise Wrong(
                f"cycles({what}) returned True/False; return the number of cycles (an int)."
            )
        got = float(v.reshape(-1)[0])
        if got != round(got):
            raise Wrong(f"cycles({what}) returned {got:g}; a number of cycles is a whole number.")
        want = mapper.graph_cycles(G)
        if int(round(got)) != want:
            raise Wrong(
                f"cycles({what}) should be {want} (it has {G.number_of_edges()} edges, "
                f"{G.number_of_nodes()} nodes, {nx.number_connected_components(G)} components); "
                f"got {float(v.reshape(-1)[0]):g}."
            )


q1 = Exercise(
    "q1",
    _check_cover,
    forbid=lambda: [mapper.interval_limits],
    hint="""All r intervals have the same length L, consecutive ones share gain * L, the first
         starts at lo
    and the last ends at hi: (r - 1) * (1 - gain) * L + L = hi - lo. Interval k starts at
    lo + k * (1 - gain) * L.""",
    solution="",
    success="Correct! This is the uniform cover mapper_graph uses (mapper.interval_limits).",
)

q2 = Exercise(
    "q2",
    _check_circle,
    hint="""Slice the circle horizontally into 5 overlapping bands. The top band and the bottom
         band each
    hold one arc; a band through the middle holds two arcs (left and right), which are far apart and
    form two clusters. Neighbouring bands overlap, so an arc meets the arc above it on the same
    side.""",
    solution="",
    success="Correct! With the height as lens, Mapper recovers the circle: one component, one "
    "cycle.",
)

q3 = Exercise(
    "q3",
    _check_cycles,
    forbid=lambda: [mapper.graph_cycles],
    hint="""A spanning forest of a graph with V nodes and C components has V - C edges; every
         further edge
    closes one independent cycle. networkx: G.number_of_edges(), G.number_of_nodes(),
    nx.number_connected_components(G).""",
    solution="",
    success="Correct! E - V + C is the first Betti number of the graph.",
)


# Exercise 4 (judgement, predicted before the comparison table runs): what does k-means(10) on the
# output probabilities measure? Multiple choice; every wrong option gets its own explanation.
Q4_OPTIONS = {
    "a": "the shapes of the digit images: k-means finds the ten ways digits are written",
    "b": "mostly the net's own predictions: its clusters are the net's predicted classes, so its "
    "score "
    "against the digits is about the score of the predictions (the net's accuracy)",
    "c": "how good Mapper is: the same points, so the same clusters",
    "d": "nothing: k-means on 10 probabilities gives clusters unrelated to the digits",
}


def _check_q4(answer):
    choice = parse_letter(answer, Q4_OPTIONS, "choice")
    ok, why = sealed_verdict(_SEALED["ex04.q4"], "ex04.q4", choice)
    if not ok:
        raise Wrong(f"Not {choice!r}: {why}")
    return why


q4 = Exercise(
    "q4",
    _check_q4,
    hint="""Where do the probability vectors of a confident net lie? (One entry near 1, nine near
         0.) Which
    class does that one entry name: the true digit or the predicted one? What would 10 k-means
    centres
    settle on?""",
    solution="",
    success="Right:",
)


# Sealed feedback of the judgement options (tools/exercise_keys.py writes it; instructor-only
# plain text there). Each blob opens only with its own option: see toolkit.exercises.seal.
_SEALED = {
    "ex04.q4": [
        "7DXWMgocyOVptEFx12Gp+bPzEzRGT7XJedwJI4joJiZFy5zOLSKS0MFSESAwtYXAOzV89meV7dtIMbNLVkRdaW6lOr7jIbF4P9rZHoiiZVvb4xQHfRPFEq0zqOGyX8FFkqKVFSwe9C26WvrslyaFLte8WhIDIcEZb25UEbzpzFkAAr3PhElp4CRpPKegPUo4EfaDULgJ/fv5lqbDpei3q5t0ChR9be7pN9ucmg2Sa4lXNv1EzBVmh75ssN4ZThUhbT4=",
        "ApQvfHT9sA4b3VFwx1+BAyY6YgYPLdwruB1oBlR1MTF9QpCCSvwNMHSyf6/33TKq1tchbJNPDF9nL57sY8e/lemDjBYVzWn0RcYkdu+0qCcvL6XRtpExAjZZBHbfrdLmbnHRSYDStdkhjEu8x2MMomKWazuUtSJAw2lSDeqi46XqEMDA23ftKv39p5LT0sBIlJfl+Mf2ZFzzQX3/+j8veYdl7N9o8sg+QjPIyBSGsK4J7QhC0ynysawa+d0+mI4WrJcl4i2ofbKReNzJ8YL+l+OZcMEM8WC7CKTTihHfH4FQfshqoC5uMHLZMavEYz0yXDq/PNnk",
        "RVSgBBPAGv1FkxaR77OEfjfoQyA4ix0RUNCdU+zhkHBNxacj/xXJtxOKOgiq0qEDG3UU6Z74h5VyfEMOuEx0rBWR971JTBjlhgFK/EWIYBCHjtrJeOcB/iRYi7j+ikSXG1TNGUlI1Fh8PIf0Yx9PJuln2Ze7u//QorXYXw3UIyqDxJjOO8IRXhZM/HizcMBRVQyFPla7AGU2",
        "qPdMSbbEz/l34h06cll7J8piOqEUI8M2fdM05zAvMH4zOHE1z1WKuDOD4rG1nAIEAjasaJojT1EiqUPDIn3aIzyO7mdy6NDTLitCmKR0nzEIrXwHWoIG8IpMIp8HPu6W5zGDEN2BIRo/CM2PvYBliow1QJTUCUy7rpMrehsuriBGunbu1cMAoOQNjkeqfg6wi4VogWGD9svylleHUF+5a44QLb2/6pzDKc9oXwYpFQfOhXttIbL3O5tI5RJhxCo8PRNCB/BBPXWXsrDyl9DJNmXjMUzEzBAxoZAybX+dVMQBYMwQUtAyurTDB/XAFELtRP0aucNN1LflWb+w++L6mbAkE4Ihs7P6wPWsVRieZdAVCluWOYUF",
    ],
}
