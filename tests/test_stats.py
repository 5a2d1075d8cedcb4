"""Statistics primitives: intervals that behave as intervals should, and clear errors on bad input."""
import numpy as np
import pytest

from toolkit import stats


def test_mean_se_matches_formula():
    x = [1.0, 2.0, 4.0, 7.0]
    m, se = stats.mean_se(x)
    assert m == pytest.approx(3.5)
    assert se == pytest.approx(np.std(x, ddof=1) / 2)
    assert np.isnan(stats.mean_se([3.0])[1])


def test_diff_ci_separates_clear_difference_and_covers_zero_for_same_distribution():
    rng = np.random.default_rng(1)
    a = rng.normal(0.0, 1.0, 8)
    far = stats.diff_ci(a, a + 5.0)
    assert far.lo > 0 and far.diff == pytest.approx(5.0)
    assert stats.interval_sign(far.lo, far.hi) == 1
    same = stats.diff_ci(rng.normal(0, 1, 30), rng.normal(0, 1, 30))
    assert same.lo < 0 < same.hi
    assert stats.interval_sign(same.lo, same.hi) == 0
    paired = stats.diff_ci(a, a - 0.5 + rng.normal(0, 0.01, 8), paired=True)
    assert paired.hi < 0


def test_diff_ci_does_not_touch_global_rng():
    np.random.seed(3)
    before = np.random.get_state()[1].copy()
    stats.diff_ci([1, 2, 3], [2, 3, 4])
    stats.bootstrap_ci([1, 2, 3])
    assert np.array_equal(before, np.random.get_state()[1])


def test_permutation_test_exact_small_samples():
    # 3 vs 3 fully separated: 2 of the 20 relabelings are as extreme (two-sided)
    assert stats.permutation_test([0, 1, 2], [10, 11, 12]) == pytest.approx(2 / 20)
    assert stats.permutation_test([0, 1, 2], [10, 11, 12], alternative="greater") == pytest.approx(1 / 20)
    assert stats.permutation_test([0, 1, 2], [0, 1, 2]) == pytest.approx(1.0)


def test_bootstrap_ci_contains_mean():
    lo, hi = stats.bootstrap_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    assert lo < 3.0 < hi
    lo, hi = stats.bootstrap_ci([1.0, 2.0, 3.0, 4.0, 5.0], stat=np.median)
    assert lo <= 3.0 <= hi


@pytest.mark.parametrize("bad, match", [([1.0], "at least 2"), ([[1, 2], [3, 4]], "1-D"),
                                        ([1.0, float("nan")], "NaN"), ("ab", "numbers")])
def test_bad_input_names_the_argument(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        stats.diff_ci(bad, [1.0, 2.0])


def test_interval_sign_rejects_reversed():
    with pytest.raises(ValueError, match="lo must be"):
        stats.interval_sign(1.0, 0.0)
    assert stats.interval_sign(-2.0, -1.0) == -1
