"""Every checker passes its own reference solution; ex01's checkers fail typical wrong answers helpfully.

Checkers of the other notebooks are tested in their modules' test files as well."""
import importlib
import pkgutil
import textwrap

import numpy as np
import pytest
import torch

import toolkit.exercises as exercises
from toolkit.exercises import Exercise, ExerciseFailed
from toolkit.exercises import ex01

MODULES = sorted(m.name for m in pkgutil.iter_modules(exercises.__path__) if m.name.startswith("ex"))


def _function_exercises():
    out = []
    for name in MODULES:
        mod = importlib.import_module(f"toolkit.exercises.{name}")
        for attr, ex in vars(mod).items():
            if isinstance(ex, Exercise):
                out.append((f"{name}.{attr}", ex))
    return out


EXERCISES = _function_exercises()
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


@pytest.mark.parametrize("label,ex", EXERCISES, ids=[l for l, _ in EXERCISES])
def test_reference_solution_passes(label, ex, monkeypatch):
    """When the printed solution is a self-contained function definition, it must pass its checker."""
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    ns = {}
    exec(PRELUDE, ns)
    before = set(ns)
    code = textwrap.dedent(ex._solution)
    try:
        exec(code, ns)
    except Exception:  # noqa: BLE001 - solution text that needs notebook state: checked by nbval instead
        pytest.skip("solution needs the notebook's variables; nbval runs it in the notebook")
    fns = [v for k, v in ns.items() if k not in before and callable(v) and not isinstance(v, type)]
    if len(fns) != 1 or "def " not in code:
        pytest.skip("not a single-function solution")
    assert ex.check(fns[0]) is True


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
    assert ex01.q2(by_pred) is False
    assert "LABEL" in capsys.readouterr().out
    assert ex01.q2(lambda p, y: [1.0] * 9) is False
    assert "shape (10,)" in capsys.readouterr().out
    zeros = lambda p, y: np.array([(p[y == d] == d).float().mean().item() if (y == d).any() else 0.0
                                   for d in range(10)])
    assert ex01.q2(zeros) is False
    assert "NaN" in capsys.readouterr().out
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseFailed):
        ex01.q1(percent)
