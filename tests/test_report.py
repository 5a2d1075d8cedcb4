import json

import pytest

from toolkit import report


def test_key_results_are_written_to_the_results_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_RESULTS", str(tmp_path / "results"))
    df = report.key_results("01_train", {"acc": 0.912345, "n": 3, "note": "ok"})
    assert json.loads((tmp_path / "results" / "01_train.json").read_text()) == {"acc": 0.9123, "n": 3,
                                                                                "note": "ok"}
    assert list(df.index) == ["acc", "n", "note"]


@pytest.mark.parametrize("name", ["../../x", "../x", "/tmp/x", "a/b", "a\\\\b", "..", ".hidden", "", "x\n"])
def test_key_results_never_write_outside_the_results_folder(tmp_path, monkeypatch, name):
    """report.key_results("../../x", ...) once wrote outside the results folder."""
    monkeypatch.setenv("TOOLKIT_RESULTS", str(tmp_path / "a" / "results"))
    with pytest.raises(ValueError, match="notebook must be"):
        report.key_results(name, {"a": 1})
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_key_results_bad_types():
    with pytest.raises(ValueError, match="notebook must be"):
        report.key_results(1, {"a": 1})
    with pytest.raises(TypeError, match="results must be a dict"):
        report.key_results("01_train", [("a", 1)])
