"""Tests of toolkit.mapper, mapper_plots, mapper_shape: covers, lenses, both backends on known
shapes, bad input, drawing and kmapper's HTML, flares."""

import os

import matplotlib

matplotlib.use("Agg")

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from toolkit import mapper as M  # noqa: E402
from toolkit import mapper_plots as MP  # noqa: E402

os.environ.setdefault("TOOLKIT_FAST", "1")
os.environ.setdefault("TOOLKIT_OFFLINE", "1")


@pytest.fixture(scope="module")
def circle():
    return M.noisy_circle(600, 0.05, seed=1)


@pytest.fixture(scope="module")
def blobs():
    """(400, 2): two Gaussian blobs (std 1) whose centres are 8 apart."""
    X = np.random.default_rng(2).normal(0, 1, (400, 2))
    X[:200, 0] += 8.0
    return X


needs_giotto = pytest.mark.skipif(
    "giotto" not in M.available_backends(),
    reason="giotto-tda is an optional extra (pip install giotto-tda)",
)


def _same_graph(a, b):
    assert a.n_nodes == b.n_nodes and a.n_edges == b.n_edges
    for ma, mb in zip(a.members, b.members):
        np.testing.assert_array_equal(ma, mb)
    assert sorted(a.graph.edges()) == sorted(b.graph.edges())
    np.testing.assert_array_equal(
        a.cover_set, b.cover_set
    )  # recorded by kmapper's clusterer, giotto's label


# --- gain and cover
# ---------------------------------------------------------------------------------
def test_gain_conversion():
    assert M.overlap_from_gain(3) == pytest.approx(2 / 3)
    assert M.overlap_from_gain(2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="> 1"):
        M.overlap_from_gain(0.5)


@pytest.mark.parametrize(
    "lo,hi,r,g", [(0, 1, 4, 0.25), (-2, 5, 10, 0.5), (1, 3, 1, 0.3), (0, 1, 30, 0.67)]
)
def test_interval_limits(lo, hi, r, g):
    left, right = M.interval_limits(lo, hi, r, g)
    L = right - left
    assert len(left) == r and np.ptp(L) < 1e-9
    assert left[0] == pytest.approx(lo) and right[-1] == pytest.approx(hi)
    if r > 1:
        np.testing.assert_allclose((right[:-1] - left[1:]) / L[:-1], g, atol=1e-9)


def test_cover_covers_every_point_and_drops_empty_sets():
    rng = np.random.default_rng(0)
    lens = rng.normal(size=(500, 2))
    cov = M.Cover(lens, 6, 0.3)
    assert cov.masks.shape == (500, cov.n_sets) and cov.masks.any(axis=1).all()
    assert cov.n_sets + cov.n_empty == 36 and cov.masks.any(axis=0).all()
    # a lens with a gap: points only at the ends leave the middle boxes empty, without an error
    gap = np.r_[np.zeros(20), np.full(20, 10.0)]
    cov = M.Cover(gap, 10, 0.2)
    assert cov.n_sets == 2 and cov.n_empty == 8
    res = M.mapper_graph(np.c_[gap, rng.normal(size=40)], lens=gap, resolution=10, gain=0.2)
    assert res.n_components() == 2


def test_cover_is_kmappers_cover_spanning_the_lens_range():
    import kmapper

    f = np.random.default_rng(5).uniform(-2, 3, 500)
    cov = M.Cover(f, 7, 0.4)
    assert (
        isinstance(cov.km, kmapper.Cover) and cov.km.n_cubes == [7] and cov.km.perc_overlap == 0.4
    )
    centers, radius = np.asarray(cov.km.centers_)[:, 0], cov.km.radius_[0]
    left, right = M.interval_limits(f.min(), f.max(), 7, 0.4)
    np.testing.assert_allclose(centers - radius, left, atol=1e-8)
    np.testing.assert_allclose(centers + radius, right, atol=1e-8)
    cubes = cov.km.transform(np.c_[np.arange(len(f)), f])  # KeplerMapper's own pull-back
    assert [sorted(c[:, 0].astype(int)) for c in cubes] == [
        np.flatnonzero(m).tolist() for m in cov.masks.T
    ]


# --- known shapes, both backends
# --------------------------------------------------------------------
@pytest.mark.parametrize("backend", M.available_backends())
def test_noisy_circle_gives_one_cycle(circle, backend):
    res = M.mapper_graph(circle, lens=circle[:, 1], resolution=8, gain=0.3, backend=backend)
    s = res.summary()
    assert s["components"] == 1 and s["cycles"] == 1 and s["holes"] == 1
    assert s["coverage"] > 0.95


@pytest.mark.parametrize("backend", M.available_backends())
def test_two_blobs_give_two_components(blobs, backend):
    res = M.mapper_graph(
        blobs, lens="pca", n_components=1, resolution=10, gain=0.3, backend=backend
    )
    assert res.n_components() == 2
    truth = (np.arange(len(blobs)) >= len(blobs) // 2).astype(int)
    pc = res.point_clusters("components")
    keep = pc >= 0
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(truth[keep], pc[keep]) == pytest.approx(1.0)


@needs_giotto
@pytest.mark.parametrize("clusterer", ["knn", "dbscan", "kmeans", "single"])
def test_backends_agree(circle, clusterer):
    kw = dict(lens="pca", resolution=6, gain=0.4, clusterer=clusterer)
    _same_graph(
        M.mapper_graph(circle, backend="kmapper", **kw),
        M.mapper_graph(circle, backend="giotto", **kw),
    )


@needs_giotto
def test_backends_agree_with_dbscan_noise():
    rng = np.random.default_rng(3)
    X = np.r_[
        M.noisy_circle(400, 0.03, seed=3), rng.uniform(-1.5, 1.5, (60, 2))
    ]  # circle + scattered noise
    from sklearn.cluster import DBSCAN

    db = DBSCAN(eps=0.12, min_samples=6)
    a = M.mapper_graph(X, lens=X[:, 0], resolution=7, gain=0.3, clusterer=db, backend="kmapper")
    b = M.mapper_graph(X, lens=X[:, 0], resolution=7, gain=0.3, clusterer=db, backend="giotto")
    assert a.coverage() < 1.0  # DBSCAN did call some points noise: they are in no node ...
    _same_graph(a, b)  # ... in both backends
    assert a.summary()["cycles"] == 1


def test_literature_gain_three(circle):
    res = M.mapper_graph(circle, lens=circle[:, 0], resolution=10, gain=M.overlap_from_gain(3))
    assert res.params["gain"] == pytest.approx(2 / 3) and res.summary()["holes"] == 1


# --- lenses
# -----------------------------------------------------------------------------------------
def test_lenses():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 6))
    X[0] = 25.0  # an outlier
    np.testing.assert_allclose(M.compute_lens(X, "confidence")[:, 0], X.max(axis=1))
    np.testing.assert_allclose(M.compute_lens(X, "l2norm")[:, 0], np.linalg.norm(X, axis=1))
    np.testing.assert_allclose(M.compute_lens(X, "neuron:3")[:, 0], X[:, 3])
    np.testing.assert_allclose(M.compute_lens(X, ("neuron", 2))[:, 0], X[:, 2])
    assert M.compute_lens(X, "pca").shape == (300, 2)
    assert M.compute_lens(X, "pca", n_components=1).shape == (300, 1)
    assert M.compute_lens(X, "eccentricity")[:, 0].argmax() == 0
    assert M.compute_lens(X, "density")[:, 0].argmax() == 0  # farthest k-th neighbour = sparsest
    assert M.compute_lens(X, lambda A: A[:, :2]).shape == (300, 2)
    with pytest.raises(ValueError, match="Unknown lens"):
        M.compute_lens(X, "bogus")
    with pytest.raises(ValueError, match="does not exist"):
        M.compute_lens(X, "neuron:6")


# --- bad input
# --------------------------------------------------------------------------------------
def test_bad_input(circle):
    with pytest.raises(ValueError, match=r"resolution .* must be a whole number >= 1; got 0"):
        M.mapper_graph(circle, resolution=0)
    with pytest.raises(ValueError, match="whole number"):
        M.mapper_graph(circle, resolution=2.5)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        M.mapper_graph(circle, gain=0.0)
    with pytest.raises(ValueError, match=r"overlap_from_gain\(3\)"):
        M.mapper_graph(circle, gain=3)
    with pytest.raises(ValueError, match="600 points, the lens has shape"):
        M.mapper_graph(circle, lens=np.zeros(599))
    with pytest.raises(ValueError, match="backend"):
        M.mapper_graph(circle, backend="tda")
    with pytest.raises(ValueError, match="NaN"):
        M.mapper_graph(np.r_[circle, [[np.nan, 0.0]]])
    with pytest.raises(ValueError, match="2-D"):
        M.mapper_graph(circle[:, 0])
    with pytest.raises(TypeError, match="scikit-learn style"):
        M.mapper_graph(circle, clusterer=42)
    from sklearn.cluster import DBSCAN

    with pytest.raises(ValueError, match="found no cluster"):  # every point is noise
        M.mapper_graph(circle, clusterer=DBSCAN(eps=1e-6, min_samples=5))


# --- graph invariants and whole-graph clusters
# ------------------------------------------------------
def test_cycles_and_holes():
    assert M.graph_cycles(nx.cycle_graph(6)) == 1 and M.flag_holes(nx.cycle_graph(6)) == 1
    K4 = nx.complete_graph(4)
    assert M.graph_cycles(K4) == 3 and M.flag_holes(K4) == 0
    sq = nx.cycle_graph(4)
    sq.add_edge(0, 2)
    assert M.graph_cycles(sq) == 2 and M.flag_holes(sq) == 0
    two = nx.disjoint_union(nx.cycle_graph(5), nx.cycle_graph(4))
    assert M.graph_cycles(two) == 2 and M.flag_holes(two) == 2


def test_purity_uses_all_members(blobs):
    res = M.mapper_graph(blobs, lens="pca", n_components=1, resolution=6, gain=0.3)
    labels = (np.arange(len(blobs)) >= len(blobs) // 2).astype(int)
    maj, pur = res.node_majority(labels)
    assert np.all(pur == 1.0)
    flipped = labels.copy()
    flipped[res.members[0][: len(res.members[0]) // 4 + 1]] ^= 1  # a quarter of node 0 relabelled
    _, pur2 = res.node_majority(flipped)
    assert pur2[0] < 0.8 and pur2[0] >= 0.5
    nc = res.node_clusters("communities")
    assert nc.shape == (res.n_nodes,) and nc.min() == 0


# --- drawing, HTML ------------------------------------------------------------------------
def test_knn_graph_is_cached(circle):
    c = M.make_clusterer("knn")
    assert c.graph_for(circle) is c.graph_for(circle.copy())


def test_draw_and_html(circle, tmp_path):
    res = M.mapper_graph(circle, lens=circle[:, 1], resolution=8, gain=0.3)
    ax = MP.draw(res, color=np.arange(len(circle)) % 3)
    assert "8 nodes" in ax.get_title() or str(res.n_nodes) in ax.get_title()
    with pytest.raises(ValueError, match="one value per node"):
        MP.draw(res, node_color=np.ones(res.n_nodes + 1))
    kg = res.native  # kmapper's own graph dict: the same graph
    assert len(kg["nodes"]) == res.n_nodes and sum(map(len, kg["links"].values())) == res.n_edges
    assert sorted(map(sorted, kg["nodes"].values())) == sorted(m.tolist() for m in res.members)
    import kmapper

    path = tmp_path / "circle.html"
    kmapper.KeplerMapper(verbose=0).visualize(
        kg,
        path_html=str(path),
        color_values=circle[:, 0],
        color_function_name=["x"],
        custom_tooltips=np.arange(600) % 3,
    )
    text = path.read_text()
    assert path.exists() and "<html" in text.lower() and len(text) > 1000
    assert "srcdoc" in MP.show_html(path).data


def test_scales(blobs):
    assert 0 < M.auto_eps(blobs) < 2.0  # a neighbour scale, well below the blobs' distance 8
    assert set(M.available_backends()) <= set(M.BACKENDS) and "kmapper" in M.available_backends()


def test_layout_places_every_component_apart(blobs):
    res = M.mapper_graph(blobs, lens="pca", n_components=1, resolution=10, gain=0.3)
    pos = MP.layout(res)
    assert set(pos) == set(res.graph.nodes) and np.all(np.isfinite(np.array(list(pos.values()))))
    comps = [sorted(c) for c in nx.connected_components(res.graph)]
    boxes = [
        (np.array([pos[k] for k in c]).min(0), np.array([pos[k] for k in c]).max(0)) for c in comps
    ]
    (lo0, hi0), (lo1, hi1) = boxes[:2]
    assert np.any(hi0 < lo1) or np.any(hi1 < lo0)  # the two blobs' drawings do not overlap


def test_constant_lens_is_one_interval(circle):
    res = M.mapper_graph(circle, lens=np.zeros(len(circle)), resolution=10, gain=0.3)
    assert res.cover.n_sets == 1 and res.n_nodes == 1 and res.n_edges == 0
    cov = M.Cover(
        np.c_[np.zeros(50), np.linspace(0, 1, 50)], 4, 0.2
    )  # one constant dimension of two
    assert cov.set_index[:, 0].max() == 0 and cov.n_sets == 4


def test_ex04_checkers_accept_solutions_and_reject_wrong_answers(monkeypatch):
    from toolkit.exercises import ExerciseFailed, ex04

    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    monkeypatch.setattr(
        ex04.q3, "_forbid", None
    )  # the toolkit's own function as the reference answer (students may not: #22)

    def cover(lo, hi, r, g):
        L = (hi - lo) / (r - (r - 1) * g)
        s = lo + np.arange(r) * (1 - g) * L
        return np.stack([s, s + L], axis=1)

    assert ex04.q1(cover)
    with pytest.raises(ExerciseFailed, match="overlap"):  # touching, not overlapping
        ex04.q1(
            lambda lo, hi, r, g: np.stack(
                [lo + np.arange(r) * (hi - lo) / r, lo + np.arange(1, r + 1) * (hi - lo) / r],
                axis=1,
            )
        )
    truth = ex04._circle_graph().summary()  # computed, not typed in
    assert ex04.q2({k: truth[k] for k in ("nodes", "edges", "components", "cycles")})
    with pytest.raises(ExerciseFailed, match="nodes"):
        ex04.q2({"nodes": truth["nodes"] + 2, "edges": 8, "components": 1, "cycles": 1})
    with pytest.raises(ExerciseFailed):
        ex04.q2([8, 8, 1, 1])
    assert ex04.q3(lambda G: M.graph_cycles(G))
    with pytest.raises(ExerciseFailed, match="triangle"):
        ex04.q3(lambda G: G.number_of_edges() - G.number_of_nodes())

    # student-code faults get a student-facing message, never a toolkit traceback; nothing odd
    # passes
    def forgot_return(G):
        G.number_of_edges() - G.number_of_nodes() + 1

    for bad, msg in [
        (forgot_return, "return"),
        (lambda G: float("nan"), "NaN"),
        (lambda G: "1", "text"),
        (lambda G: True, "True/False"),
        (lambda G: M.graph_cycles(G) + 0.4, "whole"),
        (lambda G: 1 / 0, "ZeroDivisionError"),
    ]:
        with pytest.raises(ExerciseFailed, match=msg):
            ex04.q3(bad)
    for bad in (None, lambda lo, hi, r, g: None, lambda lo, hi, r, g: np.full((r, 2), np.nan)):
        with pytest.raises(ExerciseFailed):
            ex04.q1(bad)
    with pytest.raises(ExerciseFailed, match="whole number"):
        ex04.q2({"nodes": 8.0, "edges": 8, "components": 1, "cycles": 1})
    # q4 (judgement): one right option, each wrong one explained; non-strings rejected
    assert ex04.q4("b") and ex04.q4(" B ")
    for wrong in ("a", "c", "d"):
        with pytest.raises(ExerciseFailed, match=f"Not '{wrong}'"):
            ex04.q4(wrong)
    for bad in (None, 2, float("nan"), "e"):
        with pytest.raises(ExerciseFailed, match="one of"):
            ex04.q4(bad)


# ---------------------------------------------------------------- graph shape: components and
# flares
def _result_of(G, members, n):
    return M._build_result([0] * len(members), members, list(G.edges()), n, None, None, {}, None)


def test_flares_are_counted_from_the_graph():
    import networkx as nx

    from toolkit import mapper_shape as MS

    # a triangle core (0, 1, 2) with a 3-node flare 3-4-5 off node 0 and a 1-node flare 6 off node
    # 1; a separate path 7-8 (no junction: not a flare) and an isolated node 9
    G = nx.Graph([(0, 1), (1, 2), (2, 0), (0, 3), (3, 4), (4, 5), (1, 6), (7, 8)])
    G.add_node(9)
    members = [np.array([2 * i, 2 * i + 1]) for i in range(10)]
    res = _result_of(G, members, 20)
    assert MS.flares(res) == [[5, 4, 3], [6]]
    assert MS.flares(res, min_nodes=2) == [[5, 4, 3]]
    sh = MS.component_shares(res)
    assert sh.tolist() == pytest.approx([14 / 20, 4 / 20, 2 / 20])
    # a pure cycle or a pure path has no flares
    assert MS.flares(_result_of(nx.cycle_graph(5), members[:5], 10)) == []
    assert MS.flares(_result_of(nx.path_graph(5), members[:5], 10)) == []
    with pytest.raises(ValueError, match="min_nodes"):
        MS.flares(res, min_nodes=0)
    with pytest.raises(TypeError, match="MapperResult"):
        MS.flares(G)


def test_flares_on_a_real_mapper_graph_of_a_star():
    """Three noisy arms of a star, lens = distance from the centre: three flares, one junction."""
    from toolkit import mapper_shape as MS

    rng = np.random.default_rng(0)
    t = rng.uniform(0, 1, 900)
    arm = np.repeat(np.arange(3), 300)
    angles = arm * 2 * np.pi / 3
    X = np.c_[t * np.cos(angles), t * np.sin(angles)] + rng.normal(scale=0.01, size=(900, 2))
    res = M.mapper_graph(X, lens=np.linalg.norm(X, axis=1), resolution=8, gain=0.3)
    fl = MS.flares(res, min_nodes=2)
    assert len(fl) == 3
    arms = [np.bincount(arm[np.concatenate([res.members[v] for v in f])], minlength=3) for f in fl]
    assert sorted(int(a.argmax()) for a in arms) == [0, 1, 2] and all(
        a.max() > 0.95 * a.sum() for a in arms
    )
    lens_at = [
        (res.lens[res.members[f[0]]].mean(), res.lens[res.members[f[-1]]].mean()) for f in fl
    ]
    assert all(
        leaf > junction for leaf, junction in lens_at
    )  # leaf at the tip, junction at the centre
    assert MS.component_shares(res)[0] > 0.95


def test_compute_module_draws_nothing_and_has_no_plot_names():
    import subprocess
    import sys

    code = (
        "import sys; import toolkit.mapper as M; M.mapper_graph(M.noisy_circle(200), lens='pca'); "
        "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'IPython') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"  # computing a graph imports no plotting
    for name in ("draw", "plot_cover", "save_html", "MapperExplorer", "to_kmapper"):
        assert not hasattr(M, name)  # pictures live in mapper_plots only


def test_cover_set_is_recorded_and_every_node_lies_in_its_set(circle):
    """Each node's cover set is recorded when the node is made (not parsed from kmapper's node
    names): a node's members all lie in the cover set it names, and its clusterer's clusters of that
    set are exactly the set's nodes (kmapper and the hand-made pull-back agree node for node)."""
    res = M.mapper_graph(circle, lens="pca", resolution=5, gain=0.3, clusterer="knn")
    assert res.cover_set.shape == (res.n_nodes,)
    assert [res.graph.nodes[v]["cover_set"] for v in res.graph] == list(res.cover_set)
    knn = M.make_clusterer("knn")
    A = knn.graph_for(circle)  # the k-NN graph of all points, cut to each cover set
    want = []
    for s in range(res.cover.n_sets):
        pts = np.flatnonzero(res.cover.masks[:, s])
        lab = knn.components(A[pts][:, pts]) if len(pts) >= 5 else np.full(len(pts), -1)
        want += [
            (s, int(pts[lab == c].min()), len(pts[lab == c])) for c in np.unique(lab[lab >= 0])
        ]
    got = [(int(s), int(m.min()), len(m)) for s, m in zip(res.cover_set, res.members)]
    assert got == sorted(want)
    for s, m in zip(res.cover_set, res.members):
        assert res.cover.masks[m, s].all()


def test_merged_node_clusters_give_exactly_n_groups(blobs):
    res = M.mapper_graph(blobs, lens="pca", resolution=8, gain=0.3)
    for k in range(1, min(res.n_nodes, 6) + 1):
        nc = res.node_clusters("merged", n_clusters=k)
        assert sorted(np.unique(nc)) == list(range(k))
    two = res.point_clusters("merged", n_clusters=2)
    truth = (np.arange(len(blobs)) >= len(blobs) // 2).astype(int)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(truth[two >= 0], two[two >= 0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="n_clusters"):
        res.node_clusters("merged")
    with pytest.raises(ValueError, match="n_clusters"):
        res.node_clusters("merged", n_clusters=2.5)


def test_compute_lens_refuses_bad_counts_and_complex_points():
    """Issue #23 item 10: n_components=-1 built a 3-D lens; complex X lost its imaginary part with
    only a NumPy warning."""
    X = np.random.default_rng(0).normal(size=(30, 3))
    for kw in (
        dict(n_components=-1),
        dict(n_components=0),
        dict(n_components=1.5),
        dict(n_components=True),
    ):
        with pytest.raises((TypeError, ValueError), match="n_components"):
            M.compute_lens(X, "pca", **kw)
    with pytest.raises(ValueError, match="k "):
        M.compute_lens(X, "density", k=2.5)
    with pytest.raises(TypeError, match="complex values"):
        M.compute_lens(X + 1j, "pca")
    assert M.compute_lens(X, "pca", n_components=2.0).shape == (30, 2)
