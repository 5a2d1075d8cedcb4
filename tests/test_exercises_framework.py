import numpy as np
import pytest

from toolkit.exercises import (
    Exercise,
    ExerciseFailed,
    Wrong,
    call_student,
    expect_array,
    expect_callable,
)


def _square_checker(answer):
    f = expect_callable(answer)
    got = call_student(f, 3)
    if got != 9:
        raise Wrong(f"square(3) should be 9, your function returned {got!r}.")


EX = Exercise(
    "q1", _square_checker, hint="Multiply x by itself.", solution="def square(x): return x * x"
)


def test_correct_answer_passes(capsys):
    assert EX(lambda x: x * x) is True
    assert "Correct" in capsys.readouterr().out


def test_wrong_answer_explains_and_raises_in_strict_mode(capsys, monkeypatch):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    assert EX(lambda x: x + x) is False
    out = capsys.readouterr().out
    assert "should be 9" in out and "returned 6" in out and "hint" in out
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseFailed, match="should be 9"):
        EX(lambda x: x + x)


def test_wrong_type_is_friendly(capsys, monkeypatch):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    assert EX(9) is False
    assert "without calling it" in capsys.readouterr().out


def test_student_exception_is_reported_not_raised(capsys, monkeypatch):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    assert EX(lambda x: 1 / 0) is False
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_stub_says_not_done_and_reraises_in_strict_mode(capsys, monkeypatch):
    def stub(x):
        raise NotImplementedError

    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    assert EX(stub) is False
    assert "Not done yet" in capsys.readouterr().out
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    with pytest.raises(NotImplementedError):
        EX(stub)


def test_hint_and_solution(capsys):
    EX.hint()
    EX.solution()
    out = capsys.readouterr().out
    assert "Multiply" in out and "def square" in out


def test_expect_array():
    a = expect_array([[1, 2], [3, 4]], shape=(2, None))
    assert a.dtype == float and a.shape == (2, 2)
    with pytest.raises(Wrong, match=r"shape \(3, any\)"):
        expect_array(np.zeros((2, 2)), shape=(3, None))
    with pytest.raises(Wrong, match="numbers"):
        expect_array("abc")


def test_exercise_without_reference_solution(capsys):
    ex = Exercise("q9", _square_checker, hint="Multiply x by itself.")
    assert ex(lambda x: x * x) is True
    ex.solution()
    out = capsys.readouterr().out
    assert "No reference solution" in out and "def square" not in out
    ex2 = Exercise("q9", _square_checker, hint="h", solution="")
    ex2.solution()
    assert "No reference solution" in capsys.readouterr().out


# ---- issue 16.4: malformed answers never pass; float32 does; nothing raises from inside the
# toolkit ----
import math  # noqa: E402

import torch  # noqa: E402

from toolkit.exercises import expect_choice, expect_close, expect_number, is_close  # noqa: E402


@pytest.mark.parametrize(
    "bad,msg",
    [
        (None, "None"),
        ("3", "text"),
        (b"3", "text"),
        (float("nan"), "NaN"),
        (float("inf"), "infinity"),
        (-math.inf, "infinity"),
        (10**400, "too large"),
        ([1.0, 2.0], "one number"),
        (True, "bool"),
        ({"a": 1}, "dict"),
        (2 + 1j, "complex"),
        ([1, [2, 3]], "numbers"),
        (object(), "numbers"),
        (torch.tensor([1.0, 2.0]), "one number"),
        (np.array([]), "one number"),
    ],
)
def test_expect_number_refuses(bad, msg):
    with pytest.raises(Wrong, match=msg):
        expect_number(bad)


def test_expect_number_accepts_every_numeric_form():
    for v in (
        3,
        3.0,
        np.float32(3),
        np.int64(3),
        np.array(3.0),
        np.array([3.0]),
        torch.tensor(3.0),
        torch.tensor([3], dtype=torch.int64),
        torch.tensor(3.0, dtype=torch.bfloat16),
        torch.tensor(3.0, requires_grad=True),
        [3.0],
    ):
        assert expect_number(v) == 3.0
    assert expect_number(float("nan"), allow_nan=True) != expect_number(
        float("nan"), allow_nan=True
    )
    assert expect_number(float("inf"), allow_inf=True) == float("inf")
    with pytest.raises(Wrong, match="whole number"):
        expect_number(2.5, integer=True)
    assert expect_number(4.0, integer=True) == 4.0


def test_expect_array_refuses_nonfinite_and_odd_inputs():
    for bad, msg in (
        (None, "None"),
        ("abc", "text"),
        ([[1, 2], [3]], "numbers"),
        ([1, None], "None"),
        (np.array([1.0, np.nan]), "NaN"),
        (np.array([np.inf]), "infinity"),
        ([10**400, 1], "too large"),
        ({"a": 1}, "dict"),
    ):
        with pytest.raises(Wrong, match=msg):
            expect_array(bad)
    assert np.isnan(expect_array([1.0, np.nan], allow_nan=True)[1])
    a = expect_array(torch.ones(2, 3, dtype=torch.float16), shape=(2, 3))
    assert a.dtype == np.float64 and a.shape == (2, 3)
    with pytest.raises(Wrong, match=r"shape \(3,\)"):
        expect_array(np.zeros(4), shape=(3,))


def test_relative_tolerance_accepts_float32_rejects_real_differences():
    want = np.array([0.1, 12345.678, 1e-3, 0.0])
    f32 = want.astype(np.float32)
    assert np.asarray(is_close(f32, want)).all()
    assert expect_close(f32, want).shape == (4,)
    assert not np.asarray(is_close(want * 1.001, want))[:3].any()
    with pytest.raises(Wrong, match="differs at index 2"):
        expect_close(want + np.array([0, 0, 0.01, 0]), want)
    with pytest.raises(Wrong, match="= 0.5, got 0.6"):
        expect_close(0.6, 0.5)
    # NaN / inf pass only where the reference has them
    expect_close([np.nan, 1.0], [np.nan, 1.0])
    with pytest.raises(Wrong, match="NaN"):
        expect_close([np.nan, 1.0], [0.0, 1.0])
    expect_close(np.inf, np.inf)
    with pytest.raises(Wrong):
        expect_close(np.inf, 3.0)


def test_expect_choice():
    assert expect_choice("  Mapper ", ["mapper", "k-means"]) == "mapper"
    with pytest.raises(Wrong, match="one of"):
        expect_choice("dbscan", ["mapper", "k-means"])
    with pytest.raises(Wrong, match="as a string"):
        expect_choice(1, ["mapper", "k-means"])


def _fragile_checker(answer):
    f = expect_callable(answer)
    out = call_student(f, 3)
    if out.shape != (3,):  # a checker that assumes an array: a forgotten `return` gives None
        raise Wrong("shape")


def test_checker_crash_on_odd_answer_is_feedback_not_traceback(capsys, monkeypatch):
    ex = Exercise("q7", _fragile_checker, hint="h")
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    assert ex(lambda x: None) is False
    out = capsys.readouterr().out
    assert "could not use your answer" in out and "AttributeError" in out and "Traceback" not in out
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseFailed, match="could not use your answer"):
        ex(lambda x: None)


def test_student_errors_of_any_kind_are_reported(capsys, monkeypatch):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")

    def recurse(x):
        return recurse(x)

    for f, name in (
        (recurse, "RecursionError"),
        (lambda x: torch.ones(2) @ torch.ones(3), "RuntimeError"),
        (lambda x: np.zeros(2, dtype=np.float64).astype("datetime64") + 1.5, "Error"),
        (lambda: 9, "TypeError"),
    ):
        assert EX(f) is False
        out = capsys.readouterr().out
        assert name in out and "Traceback" not in out


def test_seal_opens_only_with_its_own_option():
    from toolkit.exercises import seal, sealed_verdict, unseal

    blob = seal("1|right because ...", "exX.q1", "b")
    assert (
        unseal(blob, "exX.q1", "b") == "1|right because ..."
        and unseal(blob, "exX.q1", " B ") is not None
    )
    assert unseal(blob, "exX.q1", "a") is None and unseal(blob, "exY.q1", "b") is None
    table = [blob, seal("0|no: ...", "exX.q1", "a")]
    assert sealed_verdict(table, "exX.q1", "b") == (True, "right because ...")
    assert sealed_verdict(table, "exX.q1", "a") == (False, "no: ...")
    with pytest.raises(Wrong):
        sealed_verdict(table, "exX.q1", "z")


@pytest.mark.parametrize("form", ["b", "B", "(b)", " B. ", "b)", "[b]"])
def test_parse_letter_forms(form):
    from toolkit.exercises import parse_letter

    assert parse_letter(form, "abcd") == "b"


@pytest.mark.parametrize("bad", [None, 2, "e", "bc", "", "because", ["b"]])
def test_parse_letter_refuses(bad):
    from toolkit.exercises import parse_letter

    with pytest.raises(Wrong, match="one"):
        parse_letter(bad, "abcd")


def test_forbidden_function_and_time_limit_in_call_student(capsys, monkeypatch):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")

    def helper(x):
        return x * x

    ex = Exercise("q9", _square_checker, hint="", forbid=lambda: [helper])
    assert ex(lambda x: x * x) is True
    assert ex(lambda x: helper(x)) is False  # calls the "toolkit's own" function
    assert "toolkit's own" in capsys.readouterr().out
    monkeypatch.setenv("TOOLKIT_CHECK_TIMEOUT", "0.5")

    def slow(x):
        while True:
            pass

    assert EX(slow) is False
    assert "did not finish within 0.5 s" in capsys.readouterr().out
    assert EX(lambda x: x * x) is True  # the alarm is gone afterwards
