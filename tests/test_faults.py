"""Fault test: a training process killed (SIGKILL) during training or during the save, then run
again.

Whatever the moment of the kill, a rerun never loads a corrupt or mismatched checkpoint, and every
checkpoint saved earlier is still there (in place, or as a backup), byte for byte.

Each kill runs the small script below in a fresh Python process (the reruns run in the test's own
process). The script blocks at the chosen moment (inside training, inside ``torch.save`` after half
of the bytes are written, or between the two renames that put a new checkpoint in place), touches a
marker file, and waits to be killed.
"""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import io, json, os, sys, time
from pathlib import Path
import torch
torch.set_num_threads(1)
from toolkit import checkpoints
from toolkit.models import MLP

folder, mode, marker, retrain, init = (Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]),
                                       sys.argv[4] == "1", int(sys.argv[5]))

def block():
    marker.write_text("here")
    while True:
        time.sleep(1)

def train(model):  # plain gradient steps: torch.optim's first step imports torch._dynamo (2 s)
    X = torch.randn(128, 784, generator=torch.Generator().manual_seed(0))
    y = torch.arange(128) % 10
    for step in range(1, 9):
        loss = torch.nn.functional.cross_entropy(model(X), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
        if mode == "kill-training" and step == 3:
            block()
    return {"loss": [float(loss.detach())]}

if mode == "kill-save":
    real_save = torch.save
    def slow_save(obj, f, *a, **k):
        buf = io.BytesIO()
        real_save(obj, buf, *a, **k)
        data = buf.getvalue()
        f.write(data[: len(data) // 2])
        f.flush()
        os.fsync(f.fileno())
        block()
    torch.save = slow_save
if mode == "kill-rename":
    real_replace = os.replace
    def blocking_replace(src, dst):
        if str(dst).endswith(".json"):  # the .pt is in place, its .json not yet
            block()
        return real_replace(src, dst)
    os.replace = blocking_replace

def make():
    torch.manual_seed(init)  # another init, another model: versions can be told apart
    return MLP(8)

model, rec = checkpoints.train_or_load("net-seed0", {"hidden": 8}, make, train, retrain=retrain,
                                       folder=folder, verbose=False)
print(json.dumps({"loaded": rec["loaded"], "verified": rec["verified"],
                  "sha": checkpoints.weights_hash(model.state_dict())}))
"""


def _env(tmp_path):
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        OMP_NUM_THREADS="1",
        TOOLKIT_DATA=str(tmp_path / "data"),
        TOOLKIT_OFFLINE="1",
        TOOLKIT_DEVICE="cpu",
    )
    env.pop("TOOLKIT_FAST", None)
    return env


def _run(tmp_path, retrain=False, init=0) -> dict:
    """The rerun, in this process (a fresh process would only add torch's import time): as the
    child."""
    import torch

    from toolkit import checkpoints
    from toolkit.models import MLP

    def train(model):  # as the child's
        X = torch.randn(128, 784, generator=torch.Generator().manual_seed(0))
        for _ in range(8):
            loss = torch.nn.functional.cross_entropy(model(X), torch.arange(128) % 10)
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
        return {"loss": [float(loss.detach())]}

    def make():
        torch.manual_seed(init)
        return MLP(8)

    model, rec = checkpoints.train_or_load(
        "net-seed0",
        {"hidden": 8},
        make,
        train,
        retrain=retrain,
        folder=tmp_path / "ckpt",
        verbose=False,
        device="cpu",
    )
    return {
        "loaded": rec["loaded"],
        "verified": rec["verified"],
        "sha": checkpoints.weights_hash(model.state_dict()),
    }


def _kill_at(tmp_path, mode, retrain=False, init=0) -> None:
    """Start the child, wait until it blocks at ``mode``'s moment, SIGKILL it."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    marker = tmp_path / "m"
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(tmp_path / "ckpt"),
            mode,
            str(marker),
            "1" if retrain else "0",
            str(init),
        ],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            if proc.poll() is not None:
                raise AssertionError(f"child exited early: {proc.stderr.read().decode()[-2000:]}")
            assert time.monotonic() < deadline, "child never reached the kill point"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _files(tmp_path) -> dict:
    """Every checkpoint file (not temporaries): name -> sha256 of its bytes."""
    folder = tmp_path / "ckpt"
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if not p.name.endswith(".tmp")
    }


def _still_there(before: dict, after: dict) -> bool:
    """Every file saved before is still there byte for byte, under its name or a backup name."""
    return all(h in after.values() for h in before.values())


def test_kill_during_training_and_during_saving_loses_nothing(tmp_path):
    # a first, complete checkpoint (version 1)
    v1 = _run(tmp_path, init=1)
    assert not v1["loaded"]
    saved = _files(tmp_path)
    assert len(saved) == 2

    # retraining killed during training: version 1 stays in place and is what the rerun loads
    _kill_at(tmp_path, "kill-training", retrain=True, init=2)
    assert _files(tmp_path) == saved
    again = _run(tmp_path)
    assert again["loaded"] and again["verified"] and again["sha"] == v1["sha"]

    # retraining killed inside torch.save (half the bytes written): version 1 untouched, loads
    _kill_at(tmp_path, "kill-save", retrain=True, init=3)
    assert _files(tmp_path) == saved  # the half-written file exists only under a temporary name
    assert list((tmp_path / "ckpt").glob("*.tmp"))
    again = _run(tmp_path)
    assert again["loaded"] and again["verified"] and again["sha"] == v1["sha"]

    # retraining killed between the two renames: the new .pt is in place without its .json. The
    # rerun does not load it (a .pt without its record); it trains anew and keeps every file as a
    # backup.
    _kill_at(tmp_path, "kill-rename", retrain=True, init=4)
    mid = _files(tmp_path)
    assert _still_there(saved, mid)
    rerun = _run(tmp_path, init=5)
    assert not rerun["loaded"] and rerun["sha"] != v1["sha"]
    final = _files(tmp_path)
    assert _still_there(saved, final) and _still_there(mid, final)
    assert _run(tmp_path)["sha"] == rerun["sha"]  # and the new checkpoint loads, verified


def test_a_first_training_killed_inside_the_save_is_never_loaded(tmp_path):
    _kill_at(tmp_path, "kill-save", init=1)
    assert _files(tmp_path) == {}  # nothing under a checkpoint name: only a stray temporary
    first = _run(tmp_path, init=1)
    assert not first["loaded"] and first["verified"]
    assert _run(tmp_path)["loaded"]
