"""Tests of toolkit.filters: formulas against hand-computed filters, norms, density filtration,
errors."""

import numpy as np
import pytest
import torch

from toolkit import filters as fl


def test_grid_convention_matches_dct_e1_e2():
    x, y = fl.grid_xy()
    E = fl.dct_basis()
    # e1 = [1,0,-1, 1,0,-1, 1,0,-1]/sqrt6 is x/sqrt6; e2 = [1,1,1, 0,0,0, -1,-1,-1]/sqrt6 is y/sqrt6
    assert np.allclose(E[0], x.ravel() / np.sqrt(6))
    assert np.allclose(E[1], y.ravel() / np.sqrt(6))
    assert x[0].tolist() == [1, 0, -1] and y[:, 0].tolist() == [1, 0, -1]


def test_dct_basis_hand_values_orthogonal_and_d_normalized():
    E = fl.dct_basis()
    assert E.shape == (8, 9)
    assert np.allclose(E[4], np.array([1, 0, -1, 0, 0, 0, -1, 0, 1]) / np.sqrt(8))
    assert np.allclose(E[7], np.array([1, -2, 1, -2, 4, -2, 1, -2, 1]) / np.sqrt(216))
    G = E @ E.T
    assert np.allclose(G - np.diag(np.diag(G)), 0, atol=1e-12)  # Euclidean-orthogonal
    assert np.allclose(fl.d_norm(E), 1.0)  # each D-normalized
    assert np.allclose(E.sum(1), 0)  # mean zero


def test_d_norm_by_hand():
    f = np.zeros((3, 3))
    f[1, 1] = 1.0  # centre pixel: 4 neighbour pairs differ by 1
    assert fl.d_norm(f[None])[0] == pytest.approx(2.0)
    g = np.array([[0, 0, 0], [0, 0, 0], [1, 1, 1.0]])  # bottom row: 3 vertical pairs differ by 1
    assert fl.d_norm(g.reshape(1, 9))[0] == pytest.approx(np.sqrt(3))


def test_normalize_l2_and_dnorm():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(50, 9)) + 3.0
    L = fl.normalize(F, "l2")
    assert np.allclose(L.mean(1), 0) and np.allclose(np.linalg.norm(L, axis=1), 1)
    D = fl.normalize(F, "dnorm")
    assert np.allclose(D.mean(1), 0) and np.allclose(fl.d_norm(D), 1)
    # (N, 3, 3) input is accepted and gives the same
    assert np.allclose(fl.normalize(F.reshape(50, 3, 3)), L)
    # dct coordinates of a D-normalized filter are a unit vector and reconstruct it
    c = fl.dct_coordinates(D)
    assert np.allclose(np.linalg.norm(c, axis=1), 1)
    assert np.allclose(c @ fl.dct_basis(), D)


def test_normalize_rejects_constant_filters_clearly():
    F = np.ones((3, 9))
    F[0] = np.arange(9)
    with pytest.raises(ValueError, match="constant"):
        fl.normalize(F)
    out = fl.normalize(F, drop_constant=True)
    assert out.shape == (1, 9)
    with pytest.raises(ValueError, match="norm="):
        fl.normalize(F[:1], norm="l1")
    with pytest.raises(ValueError, match=r"\(N, 9\)"):
        fl.normalize(np.zeros((4, 8)))


def test_primary_circle_filters_formula_and_angle():
    W = fl.primary_circle_filters(64)
    assert W.shape == (64, 3, 3)
    # a = 0: x / sqrt6 ; a = pi/2 (j = 16): y / sqrt6 ; a = pi (j = 32): -x / sqrt6
    assert np.allclose(W[0], np.array([[1, 0, -1]] * 3) / np.sqrt(6))
    assert np.allclose(W[16], np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]]) / np.sqrt(6))
    assert np.allclose(W[32], -W[0])
    a = 2 * np.pi / 8  # j = 8 of 64: (x + y) / sqrt(12)
    x, y = fl.grid_xy()
    assert np.allclose(W[8], (x * np.cos(a) + y * np.sin(a)) / np.sqrt(6))
    F = W.reshape(64, 9)
    assert np.allclose(F.mean(1), 0) and np.allclose(np.linalg.norm(F, axis=1), 1)
    ang = fl.filter_angle(W)
    want = 2 * np.pi * np.arange(64) / 64
    assert np.allclose(np.angle(np.exp(1j * (ang - want))), 0, atol=1e-12)


def test_klein_bottle_filters_formula():
    K = fl.klein_bottle_filters(8, 8)
    assert K.shape == (64, 3, 3)
    F = K.reshape(64, 9)
    assert np.allclose(F.mean(1), 0) and np.allclose(np.linalg.norm(F, axis=1), 1)
    x, y = fl.grid_xy()
    # t1 = 0, t2 = 0 (row 0): Q(x) = 2x^2 - 1 = columns [1, -1, 1]; centred: [1/3, -2/3, 1/3] per
    # row
    q = np.array([[1, -2, 1]] * 3) / 3.0
    assert np.allclose(K[0], q / np.linalg.norm(q))
    # t2 = pi/2 (j = 2) is the primary circle: t1 = pi*i/8 -> W at angle t1
    C = fl.primary_circle_filters(16)
    for i in range(8):
        assert np.allclose(K[i * 8 + 2], C[i])
    # symmetry F(t1 + pi, -t2) = F(t1, t2)
    assert np.allclose(fl.klein_bottle_filter(0.3 + np.pi, -1.1), fl.klein_bottle_filter(0.3, 1.1))
    # not the buggy Q = (2t)^2 - 1 of a published reproduction: for t1 = 0, t2 = pi the profile is
    # -(2x^2 - 1) = [-1, 1, -1] (centred), which both formulas share up to scale; use t1 = pi/4
    # instead
    t = (x + y) / np.sqrt(2)
    good = 2 * t**2 - 1
    good -= good.mean()
    assert np.allclose(fl.klein_bottle_filter(np.pi / 4, 0.0), good / np.linalg.norm(good))


def test_spatial_filters_from_models_mappings_and_arrays():
    conv = torch.nn.Conv2d(2, 4, 3)
    net = torch.nn.Sequential()
    net.add_module("conv1", conv)
    F = fl.spatial_filters(net, "conv1")
    assert F.shape == (8, 9)
    assert np.allclose(F[1], conv.weight[0, 1].detach().numpy().ravel())  # (out 0, in 1)
    assert fl.spatial_filters([net, net]).shape == (16, 9)
    assert fl.spatial_filters({"conv1.weight": conv.weight}).shape == (8, 9)
    assert fl.spatial_filters(torch.zeros(5, 4, 2, 3, 3)).shape == (40, 9)  # stacked ensemble


def test_spatial_filters_errors():
    net = torch.nn.Sequential()
    net.add_module("conv1", torch.nn.Conv2d(1, 4, 5))
    net.add_module("fc", torch.nn.Linear(3, 2))
    with pytest.raises(ValueError, match="not 3x3"):
        fl.spatial_filters(net, "conv1")
    with pytest.raises(ValueError, match="not 3x3"):
        fl.spatial_filters(net, "fc")
    with pytest.raises(ValueError, match="no layer"):
        fl.spatial_filters(net, "conv9")


def test_density_filtration_keeps_the_dense_cluster():
    rng = np.random.default_rng(1)
    dense = rng.normal(scale=0.01, size=(60, 3))  # a tight cluster
    sparse = rng.uniform(-5, 5, size=(40, 3))  # scattered outliers
    X = np.concatenate([dense, sparse])
    kept, idx = fl.density_filtration(X, k=5, p=0.5, return_index=True)
    assert kept.shape == (50, 3)
    assert (idx < 60).all()  # only cluster points survive
    assert np.allclose(kept, X[idx])
    # the densest first; p = 1 keeps everything
    d = fl.knn_density(X, 5)
    assert np.all(np.diff(d[idx]) >= 0)
    assert len(fl.density_filtration(X, k=5, p=1.0)) == 100
    # k-th neighbour distance by hand on a line
    line = np.arange(5.0)[:, None]
    assert fl.knn_density(line, 2).tolist() == [2, 1, 1, 1, 2]


def test_density_filtration_errors():
    X = np.random.default_rng(0).normal(size=(10, 9))
    with pytest.raises(ValueError, match="k=10"):
        fl.density_filtration(X, k=10, p=0.3)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        fl.density_filtration(X, k=3, p=0.0)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        fl.density_filtration(X, k=3, p=1.5)


def test_natural_image_patches_are_high_contrast_and_normalized():
    P = fl.natural_image_patches(n_per_image=500, top=0.2, images=("camera", "coffee"))
    assert P.shape[1] == 9 and 150 <= len(P) <= 210
    assert np.allclose(P.mean(1), 0) and np.allclose(fl.d_norm(P), 1)
    with pytest.raises(ValueError, match="top"):
        fl.natural_image_patches(top=0)


# ---- the notebook's exercise checkers (toolkit/exercises/ex05.py)
# -------------------------------------
def _strict(monkeypatch):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")


def test_ex05_q1_accepts_solution_rejects_common_mistakes(monkeypatch, capsys):
    from toolkit.exercises import ExerciseFailed, ex05

    _strict(monkeypatch)

    def good(a):
        x, y = fl.grid_xy()
        return (x * np.cos(a) + y * np.sin(a)) / np.sqrt(6)

    assert ex05.q1(good) is True
    for bad, msg in [
        (lambda a: good(a) * np.sqrt(6), "sqrt\\(6\\)"),
        (lambda a: good(a).T, "transpose"),
        (lambda a: good(a)[:, ::-1], "sign"),
        (lambda a: good(a) + 0.1, "mean"),
    ]:
        with pytest.raises(ExerciseFailed, match=msg):
            ex05.q1(bad)
    with pytest.raises(NotImplementedError):
        ex05.q1(lambda a: (_ for _ in ()).throw(NotImplementedError()))


def test_ex05_q2_density_checker(monkeypatch):
    from sklearn.neighbors import NearestNeighbors

    from toolkit.exercises import ExerciseFailed, ex05

    _strict(monkeypatch)

    def good(F, k, p):
        dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(F).kneighbors(F)
        return F[np.argsort(dist[:, k])[: max(1, int(round(p * len(F))))]]

    def self_counted(F, k, p):
        dist, _ = NearestNeighbors(n_neighbors=k).fit(F).kneighbors(F)
        return F[np.argsort(dist[:, k - 1])[: max(1, int(round(p * len(F))))]]

    def sparse(F, k, p):
        dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(F).kneighbors(F)
        return F[np.argsort(-dist[:, k])[: max(1, int(round(p * len(F))))]]

    assert ex05.q2(good) is True
    with pytest.raises(ExerciseFailed, match="Off by one"):
        ex05.q2(self_counted)
    with pytest.raises(ExerciseFailed, match="LARGEST"):
        ex05.q2(sparse)
    with pytest.raises(ExerciseFailed, match="keep round"):
        ex05.q2(lambda F, k, p: F[:10])


# ---- filter-space helpers used by the notebook (headless)
# ---------------------------------------------
def _noisy_circle_filters(n=300, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 2 * np.pi, n)
    x, y = fl.grid_xy()
    W = np.cos(a)[:, None, None] * x + np.sin(a)[:, None, None] * y
    W = W.reshape(n, 9) + noise * rng.normal(size=(n, 9)) * np.sqrt(6)
    junk = rng.normal(size=(n // 3, 9))  # isotropic noise filters
    return fl.normalize(np.concatenate([W, junk]))


def test_gradient_energy():
    assert np.allclose(fl.gradient_energy(fl.primary_circle_filters(8)), 1.0)
    assert np.allclose(fl.gradient_energy(fl.dct_basis()[2:]), 0.0)
    rnd = np.random.default_rng(0).normal(size=(4000, 9))
    assert fl.gradient_energy(rnd).mean() == pytest.approx(0.25, abs=0.02)


def test_density_filtration_finds_the_circle_that_junk_filters_blur():
    """The interactive demo of notebook 05: X(k, p) of filters, its circle evidence in the (e1, e2)
    plane."""
    from toolkit import homology as ph

    F = _noisy_circle_filters(600)  # 300 ring points: X(20, 0.5) cuts a 69-degree gap into the ring
    X = fl.density_filtration(F, 20, 0.5)
    ev = ph.circle_evidence(X, plane=fl.dct_basis()[:2], n_landmarks=80)
    assert len(X) == 400 and ev.is_circle, ev
    junk = ph.circle_evidence(
        fl.density_filtration(F, 20, 1.0), plane=fl.dct_basis()[:2], n_landmarks=80
    )
    assert junk.death_birth < ev.death_birth  # the junk filters blur the circle


def test_plots_headless():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit import filter_plots as fp
    from toolkit import homology as ph
    from toolkit import plots

    C = ph.circle_controls(60)["4 clumps"]
    fig = fp.plot_plane(C, np.eye(9)[:2], evidence=ph.circle_evidence(C, plane=np.eye(9)[:2]))
    assert "not a circle" in fig.axes[0].get_title()
    assert len(fig.axes[0].patches) >= 8  # the empty sectors are shaded
    fig = fp.plot_dct_projection(fl.primary_circle_filters(16), icons=8, title="ideal")
    assert len(fig.axes[0].artists) == 8 and "e1" in fig.axes[0].get_xlabel()
    _, ax = plt.subplots()
    assert fp.plot_dct_projection(_noisy_circle_filters(30), ax=ax) is ax.figure
    d = ph.persistence(ph.sample_cloud("circle", 60, noise=0.05))
    ax = fp.plot_barcode(d, max_bars=30).axes[0]
    # 30 longest H0 bars + 1 arrow head for the infinite one, and every H1 bar
    assert len(ax.lines) == 30 + 1 + min(30, len(d[1]))
    # the one filter grid: (K, 3, 3), (K, 1, 3, 3) or (K, 9), arrays or tensors, with titles
    fig = plots.filter_grid(torch.zeros(5, 1, 3, 3), ncols=4, title="t")
    assert len(fig.axes) == 8 and len(fig.axes[0].images) == 1 and len(fig.axes[7].images) == 0
    fig = plots.filter_grid(
        fl.primary_circle_filters(4).reshape(4, 9), titles=list("abcd"), cmap="gray"
    )
    assert [a.get_title() for a in fig.axes] == list("abcd")
    with pytest.raises(ValueError, match="square"):
        plots.filter_grid(np.zeros((3, 8)))
    plt.close("all")


def test_show_predictions_takes_arrays():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit import plots

    logp = np.log(np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]]))
    fig = plots.show_predictions(np.zeros((3, 4, 4)), np.array([0, 0, 0]), logp, ncols=3)
    assert [a.get_title() for a in fig.axes] == ["0 (90%)", "1 (70%)", "0 (60%)"]
    assert fig.axes[1].title.get_color() == "red" and "1 of 3" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="labels"):
        plots.show_predictions(np.zeros((3, 4, 4)), np.array([0, 0]), logp)
    plt.close("all")
