"""Tests of toolkit.clustering: purity (all members, never one point), agreement, methods, the
study."""

import numpy as np
import pytest
import torch

from toolkit import activations as A
from toolkit import clustering as C
from toolkit.models import MLP

torch.set_num_threads(1)


def purity_from_one_point(clusters, labels):
    """The original study's bug (notebook 03 shows it): one member decides and is the only one
    checked."""
    clusters, labels = np.asarray(clusters), np.asarray(labels)
    return {
        int(c): float(
            labels[np.flatnonzero(clusters == c)[0]] == labels[np.flatnonzero(clusters == c)[0]]
        )
        for c in np.unique(clusters)
    }


# ---------------------------------------------------------------- purity
def test_purity_by_hand():
    clusters = [0, 0, 0, 0, 1, 1, 1, 2]
    labels = [7, 7, 7, 3, 1, 2, 2, 5]
    assert C.purity(clusters, labels) == {0: 0.75, 1: pytest.approx(2 / 3), 2: 1.0}
    assert C.majority_labels(clusters, labels) == {0: 7, 1: 2, 2: 5}
    assert C.overall_purity(clusters, labels) == pytest.approx(6 / 8)


def test_purity_uses_all_members_not_one_point():
    """The original study's bug: reading one point made every cluster '100% pure'. Here the first
    member of every cluster carries a label that nobody else in the cluster has."""
    rng = np.random.default_rng(0)
    clusters = np.repeat(np.arange(5), 40)
    labels = rng.integers(0, 10, size=200)
    for c in range(5):
        idx = np.flatnonzero(clusters == c)
        labels[idx[0]] = 10 + c  # a unique label on the first point ...
        labels[idx[1:]] = c  # ... and the cluster's true label on the 39 others
        labels[idx[1:6]] = (c + 1) % 5  # 5 impurities
    p = C.purity(clusters, labels)
    assert all(v == pytest.approx(34 / 40) for v in p.values())
    assert all(v == 1.0 for v in purity_from_one_point(clusters, labels).values())  # the bug
    # and shuffled cluster assignments are far from pure
    y = np.repeat(np.arange(10), 50)
    random_clusters = rng.integers(0, 10, size=500)
    assert np.mean(list(C.purity(random_clusters, y).values())) < 0.35


def test_purity_membership_lists_and_noise():
    labels = np.array([1, 1, 2, 2, 2])
    assert C.purity({"a": [0, 1, 2], "b": [2, 3, 4]}, labels) == {
        "a": pytest.approx(2 / 3),
        "b": 1.0,
    }
    assert C.purity([-1, 0, 0, 1, 1], labels) == {0: 0.5, 1: 1.0}  # -1 = not clustered
    assert C.purity(torch.tensor([0, 0, 1, 1, 1]), torch.tensor([1, 1, 2, 2, 2])) == {
        0: 1.0,
        1: 1.0,
    }


def test_purity_bad_input():
    with pytest.raises(ValueError, match="empty"):
        C.purity({0: [0, 1], 1: []}, [0, 1, 1])
    with pytest.raises(ValueError, match="match"):
        C.purity([0, 0, 1], [0, 1])
    with pytest.raises(ValueError):
        C.purity([0, 0, 1], [0, np.nan, 1])
    with pytest.raises(ValueError, match="no clusters"):
        C.purity([-1, -1], [0, 1])


# ---------------------------------------------------------------- agreement
def test_agreement_and_matching():
    a = np.array([0, 0, 1, 1, 2, 2])
    b = np.array([5, 5, 3, 3, 9, 9])  # the same partition, renamed
    assert C.agreement(a, b) == {
        "ari": pytest.approx(1.0),
        "nmi": pytest.approx(1.0),
        "coverage": 1.0,
        "n": 6,
    }
    assert C.match_clusters(a, b) == {0: 5, 1: 3, 2: 9}
    c = np.array([0, 1, 0, 1, 0, 1])
    assert C.agreement(a, c)["ari"] < 0.1
    # covered_only: -1 points are left out (the old convention); by default they are singletons
    assert C.agreement([0, 0, 1, 1, -1], [1, 1, 0, 0, 0], covered_only=True)[
        "ari"
    ] == pytest.approx(1.0)
    d = C.agreement([0, 0, 1, 1, -1], [1, 1, 0, 0, 0])
    assert d["ari"] < 1.0 and d["coverage"] == pytest.approx(0.8) and d["n"] == 5


def _truth_and_noisy(seed=0, n_per=60, wrong=0.15):
    """True digits y (10 classes) and a clustering that gets a share ``wrong`` of them wrong."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(10), n_per)
    c = y.copy()
    hard = rng.choice(len(y), size=int(wrong * len(y)), replace=False)
    c[hard] = (y[hard] + rng.integers(1, 10, size=len(hard))) % 10
    return y, c, hard


def test_agreement_dropping_hard_points_cannot_raise_the_score():
    y, c, hard = _truth_and_noisy()
    dropped = c.copy()
    dropped[hard] = -1  # a method that leaves out exactly the points it gets wrong
    biased = C.agreement(dropped, y, covered_only=True)
    fair = C.agreement(dropped, y)
    assert biased["ari"] == pytest.approx(1.0)  # the bias the default removes
    assert fair["coverage"] == pytest.approx(0.85) and fair["n"] == len(y)
    assert fair["ari"] < 0.9 and fair["nmi"] < biased["nmi"]
    # the default is exactly "each left-out point a cluster of its own"
    singletons = c.copy()
    singletons[hard] = 100 + np.arange(len(hard))
    assert fair == {**C.agreement(singletons, y), "coverage": fair["coverage"]}
    # a method that clusters only 20 easy points scores near 0, not 1
    few = np.full(len(y), -1)
    few[:20] = y[:20]
    assert C.agreement(few, y, covered_only=True)["ari"] == pytest.approx(1.0)
    assert C.agreement(few, y)["ari"] < 0.05
    # leaving out more and more correct points only lowers the score
    scores = []
    for k in (0, 60, 120, 240):
        part = y.copy()
        part[:k] = -1
        scores.append(C.agreement(part, y)["ari"])
    assert scores[0] == pytest.approx(1.0) and all(np.diff(scores) < 0)


def test_purity_reports_coverage_and_counts_unclustered_as_misses():
    y, c, hard = _truth_and_noisy(seed=1)
    dropped = c.copy()
    dropped[hard] = -1
    assert C.overall_purity(dropped, y, covered_only=True) == pytest.approx(1.0)
    assert C.overall_purity(dropped, y) == pytest.approx(0.85)  # unclustered points are misses
    p = C.purity(dropped, y)
    assert p.coverage == pytest.approx(0.85) and all(v == 1.0 for v in p.values())
    assert C.coverage(dropped, len(y)) == pytest.approx(0.85)
    assert C.coverage({0: [0, 1], 1: [1, 2]}, 4) == pytest.approx(
        0.75
    )  # overlapping clusters count once


@pytest.mark.parametrize(
    "a, b, match",
    [
        ([0, 1], [0, 1, 2], "same points|lengths"),
        ([-1, -1, -1], [0, 1, 1], "no clustered point"),
        ([0, 1, 1], [-1, -1, -1], "no clustered point"),
        ([0.5, 1, 1], [0, 1, 1], "whole"),
        ([np.nan, 1, 1], [0, 1, 1], "NaN"),
        (["a", "b", "b"], [0, 1, 1], "whole class indices"),
        ([0, -2, 1], [0, 1, 1], "-1 for unclustered"),
        ([[0, 1]], [[0, 1]], r"vector \(N,\)"),
    ],
)
def test_agreement_bad_input(a, b, match):
    with pytest.raises((TypeError, ValueError), match=match):
        C.agreement(a, b)


def test_mapper_method_is_the_one_mapper_merged_to_n_clusters():
    """cluster(A, "mapper", k) = mapper.mapper_graph(A, **MAPPER_SETTINGS) with its nodes merged
    into k groups of nodes (exactly k), the same labels as the graph's own point_clusters("merged")
    (at most k clusters of points), -1 only for points in no node; on well separated blobs it finds
    them."""
    from toolkit import mapper as M

    X, y = _blobs(60)
    for k in (4, 6):
        m = C.cluster(X, "mapper", n_clusters=k, seed=0)
        res = M.mapper_graph(X, **C.MAPPER_SETTINGS, random_state=0)
        np.testing.assert_array_equal(m.labels, res.point_clusters("merged", n_clusters=k))
        assert len(np.unique(res.node_clusters("merged", n_clusters=k))) == k
        assert m.n_clusters <= k and m.params["mapper"]["nodes"] == res.n_nodes
        in_node = np.zeros(len(X), bool)
        in_node[np.concatenate(res.members)] = True
        np.testing.assert_array_equal(m.labels >= 0, in_node)
    four = C.cluster(X, "mapper", n_clusters=4).labels
    assert len(np.unique(four[four >= 0])) == 4 and C.agreement(four, y)["ari"] > 0.9


# ---------------------------------------------------------------- methods
def _blobs(n_per=40, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=10, size=(4, 10))
    y = np.repeat(np.arange(4), n_per)
    return (centers[y] + rng.normal(size=(len(y), 10))).astype(np.float32), y


@pytest.mark.parametrize("method", ["kmeans", "tsne"])
def test_methods_recover_separated_blobs(method):
    X, y = _blobs()
    c = C.cluster(X, method, n_clusters=4, seed=0)
    assert c.labels.shape == (160,) and c.n_clusters == 4 and c.seconds > 0
    assert C.agreement(c.labels, y)["ari"] > 0.95
    assert (c.embedding is None) == (method == "kmeans")


@pytest.mark.slow
def test_umap_and_mapper_run():
    X, y = _blobs(30)
    u = C.cluster(X, "umap", n_clusters=4)
    assert u.embedding.shape == (120, 2) and C.agreement(u.labels, y)["ari"] > 0.9
    m = C.cluster(X, "mapper", n_clusters=3)
    assert m.labels.min() >= -1 and m.n_clusters == 3


def test_cluster_bad_input():
    X, _ = _blobs(5)
    with pytest.raises(ValueError, match="Unknown"):
        C.cluster(X, "dbscan")
    with pytest.raises(ValueError, match="n_clusters"):
        C.cluster(X, "kmeans", n_clusters=100)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        C.cluster(X, "kmeans", n_clusters=2)


def test_sample():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    Xs, ys = C.sample(X, y, 4, seed=1)
    assert len(Xs) == 4 and (Xs[:, 0] // 2 == ys).all() and (np.diff(ys) > 0).all()
    assert C.sample(X, y, None)[0] is X


# ---------------------------------------------------------------- the study on a planted net
@pytest.fixture(scope="module")
def planted():
    """An MLP whose hidden neurons 10..19 detect 'class j' images exactly (neuron 10 + j)."""
    torch.manual_seed(0)
    m = MLP(hidden=30)
    protos = np.zeros((10, 784), dtype=np.float32)
    for j in range(10):
        protos[j, j * 78 : (j + 1) * 78] = 1.0
    with torch.no_grad():
        m.fc1.weight.mul_(0.01)
        m.fc1.weight[10:20] = torch.from_numpy(protos)
        m.fc1.bias.zero_()
        m.fc2.weight.zero_()
        m.fc2.weight[:, 10:20] = torch.eye(10) * 0.2
        m.fc2.bias.zero_()
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 15)
    X = protos[y] + 0.1 * rng.normal(size=(150, 784)).astype(np.float32)
    return m, torch.from_numpy(X.reshape(-1, 1, 28, 28)), torch.from_numpy(y)


def test_planted_neurons_are_found(planted):
    """Notebook 03's pipeline on a planted net: record, cluster the outputs, count top-k neurons."""
    m, X, y = planted
    rec = A.record(m, X, layers=["fc1"])
    c = C.cluster(rec.outputs, "kmeans", 10, seed=0)
    assert C.agreement(c.labels, y)["ari"] > 0.95 and C.overall_purity(c.labels, y) > 0.95
    cn = A.cluster_neurons(rec.flat("fc1"), c.labels, k=1, n_best=1)
    maj = C.majority_labels(c.labels, y)
    for cid in cn.ids:
        assert cn.best_of(cid)[0] == 10 + maj[cid]


# ---------------------------------------------------------------- the notebook's exercise q1
def test_ex03_q1_accepts_right_rejects_single_point_bug(monkeypatch):
    from toolkit.exercises import ExerciseFailed, ex03

    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    monkeypatch.setattr(
        ex03.q1, "_forbid", None
    )  # the toolkit's own function as the reference answer (students may not: #22)
    assert ex03.q1(C.purity)
    assert ex03.q1(lambda c, l: [C.purity(c, l)[k] for k in sorted(set(c))])  # a list is fine too
    with pytest.raises(ExerciseFailed, match="100%|purity"):
        ex03.q1(purity_from_one_point)
    with pytest.raises(ExerciseFailed):
        ex03.q1(lambda c, l: {k: 1 - v for k, v in C.purity(c, l).items()})
    with pytest.raises(NotImplementedError):

        def stub(c, l):
            raise NotImplementedError

        ex03.q1(stub)


def test_score_table_same_points_and_references():
    truth = np.repeat([0, 1], 100)
    noisy = truth.copy()
    noisy[:40] = -1  # 40 unclustered points
    mixed = np.zeros_like(truth)  # one cluster holding both halves
    pred = truth.copy()
    pred[150:] = 0  # "predictions" that merge half of class 1
    t = C.score_table(
        {"perfect": truth, "partial": noisy, "one blob": mixed},
        {"digits": truth, "predictions": pred},
    )
    assert (
        t.loc["perfect", "ARI vs digits"] == pytest.approx(1.0)
        and t.loc["perfect", "purity vs digits"] == 1.0
    )
    assert t.loc["perfect", "ARI vs predictions"] < 0.9
    assert t.loc["partial", "coverage"] == pytest.approx(0.8) and t.loc["partial", "clusters"] == 2
    assert t.loc["partial", "ARI vs digits, covered only"] == pytest.approx(1.0)
    assert t.loc["partial", "ARI vs digits"] < 0.9 and t.loc[
        "partial", "purity vs digits"
    ] == pytest.approx(0.8)
    assert t.loc["one blob", "purity vs digits"] == pytest.approx(0.5)
    assert t.loc["one blob", "ARI vs digits"] == pytest.approx(0.0)
    # on the points "partial" covers, every row is scored on the same 160 points
    t2 = C.score_table({"perfect": truth, "partial": noisy}, {"digits": truth}, on=noisy >= 0)
    assert t2.loc["partial", "coverage"] == 1.0
    assert t2.loc["partial", "ARI vs digits"] == pytest.approx(t2.loc["perfect", "ARI vs digits"])
    with pytest.raises(ValueError, match="entries"):
        C.score_table({"short": truth[:-1]}, {"digits": truth})
    with pytest.raises(ValueError, match="mask"):
        C.score_table({"x": truth}, {"digits": truth}, on=np.zeros(200, bool))


def test_cluster_table_counts_all_members():
    clusters = np.array([0, 0, 0, 0, 1, 1, -1])
    labels = np.array([3, 3, 5, 3, 7, 7, 1])
    t = C.cluster_table(clusters, labels)
    assert list(t.index) == [0, 1]
    assert (
        t.loc[0, "size"] == 4
        and t.loc[0, "majority"] == 3
        and t.loc[0, "purity"] == pytest.approx(0.75)
    )
    assert t.loc[0, "runner_up"] == 5 and t.loc[0, "runner_up_share"] == pytest.approx(0.25)
    assert t.loc[1, "runner_up"] == -1 and t.loc[1, "share_of_all"] == pytest.approx(2 / 7)
