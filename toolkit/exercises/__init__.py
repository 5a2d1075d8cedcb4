"""Checkers for the course's graded exercises (learntools style: check / hint).

In a notebook::

    from toolkit.exercises import ex03 as check
    ...
    ### BEGIN SOLUTION
    def purity(clusters, labels): ...
    ### END SOLUTION
    check.q1(purity)        # prints specific feedback
    check.q1.hint()         # a nudge

No reference solution ships in this package: ``Exercise(name, checker, hint)`` takes ``solution=""``
by default and ``check.q1.solution()`` then says that none ships. The solutions live only in the
instructor's notebooks (``notebooks/`` of the kit and the nbgrader source written by ``make
grade-release``). A checker states *what* it tests; an answer that the checker computes live (a
prediction graded against a run, see ex01.q2) cannot be read from here either.

A checker is a function ``checker(answer) -> None`` (or a text printed after the success message)
that raises :class:`Wrong` with a message for the student when the answer is wrong.
:class:`Exercise` wraps it so that the student never sees a traceback from inside the toolkit: an
exception raised by the student's own code (called through :func:`call_student`) is reported as
such, a ``NotImplementedError`` (the release's stub) says the exercise is not done yet, and an
exception of the checker itself on an unexpected answer (e.g. a forgotten ``return``) becomes "the
checker could not use your answer".

Helpers every checker should use, so that malformed answers never pass:

- :func:`expect_callable` - the answer is a function (not its result, not None);
- :func:`expect_number` - one real number from a Python/NumPy scalar, a 0-d or 1-element array or
  tensor (any device, any dtype, bfloat16 included); refuses None, bool, text, several numbers, NaN
  and +-inf (unless ``allow_nan`` / ``allow_inf``), and numbers beyond float range such as
  ``10**400``;
- :func:`expect_array` - a float64 NumPy array from lists, arrays or tensors, with a shape check
  (``None`` entries: any length); refuses the same, NaN and inf by default;
- :func:`expect_close` / :func:`is_close` - comparison with relative tolerance :data:`RTOL` (1e-4)
  and absolute tolerance :data:`ATOL` (1e-8): a correct float32 answer passes, a wrong one (off by
  0.1% or more) does not; NaN / inf pass only where the reference has them;
- :func:`expect_choice` - a multiple-choice answer, one of a list of strings.

With ``TOOLKIT_STRICT_CHECKS=1`` (set by the test run) a wrong answer raises :class:`ExerciseFailed`
and a stub re-raises ``NotImplementedError``, so that executed instructor notebooks prove their
solutions and student notebooks stop exactly at the first unsolved exercise.

Grading (nbgrader, ``make grade-release``): the hidden test cell after each exercise sends the
student's answer (cloudpickle) to a fresh Python interpreter that imports the instructor's checker
and runs it under a time limit; patches a student makes in their kernel (to ``check``, ``toolkit``,
``np.isclose``...) do not reach it, and a function that never returns costs the point, not the
grading run (docs/INSTRUCTOR.md, "Grading").

Also here:

- every call of the student's code runs under a time limit (:data:`CALL_TIMEOUT` seconds, the
  ``TOOLKIT_CHECK_TIMEOUT`` variable; Unix main thread) and under a profiler that notices a call of
  the toolkit's own version of the function the exercise asks for (``Exercise(..., forbid=...)``):
  "write it yourself";
- judgement keys are not stored: :func:`seal` / :func:`unseal` keep each option's feedback encrypted
  with a key derived from the option itself, so the package tells no more than trying the option in
  the checker does; :func:`parse_letter` is the one parser of letter answers ("b", "B", "(b)",
  "b.").
"""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import sys
import textwrap
import threading
import traceback
from typing import Any, Callable

from .. import config

__all__ = [
    "Wrong",
    "ExerciseFailed",
    "Exercise",
    "expect_callable",
    "expect_array",
    "expect_number",
    "expect_close",
    "expect_choice",
    "is_close",
    "call_student",
    "parse_letter",
    "parse_letters",
    "seal",
    "unseal",
    "RTOL",
    "ATOL",
    "CALL_TIMEOUT",
]

# The numeric functions the checkers compare with, bound when this module is imported (before any
# student code runs in the grader's fresh interpreter): a later `np.isclose = ...` does not reach
# the comparison.
import numpy as _np  # noqa: E402

_isclose, _asarray, _isnan, _isinf = _np.isclose, _np.asarray, _np.isnan, _np.isinf


class Wrong(Exception):
    """Raised by a checker: the answer is wrong; the message tells the student why."""


class ExerciseFailed(AssertionError):
    """Raised in strict mode when a checked answer is wrong."""


class _StudentCodeError(Exception):
    """The student's own function raised; carries the original exception."""

    def __init__(self, original: BaseException):
        super().__init__(repr(original))
        self.original = original


# Tolerances of every numeric comparison: a correct answer computed in float32 (torch's default)
# differs from the float64 reference by a few units of 1.2e-7 per operation, so 1e-9 rejects it;
# 1e-4 relative still rejects every wrong answer the checkers look for (they differ by whole percent
# or more).
RTOL = 1e-4
ATOL = 1e-8


#: seconds one call of the student's code may take (``TOOLKIT_CHECK_TIMEOUT`` overrides)
CALL_TIMEOUT = 60.0


class _Timeout(BaseException):
    """The student's code ran past the time limit (a BaseException: ``except Exception`` does not
    eat it)."""


class _CallsToolkit(BaseException):
    """The student's function called the toolkit's own version of the exercise."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


_forbidden: list = []  # callables of the exercise being checked (set by Exercise.check)


def _code_key(code) -> tuple:
    """What makes two code objects the same function: bytecode, constants, names, variable names and
    the function's name (so a pasted copy of the toolkit's function matches, an independent short
    function with the same arithmetic, e.g. ``lambda x: x * x``, does not)."""
    return (code.co_code, code.co_consts, code.co_names, code.co_varnames, code.co_name)


def _timeout_s() -> float:
    try:
        return float(os.environ.get("TOOLKIT_CHECK_TIMEOUT", CALL_TIMEOUT))
    except ValueError:
        return CALL_TIMEOUT


def call_student(fn: Callable, *args, **kwargs):
    """Call the student's function; separate their exceptions from the checker's own.

    ``NotImplementedError`` (the release's stub) passes through; any other exception of the
    student's code, ``RecursionError`` and ``MemoryError`` included, becomes an internal error that
    :meth:`Exercise.check` reports as "your code raised ...", never as a toolkit traceback. The call
    runs under a time limit (:data:`CALL_TIMEOUT`, on Unix in the main thread) and, while an
    exercise is being checked, under a profiler that notices a call of the toolkit's own version of
    the exercise (its code object, or a copy of its code).
    """
    codes = {}
    for f in _forbidden:
        code = getattr(f, "__code__", None)
        if code is not None:
            codes[_code_key(code)] = f"{f.__module__.replace('toolkit.', '')}.{f.__name__}"
    hit: list[str] = []

    def profile(frame, event, arg):
        if event == "call" and not hit:
            name = codes.get(_code_key(frame.f_code))
            if name is not None:
                hit.append(name)

    limit = _timeout_s()
    use_alarm = (
        limit > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    old_handler = None
    if use_alarm:

        def on_alarm(signum, frame):
            raise _Timeout()

        old_handler = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
    old_profile = sys.getprofile()
    if codes:
        sys.setprofile(profile)
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as e:  # noqa: BLE001 - any error in student code is reported, not raised
        if hit:
            raise _CallsToolkit(hit[0]) from None
        raise _StudentCodeError(e) from e
    finally:
        if codes:
            sys.setprofile(old_profile)
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
    if hit:
        raise _CallsToolkit(hit[0])
    return result


# ---- judgement answers: letters, and keys that are not stored
# ---------------------------------------
_SALT = b"nn-topology-course/judgement/v1"


def _keystream(exercise: str, option: str, n: int) -> bytes:
    out, i = b"", 0
    seed = _SALT + b"|" + exercise.encode() + b"|" + option.strip().lower().encode()
    while len(out) < n:
        out += hashlib.sha256(seed + b"|" + str(i).encode()).digest()
        i += 1
    return out[:n]


def seal(text: str, exercise: str, option: str) -> str:
    """Encrypt ``text`` with a key derived from ``option`` (and the exercise): only someone who
    tries that option can read it. Used for the feedback of each option of a judgement exercise, so
    the package does not say which option is right (tools/exercise_keys.py holds the plain texts,
    instructor-only)."""
    raw = b"nnt:" + text.encode()
    return base64.b64encode(
        bytes(a ^ b for a, b in zip(raw, _keystream(exercise, option, len(raw))))
    ).decode()


def unseal(blob: str, exercise: str, option: str) -> str | None:
    """The text :func:`seal` sealed for ``option``; None if ``blob`` was sealed for another
    option."""
    raw = base64.b64decode(blob)
    plain = bytes(a ^ b for a, b in zip(raw, _keystream(exercise, option, len(raw))))
    if not plain.startswith(b"nnt:"):
        return None
    try:
        return plain[4:].decode()
    except UnicodeDecodeError:
        return None


def sealed_verdict(table: dict, exercise: str, option: str) -> tuple[bool, str]:
    """(right?, feedback) of ``option`` from a table of sealed texts (see tools/exercise_keys.py):
    the text of the option that opens is "1|..." for a right option and "0|..." for a wrong one."""
    for blob in table.values() if isinstance(table, dict) else table:
        text = unseal(blob, exercise, option)
        if text is not None:
            return text.startswith("1|"), text[2:]
    raise Wrong(f"{option!r} is not one of the options.")


def parse_letter(answer: Any, letters, what: str = "your answer") -> str:
    """The one parser of one-letter answers: "b", "B", " (b) ", "b." and "b)" all give "b" (lower
    case). Raises :class:`Wrong` naming the letters for anything else (None, numbers, two letters,
    words)."""
    letters = [str(l).lower() for l in letters]
    shown = ", ".join(f'"{l}"' for l in letters)
    if answer is None:
        raise Wrong(
            f"{what} is None: set it to one letter, one of {shown} (a string), before running the "
            "cell."
        )
    if not isinstance(answer, str):
        raise Wrong(
            f"Set {what} to one letter, one of {shown}, as a string; got {_describe(answer)}."
        )
    key = answer.strip().strip("()[].:,;'\" ").strip().lower()
    if key not in letters:
        raise Wrong(
            f"{what} = {answer!r} is not one of the options {shown}. Give one letter as a string."
        )
    return key


def parse_letters(answer: Any, letters, what: str = "your answer") -> set[str]:
    """Several letters: "bcd", "b, c, d", "(b)(c)", ["b", "c"] or {"b", "c"} -> {"b", "c", "d"}."""
    letters = [str(l).lower() for l in letters]
    if answer is None or isinstance(answer, (bool, int, float, dict)) or hasattr(answer, "dtype"):
        raise Wrong(
            "Answer with the letters of every option you choose, as a string such as 'ab' or a "
            "set "
            f"such as {{'a', 'b'}}; got {_describe(answer)}."
        )
    try:
        items = list(answer) if not isinstance(answer, str) else [answer]
        text = " ".join(str(x) for x in items).lower()
    except Exception:  # noqa: BLE001
        raise Wrong("Answer with letters, e.g. 'ab' or {'a', 'b'}.") from None
    chosen = {ch for ch in text if ch.isalpha()}
    unknown = sorted(chosen - set(letters))
    if unknown:
        raise Wrong(f"{unknown} are not options; choose among {letters}.")
    if not chosen:
        raise Wrong("Choose at least one option.")
    return chosen


def expect_callable(answer: Any, what: str = "a function") -> Callable:
    """Return ``answer`` if it is callable, else raise :class:`Wrong` saying to pass the function
    itself."""
    if answer is None:
        raise Wrong(f"Expected {what}, got None. Did the cell define it (and `return` a result)?")
    if not callable(answer):
        raise Wrong(
            f"Expected {what}, got a {type(answer).__name__}. Pass the function itself, "
            f"without calling it (e.g. `check.q1(my_function)`, not `my_function(...)`)."
        )
    return answer


def _describe(answer: Any) -> str:
    r = repr(answer)
    return f"a {type(answer).__name__} ({r[:60] + '...' if len(r) > 60 else r})"


def _to_numpy(answer: Any, what: str):
    """Any list / tuple / NumPy array / torch tensor (any device, any dtype) -> float64 NumPy
    array."""
    import numpy as np

    if answer is None:
        raise Wrong(f"Expected {what}, got None. Did your function forget to `return` its result?")
    if isinstance(answer, (str, bytes)):
        raise Wrong(
            f"Expected {what} of numbers, got text ({answer[:40]!r}). Give the number itself, "
            f"not a string."
        )
    if isinstance(answer, dict):
        raise Wrong(f"Expected {what} of numbers, got a dict.")
    try:
        if hasattr(
            answer, "detach"
        ):  # torch tensor: any device, any dtype (bfloat16 has no NumPy type)
            answer = answer.detach().cpu()
            answer = answer.double() if not answer.is_complex() else answer
            answer = answer.numpy()
        elif isinstance(answer, (list, tuple)) and any(hasattr(a, "detach") for a in answer):
            answer = [
                a.detach().cpu().double().numpy() if hasattr(a, "detach") else a for a in answer
            ]
        arr = np.asarray(answer)
        if arr.dtype == object and any(x is None for x in arr.ravel()):
            raise Wrong(
                f"Expected {what} of numbers, but it contains None: did a function forget to "
                f"`return`, or a list entry stay unfilled?"
            )
        if arr.dtype.kind == "c":
            raise Wrong(f"Expected {what} of real numbers, got complex numbers.")
        if arr.dtype.kind in "USO" and arr.dtype != object:
            raise Wrong(f"Expected {what} of numbers, got text: {_describe(answer)}.")
        arr = np.asarray(arr, dtype=np.float64)
    except Wrong:
        raise
    except OverflowError:
        raise Wrong(
            f"Expected {what}, but your answer holds a number too large for a float "
            f"(over 1.8e308), e.g. 10**400. Check for a runaway power or product."
        ) from None
    except Exception:  # noqa: BLE001 - ragged lists, None inside lists, odd objects
        raise Wrong(f"Expected {what} of numbers, got {_describe(answer)}.") from None
    return arr


def expect_array(
    answer: Any,
    shape: tuple | None = None,
    what: str = "an array",
    *,
    allow_nan: bool = False,
    allow_inf: bool = False,
):
    """Turn a list / NumPy array / torch tensor into a float64 NumPy array and check it.

    ``shape``: a tuple whose entries are ints or ``None`` (any length there), e.g. ``(10,)`` or
    ``(None, 2)``; ``None`` accepts every shape. Tensors may live on any device and have any dtype.
    Raises :class:`Wrong` for None, text, dicts, ragged lists, complex numbers, numbers beyond float
    range, a wrong shape, and NaN / +-inf entries unless ``allow_nan`` / ``allow_inf``.
    """
    arr = _to_numpy(answer, what)
    if shape is not None:
        if len(shape) != arr.ndim or any(
            s is not None and s != a for s, a in zip(shape, arr.shape)
        ):
            want = (
                "("
                + ", ".join("any" if s is None else str(s) for s in shape)
                + (",)" if len(shape) == 1 else ")")
            )
            raise Wrong(f"Expected {what} of shape {want}, got shape {tuple(arr.shape)}.")
    if not allow_nan and _isnan(arr).any():
        raise Wrong(
            f"Your answer ({what}) contains NaN at {int(_isnan(arr).sum())} place(s). "
            f"Look for a division by zero or a mean over nothing."
        )
    if not allow_inf and _isinf(arr).any():
        raise Wrong(
            f"Your answer ({what}) contains infinity at {int(_isinf(arr).sum())} place(s). "
            f"Look for a division by zero or an overflow."
        )
    return arr


def expect_number(
    answer: Any,
    what: str = "a number",
    *,
    integer: bool = False,
    allow_nan: bool = False,
    allow_inf: bool = False,
) -> float:
    """One real number from a Python/NumPy scalar, a 0-d or one-element array or tensor ->
    ``float``.

    Raises :class:`Wrong` for None, bool, text, several numbers, NaN / inf (unless allowed), values
    beyond float range (``10**400``), and, with ``integer=True``, a value that is not a whole
    number.
    """
    if isinstance(answer, bool):
        raise Wrong(f"Expected {what}, got {answer} (a bool). Give a number.")
    arr = expect_array(answer, None, what, allow_nan=allow_nan, allow_inf=allow_inf)
    if arr.size != 1:
        raise Wrong(
            f"Expected {what} (one number), got {arr.size} numbers (shape {tuple(arr.shape)})."
        )
    v = float(arr.reshape(-1)[0])
    if integer and (v != v or abs(v) == float("inf") or v != round(v)):
        raise Wrong(f"Expected {what} (a whole number), got {v}.")
    return v


def is_close(got: Any, want: Any, rtol: float = RTOL, atol: float = ATOL):
    """Elementwise ``|got - want| <= atol + rtol * |want|`` (NumPy arrays or numbers), where NaN
    matches only NaN and +-inf only the same infinity. Returns a boolean array (or bool for
    scalars)."""
    return _isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def expect_close(
    answer: Any, want: Any, what: str = "your answer", *, rtol: float = RTOL, atol: float = ATOL
):
    """Convert ``answer`` like :func:`expect_array` (shape and NaN/inf positions must be those of
    ``want``) and raise :class:`Wrong` unless every entry is within ``atol + rtol * |want|``.
    Returns the answer as a float64 array."""
    import numpy as np

    want = np.asarray(want, dtype=np.float64)
    got = expect_array(
        answer,
        want.shape,
        what,
        allow_nan=bool(np.isnan(want).any()),
        allow_inf=bool(np.isinf(want).any()),
    )
    ok = np.asarray(is_close(got, want, rtol, atol))
    if not ok.all():
        if want.ndim == 0:
            raise Wrong(f"Expected {what} = {float(want):.6g}, got {float(got):.6g}.")
        i = tuple(int(k) for k in np.argwhere(~ok)[0])
        raise Wrong(
            f"{what} differs at index {i if len(i) > 1 else i[0]}: expected {want[i]:.6g}, "
            f"got {got[i]:.6g} ({int((~ok).sum())} of {ok.size} entries differ)."
        )
    return got


def expect_choice(answer: Any, options, what: str = "your choice") -> str:
    """A multiple-choice answer: one of ``options`` (strings, compared case- and
    space-insensitively). Returns the option as spelled in ``options``; raises :class:`Wrong`
    listing the options otherwise."""
    opts = {str(o).strip().lower(): o for o in options}
    if not isinstance(answer, str):
        raise Wrong(
            f"Expected {what}: one of {list(options)} as a string, got {_describe(answer)}."
        )
    key = " ".join(answer.strip().lower().split())
    if key not in opts:
        raise Wrong(f"Expected {what}: one of {list(options)}, got {answer!r}.")
    return opts[key]


class Exercise:
    """One graded exercise: ``ex(answer)`` checks, ``ex.hint()``, ``ex.solution()``."""

    def __init__(
        self,
        name: str,
        checker: Callable[[Any], None],
        hint: str,
        solution: str = "",
        success: str = "Correct!",
        forbid: Callable[[], list] | None = None,
    ):
        """``forbid``: a function returning the toolkit functions the student must not call (the
        toolkit's own version of the exercise); calling one while being checked is "write it
        yourself"."""
        self.name = name
        self._forbid = forbid
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
        global _forbidden
        saved = _forbidden
        _forbidden = list(self._forbid()) if self._forbid is not None else []
        try:
            extra = self._checker(answer)
        except _CallsToolkit as e:
            return self._fail(
                f"Your function calls the toolkit's own `{e.name}`, the function this exercise "
                f"asks you to write yourself. Write it with NumPy / torch / the libraries "
                f"named in the exercise instead; the toolkit's version is for later sections."
            )
        except _Timeout:
            return self._fail(
                f"Your code did not finish within {_timeout_s():g} s when the checker called "
                f"it (an endless loop, or far too much work for these small inputs?). "
                f"Interrupt the kernel if it still runs, then fix the loop."
            )
        except NotImplementedError:
            print(
                f"[{self.name}] Not done yet: replace `raise NotImplementedError` in the exercise "
                f"cell with your code, run it, then run this check again."
            )
            if config.strict_checks():
                raise
            return False
        except Wrong as w:
            return self._fail(str(w))
        except _StudentCodeError as e:
            tb = "".join(traceback.format_exception_only(type(e.original), e.original)).strip()
            return self._fail(f"Your code raised an error when the checker called it:\n    {tb}")
        except RecursionError:
            return self._fail(
                "Your answer made the checker recurse without end (a function that calls "
                "itself, or an object that contains itself)."
            )
        # broad except: the checker choked on an unexpected answer: no traceback
        except Exception as e:
            what = "".join(traceback.format_exception_only(type(e), e)).strip()
            return self._fail(
                f"The checker could not use your answer ({_describe(answer)}): {what}. "
                f"Does your code return the kind of result the exercise asks for? If you "
                f"think it does, show this message to your instructor.",
                cause=e,
            )
        finally:
            _forbidden = saved
        print(
            f"[{self.name}] {self._success}"
            + (f" {extra}" if isinstance(extra, str) and extra else "")
        )
        return True

    def _fail(self, message: str, cause: BaseException | None = None) -> bool:
        print(f"[{self.name}] Not yet. {message}\n(Try `check.{self.name}.hint()` for a hint.)")
        if config.strict_checks():
            raise ExerciseFailed(f"{self.name}: {message}") from cause
        return False

    def hint(self) -> None:
        print(f"[{self.name}] Hint: {self._hint}")

    def solution(self) -> None:
        if not self._solution:
            print(
                f"[{self.name}] No reference solution ships with the student kit; ask your "
                "instructor, "
                f"or try `check.{self.name}.hint()`."
            )
            return
        print(f"[{self.name}] Solution:\n{self._solution}")
