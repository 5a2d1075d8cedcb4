"""Train-or-load checkpoints: a second run of a notebook loads instead of retraining.

A checkpoint is two files in ``config.checkpoint_dir()``:

- ``<name>-<key>.pt``: the model's ``state_dict`` (loaded with ``torch.load(weights_only=True)``);
- ``<name>-<key>.json``: the config it was trained with, its training history, versions, timing and
  ``weights_sha256``, a hash of the weights (:func:`weights_hash`).

``key`` is a hash of (name, config, FORMAT): another config gives another file, so nothing a user trained
is overwritten. What keeps every trained model:

- Both files are written to a temporary name, flushed to disk and renamed into place: an interrupted save
  (a killed kernel) never leaves a half-written checkpoint under the real name; its leftover
  ``.<name>.*.tmp`` files are deleted by the next training of that checkpoint once an hour old.
- A load checks the weights against ``weights_sha256`` and the JSON's name and config against the ones
  asked for; any difference raises :class:`CheckpointMismatch` saying what to do, so the numbers stored
  with a checkpoint (its history, accuracies) always belong to the weights that are loaded.
- A checkpoint written before the hash existed (no ``weights_sha256``) is loaded if its weights fit the
  model and its config matches; its hash is then added to the JSON, with a warning that the stored numbers
  could not be verified; its record says ``"verified": False`` from then on (``zoo.get`` re-evaluates
  its accuracies from the weights).
- ``retrain=True`` keeps the old files as ``*.bak-<time>`` (``*.bak-<time>-2``, ... when that name is
  taken), moved aside only once the new model is trained and both its files are on disk: a retraining
  that is interrupted (even during the save) leaves the old checkpoint in place.
- The checkpoint folder is checked for writing before training starts (:class:`CheckpointFolderError`
  says to set TOOLKIT_DATA); if saving still fails, the trained model is returned with a warning saying
  where it could not be saved.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from . import __version__, config

__all__ = ["train_or_load", "config_key", "checkpoint_paths", "save", "load_state", "weights_hash",
           "CheckpointMismatch", "CheckpointFolderError", "FORMAT"]

FORMAT = 1  # bump when the meaning of saved files changes; old checkpoints then get new keys


class CheckpointMismatch(RuntimeError):
    """A checkpoint on disk does not fit the model the code builds now, or its files disagree."""


class CheckpointFolderError(OSError):
    """The checkpoint folder cannot be created or written."""


_RETRAIN_HINT = ("Call again with retrain=True to train anew (the old files are kept as .bak copies), "
                 "or delete them.")


def config_key(name: str, cfg: dict) -> str:
    """12 hex digits identifying (name, cfg, FORMAT). ``cfg`` must be JSON-serializable."""
    try:
        blob = json.dumps({"name": name, "config": cfg, "format": FORMAT}, sort_keys=True)
    except TypeError as e:
        raise TypeError(f"The checkpoint config of {name!r} must be JSON-serializable "
                        f"(numbers, strings, lists, dicts): {e}") from e
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _safe(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"Checkpoint name must be a string, got {type(name).__name__}.")
    if not name or any(c in name for c in "/\\:") or name.startswith("."):
        raise ValueError(f"Checkpoint name {name!r} must be a plain file-name stem (no slashes).")
    return name


def checkpoint_paths(name: str, cfg: dict, folder: Path | None = None) -> tuple[Path, Path]:
    """The (.pt, .json) paths of the checkpoint of (name, cfg) in ``folder`` (default: checkpoint_dir)."""
    stem = f"{_safe(name)}-{config_key(name, cfg)}"
    folder = Path(folder) if folder is not None else _checkpoint_dir()
    return folder / f"{stem}.pt", folder / f"{stem}.json"


def _checkpoint_dir() -> Path:
    try:
        return config.checkpoint_dir()
    except OSError as e:
        raise CheckpointFolderError(
            f"The checkpoint folder under {os.environ.get('TOOLKIT_DATA') or 'the data folder'} cannot be "
            f"created ({type(e).__name__}: {e}). Set TOOLKIT_DATA to a folder you can write, e.g. "
            f"`%env TOOLKIT_DATA=/tmp/data` (or os.environ['TOOLKIT_DATA'] = ...), then run again.") from e


def weights_hash(state: dict) -> str:
    """sha256 (64 hex digits) of a state_dict: every tensor's name, dtype, shape and bytes, by sorted name.

    Equal for the same weights on any device; a different value, shape or dtype in any tensor changes it.
    """
    if not isinstance(state, dict):
        raise TypeError(f"state must be a state_dict (a dict of tensors), got {type(state).__name__}.")
    h = hashlib.sha256()
    for k in sorted(state):
        t = state[k]
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"state[{k!r}] is a {type(t).__name__}, not a tensor.")
        t = t.detach().cpu().contiguous()
        h.update(f"{k}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _cpu_state(model: nn.Module) -> dict:
    return {k: v.detach().cpu() for k, v in model.state_dict().items()}


def _write_temp(path: Path, write: Callable[[object], None]) -> Path:
    """``write(file object)`` into a new temporary file next to ``path``, flushed to disk; returns it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _atomic_write(path: Path, write: Callable[[object], None]) -> None:
    """Write a temporary file next to ``path`` and rename it into place (never a half-written ``path``)."""
    tmp = _write_temp(path, write)
    try:
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _json_bytes(record: dict) -> bytes:
    return json.dumps(record, indent=1, default=float).encode()


def _write_json(path: Path, record: dict) -> None:
    text = _json_bytes(record)
    _atomic_write(path, lambda f: f.write(text))


def save(model: nn.Module, name: str, cfg: dict, meta: dict | None = None,
         folder: Path | None = None) -> Path:
    """Write ``model``'s state_dict and a JSON record (with ``weights_sha256``) atomically; returns the .pt path.

    An existing checkpoint of (name, cfg) is replaced; :func:`train_or_load` moves it aside first.
    """
    pt, js = checkpoint_paths(name, cfg, folder)
    pt.parent.mkdir(parents=True, exist_ok=True)
    state = _cpu_state(model)
    record = _record(model, name, cfg, state, meta)
    _atomic_write(pt, lambda f: torch.save(state, f))
    _write_json(js, record)
    return pt


def _record(model, name, cfg, state, meta) -> dict:
    return {"name": name, "config": cfg, "format": FORMAT, "toolkit": __version__,
            "torch": torch.__version__, "model_class": type(model).__name__,
            "saved": time.strftime("%Y-%m-%d %H:%M:%S"), "weights_sha256": weights_hash(state),
            **(meta or {})}


def _read_state(pt: Path) -> dict:
    try:
        state = torch.load(pt, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - corrupt / foreign files
        raise CheckpointMismatch(
            f"Could not read checkpoint {pt} ({type(e).__name__}: {e}). It may be corrupt or from "
            f"another program. {_RETRAIN_HINT}") from e
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointMismatch(f"{pt} does not hold a state_dict of tensors. {_RETRAIN_HINT}")
    return state


def load_state(model: nn.Module, pt: Path, expected_sha256: str | None = None) -> nn.Module:
    """Load a state_dict file into ``model`` with clear errors.

    With ``expected_sha256`` (the JSON's ``weights_sha256``) the weights must have that hash
    (:func:`weights_hash`), else :class:`CheckpointMismatch`.
    """
    pt = Path(pt)
    state = _read_state(pt)
    if expected_sha256 is not None and weights_hash(state) != expected_sha256:
        raise CheckpointMismatch(
            f"The weights in {pt.name} are not the ones its record {pt.with_suffix('.json').name} was "
            f"written for (their hash differs): the file was replaced or damaged, so the accuracies and "
            f"history stored with it would be wrong. {_RETRAIN_HINT}")
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        raise CheckpointMismatch(
            f"Checkpoint {pt.name} does not fit the {type(model).__name__} this code builds "
            f"({' '.join(first[:3])[:300]}). It was probably made by an older version of the code. "
            f"{_RETRAIN_HINT}") from e
    return model


def _rename_no_clobber(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``; FileExistsError if ``dst`` exists (atomic where hard links exist)."""
    try:
        os.link(src, dst)  # fails if dst exists, even if another process made it a moment ago
    except FileExistsError:
        raise
    except OSError:  # no hard links on this file system (some network or FAT drives): check, rename
        if dst.exists():
            raise FileExistsError(dst) from None
        os.replace(src, dst)
        return
    os.unlink(src)


def _move_aside(*paths: Path) -> list[Path]:
    """Rename existing ``paths`` to ``<name>.bak-<time>[-n]``, one suffix for all, never over a file."""
    paths = [p for p in paths if p.exists()]
    if not paths:
        return []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 100_000):
        targets = [p.with_name(f"{p.name}.bak-{stamp}" + (f"-{n}" if n > 1 else "")) for p in paths]
        done = []
        try:
            for p, t in zip(paths, targets):
                _rename_no_clobber(p, t)
                done.append((t, p))
        except FileExistsError:
            for t, p in done:  # undo, then try the next suffix
                os.replace(t, p)
            continue
        return targets
    raise CheckpointFolderError(f"No free backup name for {paths[0]} (100,000 backups?).")


STALE_TEMP_SECONDS = 3600


def _remove_stale_temps(*paths: Path) -> None:
    """Delete temporaries of these files left by a killed save (older than STALE_TEMP_SECONDS)."""
    now = time.time()
    for p in paths:
        for t in p.parent.glob(f".{p.name}.*.tmp"):
            try:
                if now - t.stat().st_mtime > STALE_TEMP_SECONDS:
                    t.unlink()
            except OSError:  # gone meanwhile, or not ours to delete: harmless
                pass


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-", suffix=".tmp"):
            pass
    except OSError as e:
        raise CheckpointFolderError(
            f"Cannot write checkpoints to {folder} ({type(e).__name__}: {e}); nothing was trained. Set "
            f"TOOLKIT_DATA to a folder you can write, e.g. `%env TOOLKIT_DATA=/tmp/data` in a notebook "
            f"(or os.environ['TOOLKIT_DATA'] = ...), then run the cell again.") from e


def _plain_json(cfg):
    return json.loads(json.dumps(cfg, default=float))


def _load(name, cfg, make_model, pt: Path, js: Path, dev) -> tuple[nn.Module, dict]:
    try:
        record = json.loads(js.read_text())
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as e:
        raise CheckpointMismatch(f"{js} is unreadable ({e}). {_RETRAIN_HINT}") from e
    if record.get("format") != FORMAT:
        raise CheckpointMismatch(f"{pt.name} has checkpoint format {record.get('format')}, this "
                                 f"code writes {FORMAT}. {_RETRAIN_HINT}")
    if record.get("name") != name or record.get("config") != _plain_json(cfg):
        raise CheckpointMismatch(
            f"{js.name} records another net (name {record.get('name')!r}, config "
            f"{str(record.get('config'))[:200]}) than the one asked for ({name!r}): the files were "
            f"copied or renamed. {_RETRAIN_HINT}")
    expected = record.get("weights_sha256")
    model = load_state(make_model(), pt, expected)
    # verified: the weights match a hash written together with the numbers at training time. A hash added
    # later (below) protects the weights from then on, but cannot vouch for the numbers written before.
    record["verified"] = expected is not None and "weights_sha256_added" not in record
    if expected is None:  # written before the hash existed: weights fit, config matches; record the hash
        record["weights_sha256"] = weights_hash(_cpu_state(model))
        record["weights_sha256_added"] = time.strftime("%Y-%m-%d %H:%M:%S")
        where = f"its hash was added to {js.name}"
        try:
            _write_json(js, {k: v for k, v in record.items() if k != "verified"})
        except OSError as e:
            where = f"its hash could not be added to {js} ({e})"
        warnings.warn(
            f"Checkpoint {pt.name} was written by an older toolkit without a hash of its weights. The "
            f"weights fit the model and were loaded, and {where}; the numbers stored with it (history, "
            f"accuracies) could not be checked against them. Re-evaluate what you report, or retrain "
            f"with retrain=True (the old files are kept as .bak copies).", stacklevel=3)
    return model.to(dev).eval(), record


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
        (model on ``config.device(device)`` in eval mode, record dict with "history", "path" (None when
        the model could not be saved), "loaded" (bool), "verified" (loaded weights match the recorded
        hash), "train_seconds", "weights_sha256").

    Raises:
        CheckpointMismatch: the checkpoint on disk does not fit (say retrain=True).
        CheckpointFolderError: training is needed but the folder cannot be written (set TOOLKIT_DATA).
    """
    pt, js = checkpoint_paths(name, cfg, folder)
    dev = config.device(device) if not isinstance(device, torch.device) else device
    if not retrain and pt.exists() and js.exists():
        model, record = _load(name, cfg, make_model, pt, js, dev)
        record.update(path=str(pt), loaded=True)
        if verbose:
            print(f"loaded {name} from {pt.name}")
        return model, record
    _check_writable(pt.parent)  # before hours of training, not after
    _remove_stale_temps(pt, js)
    model = make_model().to(dev)
    t0 = time.perf_counter()
    history = train(model)
    seconds = time.perf_counter() - t0
    model.eval()
    state = _cpu_state(model)
    record = _record(model, name, cfg, state, {"history": history, "train_seconds": seconds})
    temps = []
    try:
        # Both files are complete on disk under temporary names before anything is moved: a save killed
        # midway leaves the previous checkpoint (if any) in place, and only stray *.tmp files.
        text = _json_bytes(record)
        temps.append(_write_temp(pt, lambda f: torch.save(state, f)))
        temps.append(_write_temp(js, lambda f: f.write(text)))
        backups = _move_aside(pt, js)  # retrain=True, or a .pt left without its .json by a killed save
        os.replace(temps[0], pt)
        os.replace(temps[1], js)
    except Exception as e:  # noqa: BLE001 - disk full, permissions, unserializable history: keep the model
        warnings.warn(
            f"The trained model {name} could not be saved to {pt} ({type(e).__name__}: {e}). It is "
            f"returned, but it is not saved: the next run "
            f"{'loads the earlier checkpoint, which is unchanged' if pt.exists() and js.exists() else 'trains again'}"
            f". Set TOOLKIT_DATA to a writable "
            f"folder with free space, or save it yourself with torch.save(model.state_dict(), path).",
            stacklevel=2)
        record = _plain_record(record)
        record.update(path=None, loaded=False, verified=True)
        return model, record
    finally:
        for t in temps:
            t.unlink(missing_ok=True)
    if verbose:
        extra = f" (previous files kept as *{backups[0].name[len(pt.name):]})" if backups else ""
        print(f"trained {name} in {seconds:.1f} s, saved to {pt.name}{extra}")
    record = json.loads(js.read_text())  # exactly what a later load returns
    record.update(path=str(pt), loaded=False, verified=True)
    return model, record


def _plain_record(record: dict) -> dict:
    try:
        return json.loads(json.dumps(record, default=float))
    except (TypeError, ValueError):
        return dict(record)
