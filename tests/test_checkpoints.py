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
    m1, r1 = checkpoints.train_or_load(
        "m-seed0", cfg, lambda: MLP(8), train, folder=tmp_path, verbose=False
    )
    m2, r2 = checkpoints.train_or_load(
        "m-seed0", cfg, lambda: MLP(8), train, folder=tmp_path, verbose=False
    )
    assert len(calls) == 1 and not r1["loaded"] and r2["loaded"]
    assert torch.equal(m1.fc1.weight, m2.fc1.weight)
    assert r2["history"]["loss"] == r1["history"]["loss"]
    pt, js = checkpoints.checkpoint_paths("m-seed0", cfg, tmp_path)
    assert pt.exists() and json.loads(js.read_text())["config"] == cfg
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temporaries


def test_another_config_is_another_file(tmp_path):
    calls, train = _train_counter()
    checkpoints.train_or_load(
        "m-seed0", {"a": 1}, lambda: MLP(8), train, folder=tmp_path, verbose=False
    )
    checkpoints.train_or_load(
        "m-seed0", {"a": 2}, lambda: MLP(8), train, folder=tmp_path, verbose=False
    )
    assert len(calls) == 2 and len(list(tmp_path.glob("*.pt"))) == 2
    assert checkpoints.config_key("m-seed0", {"a": 1, "b": 2}) == checkpoints.config_key(
        "m-seed0", {"b": 2, "a": 1}
    )


def test_checkpoint_from_other_code_is_explained_and_kept(tmp_path):
    calls, train = _train_counter()
    checkpoints.train_or_load(
        "m-seed0", {"v": 1}, lambda: MLP(8), train, folder=tmp_path, verbose=False
    )
    # the code now builds a different model for the same config
    with pytest.raises(checkpoints.CheckpointMismatch, match="retrain=True"):
        checkpoints.train_or_load(
            "m-seed0", {"v": 1}, lambda: MLP(9), train, folder=tmp_path, verbose=False
        )
    # retrain keeps the old weights as a backup instead of overwriting them
    m, r = checkpoints.train_or_load(
        "m-seed0", {"v": 1}, lambda: MLP(9), train, folder=tmp_path, retrain=True, verbose=False
    )
    assert not r["loaded"] and m.hidden == 9
    assert len(list(tmp_path.glob("*.pt.bak-*"))) == 1


def test_corrupt_checkpoint_is_explained(tmp_path):
    calls, train = _train_counter()
    checkpoints.train_or_load("m-seed0", {}, lambda: MLP(8), train, folder=tmp_path, verbose=False)
    pt, _ = checkpoints.checkpoint_paths("m-seed0", {}, tmp_path)
    pt.write_bytes(b"truncated")
    with pytest.raises(checkpoints.CheckpointMismatch, match="corrupt"):
        checkpoints.train_or_load(
            "m-seed0", {}, lambda: MLP(8), train, folder=tmp_path, verbose=False
        )


def test_weights_only_loading_refuses_pickled_code(tmp_path):
    calls, train = _train_counter()
    checkpoints.train_or_load("m-seed0", {}, lambda: MLP(8), train, folder=tmp_path, verbose=False)
    pt, _ = checkpoints.checkpoint_paths("m-seed0", {}, tmp_path)
    torch.save({"evil": object()}, pt)  # arbitrary objects are not loadable with weights_only
    with pytest.raises(checkpoints.CheckpointMismatch):
        checkpoints.train_or_load(
            "m-seed0", {}, lambda: MLP(8), train, folder=tmp_path, verbose=False
        )


def test_bad_names_and_configs(tmp_path):
    for bad in ("../x-seed0", "m", "Mlp-seed0", "m_s0", "ac-l1_0.001-seed0", "-seed1", "m-seed", 3):
        with pytest.raises(ValueError, match="naming scheme f'{family}-seed{seed}'.*net_name"):
            checkpoints.checkpoint_paths(bad, {}, tmp_path)
        with pytest.raises(ValueError, match="naming scheme"):
            checkpoints.train_or_load(
                bad, {}, lambda: MLP(8), lambda m: {}, folder=tmp_path, verbose=False
            )
    assert checkpoints.net_name("heatmaps_varied-h100", 3) == "heatmaps_varied-h100-seed3"
    assert checkpoints.net_name("filters_mnist", 0) == "filters_mnist-seed0"
    with pytest.raises(ValueError, match="naming scheme"):
        checkpoints.net_name("Filters", 0)
    with pytest.raises(ValueError, match="seed"):
        checkpoints.net_name("mlp100", -1)
    assert not list(tmp_path.iterdir())
    with pytest.raises(TypeError, match="JSON"):
        checkpoints.config_key("m-seed0", {"f": object()})


def _fit_cfg(cfg, tmp_path, train, hidden=8, **kw):
    return checkpoints.train_or_load(
        "m-seed0", cfg, lambda: MLP(hidden), train, folder=tmp_path, verbose=False, **kw
    )


def test_retrain_twice_within_a_second_keeps_every_version(tmp_path):
    """Fast nets train in well under a second: backups named to the second once overwrote each
    other."""
    calls, train = _train_counter()
    torch.manual_seed(0)
    versions = [_fit_cfg({}, tmp_path, train)[0].fc1.weight.detach().clone()]
    for _ in range(3):
        torch.manual_seed(len(versions))  # another initialization: every version has other weights
        versions.append(_fit_cfg({}, tmp_path, train, retrain=True)[0].fc1.weight.detach().clone())
    pts = sorted(tmp_path.glob("m-*.pt.bak-*"))
    jss = sorted(tmp_path.glob("m-*.json.bak-*"))
    assert len(calls) == 4 and len(pts) == 3 and len(jss) == 3
    kept = [torch.load(p, weights_only=True)["fc1.weight"] for p in pts]
    for old in versions[:3]:  # each earlier version is in exactly one backup
        assert sum(torch.equal(old, k) for k in kept) == 1
    # each backup pair (same suffix) still verifies: its JSON hash is the hash of its weights
    for p in pts:
        j = p.with_name(p.name.replace(".pt.bak", ".json.bak"))
        assert json.loads(j.read_text())["weights_sha256"] == checkpoints.weights_hash(
            torch.load(p, weights_only=True)
        )


def test_unwritable_folder_is_reported_before_training(tmp_path):
    calls, train = _train_counter()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(checkpoints.CheckpointFolderError, match="TOOLKIT_DATA"):
        _fit_cfg({}, blocker / "checkpoints", train)
    assert calls == []  # nothing was trained for nothing


def test_unwritable_data_folder_from_the_environment_names_the_fix(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TOOLKIT_DATA", str(blocker / "data"))
    with pytest.raises(checkpoints.CheckpointFolderError, match="Set TOOLKIT_DATA"):
        checkpoints.checkpoint_paths("m-seed0", {})


def test_a_failed_save_returns_the_trained_model_with_a_warning(tmp_path, monkeypatch):
    calls, train = _train_counter()
    m0, _ = _fit_cfg({}, tmp_path, train)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoints.torch, "save", disk_full)
    with pytest.warns(
        UserWarning, match="could not be saved to .*No space left.*loads the earlier"
    ):
        m, r = _fit_cfg({}, tmp_path, train, retrain=True)
    assert len(calls) == 2 and r["path"] is None and not r["loaded"] and r["history"]["loss"]
    assert isinstance(m, MLP) and not m.training
    # the earlier checkpoint is still in place, byte for byte, and no temporary file is left
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    m1, r1 = _fit_cfg({}, tmp_path, train)
    assert r1["loaded"] and r1["verified"] and torch.equal(m1.fc1.weight, m0.fc1.weight)


def test_swapped_weights_are_refused(tmp_path):
    """net_B's weights copied over net_A's once reported net_A's stored accuracy."""
    calls, train = _train_counter()
    torch.manual_seed(0)
    _fit_cfg({"net": "A"}, tmp_path, train)
    torch.manual_seed(1)
    _fit_cfg({"net": "B"}, tmp_path, train)
    pa, ja = checkpoints.checkpoint_paths("m-seed0", {"net": "A"}, tmp_path)
    pb, jb = checkpoints.checkpoint_paths("m-seed0", {"net": "B"}, tmp_path)
    pa.write_bytes(pb.read_bytes())
    with pytest.raises(checkpoints.CheckpointMismatch, match="hash differs.*retrain=True"):
        _fit_cfg({"net": "A"}, tmp_path, train)
    ja.write_text(jb.read_text())  # both files of B copied over A's
    with pytest.raises(checkpoints.CheckpointMismatch, match="records another net"):
        _fit_cfg({"net": "A"}, tmp_path, train)
    assert len(calls) == 2


def test_a_record_without_weights_hash_is_refused(tmp_path):
    """Format 2 requires the hash: a record without one (edited, or a format-1 copy renamed) is not
    loaded."""
    calls, train = _train_counter()
    _, r1 = _fit_cfg({}, tmp_path, train)
    assert r1["verified"] and len(r1["weights_sha256"]) == 64
    _, js = checkpoints.checkpoint_paths("m-seed0", {}, tmp_path)
    old = json.loads(js.read_text())
    del old["weights_sha256"]
    js.write_text(json.dumps(old))
    with pytest.raises(checkpoints.CheckpointMismatch, match="hash differs.*retrain=True"):
        _fit_cfg({}, tmp_path, train)
    assert len(calls) == 1


def test_weights_without_record_are_kept_and_retrained(tmp_path):
    calls, train = _train_counter()
    _fit_cfg({}, tmp_path, train)
    pt, js = checkpoints.checkpoint_paths("m-seed0", {}, tmp_path)
    js.unlink()  # a save killed between the two files
    weights = pt.read_bytes()
    _, r = _fit_cfg({}, tmp_path, train)
    assert len(calls) == 2 and not r["loaded"]
    assert [p.read_bytes() for p in tmp_path.glob("m-*.pt.bak-*")] == [weights]


def test_an_interrupted_retraining_leaves_the_checkpoint_in_place(tmp_path):
    calls, train = _train_counter()
    m1, _ = _fit_cfg({}, tmp_path, train)

    def crash(model):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _fit_cfg({}, tmp_path, crash, retrain=True)
    m2, r2 = _fit_cfg({}, tmp_path, train)
    assert r2["loaded"] and r2["verified"] and torch.equal(m1.fc1.weight, m2.fc1.weight)


def test_weights_hash_sees_every_change():
    m = MLP(4)
    s = {k: v.clone() for k, v in m.state_dict().items()}
    h = checkpoints.weights_hash(s)
    assert h == checkpoints.weights_hash({k: s[k] for k in reversed(list(s))})  # order of keys
    s2 = dict(s, **{"fc2.bias": s["fc2.bias"].clone()})
    s2["fc2.bias"][3] += 1e-7
    assert checkpoints.weights_hash(s2) != h
    assert checkpoints.weights_hash(dict(s, **{"fc2.bias": s["fc2.bias"].double()})) != h
    with pytest.raises(TypeError, match="state_dict"):
        checkpoints.weights_hash([1, 2])


def test_temporaries_of_a_killed_save_are_cleaned_up_later(tmp_path):
    import os
    import time

    calls, train = _train_counter()
    pt, js = checkpoints.checkpoint_paths("m-seed0", {}, tmp_path)
    old, fresh = tmp_path / f".{pt.name}.abc123.tmp", tmp_path / f".{js.name}.def456.tmp"
    for t in (old, fresh):
        t.write_bytes(b"half a checkpoint")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    _fit_cfg({}, tmp_path, train)
    assert not old.exists() and fresh.exists()  # a fresh one may belong to a save in progress


@pytest.mark.parametrize("hard_links", [True, False])
def test_backup_names_never_collide(tmp_path, monkeypatch, hard_links):
    calls, train = _train_counter()
    _fit_cfg({}, tmp_path, train)
    pt, js = checkpoints.checkpoint_paths("m-seed0", {}, tmp_path)
    monkeypatch.setattr(checkpoints.time, "strftime", lambda fmt: "20260101-120000")
    if not hard_links:  # a file system without hard links (some network drives)

        def no_link(*a):
            raise OSError("hard links not supported")

        monkeypatch.setattr(checkpoints.os, "link", no_link)
    taken = js.with_name(js.name + ".bak-20260101-120000")
    taken.write_text("someone else's backup")
    _fit_cfg({}, tmp_path, train, retrain=True)
    _fit_cfg({}, tmp_path, train, retrain=True)
    assert taken.read_text() == "someone else's backup"
    # the taken name is skipped for both files of a pair (same suffix), the next retrain takes the
    # next one
    for f in (pt, js):
        assert sorted(
            p.name[len(f.name) :] for p in tmp_path.glob(f.name + ".bak-*") if p != taken
        ) == [".bak-20260101-120000-2", ".bak-20260101-120000-3"]


@pytest.mark.parametrize(
    "edit",
    [
        lambda r: r["history"].update(loss=[0.0]),
        lambda r: r.pop("history"),
        lambda r: r.update(train_seconds=1.0),
    ],
)
def test_an_edited_record_is_refused_not_trusted(tmp_path, edit):
    """Issue #23 item 1: the .json's history and accuracies were trusted after an edit (or a removed
    history crashed zoo.get raw); the record now carries its own hash."""
    calls, train = _train_counter()
    checkpoints.train_or_load("m-seed0", {}, lambda: MLP(8), train, folder=tmp_path, verbose=False)
    _, js = checkpoints.checkpoint_paths("m-seed0", {}, tmp_path)
    record = json.loads(js.read_text())
    edit(record)
    js.write_text(json.dumps(record, indent=1))
    with pytest.raises(checkpoints.CheckpointMismatch, match="edited after it was saved"):
        checkpoints.train_or_load(
            "m-seed0", {}, lambda: MLP(8), train, folder=tmp_path, verbose=False
        )
    assert len(calls) == 1
