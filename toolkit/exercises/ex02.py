"""Checkers of notebook 02_heatmaps: neuron alignment, linear CKA, neural persistence of a layer, and the
design of the merge test's controls (a judgement exercise).

    from toolkit.exercises import ex02 as check
    check.q1(match)          # match(W_a, W_b) -> permutation of W_b's rows aligned with W_a's rows
    check.q2(cka)            # cka(X, Y) -> linear CKA of two (N, p), (N, q) representations
    check.q3(controls)       # {alternative explanation: letter of the reference pair that tests it}
    check.q4(np_layer)       # np_layer(W) -> normalized neural persistence of one layer (p = 2)
"""
from __future__ import annotations

import numpy as np

from . import Exercise, Wrong, call_student, expect_array, expect_callable
from .. import alignment, neural_persistence

__all__ = ["q1", "q2", "q3", "q4"]


def _check_match(answer) -> None:
    fn = expect_callable(answer, "a function match(W_a, W_b)")
    rng = np.random.default_rng(2)
    for n, d, noise in ((6, 10, 0.0), (20, 50, 0.05), (40, 784, 0.3)):
        W_a = rng.normal(size=(n, d))
        p = rng.permutation(n)
        scale = rng.uniform(0.5, 2.0, size=(n, 1))            # neurons may differ in scale
        W_b = W_a[p] * scale + noise * rng.normal(size=(n, d))
        want = np.argsort(p)                                  # W_b[want] == W_a (up to scale, noise)
        got = expect_array(call_student(fn, W_a.copy(), W_b.copy()), (n,), "a permutation")
        if not np.array_equal(np.sort(got), np.arange(n)):
            raise Wrong(f"For {n} neurons the answer must be a permutation of 0..{n - 1} (each index once); "
                        f"got {got[:8].astype(int).tolist()}...")
        if not np.array_equal(got.astype(int), want):
            wrong = int(np.sum(got.astype(int) != want))
            raise Wrong(f"On {n} neurons with {d} inputs (noise {noise}, rows rescaled) {wrong} of {n} rows "
                        f"are matched to the wrong partner. Return perm with W_b[perm] aligned to W_a "
                        f"(perm[i] = the row of W_b that matches row i of W_a), and use a similarity "
                        f"that ignores scale (correlation or cosine).")
    W_a = rng.normal(size=(5, 8))
    got = expect_array(call_student(fn, W_a, W_a[::-1].copy()), (5,), "a permutation")
    if not np.array_equal(got.astype(int), np.arange(5)[::-1]):
        raise Wrong("match(W, W[::-1]) should be [4, 3, 2, 1, 0]: row i of W is row 4 - i of W[::-1]. "
                    "Check the direction of your permutation.")


def _check_cka(answer) -> None:
    fn = expect_callable(answer, "a function cka(X, Y)")
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12))
    Q, _ = np.linalg.qr(rng.normal(size=(12, 12)))

    def val(a, b, what):
        v = expect_array(call_student(fn, a, b), None, "a number")
        if v.size != 1 or not np.isfinite(v).all():
            raise Wrong(f"cka({what}) should return one finite number, got {v!r}.")
        return float(v.reshape(-1)[0])

    v = val(X, X, "X, X")
    if abs(v - 1) > 1e-6:
        raise Wrong(f"cka(X, X) must be 1 (identical representations); got {v:.4f}.")
    v = val(X, 5.0 * X @ Q + 3.0, "X, 5 X Q + 3")
    if abs(v - 1) > 1e-6:
        raise Wrong(f"cka(X, 5*X@Q + 3) must be 1: CKA ignores rotations, isotropic scaling and offsets "
                    f"(did you centre the columns?); got {v:.4f}.")
    Y = rng.normal(size=(300, 7))
    v, want = val(X, Y, "X, Y"), alignment.linear_cka(X, Y)
    if abs(v - want) > 1e-6:
        raise Wrong(f"cka(X, Y) for X (300, 12) and an independent Y (300, 7) should be {want:.4f}; got {v:.4f}.")
    Z = np.hstack([X[:, :4], rng.normal(size=(300, 3))])
    v, want = val(X, Z, "X, Z"), alignment.linear_cka(X, Z)
    if abs(v - want) > 1e-6:
        raise Wrong(f"For a partly shared representation the answer should be {want:.4f}; got {v:.4f}.")


def _check_np(answer) -> None:
    fn = expect_callable(answer, "a function np_layer(W)")

    def val(W, what):
        v = expect_array(call_student(fn, np.array(W, dtype=float)), None, "a number")
        if v.size != 1 or not np.isfinite(v).all():
            raise Wrong(f"np_layer({what}) should return one finite number, got {v!r}.")
        return float(v.reshape(-1)[0])

    v = val([[1.0, 0.5]], "[[1.0, 0.5]]")
    want = 0.5 / np.sqrt(2)
    if abs(v - want) > 1e-9:
        raise Wrong(f"For W = [[1.0, 0.5]] (3 vertices, 2 spanning-tree edges with normalized weights 1 and 0.5, "
                    f"persistences 0 and 0.5) the normalized value is 0.5 / sqrt(2) = {want:.4f}; got {v:.4f}.")
    rng = np.random.default_rng(4)
    for shape in ((3, 4), (10, 6), (32, 50)):
        W = rng.normal(size=shape)
        want = neural_persistence.layer_neural_persistence(W)["normalized"]
        v = val(W, f"a random {shape} matrix")
        if abs(v - want) > 1e-6:
            raise Wrong(f"For a random {shape} layer the normalized neural persistence is {want:.4f}; got "
                        f"{v:.4f}. Use |W| / max|W|, the maximum spanning tree, persistence 1 - w, "
                        f"the 2-norm, and divide by sqrt(V - 1) with V = n_out + n_in.")


q1 = Exercise(
    "q1", _check_match,
    hint="""
    Build the (n, n) similarity matrix S[i, j] = correlation of row i of W_a with row j of W_b
    (centre and normalize each row, then one matrix product). `scipy.optimize.linear_sum_assignment(S,
    maximize=True)` returns (rows, cols) of the best one-to-one assignment; perm = cols (rows come sorted).
    """,
    solution="",
    success="Correct: your matching recovers hidden permutations exactly, even with noise and rescaled rows.")

q2 = Exercise(
    "q2", _check_cka,
    hint="""
    Centre every column of X and Y (subtract the column means). Then
    CKA = ||Y^T X||_F^2 / (||X^T X||_F * ||Y^T Y||_F), with ||.||_F = np.linalg.norm of a matrix.
    """,
    solution="",
    success="Correct: 1 for identical or rotated/scaled copies, low for independent representations.")

q4 = Exercise(
    "q4", _check_np,
    hint="""
    Normalize A = |W| / max|W|. Vertices: the n_out rows and the n_in columns (V = n_out + n_in). Add
    edges in order of decreasing A (a superlevel filtration); an edge that joins two different components
    (union-find) records persistence 1 - A[i, j]. These V - 1 edges form a maximum spanning tree.
    Return sqrt(sum of persistence^2) / sqrt(V - 1).
    """,
    solution="",
    success="Correct: that is the normalized neural persistence of Rieck et al. (2019) for one layer.")


# --- q3: which control rules out which alternative explanation (judgement, multiple choice) ---------
PAIRS = {"a": "A(t) + B(t): the hypothesis", "b": "C(t) + C(u): two other nets trained on the same task",
         "c": "A(t) + B(t) trained on shuffled labels", "d": "two untrained nets (t, u)",
         "e": "A(s) + B(s): the same seed (initial weights) as the target C(s)"}
_ALTERNATIVES = {
    "images": ("C's split into an A-part and a B-part only reflects the input images, not the tasks",
               "c", "The shuffled-label nets saw exactly the same images but learned no task: a selectivity "
                    "gap they share cannot come from the tasks."),
    "chance": ("any ReLU layer on these images resembles any other (similarity for free)",
               "d", "Untrained nets learned nothing; whatever similarity C has with them is the floor that "
                    "the images and the architecture give for free."),
    "initialization": ("the similarity is inherited from identical starting weights, not learned",
                       "e", "Only A(s) + B(s) share C(s)'s initial weights; its excess over A(t) + B(t) "
                            "measures what is inherited."),
    "ceiling": ("any two nets that solved the same task look this alike (how high can the score get?)",
                "b", "Two other C nets learned the same task from other seeds: the most a 'merge' could "
                     "reach, the ceiling."),
}
_WHY_NOT = {
    "a": "the hypothesis itself cannot control for anything.",
    "b": "two other C nets measure the ceiling (the same task learned again), not this alternative.",
    "c": "shuffled-label nets control for the input images; this alternative is about something else.",
    "d": "untrained nets give the chance floor; they do not isolate this alternative.",
    "e": "same-seed nets measure what the shared initialization leaks; that is not this alternative.",
}


def _check_controls(answer) -> None:
    if not isinstance(answer, dict):
        raise Wrong(f"Give a dict {{alternative: letter}}, e.g. {{'images': 'a', ...}}; got a "
                    f"{type(answer).__name__}.")
    missing = [k for k in _ALTERNATIVES if k not in answer]
    extra = [k for k in answer if k not in _ALTERNATIVES]
    if missing or extra:
        raise Wrong(f"The dict needs exactly the keys {list(_ALTERNATIVES)}; missing {missing}, unknown {extra}.")
    wrong = []
    for key, (text, right, why) in _ALTERNATIVES.items():
        got = str(answer[key]).strip().lower()[:1]
        if got not in PAIRS:
            raise Wrong(f"answer[{key!r}] must be one of the letters {list(PAIRS)}; got {answer[key]!r}.")
        if got != right:
            wrong.append(f"- '{key}' ({text}): you chose {got} = {PAIRS[got]}; but {_WHY_NOT[got]}")
    if wrong:
        raise Wrong(f"{len(wrong)} of {len(_ALTERNATIVES)} controls do not test their alternative:\n"
                    + "\n".join(wrong))


q3 = Exercise(
    "q3", _check_controls,
    hint="""
    For each alternative explanation ask: which reference pair differs from the hypothesis (a) in exactly
    the one thing that alternative is about -- the labels (task), the training (learned at all), the
    initial weights, or nothing but the seed?
    """,
    solution="",
    success=("Correct. " + " ".join(why for _, _, why in _ALTERNATIVES.values())))
