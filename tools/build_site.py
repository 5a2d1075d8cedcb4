"""The course as a website: a searchable book built from the executed notebooks, fully offline.

    python tools/build_site.py                         # build/notebooks (make course) ->
                                                       # build/site/
    python tools/build_site.py --student               # the hand-out notebooks (no solutions) ->
                                                       # build/site-student/
    python tools/build_site.py --executed build/fast --out build/fast-site
    python tools/build_site.py --check build/site      # open it in headless Chromium and check it

``make site`` / ``make site STUDENT=1`` run the first two; ``make site-check`` runs
tests/test_site.py (a fast course run, both builds and the browser check). docs/SITE.md describes
the site.

What goes in (nothing is executed again): the notebooks that ``make course`` (tools/run_course.py)
wrote to ``<executed>/notebooks/`` with their outputs, the key results it wrote to
``<executed>/results/``, the landing page made from README.md (its introduction and notebook table),
docs/INSTRUCTOR.md, REFERENCES.md, FILTER_RECIPE.md and BENCHMARKS.md, and a page with the course's
results table (each notebook's key results and its run time, read from the executed notebook's cell
timings).

The stack is Sphinx + myst-nb + sphinx-book-theme (Jupyter Book 1's, from PyPI: the ``site`` extra).
Nothing on a page is fetched from the network when it is viewed: MathJax 3 (the npm package
``mathjax``, unpacked once into build/site-cache/) is copied into the site, the Colab badge is a
local SVG, the theme's icons and fonts are its own files, and interactive widgets are replaced by a
static snapshot (the picture and control values the notebook was run with, and a note to run the
notebook to move the sliders), because ipywidgets' HTML manager would load its JavaScript from a
CDN. So the site opens from ``file://`` in a classroom with no network, and search works there too
(Sphinx's search index is a local script).

The student site (``--student``) is built from the hand-out notebooks that ``tools/release.py
--out`` writes (solutions stubbed, outputs cleared): a code cell keeps the output of the executed
course only where its source is the same as in the executed notebook (so no output of a solution
cell survives), and the instructor guide is left out.
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebook_setup  # noqa: E402  (REPO and BRANCH: the repository set by `make colab-links`)

MATHJAX_VERSION = "3.2.2"
CACHE = ROOT / "build" / "site-cache"
DOCS = ["INSTRUCTOR.md", "REFERENCES.md", "FILTER_RECIPE.md", "BENCHMARKS.md"]
COLAB_BADGE_URL = "https://colab.research.google.com/assets/colab-badge.svg"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SNAPSHOT_NOTE = (
    "Static snapshot of an interactive widget, drawn with the values below. "
    "Run the notebook to move the sliders."
)

# The "Open in Colab" badge, drawn here so that no page loads an image from the network.
COLAB_BADGE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20" role="img" aria-label="Open in Colab">
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="117" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="30" height="20" fill="#555"/><rect x="30" width="87" height="20" fill="#f9ab00"/><rect width="117" height="20" fill="url(#s)"/></g>
<g transform="translate(7 5)"><circle cx="5" cy="5" r="4.2" fill="none" stroke="#f9ab00" stroke-width="2.2"/><circle cx="12" cy="5" r="4.2" fill="none" stroke="#e8710a" stroke-width="2.2"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="73.5" y="14">Open in Colab</text></g>
</svg>
"""


class SiteError(SystemExit):
    """A clear stop: what is missing and what to do."""


# ----------------------------------------------------------------------------------------------
# inputs
def executed_notebooks(executed: Path) -> list[Path]:
    """The executed course notebooks under ``executed/notebooks``, one per course notebook, with
    outputs.

    Stops with what to run when any is missing or was not executed."""
    course = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    folder = executed / "notebooks"
    missing = [p.name for p in course if not (folder / p.name).exists()]
    if missing:
        raise SiteError(
            f"no executed notebooks for {', '.join(missing)} in {folder}.\n"
            "The site shows the notebooks as `make course` ran them (it executes nothing itself): "
            "run `make course` first (classroom size), or `TOOLKIT_FAST=1 make course` for a quick "
            "pass, or pass --executed FOLDER (a folder written by tools/run_course.py --out "
            "FOLDER)."
        )
    import nbformat

    out = []
    for p in course:
        nb = nbformat.read(folder / p.name, as_version=4)
        ran = sum(1 for c in nb.cells if c.cell_type == "code" and c.get("execution_count"))
        if not ran:
            raise SiteError(
                f"{folder / p.name} has no executed cells: run `make course` (or "
                "tools/run_course.py "
                f"--out {executed}) to execute it."
            )
        out.append(folder / p.name)
    return out


def run_seconds(nb) -> float | None:
    """Wall time of an executed notebook from nbclient's cell timings (first cell started -> last
    replied)."""
    starts, ends = [], []
    for c in nb.cells:
        t = c.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in t and "shell.execute_reply" in t:
            starts.append(datetime.fromisoformat(t["iopub.execute_input"].replace("Z", "+00:00")))
            ends.append(datetime.fromisoformat(t["shell.execute_reply"].replace("Z", "+00:00")))
    if not starts:
        return None
    return (max(ends) - min(starts)).total_seconds()


def size_of_run(nb) -> str:
    """The size the notebook ran at, from the setup cell's ``config.describe()`` line ('fast',
    'classroom')."""
    for c in nb.cells:
        for o in c.get("outputs", []):
            m = re.search(r"sizes=(\w+)", str(o.get("text", "")))
            if m:
                return m.group(1)
    return "?"


def readme_parts() -> tuple[str, str, str]:
    """(title, introduction, notebook table) of README.md."""
    text = (ROOT / "README.md").read_text()
    lines = text.splitlines()
    title = lines[0].lstrip("# ").strip()
    body = lines[1:]
    t0 = next(i for i, l in enumerate(body) if l.startswith("| notebook"))
    t1 = next(i for i in range(t0, len(body)) if not body[i].startswith("|"))
    intro = "\n".join(body[:t0]).strip()
    table = body[t0:t1]
    after = []
    for l in body[t1:]:
        if l.startswith("#"):
            break
        after.append(l)
    return title, intro, "\n".join(table) + "\n\n" + "\n".join(after).strip()


# ----------------------------------------------------------------------------------------------
# widgets
def _model_refs(value) -> list[str]:
    if isinstance(value, str) and value.startswith("IPY_MODEL_"):
        return [value[len("IPY_MODEL_") :]]
    if isinstance(value, list):
        return [r for v in value for r in _model_refs(v)]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _model_refs(v)]
    return []


def widget_snapshot(model_id: str, state: dict) -> tuple[list[str], list[dict]]:
    """The control values (text lines) and the outputs (nbformat output dicts) of widget
    ``model_id`` and its children, read from the notebook's saved widget state."""
    controls, outputs, seen = [], [], set()

    def walk(mid):
        if mid in seen or mid not in state:
            return
        seen.add(mid)
        m = state[mid]
        name, s = m.get("model_name", ""), m.get("state", {})
        if name == "OutputModel":
            outputs.extend(s.get("outputs", []))
        elif ("value" in s or "_options_labels" in s) and not name.endswith(
            ("LayoutModel", "StyleModel")
        ):
            label = s.get("description") or name.replace("Model", "")
            value = s.get("value")
            if name in ("DropdownModel", "SelectModel", "RadioButtonsModel", "ToggleButtonsModel"):
                labels = s.get("_options_labels", [])
                idx = s.get("index")
                value = labels[idx] if isinstance(idx, int) and idx < len(labels) else value
                rng = f" (one of {', '.join(map(str, labels))})" if labels else ""
            elif "min" in s and "max" in s:
                rng = f" (from {s['min']} to {s['max']})"
            else:
                rng = ""
            if name not in ("HTMLModel", "LabelModel", "HTMLMathModel", "ButtonModel"):
                controls.append(f"{label.rstrip(':')} = {value}{rng}")
        for ref in _model_refs({k: v for k, v in s.items() if k not in ("layout", "style")}):
            walk(ref)

    walk(model_id)
    return controls, outputs


def freeze_widgets(nb) -> int:
    """Replace every widget view output by a static snapshot (a note, its control values, its
    pictures) and drop the saved widget state (myst-nb would load ipywidgets' JavaScript from a CDN
    for it). Returns the number of widgets frozen."""
    import nbformat

    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        new = []
        for o in cell.get("outputs", []):
            view = (
                o.get("data", {}).get(WIDGET_VIEW)
                if o.get("output_type") in ("display_data", "execute_result")
                else None
            )
            if view is None:
                new.append(o)
                continue
            n += 1
            controls, outs = widget_snapshot(view.get("model_id", ""), state)
            lines = [SNAPSHOT_NOTE] + [f"  {c}" for c in controls]
            if not state:
                lines = [
                    "Interactive widget (its state was not saved in this run). Run the notebook to "
                    "move "
                    "the sliders."
                ]
            note = "".join(f"<div>{html.escape(l)}</div>" for l in lines)
            new.append(
                nbformat.v4.new_output(
                    "display_data",
                    data={
                        "text/html": f'<div class="widget-snapshot">{note}</div>',
                        "text/plain": "\n".join(lines),
                    },
                )
            )
            for wo in outs:
                new.append(nbformat.from_dict(wo))
        cell.outputs = new
    nb.metadata.pop("widgets", None)
    return n


# ----------------------------------------------------------------------------------------------
# pages
def prepare_notebook(nb, *, badge_rel: str):
    """Make one executed notebook ready for the site: local Colab badge, frozen widgets, no widget
    state."""
    for c in nb.cells:
        if c.cell_type == "markdown" and COLAB_BADGE_URL in c.source:
            c.source = c.source.replace(COLAB_BADGE_URL, badge_rel)
    freeze_widgets(nb)
    for c in nb.cells:
        for o in c.get("outputs", []):
            if isinstance(o.get("data", {}).get("text/html"), str):
                o["data"]["text/html"] = localize_html(o["data"]["text/html"], "../_static")
    return nb


def student_notebook(handout, executed):
    """The hand-out notebook with the executed outputs of the code cells whose source it shares
    unchanged (a stubbed solution cell differs, so it keeps no output)."""
    done = {}
    for c in executed.cells:
        if c.cell_type == "code":
            done.setdefault(c.source, c)
    nb = copy.deepcopy(handout)
    for c in nb.cells:
        if c.cell_type == "code" and c.source in done:
            c.outputs = copy.deepcopy(done[c.source].get("outputs", []))
            c.execution_count = done[c.source].get("execution_count")
        elif c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    nb.metadata["widgets"] = executed.metadata.get("widgets", {})
    return nb


def md_escape(text: str) -> str:
    """Plain text for a Markdown table cell (no emphasis, links, math or cell breaks made of it)."""
    return re.sub(r"([\\`*_\[\]|<>#~$&])", r"\\\1", str(text)).replace("\n", " ")


def results_page(nbs: dict[str, object], results: Path) -> str:
    rows = [
        "# Results of the course run",
        "",
        "What `make course` measured when it executed the notebooks shown on this site: each "
        "notebook's "
        "run time (from the executed notebook's cell timings) and the key results it recorded "
        "(`toolkit.report.key_results`). The size is the one the course ran at (`fast` is the "
        "smoke-test "
        "size of CI; `classroom` is the default).",
        "",
        "| notebook | size | run time (min) | key results |",
        "|---|---|---|---|",
    ]
    total = 0.0
    for stem, nb in nbs.items():
        secs = run_seconds(nb)
        total += secs or 0
        f = results / f"{stem}.json"
        res = json.loads(f.read_text()) if f.exists() else {}
        items = (
            "<br>".join(md_escape(f"{k} = {v}") for k, v in res.items())
            or "(no key results recorded)"
        )
        mins = f"{secs / 60:.1f}" if secs is not None else "?"
        rows.append(f"| [{stem}](notebooks/{stem}.ipynb) | {size_of_run(nb)} | {mins} | {items} |")
    rows.append(f"| **total** | | {total / 60:.1f} | |")
    return "\n".join(rows) + "\n"


def landing_page(student: bool, nb_titles: dict[str, str]) -> str:
    title, intro, table = readme_parts()

    def link(m):
        stem = m.group(1)
        return f"| [{nb_titles.get(stem, stem)}](notebooks/{stem}.ipynb) |"

    table = re.sub(r"^\| `(\d\d_\w+)` \|", link, table, flags=re.M)
    colab = "\n".join(
        f"- [{nb_titles.get(s, s)}]({notebook_setup.colab_url(s + '.ipynb')})" for s in nb_titles
    )
    who = (
        "This is the **student edition**: the exercises are left for you to solve."
        if student
        else "The notebooks are shown as `make course` ran them, outputs and figures included."
    )
    return f"""# {title}

{intro}

## The notebooks

{table}

{who}

## How to start

**On your own machine** (Linux or macOS, Python 3.10-3.12, no GPU needed):

```bash
git clone {notebook_setup.REPO_URL}.git
cd {notebook_setup.REPO.split("/")[-1]}
make lab        # creates .venv, then opens JupyterLab on the notebooks
```

**On Colab**: click the *Open in Colab* badge at the top of a notebook page (or the rocket button in the
top bar), run the first cell (it installs the course toolkit in about a minute; no runtime restart), then
run the notebook from the top. Colab links:

{colab}

**Offline** (a classroom with no network): every notebook runs on real data shipped inside the packages,
and this site works without network too (open `index.html`).
"""


def write_conf(src: Path, title: str, student: bool) -> None:
    conf = f"""# Generated by tools/build_site.py: edit that file, not this one.
project = {title!r}
author = "the course authors"
copyright = "the course authors"
extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
html_theme = "sphinx_book_theme"
html_title = {(title + (" (student edition)" if student else ""))!r}
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_last_updated_fmt = None
html_show_sourcelink = False
smartquotes = False                 # key results and code names are shown as printed
html_show_search_summary = False    # summaries are fetched from the pages, which browsers refuse on file://
html_context = {{"default_mode": "light"}}
html_copy_source = True            # the download button offers each page's source (.ipynb, .md)
nb_execution_mode = "off"           # shown as `make course` ran them: nothing is executed again
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "misc.highlighting_failure"]
# MathJax 3 from this site's own folder (no CDN), SVG output: no web fonts to load.
mathjax_path = "mathjax/tex-svg.js"
mathjax3_config = {{"loader": {{"paths": {{"mathjax": "."}}}}, "svg": {{"fontCache": "global"}},
                    "options": {{"enableMenu": False}}}}
html_theme_options = {{
    "repository_url": {notebook_setup.REPO_URL!r},
    "repository_branch": {notebook_setup.BRANCH!r},
    "path_to_docs": "",
    "use_repository_button": False,
    "use_download_button": True,
    "launch_buttons": {{"colab_url": "https://colab.research.google.com"}},
    "home_page_in_toc": True,
    "show_toc_level": 2,
}}
"""
    (src / "conf.py").write_text(conf)


SITE_CSS = """.widget-snapshot { border-left: 4px solid #f9ab00; background: #fff8e6; padding: .4em .8em;
  font-size: .9em; margin: .3em 0; }
.widget-snapshot div:first-child { font-weight: 600; }
"""


# ----------------------------------------------------------------------------------------------
# vendored JS Scripts that notebook outputs load from a CDN (kmapper's Mapper pages), served from
# the site instead: CDN address -> (npm package, file in it, name under _static/vendor/).
VENDORED = {
    "https://cdnjs.cloudflare.com/ajax/libs/d3/6.1.1/d3.js": (
        "d3@6.1.1",
        "dist/d3.min.js",
        "d3.min.js",
    ),
    "https://cdn.jsdelivr.net/npm/file-saver@2.0.2/dist/FileSaver.min.js": (
        "file-saver@2.0.2",
        "dist/FileSaver.min.js",
        "FileSaver.min.js",
    ),
}
# Tags of notebook outputs that only decorate (a web font, a favicon) and are dropped rather than
# fetched.
DROPPED_TAGS = re.compile(r"<link[^>]*(fonts\.googleapis\.com|rel=[\"']icon[\"'])[^>]*>", re.I)


def npm_tarball(spec: str) -> Path:
    """The npm package ``name@version`` as a tarball in build/site-cache/ (fetched once with ``npm
    pack``)."""
    name, version = spec.rsplit("@", 1)
    tgz = CACHE / f"{name.replace('/', '-').lstrip('@')}-{version}.tgz"
    if tgz.exists():
        return tgz
    CACHE.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    if not npm:
        raise SiteError(
            "the site's offline copies of MathJax, d3 and FileSaver are fetched once with npm, "
            "and npm "
            "is not on this machine: install Node.js/npm (Debian: apt-get install npm), or put "
            f"{tgz.name} (from `npm pack {spec}`) into {CACHE}."
        )
    r = subprocess.run(
        [npm, "pack", spec, "--pack-destination", str(CACHE)], capture_output=True, text=True
    )
    if r.returncode or not tgz.exists():
        raise SiteError(
            f"`npm pack {spec}` failed (no network to the npm "
            f"registry?):\n{r.stderr.strip()[-800:]}"
        )
    return tgz


def mathjax_es5() -> Path:
    """The ``es5`` folder of MathJax 3 (tex-svg.js and the TeX extensions), unpacked once into
    build/site-cache/."""
    es5 = CACHE / f"mathjax-{MATHJAX_VERSION}" / "es5"
    if (es5 / "tex-svg.js").exists():
        return es5
    tgz = npm_tarball(f"mathjax@{MATHJAX_VERSION}")
    tmp = CACHE / f"mathjax-{MATHJAX_VERSION}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(tgz) as tf:
        members = [
            m
            for m in tf.getmembers()
            if m.name.startswith("package/es5/")
            and (m.name.endswith("tex-svg.js") or "/input/tex/extensions/" in m.name)
        ]
        tf.extractall(tmp, members=members, filter="data")
    dest = es5.parent
    shutil.rmtree(dest, ignore_errors=True)
    (tmp / "package").rename(dest)
    shutil.rmtree(tmp, ignore_errors=True)
    return es5


def write_vendored(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for spec, member, name in VENDORED.values():
        with tarfile.open(npm_tarball(spec)) as tf:
            (folder / name).write_bytes(tf.extractfile(f"package/{member}").read())


def localize_html(text: str, static_rel: str) -> str:
    """An HTML output with its CDN scripts pointed at the site's copies and its web fonts/favicons
    dropped; also inside an ``<iframe srcdoc=...>`` (kmapper), whose relative addresses resolve
    against the page."""

    def fix(t: str) -> str:
        for url, (_, _, name) in VENDORED.items():
            t = t.replace(url, f"{static_rel}/vendor/{name}")
        return DROPPED_TAGS.sub("", t)

    def fix_srcdoc(m):
        return 'srcdoc="' + html.escape(fix(html.unescape(m.group(1))), quote=True) + '"'

    return fix(re.sub(r'srcdoc="([^"]*)"', fix_srcdoc, text))


# ----------------------------------------------------------------------------------------------
# build
def build(executed: Path, out: Path, student: bool = False, quiet: bool = True) -> dict:
    """Build the site into ``out``; return a summary (pages, seconds, warnings)."""
    import nbformat

    t0 = time.perf_counter()
    nbs = executed_notebooks(executed)
    es5 = mathjax_es5()
    src = out.parent / (out.name + "-src")
    shutil.rmtree(src, ignore_errors=True)
    (src / "notebooks").mkdir(parents=True)
    (src / "docs").mkdir()
    static = src / "_static"
    static.mkdir()
    shutil.copytree(es5, static / "mathjax")
    write_vendored(static / "vendor")
    (static / "colab-badge.svg").write_text(COLAB_BADGE_SVG)
    (static / "site.css").write_text(SITE_CSS)

    handouts = {}
    if student:
        hand = src.parent / (out.name + "-handout")
        shutil.rmtree(hand, ignore_errors=True)
        r = subprocess.run(
            [sys.executable, str(ROOT / "tools" / "release.py"), "--out", str(hand)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if r.returncode:
            raise SiteError(
                f"tools/release.py --out {hand} failed:\n{r.stdout[-1500:]}\n{r.stderr[-1500:]}"
            )
        handouts = {p.name: p for p in hand.rglob("[0-9][0-9]_*.ipynb")}

    done, titles, n_widgets = {}, {}, 0
    for p in nbs:
        nb = nbformat.read(p, as_version=4)
        done[p.stem] = copy.deepcopy(nb)
        if student:
            if p.name not in handouts:
                raise SiteError(f"tools/release.py wrote no hand-out of {p.name}")
            nb = student_notebook(nbformat.read(handouts[p.name], as_version=4), nb)
        n_widgets += sum(
            1 for c in nb.cells for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})
        )
        nb = prepare_notebook(nb, badge_rel="../_static/colab-badge.svg")
        first = nb.cells[0].source.splitlines()[0] if nb.cells else p.stem
        titles[p.stem] = first.lstrip("# ").strip()
        nbformat.write(nb, src / "notebooks" / p.name)

    docs = [d for d in DOCS if not (student and d == "INSTRUCTOR.md")]
    for d in docs:
        shutil.copy(ROOT / "docs" / d, src / "docs" / d)
    (src / "results.md").write_text(results_page(done, executed / "results"))
    title, _, _ = readme_parts()
    index = landing_page(student, titles)
    toc = ["", "```{toctree}", ":hidden:", ":caption: Notebooks", ""]
    toc += [f"notebooks/{s}" for s in titles]
    toc += ["```", "", "```{toctree}", ":hidden:", ":caption: Course", ""]
    toc += [f"docs/{Path(d).stem}" for d in docs if d != "REFERENCES.md"] + ["results"]
    toc += [
        "```",
        "",
        "```{toctree}",
        ":hidden:",
        ":caption: Reference",
        "",
        "docs/REFERENCES",
        "```",
        "",
    ]
    (src / "index.md").write_text(index + "\n".join(toc))
    write_conf(src, title, student)

    shutil.rmtree(out, ignore_errors=True)
    doctrees = src.parent / (out.name + "-doctrees")
    shutil.rmtree(doctrees, ignore_errors=True)
    log = src.parent / (out.name + "-build.log")
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        "-j",
        "auto",
        "-d",
        str(doctrees),
        str(src),
        str(out),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True)
    log.write_text(r.stdout + r.stderr)
    if r.returncode:
        raise SiteError(f"sphinx-build failed (log: {log}):\n{(r.stdout + r.stderr)[-3000:]}")
    warnings = [l for l in (r.stdout + r.stderr).splitlines() if "WARNING" in l]
    (out / ".nojekyll").write_text("")  # GitHub Pages: serve _static/ and _images/ as they are
    secs = time.perf_counter() - t0
    pages = [str(p.relative_to(out)) for p in site_pages(out)]
    summary = {
        "site": str(out),
        "pages": len(pages),
        "seconds": round(secs, 1),
        "warnings": len(warnings),
        "widgets_frozen": n_widgets,
        "student": student,
        "log": str(log),
    }
    return summary


# ----------------------------------------------------------------------------------------------
# checks
EXTERNAL_ATTR = re.compile(
    r"""<(script|link|img|iframe|source|video|audio|embed)\b[^>]*?\b(?:src|href)\s*=\s*["'](https?:)?//""",
    re.I,
)


def site_pages(site: Path) -> list[Path]:
    """The site's pages (not the theme's template fragments under _static/)."""
    return sorted(
        p for p in site.rglob("*.html") if not p.relative_to(site).parts[0].startswith("_")
    )


def static_problems(site: Path) -> list[str]:
    """Pages that would load anything from the network, and internal links that do not resolve."""
    problems = []
    ids_cache: dict[Path, set[str]] = {}

    def ids(p: Path) -> set[str]:
        if p not in ids_cache:
            ids_cache[p] = set(re.findall(r'\bid="([^"]+)"', p.read_text(errors="replace")))
        return ids_cache[p]

    for page in site_pages(site):
        text = page.read_text(errors="replace")
        rel = page.relative_to(site)
        inner = "".join(html.unescape(d) for d in re.findall(r'srcdoc="([^"]*)"', text))
        for m in [*EXTERNAL_ATTR.finditer(text), *EXTERNAL_ATTR.finditer(inner)]:
            problems.append(
                f"{rel}: loads from the network: {m.string[m.start() : m.start() + 160]!r}"
            )
        for m in re.finditer(r"url\((['\"]?)(https?:)?//", text):
            problems.append(
                f"{rel}: CSS url() from the network: {text[m.start() : m.start() + 120]!r}"
            )
        for href in re.findall(r'<a\b[^>]*?\bhref="([^"]*)"', text):
            href = html.unescape(href)
            if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith("//"):
                continue  # http(s), mailto: links are followed by the reader, not loaded
            path, _, frag = href.partition("#")
            target = (page.parent / path).resolve() if path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{rel}: broken link {href!r}")
            elif frag and target.suffix == ".html" and frag not in ids(target):
                problems.append(f"{rel}: link {href!r}: no #{frag} in {target.relative_to(site)}")
    for css in sorted(site.rglob("*.css")):
        for m in re.finditer(r"url\((['\"]?)(https?:)?//[^)]*\)", css.read_text(errors="replace")):
            if "@import" in css.read_text(errors="replace")[max(0, m.start() - 20) : m.start()]:
                problems.append(
                    f"{css.relative_to(site)}: imports from the network: {m.group(0)[:120]}"
                )
    return problems


def browser_check(
    site: Path,
    shots: Path,
    search_term: str = "circle evidence",
    search_page: str = "notebooks/05_filter_topology.html",
    chromium: str | None = None,
) -> dict:
    """Open every page of ``site`` from file:// in headless Chromium with the network cut off;
    return {'pages': n, 'problems': [...], 'search_hits': [...]} and write screenshots to
    ``shots``."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tools"))
    from browser_check import CHROMIUM_FLAGS

    chromium = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    pages = site_pages(site)
    hits: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
        page = ctx.new_page()
        log: list[str] = []
        page.on(
            "console",
            lambda m: log.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: log.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: log.append(f"failed request: {r.url} ({r.failure})"))

        def route(r):
            if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
                return r.continue_()
            log.append(f"network request: {r.request.url}")
            return r.abort()

        ctx.route("**/*", route)
        for p in pages:
            rel = str(p.relative_to(site))
            if rel == "search.html":
                continue
            log.clear()
            page.goto(p.as_uri(), wait_until="load")
            if page.locator("mjx-container, .math").count():
                try:
                    page.wait_for_function(
                        "() => !window.MathJax || !document.querySelector('.math') || "
                        "document.querySelector('mjx-container')",
                        timeout=20_000,
                    )
                except Exception:  # noqa: BLE001
                    problems.append(f"{rel}: math was not rendered by MathJax in 20 s")
            broken = page.evaluate(
                "() => [...document.images].filter(i => i.complete && i.naturalWidth === 0)"
                ".map(i => i.getAttribute('src'))"
            )
            problems += [f"{rel}: image does not render: {b}" for b in broken]
            problems += [f"{rel}: {m}" for m in log]
            if (
                rel.startswith("notebooks/")
                and not page.locator(".bd-sidebar-primary a.reference").count()
            ):
                problems.append(f"{rel}: no table of contents in the left sidebar")
            if rel == "index.html" or rel.startswith("notebooks/") or rel == "results.html":
                page.screenshot(
                    path=str(shots / (rel.replace("/", "_").replace(".html", "") + ".png"))
                )
        # math and a figure, in view
        nb5 = site / search_page
        page.goto(nb5.as_uri() + "#the-density-filtration-x-k-p-10-min", wait_until="load")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(shots / "05_math.png"))
        img = page.locator("img[src*='_images']").nth(3)
        if img.count():
            img.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "05_figure.png"))
        snap = page.locator(".widget-snapshot").first
        if snap.count():
            snap.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "05_widget_snapshot.png"))
        page.goto((site / "notebooks" / "04_mapper.html").as_uri(), wait_until="load")
        frame = page.locator("iframe").first
        if frame.count():
            frame.scroll_into_view_if_needed()
            page.wait_for_timeout(2000)
            page.screenshot(path=str(shots / "04_mapper_graph.png"))
        # search from file://
        log.clear()
        page.goto(
            (site / "search.html").as_uri() + "?q=" + search_term.replace(" ", "+"),
            wait_until="load",
        )
        try:
            page.wait_for_function(
                "() => document.querySelectorAll('#search-results li').length > 0 || "
                "(document.querySelector('#search-results p') || {}).innerText?.includes('did not "
                "match')",
                timeout=30_000,
            )
        except Exception:  # noqa: BLE001
            problems.append("search.html: no search results after 30 s")
        hits = page.evaluate(
            "() => [...document.querySelectorAll('#search-results li a')].map(a => "
            "a.getAttribute('href'))"
        )
        page.screenshot(path=str(shots / "search.png"))
        problems += [f"search.html: {m}" for m in log]
        if not any(h and h.split("#")[0].split("?")[0].endswith(search_page) for h in hits):
            problems.append(
                f"search for {search_term!r} does not find {search_page} (hits: {hits[:8]})"
            )
        browser.close()
    return {"pages": len(pages), "problems": problems, "search_hits": hits}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    ap.add_argument(
        "--executed",
        default="build",
        help="folder written by `make course` (tools/run_course.py "
        "--out): its notebooks/ and results/ (default: build)",
    )
    ap.add_argument(
        "--out", help="site folder (default: build/site, or build/site-student with --student)"
    )
    ap.add_argument(
        "--student", action="store_true", help="build from the hand-out notebooks: no solutions"
    )
    ap.add_argument(
        "--check",
        metavar="SITE",
        help="check a built site in headless Chromium instead of building",
    )
    ap.add_argument(
        "--shots",
        default=str(ROOT / "build" / "browser" / "site"),
        help="screenshots (with --check)",
    )
    ap.add_argument("--chromium", help="Chromium to drive (default: the system's)")
    args = ap.parse_args()
    if args.check:
        site = Path(args.check).resolve()
        probs = static_problems(site)
        res = browser_check(site, Path(args.shots), chromium=args.chromium)
        probs += res["problems"]
        print(
            f"{res['pages']} pages opened from file:// with the network cut off; search hits: "
            f"{res['search_hits'][:5]}"
        )
        for p in probs:
            print("  PROBLEM " + p)
        print("ok" if not probs else f"{len(probs)} problems")
        return 1 if probs else 0
    executed = (
        (ROOT / args.executed).resolve()
        if not Path(args.executed).is_absolute()
        else Path(args.executed)
    )
    out = (
        Path(args.out)
        if args.out
        else ROOT / "build" / ("site-student" if args.student else "site")
    )
    out = (ROOT / out).resolve() if not out.is_absolute() else out
    try:
        s = build(executed, out, student=args.student)
    except SiteError as e:
        print(e.code if isinstance(e.code, str) else e, file=sys.stderr)
        return 2
    print(
        f"{'student ' if s['student'] else ''}site: {s['pages']} pages in {s['seconds']} s "
        f"({s['warnings']} Sphinx warnings, log {s['log']}; {s['widgets_frozen']} widgets as "
        "static "
        f"snapshots)\nopen {out / 'index.html'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
