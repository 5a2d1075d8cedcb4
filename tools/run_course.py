"""Execute every course notebook headless and collect run times and key results.

    python tools/run_course.py [--out build] [--only 01 03] [--timeout 3600]

Writes the executed notebooks to <out>/notebooks/, HTML to <out>/html/, key results (recorded by
``toolkit.report.key_results``) to <out>/results/, and prints a table. Sizes follow the environment
(classroom by default; TOOLKIT_FAST=1 for a smoke run). Exits non-zero if a notebook failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


WIDGET_TIMEOUT = 180  # seconds: a demo cell draws one figure; longer means nbclient lost its reply


def is_widget_cell(source: str) -> bool:
    """A cell that builds an interactive demo (the one pattern: widgets.interactive_plot)."""
    return "interactive_plot(" in source


def run(nb_path: Path, out: Path, timeout: int) -> tuple[bool, float, str]:
    """Execute one notebook cell by cell in a fresh kernel; write it (and its HTML) under ``out``.

    nbclient sometimes never receives the reply to a cell that displays widgets although the kernel
    has finished it and is idle (jupyter/nbclient#312; seen here on the demo cells). Such a cell
    gets WIDGET_TIMEOUT seconds; when they run out, the cell is marked in the notebook and the run
    goes on. Any other cell gets ``timeout`` seconds; an error stops the run.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from nbconvert import HTMLExporter

    nb = nbformat.read(nb_path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        resources={"metadata": {"path": str(nb_path.parent)}},
        timeout_func=lambda c: WIDGET_TIMEOUT if is_widget_cell(c.source) else timeout,
    )
    t0 = time.perf_counter()
    ok, err = True, ""
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, i)
            except CellTimeoutError:
                if not is_widget_cell(cell.source):
                    ok, err = False, f"cell {i} timed out after {timeout} s"
                    break
                print(
                    f"  cell {i}: no reply from the demo cell after {WIDGET_TIMEOUT} s "
                    "(nbclient#312); "
                    f"going on with the next cell",
                    flush=True,
                )
                cell.outputs.append(
                    nbformat.v4.new_output(
                        "stream",
                        name="stderr",
                        text="[run_course: the demo's reply was lost; widget not recorded]\n",
                    )
                )
            except (CellExecutionError, DeadKernelError) as e:
                ok, err = (
                    False,
                    f"cell {i}: " + (str(e).strip().splitlines() or [type(e).__name__])[-1][:200],
                )
                break
        # save the widgets' state: the site shows them as static snapshots
        client.set_widgets_metadata()
    secs = time.perf_counter() - t0
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "html").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out / "notebooks" / nb_path.name)
    html, _ = HTMLExporter().from_notebook_node(nb)
    (out / "html" / nb_path.with_suffix(".html").name).write_text(html)
    return ok, secs, err


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", default="build")
    ap.add_argument("--only", nargs="*", help="notebook number prefixes, e.g. 01 05")
    ap.add_argument(
        "--timeout",
        type=int,
        default=1200,
        help="seconds per cell (the longest classroom cell trains for ~10 minutes on 2 cores)",
    )
    args = ap.parse_args()
    out = (ROOT / args.out).resolve()
    results = out / "results"
    results.mkdir(parents=True, exist_ok=True)
    os.environ["TOOLKIT_RESULTS"] = str(results)
    os.environ.setdefault("TOOLKIT_BUILD", str(out))
    # headless: no progress-bar widgets (their comm traffic during long training cells is what we
    # saw nbclient lose track of, jupyter/nbclient#312); figures do land in the executed notebooks
    # and the HTML: the inline backend, as in Jupyter
    os.environ["TQDM_DISABLE"] = "1"
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    nbs = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.only:
        nbs = [p for p in nbs if any(p.name.startswith(o) for o in args.only)]
    sys.path.insert(0, str(ROOT))
    from toolkit import config

    print(config.describe(), flush=True)
    rows = []
    total0 = time.perf_counter()
    for p in nbs:
        print(f"running {p.name} ...", flush=True)
        ok, secs, err = run(p, out, args.timeout)
        res_file = results / f"{p.stem}.json"
        res = json.loads(res_file.read_text()) if ok and res_file.exists() else {}
        rows.append((p.stem, ok, secs, res, err))
        print(f"  {'ok' if ok else 'FAILED'} in {secs:.0f} s {err}", flush=True)
    total = time.perf_counter() - total0
    print("\n" + "=" * 100)
    print(f"{'notebook':28s} {'status':7s} {'minutes':>8s}  key results")
    print("-" * 100)
    for stem, ok, secs, res, err in rows:
        items = [f"{k} = {v}" for k, v in res.items()] or (
            [err] if err else ["(no key results recorded)"]
        )
        print(f"{stem:28s} {'ok' if ok else 'FAILED':7s} {secs / 60:8.1f}  {items[0]}")
        for it in items[1:]:
            print(f"{'':46s}  {it}")
    print("-" * 100)
    print(f"{'total':28s} {'':7s} {total / 60:8.1f}   executed notebooks and HTML in {out}")
    return 0 if all(ok for _, ok, *_ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
