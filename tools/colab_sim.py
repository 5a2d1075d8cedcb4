"""Run the course notebooks in a Colab-like environment: Colab's Python and preinstalled package
versions.

    python tools/colab_sim.py --python python3.12             # build the environment, install,
                                                              # run all
    python tools/colab_sim.py --python python3.12 01 05        # some notebooks only
    python tools/colab_sim.py --python python3.12 --size classroom

A real Colab runtime cannot be scripted from CI, so this reproduces what matters for the course's
setup cell: Colab's Python (3.12) with the versions Colab preinstalls (``COLAB_PINS``: numpy 2, a
newer scikit-learn, ipywidgets 7.7.1 that Colab imports at kernel start, its torch) and a stand-in
``google.colab`` module. Then it

1. installs the toolkit exactly as the setup cell does (``pip install "nn-topology-toolkit @
   <repo>"``, from this checkout instead of GitHub) and fails if pip changed the version of anything
   preinstalled (a changed package that Colab has already imported is what forces "Restart
   runtime");
2. executes every notebook (setup cell included, taking its Colab branch) with that kernel, and
   fails on any error, or if the setup cell did not report the toolkit, or did not enable the custom
   widget manager.

Edit ``COLAB_PINS`` to match ``!pip freeze`` on a current Colab runtime when Colab moves on. The
versions below are Colab's as publicly reported for its Python 3.12 image (Python 3.12.11, numpy
2.0.2, pandas 2.2.2: tulip-lab/sit742#80, 2025-08; ipywidgets 7.7.1: retentioneering-tools#145,
2026-09) and the matching releases of the other packages. Needs network access to PyPI for the first
build (about 2 minutes and 4 GB: torch brings its CUDA wheels, as on Colab).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from notebook_setup import REPO_URL  # noqa: E402

COLAB_PINS = [
    "numpy==2.0.2",
    "scipy==1.16.3",
    "pandas==2.2.2",
    "scikit-learn==1.6.1",
    "scikit-image==0.25.2",
    "matplotlib==3.10.0",
    "seaborn==0.13.2",
    "networkx==3.5",
    "tqdm==4.67.1",
    "plotly==5.24.1",
    "umap-learn==0.5.9.post2",
    "mlxtend==0.23.4",
    "torch==2.9.1",
    "torchvision==0.24.1",
    "ipywidgets==7.7.1",
    "ipykernel==6.17.1",
    "ipython==7.34.0",
    "nbclient",
    "nbformat",
]

FAKE_COLAB = {
    "google/__init__.py": "",
    "google/colab/__init__.py": '"""Stand-in for Colab\'s google.colab (tools/colab_sim.py)."""\n'
    "from . import output  # noqa: F401\n",
    "google/colab/output.py": "calls = []\n\n\ndef enable_custom_widget_manager():\n"
    "    calls.append('enable_custom_widget_manager')\n",
}


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def build_env(python: str, venv: Path) -> None:
    py = venv_python(venv)
    stamp = venv / ".colab-pins"
    if py.exists() and stamp.exists() and stamp.read_text() == "\n".join(COLAB_PINS):
        return
    exe = shutil.which(python) if python else None
    if not exe:
        raise SystemExit(
            f"no Python at {python!r}: Colab runs Python 3.12; pass --python /path/to/python3.12"
        )
    ver = subprocess.run(
        [exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if ver != "3.12":
        print(f"warning: {exe} is Python {ver}; Colab runs 3.12, so this is a weaker check")
    print(
        f"building the Colab-like environment in {venv} (first time: a few minutes) ...", flush=True
    )
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([exe, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", *COLAB_PINS], check=True)
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for rel, text in FAKE_COLAB.items():
        f = Path(site) / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    stamp.write_text("\n".join(COLAB_PINS))


def freeze(py: Path) -> dict[str, str]:
    out = subprocess.run(
        [str(py), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("==", 1) for line in out.splitlines() if "==" in line)


def install_toolkit(py: Path) -> list[str]:
    """Install the toolkit as the setup cell does; return problems (preinstalled packages pip
    changed)."""
    subprocess.run(
        [str(py), "-m", "pip", "uninstall", "-q", "-y", "nn-topology-toolkit"],
        check=False,
        capture_output=True,
    )
    before = freeze(py)
    t = time.time()
    r = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", f"nn-topology-toolkit @ {ROOT.as_uri()}"],
        capture_output=True,
        text=True,
    )
    if r.returncode:
        return [f"pip install failed:\n{r.stdout}\n{r.stderr}"]
    after = freeze(py)
    added = sorted(f"{k}=={v}" for k, v in after.items() if k not in before)
    changed = sorted(
        f"{k} {before[k]} -> {after.get(k, 'removed')}" for k in before if after.get(k) != before[k]
    )
    print(f"toolkit installed in {time.time() - t:.0f} s; pip added: {', '.join(added)}")
    if r.stderr.strip():
        print("pip said:\n" + r.stderr.strip())
    print(
        "preinstalled packages changed: " + (", ".join(changed) if changed else "none"), flush=True
    )
    return [
        f"pip changed a preinstalled package: {c} (on Colab: a runtime restart)" for c in changed
    ]


def execute(names: list[str], out: Path) -> int:
    """Runs inside the Colab-like environment: execute notebooks as Colab would."""
    import nbformat
    from nbclient import NotebookClient

    problems = []
    for name in names:
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        setup = next(c for c in nb.cells if c.cell_type == "code")
        setup.source = setup.source.replace(f"git+{REPO_URL}", ROOT.as_uri())
        nb.cells.insert(
            0, nbformat.v4.new_code_cell("import google.colab  # Colab imports it at start")
        )
        nb.cells.append(
            nbformat.v4.new_code_cell(
                "import google.colab.output, numpy, sklearn, ipywidgets, torch\n"
                "print('widget manager:', google.colab.output.calls)\n"
                "print('versions:', numpy.__version__, sklearn.__version__, "
                "ipywidgets.__version__, "
                "torch.__version__)"
            )
        )
        t = time.time()
        err = None
        try:
            NotebookClient(
                nb, timeout=3600, kernel_name="python3", resources={"metadata": {"path": str(out)}}
            ).execute()
        except Exception as e:  # noqa: BLE001 - report and go on with the next notebook
            err = str(e).strip().splitlines()[-1] if str(e).strip() else repr(e)
        nbformat.write(nb, out / name)
        text = lambda c: "".join(o.get("text", "") for o in c.get("outputs", []))  # noqa: E731
        setup_text, last_text = text(setup), text(nb.cells[-1])
        report = next((l for l in setup_text.splitlines() if l.startswith("toolkit:")), "")
        print(
            f"{name}: {'ok' if err is None else 'FAILED'} in {time.time() - t:.0f} s; {report}",
            flush=True,
        )
        if err is not None:
            problems.append(f"{name}: {err}")
            continue
        if not report:
            problems.append(
                f"{name}: the setup cell did not print the toolkit report:\n{setup_text}"
            )
        if "enable_custom_widget_manager" not in last_text:
            problems.append(f"{name}: the setup cell did not enable Colab's custom widget manager")
        print("   " + last_text.strip().splitlines()[-1])
    for p in problems:
        print("PROBLEM: " + p)
    return 1 if problems else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", help="notebook numbers or names (default: all)")
    ap.add_argument(
        "--python", default="python3.12", help="a Python 3.12 interpreter (Colab's version)"
    )
    ap.add_argument("--venv", default=str(ROOT / "build" / "colab-sim" / "venv"))
    ap.add_argument(
        "--out", default=str(ROOT / "build" / "colab-sim"), help="executed notebooks go here"
    )
    ap.add_argument("--size", choices=["fast", "classroom"], default="fast")
    ap.add_argument("--execute", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    nbs = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        nbs = [n for n in nbs if any(n.startswith(k) or n == k for k in args.notebooks)]
    out = Path(args.out)
    if args.execute:
        return execute(nbs, out)

    venv = Path(args.venv)
    build_env(args.python, venv)
    py = venv_python(venv)
    problems = install_toolkit(py)
    out.mkdir(parents=True, exist_ok=True)
    data = out / "data"  # a fresh runtime: no data, no checkpoints (Colab's would be /content/data)
    shutil.rmtree(data, ignore_errors=True)
    env = dict(
        os.environ,
        TOOLKIT_DATA=str(data),
        TOOLKIT_BUILD=str(out / "build"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    env.pop("MPLBACKEND", None)
    env.pop("TOOLKIT_FAST", None)
    if args.size == "fast":
        env["TOOLKIT_FAST"] = "1"
    shared = ROOT.parent / "shared" / "data" / "mnist-t10k"
    if shared.is_dir():  # offline machines: the same real MNIST test digits `make course` uses
        subprocess.run(
            [str(py), "-m", "toolkit.data", "import-idx", str(shared)],
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
        )
    rc = subprocess.run(
        [str(py), str(Path(__file__).resolve()), "--execute", "--out", str(out), *nbs], env=env
    ).returncode
    for p in problems:
        print("PROBLEM: " + p)
    if rc or problems:
        return 1
    print(f"all {len(nbs)} notebooks ran in the Colab-like environment; executed copies in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
