"""The student release: solutions stripped; each student notebook fails only with
NotImplementedError."""

import importlib.util
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("release", ROOT / "tools" / "release.py")
release = importlib.util.module_from_spec(spec)
spec.loader.exec_module(release)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_function_solution_keeps_its_signature():
    src = (
        "x = 1\n### BEGIN SOLUTION\ndef f(a,\n      b):\n    return a + b\n### END "
        "SOLUTION\ncheck.q1(f)"
    )
    out = release.strip_solutions(src)
    assert "def f(a,\n      b):\n    # YOUR CODE HERE\n    raise NotImplementedError" in out
    assert "return a + b" not in out and out.endswith("check.q1(f)") and out.startswith("x = 1")
    ns = {"check": type("C", (), {"q1": staticmethod(lambda f: f(1, 2))})}
    with pytest.raises(NotImplementedError):
        exec(out, ns)


def test_markers_move_inside_the_function_body():
    src = (
        "x = 1\n### BEGIN SOLUTION\n# idea: add\ndef f(a,\n      b):\n    return a + b\n### END "
        "SOLUTION\ncheck.q1(f)"
    )
    out = release.markers_inside_functions(src)
    assert out == (
        "x = 1\ndef f(a,\n      b):\n    ### BEGIN SOLUTION\n    # idea: add\n    return a + b\n"
        "    ### END SOLUTION\ncheck.q1(f)"
    )
    # nbgrader's ClearSolutions on that (stub indented like the BEGIN line) == the kit's own stub
    cleared, skip = [], False
    for line in out.split("\n"):
        if line.strip() == release.BEGIN:
            cleared += ["    " + l for l in release.STUB_LINES]
            skip = True
        elif line.strip() == release.END:
            skip = False
        elif not skip:
            cleared.append(line)
    assert "\n".join(cleared) == release.strip_solutions(src)
    other = "### BEGIN SOLUTION\nanswer = 3\n### END SOLUTION\ncheck.q2(answer)"
    assert release.markers_inside_functions(other) == other


def _hidden_code(qid, answer, module="ex01"):
    src = release.hidden_test(qid, module, answer, ROOT / "toolkit", "Exercise")
    return "\n".join(l for l in src.split("\n") if "HIDDEN TESTS" not in l)


def _kernel(code: str) -> dict:
    """A namespace as a notebook kernel has one: functions defined there live in __main__ (by
    value)."""
    ns = {"__name__": "__main__"}
    exec(code, ns)
    return ns


RIGHT = "def accuracy(lp, y):\n    return (lp.argmax(1) == y).float().mean().item()\n"
WRONG = "def accuracy(lp, y):\n    return 0.5\n"


def test_hidden_test_grades_in_a_fresh_interpreter(monkeypatch, capsys):
    """Right passes; patches of the kernel's checkers, toolkit or numpy do not make a wrong answer
    pass."""
    import toolkit.exercises
    import toolkit.exercises.ex01 as check

    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    exec(_hidden_code("q1", "accuracy"), _kernel(RIGHT))  # the right answer passes
    monkeypatch.setattr(check.q1, "_checker", lambda a: None)  # the student's "fixes"
    monkeypatch.setattr(toolkit.exercises.Exercise, "check", lambda self, a: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    ns = _kernel(WRONG)
    assert check.q1(ns["accuracy"]) is True  # fooled in the kernel ...
    with pytest.raises(AssertionError, match="did not accept"):  # ... not in the grader
        exec(_hidden_code("q1", "accuracy"), ns)
    monkeypatch.undo()
    # the student's own function patches numpy when called: the checker's comparison was bound
    # before
    sneaky = (
        "import numpy as np\ndef accuracy(lp, y):\n    np.isclose = lambda *a, **k: True\n   "
        " "
        "return 0.5\n"
    )
    with pytest.raises(AssertionError):
        exec(_hidden_code("q1", "accuracy"), _kernel(sneaky))
    assert "Not yet" in capsys.readouterr().out


def test_hidden_test_names_the_graded_variable(monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    ns = _kernel(RIGHT.replace("def accuracy", "def acc"))  # renamed, check.q1(acc) edited
    with pytest.raises(AssertionError, match="`accuracy`"):
        exec(_hidden_code("q1", "accuracy"), ns)
    out = capsys.readouterr().out
    assert "Graded: the name `accuracy`" in out and "renamed" in out
    for name in (
        "answer",
        "spec",
        "exercise",
        "pkg",
        "name",
        "e",
        "payload",
        "r",
    ):  # any name works
        exec(_hidden_code("q1", name), _kernel(RIGHT.replace("def accuracy", f"def {name}")))


def test_hidden_test_time_limit_and_toolkit_wrapper(monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    monkeypatch.setenv("TOOLKIT_CHECK_TIMEOUT", "2")
    hang = "def accuracy(lp, y):\n    while True:\n        pass\n"
    with pytest.raises(AssertionError):
        exec(_hidden_code("q1", "accuracy"), _kernel(hang))
    assert "did not finish within 2 s" in capsys.readouterr().out
    # a function that swallows even the checker's time limit: the grader's process limit stops it
    monkeypatch.setenv("TOOLKIT_GRADER_TIMEOUT", "8")
    stubborn = (
        "def accuracy(lp, y):\n    while True:\n        try:\n            while True:\n"
        "                pass\n        except BaseException:\n            pass\n"
    )
    with pytest.raises(AssertionError):
        exec(_hidden_code("q1", "accuracy"), _kernel(stubborn))
    assert "Time limit" in capsys.readouterr().out
    monkeypatch.delenv("TOOLKIT_GRADER_TIMEOUT")
    wrapper = "from toolkit import mapper\ndef cycles(G):\n    return mapper.graph_cycles(G)\n"
    with pytest.raises(AssertionError):
        exec(_hidden_code("q3", "cycles", "ex04"), _kernel(wrapper))
    assert "toolkit's own `mapper.graph_cycles`" in capsys.readouterr().out


def test_course_directory_never_inside_the_hand_out(tmp_path):
    import subprocess
    import sys

    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "release.py"),
            "--nbgrader",
            "--out",
            "student",
            "--course",
            "student/nbgrader",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode != 0 and "hand-out" in r.stderr
    assert not (ROOT / "student" / "nbgrader").exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_hand_out_holds_no_solution_line(path):
    """No line of any solution (other than a kept `def` signature) reaches the student notebook."""
    nb = nbformat.read(path, as_version=4)
    student = "\n".join(c.source for c in release.student_notebook(nb, path.stem).cells)
    for i in release.exercise_cells(nb):
        block = nb.cells[i].source.split(release.BEGIN)[1].split(release.END)[0]
        for line in block.split("\n"):
            t = line.strip()
            if t and not t.startswith(("def ", "#")) and not t.endswith(":") and len(t) > 12:
                assert t not in student, f"{path.name}: solution line {t!r} is in the hand-out"


def test_other_solutions_become_a_raise():
    src = "### BEGIN SOLUTION\nanswer = 3\nhelper = lambda: 1\n### END SOLUTION\ncheck.q2(answer)"
    out = release.strip_solutions(src)
    assert "answer = 3" not in out and "raise NotImplementedError" in out
    two = "### BEGIN SOLUTION\ndef f():\n    pass\nz = f()\n### END SOLUTION"
    assert "def f" not in release.strip_solutions(
        two
    )  # more than one function: whole block stubbed
    with pytest.raises(ValueError, match="without"):
        release.strip_solutions("### BEGIN SOLUTION\nx = 1")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_has_graded_exercises_and_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    ex = release.exercise_cells(nb)
    assert len(ex) >= 2, (
        f"{path.name} has {len(ex)} graded exercises; the course asks for at least 2"
    )
    for i in ex:
        assert (
            "check." in nb.cells[i].source.split(release.END)[-1]
            or "check." in nb.cells[i + 1].source
        ), f"{path.name}: exercise cell {i} has no checker call after it"
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit without outputs"
    )
    hand_out = release.student_notebook(nb, path.stem)
    text = "".join(c.source for c in hand_out.cells)
    assert (
        "### BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "_grade_q" not in text
    )
    # the hand-out is gradable: nbgrader metadata on every answer and test cell, tests locked
    grades = [
        c.metadata["nbgrader"]
        for c in hand_out.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    ]
    assert sum(1 for g in grades if g["grade_id"].endswith("_test") and g["locked"]) == len(ex)
    # one manually graded reasoning cell (1 point) per notebook, empty for the student
    reasoning = [
        c
        for c in hand_out.cells
        if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_reasoning")
    ]
    assert len(reasoning) >= 1 and all(
        c.cell_type == "markdown"
        and c.source == release.TEXT_STUB
        and c.metadata["nbgrader"]["points"] == 1
        for c in reasoning
    )


@pytest.mark.release
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_notebook_fails_only_with_not_implemented(path, kernel_ipc_ip):
    """Run the whole student notebook (errors allowed): every error must be a NotImplementedError,
    one per exercise; every other cell must run, so nothing later depends on an exercise's
    answer."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = release.student_notebook(nbformat.read(path, as_version=4), path.stem)
    n_ex = len(release.exercise_cells(nbformat.read(path, as_version=4)))
    km = KernelManager(
        kernel_name="python3", transport="ipc", ip=kernel_ipc_ip
    )  # see conftest.kernel_ipc_ip
    NotebookClient(
        nb,
        km=km,
        timeout=600,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    errors = [
        (i, o)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    bad = [
        (i, o["ename"], o["evalue"][:200]) for i, o in errors if o["ename"] != "NotImplementedError"
    ]
    assert not bad, f"student {path.name}: errors other than NotImplementedError: {bad}"
    assert len(errors) == n_ex, f"{len(errors)} NotImplementedErrors for {n_ex} exercises"


def test_nbgrader_source_notebook_metadata_and_errors():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook(
        cells=[
            new_code_cell("from toolkit.exercises import ex01 as check"),
            new_markdown_cell("### Exercise 1 (graded): accuracy"),
            new_code_cell(
                "### BEGIN SOLUTION\ndef acc(a, b):\n    return 1.0\n### END "
                "SOLUTION\ncheck.q1(acc);"
            ),
            new_markdown_cell("### Exercise 2 (graded): a number"),
            new_code_cell("### BEGIN SOLUTION\nx = 0.5\n### END SOLUTION"),
            new_code_cell("check.q2(x)"),
        ]
    )
    src = release.nbgrader_notebook(nb, "01_train", ROOT / "toolkit")
    meta = [c.metadata.get("nbgrader", {}) for c in src.cells]
    assert [m.get("grade_id") for m in meta if m] == [
        "q1_answer",
        "q1_test",
        "q2_answer",
        "q2_test",
    ]
    tests = [c for c, m in zip(src.cells, meta) if m.get("grade")]
    assert all(m["locked"] and m["points"] == release.POINTS for m in meta if m.get("grade"))
    k = src.cells.index(tests[1])
    assert src.cells[k - 1].source == "check.q2(x)"  # right after the cell that calls check.q2
    assert "Exercise 1" in tests[0].source and "_grade_q1(lambda: acc)" in tests[0].source
    assert "_grade_q2(lambda: x)" in tests[1].source and "ex01" in tests[1].source
    nb.cells[5].source = "print(x)"
    with pytest.raises(ValueError, match="check.qN"):
        release.nbgrader_notebook(nb, "01_train")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_exercise_gets_a_compiling_test_cell(path):
    nb = nbformat.read(path, as_version=4)
    src = release.nbgrader_notebook(nb, path.stem)
    tests = [
        c
        for c in src.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
    ]
    assert len(tests) == len(release.exercise_cells(nb))
    for c in tests:
        compile(c.source, f"{path.stem}:{c.metadata['nbgrader']['grade_id']}", "exec")
    answers = [
        c
        for c in src.cells
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    ]
    for c in answers:  # markers are balanced, so nbgrader's ClearSolutions accepts every cell
        assert c.source.count(release.BEGIN) == c.source.count(release.END) >= 1


def test_value_templates_stay_outside_the_solution():
    """A value exercise keeps its template in the hand-out (the dict to fill, with its keys)."""
    for name, template in (
        ("02_heatmaps", 'controls = {"images": None, "chance": None'),
        ("04_mapper", 'prediction = {"nodes": None, "edges": None'),
    ):
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        text = "\n".join(c.source for c in release.student_notebook(nb, name).cells)
        assert template in text, name
