"""Tests of toolkit.homology on clouds of known topology, landmarks vs full Rips, and
circle_evidence."""

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from toolkit import filters as fl
from toolkit import homology as ph


def betti(d, scale):
    """The Betti numbers at one scale, as a tuple."""
    return tuple(int(b) for b in ph.betti_curve(d, scale)[0])


def test_circle_has_one_dominant_h1_bar():
    X = ph.sample_cloud("circle", 150, noise=0.03, seed=0)
    d = ph.persistence(X)
    assert len(d) == 2 and d.method == "rips"
    assert d[0].shape[1] == 2 and np.isinf(d[0][:, 1]).sum() == 1
    life = ph.bar_lengths(d, 1)
    assert life[0] > 1.2  # the unit circle's hole: dies near sqrt(3)
    assert ph.circle_score(d) > 5
    assert betti(d, 0.5) == (1, 1)


def test_sphere_has_h2_and_no_h1():
    X = ph.sample_cloud("sphere", 400, seed=1)
    d = ph.persistence(X, maxdim=2, n_landmarks=60)
    assert betti(d, 1.0) == (1, 0, 1)
    assert ph.bar_lengths(d, 2)[0] > 0.5 and ph.bar_lengths(d, 1)[0] < 0.4


def test_torus_same_betti_over_z2_and_z3():
    X = ph.sample_cloud("torus", 400, seed=2)
    for coeff in (2, 3):
        d = ph.persistence(X, maxdim=2, coeff=coeff, n_landmarks=100)
        assert betti(d, 1.3) == (1, 2, 1), coeff


def test_klein_bottle_cloud_told_from_torus_by_coefficients():
    X = ph.sample_cloud("klein", 400, seed=3)
    d2 = ph.persistence(X, maxdim=2, coeff=2, n_landmarks=150)
    d3 = ph.persistence(X, maxdim=2, coeff=3, n_landmarks=150)
    assert betti(d2, 1.7) == (1, 2, 1)  # over Z/2 it looks like a torus ...
    assert betti(d3, 1.7) == (1, 1, 0)  # ... over Z/3 it does not: a Klein bottle


def test_ideal_filters_acceptance():
    """REFERENCES 5 / issue point 5: 64 circle filters give exactly one H1 bar; Klein filters on a
    12 x 12 grid give (1, 2, 1) over Z/2 and (1, 1, 0) over Z/3 at one scale (0.8)."""
    d = ph.persistence(fl.primary_circle_filters(64).reshape(64, 9))
    assert len(d[1]) == 1
    K = fl.klein_bottle_filters(12, 12).reshape(-1, 9)
    assert betti(ph.persistence(K, maxdim=2, coeff=2), 0.8) == (1, 2, 1)
    assert betti(ph.persistence(K, maxdim=2, coeff=3), 0.8) == (1, 1, 0)


def test_landmark_leading_bar_matches_full_rips():
    rng = np.random.default_rng(4)
    t = rng.uniform(0, 2 * np.pi, 300)
    X = np.zeros((300, 9))
    X[:, 0], X[:, 1] = np.cos(t), np.sin(t)
    X += 0.05 * rng.normal(size=X.shape)
    full = ph.persistence(X)
    fast = ph.persistence(X, n_landmarks=60)
    assert fast.method == "maxmin" and len(fast.landmarks) == 60
    lf, ll = ph.bar_lengths(full, 1), ph.bar_lengths(fast, 1)
    assert ph.circle_score(full) > 3 and ph.circle_score(fast) > 3
    assert ll[0] == pytest.approx(lf[0], rel=0.15)  # same scale, leading bar within 15%
    b_full = full[1][np.argmax(full[1][:, 1] - full[1][:, 0])]
    b_fast = fast[1][np.argmax(fast[1][:, 1] - fast[1][:, 0])]
    assert b_fast[1] == pytest.approx(b_full[1], rel=0.1)  # same death (the hole's size)


def test_maxmin_landmarks_cover_evenly():
    X = np.concatenate([np.zeros((100, 2)), np.array([[10.0, 0], [0, 10.0]])])
    L = ph.maxmin_landmarks(X, 3, seed=0)
    assert {100, 101} <= set(L.tolist())  # the two far points are always picked
    with pytest.raises(ValueError, match="n_landmarks"):
        ph.maxmin_landmarks(X, 0)


def test_scores_and_betti_by_hand():
    d = [np.array([[0, np.inf], [0, 1.0]]), np.array([[0.2, 1.2], [0.3, 0.5], [0.4, 0.45]])]
    assert ph.bar_lengths(d, 1).tolist() == pytest.approx([1.0, 0.2, 0.05])
    assert ph.circle_score(d) == pytest.approx(5.0)
    assert betti(d, 0.42) == (2, 3)
    assert betti(d, 0.6) == (2, 1)
    assert betti(d, 1.5) == (1, 0)
    assert ph.circle_score([d[0], np.zeros((0, 2))]) == 0.0
    assert ph.circle_score([d[0], np.array([[0, 1.0]])]) == float("inf")
    with pytest.raises(ValueError, match="maxdim"):
        ph.bar_lengths(d, 2)


def test_bad_input():
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        ph.persistence(np.zeros(5))
    with pytest.raises(ValueError, match="prime"):
        ph.persistence(np.zeros((5, 2)), coeff=4)
    with pytest.raises(ValueError, match="NaN"):
        ph.persistence(np.full((5, 2), np.nan))
    with pytest.raises(ValueError, match="shape"):
        ph.sample_cloud("mobius")


def test_ex05_q3_circle_score_checker(monkeypatch):
    from toolkit.exercises import ExerciseFailed, ex05

    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")

    def good(dgm1):
        life = np.sort(dgm1[:, 1] - dgm1[:, 0])[::-1]
        return (
            0.0 if len(life) == 0 else float("inf") if len(life) == 1 else float(life[0] / life[1])
        )

    assert ex05.q3(good) is True
    with pytest.raises(ExerciseFailed, match="death"):
        ex05.q3(lambda d: np.sort(d[:, 1])[-1] / np.sort(d[:, 1])[-2] if len(d) > 1 else good(d))
    with pytest.raises(ExerciseFailed, match="Sort"):
        ex05.q3(lambda d: (d[0, 1] - d[0, 0]) / (d[1, 1] - d[1, 0]) if len(d) > 1 else good(d))
    with pytest.raises(ExerciseFailed, match="single"):
        ex05.q3(lambda d: good(d) if len(d) != 1 else 1.0)


def test_landmarks_make_1920_points_in_r9_fast():
    """Issue 6 point 3: 1,920 points in R^9 in a few seconds (full Rips takes 90-140 s on 2 cores).
    Measured as CPU time of this process, so that a busy machine does not make the test flaky."""
    import time

    rng = np.random.default_rng(0)
    t = rng.uniform(0, 2 * np.pi, 1920)
    X = 0.1 * rng.normal(size=(1920, 9))
    X[:, 0] += np.cos(t)
    X[:, 1] += np.sin(t)
    c0 = time.process_time()
    d = ph.persistence(X, n_landmarks=400)
    assert time.process_time() - c0 < 8.0
    assert ph.circle_score(d) > 3 and ph.bar_lengths(d, 1)[0] > 0.8


# --------------------------------------------------------------------------------------------------
# circle_evidence: a circle test that clumps cannot fool (issue 13 point 1)
# --------------------------------------------------------------------------------------------------
_E12 = np.eye(9)[:2]


@pytest.fixture(scope="module")
def controls():
    return ph.circle_controls(240, seed=0)


def test_circle_evidence_noisy_uniform_circle_is_a_circle(controls):
    ev = ph.circle_evidence(controls["uniform circle"], plane=_E12)
    assert ev.is_circle, ev
    assert ev.death_birth > 5 and ev.occupied == 16 and ev.coverage == 1.0 and ev.in_plane > 0.95
    assert (
        ev.ratio > 10 and 0 < ev.birth < ev.death and ev.n_points == 240 and ev.n_landmarks == 200
    )
    assert ev.reason.startswith("circle")
    assert ph.circle_evidence(controls["uniform circle"]).is_circle  # PCA plane finds it too


def test_circle_evidence_ideal_filters_are_a_circle():
    ev = ph.circle_evidence(fl.primary_circle_filters(64).reshape(64, 9), plane=fl.dct_basis()[:2])
    assert ev.is_circle and ev.death_birth > 15 and ev.ratio == float("inf") and ev.occupied == 16
    assert ev.in_plane == pytest.approx(1.0)


def test_circle_evidence_four_clumps_fool_the_ratio_but_not_the_evidence(controls):
    X = controls["4 clumps"]
    ev = ph.circle_evidence(X, plane=_E12)
    assert ev.ratio > 3  # the old circle score calls four clumps a circle ...
    assert not ev.is_circle  # ... the evidence does not
    assert ev.death_birth < 2 and ev.occupied <= 9
    assert "death/birth" in ev.reason and "sectors under 1 %" in ev.reason
    assert ev.verdict == ph.NOT_A_CIRCLE and ev.control_pass >= 0.8 and ev.n_controls == 10


@pytest.mark.parametrize("name", ["3 clumps on a ring", "270° arc", "Gaussian blob"])
def test_circle_evidence_other_controls_are_not_circles(controls, name):
    ev = ph.circle_evidence(controls[name], plane=_E12)
    assert not ev.is_circle and ev.death_birth < 2, ev


def test_circle_evidence_random_filters_are_off_the_plane():
    R = fl.normalize(np.random.default_rng(0).normal(size=(240, 9)))
    ev = ph.circle_evidence(R, plane=fl.dct_basis()[:2])
    assert not ev.is_circle and ev.in_plane < 0.6 and "off the plane" in ev.reason
    assert ev.verdict == ph.OFF_PLANE and ev.n_controls == 0  # decisive at any n, no control


def test_circle_evidence_coverage_counts_sectors_by_hand():
    # 40 points at exactly 0 and 90 degrees (sector 0 is centred on the first plane direction)
    a = np.repeat([0.0, np.pi / 2], 20)
    X = np.stack([np.cos(a), np.sin(a)], 1) + 1e-3 * np.arange(40)[:, None]
    ev = ph.circle_evidence(X, plane=np.eye(2), center=np.zeros(2), sectors=8)
    assert ev.occupied == 2 and ev.coverage == pytest.approx(2 / 8) and ev.sectors == 8
    assert ev.in_plane == pytest.approx(1.0)


def test_circle_evidence_bad_input():
    X = ph.circle_controls(40)["uniform circle"]
    with pytest.raises(ValueError, match="at least 10"):
        ph.circle_evidence(X[:9])
    Xn = X.copy()
    Xn[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ph.circle_evidence(Xn)
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        ph.circle_evidence(X[:, 0])
    with pytest.raises(ValueError, match="plane"):
        ph.circle_evidence(X, plane=np.eye(3)[:2])
    with pytest.raises(ValueError, match="plane"):
        ph.circle_evidence(X, plane=np.ones((2, 9)))
    with pytest.raises(ValueError, match="sectors"):
        ph.circle_evidence(X, sectors=2)
    with pytest.raises(ValueError, match="center"):
        ph.circle_evidence(X, center=np.zeros(3))


def test_circle_score_of_a_bare_h1_array_is_the_right_value():
    """Issue 16: circle_score(d[1]) on a bare (n, 2) array gave inf; it is the diagram itself."""
    d = ph.persistence(ph.sample_cloud("circle", 80, noise=0.05, seed=1))
    assert ph.circle_score(d[1]) == pytest.approx(ph.circle_score(d))
    assert np.isfinite(ph.circle_score(d[1]))
    assert ph.bar_lengths(d[1]).tolist() == ph.bar_lengths(d, 1).tolist()
    with pytest.raises(ValueError, match="ambiguous"):
        ph.circle_score([[0.1, 0.5], [0.2, 0.3]])
    with pytest.raises(ValueError, match="n_bars, 2"):
        ph.circle_score(np.zeros((3, 3)))


def test_ex05_q3_accepts_float32_rejects_nan_none_strings(monkeypatch):
    """Issue 16: a correct float32 answer passes; NaN, inf, None and strings never do."""
    from toolkit.exercises import ExerciseFailed, ex05

    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")

    def good32(dgm1):
        life = np.sort((dgm1[:, 1] - dgm1[:, 0]).astype(np.float32))[::-1]
        return (
            0.0
            if len(life) == 0
            else float("inf")
            if len(life) == 1
            else np.float32(life[0] / life[1])
        )

    assert ex05.q3(good32) is True
    for bad, msg in [
        (lambda d: float("nan"), "NaN"),
        (lambda d: None, "None"),
        (lambda d: "5.0", "str"),
        (lambda d: float("inf"), "score"),
        (lambda d: np.array([5.0, 1.0]), "one number"),
    ]:
        with pytest.raises(ExerciseFailed, match=msg):
            ex05.q3(bad)


def test_plane_coordinates_sector_counts_and_betti_curve_by_hand():
    X = np.array([[2.0, 0, 0], [0, 3.0, 4.0], [-1.0, 0, 0]])
    Y, share = ph.plane_coordinates(X, np.eye(3)[:2], center=np.zeros(3))
    assert Y.tolist() == [[2, 0], [0, 3], [-1, 0]] and share.tolist() == pytest.approx([1, 0.6, 1])
    assert ph.sector_counts(Y, 4).tolist() == [1, 1, 1, 0]
    with pytest.raises(ValueError, match="independent"):
        ph.plane_coordinates(X, np.array([[1.0, 0, 0], [2.0, 0, 0]]))
    d = [np.array([[0, np.inf], [0, 1.0]]), np.array([[0.2, 1.2], [0.3, 0.5]])]
    B = ph.betti_curve(d, [0.1, 0.4, 0.6, 1.5])
    assert B.tolist() == [[2, 0], [2, 2], [2, 1], [1, 0]]
    with pytest.raises(ValueError, match="scales"):
        ph.betti_curve(d, [np.nan])


def test_ex05_q4_judgement_four_clumps(monkeypatch):
    """The judgement exercise's right answer is what circle_evidence measures on four clumps."""
    from toolkit.exercises import ExerciseFailed, ex05

    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    ev = ph.circle_evidence(ph.circle_controls(240, seed=1)["4 clumps"], plane=_E12)
    assert ev.ratio >= 3 and ev.death_birth < 2 and ev.occupied < 16  # choice B, measured
    assert ex05.q4("B") is True and ex05.q4(" b ") is True
    for bad, msg in [
        ("A", "sqrt\\(2\\)"),
        ("C", "dominant loop"),
        ("D", "square"),
        ("E", "not one of"),
        (None, "None"),
        (2, "string"),
    ]:
        with pytest.raises(ExerciseFailed, match=msg):
            ex05.q4(bad)


# --------------------------------------------------------------------------------------------------
# Issue 21 point 1: thick circles and circles of uneven density pass; the verdict is three-way
# --------------------------------------------------------------------------------------------------
def test_thick_circle_of_the_trained_filters_size_passes():
    """Issue 21: 115 points in R^9 with off-plane spread giving in-plane share 0.88 (as trained
    X(12, 0.3)) failed the old test (Rips in R^9: death/birth 2.4-2.6) 5 of 5 times; in the plane it
    is a circle."""
    for seed in range(5):
        for unit in (False, True):
            C = ph.circle_controls(115, noise=0.02, seed=seed, in_plane=0.88, unit=unit)[
                "uniform circle"
            ]
            ev = ph.circle_evidence(C, plane=_E12)
            assert ev.is_circle and ev.verdict == ph.CIRCLE, (seed, unit, ev)
            assert ev.in_plane == pytest.approx(0.88, abs=0.04)
            old = ph.persistence(C, n_landmarks=200)[1]  # what the old test measured: R^9
            b, e = old[np.argmax(old[:, 1] - old[:, 0])]
            assert e / b < 3 < ev.death_birth


@pytest.mark.parametrize("n,in_plane", [(115, 0.88), (115, 0.8), (400, 0.8)])
def test_circle_power_and_false_positive_rate(n, in_plane):
    """The issue's acceptance: >= 80 % of thick circles pass and >= 95 % of thick clumps, arcs and
    blobs of the same size fail (20 clouds per control, seeds 20-39: not the seeds of the docstring
    table; unit-norm points as normalized filters). Circles with the trained filters' uneven angular
    density (the matched circle's kind) are held to 80 % at the trained core's thickness (0.88) and
    from 200 points on; at 100-115 points and share 0.80 they pass 75-92 % (docstring table), which
    the three-way verdict's matched circle measures for each cloud."""
    power = ph.circle_power(n, in_plane, reps=20, seed=20)
    assert power["uniform circle"] >= 0.8, power
    if in_plane >= 0.85 or n >= 200:
        assert power["uneven circle"] >= 0.8, power
    for name, should_pass in ph.CIRCLE_SHOULD_PASS.items():
        if not should_pass:
            assert power[name] <= 0.05, (name, power)


def test_three_way_verdict():
    ctrl = ph.circle_controls(200, noise=0.02, seed=3, in_plane=0.85, unit=True)
    assert ph.circle_evidence(ctrl["uniform circle"], plane=_E12).verdict == ph.CIRCLE
    for name in ("4 clumps", "270° arc", "Gaussian blob"):
        ev = ph.circle_evidence(ctrl[name], plane=_E12)
        assert ev.verdict == ph.NOT_A_CIRCLE and not ev.is_circle and ev.control_pass >= 0.8, (
            name,
            ev,
        )
        assert "matched circle passes" in str(ev)
    # 14 points on a 270 degree arc: a matched circle of 14 points fails too, so the test cannot
    # tell
    a = np.linspace(0, 1.5 * np.pi, 14)
    ev = ph.circle_evidence(np.c_[np.cos(a), np.sin(a)], plane=np.eye(2), center=np.zeros(2))
    assert ev.verdict == ph.CANNOT_TELL and ev.control_pass < 0.8, ev
    ev0 = ph.circle_evidence(ctrl["4 clumps"], plane=_E12, controls=0)
    assert ev0.n_controls == 0 and np.isnan(ev0.control_pass) and "untested" in ev0.verdict


def test_matched_circle_keeps_n_thickness_and_density_with_full_support():
    X = ph.circle_controls(300, noise=0.02, seed=1, in_plane=0.85, unit=True)["uneven circle"]
    M = ph.matched_circle(X, plane=_E12, seed=0)
    assert M.shape == X.shape
    _, sx = ph.plane_coordinates(X, _E12)
    Y, sm = ph.plane_coordinates(M, _E12)
    assert np.median(sm) == pytest.approx(np.median(sx), abs=0.05)  # same thickness
    cx, cm = ph.sector_counts(ph.plane_coordinates(X, _E12)[0]), ph.sector_counts(Y)
    assert (cm > 0).all()  # full support
    assert np.corrcoef(cx, cm)[0, 1] > 0.8  # same density profile
    blob = ph.circle_controls(300, seed=2)["Gaussian blob"]
    Mb = ph.matched_circle(blob, plane=_E12)
    r = np.linalg.norm(ph.plane_coordinates(Mb, _E12, center=blob.mean(0))[0], axis=1)
    assert r.min() >= 0.7 * np.median(r)  # a ring, not a blob
    assert ph.circle_evidence(ph.matched_circle(blob, plane=_E12), plane=_E12, controls=0).is_circle
    assert ph.matched_circle(X, seed=0) is not X and np.allclose(
        ph.matched_circle(X, seed=4), ph.matched_circle(X, seed=4)
    )


def test_largest_gap_by_hand():
    a = np.radians([0, 90, 180, 200])
    assert ph.largest_gap(np.c_[np.cos(a), np.sin(a)]) == pytest.approx(160)
    assert ph.largest_gap(np.array([[1.0, 0.0]])) == 360.0


# --------------------------------------------------------------------------------------------------
# Issue 23 points 3, 4, 9: one diagram or many, thresholds and scales, counts
# --------------------------------------------------------------------------------------------------
def test_betti_curve_of_a_bare_diagram_is_one_dimension():
    """betti_curve(d[1], 0.5) read each bar as a dimension ([[1, 0, 0]]); a bare (n, 2) array is one
    diagram, as circle_score reads it."""
    d = ph.persistence(ph.sample_cloud("circle", 80, noise=0.05, seed=1))
    assert ph.betti_curve(d[1], 0.5).tolist() == [[betti(d, 0.5)[1]]]
    assert ph.betti_curve(d[1], [0.1, 0.5, 3.0]).shape == (3, 1)
    with pytest.raises(ValueError, match="ambiguous"):
        ph.betti_curve([[0.1, 0.5], [0.2, 0.3]], 0.5)
    with pytest.raises(ValueError, match=r"n_bars, 2"):
        ph.betti_curve([np.zeros((4, 3))], 0.5)


def test_circle_score_with_thresh_scales_and_nan():
    C = fl.primary_circle_filters(64).reshape(64, 9)
    with pytest.raises(ValueError, match="never die"):  # two loops cut at thresh gave NaN
        ph.circle_score(ph.persistence(np.vstack([C, C + 5]), thresh=0.5))
    for bad in (np.nan, 0.0, -1.0):
        with pytest.raises(ValueError, match="thresh"):
            ph.persistence(C, thresh=bad)
    with pytest.raises(TypeError, match="thresh"):
        ph.persistence(C, thresh="1")
    X = ph.sample_cloud("circle", 80, noise=0.05, seed=1)
    ref = ph.persistence(X)
    for k in (1e200, 1e-200, 3.0):  # 1e200 gave 0.0: float32 overflow in ripser
        d = ph.persistence(X * k)
        assert ph.circle_score(d) == pytest.approx(ph.circle_score(ref), rel=1e-5), k
        assert ph.bar_lengths(d, 1)[0] == pytest.approx(k * ph.bar_lengths(ref, 1)[0], rel=1e-5)


def test_counts_are_checked_not_truncated():
    C = ph.circle_controls(40)["uniform circle"]
    with pytest.raises(ValueError, match="n"):
        ph.sample_cloud("torus", 2.5)
    assert ph.sample_cloud("torus", 20.0).shape == (20, 4)  # a whole float is a count
    with pytest.raises(TypeError, match="n"):
        ph.sample_cloud("circle", True)
    with pytest.raises(ValueError, match="noise"):
        ph.sample_cloud("circle", 10, noise=np.nan)
    with pytest.raises(ValueError, match="sectors"):
        ph.sector_counts(C[:, :2], 4.9)
    with pytest.raises(ValueError, match="sectors"):
        ph.circle_evidence(C, sectors=4.9)
    with pytest.raises(ValueError, match="n_landmarks"):
        ph.maxmin_landmarks(C, 2.5)
    with pytest.raises(TypeError, match="maxdim"):
        ph.persistence(C, maxdim=True)
    with pytest.raises(ValueError, match="controls"):
        ph.circle_evidence(C, controls=1.5)


def test_natural_image_patches_primary_circle_passes_at_the_notebook_settings():
    """Issue 21: the textbook positive control, X(300, 0.3) of natural-image patches, failed the old
    test on 200 landmarks (death/birth 2.72 in R^9); notebook 05's classroom settings must call it a
    circle."""
    P = fl.natural_image_patches(5000, top=0.2)
    ev = ph.circle_evidence(
        fl.density_filtration(P, 300, 0.3), plane=fl.dct_basis()[:2], n_landmarks=200
    )
    assert ev.verdict == ph.CIRCLE and ev.death_birth > 4, ev
