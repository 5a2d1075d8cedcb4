"""The student release: solutions stripped; each student notebook fails only with NotImplementedError."""
import importlib.util
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("release", ROOT / "tools" / "release.py")
release = importlib.util.module_from_spec(spec)
spec.loader.exec_module(release)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_function_solution_keeps_its_signature():
    src = "x = 1\n### BEGIN SOLUTION\ndef f(a,\n      b):\n    return a + b\n### END SOLUTION\ncheck.q1(f)"
    out = release.strip_solutions(src)
    assert "def f(a,\n      b):\n    # YOUR CODE HERE\n    raise NotImplementedError" in out
    assert "return a + b" not in out and out.endswith("check.q1(f)") and out.startswith("x = 1")
    ns = {"check": type("C", (), {"q1": staticmethod(lambda f: f(1, 2))})}
    with pytest.raises(NotImplementedError):
        exec(out, ns)


def test_other_solutions_become_a_raise():
    src = "### BEGIN SOLUTION\nanswer = 3\nhelper = lambda: 1\n### END SOLUTION\ncheck.q2(answer)"
    out = release.strip_solutions(src)
    assert "answer = 3" not in out and "raise NotImplementedError" in out
    two = "### BEGIN SOLUTION\ndef f():\n    pass\nz = f()\n### END SOLUTION"
    assert "def f" not in release.strip_solutions(two)  # more than one function: whole block stubbed
    with pytest.raises(ValueError, match="without"):
        release.strip_solutions("### BEGIN SOLUTION\nx = 1")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_has_graded_exercises_and_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    ex = release.exercise_cells(nb)
    assert len(ex) >= 2, f"{path.name} has {len(ex)} graded exercises; the course asks for at least 2"
    for i in ex:
        assert "check." in nb.cells[i].source.split(release.END)[-1] or \
            "check." in nb.cells[i + 1].source, f"{path.name}: exercise cell {i} has no checker call after it"
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit without outputs"
    assert "### BEGIN SOLUTION" not in "".join(c.source for c in release.student_notebook(nb).cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_notebook_fails_only_with_not_implemented(path, tmp_path):
    """Run the whole student notebook (errors allowed): every error must be a NotImplementedError,
    one per exercise; every other cell must run, so nothing later depends on an exercise's answer."""
    from nbclient import NotebookClient

    nb = release.student_notebook(nbformat.read(path, as_version=4))
    n_ex = len(release.exercise_cells(nbformat.read(path, as_version=4)))
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    bad = [(i, o["ename"], o["evalue"][:200]) for i, o in errors if o["ename"] != "NotImplementedError"]
    assert not bad, f"student {path.name}: errors other than NotImplementedError: {bad}"
    assert len(errors) == n_ex, f"{len(errors)} NotImplementedErrors for {n_ex} exercises"
