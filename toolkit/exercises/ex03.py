"""Checkers of notebook 03 (activation clustering).

q1: ``purity(clusters, labels)`` -- per cluster, the share of ALL its members carrying its majority label.
q2: ``best_neurons(acts, clusters, cluster_id, k, n_best)`` -- a cluster's most frequent top-k neurons.
q3: ``transform(x, W, neurons)`` -- Alessi's transformed image ReLU(x * mean of the neurons' weight rows).
"""
from __future__ import annotations

import numpy as np

from . import Exercise, Wrong, call_student, expect_array, expect_callable

__all__ = ["q1", "q2", "q3"]


# ---------------------------------------------------------------------------------------------------
# q1: purity
# ---------------------------------------------------------------------------------------------------
def _reference_purity(clusters, labels) -> dict:
    clusters, labels = np.asarray(clusters), np.asarray(labels)
    return {int(c): float(np.bincount(labels[clusters == c]).max() / np.sum(clusters == c))
            for c in np.unique(clusters)}


def _as_purity_dict(answer, ids) -> dict:
    if isinstance(answer, dict):
        try:
            got = {int(k): float(v) for k, v in answer.items()}
        except (TypeError, ValueError):
            raise Wrong("Return a dict {cluster id: purity (a number)}.") from None
        missing = sorted(set(ids) - set(got))
        if missing:
            raise Wrong(f"Your dict has no entry for cluster(s) {missing}; every cluster needs one.")
        return got
    arr = expect_array(answer, what="the purities (a dict {cluster: purity} or one number per cluster)")
    if arr.shape != (len(ids),):
        raise Wrong(f"Expected one purity per cluster ({len(ids)} clusters, in sorted order) or a dict; "
                    f"got shape {arr.shape}.")
    return dict(zip(ids, map(float, arr)))


def _check_purity(fn):
    fn = expect_callable(fn, "your purity function")
    rng = np.random.default_rng(3)
    cases = []
    # 1. by hand
    cases.append(("a small hand-made case", np.array([0, 0, 0, 0, 1, 1, 1, 2]),
                  np.array([7, 7, 7, 3, 1, 2, 2, 5])))
    # 2. the single-point bug: the first member of each cluster has a label nobody else has
    cl = np.repeat(np.arange(4), 10)
    lab = np.repeat(np.arange(4), 10)
    lab[::10] = 9
    lab[1::10] = (np.arange(4) + 1) % 4
    cases.append(("clusters whose FIRST member is an outlier (reading one point gives 100%)", cl, lab))
    # 3. a random, realistic case with cluster ids that are not 0..C-1 and unsorted points
    cl = rng.choice([2, 5, 11], size=300)
    lab = np.where(rng.random(300) < 0.7, cl % 10, rng.integers(0, 10, 300))
    cases.append(("300 points, cluster ids 2, 5 and 11", cl, lab))
    for what, c, l in cases:
        want = _reference_purity(c, l)
        got = _as_purity_dict(call_student(fn, c.copy(), l.copy()), sorted(want))
        for k, v in want.items():
            if not np.isfinite(got[k]) or abs(got[k] - v) > 1e-9:
                extra = ""
                if got[k] == 1.0 and v < 1:
                    extra = (" Every member must count: share of the cluster's members whose label is "
                             "the cluster's most common label.")
                raise Wrong(f"On {what}: cluster {k} should have purity {v:.4f}, yours gave "
                            f"{got[k]:.4f}.{extra}")


q1 = Exercise(
    "q1", _check_purity,
    hint="""
    For each cluster id c: take the labels of ALL points with clusters == c, count them with
    np.bincount, and divide the largest count by the number of members.""",
    solution="""
    def purity(clusters, labels):
        clusters, labels = np.asarray(clusters), np.asarray(labels)
        out = {}
        for c in np.unique(clusters):
            members = labels[clusters == c]
            out[int(c)] = np.bincount(members).max() / len(members)
        return out
    """,
    success="Correct: every member counts, so an impure cluster can no longer read 100%.")


# ---------------------------------------------------------------------------------------------------
# q2: a cluster's best neurons
# ---------------------------------------------------------------------------------------------------
def _counts(acts, clusters, cid, k):
    top = np.argsort(-acts, axis=1, kind="stable")[:, :k]
    return np.bincount(top[clusters == cid].ravel(), minlength=acts.shape[1])


def _check_best(fn):
    fn = expect_callable(fn, "your best_neurons function")
    rng = np.random.default_rng(4)
    H, n = 40, 120
    acts = rng.normal(size=(2 * n, H))
    acts[:n, [5, 17, 33]] += 3.0     # cluster 0 likes 5, 17, 33
    acts[n:, [2, 17, 30]] += 3.0     # cluster 1 likes 2, 17, 30 (17 is shared)
    clusters = np.repeat([0, 1], n)
    for cid, k, n_best in ((0, 5, 3), (1, 5, 3), (1, 3, 6)):
        ans = call_student(fn, acts.copy(), clusters.copy(), cid, k, n_best)
        got = expect_array(ans, what="the best neurons").ravel()
        if got.shape != (n_best,):
            raise Wrong(f"Expected {n_best} neuron indices for n_best={n_best}, got {got.size}.")
        if not np.all(got == np.round(got)) or got.min() < 0 or got.max() >= H:
            raise Wrong(f"Return neuron indices (integers 0..{H - 1}), not activation values.")
        got = got.astype(int)
        if len(set(got)) != n_best:
            raise Wrong("Your neurons repeat; return n_best different neurons.")
        c = _counts(acts, clusters, cid, k)
        want = np.sort(c)[::-1][:n_best]
        if not np.array_equal(np.sort(c[got])[::-1], want):
            ref = np.argsort(-c, kind="stable")[:n_best]
            raise Wrong(f"For cluster {cid} (k={k}, n_best={n_best}) the most frequent top-{k} "
                        f"neurons are {ref.tolist()} (appearing {c[ref].tolist()} times); yours "
                        f"{got.tolist()} appear {c[got].tolist()} times. Count, for each neuron, in "
                        f"how many of the cluster's points it is among the k largest activations.")


q2 = Exercise(
    "q2", _check_best,
    hint="""
    np.argsort(-acts, axis=1)[:, :k] gives each point's k most active neurons. Keep the rows of
    the cluster, count neuron indices with np.bincount(..., minlength=H), and take the n_best largest
    counts (np.argsort(-counts)[:n_best]).""",
    solution="""
    def best_neurons(acts, clusters, cluster_id, k=5, n_best=5):
        top = np.argsort(-acts, axis=1)[:, :k]
        counts = np.bincount(top[clusters == cluster_id].ravel(), minlength=acts.shape[1])
        return np.argsort(-counts)[:n_best]
    """,
    success="Correct: these are the cluster's most frequent top-k neurons.")


# ---------------------------------------------------------------------------------------------------
# q3: transformed image
# ---------------------------------------------------------------------------------------------------
def _check_transform(fn):
    fn = expect_callable(fn, "your transform function")
    rng = np.random.default_rng(5)
    x = rng.normal(size=784).astype(np.float32)
    W = rng.normal(size=(20, 784)).astype(np.float32)
    for neurons in ([3], [1, 4, 9, 12, 19]):
        want = np.maximum(x * W[neurons].mean(0), 0)
        got = expect_array(call_student(fn, x.copy(), W.copy(), list(neurons)),
                           what="the transformed image").reshape(-1)
        if got.shape != (784,):
            raise Wrong(f"Expected 784 pixels (a flat or 28x28 image), got {got.size}.")
        if np.allclose(got, x * W[neurons].mean(0), atol=1e-5) and (want != got).any():
            raise Wrong("Almost: apply the ReLU (negative pixels become 0).")
        if (got < 0).any():
            raise Wrong("A ReLU output has no negative pixels; apply np.maximum(..., 0).")
        if not np.allclose(got, want, atol=1e-5):
            raise Wrong(f"For neurons {neurons} the pixels differ from ReLU(x * mean of W[neurons]) "
                        f"(max difference {np.abs(got - want).max():.3g}). Average the weight ROWS "
                        f"W[neurons] over the neurons (axis 0), then multiply pixel by pixel.")


q3 = Exercise(
    "q3", _check_transform,
    hint="""
    W[neurons] is (len(neurons), 784); .mean(axis=0) averages them into one 784-pixel
    template; multiply the image by it pixel by pixel and clip at zero with np.maximum(..., 0).""",
    solution="""
    def transform(x, W, neurons):
        return np.maximum(x * W[neurons].mean(axis=0), 0)
    """,
    success="Correct: that is the study's transformed image.")
