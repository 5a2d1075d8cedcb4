"""Checkers of notebook 03 (activation clustering).

q1: ``purity(clusters, labels)`` -- per cluster, the share of ALL its members carrying its majority
    label.
q2: ``best_neurons(acts, clusters, cluster_id, k, n_best)`` -- a cluster's most frequent top-k
    neurons.
q3: ``transform(x, W, neurons)`` -- Alessi's transformed image ReLU(x * mean of the neurons' weight
    rows).
q4: a judgement (no code): which comparisons show that a cluster's best neurons matter for that
    cluster?

Every answer is checked strictly: None, text, NaN, inf, booleans and wrong shapes never pass;
numbers are compared with a relative tolerance that accepts float32 results.
"""

from __future__ import annotations

import numpy as np

from . import Exercise, Wrong, call_student, expect_callable, parse_letters, sealed_verdict

__all__ = ["q1", "q2", "q3", "q4"]

_RTOL, _ATOL = 1e-4, 1e-6  # float32 answers (about 1e-7 relative error per step) must pass


def _numbers(answer, what: str) -> np.ndarray:
    """A finite float64 array from a number / list / NumPy array / torch tensor, or :class:`Wrong`.

    Rejects None, text, booleans, dicts and objects; NaN and inf; anything that fails to convert
    (e.g. 10**400) -- never a traceback from inside the toolkit."""
    if answer is None:
        raise Wrong(f"Expected {what}, got None. Did your function forget to `return` its result?")
    if isinstance(answer, (str, bytes, dict, bool, np.bool_)):
        raise Wrong(
            f"Expected {what} (numbers), got a {type(answer).__name__}: {str(answer)[:40]!r}."
        )
    try:
        if hasattr(answer, "detach"):
            answer = answer.detach().cpu().double().numpy()
        raw = np.asarray(answer)
        if raw.dtype.kind not in "iuf":
            raise TypeError(raw.dtype)
        arr = raw.astype(np.float64)
    except Exception:  # noqa: BLE001 - any failure to read the answer is the student's to fix
        raise Wrong(
            f"Expected {what} made of numbers only; could not read a "
            f"{type(answer).__name__} as numbers."
        ) from None
    if not np.all(np.isfinite(arr)):
        raise Wrong(
            f"{what[0].upper() + what[1:]} contains NaN or inf; check for a division by zero or "
            f"an empty selection."
        )
    return arr


def _forbid():
    """The toolkit's own versions of this notebook's exercises (a student calling them wrote
    nothing)."""
    from .. import activations, clustering

    return [
        clustering.purity,
        activations.top_k_neurons,
        activations.cluster_neurons,
        activations.transformed_images,
    ]


# --------------------------------------------------------------------------------------------------
# q1: purity
# --------------------------------------------------------------------------------------------------
def _reference_purity(clusters, labels) -> dict:
    clusters, labels = np.asarray(clusters), np.asarray(labels)
    return {
        int(c): float(np.bincount(labels[clusters == c]).max() / np.sum(clusters == c))
        for c in np.unique(clusters)
    }


def _as_purity_dict(answer, ids) -> dict:
    if isinstance(answer, dict):
        try:
            got = {
                int(k): float(_numbers(v, f"the purity of cluster {k}").reshape(()))
                for k, v in answer.items()
            }
        except Wrong:
            raise
        except Exception:  # noqa: BLE001 - keys that are not ids, arrays instead of numbers, ...
            raise Wrong("Return a dict {cluster id: purity (one number)}.") from None
        missing = sorted(set(ids) - set(got))
        if missing:
            raise Wrong(
                f"Your dict has no entry for cluster(s) {missing}; every cluster needs one."
            )
        return got
    arr = _numbers(answer, "the purities (a dict {cluster: purity} or one number per cluster)")
    if arr.shape != (len(ids),):
        raise Wrong(
            f"Expected one purity per cluster ({len(ids)} clusters, in sorted order) or a dict; "
            f"got shape {arr.shape}."
        )
    return dict(zip(ids, map(float, arr)))


def _check_purity(fn):
    fn = expect_callable(fn, "your purity function")
    rng = np.random.default_rng(3)
    cases = []
    # 1. by hand
    cases.append(
        (
            "a small hand-made case",
            np.array([0, 0, 0, 0, 1, 1, 1, 2]),
            np.array([7, 7, 7, 3, 1, 2, 2, 5]),
        )
    )
    # 2. the single-point bug: the first member of each cluster has a label nobody else has
    cl = np.repeat(np.arange(4), 10)
    lab = np.repeat(np.arange(4), 10)
    lab[::10] = 9
    lab[1::10] = (np.arange(4) + 1) % 4
    cases.append(
        ("clusters whose FIRST member is an outlier (reading one point gives 100%)", cl, lab)
    )
    # 3. a random, realistic case with cluster ids that are not 0..C-1 and unsorted points
    cl = rng.choice([2, 5, 11], size=300)
    lab = np.where(rng.random(300) < 0.7, cl % 10, rng.integers(0, 10, 300))
    cases.append(("300 points, cluster ids 2, 5 and 11", cl, lab))
    for what, c, l in cases:
        want = _reference_purity(c, l)
        got = _as_purity_dict(call_student(fn, c.copy(), l.copy()), sorted(want))
        for k, v in want.items():
            if not np.isclose(got[k], v, rtol=_RTOL, atol=_ATOL):
                extra = ""
                if got[k] == 1.0 and v < 1:
                    extra = (
                        " Every member must count: share of the cluster's members whose label is "
                        "the cluster's most common label."
                    )
                raise Wrong(
                    f"On {what}: cluster {k} should have purity {v:.4f}, yours gave "
                    f"{got[k]:.4f}.{extra}"
                )


q1 = Exercise(
    "q1",
    _check_purity,
    forbid=_forbid,
    hint="""
    For each cluster id c: take the labels of ALL points with clusters == c, count them with
    np.bincount, and divide the largest count by the number of members.""",
    solution="",
    success="Correct: every member counts, so an impure cluster can no longer read 100%.",
)


# --------------------------------------------------------------------------------------------------
# q2: a cluster's best neurons
# --------------------------------------------------------------------------------------------------
def _counts(acts, clusters, cid, k):
    top = np.argsort(-acts, axis=1, kind="stable")[:, :k]
    return np.bincount(top[clusters == cid].ravel(), minlength=acts.shape[1])


def _check_best(fn):
    fn = expect_callable(fn, "your best_neurons function")
    rng = np.random.default_rng(4)
    H, n = 40, 120
    acts = rng.normal(size=(2 * n, H))
    acts[:n, [5, 17, 33]] += 3.0  # cluster 0 likes 5, 17, 33
    acts[n:, [2, 17, 30]] += 3.0  # cluster 1 likes 2, 17, 30 (17 is shared)
    clusters = np.repeat([0, 1], n)
    for cid, k, n_best in ((0, 5, 3), (1, 5, 3), (1, 3, 6)):
        ans = call_student(fn, acts.copy(), clusters.copy(), cid, k, n_best)
        got = _numbers(ans, "the best neurons").ravel()
        if got.shape != (n_best,):
            raise Wrong(f"Expected {n_best} neuron indices for n_best={n_best}, got {got.size}.")
        if not np.all(got == np.round(got)):
            raise Wrong(f"Return neuron indices (integers 0..{H - 1}), not activation values.")
        if got.min() < 0 or got.max() >= H:
            raise Wrong(
                f"Your indices reach {int(got.max())}, but there are only {H} neurons "
                f"(0..{H - 1}). "
                f"Indices that large count points, not neurons: sort each point's activations "
                f"over the neurons (axis=1), not over the points (axis=0)."
            )
        got = got.astype(int)
        if len(set(got)) != n_best:
            raise Wrong("Your neurons repeat; return n_best different neurons.")
        c = _counts(acts, clusters, cid, k)
        want = np.sort(c)[::-1][:n_best]
        if not np.array_equal(np.sort(c[got])[::-1], want):
            ref = np.argsort(-c, kind="stable")[:n_best]
            raise Wrong(
                f"For cluster {cid} (k={k}, n_best={n_best}) the most frequent top-{k} "
                f"neurons are {ref.tolist()} (appearing {c[ref].tolist()} times); yours "
                f"{got.tolist()} appear {c[got].tolist()} times. Count, for each neuron, in "
                f"how many of the cluster's points it is among the k largest activations."
            )


q2 = Exercise(
    "q2",
    _check_best,
    forbid=_forbid,
    hint="""
    np.argsort(-acts, axis=1)[:, :k] gives each point's k most active neurons. Keep the rows of
    the cluster, count neuron indices with np.bincount(..., minlength=H), and take the n_best
    largest
    counts (np.argsort(-counts)[:n_best]).""",
    solution="",
    success="Correct: these are the cluster's most frequent top-k neurons.",
)


# --------------------------------------------------------------------------------------------------
# q3: transformed image
# --------------------------------------------------------------------------------------------------
def _check_transform(fn):
    fn = expect_callable(fn, "your transform function")
    rng = np.random.default_rng(5)
    x = rng.normal(size=784).astype(np.float32)
    W = rng.normal(size=(20, 784)).astype(np.float32)
    for neurons in ([3], [1, 4, 9, 12, 19]):
        want = np.maximum(x * W[neurons].mean(0), 0)
        got = _numbers(
            call_student(fn, x.copy(), W.copy(), list(neurons)), "the transformed image"
        ).reshape(-1)
        if got.shape != (784,):
            raise Wrong(f"Expected 784 pixels (a flat or 28x28 image), got {got.size}.")
        if np.allclose(got, x * W[neurons].mean(0), rtol=_RTOL, atol=1e-5) and (want != got).any():
            raise Wrong("Almost: apply the ReLU (negative pixels become 0).")
        if (got < 0).any():
            raise Wrong("A ReLU output has no negative pixels; apply np.maximum(..., 0).")
        if not np.allclose(got, want, rtol=_RTOL, atol=1e-5):
            raise Wrong(
                f"For neurons {neurons} the pixels differ from ReLU(x * mean of W[neurons]) "
                f"(max difference {np.abs(got - want).max():.3g}). Average the weight ROWS "
                f"W[neurons] over the neurons (axis 0), then multiply pixel by pixel."
            )


q3 = Exercise(
    "q3",
    _check_transform,
    forbid=_forbid,
    hint="""
    W[neurons] is (len(neurons), 784); .mean(axis=0) averages them into one 784-pixel
    template; multiply the image by it pixel by pixel and clip at zero with np.maximum(..., 0).""",
    solution="",
    success="Correct: that is the study's transformed image.",
)


# --------------------------------------------------------------------------------------------------
# q4: judgement -- which comparisons test that a cluster's best neurons matter for that cluster?
# --------------------------------------------------------------------------------------------------
Q4_OPTIONS = {
    "a": "the accuracy on cluster c's digits with c's best k neurons silenced, against nothing "
    "silenced",
    "b": "the accuracy drop on c's digits when c's best k neurons are silenced, against the drop "
    "when k "
    "random neurons are silenced",
    "c": "the accuracy drop on c's digits when c's best k neurons are silenced, against the drop "
    "when "
    "another cluster's best k neurons are silenced",
    "d": "the same comparison repeated on several independently trained nets, the verdict read "
    "from an "
    "interval over them",
    "e": "c's bar plot: its best neurons stand clearly above all other neurons",
}


def _check_design(answer):
    chosen = parse_letters(answer, Q4_OPTIONS, "your answer")
    verdicts = {c: sealed_verdict(_SEALED["ex03.q4"], "ex03.q4", c) for c in sorted(Q4_OPTIONS)}
    wrong_in = [c for c in sorted(chosen) if not verdicts[c][0]]
    missing = [c for c in sorted(Q4_OPTIONS) if verdicts[c][0] and c not in chosen]
    if wrong_in or missing:
        notes = [verdicts[c][1] for c in wrong_in]
        if missing:
            notes.append(
                f"{len(missing)} comparison(s) you need {'is' if len(missing) == 1 else 'are'} "
                f"missing: what could make a drop happen even if these neurons were not "
                f"special for cluster c?"
            )
        raise Wrong(" ".join(notes))
    return " ".join(verdicts[c][1] for c in sorted(Q4_OPTIONS))


q4 = Exercise(
    "q4",
    _check_design,
    hint="""
    For each option ask: if the best neurons did NOT matter for cluster c in particular, could this
    comparison still come out 'positive'? A test needs a control that would then come out the same,
    and enough independent nets to tell a difference from luck.""",
    solution="",
    success="Correct.",
)


# Sealed feedback of the judgement options (tools/exercise_keys.py writes it; instructor-only
# plain text there). Each blob opens only with its own option: see toolkit.exercises.seal.
_SEALED = {
    "ex03.q4": [
        "QalCz6qZOXEAPqVSOgJ4NcDA7Agiwm4zq4+5/i7279XjeNkeBPwTBDNqTjWaHpjZl6oYaIU12+aqU193ylMIAYcHLRCLViyNM3EBH8zCv3tjZ3WMDqAbnIrOkHJGxQSrhWJsgZZ9EFyt9pVV6BRqE9jMxKdgFg==",
        "SJ/lUwSAVf5perwH8I2cSSExt7NNSPQ4rZQYOzRKaKuJ4vpkIQA83bBmMIGoTDJq8ZJ8GcjLfXXjkvkBMdP151rZOQ+eFFv4ZYoI74DaLRjHxotSECFN/iKVGVaRG5L6exM=",
        "k6sZsfKKuG61P61OgGnLP+vSMLbSuV/WYwktI7s1yDFiCs9tRkpTnE2BzhP1nO3k4bjaMFm5D1M+f+fKoPTGn0Iv7HRTHJgUzEox8PGjThjUaa41hpDWzX+yMLZjeAKjCY56yuiisNs67V2kpv1JfxedzxQBsTLWojYzjA8T/G64uKRlgzw7S5UIyMAr6r/pAZ6konPLI08pDVmbrDESpRMR3jObCWAcl/GuzbzKOmuiVCyRgimcsdJBSkc3",
        "yusHCr1nwTcoznk7oiDCjPiWRTa6nbNSloZGqVrLUOBq03IHf023VE2A4kOe14y1f5DNTHVziy2AcBg08blp5LMoHhnLdL3oWLaTysWreIUWUdvtrspckU5DRRA6sc7ZAY4q37t7nR2zVlftwJ9bqA0tQ3LcD8k9UjLRsRNy3Xb0MhgKdUNAuG+TPbxzj8xve3/RDEZH+sQT7bx4M1XIdVjszGuXf0/1xuCHUpGdlb970I97S7+zXmFKx6vMA9RhNHKUKnw=",
        "zw99cTRpPtiL5jdOljF0xfaoaaZJsPLqkFS2u/0XH8YjUzZg/x1+12+WhJPunM9YmcW3xBpupQgnGbWwbrznyCQECqLvZRKTRwgvSKi/q3fgzUUTxlF+AQ==",
    ],
}
