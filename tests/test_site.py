"""The course website (tools/build_site.py; `make site-check` runs this file; `make test` deselects
it).

From a fast, offline course run (tools/run_course.py with TOOLKIT_FAST=1 TOOLKIT_OFFLINE=1, into
build/site-test/course; reused while its notebooks are newer than the course's, or taken from
$SITE_EXECUTED), both sites are built and checked: the instructor site opens from file:// in
headless Chromium with the network cut off, every page loads with no console error and no request,
every internal link resolves, every image renders, math is typeset, and Sphinx's search finds
notebook 05's circle evidence; the student site holds no solution. Screenshots: build/browser/site/.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_site  # noqa: E402

pytestmark = pytest.mark.site
WORK = ROOT / "build" / "site-test"
SHOTS = ROOT / "build" / "browser" / "site"
COURSE = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BUILD_LIMIT_S = 120
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"  # nbgrader's markers (tools/release.py)


def _fresh(folder: Path) -> bool:
    return all(
        (folder / "notebooks" / p.name).exists()
        and (folder / "notebooks" / p.name).stat().st_mtime > p.stat().st_mtime
        for p in COURSE
    )


@pytest.fixture(scope="module")
def executed() -> Path:
    if os.environ.get("SITE_EXECUTED"):
        return Path(os.environ["SITE_EXECUTED"]).resolve()
    course = WORK / "course"
    if _fresh(course):
        return course
    env = dict(
        os.environ,
        TOOLKIT_FAST="1",
        TOOLKIT_OFFLINE="1",
        TOOLKIT_DATA=str(WORK / "data"),
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONPATH=str(ROOT),
    )
    env.pop("TOOLKIT_BUILD", None)
    t0 = time.perf_counter()
    # 01 trains and caches the nets the others load; then the rest in two processes (2 cores),
    # balanced by their fast-size run times (03+04+02 and 05+06, about 3 minutes each on one core).
    WORK.mkdir(parents=True, exist_ok=True)
    for groups in ((["01"],), (["03", "04", "02"], ["05", "06"])):
        logs = [WORK / f"course-{'-'.join(g)}.log" for g in groups]
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "tools" / "run_course.py"),
                    "--out",
                    str(course),
                    "--only",
                    *g,
                ],
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
            for g, log in zip(groups, logs)
        ]
        for pr, log in zip(procs, logs):
            pr.wait()
            assert pr.returncode == 0, log.read_text()[-4000:]
    print(f"fast course run: {time.perf_counter() - t0:.0f} s")
    return course


@pytest.fixture(scope="module")
def site(executed) -> dict:
    s = build_site.build(executed, WORK / "site")
    print(json.dumps(s))
    return s


@pytest.fixture(scope="module")
def student_site(executed) -> dict:
    s = build_site.build(executed, WORK / "site-student", student=True)
    print(json.dumps(s))
    return s


def _text(p: Path) -> str:
    """What a reader sees of a page (tags dropped: highlighted code is split into spans)."""
    return html.unescape(re.sub(r"<[^>]+>", "", p.read_text(errors="replace")))


def test_missing_executed_notebooks_say_what_to_run(tmp_path):
    with pytest.raises(build_site.SiteError, match="make course"):
        build_site.build(tmp_path / "nothing", tmp_path / "site")


def test_every_page_is_built_in_time(site):
    out = Path(site["site"])
    assert site["seconds"] <= BUILD_LIMIT_S, (
        f"site built in {site['seconds']} s (limit {BUILD_LIMIT_S} s)"
    )
    want = (
        ["index.html", "results.html", "search.html"]
        + [f"notebooks/{p.stem}.html" for p in COURSE]
        + [f"docs/{d.replace('.md', '.html')}" for d in build_site.DOCS]
    )
    for w in want:
        assert (out / w).exists(), f"no page {w}"
    # every notebook page shows its executed outputs: figures inline, from the site's own files
    for p in COURSE:
        page = (out / "notebooks" / f"{p.stem}.html").read_text()
        assert re.search(r'<img[^>]+src="\.\./_images/[^"]+\.png"', page), (
            f"{p.stem}: no figure on the page"
        )
        assert "cell_output" in page, f"{p.stem}: no outputs"
    # notebook 05's circle evidence table (controls beside the trained filters), as the course
    # printed it
    nb5 = _text(out / "notebooks" / "05_filter_topology.html")
    assert "3 clumps on a ring" in nb5 and "64 ideal filters" in nb5 and "death/birth" in nb5


def test_landing_page_and_results_page(site, executed):
    out = Path(site["site"])
    index = _text(out / "index.html")
    readme = (ROOT / "README.md").read_text()
    for p in (
        COURSE
    ):  # the README's class times, and a Colab link per notebook to the configured repository
        row = next(l for l in readme.splitlines() if l.startswith(f"| `{p.stem}`"))
        assert row.rstrip(" |").split("|")[-1].strip() in index
        assert build_site.notebook_setup.colab_url(p.name) in (out / "index.html").read_text()
    assert "make lab" in index and "Colab" in index
    results = _text(out / "results.html")
    for p in COURSE:
        res = executed / "results" / f"{p.stem}.json"
        if res.exists():
            for k in json.loads(res.read_text()):
                assert k in results, f"results page lacks {p.stem}: {k}"


def test_colab_launch_button_and_local_badge(site):
    out = Path(site["site"])
    for p in COURSE:
        page = (out / "notebooks" / f"{p.stem}.html").read_text()
        assert build_site.notebook_setup.colab_url(p.name) in page, (
            f"{p.stem}: no Colab launch link"
        )
        assert "colab-badge.svg" in page and build_site.COLAB_BADGE_URL not in page


def test_nothing_is_loaded_from_the_network_and_links_resolve(site):
    problems = build_site.static_problems(Path(site["site"]))
    assert not problems, "\n".join(problems[:30])


def test_static_check_catches_a_cdn_script_and_a_broken_link(tmp_path):
    (tmp_path / "a.html").write_text(
        '<script src="https://cdn.example.org/x.js"></script><a href="b.html">b</a>'
        '<a href="a.html#nope">x</a>'
    )
    problems = build_site.static_problems(tmp_path)
    assert len(problems) == 3, problems


def test_widgets_become_static_snapshots(site):
    out = Path(site["site"])
    pages = [(out / "notebooks" / f"{p.stem}.html").read_text() for p in COURSE]
    assert site["widgets_frozen"] >= 1
    assert (
        sum(build_site.SNAPSHOT_NOTE.split(".")[-2].strip() in html.unescape(pg) for pg in pages)
        >= 1
    )
    assert not any("widget-view+json" in pg or "embed-amd" in pg for pg in pages)


def test_site_in_chromium_offline(site):
    """Every page from file://, network off: no console error, no request, images render, math
    typeset, the left-hand table of contents; search finds the circle evidence of notebook 05."""
    res = build_site.browser_check(Path(site["site"]), SHOTS)
    assert not res["problems"], "\n".join(res["problems"][:30])
    assert res["pages"] >= 12
    assert (SHOTS / "search.png").exists() and (SHOTS / "notebooks_05_filter_topology.png").exists()


def _solution_lines(handout: Path) -> set[str]:
    """Lines of the instructor's solutions (between the nbgrader markers) that appear nowhere else
    in the course notebooks and nowhere in the hand-out (which keeps a solution function's ``def``
    line on purpose): what a student must not find."""
    sol, other = set(), set()
    for p in handout.rglob("[0-9][0-9]_*.ipynb"):
        other |= {
            l.strip() for c in nbformat.read(p, as_version=4).cells for l in c.source.splitlines()
        }
    for p in COURSE:
        for c in nbformat.read(p, as_version=4).cells:
            inside = False
            for line in c.source.splitlines():
                s = line.strip()
                if s.startswith(BEGIN):
                    inside = True
                elif s.startswith(END):
                    inside = False
                elif inside:
                    sol.add(s)
                else:
                    other.add(s)
    return {s for s in sol - other if len(s) >= 20 and not s.startswith("#")}


def test_student_site_holds_no_solution(site, student_site):
    lines = _solution_lines(WORK / "site-student-handout")
    assert len(lines) >= 5, "the course's solutions should be found (the test would check nothing)"
    files = [
        p
        for p in Path(student_site["site"]).rglob("*")
        if p.is_file() and p.suffix in (".html", ".js", ".txt", ".ipynb", ".md", ".json")
    ]
    texts = {p: (_text(p) if p.suffix == ".html" else p.read_text(errors="replace")) for p in files}
    for p, t in texts.items():
        assert "BEGIN SOLUTION" not in t, f"{p}: holds a solution marker"
        leaked = [s for s in lines if s in t]
        assert not leaked, f"{p}: holds solution lines {leaked[:3]}"
    assert not (Path(student_site["site"]) / "docs" / "INSTRUCTOR.html").exists()
    # the control: the instructor site does show them, so the search above could have found them
    inst = "".join(_text(p) for p in Path(site["site"]).rglob("notebooks/*.html"))
    assert sum(s in inst for s in lines) >= len(lines) // 2
    # and the student site keeps the executed figures of the cells it shares with the course
    assert re.search(
        r'src="\.\./_images/',
        (Path(student_site["site"]) / "notebooks" / "05_filter_topology.html").read_text(),
    )


def test_widget_snapshot_from_saved_state(tmp_path):
    """A widget whose state nbclient saved becomes its picture, its control values and the note; the
    saved state (which would make myst-nb load ipywidgets from a CDN) is dropped."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "# a slider and a plot\n%matplotlib inline\nimport ipywidgets as w, matplotlib.pyplot "
            "as plt\n"
            "def f(n, c):\n    plt.plot(range(n), color=c); plt.show()\n"
            "w.interact(f, n=w.IntSlider(value=3, min=1, max=9, description='n'), "
            "c=w.Dropdown(options=['red', 'blue'], value='blue', description='c'));"
        )
    ]
    NotebookClient(
        nb,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    assert "widgets" in nb.metadata, "nbclient saved no widget state"
    assert build_site.freeze_widgets(nb) == 1
    outs = nb.cells[0].outputs
    note = outs[0]["data"]["text/plain"]
    assert note.startswith(build_site.SNAPSHOT_NOTE) and "n = 3 (from 1 to 9)" in note, note
    assert "c = blue (one of red, blue)" in note, note
    assert any("image/png" in o.get("data", {}) for o in outs[1:]), (
        "the picture the widget drew is lost"
    )
    assert "widgets" not in nb.metadata
    assert not any(build_site.WIDGET_VIEW in o.get("data", {}) for o in outs)
