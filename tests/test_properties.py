"""Property-based tests (hypothesis) of the public API the notebooks call.

For generated inputs, good and bad, every function either returns a result of its documented shape
with no NaN (for finite input), or raises ValueError / TypeError whose message names the argument --
never another exception from deep inside NumPy, torch, ripser or scikit-learn, and never a silently
wrong value.

Budget: the examples per test come from $TOOLKIT_PROPERTY_EXAMPLES (default 20, the CI setting;
about a minute for the whole file on 2 cores). Run more locally, e.g. TOOLKIT_PROPERTY_EXAMPLES=300.
Examples are derandomized (the same every run), so a CI failure reproduces.
"""

import math
import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from toolkit import activations, alignment, arrays, clustering, data, filters, homology, mapper
from toolkit import neural_persistence, pretraining, report
from toolkit.models import CNN, MLP
from toolkit.train import evaluate, fit, predict

N_EXAMPLES = int(os.environ.get("TOOLKIT_PROPERTY_EXAMPLES", "20"))
settings.register_profile(
    "toolkit",
    max_examples=N_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
settings.load_profile("toolkit")


def fails_cleanly(exc: BaseException, *names: str) -> None:
    """The only acceptable failure: ValueError/TypeError whose message names one of ``names``."""
    assert isinstance(exc, (ValueError, TypeError)), f"{type(exc).__name__}: {exc}"
    msg = str(exc).lower()
    assert any(n.lower() in msg for n in names), f"message names none of {names}: {exc}"


def call(fn, *names):
    """fn() -> (True, result), or (False, None) after checking the failure is clean."""
    try:
        out = fn()
    except Exception as e:  # noqa: BLE001 - the property is about which exceptions escape
        fails_cleanly(e, *names)
        event(f"refused: {type(e).__name__}")
        return False, None
    event("returned a result")  # --hypothesis-show-statistics shows how often each branch ran
    return True, out


# ------------------------------------------------------------------------------------------------
# strategies
# ------------------------------------------------------------------------------------------------
finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=32)


def with_nan(lo, hi):
    return st.one_of(st.floats(lo, hi), st.just(float("nan")), st.just(float("inf")))


anything_number = st.one_of(
    st.integers(-5, 50),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
)


def mostly(valid, invalid=anything_number):
    """Valid values about 7 times in 8, so that the result branch of a property runs often."""
    return st.integers(0, 7).flatmap(lambda i: invalid if i == 0 else valid)


def clouds(min_n=1, max_n=40, max_d=4, elements=finite):
    return st.integers(1, max_d).flatmap(
        lambda d: hnp.arrays(
            np.float64, st.tuples(st.integers(min_n, max_n), st.just(d)), elements=elements
        )
    )


# ------------------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def offline_data(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TOOLKIT_DATA", str(tmp_path_factory.mktemp("data")))
    mp.setenv("TOOLKIT_OFFLINE", "1")
    yield
    mp.undo()


@given(
    classes=mostly(
        st.one_of(st.none(), st.lists(st.integers(0, 9), min_size=1, max_size=4)),
        st.one_of(
            st.lists(st.integers(-2, 12), max_size=4),
            st.text(max_size=3),
            st.lists(st.floats(0, 9), min_size=1, max_size=2),
            st.integers(0, 9),
        ),
    ),
    n=mostly(
        st.one_of(st.none(), st.integers(1, 1200)),
        st.one_of(st.integers(-3, 0), st.floats(-2, 50), st.text(max_size=2)),
    ),
    split=mostly(st.sampled_from(["train", "test"]), st.just("val")),
    seed=mostly(st.integers(0, 5), st.floats(0, 1)),
)
def test_data_load(offline_data, classes, n, split, seed):
    ok, d = call(
        lambda: data.load("mnist", split, classes=classes, n=n, seed=seed, device="cpu"),
        "classes",
        "n must",
        "split",
        "seed",
    )
    if ok:
        assert (
            d.X.dtype == torch.float32 and d.X.shape[1:] == (1, 28, 28) and d.y.shape == (len(d),)
        )
        assert len(d) >= 1 and torch.isfinite(d.X).all()
        if n is not None:
            assert len(d) <= n
        if classes is not None:
            assert set(d.y.tolist()) <= {int(c) for c in classes}


@given(
    arr=st.one_of(
        hnp.arrays(
            np.int64,
            hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
            elements=st.integers(-3, 300),
        ),
        hnp.arrays(
            np.float64,
            hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
            elements=with_nan(-2, 300),
        ),
        hnp.arrays(np.uint8, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)),
    ),
    gz=st.booleans(),
)
def test_write_then_read_idx(tmp_path_factory, arr, gz):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if gz else "a.idx")
    ok, _ = call(lambda: data.write_idx(path, arr), "array")
    fits = (
        arr.ndim >= 1
        and arr.size > 0
        and np.all(np.isfinite(arr))
        and np.all(arr == np.round(arr))
        and arr.min() >= 0
        and arr.max() <= 255
    )
    assert ok == bool(fits)  # written exactly when every value fits a byte, never wrapped
    if ok:
        back = data.read_idx(path)
        assert back.dtype == np.uint8 and back.shape == arr.shape and np.array_equal(back, arr)


@given(
    header=st.binary(min_size=0, max_size=16),
    body=st.binary(max_size=64),
    real=st.booleans(),
    gz=st.booleans(),
    flip=st.lists(st.integers(0, 200), max_size=3),
)
def test_read_idx_of_any_bytes(tmp_path_factory, header, body, real, gz, flip):
    """A damaged file (any bytes, or a real header with a wrong body) gives DataCorrupt naming the
    file."""
    import gzip
    import struct

    if real:  # a valid header for a (2, 3) array, then whatever body
        header = struct.pack(">HBB", 0, 8, 2) + struct.pack(">2I", 2, 3)
    path = tmp_path_factory.mktemp("idx") / ("x.idx.gz" if gz else "x.idx")
    raw = bytearray(gzip.compress(header + body) if gz else header + body)
    for i in flip:  # damaged bytes (inside the compressed stream for .gz)
        if i < len(raw):
            raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))
    flipped = any(i < len(raw) for i in flip)
    try:
        arr = data.read_idx(path)
    except data.DataCorrupt as e:
        assert str(path) in str(e) and "download again" in str(e)
        return
    assert arr.dtype == np.uint8
    if not flipped:
        assert arr.size == len(header + body) - 4 - 4 * arr.ndim


# ------------------------------------------------------------------------------------------------
# train
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny():
    g = torch.Generator().manual_seed(0)
    return torch.randn(24, 784, generator=g), torch.arange(24) % 10


# wrong values for the counts of a training run: a whole float such as 1e15 is a valid count that
# would train for ever, so the floats drawn here stay small
small_wrong = st.one_of(
    st.integers(-5, 0),
    st.floats(-50, 50, allow_nan=False).filter(lambda f: f != int(f)),
    st.sampled_from([float("nan"), float("inf"), "3", None, True]),
)


@given(
    batch_size=mostly(st.integers(1, 30), small_wrong),
    epochs=mostly(st.integers(1, 2), small_wrong),
    lr=mostly(st.floats(1e-4, 0.1)),
    weight_decay=mostly(st.floats(0, 0.1)),
    iterations=mostly(st.one_of(st.none(), st.integers(1, 5)), small_wrong),
)
def test_fit_arguments(tiny, batch_size, epochs, lr, weight_decay, iterations):
    X, y = tiny
    torch.manual_seed(0)
    model = MLP(4)
    ok, h = call(
        lambda: fit(
            model,
            X,
            y,
            batch_size=batch_size,
            epochs=epochs,
            lr=lr,
            weight_decay=weight_decay,
            iterations=iterations,
            progress=False,
            device="cpu",
        ),
        "batch_size",
        "epochs",
        "lr",
        "weight_decay",
        "iterations",
    )
    if ok:
        assert len(h["loss"]) == len(h["acc"]) == len(h["step"]) >= 1
        assert all(math.isfinite(v) for v in h["loss"]) and all(0 <= a <= 1 for a in h["acc"])
        assert h["step"][-1] == (
            iterations if iterations is not None else epochs * math.ceil(len(X) / batch_size)
        )


@given(
    batch_size=mostly(st.integers(1, 30)), n=st.integers(1, 24), shift=st.sampled_from([0, 0, 10])
)
def test_evaluate_and_predict_arguments(tiny, batch_size, n, shift):
    X, y = tiny
    torch.manual_seed(0)
    model = MLP(4)
    ok, res = call(
        lambda: evaluate(model, X[:n], y[:n] + shift, batch_size=batch_size, device="cpu"),
        "batch_size",
        "labels",
    )
    if ok:
        loss, acc = res
        assert shift == 0 and math.isfinite(loss) and loss >= 0 and 0 <= acc <= 1
        assert acc * n == pytest.approx(round(acc * n))  # a share of the n samples
    ok, out = call(lambda: predict(model, X[:n], batch_size=batch_size, device="cpu"), "batch_size")
    if ok:
        assert out.shape == (n, 10) and torch.isfinite(out).all()
        assert torch.allclose(out.exp().sum(1), torch.ones(n), atol=1e-4)  # log-probabilities


# ------------------------------------------------------------------------------------------------
# mapper
# ------------------------------------------------------------------------------------------------
@given(
    X=clouds(min_n=1, max_n=60, max_d=3),
    resolution=mostly(
        st.integers(1, 12), st.one_of(st.integers(-1, 0), st.floats(-1, 12), st.none())
    ),
    gain=mostly(st.floats(0.05, 0.7), st.floats(-0.5, 1.5)),
    clusterer=st.sampled_from([None, "dbscan", "single", "kmeans"]),
)
def test_mapper_graph(X, resolution, gain, clusterer):
    ok, res = call(
        lambda: mapper.mapper_graph(X, resolution=resolution, gain=gain, clusterer=clusterer),
        "resolution",
        "gain",
        "X ",
        "points",
        "cluster",
        "lens",
    )
    if ok:
        assert res.n_points == len(X) and res.n_nodes == len(res.members) >= 1
        for m in res.members:
            assert len(m) >= 1 and m.min() >= 0 and m.max() < len(X) and np.all(np.diff(m) > 0)
        assert res.lens.shape[0] == len(X) and np.isfinite(res.lens).all()


# ------------------------------------------------------------------------------------------------
# homology
# ------------------------------------------------------------------------------------------------
@given(
    X=clouds(min_n=1, max_n=30, max_d=3),
    maxdim=mostly(st.integers(0, 2), st.sampled_from([-2, -1, 1.5, "1", None, True])),
    n_landmarks=mostly(
        st.one_of(st.none(), st.integers(1, 40)), st.sampled_from([-1, 0, 2.5, "5"])
    ),
    coeff=mostly(st.sampled_from([2, 3]), st.sampled_from([4, 1, 2.5, "2"])),
)
def test_persistence_and_its_summaries(X, maxdim, n_landmarks, coeff):
    ok, dg = call(
        lambda: homology.persistence(X, maxdim=maxdim, n_landmarks=n_landmarks, coeff=coeff),
        "maxdim",
        "n_landmarks",
        "coeff",
        "point cloud",
    )
    if not ok:
        return
    assert len(dg) == maxdim + 1
    for d in dg:
        assert d.ndim == 2 and d.shape[1] == 2 and not np.isnan(d).any()
        assert np.isfinite(d[:, 0]).all() and (d[:, 1] >= d[:, 0]).all()
    assert len(dg[0]) >= 1 and np.isinf(dg[0][:, 1]).sum() == 1  # one component lives forever
    for dim in range(len(dg)):
        s = homology.circle_score(dg, dim)
        assert not math.isnan(s) and s >= 0
        life = homology.bar_lengths(dg, dim)
        assert life.shape == (len(dg[dim]),) and np.all(np.diff(life[np.isfinite(life)]) <= 0)
    for dim in (maxdim + 1, -1, 0.5, "1", None):
        ok, _ = call(lambda: homology.circle_score(dg, dim), "dimension", "dim")  # noqa: B023
        assert not ok
    for scale in (0.0, 0.5, 1e6, np.float32(0.25), 3, float("nan"), [0.1, 2.0], [[0.1]], None):
        ok, b = call(lambda: homology.betti_curve(dg, scale), "scales")  # noqa: B023
        assert ok == (scale is not None and np.ndim(scale) <= 1 and bool(np.isfinite(scale).all()))
        if ok:
            assert b.shape == (np.size(scale), len(dg)) and b.dtype.kind == "i" and (b >= 0).all()
    assert homology.betti_curve(dg, 1e6)[0, 0] == 1


@given(
    dgm=hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 6), st.just(2)),
        elements=st.floats(0, 10, allow_nan=False),
    )
)
def test_circle_score_of_a_bare_diagram(dgm):
    dgm = np.sort(dgm, axis=1)  # birth <= death
    s = homology.circle_score(dgm)  # a bare (n, 2) array is one diagram
    life = np.sort(dgm[:, 1] - dgm[:, 0])[::-1]
    assert not math.isnan(s) and s >= 0
    if len(life) >= 2 and life[1] > 0:
        assert s == pytest.approx(life[0] / life[1])


@given(
    X=clouds(min_n=1, max_n=50, max_d=4),
    n=mostly(st.integers(1, 50), st.one_of(st.integers(-2, 0), st.floats(0, 5), st.just("3"))),
    seed=mostly(st.integers(0, 3), st.sampled_from([-1, 0.5, None])),
)
def test_maxmin_landmarks(X, n, seed):
    ok, idx = call(lambda: homology.maxmin_landmarks(X, n, seed=seed), "n_landmarks", "seed")
    if ok:
        assert idx.shape == (int(n),) and idx.min() >= 0 and idx.max() < len(X)
        # maxmin picks a new point while one is left: duplicates only once every distinct point is
        # in
        assert len(np.unique(X[idx], axis=0)) == min(int(n), len(np.unique(X, axis=0)))


# ------------------------------------------------------------------------------------------------
# filters
# ------------------------------------------------------------------------------------------------
filter_sets = st.integers(1, 40).flatmap(
    lambda n: mostly(
        st.one_of(
            hnp.arrays(np.float64, (n, 9), elements=finite, unique=True),
            hnp.arrays(np.float64, (n, 9), elements=finite),
            hnp.arrays(np.float64, (n, 3, 3), elements=finite, unique=True),
        ),
        hnp.arrays(np.float64, (n, 8), elements=finite),
    )
)


@given(
    F=filter_sets, norm=st.sampled_from(["l2", "dnorm", "l2", "dnorm", "l1"]), drop=st.booleans()
)
def test_normalize_and_dct_coordinates(F, norm, drop):
    ok, G = call(
        lambda: filters.normalize(F, norm, drop_constant=drop),
        "norm",
        "filters",
        "constant",
        "shape",
    )
    if not ok:
        return
    assert G.ndim == 2 and G.shape[1] == 9 and G.shape[0] <= len(F) and np.isfinite(G).all()
    assert np.allclose(G.mean(1), 0, atol=1e-9)
    n = np.linalg.norm(G, axis=1) if norm == "l2" else filters.d_norm(G)
    assert np.allclose(n, 1)
    c = filters.dct_coordinates(G)
    assert c.shape == (len(G), 8) and np.isfinite(c).all()
    if norm == "dnorm":
        assert np.allclose(np.linalg.norm(c, axis=1), 1, atol=1e-6)  # D-normalized: ||c|| = 1


@given(
    F=clouds(min_n=1, max_n=60, max_d=9),
    k=mostly(
        st.integers(1, 10),
        st.one_of(st.integers(-1, 70), st.floats(0, 3), st.sampled_from(["3", True])),
    ),
    p=mostly(st.floats(0.01, 1.0), st.one_of(with_nan(-0.5, 1.5), st.sampled_from(["0.3", None]))),
)
def test_density_filtration(F, k, p):
    ok, res = call(
        lambda: filters.density_filtration(F, k, p, return_index=True), "k=", "k ", "p=", "p "
    )
    if ok:
        assert (
            not isinstance(k, (bool, str)) and k == int(k) and not isinstance(p, (bool, str))
        )  # never rounded
        kept, idx = res
        assert (
            kept.shape == (max(1, int(round(p * len(F)))), F.shape[1]) and np.isfinite(kept).all()
        )
        assert np.array_equal(kept, F[idx]) and len(np.unique(idx)) == len(idx)


# ------------------------------------------------------------------------------------------------
# clustering
# ------------------------------------------------------------------------------------------------
labelings = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        hnp.arrays(np.int64, n, elements=st.integers(-1, 5))
        | hnp.arrays(np.int64, n, elements=st.integers(-2, 5)),
        st.one_of(
            hnp.arrays(np.int64, n, elements=st.integers(-1, 5)),
            hnp.arrays(np.int64, n, elements=st.integers(0, 5)),
            hnp.arrays(np.int64, st.integers(1, 40), elements=st.integers(-1, 5)),
            hnp.arrays(np.float64, n, elements=with_nan(-1, 5)),
        ),
    )
)


@given(ab=labelings, covered_only=st.booleans())
def test_agreement(ab, covered_only):
    a, b = ab
    ok, r = call(
        lambda: clustering.agreement(a, b, covered_only=covered_only),
        "labeling",
        "label",
        "clustered",
    )
    if ok:
        assert set(r) >= {"ari", "nmi", "coverage", "n"}
        assert all(math.isfinite(r[k]) for k in ("ari", "nmi", "coverage"))
        assert (
            -1 <= r["ari"] <= 1 + 1e-9 and -1e-9 <= r["nmi"] <= 1 + 1e-9 and 0 <= r["coverage"] <= 1
        )
        assert r["n"] == (len(a) if not covered_only else int(((a >= 0) & (b >= 0)).sum()))


@given(ab=labelings)
def test_purity(ab):
    clusters, labels = ab
    ok, p = call(lambda: clustering.purity(clusters, labels), "cluster", "label", "points", "match")
    if ok:
        assert len(p) >= 1 and all(0 < v <= 1 for v in p.values())
        assert 0 < p.coverage <= 1


# ------------------------------------------------------------------------------------------------
# activations
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mlp():
    torch.manual_seed(0)
    return MLP(6)


@given(
    n=st.integers(0, 12),
    layers=st.sampled_from([None, "fc1", ["fc1", "fc2"], "fc3", []]),
    batch_size=mostly(st.integers(1, 8)),
    as_numpy=st.booleans(),
)
def test_record(mlp, n, layers, batch_size, as_numpy):
    X = torch.randn(n, 784, generator=torch.Generator().manual_seed(n))
    try:
        rec = activations.record(mlp, X.numpy() if as_numpy else X, layers, batch_size=batch_size)
    except (
        KeyError
    ) as e:  # documented: an unknown layer name raises KeyError listing the valid ones
        assert layers == "fc3" and "fc1" in str(e)
        return
    except Exception as e:  # noqa: BLE001
        fails_cleanly(e, "X ", "batch_size", "layers")
        return
    names = ["fc1", "fc2"] if layers is None else ([layers] if isinstance(layers, str) else layers)
    assert rec.layers == names and rec.outputs.shape == (n, 10) and rec.predictions.shape == (n,)
    widths = {"fc1": 6, "fc2": 10}
    for name in names:
        assert rec.pre[name].shape == (n, widths[name]) and np.isfinite(rec.pre[name]).all()
        assert rec.post[name].shape == (n, widths[name])


@given(
    A=st.integers(1, 6).flatmap(
        lambda h: mostly(
            hnp.arrays(
                np.float64, st.tuples(st.integers(1, 20), st.just(h)), elements=st.floats(-5, 5)
            ),
            hnp.arrays(
                np.float64, st.tuples(st.integers(1, 20), st.just(h)), elements=with_nan(-5, 5)
            ),
        )
    ),
    k=mostly(st.integers(1, 6), st.one_of(st.integers(-1, 0), st.floats(0, 3), st.just(True))),
)
def test_top_k_neurons(A, k):
    ok, top = call(lambda: activations.top_k_neurons(A, k), "k ", "k=", "activations")
    if ok:
        assert np.isfinite(A).all() and type(k) is int  # NaN input and k=True are refused
        assert top.shape == (len(A), k) and top.dtype == np.int64
        assert top.min() >= 0 and top.max() < A.shape[1]
        for row, t in zip(A, top):
            assert len(set(t.tolist())) == k
            assert np.all(np.diff(row[t]) <= 0)  # most active first


# ------------------------------------------------------------------------------------------------
# the one count / fraction / membership vocabulary (toolkit/arrays.py) and the functions built on it
# ------------------------------------------------------------------------------------------------
counts = st.one_of(
    st.integers(-3, 12),
    st.floats(-3, 12),
    st.sampled_from([2.0, 2.5, True, False, "3", None, float("nan"), np.int64(4)]),
)


def whole_at_least(v, lo):
    """What as_count accepts: an int or whole float >= lo, never a bool, text or NaN."""
    return (
        not isinstance(v, (bool, str, np.bool_))
        and v is not None
        and math.isfinite(v)
        and v == int(v)
        and v >= lo
    )


@given(v=counts)
def test_counts_accepted_exactly_when_whole(v):
    for fn, name, lo in [
        (lambda: filters.primary_circle_filters(v), "n", 1),
        (lambda: MLP(hidden=v), "hidden", 1),
        (lambda: pretraining.filter_bank("gaussian", v), "n", 1),
    ]:
        ok, out = call(fn, name)
        assert ok == whole_at_least(v, lo), (name, v)
        if ok:
            assert len(out) == int(v) if name == "n" else out.hidden == int(v)


@given(n=counts, seed=st.sampled_from([0, 3, -1, 1.5]))
def test_sample(n, seed):
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    ok, out = call(lambda: clustering.sample(X, y, n, seed=seed), "n ", "seed")
    if n is None:
        assert ok == whole_at_least(seed, 0)  # the seed is checked even when every point is kept
    elif ok:
        assert whole_at_least(n, 1) and whole_at_least(seed, 0)
        Xs, ys = out
        assert (
            len(ys) == min(int(n), 10)
            and np.array_equal(Xs[:, 0] / 2, ys)
            and np.all(np.diff(ys) > 0)
        )
    else:
        assert not (whole_at_least(n, 1) and whole_at_least(seed, 0))


@given(
    A=clouds(min_n=1, max_n=25, max_d=3), n_clusters=counts, seed=st.sampled_from([0, 1, -2, 0.5])
)
def test_cluster_kmeans(A, n_clusters, seed):
    ok, c = call(
        lambda: clustering.cluster(A, "kmeans", n_clusters=n_clusters, seed=seed),
        "n_clusters",
        "seed",
    )
    assert ok == (
        whole_at_least(n_clusters, 1) and int(n_clusters) <= len(A) and whole_at_least(seed, 0)
    )
    if ok:
        assert (
            c.labels.shape == (len(A),) and 0 <= c.labels.min() and c.labels.max() < int(n_clusters)
        )


@given(
    members=st.lists(
        st.lists(st.one_of(st.integers(-2, 12), st.floats(-1, 12), st.just(True)), max_size=4),
        max_size=4,
    )
)
def test_as_membership(members):
    ok, out = call(lambda: arrays.as_membership(members, n=10), "cluster")
    flat = [v for m in members for v in m]
    good = members and all(members) and all(whole_at_least(v, 0) and v < 10 for v in flat)
    assert ok == bool(good), members
    if ok:
        assert all(
            np.array_equal(out[i], np.unique(np.array(m, dtype=np.int64)))
            for i, m in enumerate(members)
        )


# ------------------------------------------------------------------------------------------------
# alignment, neural persistence, pretraining, report
# ------------------------------------------------------------------------------------------------
@given(
    H=hnp.arrays(
        np.float64,
        st.tuples(st.integers(2, 20), st.integers(1, 4)),
        elements=st.one_of(st.floats(0, 1e6), st.floats(-1e3, 1e3)),
    ),
    seed=st.integers(0, 3),
)
def test_selectivity_in_range_or_refused(H, seed):
    y = np.random.default_rng(seed).permutation(np.arange(len(H)) % 10)
    ok, s = call(lambda: alignment.selectivity(H, y), "H ", "both tasks")
    if ok:
        assert H.min() >= 0 and s.shape == (H.shape[1],) and np.all((-1 <= s) & (s <= 1))


@given(
    X=clouds(min_n=2, max_n=20, max_d=4, elements=st.floats(-1e3, 1e3)),
    scale=st.sampled_from([1.0, 1e-200, 1e-20, 1e20, 1e150, 1e300]),
)
def test_linear_cka_finite_and_scale_free(X, scale):
    Y = np.tanh(X) + 0.1 * X[::-1]
    ok, r = call(lambda: alignment.linear_cka(X * scale, Y), "X ", "Y ", "constant", "inputs")
    if ok:
        assert math.isfinite(r) and 0 <= r <= 1
        ok1, r1 = call(lambda: alignment.linear_cka(X, Y), "X ", "Y ", "constant", "inputs")
        if ok1 and np.abs(X).max() * scale < 1e300:
            assert r == pytest.approx(r1, abs=1e-6)


@given(
    W=hnp.arrays(
        np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.floats(-3, 3)
    ),
    p=st.one_of(
        st.sampled_from([1, 2, 2.5, np.inf, 0.5, 0, -1, True, "2", None]), st.floats(1, 50)
    ),
)
def test_layer_neural_persistence(W, p):
    ok, r = call(lambda: neural_persistence.layer_neural_persistence(W, p=p), "p ", "weights")
    if ok:
        assert not isinstance(p, (bool, str)) and p >= 1 and np.abs(W).max() > 0
        assert math.isfinite(r["np"]) and -1e-12 <= r["normalized"] <= 1 + 1e-12


@given(
    steps=st.lists(st.one_of(st.integers(0, 100), st.floats(0, 100)), min_size=1, max_size=6),
    acc=st.lists(
        st.one_of(st.floats(0, 1), st.floats(1, 100), st.floats(-1, 0)), min_size=1, max_size=6
    ),
    threshold=st.one_of(st.floats(0, 1), st.sampled_from([90, 0, True, float("nan")])),
)
def test_steps_to_threshold(steps, acc, threshold):
    ok, r = call(
        lambda: pretraining.steps_to_threshold(steps, acc, threshold), "steps", "acc", "threshold"
    )
    if ok:
        s, a = np.array(steps), np.array(acc)
        assert len(s) == len(a) and np.all(np.diff(s) > 0) and np.all(s == np.round(s))
        assert 0 <= a.min() and a.max() <= 1 and 0 < threshold <= 1
        step, reached = r
        assert step in s and reached == bool(np.any(a >= threshold))
        assert (step == s[np.argmax(a >= threshold)]) if reached else step == s[-1]


@given(
    results=st.dictionaries(
        st.one_of(st.text(min_size=1, max_size=3), st.integers(0, 3)),
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False), st.integers(), st.text(max_size=5)
        ),
        max_size=5,
    )
)
def test_key_results_keep_every_name_and_value(tmp_path_factory, results):
    folder = tmp_path_factory.mktemp("results")
    mp = pytest.MonkeyPatch()
    mp.setenv("TOOLKIT_RESULTS", str(folder))
    try:
        ok, df = call(lambda: report.key_results("01_train", results), "results", "names")
    finally:
        mp.undo()
    assert ok == (len({str(k) for k in results}) == len(results))
    if ok:
        import json

        out = json.loads((folder / "01_train.json").read_text())
        assert len(out) == len(results)
        for k, v in results.items():
            if isinstance(v, float) and v != 0:
                assert out[str(k)] != 0 and abs(out[str(k)] - v) <= max(5e-5, 1e-3 * abs(v))


@given(widths=st.tuples(counts, counts, counts))
def test_cnn_widths(widths):
    ok, m = call(lambda: CNN(*widths), "a ", "b ", "c ")
    assert ok == all(whole_at_least(w, 1) for w in widths)
