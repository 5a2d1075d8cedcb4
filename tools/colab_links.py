"""Point every Colab link of the kit at one repository (an instructor's fork), or check that they
agree.

    python tools/colab_links.py owner/name [--branch main]   # make colab-links REPO=owner/name
                                                             # [BRANCH=main]
    python tools/colab_links.py --check                      # exit 1 if a link disagrees with the
                                                             # setting

The setting is ``REPO`` / ``BRANCH`` in tools/notebook_setup.py. Setting it rewrites those two
lines, then in every notebook the Colab badge (first cell) and the setup cell's ``%pip install ...
git+https://github.com/owner/name`` line, and the Colab links of README.md. ``--root DIR`` works on
another copy of the kit.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
BRANCH_NAME = re.compile(r"^[A-Za-z0-9._/-]{1,100}$")
COLAB = re.compile(
    r"https://colab\.research\.google\.com/github/([^/\s)]+/[^/\s)]+)/blob/([^\s)]+?)/notebooks/"
)
# a committed file a notebook fetches on Colab (e.g. 05's docs/data/long_filters.npz): repository
# and branch
RAW = re.compile(
    r"https://raw\.githubusercontent\.com/([^/\s\"]+/[^/\s\"]+)/([^\s\"]+?)/(?=docs/|\")"
)
INSTALL = re.compile(r"git\+https://github\.com/([^/\s\"@]+/[^/\s\"@]+?)(?:@([^\s\"]+))?\"")


def load_setup(root: Path):
    spec = importlib.util.spec_from_file_location(
        "notebook_setup_" + str(abs(hash(root))), root / "tools" / "notebook_setup.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def notebooks(root: Path) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _validate(repo: str, branch: str) -> None:
    if not isinstance(repo, str) or not NAME.match(repo):
        raise ValueError(
            f"REPO must be a GitHub repository as owner/name (e.g. my-school/nn-topology-course), "
            f"got {repo!r}"
        )
    if not BRANCH_NAME.match(branch) or ".." in branch:
        raise ValueError(f"BRANCH must be a git branch name (e.g. main), got {branch!r}")


def set_repo(repo: str, branch: str = "main", root: Path = ROOT) -> list[str]:
    """Rewrite the setting, every notebook's badge and setup cell, and README's Colab links; returns
    the files changed."""
    import nbformat

    _validate(repo, branch)
    changed = []
    cfg = root / "tools" / "notebook_setup.py"
    text = cfg.read_text()
    new = re.sub(r'(?m)^REPO = ".*"$', f'REPO = "{repo}"', text)
    new = re.sub(r'(?m)^BRANCH = ".*"$', f'BRANCH = "{branch}"', new)
    if new != text:
        cfg.write_text(new)
        changed.append(str(cfg.relative_to(root)))
    setup = load_setup(root)
    for p in notebooks(root):
        nb = nbformat.read(p, as_version=4)
        before = nbformat.writes(nb)
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        first_code.source = setup.setup_cell(repo, branch)
        head = nb.cells[0]
        if head.cell_type == "markdown":
            lines = [l for l in head.source.split("\n") if "colab-badge" not in l]
            if len(lines) != len(head.source.split("\n")):  # replace the badge where it was
                idx = next(i for i, l in enumerate(head.source.split("\n")) if "colab-badge" in l)
                lines.insert(idx, setup.colab_badge(p.name, repo, branch))
            else:
                lines[1:1] = ["", setup.colab_badge(p.name, repo, branch)]
            head.source = "\n".join(lines)
        for c in nb.cells:
            if c.cell_type == "code":
                c.source = RAW.sub(f"https://raw.githubusercontent.com/{repo}/{branch}/", c.source)
        if nbformat.writes(nb) != before:
            nbformat.write(nb, p)
            changed.append(str(p.relative_to(root)))
    readme = root / "README.md"
    if readme.exists():
        text = readme.read_text()
        new = COLAB.sub(
            f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/", text
        )
        if new != text:
            readme.write_text(new)
            changed.append("README.md")
    return changed


def check(root: Path = ROOT) -> list[str]:
    """Every Colab badge, setup-cell install line and README Colab link that disagrees with the
    setting."""
    import nbformat

    setup = load_setup(root)
    repo, branch = setup.REPO, setup.BRANCH
    bad = []
    for p in notebooks(root):
        nb = nbformat.read(p, as_version=4)
        if setup.colab_badge(p.name, repo, branch) not in nb.cells[0].source:
            bad.append(f"{p.name}: the Colab badge of the first cell does not open {repo}@{branch}")
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        if first_code.source != setup.setup_cell(repo, branch):
            bad.append(
                f"{p.name}: the setup cell differs from tools/notebook_setup.py (install from "
                f"{repo})"
            )
        for c in nb.cells:
            for m in COLAB.finditer(c.source):
                if (m.group(1), m.group(2)) != (repo, branch):
                    bad.append(
                        f"{p.name}: a Colab link opens {m.group(1)}@{m.group(2)}, not "
                        f"{repo}@{branch}"
                    )
            for m in RAW.finditer(c.source):
                if (m.group(1), m.group(2)) != (repo, branch):
                    bad.append(
                        f"{p.name}: a file is fetched from {m.group(1)}@{m.group(2)}, not "
                        f"{repo}@{branch}"
                    )
            for m in INSTALL.finditer(c.source):
                if m.group(1) != repo or (m.group(2) or "main") != branch:
                    bad.append(f"{p.name}: an install line uses {m.group(1)}, not {repo}")
    readme = root / "README.md"
    if readme.exists():
        for m in COLAB.finditer(readme.read_text()):
            if (m.group(1), m.group(2)) != (repo, branch):
                bad.append(
                    f"README.md: a Colab link opens {m.group(1)}@{m.group(2)}, not {repo}@{branch}"
                )
    return bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("repo", nargs="?", help="owner/name of the GitHub repository students open")
    ap.add_argument("--branch", default="main")
    ap.add_argument("--check", action="store_true", help="only check that every link agrees")
    ap.add_argument("--root", default=str(ROOT), help="the kit's folder (default: this one)")
    args = ap.parse_args(argv)
    root = Path(args.root).resolve()
    if args.repo and not args.check:
        try:
            changed = set_repo(args.repo, args.branch, root)
        except ValueError as e:
            print(e, file=sys.stderr)
            return 2
        print(
            f"Colab links -> {args.repo}@{args.branch}; changed: {', '.join(changed) or 'nothing'}"
        )
    elif not args.check:
        ap.error("give REPO as owner/name (make colab-links REPO=owner/name), or --check")
    bad = check(root)
    for b in bad:
        print(b)
    if not bad:
        print(f"all Colab links and install lines point at {load_setup(root).REPO}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
