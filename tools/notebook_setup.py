"""The setup cell every notebook starts with, in one place (with the repository address).

    python tools/notebook_setup.py          # check: exit 1 if a notebook's setup cell differs
    python tools/notebook_setup.py --apply  # rewrite the first code cell of every notebook

On Colab the cell installs the toolkit from the repository (without giotto-tda: its pins would
downgrade Colab's numpy and force a runtime restart; every notebook runs on kmapper + ripser without
it) and turns on Colab's custom widget manager (needed for third-party widgets such as plotly's
FigureWidget).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository the Colab badges open and the setup cell installs from: the ONE setting, changed
# for a fork with `make colab-links REPO=owner/name` (tools/colab_links.py rewrites these two lines
# and every notebook; tests/test_colab_links.py checks that they agree).
REPO = "nn-topology-course/nn-topology-course"
BRANCH = "main"
REPO_URL = f"https://github.com/{REPO}"


def setup_cell(repo: str = REPO, branch: str = BRANCH) -> str:
    """The first code cell of every notebook, installing the toolkit from github.com/<repo> on Colab
    (from ``branch`` when it is not "main")."""
    at = "" if branch == "main" else f"@{branch}"
    return SETUP_TEMPLATE.replace("{REPO_URL}", f"https://github.com/{repo}{at}")


SETUP_TEMPLATE = """\
# Setup. On Colab this installs the course toolkit (about 1 minute); locally `make lab` has done it.
import sys

if "google.colab" in sys.modules:
    # Adds kmapper and ripser, upgrades nothing Colab ships: pip's "restart" note does not apply.
    %pip install -q "nn-topology-toolkit @ git+{REPO_URL}"
    from google.colab import output

    output.enable_custom_widget_manager()
from toolkit import config

print(config.describe())"""
SETUP_CELL = setup_cell(REPO, BRANCH)


def colab_url(notebook_name: str, repo: str = REPO, branch: str = BRANCH) -> str:
    return (
        f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/{notebook_name}"
    )


def colab_badge(notebook_name: str, repo: str = REPO, branch: str = BRANCH) -> str:
    return (
        f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(notebook_name, repo, branch)})"
    )


def notebooks():
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def main() -> int:
    import nbformat

    apply = "--apply" in sys.argv
    bad = 0
    for p in notebooks():
        nb = nbformat.read(p, as_version=4)
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        badge_ok = colab_badge(p.name) in nb.cells[0].source
        if first_code.source != SETUP_CELL or not badge_ok:
            if apply:
                first_code.source = SETUP_CELL
                if not badge_ok and nb.cells[0].cell_type == "markdown":
                    lines = nb.cells[0].source.split("\n")
                    lines = [l for l in lines if "colab-badge" not in l]
                    lines.insert(1, "\n" + colab_badge(p.name) + "\n")
                    nb.cells[0].source = "\n".join(lines)
                nbformat.write(nb, p)
                print(f"updated {p.name}")
            else:
                print(f"{p.name}: setup cell or Colab badge differs from tools/notebook_setup.py")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
