"""Every notebook follows the course template (DEVELOPING.md) and the setup cell of tools/notebook_setup.py."""
import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("notebook_setup", ROOT / "tools" / "notebook_setup.py")
setup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(setup)
NOTEBOOKS = setup.notebooks()
EXPECTED = ["01_train", "02_heatmaps", "03_activation_clustering", "04_mapper", "05_filter_topology",
            "06_circle_pretraining"]


def test_the_course_has_its_notebooks():
    have = [p.stem for p in NOTEBOOKS]
    missing = [e for e in EXPECTED if e not in have]
    assert not missing or set(have) <= set(EXPECTED), have
    assert "01_train" in have


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_template(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source == setup.SETUP_CELL, "run: python tools/notebook_setup.py --apply"
    assert setup.colab_badge(path.name) in nb.cells[0].source
    assert nb.cells[0].source.lstrip().startswith("# "), "title first"
    for word in ("objectives", "estimated time", "summary", "further reading", "exercise"):
        assert word in text, f"{path.name} lacks a '{word}' part"
    assert "interact" in "\n".join(c.source for c in nb.cells if c.cell_type == "code").lower() or \
        "widget" in "\n".join(c.source for c in nb.cells if c.cell_type == "code").lower(), "an interactive demo"
    assert "key_results" in "\n".join(c.source for c in nb.cells), "report.key_results for `make course`"
