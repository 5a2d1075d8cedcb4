"""Every checker passes the reference solution of its notebook; ex01's checkers fail typical wrong
and malformed answers helpfully; no reference solution ships inside the package.

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
MODULES = sorted(
    m.name for m in pkgutil.iter_modules(exercises.__path__) if m.name.startswith("ex")
)
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
for _m in (
    "activations",
    "clustering",
    "heatmaps",
    "mapper",
    "filters",
    "homology",
    "ensemble",
    "pretraining",
    "neural_persistence",
):
    PRELUDE += f"try:\n    from toolkit import {_m}\nexcept ImportError:\n    pass\n"


def test_every_notebook_module_has_two_exercises():
    for name in MODULES:
        mod = importlib.import_module(f"toolkit.exercises.{name}")
        n = sum(isinstance(v, Exercise) for v in vars(mod).values())
        assert n >= 2, f"{name} has {n} exercises"


@pytest.mark.parametrize("label,ex,code", SOLUTIONS, ids=[l for l, _, _ in SOLUTIONS])
def test_notebook_solution_passes(label, ex, code, monkeypatch):
    """A notebook's solution that is a self-contained function passes its checker (others:
    nbval)."""
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    ns = {}
    exec(PRELUDE, ns)
    before = set(ns)
    try:
        exec(textwrap.dedent(code), ns)
    # broad except: solution that needs the notebook's variables: nbval runs it there
    except Exception:
        pytest.skip("solution needs the notebook's variables; nbval runs it in the notebook")
    fns = [
        v
        for k, v in ns.items()
        if k not in before
        and callable(v)
        and not isinstance(v, type)
        and getattr(v, "__module__", None) is None
    ]
    if len(fns) != 1:
        pytest.skip("not a single-function solution")
    assert ex.check(fns[0]) is True


@pytest.mark.parametrize("name", MODULES)
def test_no_reference_solution_ships(name, capsys):
    """The installed package holds no reference solution: `.solution()` prints none (the
    instructor's notebooks hold them). ex02..ex06 pass once their `solution=` texts are removed."""
    mod = importlib.import_module(f"toolkit.exercises.{name}")
    for attr, ex in vars(mod).items():
        if isinstance(ex, Exercise):
            assert not ex._solution, f'{name}.{attr} ships a reference solution: pass solution=""'
            ex.solution()
            assert "No reference solution" in capsys.readouterr().out


def test_ex01_wrong_answers(monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    percent = lambda lp, y: 100 * (lp.argmax(1) == y).float().mean().item()
    error = lambda lp, y: 1 - (lp.argmax(1) == y).float().mean().item()
    wrong_dim = lambda lp, y: (lp.argmax(0)[: len(y)] == y[: lp.shape[1]]).float().mean().item()
    for f, msg in (
        (percent, "percentage"),
        (error, "error rate"),
        (wrong_dim, "argmax over the classes"),
    ):
        assert ex01.q1(f) is False
        assert msg in capsys.readouterr().out
    by_pred = lambda p, y: np.array(
        [(y[p == d] == d).float().mean().item() if (p == d).any() else np.nan for d in range(10)]
    )
    assert ex01.q3(by_pred) is False
    assert "LABEL" in capsys.readouterr().out
    assert ex01.q3(lambda p, y: [1.0] * 9) is False
    assert "shape (10,)" in capsys.readouterr().out
    zeros = lambda p, y: np.array(
        [(p[y == d] == d).float().mean().item() if (y == d).any() else 0.0 for d in range(10)]
    )
    assert ex01.q3(zeros) is False
    assert "NaN" in capsys.readouterr().out
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseFailed):
        ex01.q1(percent)


def _acc(lp, y):
    return (lp.argmax(1) == y).float().mean()


@pytest.mark.parametrize(
    "bad,msg",
    [
        (lambda lp, y: float("nan"), "NaN"),
        (lambda lp, y: float("inf"), "infinity"),
        (lambda lp, y: None, "return"),
        (lambda lp, y: "0.22", "text"),
        (lambda lp, y: 10**400, "too large"),
        (lambda lp, y: [0.1, 0.2], "one number"),
        (lambda lp, y: {"acc": 0.2}, "dict"),
        (lambda lp, y: 1j, "complex"),
        (lambda lp, y: lp.argmax(1) == y, "one number"),
        (lambda lp, y: 1 / 0, "ZeroDivisionError"),
        (lambda lp: 0.5, "TypeError"),
    ],
)
def test_ex01_q1_malformed_answers_never_pass(bad, msg, monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    assert ex01.q1(bad) is False
    out = capsys.readouterr().out
    assert msg in out and "Traceback" not in out


@pytest.mark.parametrize(
    "good",
    [
        lambda lp, y: _acc(lp, y).item(),  # Python float
        lambda lp, y: _acc(lp, y),  # 0-d float32 tensor
        lambda lp, y: _acc(lp, y).double().reshape(1),  # one-element float64 tensor
        lambda lp, y: np.float32(_acc(lp, y).item()),  # NumPy float32
        lambda lp, y: torch.tensor(round(_acc(lp, y).item(), 6)),  # rounded to 6 decimals
        lambda lp, y: _acc(lp.double(), y).requires_grad_(True),  # tensor that carries a gradient
    ],
)
def test_ex01_q1_accepts_every_numeric_form(good, monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "1")
    assert ex01.q1(good) is True


def test_ex01_q3_float32_and_nan_positions(monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")

    def right(p, y, dtype=torch.float32):
        return torch.tensor(
            [
                (p[y == d] == d).float().mean().item() if (y == d).any() else float("nan")
                for d in range(10)
            ],
            dtype=dtype,
        )

    assert ex01.q3(right) is True
    assert ex01.q3(lambda p, y: right(p, y) * (1 + 3e-7)) is True  # float32 rounding passes
    assert ex01.q3(lambda p, y: right(p, y) + 0.01) is False  # a real difference does not
    nan_everywhere = lambda p, y: np.full(10, np.nan)
    assert ex01.q3(nan_everywhere) is False
    assert "not NaN" in capsys.readouterr().out
    assert ex01.q3(lambda p, y: np.full((10, 1), 0.5)) is False
    assert "shape (10,)" in capsys.readouterr().out


def test_ex01_q2_prediction_is_graded_against_the_measurement(monkeypatch, capsys):
    """The judgement exercise: a prediction graded against net A's accuracy measured now (fast
    size)."""
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    acc_all, acc_own, frac_own = ex01._measure_net_A()
    assert 0 <= acc_all <= 1 and 0.3 < frac_own < 0.7
    # the reasoned estimate passes; the two naive guesses (as good as on 0-4; chance) fail
    assert ex01.q2(acc_own * frac_own) is True
    assert acc_own - acc_all > ex01.Q2_TOLERANCE, "net A should lose the digits 5-9"
    assert ex01.q2(acc_own) is False
    assert "Too high" in capsys.readouterr().out
    assert ex01.q2(0.1) is (abs(0.1 - acc_all) <= ex01.Q2_TOLERANCE)  # chance
    capsys.readouterr()
    for bad, msg in (
        (float("nan"), "NaN"),
        ("0.5", "text"),
        (None, "None"),
        (48.0, "percentage"),
        (-0.2, "between 0 and 1"),
        (True, "bool"),
    ):
        assert ex01.q2(bad) is False
        assert msg in capsys.readouterr().out


# ---- #22: checker bugs, both ways (the right answer passes, float32 included; the wrong one fails)
# ----
def _fails(ex, answer, capsys, *needles):
    assert ex.check(answer) is False
    out = capsys.readouterr().out
    for n in needles:
        assert n in out, out
    assert f"check.{ex.name}.hint()" in out  # the hint pointer names the object the student has
    return out


@pytest.fixture
def lenient(monkeypatch):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")


def test_ex01_q1_argmax_over_the_wrong_dim_is_explained(lenient, capsys):
    _fails(ex01.q1, lambda lp, y: (lp.argmax(dim=0) == y).float().mean().item(), capsys, "dim=1")


def _np_layer(W, dtype=np.float64):
    from scipy.sparse.csgraph import minimum_spanning_tree

    A = (np.abs(W) / np.abs(W).max()).astype(dtype)
    n_out, n_in = A.shape
    G = np.zeros((n_out + n_in,) * 2, dtype=dtype)
    G[:n_out, n_out:] = 2 - A  # max spanning tree of A = min spanning tree of 2 - A
    T = minimum_spanning_tree(G).toarray()
    pers = 1 - (2 - T[T > 0])
    return np.float32(np.sqrt(np.sum(pers.astype(dtype) ** 2)) / np.sqrt(n_out + n_in - 1))


def test_ex02_q4_accepts_float32_and_rejects_wrong(lenient, capsys):
    from toolkit.exercises import ex02

    assert ex02.q4(lambda W: _np_layer(W, np.float32)) is True
    _fails(ex02.q4, lambda W: 1.01 * _np_layer(W), capsys, "normalized")


def _corr_match(W_a, W_b):
    from scipy.optimize import linear_sum_assignment

    A = W_a - W_a.mean(1, keepdims=True)
    B = W_b - W_b.mean(1, keepdims=True)
    A /= np.linalg.norm(A, axis=1, keepdims=True)
    B /= np.linalg.norm(B, axis=1, keepdims=True)
    return linear_sum_assignment(A @ B.T, maximize=True)[1]


def test_ex02_q1_rejects_a_raw_dot_product_matcher(lenient, capsys):
    from scipy.optimize import linear_sum_assignment
    from toolkit.exercises import ex02

    assert ex02.q1(_corr_match) is True
    assert ex02.q1(lambda a, b: _corr_match(a.astype(np.float32), b.astype(np.float32))) is True
    raw = lambda a, b: linear_sum_assignment(a @ b.T, maximize=True)[1]
    _fails(ex02.q1, raw, capsys, "matched to the wrong partner")


def _cka(X, Y):
    X, Y = X - X.mean(0), Y - Y.mean(0)
    return np.linalg.norm(Y.T @ X) ** 2 / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))


def test_ex02_q2_rejects_a_constant_and_an_input_overwrite(lenient, capsys):
    from toolkit.exercises import ex02

    assert ex02.q2(_cka) is True
    assert (
        ex02.q2(lambda X, Y: np.float32(_cka(X.astype(np.float32), Y.astype(np.float32)))) is True
    )

    def one_and_overwrite(X, Y):
        Y[...] = X[:, : Y.shape[1]] if X.shape[1] >= Y.shape[1] else Y
        X[...] = 0.0
        return 1.0

    _fails(ex02.q2, one_and_overwrite, capsys)

    def centred_in_place(X, Y):
        X -= X.mean(0)
        Y -= Y.mean(0)
        return _cka(X, Y)

    _fails(ex02.q2, centred_in_place, capsys, "changed the arrays")


def test_ex03_q2_wrong_axis_is_named(lenient, capsys):
    from toolkit.exercises import ex03

    def right(acts, clusters, cluster_id, k=5, n_best=5):
        top = np.argsort(-acts, axis=1)[:, :k]
        return np.argsort(
            -np.bincount(top[clusters == cluster_id].ravel(), minlength=acts.shape[1])
        )[:n_best]

    def axis0(acts, clusters, cluster_id, k=5, n_best=5):
        top = np.argsort(-acts, axis=0)[:k, :]
        return np.argsort(-np.bincount(top.ravel()))[:n_best]

    assert ex03.q2(right) is True
    _fails(ex03.q2, axis0, capsys, "axis")


def _density(F, k, p, dtype=np.float64):
    from sklearn.neighbors import NearestNeighbors

    F = np.asarray(F, dtype=dtype)
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(F).kneighbors(F)
    return F[np.argsort(dist[:, k])[: max(1, int(round(p * len(F))))]]


def test_ex05_q2_accepts_float32_and_rejects_wrong(lenient, capsys):
    from toolkit.exercises import ex05

    assert ex05.q2(_density) is True
    assert ex05.q2(lambda F, k, p: _density(F, k, p, np.float32)) is True
    _fails(
        ex05.q2,
        lambda F, k, p: _density(F, k - 1, p) if k > 1 else _density(F, k, p),
        capsys,
        "Off by one",
    )
    _fails(ex05.q2, lambda F, k, p: _density(F, k, p) + 0.01, capsys, "rows of F")


def test_ex06_q3_rejects_text(lenient, capsys):
    from toolkit.exercises import ex06

    def right(steps, acc, threshold):
        for s, a in zip(steps, acc):
            if a >= threshold:
                return int(s)
        return None

    assert ex06.q3(right) is True
    assert (
        ex06.q3(lambda s, a, t: (lambda r: None if r is None else np.int64(r))(right(s, a, t)))
        is True
    )
    _fails(
        ex06.q3,
        lambda s, a, t: (lambda r: None if r is None else str(r))(right(s, a, t)),
        capsys,
        "not '50'",
    )


LETTER_EXERCISES = [("ex04", "q4", "b"), ("ex05", "q4", "B"), ("ex06", "q2", "b")]


@pytest.mark.parametrize("module,qid,right", LETTER_EXERCISES)
def test_one_letter_parser(module, qid, right, lenient, capsys):
    """ "b", "B", "(B)", " b. " pass everywhere; another letter, two letters, a word, None fail."""
    ex = getattr(importlib.import_module(f"toolkit.exercises.{module}"), qid)
    for form in (
        right.lower(),
        right.upper(),
        f"({right.upper()})",
        f" {right.lower()}. ",
        f"{right})",
    ):
        assert ex.check(form) is True, form
    for bad in ("a", "bc", "because", None, 2, ""):
        assert ex.check(bad) is False, bad
    capsys.readouterr()


def test_ex02_q3_and_ex03_q4_accept_their_keys_only(lenient, capsys):
    from toolkit.exercises import ex02, ex03

    keys = _plain_keys()
    right02 = {alt: next(iter(keys[f"ex02.q3.{alt}"])) for alt in ex02.ALTERNATIVES}
    assert ex02.q3(right02) is True
    assert ex02.q3({k: f"({v.upper()})" for k, v in right02.items()}) is True
    swapped = dict(right02, images=right02["chance"], chance=right02["images"])
    _fails(ex02.q3, swapped, capsys, "2 of 4 controls")
    r03 = "".join(sorted(keys["ex03.q4"]))
    assert ex03.q4(r03) is True and ex03.q4(", ".join(r03)) is True and ex03.q4(set(r03)) is True
    _fails(ex03.q4, r03[:-1], capsys, "missing")
    _fails(ex03.q4, r03 + "a", capsys, "no control")


# ---- toolkit wrappers: the toolkit's own function does not pass its exercise
# ----------------------------
def _wrappers():
    from toolkit import (
        activations,
        alignment,
        clustering,
        filters,
        homology,
        mapper,
        neural_persistence,
        pretraining,
        train,
    )
    from toolkit.exercises import ex02, ex03, ex04, ex05, ex06

    return [
        (
            "01.q1 train.evaluate",
            ex01.q1,
            lambda lp, y: train.evaluate(torch.nn.Identity(), lp, y)[1],
        ),
        ("02.q1 alignment.match_neurons", ex02.q1, lambda a, b: alignment.match_neurons(a, b)),
        ("02.q2 alignment.linear_cka", ex02.q2, lambda X, Y: alignment.linear_cka(X, Y)),
        (
            "02.q4 layer_neural_persistence",
            ex02.q4,
            lambda W: neural_persistence.layer_neural_persistence(W)["normalized"],
        ),
        ("03.q1 clustering.purity", ex03.q1, lambda c, l: clustering.purity(c, l)),
        (
            "03.q3 activations.transformed_images",
            ex03.q3,
            lambda x, W, n: activations.transformed_images(x[None], W, n)[0],
        ),
        (
            "04.q1 mapper.interval_limits",
            ex04.q1,
            lambda lo, hi, r, g: np.stack(mapper.interval_limits(lo, hi, r, g), axis=1),
        ),
        ("04.q3 mapper.graph_cycles", ex04.q3, lambda G: mapper.graph_cycles(G)),
        (
            "05.q2 filters.density_filtration",
            ex05.q2,
            lambda F, k, p: filters.density_filtration(F, k, p),
        ),
        (
            "05.q3 homology.circle_score",
            ex05.q3,
            lambda d: homology.circle_score([np.zeros((0, 2)), d]),
        ),
        (
            "06.q3 pretraining.steps_to_threshold",
            ex06.q3,
            lambda s, a, t: (lambda r: r[0] if r[1] else None)(
                pretraining.steps_to_threshold(s, a, t)
            ),
        ),
    ]


@pytest.mark.parametrize(
    "i",
    range(11),
    ids=lambda i: [
        "01.q1",
        "02.q1",
        "02.q2",
        "02.q4",
        "03.q1",
        "03.q3",
        "04.q1",
        "04.q3",
        "05.q2",
        "05.q3",
        "06.q3",
    ][i],
)
def test_toolkit_wrapper_does_not_pass(i, lenient, capsys):
    label, ex, wrapper = _wrappers()[i]
    assert ex.check(wrapper) is False, label
    out = capsys.readouterr().out
    assert "toolkit's own" in out and "yourself" in out, out


def test_a_copy_of_the_toolkit_function_is_caught_too(lenient, capsys):
    import inspect
    from toolkit import mapper
    from toolkit.exercises import ex04

    ns = dict(vars(mapper))
    exec(inspect.getsource(mapper.graph_cycles), ns)  # the toolkit's code pasted into the notebook
    _fails(ex04.q3, ns["graph_cycles"], capsys, "toolkit's own")


def test_a_hanging_function_times_out(lenient, capsys, monkeypatch):
    monkeypatch.setenv("TOOLKIT_CHECK_TIMEOUT", "1")

    def hang(lp, y):
        while True:
            pass

    _fails(ex01.q1, hang, capsys, "did not finish within 1 s")

    def hang_and_swallow(lp, y):  # `except Exception` does not swallow the time limit
        while True:
            try:
                while True:
                    pass
            except Exception:  # noqa: BLE001
                pass

    _fails(ex01.q1, hang_and_swallow, capsys, "did not finish")


def test_kernel_patched_isclose_does_not_pass_a_wrong_answer(lenient, capsys, monkeypatch):
    """is_close/expect_* use numpy functions bound at import; the grader's fresh interpreter does
    the rest."""
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    _fails(ex01.q1, lambda lp, y: 0.5, capsys)


# ---- keys out of reach
# ---------------------------------------------------------------------------------
def _keys_module():
    spec = importlib.util.spec_from_file_location(
        "exercise_keys", ROOT / "tools" / "exercise_keys.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _plain_keys():
    k = _keys_module()
    return {e: k.right_options(e) for e in k.KEYS}


def test_sealed_tables_agree_with_the_instructor_keys():
    """tools/exercise_keys.py (instructor-only) and the sealed tables agree; every option opens its
    own text."""
    k = _keys_module()
    for e, options in k.KEYS.items():
        mod = importlib.import_module(f"toolkit.exercises.{e.split('.')[0]}")
        assert sorted(mod._SEALED[e]) == k.sealed(e), (
            f"{e}: run `python tools/exercise_keys.py --write`"
        )
        for opt, (ok, text) in options.items():
            assert exercises.sealed_verdict(mod._SEALED[e], e, opt) == (ok, text)


def test_keys_agree_with_the_instructor_notebooks():
    """The right options are those the instructor notebooks' solution cells give."""
    keys = _plain_keys()
    sol = {}
    for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for c in nbformat.read(p, as_version=4).cells:
            if c.cell_type == "code" and BEGIN in c.source:
                sol[p.name[:2]] = sol.get(p.name[:2], "") + c.source.split(BEGIN)[1].split(END)[0]
    assert re.search(r'choice = "(\w)"', sol["04"]).group(1) in keys["ex04.q4"]
    assert re.search(r'prediction = "(\w)"', sol["05"]).group(1).lower() in keys["ex05.q4"]
    assert re.search(r'answer = "(\w)"', sol["06"]).group(1) in keys["ex06.q2"]
    assert set(re.search(r'answer = "(\w+)"', sol["03"]).group(1)) == keys["ex03.q4"]
    for alt in ("images", "chance", "initialization", "ceiling"):
        assert re.search(rf'"{alt}": "(\w)"', sol["02"]).group(1) in keys[f"ex02.q3.{alt}"]


def _installed_exercise_files():
    import toolkit

    return sorted(Path(toolkit.__file__).parent.rglob("*.py"))


def test_no_key_can_be_read_from_the_installed_package():
    """Grep every file of the installed package, and walk every checker object (module attributes,
    closures, defaults, constants of their code), for the feedback texts of the right options and
    for the measurement helpers that return an answer."""
    k = _keys_module()
    right_texts = [text for e, opts in k.KEYS.items() for o, (ok, text) in opts.items() if ok]
    all_texts = [text for opts in k.KEYS.values() for _, text in opts.values()]
    files = _installed_exercise_files()
    assert files
    for f in files:
        src = f.read_text()
        for t in all_texts:
            assert t[:60] not in src, (
                f"{f.name} holds a judgement feedback text in plain: {t[:60]!r}"
            )
        for word in (
            "_Q4_RIGHT",
            "_ALTERNATIVES",
            "_Q2_FEEDBACK",
            "_Q4_WHY",
            'choice != "b"',
            'key != "B"',
            "measured_net_A_accuracy",
            "def circle_graph",
        ):
            assert word not in src, f"{f.name}: {word}"

    seen = set()

    def strings(obj, depth=0):
        if depth > 6 or id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, str):
            yield obj
        elif isinstance(obj, dict):
            for kk, v in obj.items():
                yield from strings(kk, depth + 1)
                yield from strings(v, depth + 1)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            for v in obj:
                yield from strings(v, depth + 1)
        elif isinstance(obj, Exercise):
            yield from strings(vars(obj), depth + 1)
        elif callable(obj) and hasattr(obj, "__code__"):
            code = obj.__code__
            yield from strings(code.co_consts, depth + 1)
            yield from strings(obj.__defaults__ or (), depth + 1)
            for cell in obj.__closure__ or ():
                try:
                    yield from strings(cell.cell_contents, depth + 1)
                except ValueError:
                    pass
        elif hasattr(obj, "co_consts"):
            yield from strings(obj.co_consts, depth + 1)

    for name in MODULES:
        mod = importlib.import_module(f"toolkit.exercises.{name}")
        found = set(strings(vars(mod)))
        for t in right_texts:
            assert not any(t[:40] in s for s in found), f"{name}: a right option's text is readable"
        assert not any(n.startswith("measured") or n == "circle_graph" for n in dir(mod)), name
