import json

import pytest

from toolkit import report


def test_key_results_are_written_to_the_results_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_RESULTS", str(tmp_path / "results"))
    df = report.key_results("01_train", {"acc": 0.912345, "n": 3, "note": "ok"})
    assert json.loads((tmp_path / "results" / "01_train.json").read_text()) == {
        "acc": 0.9123,
        "n": 3,
        "note": "ok",
    }
    assert list(df.index) == ["acc", "n", "note"]


@pytest.mark.parametrize(
    "name", ["../../x", "../x", "/tmp/x", "a/b", "a\\\\b", "..", ".hidden", "", "x\n"]
)
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


def test_key_results_keep_every_name_small_values_and_the_runners_stem(tmp_path, monkeypatch):
    """Issue #23 item 11: {1: .5, '1': .7} kept one key; p = 4e-5 was written as 0.0; the stem
    '01_train.ipynb' wrote 01_train.ipynb.json, which the course runner never reads."""
    monkeypatch.setenv("TOOLKIT_RESULTS", str(tmp_path))
    with pytest.raises(ValueError, match="read the same as text"):
        report.key_results("01_train", {1: 0.5, "1": 0.7})
    with pytest.raises(ValueError, match="no '.ipynb'"):
        report.key_results("01_train.ipynb", {"a": 1})
    report.key_results(
        "01_train", {"p": 4e-5, "q": -1.23456e-7, "acc": 0.912345, "big": 1234.56789, "z": 0.0}
    )
    out = json.loads((tmp_path / "01_train.json").read_text())
    assert out == {"p": 4e-5, "q": -1.235e-7, "acc": 0.9123, "big": 1234.5679, "z": 0.0}
    assert [p.name for p in tmp_path.iterdir()] == ["01_train.json"]
