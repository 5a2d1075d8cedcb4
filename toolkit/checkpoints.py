"""Train-or-load checkpoints: a second run of a notebook loads instead of retraining.

A checkpoint is two files in ``config.checkpoint_dir()``:

- ``<name>-<key>.pt``: the model's ``state_dict`` (loaded with ``torch.load(weights_only=True)``);
- ``<name>-<key>.json``: the config it was trained with, its training history, versions and timing.

``key`` is a hash of (name, config, FORMAT): another config gives another file, so nothing a user trained
is overwritten. Both files are written to a temporary name and renamed into place (an interrupted save
never leaves a half-written checkpoint). A checkpoint that no longer fits the code raises
:class:`CheckpointMismatch` with what to do; ``retrain=True`` keeps the old files as ``*.bak-<time>``.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from . import __version__, config

__all__ = ["train_or_load", "config_key", "checkpoint_paths", "save", "load_state",
           "CheckpointMismatch", "FORMAT"]

FORMAT = 1  # bump when the meaning of saved files changes; old checkpoints then get new keys


class CheckpointMismatch(RuntimeError):
    """A checkpoint on disk does not fit the model the code builds now."""


def config_key(name: str, cfg: dict) -> str:
    """12 hex digits identifying (name, cfg, FORMAT). ``cfg`` must be JSON-serializable."""
    try:
        blob = json.dumps({"name": name, "config": cfg, "format": FORMAT}, sort_keys=True)
    except TypeError as e:
        raise TypeError(f"The checkpoint config of {name!r} must be JSON-serializable "
                        f"(numbers, strings, lists, dicts): {e}") from e
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _safe(name: str) -> str:
    if not name or any(c in name for c in "/\\:") or name.startswith("."):
        raise ValueError(f"Checkpoint name {name!r} must be a plain file-name stem (no slashes).")
    return name


def checkpoint_paths(name: str, cfg: dict, folder: Path | None = None) -> tuple[Path, Path]:
    folder = Path(folder or config.checkpoint_dir())
    stem = f"{_safe(name)}-{config_key(name, cfg)}"
    return folder / f"{stem}.pt", folder / f"{stem}.json"


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save(model: nn.Module, name: str, cfg: dict, meta: dict | None = None,
         folder: Path | None = None) -> Path:
    """Write ``model``'s state_dict and a JSON record atomically; returns the .pt path."""
    pt, js = checkpoint_paths(name, cfg, folder)
    pt.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    record = {"name": name, "config": cfg, "format": FORMAT, "toolkit": __version__,
              "torch": torch.__version__, "model_class": type(model).__name__,
              "saved": time.strftime("%Y-%m-%d %H:%M:%S"), **(meta or {})}
    _atomic_write(pt, lambda p: torch.save(state, p))
    _atomic_write(js, lambda p: p.write_text(json.dumps(record, indent=1, default=float)))
    return pt


def load_state(model: nn.Module, pt: Path) -> nn.Module:
    """Load a state_dict file into ``model`` with clear errors."""
    try:
        state = torch.load(pt, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - corrupt / foreign files
        raise CheckpointMismatch(
            f"Could not read checkpoint {pt} ({type(e).__name__}: {e}). It may be corrupt or from "
            f"another program. Call again with retrain=True to train anew (the file is kept as a "
            f".bak copy), or delete it.") from e
    if not isinstance(state, dict):
        raise CheckpointMismatch(f"{pt} does not hold a state_dict; retrain=True trains anew.")
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        raise CheckpointMismatch(
            f"Checkpoint {pt.name} does not fit the {type(model).__name__} this code builds "
            f"({' '.join(first[:3])[:300]}). It was probably made by an older version of the code. "
            f"Call again with retrain=True to train anew (the old files are kept as .bak copies).") from e
    return model


def _move_aside(*paths: Path) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for p in paths:
        if p.exists():
            os.replace(p, p.with_name(f"{p.name}.bak-{stamp}"))


def train_or_load(name: str, cfg: dict, make_model: Callable[[], nn.Module],
                  train: Callable[[nn.Module], dict], *, retrain: bool = False, device=None,
                  folder: Path | None = None, verbose: bool = True):
    """Load the checkpoint of (name, cfg) if it exists, else build, train and save it.

    Args:
        name: a file-name stem, e.g. "mlp100_reg-seed0".
        cfg: everything that determines the trained weights (architecture, data, settings, seed);
            JSON-serializable. It is hashed into the file name.
        make_model: builds a fresh, untrained model.
        train: trains the model in place and returns its history (a JSON-serializable dict).
        retrain: train anew even if a checkpoint exists (the old files are kept as ``.bak-<time>``).

    Returns:
        (model on ``config.device(device)`` in eval mode, record dict with "history", "path",
        "loaded" (bool), "train_seconds").
    """
    pt, js = checkpoint_paths(name, cfg, folder)
    dev = config.device(device) if not isinstance(device, torch.device) else device
    if retrain:
        _move_aside(pt, js)
    if pt.exists() and not js.exists():  # an interrupted save of an older version: keep, retrain
        _move_aside(pt)
    if pt.exists():
        try:
            record = json.loads(js.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise CheckpointMismatch(f"{js} is unreadable ({e}); call with retrain=True to train anew "
                                     f"(the old files are kept as .bak copies).") from e
        if record.get("format") != FORMAT:
            raise CheckpointMismatch(f"{pt.name} has checkpoint format {record.get('format')}, this "
                                     f"code writes {FORMAT}; call with retrain=True.")
        model = load_state(make_model(), pt).to(dev).eval()
        record.update(path=str(pt), loaded=True)
        if verbose:
            print(f"loaded {name} from {pt.name}")
        return model, record
    model = make_model().to(dev)
    t0 = time.perf_counter()
    history = train(model)
    seconds = time.perf_counter() - t0
    save(model, name, cfg, {"history": history, "train_seconds": seconds}, folder)
    model.eval()
    if verbose:
        print(f"trained {name} in {seconds:.1f} s, saved to {pt.name}")
    record = json.loads(js.read_text())
    record.update(path=str(pt), loaded=False)
    return model, record
