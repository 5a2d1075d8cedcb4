"""Releases of the notebooks: the student hand-out, and an nbgrader course directory for the instructor.

    python tools/release.py [--out student]                    # make student: the hand-out
    python tools/release.py --nbgrader [--course build/nbgrader] # make grade-release: instructor only

Student hand-out (``student/``): between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's
markers) a solution that is one function keeps its ``def`` line and gets the body ``# YOUR CODE HERE`` +
``raise NotImplementedError()``; any other solution becomes those two lines. Outputs are cleared. The
hand-out holds no solution and nothing that grades.

nbgrader course directory (``build/nbgrader/``, PRIVATE: it holds the solutions): ``nbgrader_config.py``
and ``source/<notebook>/<notebook>.ipynb``, one assignment per notebook, named after it. In the source
notebooks the solution markers of a one-function solution are moved INSIDE the function body, so that
nbgrader's ClearSolutions keeps the signature and writes the same stub as the hand-out. After every
exercise a locked, autograded test cell (1 point) is inserted; its hidden part (removed from what
students get) loads the instructor's checker afresh from the instructor's toolkit folder, recorded here
when the course directory is written, and asserts that it accepts the student's answer. So a student who
patches ``check.q1`` or ``toolkit`` in their kernel changes nothing the grader uses.
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB_LINES = ["# YOUR CODE HERE", "raise NotImplementedError()"]   # nbgrader's own stub: one stub for both
STUB = STUB_LINES[1]
POINTS = 1            # points per exercise
COURSE_ID = "nn-topology"
CHECK_CALL = re.compile(r"^\s*check\.(q\d+)\((.+)\)\s*;?\s*(#.*)?$")


def _single_function(block: list[str]) -> tuple[int, int] | None:
    """(index of the ``def`` line, index of the line ending the signature) if ``block`` is exactly one
    function definition (leading comments allowed), else None."""
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
    rest = [l for l in block[sig_end + 1:] if l.strip()]
    if rest and all(l.startswith(def_indent + " ") or l.startswith(def_indent + "\t") for l in rest):
        return start, sig_end
    return None


def _stub_block(block: list[str], indent: str) -> list[str]:
    fn = _single_function(block)
    if fn is not None:
        start, sig_end = fn
        def_indent = block[start][: len(block[start]) - len(block[start].lstrip())]
        return block[start:sig_end + 1] + [def_indent + "    " + l for l in STUB_LINES]
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
            yield "solution", (indent, lines[i + 1:j])
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
    """Move the solution markers of every one-function solution inside its body (after the signature),
    so that nbgrader's ClearSolutions keeps the ``def`` line; other solutions are left as they are."""
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
        lead = [body_indent + l.strip() for l in block[:start] if l.strip()]   # comments before the def
        out += [*block[start:sig_end + 1], body_indent + BEGIN, *lead, *block[sig_end + 1:],
                body_indent + END]
    return "\n".join(out)


def exercise_cells(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and BEGIN in c.source]


def student_notebook(nb):
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        if c.cell_type == "code":
            c.source = strip_solutions(c.source)
            c.outputs, c.execution_count = [], None
    return nb


def checker_module(nb, notebook_name: str) -> str:
    """The exercise module a notebook imports as ``check`` (e.g. "ex01")."""
    for c in nb.cells:
        m = re.search(r"from toolkit\.exercises import (ex\d+) as check", c.source)
        if c.cell_type == "code" and m:
            return m.group(1)
    return "ex" + notebook_name[:2]


def check_call(nb, i: int) -> tuple[int, str, str]:
    """(cell index, exercise id, answer expression) of the checker call of exercise cell ``i``: in the
    same cell after the solution, or in the next cell."""
    after = nb.cells[i].source.split(END)[-1]
    for k, text in ((i, after), (i + 1, nb.cells[i + 1].source if i + 1 < len(nb.cells) else "")):
        for line in text.split("\n"):
            m = CHECK_CALL.match(line)
            if m:
                return k, m.group(1), m.group(2).strip()
    raise ValueError(f"exercise cell {i} has no `check.qN(answer)` line after its solution (in the cell "
                     f"or the next one): the grader needs one to know what to grade")


def hidden_test(qid: str, module: str, answer: str, home: Path, title: str) -> str:
    """Source of the locked test cell of one exercise: a visible comment, then the hidden test, which
    loads the instructor's checker afresh from ``home`` (the toolkit folder) and asserts it accepts
    ``answer`` (an expression of the notebook's namespace)."""
    return f'''# Autograded test of {title} ({POINTS} point). Leave this cell as it is: when grading, the
# instructor's copy of this cell runs the instructor's checker on your answer.
### BEGIN HIDDEN TESTS
def _grade_{qid}(student_answer):
    # The instructor's checker, imported afresh from the instructor's toolkit folder under a private name,
    # not from this kernel, where `check` or `toolkit` may have been changed.
    import importlib, importlib.util, sys
    pkg, home = "_grader_toolkit", {str(home)!r}
    for name in [m for m in sys.modules if m == pkg or m.startswith(pkg + ".")]:
        del sys.modules[name]
    spec = importlib.util.spec_from_file_location(pkg, home + "/__init__.py", submodule_search_locations=[home])
    sys.modules[pkg] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sys.modules[pkg])
    exercise = importlib.import_module(pkg + ".exercises.{module}").{qid}
    try:
        answer = student_answer()
    except NameError as e:
        print(f"[{qid}] Not done yet: {{e}}. Replace `raise NotImplementedError()` in the exercise cell "
              f"with your code and run it.")
        return False
    return exercise.check(answer)


assert _grade_{qid}(lambda: {answer}) is True, "{qid}: the instructor's checker did not accept the answer (see its message above)"
### END HIDDEN TESTS'''


def nbgrader_notebook(nb, notebook_name: str, home: Path | None = None):
    """The nbgrader source notebook: markers inside function bodies, solution metadata on exercise
    cells, a locked autograded test cell after each exercise. ``home``: the instructor's toolkit folder."""
    import nbformat

    home = Path(home) if home is not None else ROOT / "toolkit"
    module = checker_module(nb, notebook_name)
    nb = copy.deepcopy(nb)
    inserts = []
    for k, i in enumerate(exercise_cells(nb), 1):
        where, qid, answer = check_call(nb, i)
        c = nb.cells[i]
        c.source = markers_inside_functions(c.source)
        c.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False,
                                  "grade_id": f"{qid}_answer", "schema_version": 3}
        heading = next((h.group(1) for j in range(i - 1, -1, -1) if nb.cells[j].cell_type == "markdown"
                        for h in [re.search(r"###\s*(Exercise \d+)", nb.cells[j].source)] if h), f"exercise {k}")
        test = nbformat.v4.new_code_cell(hidden_test(qid, module, answer, home, f"{heading}, check.{qid}"))
        test.metadata["nbgrader"] = {"solution": False, "grade": True, "locked": True, "points": POINTS,
                                     "grade_id": f"{qid}_test", "schema_version": 3}
        inserts.append((where + 1, test))
    for pos, cell in reversed(inserts):
        nb.cells.insert(pos, cell)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    return nb


NBGRADER_CONFIG = '''# nbgrader course directory of the course kit, written by `make grade-release` (tools/release.py).
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

# Seconds per cell: the longest cell trains nets. Fast size (TOOLKIT_FAST=1): a few seconds per cell;
# classroom size (the default) on a 2-core CPU: minutes (docs/INSTRUCTOR.md, "Grading").
FAST = os.environ.get("TOOLKIT_FAST", "0").strip().lower() in ("1", "true", "yes", "on")
c.Execute.timeout = {fast_timeout} if FAST else {classroom_timeout}
'''

COURSE_README = """PRIVATE nbgrader course directory of the course kit (written by `make grade-release`).

source/     the instructor notebooks: reference solutions and hidden tests. Never hand these out.
release/    after `nbgrader generate_assignment <notebook>`: what students get (no solutions).
The hidden tests import the instructor's checkers from {home}; run `make grade-release` again after
moving the kit. Step by step: docs/INSTRUCTOR.md, section "Grading".
"""


def write_course(course: Path, notebooks: list[Path] | None = None, home: Path | None = None,
                 fast_timeout: int = 300, classroom_timeout: int = 1800) -> list[str]:
    """Write the nbgrader course directory ``course`` (config + one source assignment per notebook);
    returns the assignment names. Existing gradebook and submissions are left alone."""
    import nbformat

    course = Path(course).resolve()
    home = Path(home).resolve() if home is not None else ROOT / "toolkit"
    notebooks = notebooks if notebooks is not None else sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    (course / "source").mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(
        course_id=COURSE_ID, stub="\n".join(STUB_LINES), fast_timeout=int(fast_timeout),
        classroom_timeout=int(classroom_timeout)))
    (course / "README.txt").write_text(COURSE_README.format(home=home))
    names = []
    for p in notebooks:
        nb = nbformat.read(p, as_version=4)
        out = course / "source" / p.stem / p.name
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbgrader_notebook(nb, p.stem, home), out)
        names.append(p.stem)
    return names


def main() -> int:
    import nbformat

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="student", help="student hand-out folder (default: student)")
    ap.add_argument("--nbgrader", action="store_true",
                    help="write the instructor's nbgrader course directory instead (see --course)")
    ap.add_argument("--course", default="build/nbgrader", help="nbgrader course directory (default: "
                    "build/nbgrader); must not lie inside the hand-out folder")
    args = ap.parse_args()
    if args.nbgrader:
        course, hand_out = (ROOT / args.course).resolve(), (ROOT / args.out).resolve()
        if course == hand_out or hand_out in course.parents:
            raise SystemExit(f"--course {args.course} lies inside the hand-out folder {args.out}: the "
                             f"course directory holds the solutions; put it elsewhere (e.g. build/nbgrader)")
        for name in write_course(course):
            print(f"{name}: nbgrader source -> {course / 'source' / name / (name + '.ipynb')}")
        print(f"PRIVATE (solutions inside): {course}. Next (make grade-release does it): cd {args.course} "
              f'&& nbgrader generate_assignment "*" (docs/INSTRUCTOR.md, Grading)')
        return 0
    out = (ROOT / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(p, as_version=4)
        n = len(exercise_cells(nb))
        nbformat.write(student_notebook(nb), out / p.name)
        print(f"{p.name}: {n} exercise(s) stubbed -> {out / p.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
