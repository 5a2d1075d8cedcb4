"""Every checker passes the reference solution of its notebook; ex01's checkers fail typical wrong and
malformed answers helpfully; no reference solution ships inside the package.

Checkers of the other notebooks are tested in their modules' test files as well."""
import importlib
import pkgutil
import re
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

import toolkit.exercises as exercises
from toolkit.exercises import Exercise, ExerciseFailed
from toolkit.exercises import ex01

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(m.name for m in pkgutil.iter_modules(exercises.__path__) if m.name.startswith("ex"))
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def _notebook_solutions():
    """(label, exercise, solution source) for every exercise cell whose solution is one function."""
    out = []
    for nb_path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        mod = importlib.import_module(f"toolkit.exercises.ex{nb_path.name[:2]}")
        nb = nbformat.read(nb_path, as_version=4)
        for c in nb.cells:
            if c.cell_type != "code" or BEGIN not in c.source:
                continue
            m = re.search(r"check\.(q\d+)\(", c.source)
            block = c.source.split(BEGIN)[1].split(END)[0]
            head = c.source.split(BEGIN)[0]  # imports the cell makes before the solution
            if m and isinstance(getattr(mod, m.group(1), None), Exercise):
                out.append((f"{nb_path.stem}.{m.group(1)}", getattr(mod, m.group(1)), head + block))
    return out


SOLUTIONS = _notebook_solutions()
# what the notebooks import before their exercises
PRELUDE = """
import numpy as np, torch, networkx as nx
import torch.nn as nn, torch.nn.functional as F
import toolkit
from toolkit import config, data, models, train
"""
for _m in ("activations", "clustering", "heatmaps", "mapper", "filters", "homology", "ensemble",
           "pretraining", "neural_persistence"):
    PRELUDE += f"try:\n    from toolkit import {_m}\nexcept ImportError:\n    pass\n"


def test_every_notebook_module_has_two_exercises():
    for name in MODULES:
        mod = importlib.import_module(f"toolkit.exercises.{name}")
        n = sum(isinstance(v, Exercise) for v in vars(mod).values())
        assert n >= 2, f"{name} has {n} exercises"


@pytest.mark.parametrize("label,ex,code", SOLUTIONS, ids=[l for l, _, _ in SOLUTIONS])
def test_notebook_solution_passes(label, ex, code, monkeypatch):
    """A notebook's solution that is a self-contained function passes its checker (others: nbval)."""
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    ns = {}
    exec(PRELUDE, ns)
    before = set(ns)
    try:
        exec(textwrap.dedent(code), ns)
    except Exception:  # noqa: BLE001 - solution that needs the notebook's variables: nbval runs it there
        pytest.skip("solution needs the notebook's variables; nbval runs it in the notebook")
    fns = [v for k, v in ns.items() if k not in before and callable(v) and not isinstance(v, type)
           and getattr(v, "__module__", None) is None]
    if len(fns) != 1:
        pytest.skip("not a single-function solution")
    assert ex.check(fns[0]) is True


@pytest.mark.parametrize("name", MODULES)
def test_no_reference_solution_ships(name, capsys):
    """The installed package holds no reference solution: `.solution()` prints none (the instructor's
    notebooks hold them). ex02..ex06 pass once their `solution=` texts are removed."""
    mod = importlib.import_module(f"toolkit.exercises.{name}")
    for attr, ex in vars(mod).items():
        if isinstance(ex, Exercise):
            assert not ex._solution, f"{name}.{attr} ships a reference solution: pass solution=\"\""
            ex.solution()
            assert "No reference solution" in capsys.readouterr().out


def test_ex01_wrong_answers(monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    percent = lambda lp, y: 100 * (lp.argmax(1) == y).float().mean().item()
    error = lambda lp, y: 1 - (lp.argmax(1) == y).float().mean().item()
    wrong_dim = lambda lp, y: (lp.argmax(0)[: len(y)] == y[: lp.shape[1]]).float().mean().item()
    for f, msg in ((percent, "percentage"), (error, "error rate"), (wrong_dim, "argmax over the classes")):
        assert ex01.q1(f) is False
        assert msg in capsys.readouterr().out
    by_pred = lambda p, y: np.array([(y[p == d] == d).float().mean().item() if (p == d).any() else np.nan
                                     for d in range(10)])
    assert ex01.q3(by_pred) is False
    assert "LABEL" in capsys.readouterr().out
    assert ex01.q3(lambda p, y: [1.0] * 9) is False
    assert "shape (10,)" in capsys.readouterr().out
    zeros = lambda p, y: np.array([(p[y == d] == d).float().mean().item() if (y == d).any() else 0.0
                                   for d in range(10)])
    assert ex01.q3(zeros) is False
    assert "NaN" in capsys.readouterr().out
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseFailed):
        ex01.q1(percent)


def _acc(lp, y):
    return (lp.argmax(1) == y).float().mean()


@pytest.mark.parametrize("bad,msg", [
    (lambda lp, y: float("nan"), "NaN"),
    (lambda lp, y: float("inf"), "infinity"),
    (lambda lp, y: None, "return"),
    (lambda lp, y: "0.22", "text"),
    (lambda lp, y: 10 ** 400, "too large"),
    (lambda lp, y: [0.1, 0.2], "one number"),
    (lambda lp, y: {"acc": 0.2}, "dict"),
    (lambda lp, y: 1j, "complex"),
    (lambda lp, y: lp.argmax(1) == y, "one number"),
    (lambda lp, y: 1 / 0, "ZeroDivisionError"),
    (lambda lp: 0.5, "TypeError"),
])
def test_ex01_q1_malformed_answers_never_pass(bad, msg, monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    assert ex01.q1(bad) is False
    out = capsys.readouterr().out
    assert msg in out and "Traceback" not in out


@pytest.mark.parametrize("good", [
    lambda lp, y: _acc(lp, y).item(),                   # Python float
    lambda lp, y: _acc(lp, y),                          # 0-d float32 tensor
    lambda lp, y: _acc(lp, y).double().reshape(1),      # one-element float64 tensor
    lambda lp, y: np.float32(_acc(lp, y).item()),       # NumPy float32
    lambda lp, y: torch.tensor(round(_acc(lp, y).item(), 6)),  # rounded to 6 decimals
    lambda lp, y: _acc(lp.double(), y).requires_grad_(True),  # tensor that carries a gradient
])
def test_ex01_q1_accepts_every_numeric_form(good, monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    assert ex01.q1(good) is True


def test_ex01_q3_float32_and_nan_positions(monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")

    def right(p, y, dtype=torch.float32):
        return torch.tensor([(p[y == d] == d).float().mean().item() if (y == d).any() else float("nan")
                             for d in range(10)], dtype=dtype)

    assert ex01.q3(right) is True
    assert ex01.q3(lambda p, y: right(p, y) * (1 + 3e-7)) is True  # float32 rounding passes
    assert ex01.q3(lambda p, y: right(p, y) + 0.01) is False        # a real difference does not
    nan_everywhere = lambda p, y: np.full(10, np.nan)
    assert ex01.q3(nan_everywhere) is False
    assert "not NaN" in capsys.readouterr().out
    assert ex01.q3(lambda p, y: np.full((10, 1), 0.5)) is False
    assert "shape (10,)" in capsys.readouterr().out


def test_ex01_q2_prediction_is_graded_against_the_measurement(monkeypatch, capsys):
    """The judgement exercise: a prediction graded against net A's accuracy measured now (fast size)."""
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    acc_all, acc_own, frac_own = ex01.measured_net_A_accuracy()
    assert 0 <= acc_all <= 1 and 0.3 < frac_own < 0.7
    # the reasoned estimate passes; the two naive guesses (as good as on 0-4; chance) fail
    assert ex01.q2(acc_own * frac_own) is True
    assert acc_own - acc_all > ex01.Q2_TOLERANCE, "net A should lose the digits 5-9"
    assert ex01.q2(acc_own) is False
    assert "Too high" in capsys.readouterr().out
    assert ex01.q2(0.1) is (abs(0.1 - acc_all) <= ex01.Q2_TOLERANCE)   # chance
    capsys.readouterr()
    for bad, msg in ((float("nan"), "NaN"), ("0.5", "text"), (None, "None"), (48.0, "percentage"),
                     (-0.2, "between 0 and 1"), (True, "bool")):
        assert ex01.q2(bad) is False
        assert msg in capsys.readouterr().out
