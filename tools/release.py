"""Releases of the notebooks: the student hand-out, and an nbgrader course directory for the
instructor.

    python tools/release.py [--out student]                    # make student: the hand-out
    python tools/release.py --nbgrader [--course build/nbgrader] # make grade-release: instructor
    only

Student hand-out (``student/``): nbgrader's release notebooks, made in-process with nbgrader's own
preprocessors from the source notebooks below (the same notebooks as ``nbgrader
generate_assignment`` writes to release/, tests/test_nbgrader.py compares them): between ``### BEGIN
SOLUTION`` and ``### END SOLUTION`` a solution that is one function keeps its ``def`` line and gets
the body ``# YOUR CODE HERE`` + ``raise NotImplementedError()``; any other solution becomes those
two lines (a template written before the markers, e.g. a dict to fill, stays); each exercise is
followed by its locked test cell (hidden part removed), manually graded reasoning cells read "YOUR
ANSWER HERE". Outputs are cleared. The hand-out holds no solution and no key, and it carries
nbgrader's metadata, so a submission can be autograded.

nbgrader course directory (``build/nbgrader/``, PRIVATE: it holds the solutions):
``nbgrader_config.py`` and ``source/<notebook>/<notebook>.ipynb``, one assignment per notebook,
named after it. In the source notebooks the solution markers of a one-function solution are moved
INSIDE the function body, so that nbgrader's ClearSolutions keeps the signature and writes the same
stub as the hand-out. After every exercise a locked, autograded test cell (1 point) is inserted; its
hidden part (removed from what students get) sends the student's answer to a fresh Python
interpreter that imports the instructor's checker from the instructor's toolkit folder (recorded
here when the course directory is written) and runs it under a time limit. So a student who patches
``check.q1``, ``toolkit`` or numpy in their kernel changes nothing the grader uses, and a function
that never returns costs its point, not the grading run.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB_LINES = [
    "# YOUR CODE HERE",
    "raise NotImplementedError()",
]  # nbgrader's own stub: one stub for both
STUB = STUB_LINES[1]
POINTS = 1  # points per exercise
COURSE_ID = "nn-topology"
CHECK_CALL = re.compile(r"^\s*check\.(q\d+)\((.+)\)\s*;?\s*(#.*)?$")


def _single_function(block: list[str]) -> tuple[int, int] | None:
    """(index of the ``def`` line, index of the line ending the signature) if ``block`` is exactly
    one function definition (leading comments allowed), else None."""
    code = [l for l in block if l.strip() and not l.strip().startswith("#")]
    if not code or not code[0].lstrip().startswith("def "):
        return None
    def_indent = code[0][: len(code[0]) - len(code[0].lstrip())]
    start = block.index(code[0])
    sig_end = start
    while not block[sig_end].split("#")[0].rstrip().endswith(":"):
        sig_end += 1
        if sig_end >= len(block):
            return None
    rest = [l for l in block[sig_end + 1 :] if l.strip()]
    if rest and all(
        l.startswith(def_indent + " ") or l.startswith(def_indent + "\t") for l in rest
    ):
        return start, sig_end
    return None


def _stub_block(block: list[str], indent: str) -> list[str]:
    fn = _single_function(block)
    if fn is not None:
        start, sig_end = fn
        def_indent = block[start][: len(block[start]) - len(block[start].lstrip())]
        return block[start : sig_end + 1] + [def_indent + "    " + l for l in STUB_LINES]
    return [indent + l for l in STUB_LINES]


def _solution_blocks(source: str):
    """Yield (kind, lines): kind "code" for lines outside solutions, "solution" for a solution block
    (without its markers, with the indent of its BEGIN line)."""
    lines = source.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == BEGIN:
            indent = line[: len(line) - len(line.lstrip())]
            j = i + 1
            while j < len(lines) and lines[j].strip() != END:
                if lines[j].strip() == BEGIN:
                    raise ValueError(f"nested '{BEGIN}' in:\n{source}")
                j += 1
            if j == len(lines):
                raise ValueError(f"'{BEGIN}' without '{END}' in:\n{source}")
            yield "solution", (indent, lines[i + 1 : j])
            i = j + 1
            continue
        if line.strip() == END:
            raise ValueError(f"'{END}' without '{BEGIN}' in:\n{source}")
        yield "code", line
        i += 1


def strip_solutions(source: str) -> str:
    """Replace each solution block of a code cell's source by a stub (see module docstring)."""
    out = []
    for kind, item in _solution_blocks(source):
        if kind == "code":
            out.append(item)
        else:
            out += _stub_block(item[1], item[0])
    return "\n".join(out)


def markers_inside_functions(source: str) -> str:
    """Move the solution markers of every one-function solution inside its body (after the
    signature), so that nbgrader's ClearSolutions keeps the ``def`` line; other solutions are left
    as they are."""
    out = []
    for kind, item in _solution_blocks(source):
        if kind == "code":
            out.append(item)
            continue
        indent, block = item
        fn = _single_function(block)
        if fn is None:
            out += [indent + BEGIN, *block, indent + END]
            continue
        start, sig_end = fn
        body_indent = block[start][: len(block[start]) - len(block[start].lstrip())] + "    "
        lead = [
            body_indent + l.strip() for l in block[:start] if l.strip()
        ]  # comments before the def
        out += [
            *block[start : sig_end + 1],
            body_indent + BEGIN,
            *lead,
            *block[sig_end + 1 :],
            body_indent + END,
        ]
    return "\n".join(out)


def exercise_cells(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and BEGIN in c.source]


TEXT_STUB = "YOUR ANSWER HERE"


def release_notebook(source_nb):
    """What nbgrader's ``generate_assignment`` makes of a source notebook, without its database:
    locked cells locked, solutions replaced by the stub, hidden tests removed, outputs cleared,
    checksums computed. The hand-out keeps nbgrader's metadata, so ``nbgrader autograde`` can grade
    it."""
    try:
        from nbgrader.preprocessors import (
            CheckCellMetadata,
            ClearHiddenTests,
            ClearMarkScheme,
            ClearOutput,
            ClearSolutions,
            ComputeChecksums,
            LockCells,
        )
    except (
        ImportError
    ) as e:  # pragma: no cover - nbgrader is in the `test` extra, which `make` installs
        raise SystemExit(f"make student needs nbgrader (pip install -e '.[test]'): {e}") from None
    nb = copy.deepcopy(source_nb)
    resources: dict = {}
    steps = [
        LockCells(),
        ClearSolutions(code_stub={"python": "\n".join(STUB_LINES)}, text_stub=TEXT_STUB),
        ClearOutput(),
        CheckCellMetadata(),
        ComputeChecksums(),
        ClearHiddenTests(),
        ClearMarkScheme(),
        ComputeChecksums(),
        CheckCellMetadata(),
    ]
    for pp in steps:
        nb, resources = pp.preprocess(nb, resources)
    return nb


def student_notebook(nb, notebook_name: str = "", home: Path | None = None):
    """The student hand-out of an instructor notebook: nbgrader's release notebook (see
    :func:`release_notebook`) of :func:`nbgrader_notebook`."""
    return release_notebook(nbgrader_notebook(nb, notebook_name or "ex", home))


def checker_module(nb, notebook_name: str) -> str:
    """The exercise module a notebook imports as ``check`` (e.g. "ex01")."""
    for c in nb.cells:
        m = re.search(r"from toolkit\.exercises import (ex\d+) as check", c.source)
        if c.cell_type == "code" and m:
            return m.group(1)
    return "ex" + notebook_name[:2]


def check_call(nb, i: int) -> tuple[int, str, str]:
    """(cell index, exercise id, answer expression) of the checker call of exercise cell ``i``: in
    the same cell after the solution, or in the next cell."""
    after = nb.cells[i].source.split(END)[-1]
    for k, text in ((i, after), (i + 1, nb.cells[i + 1].source if i + 1 < len(nb.cells) else "")):
        for line in text.split("\n"):
            m = CHECK_CALL.match(line)
            if m:
                return k, m.group(1), m.group(2).strip()
    raise ValueError(
        f"exercise cell {i} has no `check.qN(answer)` line after its solution (in the cell "
        f"or the next one): the grader needs one to know what to grade"
    )


# The grader's fresh interpreter: imports the instructor's checker (and with it numpy / torch)
# BEFORE it unpickles the student's answer, so nothing the student did in their kernel (or does in
# their code) changes the functions the checker compares with; exit 0 = accepted, 3 = rejected (the
# checker printed why).
RUNNER = r"""
import importlib, os, pickle, sys
home, module, qid = sys.argv[1:4]
sys.path.insert(0, os.path.dirname(home))
os.environ["TOOLKIT_STRICT_CHECKS"] = "0"
import numpy, torch, toolkit
if os.path.realpath(os.path.dirname(toolkit.__file__)) != os.path.realpath(home):
    sys.exit("grader: imported toolkit from %s, not the instructor's %s" % (toolkit.__file__, home))
exercise = getattr(importlib.import_module("toolkit.exercises." + module), qid)
answer = pickle.loads(sys.stdin.buffer.read())
sys.exit(0 if exercise.check(answer) is True else 3)
"""


def hidden_test(qid: str, module: str, answer: str, home: Path, title: str) -> str:
    """Source of the locked test cell of one exercise: a visible comment naming the graded name,
    then the hidden test. The hidden test sends ``answer`` (an expression of the notebook's
    namespace) with cloudpickle to a fresh Python interpreter that runs the instructor's checker
    from ``home`` (the toolkit folder) under a time limit, and asserts that it accepted the
    answer."""
    return f"""# Autograded test of {title}: {POINTS} point. The grader checks `{answer}` (keep that name for your
# answer), in a fresh Python process with the instructor's checker. Leave this cell as it is.
### BEGIN HIDDEN TESTS
def _grade_{qid}(get_answer):
    import os, subprocess, sys
    try:
        answer = get_answer()
    except NameError as e:
        print(f"[check.{qid}] Graded: the name `{answer}` ({title}). Your notebook defines no `{answer}` "
              f"({{e}}). If you renamed it, give your answer the name `{answer}` again; if the exercise "
              f"still says `raise NotImplementedError()`, replace that with your code and run the cell.")
        return False
    try:
        import cloudpickle
        payload = cloudpickle.dumps(answer)
    except Exception as e:  # noqa: BLE001
        print(f"[check.{qid}] Your `{answer}` could not be sent to the grader ({{type(e).__name__}}: {{e}}). "
              f"Define it with plain Python, NumPy and torch objects.")
        return False
    fast = os.environ.get("TOOLKIT_FAST", "0").strip().lower() in ("1", "true", "yes", "on")
    limit = float(os.environ.get("TOOLKIT_GRADER_TIMEOUT", 240 if fast else 900))
    env = dict(os.environ, PYTHONPATH={str(Path(home).parent)!r})
    try:
        r = subprocess.run([sys.executable, "-c", {RUNNER!r}, {str(home)!r}, {module!r}, {qid!r}],
                           input=payload, capture_output=True, timeout=limit, env=env)
    except subprocess.TimeoutExpired:
        print(f"[check.{qid}] Time limit: checking your `{answer}` took more than {{limit:g}} s and was "
              f"stopped (an endless loop?). No point for this exercise.")
        return False
    print(r.stdout.decode(errors="replace")[-6000:])
    if r.returncode not in (0, 3):
        print(f"[check.{qid}] The grader failed (exit {{r.returncode}}):", r.stderr.decode(errors="replace")[-3000:])
    return r.returncode == 0


assert _grade_{qid}(lambda: {answer}) is True, "check.{qid}: the instructor's checker did not accept `{answer}` (its message is above)"
### END HIDDEN TESTS"""


def nbgrader_notebook(nb, notebook_name: str, home: Path | None = None):
    """The nbgrader source notebook: markers inside function bodies, solution metadata on exercise
    cells, a locked autograded test cell after each exercise. ``home``: the instructor's toolkit
    folder."""
    import nbformat

    home = Path(home) if home is not None else ROOT / "toolkit"
    module = checker_module(nb, notebook_name)
    nb = copy.deepcopy(nb)
    inserts = []
    for k, i in enumerate(exercise_cells(nb), 1):
        where, qid, answer = check_call(nb, i)
        c = nb.cells[i]
        c.source = markers_inside_functions(c.source)
        c.metadata["nbgrader"] = {
            "solution": True,
            "grade": False,
            "locked": False,
            "grade_id": f"{qid}_answer",
            "schema_version": 3,
        }
        heading = next(
            (
                h.group(1)
                for j in range(i - 1, -1, -1)
                if nb.cells[j].cell_type == "markdown"
                for h in [re.search(r"###\s*(Exercise \d+)", nb.cells[j].source)]
                if h
            ),
            f"exercise {k}",
        )
        test = nbformat.v4.new_code_cell(
            hidden_test(qid, module, answer, home, f"{heading}, check.{qid}")
        )
        test.metadata["nbgrader"] = {
            "solution": False,
            "grade": True,
            "locked": True,
            "points": POINTS,
            "grade_id": f"{qid}_test",
            "schema_version": 3,
        }
        inserts.append((where + 1, test))
    for pos, cell in reversed(inserts):
        nb.cells.insert(pos, cell)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    return nb


NBGRADER_CONFIG = """# nbgrader course directory of the course kit, written by `make grade-release` (tools/release.py).
# PRIVATE: source/ holds the reference solutions and the hidden tests, gradebook.db and autograded/ the
# grades. Hand out only release/<assignment>/ (after `nbgrader generate_assignment`) or the kit's student/.
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.root = str(HERE)
c.CourseDirectory.course_id = {course_id!r}
# the same stub as `make student`, so both hand-outs are the same notebooks
c.ClearSolutions.code_stub = {{"python": {stub!r}}}

# Grading runs the students' notebooks with its own data folder (checkpoints trained while grading land
# there, never in the kit's data/) and prints no progress bars. Set TOOLKIT_DATA before `nbgrader
# autograde` to use another folder, e.g. a copy of the kit's data/ to load its nets instead of training.
os.environ.setdefault("TOOLKIT_DATA", str(HERE / "grading-data"))
os.environ.setdefault("TOOLKIT_BUILD", str(HERE / "grading-build"))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ["TOOLKIT_STRICT_CHECKS"] = "0"   # checkers print feedback; the test cells decide the points

# A submission without nbgrader's grade cells (e.g. a notebook copied from elsewhere, or one whose cell
# metadata was lost) would be graded 0 in silence: stop loudly instead, naming the student and notebook.
from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds, NbGraderPreprocessor,
                                    OverwriteCells, OverwriteKernelspec)


class RequireGradeCells(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        if not any(cell.metadata.get("nbgrader", {{}}).get("grade") for cell in nb.cells):
            info = resources.get("nbgrader", {{}})
            raise ValueError(
                f"student {{info.get('student')!r}}, notebook {{info.get('notebook')!r}}: the submission has no "
                f"nbgrader grade cells, so nothing in it can be graded. Was it handed out from `make student` / "
                f"release/ (nbgrader's hand-out)? Ask the student to copy their answers into that notebook.")
        return nb, resources


c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, RequireGradeCells,
                                      OverwriteCells, CheckCellMetadata]

# Seconds per cell: the longest cell trains nets. Fast size (TOOLKIT_FAST=1): a few seconds per cell;
# classroom size (the default) on a 2-core CPU: minutes (docs/INSTRUCTOR.md, "Grading").
FAST = os.environ.get("TOOLKIT_FAST", "0").strip().lower() in ("1", "true", "yes", "on")
c.Execute.timeout = {fast_timeout} if FAST else {classroom_timeout}
"""

COURSE_README = """PRIVATE nbgrader course directory of the course kit (written by `make grade-release`).

source/     the instructor notebooks: reference solutions and hidden tests. Never hand these out.
release/    after `nbgrader generate_assignment <notebook>`: what students get (no solutions).
The hidden tests import the instructor's checkers from {home}; run `make grade-release` again after
moving the kit. Step by step: docs/INSTRUCTOR.md, section "Grading".
"""


def write_course(
    course: Path,
    notebooks: list[Path] | None = None,
    home: Path | None = None,
    fast_timeout: int = 300,
    classroom_timeout: int = 1800,
) -> list[str]:
    """Write the nbgrader course directory ``course`` (config + one source assignment per notebook);
    returns the assignment names. Existing gradebook and submissions are left alone."""
    import nbformat

    course = Path(course).resolve()
    home = Path(home).resolve() if home is not None else ROOT / "toolkit"
    notebooks = (
        notebooks
        if notebooks is not None
        else sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    )
    (course / "source").mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(
        NBGRADER_CONFIG.format(
            course_id=COURSE_ID,
            stub="\n".join(STUB_LINES),
            fast_timeout=int(fast_timeout),
            classroom_timeout=int(classroom_timeout),
        )
    )
    (course / "README.txt").write_text(COURSE_README.format(home=home))
    names = []
    for p in notebooks:
        nb = nbformat.read(p, as_version=4)
        out = course / "source" / p.stem / p.name
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbgrader_notebook(nb, p.stem, home), out)
        names.append(p.stem)
    return names


# What the students' branch holds: the package and its install files, the docs, the Colab setting
# and tool. Never the instructor notebooks, the release/grading tools, the plain keys
# (tools/exercise_keys.py) or tests.
BRANCH_FILES = (
    "README.md",
    "pyproject.toml",
    "environment.yml",
    "constraints.txt",
    "LICENSE",
    ".gitignore",
    "tools/notebook_setup.py",
    "tools/colab_links.py",
)
BRANCH_DIRS = ("toolkit", "docs", "data")


def student_branch(out: Path, repo: str, branch: str = "student") -> list[str]:
    """Write the tree of the students' branch to ``out``: the files in BRANCH_FILES / BRANCH_DIRS
    tracked by git, and the hand-out (``student_notebook``) as ``notebooks/``, every Colab badge and
    setup cell pointed at ``repo``@``branch``. Returns the files written. Publish it with git
    (docs/INSTRUCTOR.md)."""
    import shutil
    import subprocess

    import nbformat

    out = Path(out).resolve()
    if out == ROOT or ROOT in out.parents and not str(out.relative_to(ROOT)).startswith("build"):
        raise SystemExit(f"--student-branch {out}: write it outside the kit or under build/")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    if out.exists():
        shutil.rmtree(out)
    written = []
    for f in tracked:
        if f in BRANCH_FILES or f.split("/")[0] in BRANCH_DIRS:
            (out / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, out / f)
            written.append(f)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nbformat.write(
            student_notebook(nbformat.read(p, as_version=4), p.stem), out / "notebooks" / p.name
        )
        written.append(f"notebooks/{p.name}")
    spec = __import__("importlib.util").util.spec_from_file_location(
        "colab_links", ROOT / "tools" / "colab_links.py"
    )
    colab_links = __import__("importlib.util").util.module_from_spec(spec)
    spec.loader.exec_module(colab_links)
    colab_links.set_repo(repo, branch, out)
    bad = colab_links.check(out)
    if bad:
        raise SystemExit("\n".join(bad))
    return written


def main() -> int:
    import nbformat

    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", default="student", help="student hand-out folder (default: student)")
    ap.add_argument(
        "--nbgrader",
        action="store_true",
        help="write the instructor's nbgrader course directory instead (see --course)",
    )
    ap.add_argument(
        "--course",
        default="build/nbgrader",
        help="nbgrader course directory (default: "
        "build/nbgrader); must not lie inside the hand-out folder",
    )
    ap.add_argument(
        "--student-branch",
        metavar="DIR",
        help="write the tree of the students' branch to DIR "
        "(the hand-out as notebooks/, the package, no instructor notebook or key); needs --repo",
    )
    ap.add_argument(
        "--repo", help="owner/name of the GitHub repository students open (with --student-branch)"
    )
    ap.add_argument("--branch", default="student", help="the students' branch (default: student)")
    args = ap.parse_args()
    if args.student_branch:
        if not args.repo:
            ap.error(
                "--student-branch needs --repo owner/name (make student-branch REPO=owner/name)"
            )
        out = Path(args.student_branch)
        out = out if out.is_absolute() else ROOT / out
        files = student_branch(out, args.repo, args.branch)
        print(
            f"students' branch tree ({len(files)} files) -> {out}; Colab links -> "
            f"{args.repo}@{args.branch}.\n"
            f"Publish it (docs/INSTRUCTOR.md, 'Handing out on Colab'):\n  cd {out} && git init -q "
            "&& "
            f"git checkout -q -b {args.branch} && git add -A && git commit -qm 'hand-out' && "
            f"git push --force git@github.com:{args.repo}.git {args.branch}"
        )
        return 0
    if args.nbgrader:
        course, hand_out = (ROOT / args.course).resolve(), (ROOT / args.out).resolve()
        if course == hand_out or hand_out in course.parents:
            raise SystemExit(
                f"--course {args.course} lies inside the hand-out folder {args.out}: the "
                f"course directory holds the solutions; put it elsewhere (e.g. build/nbgrader)"
            )
        for name in write_course(course):
            print(f"{name}: nbgrader source -> {course / 'source' / name / (name + '.ipynb')}")
        print(
            f"PRIVATE (solutions inside): {course}. Next (make grade-release does it): cd "
            f"{args.course} "
            f'&& nbgrader generate_assignment "*" (docs/INSTRUCTOR.md, Grading)'
        )
        return 0
    out = (ROOT / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(p, as_version=4)
        n = len(exercise_cells(nb))
        nbformat.write(student_notebook(nb, p.stem), out / p.name)
        print(f"{p.name}: {n} exercise(s) stubbed, locked test cells -> {out / p.name}")
    print(
        f"Hand out {out}: nbgrader's release notebooks (the same as `nbgrader "
        "generate_assignment`), "
        f"gradable with `make grade-release` + `nbgrader autograde` (docs/INSTRUCTOR.md, Grading)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
