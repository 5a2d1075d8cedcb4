"""toolkit.arrays: the one input check every public function uses."""

import numpy as np
import pytest
import torch

from toolkit.arrays import as_array, as_labels


def test_tensors_lists_and_arrays_become_float64_copies():
    x = np.ones((3, 2), dtype=np.float32)
    a = as_array(x)
    assert a.dtype == np.float64 and a.shape == (3, 2)
    a[0, 0] = 5
    assert x[0, 0] == 1, "a copy, never a view of the caller's data"
    assert as_array(torch.ones(4, 3, requires_grad=True)).shape == (4, 3)
    assert as_array([[1, 2], [3, 4]], ndim=(2, 3)).shape == (2, 2)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.ones(5), r"W must be 2-D \(n_out, n_in\); got shape \(5,\). For one feature"),
        (np.ones((2, 3, 4)), r"got shape \(2, 3, 4\). Flatten"),
        (np.zeros((0, 3)), "at least 1 entries"),
        (
            np.array([[1.0, np.nan], [np.inf, 0]]),
            r"2 NaN or infinite values \(in 2 rows, e.g. row 0\)",
        ),
    ],
)
def test_bad_arrays_name_the_argument(bad, match):
    with pytest.raises(ValueError, match=match):
        as_array(bad, "W", axes="(n_out, n_in)")


def test_non_numbers_and_min_len():
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        as_array([["a", "b"]])
    with pytest.raises(TypeError):
        as_array({"a": 1})
    with pytest.raises(ValueError, match="at least 10"):
        as_array(np.ones((9, 2)), min_len=10)
    assert np.isnan(as_array([[np.nan]], finite=False)).all()


def test_labels():
    assert as_labels([0, 1.0, 2]).dtype == np.int64
    assert as_labels(torch.tensor([3, 1]), n=2).tolist() == [3, 1]
    for bad, match in (([[0, 1]], "vector"), ([0.5], "whole"), ([np.nan], "whole"), ([-1], ">= 0")):
        with pytest.raises(ValueError, match=match):
            as_labels(bad)
    with pytest.raises(ValueError, match="3 entries but 2"):
        as_labels([0, 1, 2], n=2)
    with pytest.raises(TypeError):
        as_labels(np.array(["a"]))


def test_cluster_labels_allow_minus_one_only_when_asked():
    assert as_labels([0, -1, 2], unclustered=True).tolist() == [0, -1, 2]
    with pytest.raises(ValueError, match="class indices >= 0"):
        as_labels([0, -1])
    with pytest.raises(ValueError, match="-1 for unclustered; found -2"):
        as_labels([0, -2], name="clusters", unclustered=True)


@pytest.mark.parametrize(
    "v, want",
    [
        (3, 3),
        (np.int64(4), 4),
        (10.0, 10),
        (np.float32(2.0), 2),
        (torch.tensor(5), 5),
        (np.array(6), 6),
    ],
)
def test_as_count_accepts_whole_numbers(v, want):
    from toolkit.arrays import as_count

    out = as_count(v, "n")
    assert out == want and type(out) is int


@pytest.mark.parametrize(
    "v, err",
    [
        (2.5, ValueError),
        (float("nan"), ValueError),
        (True, TypeError),
        ("3", TypeError),
        (None, TypeError),
        (0, ValueError),
        (-1, ValueError),
        (torch.tensor(2.5), ValueError),
        (np.bool_(True), TypeError),
    ],
)
def test_as_count_refuses_and_names_the_argument(v, err):
    from toolkit.arrays import as_count

    with pytest.raises(err, match="n_clusters"):
        as_count(v, "n_clusters")


def test_as_count_bounds():
    from toolkit.arrays import as_count

    assert as_count(0, "seed", minimum=0) == 0
    assert as_count(-5, "offset", minimum=None) == -5
    with pytest.raises(ValueError, match="<= 9"):
        as_count(10, "label", minimum=0, maximum=9)


def test_as_fraction():
    from toolkit.arrays import as_fraction

    assert as_fraction(0.95, "level") == 0.95
    assert as_fraction(np.float32(0.5), "p") == 0.5
    for bad, err in [
        (95, ValueError),
        (float("nan"), ValueError),
        (True, TypeError),
        ("0.5", TypeError),
        (-0.1, ValueError),
    ]:
        with pytest.raises(err, match="level"):
            as_fraction(bad, "level")
    with pytest.raises(ValueError, match="percentage"):
        as_fraction(95, "level")
    with pytest.raises(ValueError):
        as_fraction(1.0, "level", open_hi=True)


def test_as_membership_lives_in_arrays_and_refuses_fractional_or_negative_indices():
    """Issue #23 item 9: [0.5, 1.7] was truncated to [0, 1] and -1 silently meant the last point."""
    from toolkit import activations, arrays

    assert activations.as_membership is arrays.as_membership
    assert {k: v.tolist() for k, v in arrays.as_membership([[0, 2.0], [1]], n=3).items()} == {
        0: [0, 2],
        1: [1],
    }
    for bad in (
        [[0.5, 1.7], [2]],
        [[-1, 0], [1]],
        {0: [0, 1], 1: [True]},
        {0: np.array([0, np.nan])},
    ):
        with pytest.raises(ValueError, match="point indices, whole numbers >= 0"):
            arrays.as_membership(bad, n=3)


def test_complex_input_is_refused_not_cut_to_its_real_part():
    with pytest.raises(TypeError, match="X must hold real numbers .* complex"):
        as_array(np.ones((3, 2)) + 1j)
    with pytest.raises(TypeError, match="complex"):
        as_array(torch.ones(3, 2, dtype=torch.complex64))
