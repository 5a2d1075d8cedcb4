"""The real nbgrader, end to end, in fast mode, as docs/INSTRUCTOR.md ("Grading") tells an
instructor.

1. `tools/release.py --nbgrader --course <dir>` (what `make grade-release` runs) writes the course
   directory; `nbgrader generate_assignment "*"` makes one assignment per notebook (all six): its
   release notebooks are the `make student` hand-out (checked cell by cell, metadata included).
2. For 01, 04 and 05, submissions made from the `make student` notebook are autograded (`nbgrader
   autograde`), exported and given feedback:
   - solved: every answer filled in -> every autograded point (the reasoning cell waits for a
     person);
   - adversary: each exercise attacked once -- the graded name renamed (with its `check.qN(...)`
     call), the kernel's numpy and checkers patched before a wrong answer, the toolkit's own
     function called, a function that never returns -> no point, and the feedback says why;
   - 01 only, toolkit: the toolkit's own function for exercise 1, the rest solved -> one point less;
   - stubs: the hand-out untouched -> zero.
3. A submission without nbgrader's grade cells stops `nbgrader autograde` loudly, naming student and
   notebook.

All tests here carry the `release` marker: `make release-check` runs them, `make test` leaves them
out.
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
GRADED = ["01_train", "04_mapper", "05_filter_topology"]
BIN = Path(sys.executable).parent
CHECK_TIMEOUT = 5  # TOOLKIT_CHECK_TIMEOUT of the grading run: a hanging function costs 5 s

pytestmark = [
    pytest.mark.release,
    pytest.mark.skipif(
        shutil.which("nbgrader", path=str(BIN)) is None,
        reason="nbgrader is not installed (it is in the `test` extra)",
    ),
]

PATCH = (
    "import numpy as np, toolkit.exercises\n"
    "np.isclose = lambda *a, **k: True                                 # the kernel's numpy "
    "patched\n"
    "toolkit.exercises.Exercise.check = lambda self, answer: True       # every answer 'correct'\n"
)


def _hang(signature: str) -> str:
    return f"{signature}\n    while True:\n        pass\n"


# (notebook, exercise) -> (attack, edit of the solved answer cell's source, text the feedback must
# show)
def _rename(old, new):
    return lambda src: src.replace(old, new)


def _before_check(extra, patch=False):
    def edit(src):
        lines = src.split("\n")
        k = next(i for i, l in enumerate(lines) if release.CHECK_CALL.match(l))
        return (PATCH if patch else "") + "\n".join(lines[:k] + [extra] + lines[k:])

    return edit


ATTACKS = {
    "01_train": {
        "q1": ("rename", _rename("accuracy", "acc"), "Graded: the name `accuracy`"),
        "q2": ("patch", _before_check("prediction_A_all = 0.99", patch=True), "Too high"),
        "q3": (
            "hang",
            _before_check(_hang("def per_class_accuracy(preds, labels, num_classes=10):")),
            f"did not finish within {CHECK_TIMEOUT} s",
        ),
    },
    "04_mapper": {
        "q1": (
            "wrapper",
            _before_check(
                "def cover_intervals(lo, hi, resolution, gain):\n"
                "    return np.stack(mapper.interval_limits(lo, hi, resolution, gain), axis=1)\n"
            ),
            "toolkit's own `mapper.interval_limits`",
        ),
        "q2": (
            "patch",
            _before_check(
                'prediction = {"nodes": 3, "edges": 2, "components": 1, "cycles": 0}', patch=True
            ),
            "is not it",
        ),
        "q3": (
            "hang",
            _before_check(_hang("def cycles(G):")),
            f"did not finish within {CHECK_TIMEOUT} s",
        ),
        "q4": ("rename", _rename("choice", "my_choice"), "Graded: the name `choice`"),
    },
    "05_filter_topology": {
        "q1": ("rename", _rename("circle_filter", "my_filter"), "Graded: the name `circle_filter`"),
        "q2": (
            "wrapper",
            _before_check(
                "def density_filter(F, k, p):\n    return filters.density_filtration(F, k, p)\n"
            ),
            "toolkit's own `filters.density_filtration`",
        ),
        "q3": (
            "hang",
            _before_check(_hang("def circle_score(dgm1):")),
            f"did not finish within {CHECK_TIMEOUT} s",
        ),
        "q4": ("patch", _before_check('prediction = "A"', patch=True), "You chose A"),
    },
}
WRAP_01 = _before_check(
    "def accuracy(log_probs, labels):\n"
    "    return train.evaluate(torch.nn.Identity(), log_probs, labels)[1]\n"
)


def _nbgrader(course: Path, *args: str, env: dict, ok: bool = True) -> str:
    t0 = time.perf_counter()
    r = subprocess.run(
        [str(BIN / "nbgrader"), *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if ok:
        assert r.returncode == 0, (
            f"nbgrader {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}"
        )
    print(f"nbgrader {' '.join(args)}: {time.perf_counter() - t0:.0f} s")
    return r.stdout + r.stderr if ok else (r.returncode, r.stdout + r.stderr)


def _answer_cells(nb):
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    }


def _solved(hand_out, source_nb):
    """The hand-out with every answer cell filled in as a student would: the source's solution,
    markers gone."""
    nb = nbformat.from_dict(hand_out)
    src = _answer_cells(source_nb)
    for gid, c in _answer_cells(nb).items():
        c.source = "\n".join(
            l for l in src[gid].source.split("\n") if l.strip() not in (release.BEGIN, release.END)
        )
    return nb


def _edited(nb, edits: dict):
    nb = nbformat.from_dict(nb)
    cells = _answer_cells(nb)
    for qid, edit in edits.items():
        c = cells[f"{qid}_answer"]
        new = edit(c.source)
        assert new != c.source, f"{qid}: the attack changed nothing (did the solution change?)"
        c.source = new
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory, kernel_ipc_ip):
    base = tmp_path_factory.mktemp("nbgrader")
    course = base / "course"
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "TOOLKIT_FAST": "1",
        "TOOLKIT_OFFLINE": "1",
        "TOOLKIT_DATA": str(base / "grading-data"),
        "TOOLKIT_BUILD": str(base / "grading-build"),
        "MPLBACKEND": "Agg",
        "TQDM_DISABLE": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TOOLKIT_CHECK_TIMEOUT": str(CHECK_TIMEOUT),
    }
    r = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "release.py"), "--nbgrader", "--course", str(course)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    with open(course / "nbgrader_config.py", "a") as f:  # IPC kernels: see conftest.kernel_ipc_ip
        f.write(f"\nc.KernelManager.transport = 'ipc'\nc.KernelManager.ip = {kernel_ipc_ip!r}\n")
    _nbgrader(course, "generate_assignment", "*", "--force", env=env)
    return course, env


def _meta(c):
    m = dict(c.metadata.get("nbgrader", {}))
    return {
        k: m[k] for k in ("grade_id", "grade", "solution", "locked", "points", "checksum") if k in m
    }


def test_make_student_is_nbgraders_release(course):
    course, _ = course
    for p in NOTEBOOKS:
        src = nbformat.read(course / "source" / p.stem / p.name, as_version=4)
        rel = nbformat.read(course / "release" / p.stem / p.name, as_version=4)
        n_ex = len(release.exercise_cells(nbformat.read(p, as_version=4)))
        tests = [
            c
            for c in src.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
        ]
        assert len(tests) == n_ex and all(
            c.metadata["nbgrader"]["locked"] and c.metadata["nbgrader"]["points"] == release.POINTS
            for c in tests
        )
        text = "\n".join(c.source for c in rel.cells)
        assert release.BEGIN not in text and "HIDDEN TESTS" not in text and "_grade_q" not in text
        student = release.student_notebook(nbformat.read(p, as_version=4), p.stem)
        assert [(c.cell_type, c.source, _meta(c)) for c in student.cells] == [
            (c.cell_type, c.source, _meta(c)) for c in rel.cells
        ], f"{p.stem}: make student != nbgrader release"


def test_autograde_export_feedback(course):
    course, env = course
    expected, feedback = {}, {}
    for name in GRADED:
        src = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
        hand_out = release.student_notebook(
            nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4), name
        )
        n_ex = len(
            release.exercise_cells(
                nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
            )
        )
        solved = _solved(hand_out, src)
        subs = {
            "solved": (solved, n_ex),
            "stubs": (hand_out, 0),
            "adversary": (_edited(solved, {q: a[1] for q, a in ATTACKS[name].items()}), 0),
        }
        if name == "01_train":
            subs["toolkit"] = (_edited(solved, {"q1": WRAP_01}), n_ex - 1)
        for student, (nb, points) in subs.items():
            d = course / "submitted" / student / name
            d.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, d / f"{name}.ipynb")
            expected[name, student] = (
                float(points),
                float(n_ex * release.POINTS + 1),
            )  # +1: reasoning
        t0 = time.perf_counter()
        _nbgrader(course, "autograde", name, "--force", env=env)
        print(f"{name}: {len(subs)} submissions autograded in {time.perf_counter() - t0:.0f} s")
        _nbgrader(course, "generate_feedback", name, "--force", env=env)
        feedback[name] = {
            s: (course / "feedback" / s / name / f"{name}.html").read_text() for s in subs
        }
    _nbgrader(course, "export", env=env)
    scores = {}
    with open(course / "grades.csv") as f:
        for row in csv.DictReader(f):
            scores[row["assignment"], row["student_id"]] = (
                float(row["score"]),
                float(row["max_score"]),
            )
    for key, want in expected.items():
        assert scores[key] == want, (key, scores[key], want)
    for name, attacks in ATTACKS.items():
        for qid, (attack, _, message) in attacks.items():
            assert message in feedback[name]["adversary"], (
                f"{name} {qid} ({attack}): feedback lacks {message!r}"
            )
        assert "Not done yet" in feedback[name]["stubs"]
    assert "toolkit's own `train.evaluate`" in feedback["01_train"]["toolkit"]
    # grading trained into its own data folder (TOOLKIT_DATA set by the grader), not into the kit's
    # data/
    assert any(Path(env["TOOLKIT_DATA"]).rglob("*.pt"))


def test_a_submission_without_grade_cells_fails_loudly(course):
    course, env = course
    nb = nbformat.read(ROOT / "notebooks" / "04_mapper.ipynb", as_version=4)
    for c in nb.cells:
        c.metadata.pop("nbgrader", None)
    d = course / "submitted" / "nometa" / "04_mapper"
    d.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, d / "04_mapper.ipynb")
    rc, out = _nbgrader(
        course, "autograde", "04_mapper", "--student", "nometa", "--force", env=env, ok=False
    )
    assert (
        rc != 0
        and "student 'nometa', notebook '04_mapper'" in out
        and "no nbgrader grade cells" in out
    ), out[-3000:]
