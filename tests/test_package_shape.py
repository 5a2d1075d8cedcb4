"""The toolkit stays thin (docs/DEVELOPING.md): primitives only, small modules, no import cycle.

Size is counted in Python statements (AST nodes), not lines, so that the formatter's line width
(ruff, 100 characters) and docstrings do not move the budget: 5,000 lines of the 120-column code of
2026-12-02 were about 3,300 statements; the budget leaves room for the input checks and calibrated
tests added since.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "toolkit"
MODULES = sorted(p for p in PKG.glob("*.py"))
MAX_MODULE, MAX_TOTAL = 420, 3600  # statements


def statements(p: Path) -> int:
    """The number of Python statements in module ``p`` (format-independent size)."""
    return sum(isinstance(node, ast.stmt) for node in ast.walk(ast.parse(p.read_text())))


def imports(p: Path) -> set:
    """The toolkit modules that ``p`` imports anywhere (top level or inside functions)."""
    names = {m.stem for m in MODULES}
    out = set()
    for node in ast.walk(ast.parse(p.read_text())):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 1 and not mod:  # from . import x, y
                out |= {a.name for a in node.names if a.name in names}
            elif node.level == 1 or mod.startswith("toolkit"):
                part = mod.split(".")[-1] if mod.startswith("toolkit.") or node.level else ""
                if part in names:
                    out.add(part)
                elif mod == "toolkit":
                    out |= {a.name for a in node.names if a.name in names}
        elif isinstance(node, ast.Import):
            out |= {
                a.name.split(".")[1]
                for a in node.names
                if a.name.startswith("toolkit.") and a.name.split(".")[1] in names
            }
    out.discard(p.stem)
    return out


def test_no_module_is_large():
    big = {p.name: statements(p) for p in MODULES if statements(p) > MAX_MODULE}
    assert not big, (
        f"modules over {MAX_MODULE} statements: {big}; split them or move method code to notebooks"
    )


def test_the_package_is_thin():
    total = sum(statements(p) for p in MODULES)
    assert total <= MAX_TOTAL, (
        f"toolkit/ (without exercises/) has {total} statements; the budget is {MAX_TOTAL}"
    )


def test_no_import_cycle():
    graph = {p.stem: imports(p) for p in MODULES}
    state = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        assert state.get(m) != "open", f"import cycle: {' -> '.join(path + [m])}"
        state[m] = "open"
        for n in sorted(graph[m]):
            visit(n, path + [m])
        state[m] = "done"

    for m in sorted(graph):
        visit(m, [])


def test_the_checks_see_imports(tmp_path):
    p = tmp_path / "x.py"
    p.write_text(
        "from . import train, ensemble\nfrom .data import load\ndef f():\n    import "
        "toolkit.stats\n"
        "    from toolkit import clustering\n"
    )
    assert imports(p) >= {"train", "ensemble", "data", "stats", "clustering"}
