"""Heatmaps (toolkit.heatmaps), alignment, CKA and selectivity (toolkit.alignment) and the image
features of weight heatmaps (toolkit.weight_images). The merge test's nets and statistics are
notebook 02's cells (nbval)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from toolkit import alignment as al  # noqa: E402
from toolkit import heatmaps as hm  # noqa: E402
from toolkit import weight_images as wi  # noqa: E402
from toolkit.activations import record  # noqa: E402
from toolkit.models import CNN, MLP, layer_weight  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _mlp(seed, hidden=7):
    torch.manual_seed(seed)
    return MLP(hidden=hidden).eval()


# --- alignment ------------------------------------------------------------------------------------
@pytest.mark.parametrize("metric", ["correlation", "cosine"])
def test_match_neurons_recovers_a_known_permutation_exactly(metric):
    rng = np.random.default_rng(0)
    W_a = rng.normal(size=(60, 784))
    p = rng.permutation(60)
    W_b = W_a[p] * rng.uniform(0.3, 3.0, size=(60, 1)) + 0.2 * rng.normal(size=(60, 784))
    perm, sim = al.match_neurons(W_a, W_b, metric, return_similarity=True)
    np.testing.assert_array_equal(perm, np.argsort(p))
    assert sim.min() > 0.8
    # the identity is not the answer: raw (unaligned) rows are unrelated
    assert np.abs(al.similarity_matrix(W_a, W_b, metric).diagonal()).mean() < 0.2


def test_match_neurons_rectangular_picks_the_right_subset():
    rng = np.random.default_rng(1)
    W_b = rng.normal(size=(30, 20))
    idx = rng.choice(30, size=10, replace=False)
    perm = al.match_neurons(W_b[idx], W_b)
    np.testing.assert_array_equal(perm, idx)
    with pytest.raises(ValueError, match="Swap the arguments"):
        al.match_neurons(W_b, W_b[idx])


def test_match_activations_and_permute_hidden_keep_the_function():
    net = _mlp(0, hidden=12)
    x = torch.randn(64, 1, 28, 28)
    p = np.random.default_rng(2).permutation(12)
    twin = hm.permute_hidden(net, p)
    with torch.no_grad():
        assert torch.allclose(net(x), twin(x), atol=1e-5)  # same function
    assert not np.allclose(layer_weight(net, "fc1"), layer_weight(twin, "fc1"))  # different heatmap
    np.testing.assert_array_equal(layer_weight(twin, "fc1"), layer_weight(net, "fc1")[p])
    # alignment undoes it, on weights and on activations
    np.testing.assert_array_equal(
        al.match_neurons(layer_weight(twin, "fc1"), layer_weight(net, "fc1")), p
    )
    Ha, Hb = (record(m, x, "fc1").flat("fc1", "pre") for m in (twin, net))
    np.testing.assert_array_equal(al.match_activations(Ha, Hb), p)
    with pytest.raises(ValueError, match="permutation of range"):
        hm.permute_hidden(net, [0, 0, 1])


def test_similarity_and_match_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(3, 5\).*\(3, 4\)"):
        al.similarity_matrix(np.ones((3, 5)), np.ones((3, 4)))
    bad = np.ones((3, 4))
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        al.match_neurons(bad, np.ones((3, 4)))
    with pytest.raises(ValueError, match="same inputs"):
        al.match_activations(np.ones((5, 2)), np.ones((6, 2)))
    with pytest.raises(ValueError, match="metric"):
        al.similarity_matrix(np.ones((2, 2)), np.ones((2, 2)), "euclid")


# --- CKA ------------------------------------------------------------------------------------------
def test_linear_cka_properties():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2000, 6)) @ rng.normal(size=(6, 6))
    Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    assert al.linear_cka(X, X) == pytest.approx(1.0)
    assert al.linear_cka(X, 7.5 * X @ Q - 2.0) == pytest.approx(1.0)  # orthogonal + isotropic
    assert al.linear_cka(X, X * np.array([1, 1, 1, 1, 1, 50.0])) < 0.9  # not anisotropic scaling
    Y = rng.normal(size=(2000, 5))
    assert al.linear_cka(X, Y) < 0.02  # independent
    assert al.linear_cka(X, Y) == pytest.approx(al.linear_cka(Y, X))  # symmetric
    Z = np.hstack([X[:, :3], rng.normal(size=(2000, 3))])
    assert 0.1 < al.linear_cka(X, Z) < 0.99


def test_linear_cka_gram_and_feature_paths_agree():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(40, 30)), rng.normal(size=(40, 25))  # p + q > N: Gram path
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    want = np.linalg.norm(Yc.T @ Xc) ** 2 / (np.linalg.norm(Xc.T @ Xc) * np.linalg.norm(Yc.T @ Yc))
    assert al.linear_cka(X, Y) == pytest.approx(want)
    assert al.linear_cka(torch.tensor(X[:, :5]), Y[:, :5]) == pytest.approx(
        al.linear_cka(X[:, :5], Y[:, :5])
    )


def test_linear_cka_bad_input():
    with pytest.raises(ValueError, match="same N"):
        al.linear_cka(np.ones((5, 2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="constant"):
        al.linear_cka(np.ones((5, 2)), np.random.default_rng(0).normal(size=(5, 2)))
    with pytest.raises(ValueError, match="NaN"):
        al.linear_cka(np.full((5, 2), np.nan), np.ones((5, 2)))


# --- seriation and layers -------------------------------------------------------------------------
def test_seriate_makes_blocks_contiguous():
    rng = np.random.default_rng(5)
    proto = rng.normal(size=(3, 40))
    groups = np.repeat([0, 1, 2], 8)
    M = proto[groups] + 0.1 * rng.normal(size=(24, 40))
    shuffle = rng.permutation(24)
    order = al.seriate(M[shuffle])
    assert sorted(order) == list(range(24))
    labels = groups[shuffle][order]
    assert np.count_nonzero(np.diff(labels)) == 2  # three contiguous blocks
    assert list(al.seriate(M[:2])) == [0, 1]  # tiny inputs
    cols = al.seriate(M, axis=1)
    assert sorted(cols) == list(range(40))
    with pytest.raises(ValueError, match="axis"):
        al.seriate(M, axis=2)


def test_layer_weight_errors_name_layer_and_shape():
    net = _mlp(0)
    W, b = layer_weight(net, "fc2", bias=True)
    assert W.shape == (10, 7) and b.shape == (10,)
    with pytest.raises(ValueError, match=r"no layer 'conv1'.*\['fc1', 'fc2'\]"):
        layer_weight(net, "conv1")
    with torch.no_grad():
        net.fc1.weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"'fc1'.*\(7, 784\).*NaN"):
        layer_weight(net, "fc1")
    assert layer_weight(CNN(4, 2, 3), "conv1", flatten=True).shape == (4, 9)  # conv flattened


def test_hidden_orders_and_alignment_need_equal_shapes():
    nets = {"A": _mlp(1), "B": _mlp(2), "C": _mlp(3)}
    for ordering in hm.ORDERINGS:
        orders = hm.hidden_orders(nets, ordering)
        assert all(sorted(o) == list(range(7)) for o in orders.values())
    with pytest.raises(ValueError, match=r"'fc1'.*\(9, 784\)"):
        hm.hidden_orders({"A": _mlp(1), "C": _mlp(2, hidden=9)}, "aligned")
    with pytest.raises(ValueError, match="ordering"):
        hm.hidden_orders(nets, "random")


# --- plots (odd shapes, headless) -----------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (7, 3), (3, 784)])
def test_plot_heatmap_odd_shapes(shape):
    W = np.random.default_rng(0).normal(size=shape)
    im = hm.plot_heatmap(W, bias=np.ones(shape[0]), row_order=np.arange(shape[0])[::-1])
    assert im.get_clim()[0] == pytest.approx(-im.get_clim()[1])  # centred at 0
    arr = im.get_array()
    assert arr.shape[0] == shape[0] and arr.shape[1] > shape[1]  # bias column added
    with pytest.raises(ValueError, match="bias"):
        hm.plot_heatmap(W, bias=np.ones(shape[0] + 1))
    with pytest.raises(ValueError, match="row_order"):
        hm.plot_heatmap(W, row_order=[0] * (shape[0] + 1))
    hm.plot_heatmap(np.zeros(shape))  # all-zero: no crash


def test_plot_neuron_images_and_panels():
    nets = {"A": _mlp(1), "B": _mlp(2), "C": _mlp(3)}
    fig = hm.plot_neuron_images(layer_weight(nets["A"], "fc1"), [0, 6], titles=["x", "y"])
    assert fig.axes[0].get_title() == "x"
    with pytest.raises(ValueError, match="cannot be shown"):
        hm.plot_neuron_images(np.ones((3, 10)))
    with pytest.raises(ValueError, match="indices"):
        hm.plot_neuron_images(layer_weight(nets["A"], "fc1"), [7])
    for layer in ("fc1", "fc2"):
        for ordering in hm.ORDERINGS:
            panels = hm.layer_panels(nets, layer, ordering)
            fig = hm.plot_layer_panels(panels, biases=True)
            assert len([a for a in fig.axes if a.images]) == 3
            assert [a.get_title() for a in fig.axes if a.images] == list(panels)
    panels = hm.layer_panels(
        nets, "fc1", "aligned"
    )  # A and B matched to C: rows of C's seriated order
    assert all(sorted(p["row_order"]) == list(range(7)) for p in panels.values())
    W = panels["C: fc1 7x784 (aligned)"]["W"]
    assert np.array_equal(panels["C: fc1 7x784 (aligned)"]["row_order"], al.seriate(W))
    fig = hm.plot_layer_panels(hm.layer_panels({"A": nets["A"]}, "fc1", "aligned"))
    assert len([a for a in fig.axes if a.images]) == 1
    with pytest.raises(ValueError, match="layer must be"):
        hm.layer_panels(nets, "conv1")


# --- selectivity and the merge picture ------------------------------------------------------------
def test_alignment_checks_its_input():
    with pytest.raises(TypeError, match="A must be an array of numbers"):
        al.similarity_matrix("abc", np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"H_a must be 2-D"):
        al.match_activations(np.ones(5), np.ones((5, 2)))


def test_selectivity_hand_values():
    H = np.array([[2.0, 0.0, 1.0], [2.0, 0.0, 1.0], [0.0, 3.0, 1.0], [0.0, 3.0, 1.0]])
    y = np.array([0, 1, 7, 9])
    np.testing.assert_allclose(al.selectivity(H, y), [1.0, -1.0, 0.0])
    with pytest.raises(ValueError, match="both tasks"):
        al.selectivity(H, np.zeros(4))
    with pytest.raises(ValueError, match="3 entries"):
        al.selectivity(H, np.zeros(3))


def test_plot_merge_alignment_takes_a_matching_computed_beforehand():
    C, A, B = (_mlp(s, hidden=8) for s in (20, 21, 22))
    WC, WP = layer_weight(C, "fc1"), np.vstack([layer_weight(A, "fc1"), layer_weight(B, "fc1")])
    perm, sim = al.match_neurons(WC, WP, return_similarity=True)
    fig = hm.plot_merge_alignment(WC, WP, perm, sim, n_first=8, col_order=al.seriate(WC, 1))
    n_b = int((perm >= 8).sum())
    assert fig.axes[2].get_title().endswith(f"A: {8 - n_b}, B: {n_b}")
    with pytest.raises(ValueError, match="n_first"):
        hm.plot_merge_alignment(WC, WP, perm, sim, n_first=16)
    with pytest.raises(ValueError, match="one entry per row"):
        hm.plot_merge_alignment(WC, WP, perm[:3], sim, n_first=8)


def test_plot_per_seed_one_dot_per_row():
    df = pd.DataFrame(
        [
            dict(group=g, seed=s, x=0.5 + 0.1 * i + 0.01 * s, y=0.2)
            for i, g in enumerate(["a", "b"])
            for s in range(3)
        ]
    )
    fig = hm.plot_per_seed(df, "group", ["x", "y"], ["X", "Y"], xlim=(0, 1))
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "X"
    assert sum(len(line.get_xdata()) for line in fig.axes[0].lines) == 6
    with pytest.raises(ValueError, match="needs the column"):
        hm.plot_per_seed(df, "kind", ["x"])


# --- image features of weight heatmaps ------------------------------------------------------------
def _images():
    rng = np.random.default_rng(0)
    checker = np.indices((28, 28)).sum(0) % 2 * 2 - 1.0
    yy, xx = np.mgrid[:28, :28]
    blob = np.exp(-((yy - 14) ** 2 + (xx - 14) ** 2) / 30.0)
    return checker, blob, rng.normal(size=(200, 28, 28))


def test_morans_i_known_images():
    checker, blob, noise = _images()
    assert wi.morans_i(checker[None])[0] == pytest.approx(-1.0)
    assert wi.morans_i(blob[None])[0] > 0.95
    assert abs(wi.morans_i(noise).mean()) < 0.02
    assert wi.morans_i(np.ones((1, 28, 28)))[0] == 0.0  # constant: defined as 0
    assert wi.morans_i(3 * blob[None] + 1)[0] == pytest.approx(wi.morans_i(blob[None])[0])


def test_low_frequency_share_and_sparsity():
    checker, blob, noise = _images()
    assert wi.low_frequency_share(blob[None])[0] > 0.95
    assert wi.low_frequency_share(noise).mean() == pytest.approx(
        np.pi * 0.1**2, abs=0.01
    )  # white noise
    assert wi.low_frequency_share(checker[None])[0] < 1e-9  # all power at the Nyquist corner
    one = np.zeros((1, 28, 28))
    one[0, 5, 5] = 2.0
    assert wi.hoyer_sparsity(one)[0] == pytest.approx(1.0)
    assert wi.hoyer_sparsity(np.ones((1, 28, 28)))[0] == pytest.approx(0.0)
    assert 0.1 < wi.hoyer_sparsity(noise).mean() < 0.3
    with pytest.raises(ValueError, match="cutoff"):
        wi.low_frequency_share(blob[None], cutoff=0.9)


def test_edge_strength_and_centre_share():
    checker, blob, noise = _images()
    assert wi.edge_strength(noise).mean() > 2 * wi.edge_strength(blob[None])[0]
    assert wi.edge_strength(5 * blob[None])[0] == pytest.approx(
        wi.edge_strength(blob[None])[0]
    )  # scale-free
    assert wi.centre_share(blob[None])[0] > 0.99
    border = np.zeros((1, 28, 28))
    border[0, 0, :] = 1.0
    assert wi.centre_share(border)[0] == 0.0
    assert wi.centre_share(noise).mean() == pytest.approx(20 * 20 / 784, abs=0.02)
    with pytest.raises(ValueError, match="margin"):
        wi.centre_share(blob[None], margin=14)


def test_image_features_of_a_layer_and_bad_input():
    net = _mlp(0, hidden=12)
    W = layer_weight(net, "fc1")
    f = wi.image_features(W)
    assert set(f) == set(wi.FEATURES) and all(np.isfinite(list(f.values())))
    per = wi.image_features(torch.tensor(W), summary=None)
    assert all(v.shape == (12,) for v in per.values())
    assert f["morans_i"] == pytest.approx(np.median(per["morans_i"]))
    assert abs(f["morans_i"]) < 0.1  # initial weights are noise
    with pytest.raises(ValueError, match=r"\(3, 10\).*784"):
        wi.image_features(np.ones((3, 10)))
    bad = W.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        wi.morans_i(bad)
    with pytest.raises(TypeError, match="array of numbers"):
        wi.weight_images("weights")


def test_selectivity_refuses_negative_activations():
    """Issue #23 item 5: on pre-ReLU activations the ratio gave -19 and 39 (documented [-1, 1])."""
    y = np.repeat(np.arange(10), 5)
    H = np.random.default_rng(0).normal(size=(50, 4))
    with pytest.raises(ValueError, match="H must be non-negative"):
        al.selectivity(H, y)
    s = al.selectivity(np.abs(H), y)
    assert np.all((-1 <= s) & (s <= 1))


def test_linear_cka_is_finite_on_huge_and_tiny_inputs():
    """Issue #23 item 7: 1e200-sized activations overflowed to -inf / NaN; CKA is scale
    invariant."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 5)), rng.normal(size=(40, 3))
    want = al.linear_cka(X, Y)
    for s in (1e200, 1e-200, 1e150):
        assert al.linear_cka(X * s, Y) == pytest.approx(want, rel=1e-9)
        assert al.linear_cka(X * s, Y * s) == pytest.approx(want, rel=1e-9)
    assert al.linear_cka(X * 1e200, X) == pytest.approx(1.0)
