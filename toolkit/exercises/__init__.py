"""Checkers for the course's graded exercises (learntools style: check / hint / solution).

In a notebook::

    from toolkit.exercises import ex03 as check
    ...
    ### BEGIN SOLUTION
    def purity(clusters, labels): ...
    ### END SOLUTION
    check.q1(purity)        # prints specific feedback
    check.q1.hint()         # a nudge
    check.q1.solution()     # the reference answer, as text

A checker is a function ``checker(answer) -> None`` that raises :class:`Wrong` with a message for the
student when the answer is wrong. :class:`Exercise` wraps it so that the student never sees a traceback
from inside the toolkit: an exception raised by the student's own code is reported as such, a
``NotImplementedError`` (the student release's stub) says the exercise is not done yet.

With ``TOOLKIT_STRICT_CHECKS=1`` (set by the test run) a wrong answer raises :class:`ExerciseFailed` and a
stub re-raises ``NotImplementedError``, so that executed instructor notebooks prove their solutions and
student notebooks stop exactly at the first unsolved exercise.
"""
from __future__ import annotations

import textwrap
import traceback
from typing import Any, Callable

from .. import config

__all__ = ["Wrong", "ExerciseFailed", "Exercise", "expect_callable", "expect_array",
           "call_student"]


class Wrong(Exception):
    """Raised by a checker: the answer is wrong; the message tells the student why."""


class ExerciseFailed(AssertionError):
    """Raised in strict mode when a checked answer is wrong."""


class _StudentCodeError(Exception):
    """The student's own function raised; carries the original exception."""

    def __init__(self, original: BaseException):
        super().__init__(repr(original))
        self.original = original


def call_student(fn: Callable, *args, **kwargs):
    """Call the student's function; separate their exceptions from the checker's own."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as e:  # noqa: BLE001 - any error in student code is reported, not raised
        raise _StudentCodeError(e) from e


def expect_callable(answer: Any, what: str = "a function") -> Callable:
    if not callable(answer):
        raise Wrong(f"Expected {what}, got a {type(answer).__name__}. Pass the function itself, "
                    f"without calling it (e.g. `check.q1(my_function)`, not `my_function(...)`).")
    return answer


def expect_array(answer: Any, shape: tuple | None = None, what: str = "an array"):
    """Turn a list / NumPy array / torch tensor into a float NumPy array and check its shape."""
    import numpy as np

    try:
        if hasattr(answer, "detach"):
            answer = answer.detach().cpu().numpy()
        arr = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        raise Wrong(f"Expected {what} of numbers, got a {type(answer).__name__}.") from None
    if shape is not None:
        if len(shape) != arr.ndim or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise Wrong(f"Expected {what} of shape {want}, got shape {tuple(arr.shape)}.")
    return arr


class Exercise:
    """One graded exercise: ``ex(answer)`` checks, ``ex.hint()``, ``ex.solution()``."""

    def __init__(self, name: str, checker: Callable[[Any], None], hint: str, solution: str = "",
                 success: str = "Correct!"):
        self.name = name
        self._checker = checker
        self._hint = textwrap.dedent(hint).strip()
        self._solution = textwrap.dedent(solution or "").strip()
        self._success = success

    def __repr__(self) -> str:
        return f"<Exercise {self.name}: call it with your answer; .hint(), .solution()>"

    def __call__(self, answer: Any) -> bool:
        return self.check(answer)

    def check(self, answer: Any) -> bool:
        """Check an answer; print feedback; return True when correct."""
        try:
            self._checker(answer)
        except NotImplementedError:
            print(f"[{self.name}] Not done yet: replace `raise NotImplementedError` in the exercise "
                  f"cell with your code, run it, then run this check again.")
            if config.strict_checks():
                raise
            return False
        except Wrong as w:
            return self._fail(str(w))
        except _StudentCodeError as e:
            tb = "".join(traceback.format_exception_only(type(e.original), e.original)).strip()
            return self._fail(f"Your code raised an error when the checker called it:\n    {tb}")
        print(f"[{self.name}] {self._success}")
        return True

    def _fail(self, message: str) -> bool:
        print(f"[{self.name}] Not yet. {message}\n(Try `{self.name}.hint()` for a hint.)")
        if config.strict_checks():
            raise ExerciseFailed(f"{self.name}: {message}")
        return False

    def hint(self) -> None:
        print(f"[{self.name}] Hint: {self._hint}")

    def solution(self) -> None:
        if not self._solution:
            print(f"[{self.name}] No reference solution ships with the student kit; ask your instructor, "
                  f"or try `{self.name}.hint()`.")
            return
        print(f"[{self.name}] Solution:\n{self._solution}")
