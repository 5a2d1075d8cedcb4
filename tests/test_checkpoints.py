import json

import pytest
import torch

from toolkit import checkpoints
from toolkit.models import MLP
from toolkit.train import fit


def _train_counter():
    calls = []

    def train(model):
        calls.append(1)
        X, y = torch.randn(64, 784), torch.randint(0, 10, (64,))
        return fit(model, X, y, progress=False)

    return calls, train


def test_second_call_loads_instead_of_training(tmp_path):
    calls, train = _train_counter()
    cfg = {"hidden": 8, "seed": 0}
    m1, r1 = checkpoints.train_or_load("m", cfg, lambda: MLP(8), train, folder=tmp_path, verbose=False)
    m2, r2 = checkpoints.train_or_load("m", cfg, lambda: MLP(8), train, folder=tmp_path, verbose=False)
    assert len(calls) == 1 and not r1["loaded"] and r2["loaded"]
    assert torch.equal(m1.fc1.weight, m2.fc1.weight)
    assert r2["history"]["loss"] == r1["history"]["loss"]
    pt, js = checkpoints.checkpoint_paths("m", cfg, tmp_path)
    assert pt.exists() and json.loads(js.read_text())["config"] == cfg
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temporaries


def test_another_config_is_another_file(tmp_path):
    calls, train = _train_counter()
    checkpoints.train_or_load("m", {"a": 1}, lambda: MLP(8), train, folder=tmp_path, verbose=False)
    checkpoints.train_or_load("m", {"a": 2}, lambda: MLP(8), train, folder=tmp_path, verbose=False)
    assert len(calls) == 2 and len(list(tmp_path.glob("*.pt"))) == 2
    assert checkpoints.config_key("m", {"a": 1, "b": 2}) == checkpoints.config_key("m", {"b": 2, "a": 1})


def test_checkpoint_from_other_code_is_explained_and_kept(tmp_path):
    calls, train = _train_counter()
    checkpoints.train_or_load("m", {"v": 1}, lambda: MLP(8), train, folder=tmp_path, verbose=False)
    # the code now builds a different model for the same config
    with pytest.raises(checkpoints.CheckpointMismatch, match="retrain=True"):
        checkpoints.train_or_load("m", {"v": 1}, lambda: MLP(9), train, folder=tmp_path, verbose=False)
    # retrain keeps the old weights as a backup instead of overwriting them
    m, r = checkpoints.train_or_load("m", {"v": 1}, lambda: MLP(9), train, folder=tmp_path,
                                     retrain=True, verbose=False)
    assert not r["loaded"] and m.hidden == 9
    assert len(list(tmp_path.glob("*.pt.bak-*"))) == 1


def test_corrupt_checkpoint_is_explained(tmp_path):
    calls, train = _train_counter()
    checkpoints.train_or_load("m", {}, lambda: MLP(8), train, folder=tmp_path, verbose=False)
    pt, _ = checkpoints.checkpoint_paths("m", {}, tmp_path)
    pt.write_bytes(b"truncated")
    with pytest.raises(checkpoints.CheckpointMismatch, match="corrupt"):
        checkpoints.train_or_load("m", {}, lambda: MLP(8), train, folder=tmp_path, verbose=False)


def test_weights_only_loading_refuses_pickled_code(tmp_path):
    calls, train = _train_counter()
    checkpoints.train_or_load("m", {}, lambda: MLP(8), train, folder=tmp_path, verbose=False)
    pt, _ = checkpoints.checkpoint_paths("m", {}, tmp_path)
    torch.save({"evil": object()}, pt)  # arbitrary objects are not loadable with weights_only
    with pytest.raises(checkpoints.CheckpointMismatch):
        checkpoints.train_or_load("m", {}, lambda: MLP(8), train, folder=tmp_path, verbose=False)


def test_bad_names_and_configs(tmp_path):
    with pytest.raises(ValueError, match="slashes"):
        checkpoints.checkpoint_paths("../x", {}, tmp_path)
    with pytest.raises(TypeError, match="JSON"):
        checkpoints.config_key("m", {"f": object()})
