import pytest
import torch

from toolkit import config


def test_modes_from_environment(monkeypatch):
    monkeypatch.delenv("TOOLKIT_FAST", raising=False)
    monkeypatch.delenv("TOOLKIT_SIZE", raising=False)
    assert config.mode() == "classroom"
    monkeypatch.setenv("TOOLKIT_SIZE", "paper")
    assert config.mode() == "paper"
    monkeypatch.setenv("TOOLKIT_FAST", "1")
    assert config.mode() == "fast"  # fast wins
    monkeypatch.setenv("TOOLKIT_FAST", "0")
    monkeypatch.setenv("TOOLKIT_SIZE", "huge")
    with pytest.raises(ValueError, match="size mode"):
        config.mode()


def test_set_mode_overrides_and_sizes_follow(monkeypatch):
    monkeypatch.setenv("TOOLKIT_FAST", "1")
    try:
        config.set_mode("classroom")
        assert config.sizes().mlp_epochs == config.SIZES["mlp_epochs"].classroom
        config.set_mode("paper")
        assert config.size("cnn_width") == (64, 32, 64)
    finally:
        config.set_mode(None)
    assert config.sizes().mode == "fast"
    with pytest.raises(ValueError):
        config.set_mode("tiny")
    with pytest.raises(KeyError, match="Known sizes"):
        config.size("no_such_size")


def test_every_size_has_three_modes():
    for s in config.SIZES.values():
        for m in config.MODES:
            getattr(s, m)  # no AttributeError
    # fast counts (whole numbers: epochs, images, nets, steps) never exceed classroom counts
    for name, s in config.SIZES.items():
        if type(s.fast) is int and type(s.classroom) is int:
            assert s.fast <= s.classroom, name


def test_folders_and_flags(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_DATA", str(tmp_path / "d"))
    assert config.data_dir() == tmp_path / "d" and (tmp_path / "d").is_dir()
    assert config.checkpoint_dir() == tmp_path / "d" / "checkpoints"
    monkeypatch.setenv("TOOLKIT_OFFLINE", "1")
    assert config.offline()
    monkeypatch.setenv("TOOLKIT_OFFLINE", "0")
    assert not config.offline()
    assert "sizes=" in config.describe()


def test_device_choice(monkeypatch):
    monkeypatch.delenv("TOOLKIT_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else None
    dev = config.device()
    if expected:
        assert dev.type == expected
    assert config.device("cpu").type == "cpu"
    monkeypatch.setenv("TOOLKIT_DEVICE", "cpu")
    assert config.device().type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            config.device("cuda")


def test_seed_everything_repeats():
    config.seed_everything(3)
    a = torch.rand(4)
    config.seed_everything(3)
    assert torch.equal(a, torch.rand(4))


def test_widget_warning_names_the_fix(monkeypatch):
    import importlib.metadata as md
    import sys

    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(md, "version", lambda name: "7.7.1")
    msg = config.widget_warning()
    assert msg and "7.7.1" in msg and "ipywidgets>=8" in msg
    assert "warning: ipywidgets 7.7.1" in config.describe()
    monkeypatch.setitem(sys.modules, "google.colab", object())  # Colab renders its 7.7 itself
    assert config.widget_warning() is None
    monkeypatch.delitem(sys.modules, "google.colab")
    monkeypatch.setattr(md, "version", lambda name: "8.1.9")
    assert config.widget_warning() is None and "warning" not in config.describe()


@pytest.mark.parametrize(
    "value, on",
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("False", False),
        ("YES", True),
        ("no", False),
        ("On", True),
        ("off", False),
        (" 1 ", True),
        ("", False),
    ],
)
def test_boolean_variables_read_every_spelling(monkeypatch, value, on):
    for var, read in (
        ("TOOLKIT_OFFLINE", config.offline),
        ("TOOLKIT_STRICT_CHECKS", config.strict_checks),
    ):
        monkeypatch.setenv(var, value)
        assert read() is on, (var, value)
    monkeypatch.setenv("TOOLKIT_FAST", value)
    monkeypatch.setenv("TOOLKIT_SIZE", "classroom")
    assert config.mode() == ("fast" if on else "classroom")


@pytest.mark.parametrize("value", ["2", "maybe", "nein", "-1", "y e s"])
def test_boolean_variables_refuse_other_values(monkeypatch, value):
    monkeypatch.setenv("TOOLKIT_FAST", value)
    with pytest.raises(ValueError, match="TOOLKIT_FAST.*1/0, true/false, yes/no, on/off"):
        config.mode()
    monkeypatch.setenv("TOOLKIT_OFFLINE", value)
    with pytest.raises(ValueError, match="TOOLKIT_OFFLINE"):
        config.offline()


def test_bad_device_and_unwritable_data_folder_are_named(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="device='gpu'.*'cpu'"):
        config.device("gpu")
    monkeypatch.setenv("TOOLKIT_DEVICE", "tpu9")
    with pytest.raises(ValueError, match="TOOLKIT_DEVICE='tpu9'"):
        config.device()
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("TOOLKIT_DATA", str(blocker / "data"))
    with pytest.raises(OSError, match="Set TOOLKIT_DATA"):
        config.data_dir()


def test_seeded_block_seeds_then_restores():
    import random

    import numpy as np

    config.seed_everything(4)
    inside_expected = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    outside_expected = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    with config.seeded(4):
        inside = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    assert inside == inside_expected
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) == outside_expected
    with pytest.raises(ValueError, match="seed"):
        with config.seeded(-1):
            pass
