"""Run the course notebooks in a real JupyterLab in headless Chromium and check the widgets.

    python tools/browser_check.py                     # all notebooks, fast size, fresh data folder
    python tools/browser_check.py 01 05 --size classroom --keep-data

What it checks, per notebook, in the browser a student uses (``make lab``):

1. *Run All* finishes and no cell has an error output.
2. Every widget renders as a widget: no "Error displaying widget", no bare ``VBox(children=...)``
   text (the sign of a missing widget manager), and tqdm progress bars (``fit``'s) render as
   progress widgets.
3. Plots update in place: in every cell whose widget output holds a picture, one control is moved (a
   dropdown gets another option, a slider's handle gets arrow keys); the picture must change and the
   number of pictures in the cell must stay the same (redrawn, not appended). Screenshots before and
   after go to ``--out``.

This is an on-demand check (it needs Chromium and the ``playwright`` Python package; it is not part
of ``make test``; ``make browser-check`` installs playwright and runs it). It uses the system's
Chromium (Debian: ``apt-get install chromium``; or ``--chromium PATH``), else playwright's own
(``python -m playwright install chromium``). Exit status 1 if any check fails.

Notebooks are copied to ``--out`` first, so the repository's notebooks stay free of outputs, and by
default the nets are trained into a fresh data folder there (so progress bars appear);
``--keep-data`` uses ``$TOOLKIT_DATA``/``data`` and its cached checkpoints instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# JS run in the page: the notebook model's error outputs and the cells' execution state.
JS_STATE = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const cells = nb.content.model.cells;
  const out = {errors: [], pending: 0, code: 0};
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    out.code += 1;
    if (c.executionCount === null) out.pending += 1;
    for (const o of c.outputs.toJSON()) {
      if (o.output_type === 'error') out.errors.push({cell: i, ename: o.ename, evalue: o.evalue});
    }
  }
  out.busy = nb.sessionContext.session?.kernel?.status !== 'idle';
  return out;
}"""


# JS: progress bars as the kernel sent them. tqdm's widget bars are display_data outputs with a
# widget view and a "12/630 [" text form; a bar printed as text (tqdm without ipywidgets) is a
# stream with "%|".
JS_BARS = r"""() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const views = window.jupyterapp.shell.currentWidget.content.widgets;
  const out = {widget_bars: 0, text_bars: 0, unrendered: []};
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    let expected = 0;
    for (const o of c.outputs.toJSON()) {
      const plain = String((o.data || {})['text/plain'] || '');
      const isWidget = !!(o.data && o.data['application/vnd.jupyter.widget-view+json']);
      if (isWidget && /\d+\/\d+ \[/.test(plain)) out.widget_bars += 1;
      else if (isWidget) expected += 1;
      if (o.output_type === 'stream' && (/\d+%\|/.test(String(o.text)) || String(o.text).includes('IProgress not found')))
        out.text_bars += 1;
    }
    // Widgets other than (closed) progress bars must be on the page as widget views.
    const rendered = [...views[i].node.querySelectorAll('.jp-OutputArea-output')]
      .filter(e => !e.classList.contains('lm-mod-hidden') && e.querySelector('.jupyter-widgets')
                   && !e.querySelector('.jupyter-widgets-error-widget')).length;
    if (rendered < expected) out.unrendered.push({cell: i, expected, rendered});
  }
  return out;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(workdir: Path, env: dict, port: int, token: str, log: Path) -> subprocess.Popen:
    settings = workdir / "_lab_settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True, exist_ok=True)
    # Render every cell (no virtual scrolling) so the check sees the whole notebook.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = dict(env, JUPYTERLAB_SETTINGS_DIR=str(workdir / "_lab_settings"))
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        "--expose-app-in-browser",
        f"--ServerApp.root_dir={workdir}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI machines run as root
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    import urllib.request

    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"jupyter lab exited; see {log}") from None
            time.sleep(1)
    proc.terminate()
    raise SystemExit(f"jupyter lab did not start in 120 s; see {log}")


def cell_snapshot(cell) -> dict:
    return cell.evaluate("""(c) => {
      const imgs = [...c.querySelectorAll('.jp-OutputArea-output img')].map(i => i.src.length + ':' + i.src.slice(-80));
      const wimgs = [...c.querySelectorAll('.widget-output img')].map(i => i.src.length + ':' + i.src.slice(-80));
      const tb = [...c.querySelectorAll('.widget-output .jp-OutputArea-output')].some(e => e.innerText.includes('Traceback'));
      return {imgs, wimgs, traceback: tb};
    }""")


def move_control(page, cell) -> str | None:
    """Move the first dropdown (to another option) or slider (arrow keys) in ``cell``; return what
    was done."""
    selects = cell.query_selector_all(".jp-OutputArea-output select")
    for sel in selects:
        options = sel.evaluate("(s) => [...s.options].map(o => o.value)")
        current = sel.evaluate("(s) => s.value")
        others = [o for o in options if o != current]
        if others:
            label = sel.evaluate(
                "(s) => s.closest('.widget-dropdown')?.querySelector('label')?.innerText || ''"
            )
            sel.select_option(others[-1])
            return f"dropdown {label!r}: {current!r} -> {others[-1]!r}"
    handles = cell.query_selector_all(".jp-OutputArea-output .noUi-handle")
    for h in handles:
        label = h.evaluate(
            "(e) => e.closest('.widget-slider')?.querySelector('label')?.innerText || ''"
        )
        h.scroll_into_view_if_needed()
        h.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(150)
        return f"slider {label!r}: 3 steps right"
    return None


def check_notebook(page, base: str, name: str, out: Path, timeout_s: int) -> list[str]:
    problems: list[str] = []
    page.goto(f"{base}/lab/tree/{name}")
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
        "&& window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel",
        timeout=120_000,
    )
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
        " === 'idle'",
        timeout=120_000,
    )
    t0 = time.time()
    # Not awaited (the command's promise settles only when every cell has run): poll while it runs.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_timeout(2000)
    max_progress = 0  # fit's bars close when training ends (leave=False): count them while it runs
    progress_sel = ".jp-NotebookPanel:not(.lm-mod-hidden) .widget-hprogress"
    while True:
        n = page.locator(progress_sel).count()
        if n and not max_progress:
            bar = page.locator(progress_sel).first
            try:
                bar.scroll_into_view_if_needed(timeout=2000)
                bar.locator(
                    "xpath=ancestor::div[contains(@class,'jp-OutputArea-output')][1]"
                ).screenshot(path=str(out / f"{Path(name).stem}_progress.png"), timeout=2000)
            except Exception:  # noqa: BLE001 - the bar may close between count and screenshot
                pass
        max_progress = max(max_progress, n)
        st = page.evaluate(JS_STATE)
        if st["errors"]:
            break
        if st["pending"] == 0 and not st["busy"]:
            break
        if time.time() - t0 > timeout_s:
            problems.append(
                f"{name}: not finished after {timeout_s} s ({st['pending']} cells pending)"
            )
            break
        page.wait_for_timeout(250)
    page.wait_for_timeout(1500)  # let the last widget views render
    run_s = time.time() - t0
    for e in st["errors"]:
        problems.append(f"{name}: cell {e['cell']} raised {e['ename']}: {e['evalue'][:200]}")
    text = page.inner_text(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    for bad in (
        "Error displaying widget",
        "HBox(children=",
        "VBox(children=",
        "IntProgress(value=",
        "FloatProgress(value=",
    ):
        if bad in text:
            problems.append(f"{name}: widget not rendered (page shows {bad!r})")
    n_widgets = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jupyter-widgets").count()
    n_error_views = page.locator(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jupyter-widgets-error-widget"
    ).count()
    if n_error_views:
        problems.append(
            f"{name}: {n_error_views} widgets show the error icon (the widget manager could not "
            "render them; see the browser console)"
        )
    n_progress = max(max_progress, page.locator(progress_sel).count())
    bars = page.evaluate(JS_BARS)
    if bars["text_bars"]:
        problems.append(
            f"{name}: {bars['text_bars']} progress bars printed as text, not widgets "
            "(tqdm could not use ipywidgets)"
        )
    for u in bars["unrendered"]:
        problems.append(
            f"{name}: cell {u['cell']}: {u['expected']} widgets sent by the kernel, "
            f"{u['rendered']} rendered on the page"
        )
    if bars["widget_bars"] and not n_progress and run_s > 60:
        problems.append(
            f"{name}: {bars['widget_bars']} progress bars were displayed by the kernel, none "
            "rendered in the page"
        )
    stem = Path(name).stem
    page.screenshot(path=str(out / f"{stem}_full.png"), full_page=False)

    moved = 0
    cells = page.query_selector_all(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")
    for i, cell in enumerate(cells):
        before = cell_snapshot(cell)
        if not before["wimgs"]:
            continue
        cell.scroll_into_view_if_needed()
        cell.screenshot(path=str(out / f"{stem}_cell{i:02d}_before.png"))
        what = move_control(page, cell)
        if what is None:
            continue
        after = before
        for _ in range(120):  # up to 60 s for the callback (it may compute)
            page.wait_for_timeout(500)
            after = cell_snapshot(cell)
            if after["wimgs"] and after["wimgs"] != before["wimgs"]:
                break
        cell.screenshot(path=str(out / f"{stem}_cell{i:02d}_after.png"))
        ok_changed = after["wimgs"] != before["wimgs"] and bool(after["wimgs"])
        ok_inplace = len(after["imgs"]) == len(before["imgs"])
        status = "ok" if ok_changed and ok_inplace and not after["traceback"] else "FAIL"
        print(
            f"  cell {i}: {what}; pictures {len(before['imgs'])} -> {len(after['imgs'])}, "
            f"changed={ok_changed} -> {status}"
        )
        if not ok_changed:
            problems.append(f"{name}: cell {i}: the plot did not change after {what}")
        if not ok_inplace:
            problems.append(
                f"{name}: cell {i}: {len(before['imgs'])} pictures became {len(after['imgs'])} "
                f"after {what} (appended, not redrawn in place)"
            )
        if after["traceback"]:
            problems.append(
                f"{name}: cell {i}: the widget callback printed a traceback after {what}"
            )
        moved += 1
    print(
        f"{name}: ran in {run_s:.0f} s; {n_widgets} widgets, {bars['widget_bars']} progress bars "
        "displayed "
        f"({n_progress} caught rendering), "
        f"{moved} interactive plots moved; {'ok' if not problems else 'PROBLEMS'}"
    )
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_timeout(1000)
    page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")
    page.wait_for_timeout(1000)
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", help="notebook numbers or names (default: all)")
    ap.add_argument("--size", choices=["fast", "classroom"], default="fast")
    ap.add_argument("--out", default=str(ROOT / "build" / "browser"))
    ap.add_argument(
        "--chromium",
        default=shutil.which("chromium") or shutil.which("chromium-browser"),
        help="Chromium to drive (default: the system's; else playwright's own browser)",
    )
    ap.add_argument(
        "--keep-data", action="store_true", help="use the usual data folder and its checkpoints"
    )
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per notebook")
    args = ap.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print(
            "needs the playwright package: pip install playwright (and Chromium: apt-get install "
            "chromium)"
        )
        return 2
    if args.chromium and not Path(args.chromium).exists():
        print(f"no Chromium at {args.chromium}: apt-get install chromium, or pass --chromium PATH")
        return 2

    nbs = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        nbs = [p for p in nbs if any(p.name.startswith(k) or p.stem == k for k in args.notebooks)]
    out = Path(args.out)
    work = out / "notebooks"
    work.mkdir(parents=True, exist_ok=True)
    for p in nbs:
        shutil.copy(p, work / p.name)
    env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline")
    env.pop("TQDM_DISABLE", None)
    if args.size == "fast":
        env["TOOLKIT_FAST"] = "1"
    else:
        env.pop("TOOLKIT_FAST", None)
    if not args.keep_data:
        data = out / "data"
        shutil.rmtree(data, ignore_errors=True)
        env["TOOLKIT_DATA"] = str(data)
        shared = ROOT.parent / "shared" / "data" / "mnist-t10k"
        if shared.is_dir():  # the same real test digits as `make course`
            subprocess.run(
                [sys.executable, "-m", "toolkit.data", "import-idx", str(shared)],
                env=env,
                check=False,
                stdout=subprocess.DEVNULL,
            )
    port, token = free_port(), uuid.uuid4().hex
    lab = start_lab(work, env, port, token, out / "jupyterlab.log")
    problems: list[str] = []
    try:
        with sync_playwright() as pw:
            try:
                browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_FLAGS)
            except Exception as e:  # noqa: BLE001 - no system Chromium and no playwright browser
                raise SystemExit(  # noqa: B904 - the message says what to install
                    f"could not start Chromium ({str(e).splitlines()[0]}): install one with "
                    "`apt-get install chromium` or `python -m playwright install chromium`"
                )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/lab?token={token}")
            page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.started !== undefined",
                timeout=120_000,
            )
            for p in nbs:
                problems += check_notebook(
                    page, f"http://127.0.0.1:{port}", p.name, out, args.timeout
                )
            browser.close()
    finally:
        lab.terminate()
        lab.wait(timeout=30)
    print()
    if problems:
        print("PROBLEMS:")
        for pr in problems:
            print("  " + pr)
        return 1
    print(f"all {len(nbs)} notebooks ran in JupyterLab with working widgets; screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
