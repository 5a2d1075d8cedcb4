"""Tests of toolkit.activations: recording with hooks, top-k neurons per cluster, transformed
images."""

import numpy as np
import pytest
import torch
from torch import nn

from toolkit import activations as A
from toolkit.models import CNN, MLP, layer_weight

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def mlp():
    torch.manual_seed(0)
    return MLP(hidden=12)


@pytest.fixture(scope="module")
def X():
    return torch.randn(37, 1, 28, 28, generator=torch.Generator().manual_seed(1))


# ---------------------------------------------------------------- record
def test_record_mlp_matches_manual_forward(mlp, X):
    rec = A.record(mlp, X, batch_size=8)  # 37 = 4 full batches + 1 partial
    assert rec.layers == ["fc1", "fc2"]
    pre = X.reshape(37, -1) @ mlp.fc1.weight.T + mlp.fc1.bias
    np.testing.assert_allclose(rec.pre["fc1"], pre.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rec.post["fc1"], np.maximum(rec.pre["fc1"], 0), atol=0)
    with torch.no_grad():
        out = mlp(X).numpy()
    np.testing.assert_allclose(rec.outputs, out, rtol=1e-5, atol=1e-6)
    assert rec.last_layer == "fc2"
    np.testing.assert_allclose(rec.post["fc2"], out, rtol=1e-5, atol=1e-6)  # log-softmax, not ReLU
    np.testing.assert_array_equal(rec.predictions, out.argmax(1))
    assert rec.predictions.dtype == np.int64 and rec.pre["fc1"].dtype == np.float32
    assert len(rec) == 37 and rec.labels is None


def test_record_batching_does_not_change_results(mlp, X):
    a = A.record(mlp, X, batch_size=5)
    b = A.record(mlp, X, batch_size=1000)
    np.testing.assert_allclose(a.pre["fc1"], b.pre["fc1"], rtol=1e-5, atol=1e-6)


def test_record_cnn_shapes_and_flat():
    torch.manual_seed(0)
    cnn = CNN(4, 3, 5)
    X = torch.randn(6, 1, 28, 28)
    rec = A.record(cnn, X)
    assert rec.layers == ["conv1", "conv2", "fc1", "fc2"]
    assert rec.pre["conv1"].shape == (6, 4, 28, 28)
    assert rec.pre["conv2"].shape == (6, 3, 14, 14)
    assert rec.pre["fc1"].shape == (6, 5)
    assert rec.flat("conv1").shape == (6, 4 * 28 * 28)
    assert (rec.post["conv1"] >= 0).all() and (rec.pre["conv1"] < 0).any()
    with torch.no_grad():
        np.testing.assert_allclose(rec.pre["conv1"], cnn.conv1(X).numpy(), rtol=1e-5, atol=1e-5)


def test_record_one_layer_and_dataset_labels(mlp, X):
    class DS:  # the shape of a toolkit.data.Dataset
        def __init__(self, X, y):
            self.X, self.y = X, y

    y = torch.arange(37) % 10
    rec = A.record(mlp, DS(X, y), layers="fc1")
    assert rec.layers == ["fc1"] and "fc2" not in rec.pre
    np.testing.assert_array_equal(rec.labels, y.numpy())


def test_record_restores_training_mode_and_no_grad(X):
    m = MLP(hidden=8, dropout=0.5)
    m.train()
    a = A.record(m, X)
    b = A.record(m, X)
    assert m.training  # mode restored
    np.testing.assert_allclose(a.outputs, b.outputs)  # eval mode inside: dropout off, deterministic
    for h in (m.fc1._forward_hooks, m.fc2._forward_hooks):
        assert len(h) == 0  # hooks removed


def test_record_numpy_input_and_model_device(mlp, X):
    rec = A.record(mlp, X.numpy(), layers=["fc1"], device="cpu")
    assert rec.pre["fc1"].shape == (37, 12)
    with pytest.raises(ValueError, match="move the model"):
        A.record(mlp, X, device="meta")


def test_record_bad_layer_lists_valid_ones(mlp, X):
    with pytest.raises(KeyError) as e:
        A.record(mlp, X, layers=["fc3"])
    assert "fc1" in str(e.value) and "fc2" in str(e.value)


def test_record_memory_guard(X):
    cnn = CNN(4, 3, 5)
    with pytest.raises(MemoryError, match="layers="):
        A.record(cnn, X[:4], max_bytes=1000)


def test_record_bad_inputs(mlp):
    with pytest.raises(TypeError):
        A.record(mlp, [[1, 2, 3]])
    with pytest.raises(ValueError):
        A.record(mlp, torch.zeros(0, 784))


def test_record_generic_module():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    rec = A.record(net, torch.randn(5, 3))
    assert rec.layers == ["0", "2"]
    assert rec.pre["0"].shape == (5, 4)


# ---------------------------------------------------------------- top-k neurons
def test_top_k_neurons_order_and_ties():
    A_ = np.array([[0.1, 0.9, 0.5, 0.9], [3.0, -1.0, 2.0, 0.0]])
    top = A.top_k_neurons(A_, k=3)
    np.testing.assert_array_equal(top, [[1, 3, 2], [0, 2, 3]])  # tie 0.9/0.9: lower index first
    assert top.dtype == np.int64


def test_top_k_bad_input():
    with pytest.raises(ValueError, match="larger than the layer width"):
        A.top_k_neurons(np.zeros((3, 4)), k=5)
    with pytest.raises(ValueError, match="NaN"):
        A.top_k_neurons(np.array([[0.0, np.nan]]), k=1)
    with pytest.raises(ValueError, match="k must be a whole number >= 1"):
        A.top_k_neurons(np.zeros((3, 4)), k=0)
    with pytest.raises(ValueError, match="2-D"):
        A.top_k_neurons(np.zeros(4), k=1)


def test_cluster_neurons_counts_by_hand():
    # 4 points, 5 neurons, k=2. Cluster 0 = points 0,1 ; cluster 1 = points 2,3.
    acts = np.array(
        [[5, 4, 0, 0, 0], [5, 0, 4, 0, 0], [0, 0, 0, 5, 4], [0, 0, 0, 5, 4]], dtype=float
    )
    cn = A.cluster_neurons(acts, [0, 0, 1, 1], k=2, n_best=2)
    assert cn.ids == [0, 1]
    np.testing.assert_array_equal(cn.sizes, [2, 2])
    np.testing.assert_array_equal(cn.counts, [[2, 1, 1, 0, 0], [0, 0, 0, 2, 2]])
    np.testing.assert_array_equal(cn.best, [[0, 1], [3, 4]])  # tie 1 vs 2: lower index
    np.testing.assert_allclose(cn.frequency[1], [0, 0, 0, 1, 1])
    assert cn.shared() == {}
    assert cn.top.shape == (4, 2)


def test_shared_best_neurons_flagged():
    best = np.array([[1, 2], [2, 3], [4, 1]])
    cn = A.ClusterNeurons(
        ids=["a", "b", "c"],
        sizes=np.ones(3),
        counts=np.zeros((3, 5)),
        best=best,
        k=1,
        top=np.zeros((3, 1)),
    )
    assert cn.shared() == {1: ["a", "c"], 2: ["a", "b"]}


def test_cluster_neurons_membership_overlap_and_noise():
    acts = np.eye(4) * 3 + 0.1
    # dict of overlapping index lists (Mapper nodes) ...
    cn = A.cluster_neurons(acts, {"n1": [0, 1], "n2": [1, 2, 3]}, k=1, n_best=1)
    np.testing.assert_array_equal(cn.counts, [[1, 1, 0, 0], [0, 1, 1, 1]])
    # a list of index arrays (Mapper's node members) ...
    cn1 = A.cluster_neurons(acts, [np.array([0, 1]), np.array([1, 2, 3])], k=1, n_best=1)
    assert cn1.ids == [0, 1]
    np.testing.assert_array_equal(cn1.counts, cn.counts)
    # ... and a label vector with -1 = unclustered
    cn2 = A.cluster_neurons(acts, [-1, 0, 0, 1], k=1, n_best=1)
    assert cn2.ids == [0, 1]
    np.testing.assert_array_equal(cn2.sizes, [2, 1])


def test_cluster_neurons_bad_input():
    acts = np.random.default_rng(0).normal(size=(6, 4))
    with pytest.raises(ValueError, match="empty"):
        A.cluster_neurons(acts, {0: [0, 1], 1: []}, k=2)
    with pytest.raises(ValueError, match="match"):
        A.cluster_neurons(acts, [0, 1, 0], k=2)
    with pytest.raises(ValueError, match="larger than the layer width"):
        A.cluster_neurons(acts, [0, 1] * 3, k=5)
    bad = acts.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        A.cluster_neurons(bad, [0, 1] * 3, k=2)
    with pytest.raises(ValueError, match="only 6 points"):
        A.cluster_neurons(acts, {0: [0, 9]}, k=2)
    with pytest.raises(KeyError, match="clusters are"):
        A.cluster_neurons(acts, [0, 1] * 3, k=2, n_best=2).row(7)


def test_best_neurons_recovers_planted_neurons():
    rng = np.random.default_rng(0)
    H, n = 30, 200
    acts = rng.normal(size=(2 * n, H))
    acts[:n, [3, 7, 11]] += 4  # cluster 0 fires on neurons 3, 7, 11
    acts[n:, [20, 21, 22]] += 4
    cn = A.cluster_neurons(acts, np.repeat([0, 1], n), k=3, n_best=3)
    assert set(cn.best_of(0)) == {3, 7, 11}
    assert set(cn.best_of(1)) == {20, 21, 22}


def test_active_fraction():
    assert A.active_fraction(np.array([[1.0, -1.0], [0.0, 2.0]])) == 0.5


# ---------------------------------------------------------------- weights and transformed images
def test_transformed_images_formula(mlp):
    W = layer_weight(mlp, "fc1")
    assert W.shape == (12, 784)
    x = np.random.default_rng(0).normal(size=(3, 1, 28, 28)).astype(np.float32)
    T = A.transformed_images(x, W, [2, 5])
    want = np.maximum(x.reshape(3, -1) * (W[2] + W[5]) / 2, 0)
    np.testing.assert_allclose(T, want, rtol=1e-6)
    with pytest.raises(ValueError):
        A.transformed_images(x, W, [12])
    with pytest.raises(ValueError):
        A.transformed_images(x, W[:, :100], [0])


def _planted_mlp(H=10):
    """An MLP whose hidden neuron j looks exactly at the pixels of class j's images (a planted
    toy)."""
    m = MLP(hidden=H)
    protos = np.zeros((H, 784), dtype=np.float32)
    for j in range(H):
        protos[j, j * 78 : (j + 1) * 78] = 1.0
    with torch.no_grad():
        m.fc1.weight.copy_(torch.from_numpy(protos))
        m.fc1.bias.zero_()
        m.fc2.weight.copy_(torch.eye(10) * 5)
        m.fc2.bias.zero_()
    y = np.repeat(np.arange(10), 20)
    X = protos[y] + 0.05 * np.random.default_rng(0).normal(size=(200, 784)).astype(np.float32)
    return m, torch.from_numpy(X), y


def test_zscore_removes_gain():
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(300, 6))
    acts[:, 2] = np.abs(acts[:, 2]) * 50 + 10  # a high-gain neuron: top-1 for every point when raw
    acts[:, 5] = 3.0  # a constant (dead) neuron
    assert (A.top_k_neurons(acts, 1)[:, 0] == 2).all()
    z = A.zscore(acts)
    np.testing.assert_allclose(z[:, :5].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(z[:, [0, 1, 2, 3, 4]].std(0), 1, rtol=1e-12)
    assert (z[:, 5] == 0).all()
    assert (A.top_k_neurons(z, 1)[:, 0] == 2).mean() < 0.5
    with pytest.raises(ValueError, match="NaN"):
        A.zscore(np.array([[1.0, np.nan], [0.0, 1.0]]))


def test_random_neurons():
    r = A.random_neurons(20, 5, exclude=[0, 1, 2], seed=1)
    assert r.shape == (5,) and len(set(r)) == 5 and not set(r) & {0, 1, 2} and r.max() < 20
    np.testing.assert_array_equal(r, A.random_neurons(20, 5, exclude=[0, 1, 2], seed=1))
    assert A.random_neurons(4, 0).size == 0
    with pytest.raises(ValueError, match="k=5"):
        A.random_neurons(6, 5, exclude=[0, 1])
    for bad in (True, 2.5, -1, "3"):  # 2.0 is a count (arrays.as_count); 2.5 is never truncated
        with pytest.raises((TypeError, ValueError), match="k must"):
            A.random_neurons(6, bad)


def test_ablate_planted_neuron_is_causal():
    m, X, y = _planted_mlp()
    before = [p.detach().clone() for p in m.parameters()]
    assert A.ablate(m, [], X, y) == 1.0
    for j in (0, 4, 9):  # silencing neuron j kills class j (and only class j)
        assert A.ablate(m, [j], X[y == j], y[y == j]) == 0.0
        assert A.ablate(m, [j], X[y != j], y[y != j]) == 1.0
    assert A.ablate(m, [1, 2, 3], X, y) == pytest.approx(0.7)
    assert A.ablate(m, np.arange(10), X, y) <= 0.1
    for p, q in zip(m.parameters(), before):  # model untouched, no hook left behind
        assert torch.equal(p, q)
    assert len(m.fc1._forward_hooks) == 0
    assert A.ablate(m, [3], X.numpy(), torch.from_numpy(y)) == pytest.approx(0.9)


def test_ablate_conv_channels():
    torch.manual_seed(0)
    cnn = CNN(4, 3, 5)
    X = torch.randn(8, 1, 28, 28)
    y = A.record(cnn, X).predictions
    assert A.ablate(cnn, [], X, y, layer="conv1") == 1.0
    silent = A.ablate(
        cnn, [0, 1, 2, 3], X, y, layer="conv1"
    )  # every channel: output = f(biases only)
    assert 0.0 <= silent <= 1.0


def test_ablate_bad_input():
    m, X, y = _planted_mlp()
    with pytest.raises(ValueError, match="k=11"):
        A.ablate(m, np.arange(11), X, y)
    with pytest.raises(ValueError, match="repeat"):
        A.ablate(m, [1, 1], X, y)
    with pytest.raises(ValueError, match="0..9"):
        A.ablate(m, [10], X, y)
    with pytest.raises(ValueError, match="integer"):
        A.ablate(m, [1.5], X, y)
    with pytest.raises(KeyError, match="fc1"):
        A.ablate(m, [1], X, y, layer="fc9")
    with pytest.raises(ValueError, match="entries"):
        A.ablate(m, [1], X, y[:5])
    with pytest.raises(ValueError, match="whole class indices"):
        A.ablate(m, [1], X, y + 0.5)


def test_plots_run(mlp, X):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit import activation_plots as P

    rec = A.record(mlp, X)
    cl = np.arange(37) % 3
    cn = A.cluster_neurons(rec.pre["fc1"], cl, k=3, n_best=2)
    W = layer_weight(mlp, "fc1")
    counts = np.bincount(cn.best.ravel(), minlength=cn.H)
    images = {"mean image": W[0], "neuron 1 weights": W[1]}
    for fig in (
        P.plot_neuron_bars(cn),
        P.plot_frequency_heatmaps(cn),
        P.plot_image_rows(
            {"original": X[:3].numpy(), "own": A.transformed_images(X[:3], W, [0, 1])}
        ),
        P.plot_cluster_view(cn.frequency[0], cn.best[0], int(cn.best[0, 0]), images, k=3),
        P.plot_best_counts({"raw": counts, "z": counts}),
    ):
        assert fig.axes
    assert (
        len(P.plot_cluster_view(cn.frequency[0], cn.best[0], 0, images).axes) == 3
    )  # bars + 2 images
    with pytest.raises(ValueError, match="1-D"):
        P.plot_best_counts({"raw": np.array([[0, 12]])})
    plt.close("all")


# ---------------------------------------------------------------- the notebook's exercises q2, q3
def test_ex03_q2_q3(monkeypatch):
    from toolkit.exercises import ExerciseFailed, ex03

    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    for q in (ex03.q2, ex03.q3):
        monkeypatch.setattr(
            q, "_forbid", None
        )  # the toolkit's own function as the reference answer (students may not: #22)

    def best(acts, clusters, cid, k=5, n_best=5):
        return A.cluster_neurons(acts, clusters, k=k, n_best=n_best).best_of(cid)

    def best_by_mean(acts, clusters, cid, k=5, n_best=5):  # a plausible wrong answer
        return np.argsort(-acts[clusters == cid].mean(0))[:n_best]

    assert ex03.q2(best)
    with pytest.raises(ExerciseFailed):
        ex03.q2(best_by_mean)
    assert ex03.q3(lambda x, W, n: A.transformed_images(x[None], W, n)[0])
    with pytest.raises(ExerciseFailed, match="ReLU"):
        ex03.q3(lambda x, W, n: x * W[n].mean(0))


def test_ex03_never_passes_nan_none_strings_overflow(monkeypatch):
    from toolkit.exercises import ExerciseFailed, ex03

    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")

    def purity_f32(clusters, labels):  # a correct answer computed in float32 passes
        out = {}
        for c in np.unique(clusters):
            m = labels[clusters == c]
            out[int(c)] = np.float32(np.bincount(m).max()) / np.float32(len(m))
        return out

    assert ex03.q1(purity_f32)
    bad_answers = {
        "NaN": lambda c, l: {int(k): float("nan") for k in np.unique(c)},
        "None": lambda c, l: None,
        "strings": lambda c, l: {int(k): "1.0" for k in np.unique(c)},
        "overflow": lambda c, l: {int(k): 10**400 for k in np.unique(c)},
        "bools": lambda c, l: {int(k): True for k in np.unique(c)},
        "raises": lambda c, l: 1 / 0,
    }
    for _what, fn in bad_answers.items():
        with pytest.raises(ExerciseFailed):
            ex03.q1(fn)
    for fn in (
        lambda *a: None,
        lambda *a: ["5", "17", "33"],
        lambda *a: [np.nan] * a[4],
        lambda *a: np.array([True] * a[4]),
    ):
        with pytest.raises(ExerciseFailed):
            ex03.q2(fn)
    for fn in (
        lambda x, W, n: None,
        lambda x, W, n: np.full(784, np.nan),
        lambda x, W, n: [str(v) for v in np.maximum(x * W[n].mean(0), 0)],
    ):
        with pytest.raises(ExerciseFailed):
            ex03.q3(fn)
    # float32 transform passes
    assert ex03.q3(
        lambda x, W, n: np.maximum(x.astype(np.float32) * W[n].astype(np.float32).mean(0), 0)
    )


def test_ex03_q4_judgement(monkeypatch):
    from toolkit.exercises import ExerciseFailed, ex03

    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    assert ex03.q4("bcd") and ex03.q4({"B", "c", "d"}) and ex03.q4("b, c, d")
    for wrong in (
        "a",
        "bc",
        "bcde",
        "abcd",
        "",
        None,
        float("nan"),
        3,
        "xyz",
        ["b", "c", "d", "q"],
    ):
        with pytest.raises(ExerciseFailed):
            ex03.q4(wrong)
    assert not getattr(ex03.q4, "_solution", "")  # no reference text ships
