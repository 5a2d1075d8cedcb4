"""Train-or-load: the one cache of trained nets; a second run of a notebook loads instead of
retraining.

Naming: every cached net is named ``f"{family}-seed{seed}"`` (:func:`net_name`), family in lowercase
letters, digits and underscores (parts may be joined by "-"): "mlp100-seed0", "heatmaps_a-seed3",
"heatmaps_varied-h100-seed0", "filters_mnist-seed0". Any other name raises ValueError stating the
scheme.

Files, in ``config.checkpoint_dir()``: ``<name>-<key>.pt`` (the state_dict, read with weights_only)
and ``<name>-<key>.json`` (config, history, versions, timing, ``weights_sha256``); ``key`` hashes
(name, config, FORMAT), so another config is another file. Both are written under temporary names,
flushed and renamed into place (a killed save leaves the old checkpoint, plus ``.*.tmp`` files
deleted once an hour old). A load checks name, config, the weights' hash and the record's own hash
``record_sha256`` over everything in the .json, so an edited accuracy or history is refused
(:class:`CheckpointMismatch` says what to do). ``retrain=True`` moves the old files aside as
``*.bak-<time>[-n]`` once the new ones are on disk. The folder is checked before training
(:class:`CheckpointFolderError`: set TOOLKIT_DATA); a failed save returns the trained model with a
warning.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from . import __version__, config
from .arrays import as_count

__all__ = [
    "train_or_load",
    "net_name",
    "config_key",
    "checkpoint_paths",
    "weights_hash",
    "CheckpointMismatch",
    "CheckpointFolderError",
    "FORMAT",
]

# bump when the meaning of saved files changes; old checkpoints then get new keys (2: hash required,
# 3: the record (history, accuracies) is hashed too)
FORMAT = 3
STALE_TEMP_SECONDS = 3600
NAME = re.compile(r"[a-z0-9_]+(-[a-z0-9_]+)*-seed\d+")
_RETRAIN_HINT = (
    "Call again with retrain=True to train anew (the old files are kept as .bak copies), "
    "or delete them."
)
_FOLDER_HINT = (
    "Set TOOLKIT_DATA to a folder you can write, e.g. `%env TOOLKIT_DATA=/tmp/data` in a notebook "
    "(or os.environ['TOOLKIT_DATA'] = ...), then run the cell again."
)


class CheckpointMismatch(RuntimeError):
    """A checkpoint on disk does not fit the model the code builds now, or its files disagree."""


class CheckpointFolderError(OSError):
    """The checkpoint folder cannot be created or written."""


def _check_name(name) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(
            f"Checkpoint name {name!r} does not follow the naming scheme "
            f"f'{{family}}-seed{{seed}}' "
            "(family: lowercase letters, digits and underscores, parts joined by '-'; no "
            "slashes), "
            f"e.g. 'mlp100-seed0' or 'heatmaps_a-seed3'; build it with "
            f"checkpoints.net_name(family, seed)."
        )
    return name


def net_name(family: str, seed: int) -> str:
    """The checkpoint name of a net: ``f"{family}-seed{seed}"``, checked against the scheme."""
    return _check_name(f"{family}-seed{as_count(seed, 'seed', minimum=0)}")


def config_key(name: str, cfg: dict) -> str:
    """12 hex digits identifying (name, cfg, FORMAT). ``cfg`` must be JSON-serializable."""
    try:
        blob = json.dumps({"name": name, "config": cfg, "format": FORMAT}, sort_keys=True)
    except TypeError as e:
        raise TypeError(
            f"The checkpoint config of {name!r} must be JSON-serializable "
            f"(numbers, strings, lists, dicts): {e}"
        ) from e
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def checkpoint_paths(name: str, cfg: dict, folder: Path | None = None) -> tuple[Path, Path]:
    """The (.pt, .json) paths of the checkpoint of (name, cfg) in ``folder`` (default:
    checkpoint_dir)."""
    stem = f"{_check_name(name)}-{config_key(name, cfg)}"
    if folder is None:
        try:
            folder = config.checkpoint_dir()
        except OSError as e:
            raise CheckpointFolderError(
                f"The checkpoint folder cannot be created ({type(e).__name__}: {e}). {_FOLDER_HINT}"
            ) from e
    return Path(folder) / f"{stem}.pt", Path(folder) / f"{stem}.json"


def weights_hash(state: dict) -> str:
    """sha256 (64 hex digits) of a state_dict: each tensor's name, dtype, shape and bytes (any
    device)."""
    if not isinstance(state, dict):
        raise TypeError(
            f"state must be a state_dict (a dict of tensors), got {type(state).__name__}."
        )
    h = hashlib.sha256()
    for k in sorted(state):
        if not isinstance(state[k], torch.Tensor):
            raise TypeError(f"state[{k!r}] is a {type(state[k]).__name__}, not a tensor.")
        t = state[k].detach().cpu().contiguous()
        h.update(f"{k}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _record_hash(record: dict) -> str:
    """sha256 of a checkpoint record's JSON (keys sorted), without its own ``record_sha256``."""
    body = {k: v for k, v in record.items() if k != "record_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=float).encode()).hexdigest()


def _write_temp(path: Path, write: Callable) -> Path:
    """``write(file object)`` into a new temporary file next to ``path``, flushed to disk; returns
    it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _move_aside(*paths: Path) -> list[Path]:
    """Rename existing ``paths`` to ``<name>.bak-<time>[-n]``, one suffix for all, never over a
    file."""
    paths, stamp = [p for p in paths if p.exists()], time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 100_000) if paths else ():
        targets, done = (
            [p.with_name(f"{p.name}.bak-{stamp}" + (f"-{n}" if n > 1 else "")) for p in paths],
            [],
        )
        try:
            for p, t in zip(paths, targets):
                try:
                    os.link(
                        p, t
                    )  # refuses an existing t, even one another process made a moment ago
                except FileExistsError:
                    raise
                except OSError:  # no hard links on this file system (some network or FAT drives)
                    if t.exists():
                        raise FileExistsError(t) from None
                    os.replace(p, t)
                else:
                    os.unlink(p)
                done.append((t, p))
        except FileExistsError:
            for t, p in done:  # undo, then try the next suffix
                os.replace(t, p)
            continue
        return targets
    return []


def _load(name, cfg, make_model, pt: Path, js: Path) -> tuple[nn.Module, dict]:
    """The model and record of a checkpoint, after every check of the module docstring."""
    try:
        record = json.loads(js.read_text())
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as e:
        raise CheckpointMismatch(f"{js} is unreadable ({e}). {_RETRAIN_HINT}") from e
    if record.get("format") != FORMAT:
        raise CheckpointMismatch(
            f"{pt.name} has checkpoint format {record.get('format')}, this code writes "
            f"{FORMAT}. {_RETRAIN_HINT}"
        )
    if record.get("record_sha256") != _record_hash(record):
        raise CheckpointMismatch(
            f"{js.name} was edited after it was saved (its record hash differs): the accuracies "
            "and history "
            f"in it can no longer be trusted. {_RETRAIN_HINT}"
        )
    if record.get("name") != name or record.get("config") != json.loads(
        json.dumps(cfg, default=float)
    ):
        raise CheckpointMismatch(
            f"{js.name} records another net (name {record.get('name')!r}, config "
            f"{str(record.get('config'))[:200]}) "
            f"than the one asked for ({name!r}): the files were copied or renamed. {_RETRAIN_HINT}"
        )
    try:
        state = torch.load(pt, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - corrupt / foreign files
        raise CheckpointMismatch(
            f"Could not read checkpoint {pt} ({type(e).__name__}: {e}). It may be corrupt "
            f"or from another program. {_RETRAIN_HINT}"
        ) from e
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointMismatch(f"{pt} does not hold a state_dict of tensors. {_RETRAIN_HINT}")
    if weights_hash(state) != record.get("weights_sha256"):
        raise CheckpointMismatch(
            f"The weights in {pt.name} are not the ones its record {js.name} was written for "
            "(their hash "
            "differs): the file was replaced or damaged, so the accuracies and history stored "
            "with it would "
            f"be wrong. {_RETRAIN_HINT}"
        )
    model = make_model()
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise CheckpointMismatch(
            f"Checkpoint {pt.name} does not fit the {type(model).__name__} this code builds "
            f"({' '.join(str(e).strip().splitlines()[:3])[:300]}). It was probably made by an "
            "older version "
            f"of the code. {_RETRAIN_HINT}"
        ) from e
    return model, record


def train_or_load(
    name: str,
    cfg: dict,
    make_model: Callable[[], nn.Module],
    train: Callable[[nn.Module], dict],
    *,
    retrain: bool = False,
    device=None,
    folder: Path | None = None,
    verbose: bool = True,
):
    """Load the checkpoint of (name, cfg) if it exists, else ``make_model()``, ``train(model)``
    (returns a JSON-serializable history) and save it. name: :func:`net_name`'s scheme; cfg:
    everything that determines the weights (architecture, data, settings, seed), JSON-serializable,
    hashed into the file name; retrain: train anew (the old files kept as ``.bak-<time>``). Returns
    (model on ``config.device(device)`` in eval mode, record with "history", "path" (None if it
    could not be saved), "loaded", "verified", "train_seconds", "weights_sha256")."""
    pt, js = checkpoint_paths(name, cfg, folder)
    dev = config.device(device)
    if not retrain and pt.exists() and js.exists():
        model, record = _load(name, cfg, make_model, pt, js)
        if verbose:
            print(f"loaded {name} from {pt.name}")
        return model.to(dev).eval(), {**record, "path": str(pt), "loaded": True, "verified": True}
    try:  # before hours of training, not after
        pt.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=pt.parent, prefix=".write-test-", suffix=".tmp"):
            pass
    except OSError as e:
        raise CheckpointFolderError(
            f"Cannot write checkpoints to {pt.parent} ({type(e).__name__}: {e}); "
            f"nothing was trained. {_FOLDER_HINT}"
        ) from e
    for t in [
        t for p in (pt, js) for t in p.parent.glob(f".{p.name}.*.tmp")
    ]:  # left by a killed save
        try:
            if time.time() - t.stat().st_mtime > STALE_TEMP_SECONDS:
                t.unlink()
        except OSError:  # gone meanwhile, or not ours to delete: harmless
            pass
    model = make_model().to(dev)
    t0 = time.perf_counter()
    history = train(model)
    seconds = time.perf_counter() - t0
    state = {k: v.detach().cpu() for k, v in model.eval().state_dict().items()}
    record = {
        "name": name,
        "config": cfg,
        "format": FORMAT,
        "toolkit": __version__,
        "torch": torch.__version__,
        "model_class": type(model).__name__,
        "saved": time.strftime("%Y-%m-%d %H:%M:%S"),
        "weights_sha256": weights_hash(state),
        "history": history,
        "train_seconds": seconds,
    }
    temps = []
    try:
        # Both files complete on disk under temporary names before anything is moved: a save killed
        # midway leaves the previous checkpoint (if any) in place, and only stray *.tmp files.
        record = json.loads(json.dumps(record, default=float))  # as it will read back
        record["record_sha256"] = _record_hash(record)
        text = json.dumps(record, indent=1).encode()
        temps.append(_write_temp(pt, lambda f: torch.save(state, f)))
        temps.append(_write_temp(js, lambda f: f.write(text)))
        backups = _move_aside(
            pt, js
        )  # retrain=True, or a .pt left without its .json by a killed save
        os.replace(temps[0], pt)
        os.replace(temps[1], js)
    # broad except: disk full, permissions, unserializable history: keep the model
    except Exception as e:
        earlier = (
            "loads the earlier checkpoint, which is unchanged"
            if pt.exists() and js.exists()
            else "trains again"
        )
        warnings.warn(
            f"The trained model {name} could not be saved to {pt} ({type(e).__name__}: {e}). It is "
            "returned, "
            f"but it is not saved: the next run {earlier}. Set TOOLKIT_DATA to a writable folder "
            "with free "
            f"space, or save it yourself with torch.save(model.state_dict(), path).",
            stacklevel=2,
        )
        return model, {**record, "path": None, "loaded": False, "verified": True}
    finally:
        for t in temps:
            t.unlink(missing_ok=True)
    if verbose:
        extra = f" (previous files kept as *{backups[0].name[len(pt.name) :]})" if backups else ""
        print(f"trained {name} in {seconds:.1f} s, saved to {pt.name}{extra}")
    return model, {**json.loads(js.read_text()), "path": str(pt), "loaded": False, "verified": True}
