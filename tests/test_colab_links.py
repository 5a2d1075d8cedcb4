"""Every Colab badge and setup-cell install line agrees with the one setting
(tools/notebook_setup.py), and `make colab-links REPO=owner/name` (tools/colab_links.py) points all
of them at a fork."""

import importlib.util
import shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("colab_links", ROOT / "tools" / "colab_links.py")
colab_links = importlib.util.module_from_spec(spec)
spec.loader.exec_module(colab_links)


def test_every_link_agrees_with_the_setting():
    assert colab_links.check(ROOT) == []


@pytest.fixture
def kit_copy(tmp_path):
    for d in ("notebooks", "tools"):
        shutil.copytree(ROOT / d, tmp_path / d, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    return tmp_path


def test_set_repo_points_everything_at_a_fork(kit_copy):
    changed = colab_links.set_repo("my-school/topo-course", "fall-2027", kit_copy)
    assert "tools/notebook_setup.py" in changed and "README.md" in changed
    assert colab_links.check(kit_copy) == []
    setup = colab_links.load_setup(kit_copy)
    assert (setup.REPO, setup.BRANCH) == ("my-school/topo-course", "fall-2027")
    for p in colab_links.notebooks(kit_copy):
        nb = nbformat.read(p, as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        assert "nn-topology-course/nn-topology-course" not in text, p.name
        assert (
            f"https://colab.research.google.com/github/my-school/topo-course/blob/fall-2027/notebooks/"
            f"{p.name}"
        ) in nb.cells[0].source
        assert 'git+https://github.com/my-school/topo-course@fall-2027"' in text
        assert sum("colab-badge" in l for l in nb.cells[0].source.split("\n")) == 1
    assert (
        "github/my-school/topo-course/blob/fall-2027/notebooks/01_train"
        in (kit_copy / "README.md").read_text()
    )
    # setting it again changes nothing; back to main drops the @branch of the install line
    assert colab_links.set_repo("my-school/topo-course", "fall-2027", kit_copy) == []
    colab_links.set_repo("my-school/topo-course", "main", kit_copy)
    assert colab_links.check(kit_copy) == []
    nb = nbformat.read(kit_copy / "notebooks" / "01_train.ipynb", as_version=4)
    assert 'git+https://github.com/my-school/topo-course"' in "\n".join(c.source for c in nb.cells)


def test_check_finds_a_stray_link(kit_copy):
    p = colab_links.notebooks(kit_copy)[0]
    nb = nbformat.read(p, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace(
        colab_links.load_setup(kit_copy).REPO, "someone/else"
    )
    nbformat.write(nb, p)
    bad = colab_links.check(kit_copy)
    assert bad and p.name in bad[0]
    assert colab_links.main(["--check", "--root", str(kit_copy)]) == 1


@pytest.mark.parametrize(
    "repo", ["", "justaname", "a/b/c", "https://github.com/a/b", "a b/c", "owner/"]
)
def test_bad_repo_is_refused(repo, kit_copy):
    with pytest.raises(ValueError, match="owner/name"):
        colab_links.set_repo(repo, "main", kit_copy)


@pytest.mark.release
def test_students_branch_holds_the_hand_out_and_no_key(tmp_path):
    """`make student-branch REPO=... BRANCH=student`: notebooks/ is the nbgrader hand-out, every
    Colab link and install line opens the students' branch, and no instructor notebook, solution or
    plain key is in it."""
    spec = importlib.util.spec_from_file_location("release", ROOT / "tools" / "release.py")
    release = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(release)
    out = tmp_path / "student-branch"
    files = release.student_branch(out, "my-school/topo-course", "student")
    assert "toolkit/exercises/__init__.py" in files and "pyproject.toml" in files
    assert (
        not (out / "tools" / "release.py").exists()
        and not (out / "tools" / "exercise_keys.py").exists()
    )
    assert not (out / "tests").exists()
    assert colab_links.check(out) == []
    for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(out / "notebooks" / p.name, as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        assert (
            "### BEGIN SOLUTION" not in text
            and "HIDDEN TESTS" not in text
            and "Model reasoning" not in text
        )
        assert "blob/student/notebooks" in nb.cells[0].source
        assert any(c.metadata.get("nbgrader", {}).get("grade") for c in nb.cells), "not gradable"
