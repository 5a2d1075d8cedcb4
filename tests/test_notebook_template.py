"""Every notebook follows the course template (docs/DEVELOPING.md), checked on its structure, not
its words.

The template, in order:
  1. the first cell: an H1 title "# NN · Title", the Colab badge, a **Learning objectives** block
     followed by a list, and "**Estimated time:** N minutes" (or "N-M minutes");
  2. the setup cell of tools/notebook_setup.py as the first code cell;
  3. numbered sections "## 1. Title (N min)", "## 2. ...", consecutive, each with its time; the
     section times add up to the estimated time (or fall inside its range);
  4. graded exercises as "### Exercise N (graded)" or "### Exercise N (graded, judgement)",
     optionally followed by ": subject", numbered 1, 2, ... in the order they appear, each inside a
     numbered section;
  5. one demo pattern: a "### Interactive: ..." heading followed by a code cell calling
     ``widgets.interactive_plot`` (no hand-wired ``widgets.Output`` / ``.observe`` in notebook
     code);
  6. "## Key results", with a code cell calling ``report.key_results``; then "## Summary"; then
     "## Further reading" -- the last three headings of level 2, in this order;
  7. every code cell opens with a comment line saying what it does (an exercise cell may open with
     nbgrader's "### BEGIN SOLUTION" marker).
The README's notebook table gives the same estimated time as the notebook.
"""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location(
    "notebook_setup", ROOT / "tools" / "notebook_setup.py"
)
setup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(setup)
NOTEBOOKS = setup.notebooks()
EXPECTED = [
    "01_train",
    "02_heatmaps",
    "03_activation_clustering",
    "04_mapper",
    "05_filter_topology",
    "06_circle_pretraining",
]

TIME = re.compile(r"\*\*Estimated time:?\*\*:?\s*(\d+)(?:\s*[-–]\s*(\d+))?\s*min")
SECTION = re.compile(r"^## (\d+)\. .+ \((?:optional, )?(\d+)(?:\s*[-–]\s*(\d+))? min\)$")
EXERCISE = re.compile(r"^### Exercise (\d+) \(graded(?:, judgement)?\)(?:: .+)?$")
TAIL = ["## Key results", "## Summary", "## Further reading"]


def headings(nb):
    """[(cell index, level, text)] of every markdown heading, in order."""
    out = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != "markdown":
            continue
        fence = False
        for line in c.source.splitlines():
            if line.startswith("```"):
                fence = not fence
            m = re.match(r"^(#{1,6}) ", line)
            if m and not fence:
                out.append((i, len(m.group(1)), line.rstrip()))
    return out


def estimated_time(text: str) -> tuple[int, int]:
    m = TIME.search(text)
    assert m, "the first cell needs '**Estimated time:** N minutes' (or N-M minutes)"
    lo = int(m.group(1))
    return lo, int(m.group(2) or lo)


def readme_times() -> dict:
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        m = re.match(r"^\| `(\d\d_\w+)` \|.*\| (\d+)(?:\s*[-–]\s*(\d+))? min \|$", line)
        if m:
            rows[m.group(1)] = (int(m.group(2)), int(m.group(3) or m.group(2)))
    return rows


def test_the_course_has_its_notebooks():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_first_cell_and_setup(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert re.match(rf"^# {path.stem[:2]} · \S", first.source), (
        "the title '# NN · Title' comes first"
    )
    assert setup.colab_badge(path.name) in first.source
    start, end = first.source.find("**Learning objectives"), first.source.find("**Estimated time")
    assert 0 <= start < end, "a **Learning objectives** block, then the **Estimated time:**"
    items = re.findall(r"^\s*(?:[-*]|\d+\.) \S", first.source[start:end], re.M)
    assert len(items) >= 3, "the learning objectives are a list of at least three items"
    estimated_time(first.source)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source == setup.SETUP_CELL, "run: python tools/notebook_setup.py --apply"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_sections_are_numbered_and_timed(path):
    nb = nbformat.read(path, as_version=4)
    h2 = [(i, t) for i, lvl, t in headings(nb) if lvl == 2]
    numbered = [t for _, t in h2 if re.match(r"^## \d", t)]
    bad = [t for t in numbered if not SECTION.match(t)]
    assert not bad, f"numbered sections need '## N. Title (M min)': {bad}"
    nums = [int(SECTION.match(t).group(1)) for t in numbered]
    assert nums == list(range(1, len(nums) + 1)) and len(nums) >= 3, (
        f"sections numbered 1, 2, ...: {nums}"
    )
    lo = sum(int(SECTION.match(t).group(2)) for t in numbered)
    hi = sum(int(SECTION.match(t).group(3) or SECTION.match(t).group(2)) for t in numbered)
    t_lo, t_hi = estimated_time(nb.cells[0].source)
    assert t_lo <= hi and lo <= t_hi, (
        f"the section times add up to {lo}-{hi} min but the estimated time is {t_lo}-{t_hi} min"
    )
    others = [t for _, t in h2 if not re.match(r"^## \d", t)]
    assert others == TAIL, f"after the numbered sections come exactly {TAIL}; found {others}"
    assert [t for _, t in h2[-3:]] == TAIL, (
        "Key results, Summary, Further reading close the notebook"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_exercises_are_graded_and_numbered(path):
    nb = nbformat.read(path, as_version=4)
    hs = headings(nb)
    ex = [t for _, _, t in hs if re.search(r"\bexercise\b", t, re.I) and t.startswith("#")]
    bad = [t for t in ex if not EXERCISE.match(t)]
    assert not bad, f"exercise headings must read '### Exercise N (graded)[: subject]': {bad}"
    nums = [int(EXERCISE.match(t).group(1)) for t in ex]
    assert nums == list(range(1, len(nums) + 1)) and nums, (
        f"exercises numbered 1, 2, ... in order: {nums}"
    )
    assert any("judgement" in t for t in ex), (
        "one exercise of judgement, marked '(graded, judgement)'"
    )
    first_section = next(i for i, (_, lvl, t) in enumerate(hs) if lvl == 2 and SECTION.match(t))
    key = next(i for i, (_, lvl, t) in enumerate(hs) if t == "## Key results")
    at = [i for i, (_, _, t) in enumerate(hs) if EXERCISE.match(t)]
    assert all(first_section < i < key for i in at), "every exercise sits inside a numbered section"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_one_demo_pattern_and_key_results(path):
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    wired = [
        s.splitlines()[0]
        for s in code
        if re.search(r"widgets\.Output\(|\.observe\(|\binteract\(", s)
    ]
    assert not wired, f"demos use widgets.interactive_plot, not hand-wired widgets: {wired}"
    hs = headings(nb)
    demos = [i for i, lvl, t in hs if lvl == 3 and t.startswith("### Interactive: ")]
    assert demos, "a '### Interactive: ...' heading introduces the demo"
    for i in demos:
        nxt = next(c for c in nb.cells[i + 1 :] if c.cell_type == "code")
        assert "interactive_plot(" in nxt.source, (
            f"the code after '{nb.cells[i].source[:40]}' calls interactive_plot"
        )
    key = next(i for i, lvl, t in hs if t == "## Key results")
    nxt = next(c for c in nb.cells[key + 1 :] if c.cell_type == "code")
    assert "report.key_results(" in nxt.source, "the Key results section calls report.key_results"


def uncommented_cells(nb) -> list:
    """Ids (or indices) of code cells whose first line is not a comment."""
    return [
        c.get("id", i)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and not c.source.lstrip().startswith("#")
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_code_cell_opens_with_a_comment(path):
    bad = uncommented_cells(nbformat.read(path, as_version=4))
    assert not bad, f"code cells without a leading '# what this cell does' line: {bad}"


def test_readme_gives_the_notebooks_times():
    rows = readme_times()
    assert sorted(rows) == EXPECTED, f"README's notebook table rows: {sorted(rows)}"
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert rows[path.stem] == estimated_time(nb.cells[0].source), (
            f"{path.stem}: README says {rows[path.stem]} min, the notebook "
            f"{estimated_time(nb.cells[0].source)}"
        )


def test_the_checks_can_fail():
    """The structural checks reject a notebook that drifts from the template."""
    good = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "# 07 · X\n\n**Learning objectives**\n- a\n- b\n- c\n\n"
                "**Estimated time:** 20 minutes"
            ),
            nbformat.v4.new_markdown_cell("## 1. A (10 min)\n### Exercise 1 (graded): x"),
            nbformat.v4.new_markdown_cell("## 2. B (10 min)\n### Exercise 2 (graded, judgement)"),
            nbformat.v4.new_markdown_cell("## Key results"),
            nbformat.v4.new_markdown_cell("## Summary"),
            nbformat.v4.new_markdown_cell("## Further reading"),
        ]
    )
    assert [t for _, _, t in headings(good)][-3:] == TAIL
    assert estimated_time(good.cells[0].source) == (20, 20)
    assert not EXERCISE.match("### Exercise 3: a subject")  # "(graded)" missing
    assert not SECTION.match("## 3. A section without a time")
    assert SECTION.match("## 10. Deeper (optional, 5-10 min)")
    with pytest.raises(AssertionError):
        estimated_time("no time here")
    good.cells.append(nbformat.v4.new_code_cell("# A comment first\nx = 1"))
    assert uncommented_cells(good) == []
    good.cells.append(nbformat.v4.new_code_cell("x = 1"))
    assert len(uncommented_cells(good)) == 1
