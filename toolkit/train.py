"""The one training loop of the course: :func:`fit`, plus :func:`evaluate` and :func:`predict`.

The data set lives as tensors on the device; each epoch slices one permutation into index batches
(no DataLoader); bfloat16 autocast on CUDA. Exact semantics (:func:`toolkit.ensemble.fit_ensemble`
shares them): inside ``config.seeded(seed)``; shuffling by ``torch.Generator().manual_seed(seed)``,
per epoch ``perm = torch.randperm(N, generator=g)``, batches ``perm[i:i + batch_size]`` (the last
partial one kept); Adam over the trainable parameters; loss ``F.cross_entropy(model(xb), yb) + l1 *
sum(|W|)`` (W: tensors with >= 2 dimensions).
"""

from __future__ import annotations

import math
import numbers
import time
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import config
from .arrays import as_count, as_labels

__all__ = ["fit", "evaluate", "predict", "as_tensors"]


def _rate(v, arg: str, positive: bool = False) -> float:
    """``v`` as a finite float >= 0 (> 0 with ``positive``), else TypeError/ValueError naming
    ``arg``."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{arg} must be a number, got {v!r} ({type(v).__name__}).")
    if not math.isfinite(v) or v < 0 or (positive and v == 0):
        raise ValueError(f"{arg} must be a finite number {'> 0' if positive else '>= 0'}, got {v}.")
    return float(v)


def as_tensors(X, y=None, *, device=None, name: str = "X"):
    """X -> float32 tensor (N, ...); with y, also y -> int64 labels (N,) >= 0
    (``arrays.as_labels``).

    A ``toolkit.data.Dataset`` may be passed as X with y=None. Both end up on ``device`` (if given).
    """
    if hasattr(X, "X") and hasattr(X, "y") and y is None:
        X, y = X.X, X.y
    if isinstance(X, np.ndarray) and X.dtype.kind in "biuf":
        X = torch.from_numpy(np.ascontiguousarray(X))
    if not isinstance(X, torch.Tensor) or X.dtype.is_complex:
        raise TypeError(
            f"{name} must hold real numbers (a torch tensor or NumPy array), got "
            f"{type(X).__name__} of dtype {getattr(X, 'dtype', '?')}."
        )
    if X.dim() < 2 or X.shape[0] == 0 or X[0].numel() == 0:
        raise ValueError(
            f"{name} must have shape (N, ...) with N >= 1 samples, got {tuple(X.shape)}."
        )
    X = X.to(device=device, dtype=torch.float32)
    if not torch.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values; clean the data before training.")
    if y is None:
        return X
    return X, torch.from_numpy(
        as_labels(y, X.shape[0], "Labels y" if name == "X" else f"Labels of {name}")
    ).to(X.device)


def _autocast(dev: torch.device):
    return (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if dev.type == "cuda"
        else torch.autocast("cpu", enabled=False)
    )


def _prepare(model, X, y, device, what="Labels y go", labels=True):
    """(device, X, y) with the labels checked against the model's number of outputs; a Dataset X
    gives its own y; labels=False: X alone (y None). Missing labels where they are needed raise
    ValueError."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    p = next(iter(model.parameters()), None)
    dev = config.device(device) if device is not None or p is None else p.device
    if hasattr(X, "X") and hasattr(X, "y") and y is None:
        X, y = X.X, X.y
    if y is None and labels:
        raise ValueError(
            f"{'y_val' if what.startswith('y_val') else 'y'} is None: pass the labels (N,) "
            f"class indices, or a toolkit.data.Dataset as X (its .y is used)."
        )
    if not labels or y is None:
        return dev, as_tensors(X, device=dev), None
    X, y = as_tensors(X, y, device=dev)
    was = model.training
    with torch.no_grad():
        out = model.eval()(X[:1])
    model.train(was)
    if not isinstance(out, torch.Tensor) or out.dim() != 2:
        raise ValueError(
            f"The model must map X to outputs of shape (N, classes); it returned "
            f"{tuple(getattr(out, 'shape', ())) or type(out).__name__} for one sample."
        )
    if int(y.max()) >= out.shape[1]:
        raise ValueError(
            f"{what} up to {int(y.max())} but the model has {out.shape[1]} outputs; use a model "
            f"with more outputs or relabel the classes 0..{out.shape[1] - 1}."
        )
    return dev, X, y


@torch.no_grad()
def _outputs(model, X, batch_size: int, dev) -> list:
    """The model's float32 outputs, one tensor per batch, in eval mode (its mode is restored)."""
    was = model.training
    model.eval()
    with _autocast(dev):
        outs = [model(X[i : i + batch_size]).float() for i in range(0, X.shape[0], batch_size)]
    model.train(was)
    return outs


def _scores(model, X, y, dev, batch_size=2048) -> tuple[float, float]:
    batch_size = as_count(batch_size, "batch_size")
    outs, ys = _outputs(model, X, batch_size, dev), y.split(batch_size)
    loss = sum(float(F.cross_entropy(o, t, reduction="sum")) for o, t in zip(outs, ys))
    return loss / len(y), sum(int((o.argmax(1) == t).sum()) for o, t in zip(outs, ys)) / len(y)


def evaluate(model: nn.Module, X, y, *, batch_size: int = 2048, device=None) -> tuple[float, float]:
    """Mean cross-entropy (nats) and accuracy (in [0, 1]) of ``model`` on X (N, ...), y (N,)
    labels."""
    dev, X, y = _prepare(model, X, y, device)
    return _scores(model, X, y, dev, batch_size)


def predict(model: nn.Module, X, *, batch_size: int = 2048, device=None) -> torch.Tensor:
    """The model's outputs (log-probabilities, (N, classes)) as a float32 CPU tensor."""
    dev, X, _ = _prepare(model, X, None, device, labels=False)
    return torch.cat(_outputs(model, X, as_count(batch_size, "batch_size"), dev)).cpu()


def _loop(
    update: Callable,
    gens: list,
    N: int,
    batch_size: int,
    total: int,
    dev,
    *,
    lr: float,
    desc: str,
    progress: bool,
    per_copy: bool,
    on_step=None,
    on_epoch=None,
) -> dict:
    """The loop that :func:`fit` and the vectorized ensemble share: n = len(gens) copies, copy i
    shuffled by ``gens[i]``. ``update(idx)`` (idx (n, b) indices) takes one optimizer step and
    returns the per-copy losses (n,) and numbers of correct predictions (n,); ``on_step(step)`` runs
    at step 0 and after every step, ``on_epoch(hist)`` after every epoch. Returns the history
    (per-copy lists if ``per_copy``)."""
    from tqdm.auto import tqdm

    hist: dict[str, list] = {"loss": [], "acc": [], "step": [], "seconds": []}
    # progress=False switches the bar off; otherwise tqdm decides (TQDM_DISABLE=1 wins: tests,
    # headless runs)
    off = {} if progress else {"disable": True}
    bar, step = tqdm(total=total, desc=desc, unit="step", leave=False, **off), 0
    try:
        if on_step is not None:
            on_step(0)
        while step < total:
            t0 = time.perf_counter()
            perms = torch.stack([torch.randperm(N, generator=g) for g in gens]).to(dev)  # (n, N)
            loss_sum = torch.zeros(len(gens), device=dev)
            correct = torch.zeros(len(gens), device=dev, dtype=torch.int64)
            seen = 0
            for i in range(0, N, batch_size):
                if step >= total:
                    break
                idx = perms[:, i : i + batch_size]
                losses, right = update(idx)
                step += 1
                loss_sum += losses * idx.shape[1]
                correct += right
                seen += idx.shape[1]
                bar.update(1)
                if on_step is not None:
                    on_step(step)
            loss = [float(v) / seen for v in loss_sum.cpu()]
            if not all(map(math.isfinite, loss)):
                raise FloatingPointError(
                    f"Training diverged (loss {loss}) at step {step}; lower the learning "
                    f"rate (lr={lr})."
                )
            acc = [int(c) / seen for c in correct.cpu()]
            hist["loss"].append(loss if per_copy else loss[0])
            hist["acc"].append(acc if per_copy else acc[0])
            hist["step"].append(step)
            if on_epoch is not None:
                on_epoch(hist)
            hist["seconds"].append(time.perf_counter() - t0)
            bar.set_postfix(loss=f"{np.mean(loss):.3f}", acc=f"{np.mean(acc):.3f}")
    finally:
        bar.close()
    return hist


def fit(
    model: nn.Module,
    X,
    y,
    *,
    epochs: int = 1,
    batch_size: int = 128,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    seed: int = 0,
    device=None,
    progress: bool = True,
    X_val=None,
    y_val=None,
    l1: float = 0.0,
    iterations: int | None = None,
    eval_every: int | None = None,
    on_step=None,
    activity_l1: float = 0.0,
) -> dict[str, list[Any]]:
    """Train ``model`` (mapping X to (N, classes) log-probabilities or logits) in place with Adam.

    X (N, ...) float, y (N,) int labels (or a ``toolkit.data.Dataset`` as X, y=None). ``epochs``
    passes over the data, or exactly ``iterations`` optimizer steps. ``weight_decay``: Adam's
    ("regularized" in the course = 1e-3); ``l1``: weight of an L1 penalty on all weight matrices /
    kernels; ``activity_l1``: of the batch mean of sum |ReLU(output)| of every Linear/Conv layer but
    the last. ``seed`` seeds shuffling and dropout; the global random states are the same after the
    call as before. ``X_val, y_val`` are evaluated after every epoch, and with ``eval_every`` also
    every that many steps (a learning curve). ``on_step(step, model)`` is called at step 0 and after
    every step (it may switch to eval mode).

    Returns per-epoch lists: "loss" (mean training cross-entropy, nats), "acc" (training accuracy
    during the epoch), "step" (optimizer steps so far), "seconds"; with validation data "val_loss",
    "val_acc", and with ``eval_every`` "curve_step", "curve_val_loss", "curve_val_acc".
    """
    epochs = as_count(epochs, "epochs") if iterations is None else None
    iterations = None if iterations is None else as_count(iterations, "iterations")
    batch_size = as_count(batch_size, "batch_size")
    eval_every = None if eval_every is None else as_count(eval_every, "eval_every")
    lr, weight_decay = _rate(lr, "lr", positive=True), _rate(weight_decay, "weight_decay")
    l1, activity_l1 = _rate(l1, "l1"), _rate(activity_l1, "activity_l1")
    seed = as_count(seed, "seed", minimum=0)
    if on_step is not None and not callable(on_step):
        raise TypeError(
            f"on_step must be a function on_step(step, model), got {type(on_step).__name__}."
        )
    dev = config.device(device)
    dev, X, y = _prepare(model.to(dev) if isinstance(model, nn.Module) else model, X, y, dev)
    has_val = X_val is not None
    if has_val:
        if y_val is None and not hasattr(X_val, "y"):
            raise ValueError("X_val was given without y_val.")
        _, X_val, y_val = _prepare(model, X_val, y_val, dev, what="y_val goes")
        if X_val.shape[1:] != X.shape[1:]:
            raise ValueError(
                f"X_val has samples of shape {tuple(X_val.shape[1:])}, X has {tuple(X.shape[1:])}."
            )
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("The model has no trainable parameters (all frozen?).")
    hidden = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))][:-1]
    if activity_l1 > 0 and not hidden:
        raise ValueError("activity_l1 needs a model with at least two Linear/Conv layers.")
    acts: list = []
    hooks = [
        m.register_forward_hook(
            lambda mod, i, out: acts.append(out) if torch.is_grad_enabled() else None
        )
        for m in (hidden if activity_l1 > 0 else [])
    ]
    curve = has_val and eval_every
    extra = {k: [] for k in ["val_loss", "val_acc"] if has_val}
    extra.update({k: [] for k in ["curve_step", "curve_val_loss", "curve_val_acc"] if curve})

    def update(idx):
        xb, yb = X[idx[0]], y[idx[0]]
        with _autocast(dev):
            out = model(xb)
            loss = F.cross_entropy(out.float(), yb)
        total = loss + l1 * sum(p.abs().sum() for p in params if p.dim() >= 2) if l1 > 0 else loss
        if acts:
            total = total + activity_l1 * sum(
                F.relu(a).float().abs().flatten(1).sum(1).mean() for a in acts
            )
            acts.clear()
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        return loss.detach()[None], (out.detach().argmax(1) == yb).sum()[None]

    def step_done(step):
        if on_step is not None:
            on_step(step, model)
            model.train()
        if curve and step and step % eval_every == 0:
            for k, v in zip(
                ("curve_step", "curve_val_loss", "curve_val_acc"),
                (step, *_scores(model, X_val, y_val, dev)),
            ):
                extra[k].append(v)

    def epoch_done(hist):
        for k, v in zip(
            ("val_loss", "val_acc"), _scores(model, X_val, y_val, dev) if has_val else ()
        ):
            extra[k].append(v)

    with config.seeded(seed):
        g = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
        total = (
            iterations if iterations is not None else epochs * math.ceil(X.shape[0] / batch_size)
        )
        model.train()
        try:
            hist = _loop(
                update,
                [g],
                X.shape[0],
                batch_size,
                total,
                dev,
                lr=lr,
                desc=f"fit {type(model).__name__}",
                progress=progress,
                per_copy=False,
                on_step=step_done,
                on_epoch=epoch_done,
            )
        finally:
            for h in hooks:
                h.remove()
    model.eval()
    return {**hist, **extra}
