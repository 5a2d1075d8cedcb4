"""The real nbgrader, end to end, in fast mode, as docs/INSTRUCTOR.md ("Grading") tells an instructor:

1. `tools/release.py --nbgrader --course <dir>` (what `make grade-release` runs) writes the course directory;
2. `nbgrader generate_assignment "*"` makes one assignment per notebook (all six notebooks);
3. three submissions per graded notebook -- the solutions, one wrong answer, the untouched stubs --
   (and for 01 a fourth: the wrong answer with the kernel's checkers patched to accept anything)
   are autograded (`nbgrader autograde`), exported (`nbgrader export`) and given feedback
   (`nbgrader generate_feedback`);
4. the grades are full marks / one point less / zero (the patched one: one point less), and the feedback HTML shows the checker's message.

To stay within a few minutes on 2 cores, step 3 covers 01_train and 04_mapper (04 loads the nets that
01's grading trained into the grading data folder); all six assignments are generated and checked.
"""
from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("release", ROOT / "tools" / "release.py")
release = importlib.util.module_from_spec(spec)
spec.loader.exec_module(release)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
GRADED = ["01_train", "04_mapper"]
# one wrong answer per graded notebook: (exercise, text in its solution, replacement, checker message)
WRONG = {"01_train": ("q1", "return (log_probs", "return 1 - (log_probs", "That is the error rate")}
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(shutil.which("nbgrader", path=str(BIN)) is None,
                                reason="nbgrader is not installed (it is in the `test` extra)")


def _nbgrader(course: Path, *args: str, env: dict) -> str:
    t0 = time.perf_counter()
    r = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}"
    print(f"nbgrader {' '.join(args)}: {time.perf_counter() - t0:.0f} s")
    return r.stdout + r.stderr


def _answer_cells(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def _solved(release_nb, source_nb):
    """The hand-out with every answer cell filled in as a student would: the source's solution, markers gone."""
    nb = nbformat.from_dict(release_nb)
    src = _answer_cells(source_nb)
    for gid, c in _answer_cells(nb).items():
        c.source = "\n".join(l for l in src[gid].source.split("\n")
                             if l.strip() not in (release.BEGIN, release.END))
    return nb


def _wrong(nb, name):
    """One exercise answered wrongly: a known mistake for 01, else the first answer rebound to None."""
    nb = nbformat.from_dict(nb)
    cells = _answer_cells(nb)
    if name in WRONG:
        qid, old, new, _ = WRONG[name]
        c = cells[f"{qid}_answer"]
        assert old in c.source, f"{name}: the solution of {qid} changed; update WRONG in this test"
        c.source = c.source.replace(old, new)
    else:
        gid, c = next(iter(cells.items()))
        lines = c.source.split("\n")
        k = next(i for i, l in enumerate(lines) if release.CHECK_CALL.match(l))
        answer = release.CHECK_CALL.match(lines[k]).group(2)
        lines.insert(k, f"{answer} = None   # a wrong answer")
        c.source = "\n".join(lines)
    return nb


PATCH = ("import toolkit.exercises, toolkit.exercises.{m} as _c\n"
         "toolkit.exercises.Exercise.check = lambda self, answer: True   # every answer 'correct'\n"
         "_c.{q}._checker = lambda answer: None\n")


def _patched(nb):
    """A student who makes the kernel's checkers accept anything, before answering."""
    nb = nbformat.from_dict(nb)
    c = next(iter(_answer_cells(nb).values()))
    module = release.checker_module(nb, "")
    c.source = PATCH.format(m=module, q=c.metadata["nbgrader"]["grade_id"].split("_")[0]) + c.source
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory, kernel_ipc_ip):
    base = tmp_path_factory.mktemp("nbgrader")
    course = base / "course"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "TOOLKIT_FAST": "1", "TOOLKIT_OFFLINE": "1", "TOOLKIT_DATA": str(base / "grading-data"),
           "TOOLKIT_BUILD": str(base / "grading-build"), "MPLBACKEND": "Agg", "TQDM_DISABLE": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "release.py"), "--nbgrader", "--course",
                        str(course)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    with open(course / "nbgrader_config.py", "a") as f:          # IPC kernels: see conftest.kernel_ipc_ip
        f.write(f"\nc.KernelManager.transport = 'ipc'\nc.KernelManager.ip = {kernel_ipc_ip!r}\n")
    _nbgrader(course, "generate_assignment", "*", "--force", env=env)
    return course, env


def test_course_directory_and_assignments(course):
    course, _ = course
    assert (course / "nbgrader_config.py").is_file()
    for p in NOTEBOOKS:
        src = nbformat.read(course / "source" / p.stem / p.name, as_version=4)
        rel = nbformat.read(course / "release" / p.stem / p.name, as_version=4)
        n_ex = len(release.exercise_cells(nbformat.read(p, as_version=4)))
        tests = [c for c in src.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert len(tests) == n_ex and all(c.metadata["nbgrader"]["locked"] and
                                          c.metadata["nbgrader"]["points"] == release.POINTS for c in tests)
        text = "\n".join(c.source for c in rel.cells)
        assert release.BEGIN not in text and "HIDDEN TESTS" not in text and "_grade_q" not in text
        # nbgrader's hand-out is the kit's hand-out (`make student`) plus the locked test cells:
        # every signature survived ClearSolutions
        student = release.student_notebook(nbformat.read(p, as_version=4))
        ours = [c.source for c in student.cells if c.cell_type == "code"]
        theirs = [c.source for c in rel.cells if c.cell_type == "code"
                  and not c.metadata.get("nbgrader", {}).get("grade")]
        assert theirs == ours, f"{p.stem}: nbgrader's release differs from `make student`"


def test_autograde_export_feedback(course):
    course, env = course
    scores = {}
    for name in GRADED:
        src = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
        rel = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
        solved = _solved(rel, src)
        subs = [("solved", solved), ("one_wrong", _wrong(solved, name)), ("stubs", rel)]
        if name == GRADED[0]:   # the wrong answer again, with the checkers patched in the kernel to pass it
            subs.append(("patched", _patched(_wrong(solved, name))))
        for student, nb in subs:
            d = course / "submitted" / student / name
            d.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, d / f"{name}.ipynb")
        _nbgrader(course, "autograde", name, "--force", env=env)
        _nbgrader(course, "generate_feedback", name, "--force", env=env)
    _nbgrader(course, "export", env=env)
    with open(course / "grades.csv") as f:
        for row in csv.DictReader(f):
            scores[row["assignment"], row["student_id"]] = (float(row["score"]), float(row["max_score"]))
    for name in GRADED:
        n_ex = len(release.exercise_cells(nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)))
        full = n_ex * release.POINTS
        assert scores[name, "solved"] == (full, full), (name, scores)
        assert scores[name, "one_wrong"] == (full - release.POINTS, full), (name, scores)
        assert scores[name, "stubs"] == (0.0, full), (name, scores)
    full = scores[GRADED[0], "solved"][0]
    assert scores[GRADED[0], "patched"] == (full - release.POINTS, full), "patching the kernel's checkers paid"
    for name, (qid, _, _, message) in WRONG.items():
        html = (course / "feedback" / "one_wrong" / name / f"{name}.html").read_text()
        assert message in html, f"{name}: the feedback does not show the checker's message"
        stub_html = (course / "feedback" / "stubs" / name / f"{name}.html").read_text()
        assert "Not done yet" in stub_html
    # grading trained into its own data folder (TOOLKIT_DATA set by the grader), not into the kit's data/
    assert any(Path(env["TOOLKIT_DATA"]).rglob("*.pt"))
