"""Every project file that a notebook, a docstring or a doc cites exists in the repository.

Students get the repository, nothing beside it: a notebook that says "see docs/X.md" or a docstring
that cites "REFERENCES.md section 3" must point at a file they have. Paths are taken relative to the
repository root (or to the citing file's folder); nothing may point outside the repository
(``../``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# a path-like token ending in a project file extension, not part of a URL
CITATION = re.compile(r"(?<![\w/:.-])((?:\.\./|[\w.-]+/)*[\w-]+\.(?:md|ipynb|yml|toml|txt))\b")
IGNORE = {"nbgrader_config.py"}


def _texts():
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        yield nb, "\n".join("".join(c["source"]) for c in cells)
    for py in sorted((ROOT / "toolkit").rglob("*.py")):
        yield py, py.read_text()
    for md in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        yield md, md.read_text()


def _citations():
    for path, text in _texts():
        for line in text.splitlines():
            if "http://" in line or "https://" in line:
                line = re.sub(r"https?://\S+", " ", line)
            for m in CITATION.finditer(line):
                yield path, m.group(1)


CASES = sorted({(str(p.relative_to(ROOT)), c) for p, c in _citations()})


def test_something_is_cited():
    assert any(c.endswith("REFERENCES.md") for _, c in CASES), (
        "the science summary is cited somewhere"
    )


@pytest.mark.parametrize("source, cited", CASES)
def test_cited_file_exists(source, cited):
    if Path(cited).name in IGNORE:
        return
    assert not cited.startswith("../"), (
        f"{source} cites {cited}, outside the repository (students don't have it)"
    )
    here = (ROOT / source).parent
    found = (ROOT / cited).exists() or (here / cited).exists()
    assert found, (
        f"{source} cites {cited}, which is not in the repository (cite it from the repository "
        "root, e.g. docs/REFERENCES.md)"
    )
