import numpy as np
import pytest

from toolkit.exercises import Exercise, ExerciseFailed, Wrong, call_student, expect_array, expect_callable


def _square_checker(answer):
    f = expect_callable(answer)
    got = call_student(f, 3)
    if got != 9:
        raise Wrong(f"square(3) should be 9, your function returned {got!r}.")


EX = Exercise("q1", _square_checker, hint="Multiply x by itself.", solution="def square(x): return x * x")


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
