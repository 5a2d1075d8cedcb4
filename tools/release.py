"""Student release: copy the notebooks with every solution replaced by a stub.

    python tools/release.py [--out student] [--nbgrader]

Between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's markers) a solution that is one
function keeps its ``def`` line and gets the body ``raise NotImplementedError(...)``; any other solution
becomes ``raise NotImplementedError(...)``. Outputs are cleared. With ``--nbgrader`` it also writes
``<out>/nbgrader-source/`` with nbgrader cell metadata on exercise cells (solution + grade_id), ready for
``nbgrader generate_assignment``.
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("Exercise: replace this line with your code")'


def _stub_block(block: list[str], indent: str) -> list[str]:
    code = [l for l in block if l.strip() and not l.strip().startswith("#")]
    if code and code[0].lstrip().startswith("def "):
        def_indent = code[0][: len(code[0]) - len(code[0].lstrip())]
        # one function only: everything after the signature is indented deeper
        start = block.index(code[0])
        sig_end = start
        while not block[sig_end].split("#")[0].rstrip().endswith(":"):
            sig_end += 1
            if sig_end >= len(block):
                break
        rest = [l for l in block[sig_end + 1:] if l.strip()]
        if sig_end < len(block) and all(l.startswith(def_indent + " ") or l.startswith(def_indent + "\t")
                                        for l in rest):
            body = def_indent + "    "
            return block[start:sig_end + 1] + [f"{body}# YOUR CODE HERE", f"{body}{STUB}"]
    return [f"{indent}# YOUR CODE HERE", f"{indent}{STUB}"]


def strip_solutions(source: str) -> str:
    """Replace each solution block of a code cell's source by a stub (see module docstring)."""
    lines = source.split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == BEGIN:
            indent = line[: len(line) - len(line.lstrip())]
            j = i + 1
            while j < len(lines) and lines[j].strip() != END:
                j += 1
            if j == len(lines):
                raise ValueError(f"'{BEGIN}' without '{END}' in:\n{source}")
            out += _stub_block(lines[i + 1:j], indent)
            i = j + 1
            continue
        if line.strip() == END:
            raise ValueError(f"'{END}' without '{BEGIN}' in:\n{source}")
        out.append(line)
        i += 1
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


def nbgrader_notebook(nb):
    nb = copy.deepcopy(nb)
    for k, i in enumerate(exercise_cells(nb), 1):
        m = re.search(r"check\.(q\d+)", nb.cells[i].source)
        gid = m.group(1) if m else f"exercise{k}"
        nb.cells[i].metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False,
                                            "grade_id": gid, "schema_version": 3}
    return nb


def main() -> int:
    import nbformat

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="student")
    ap.add_argument("--nbgrader", action="store_true")
    args = ap.parse_args()
    out = (ROOT / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(p, as_version=4)
        n = len(exercise_cells(nb))
        nbformat.write(student_notebook(nb), out / p.name)
        if args.nbgrader:
            src = out / "nbgrader-source" / "course"
            src.mkdir(parents=True, exist_ok=True)
            nbformat.write(nbgrader_notebook(nb), src / p.name)
        print(f"{p.name}: {n} exercise(s) stubbed -> {out / p.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
