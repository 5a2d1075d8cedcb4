"""Checkers of notebook 02_heatmaps: neuron alignment, linear CKA, neural persistence of a layer.

    from toolkit.exercises import ex02 as check
    check.q1(match)          # match(W_a, W_b) -> permutation of W_b's rows aligned with W_a's rows
    check.q2(cka)            # cka(X, Y) -> linear CKA of two (N, p), (N, q) representations
    check.q3(np_layer)       # np_layer(W) -> normalized neural persistence of one layer (p = 2)
"""
from __future__ import annotations

import numpy as np

from . import Exercise, Wrong, call_student, expect_array, expect_callable
from .. import heatmaps, neural_persistence

__all__ = ["q1", "q2", "q3"]


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
    v, want = val(X, Y, "X, Y"), heatmaps.linear_cka(X, Y)
    if abs(v - want) > 1e-6:
        raise Wrong(f"cka(X, Y) for X (300, 12) and an independent Y (300, 7) should be {want:.4f}; got {v:.4f}.")
    Z = np.hstack([X[:, :4], rng.normal(size=(300, 3))])
    v, want = val(X, Z, "X, Z"), heatmaps.linear_cka(X, Z)
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
    solution="""
    from scipy.optimize import linear_sum_assignment

    def match(W_a, W_b):
        A = W_a - W_a.mean(1, keepdims=True)
        B = W_b - W_b.mean(1, keepdims=True)
        A /= np.linalg.norm(A, axis=1, keepdims=True)
        B /= np.linalg.norm(B, axis=1, keepdims=True)
        rows, cols = linear_sum_assignment(A @ B.T, maximize=True)
        return cols
    """,
    success="Correct: your matching recovers hidden permutations exactly, even with noise and rescaled rows.")

q2 = Exercise(
    "q2", _check_cka,
    hint="""
    Centre every column of X and Y (subtract the column means). Then
    CKA = ||Y^T X||_F^2 / (||X^T X||_F * ||Y^T Y||_F), with ||.||_F = np.linalg.norm of a matrix.
    """,
    solution="""
    def cka(X, Y):
        X = X - X.mean(0)
        Y = Y - Y.mean(0)
        return np.linalg.norm(Y.T @ X) ** 2 / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))
    """,
    success="Correct: 1 for identical or rotated/scaled copies, low for independent representations.")

q3 = Exercise(
    "q3", _check_np,
    hint="""
    Normalize A = |W| / max|W|. Vertices: the n_out rows and the n_in columns (V = n_out + n_in). Add
    edges in order of decreasing A (a superlevel filtration); an edge that joins two different components
    (union-find) records persistence 1 - A[i, j]. These V - 1 edges form a maximum spanning tree.
    Return sqrt(sum of persistence^2) / sqrt(V - 1).
    """,
    solution="""
    def np_layer(W):
        A = np.abs(W) / np.abs(W).max()
        n_out, n_in = A.shape
        parent = list(range(n_out + n_in))
        def find(x):
            while parent[x] != x:
                x = parent[x]
            return x
        pers = []
        for e in np.argsort(-A, axis=None):
            i, j = divmod(int(e), n_in)
            a, b = find(i), find(n_out + j)
            if a != b:
                parent[a] = b
                pers.append(1 - A[i, j])
        return np.sqrt(np.sum(np.square(pers))) / np.sqrt(n_out + n_in - 1)
    """,
    success="Correct: that is the normalized neural persistence of Rieck et al. (2019) for one layer.")
