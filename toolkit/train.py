"""One training loop for the whole course: :func:`fit`, plus :func:`evaluate` and :func:`predict`.

The whole data set lives as tensors on the device; each epoch draws one permutation and slices it into
index batches (no DataLoader, no per-sample transforms). Mixed precision (bfloat16 autocast) on CUDA.
Identical seeds give identical numbers on the CPU.

Exact semantics (other code, e.g. :func:`toolkit.ensemble.fit_ensemble`, reproduces them):
``config.seed_everything(seed)`` at the start (dropout), inside ``config.seeded(seed)`` so that the global
random states are restored when fit returns (a call to fit does not change the caller's random numbers);
shuffling with its own
``torch.Generator().manual_seed(seed)``; per epoch ``perm = torch.randperm(N, generator=g)`` and batches
``perm[i:i + batch_size]`` (the last partial batch kept); ``iterations=T`` stops after exactly T optimizer
steps; ``torch.optim.Adam(params, lr, weight_decay)`` over the trainable parameters; loss =
``F.cross_entropy(model(xb), yb) + l1 * sum(|W|)`` over weight tensors with >= 2 dimensions.
"""
from __future__ import annotations

import math
import numbers
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import config

__all__ = ["fit", "evaluate", "predict", "as_tensors", "fit_ensemble"]


def _count(v, arg: str, minimum: int = 1) -> int:
    """``v`` as an int >= minimum, else TypeError/ValueError naming ``arg``."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{arg} must be a whole number >= {minimum}, got {v!r} ({type(v).__name__}).")
    if v < minimum:
        raise ValueError(f"{arg} must be >= {minimum}, got {v}.")
    return int(v)


def _rate(v, arg: str, positive: bool = False) -> float:
    """``v`` as a finite float >= 0 (> 0 with ``positive``), else TypeError/ValueError naming ``arg``."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{arg} must be a number, got {v!r} ({type(v).__name__}).")
    v = float(v)
    if not math.isfinite(v) or v < 0 or (positive and v == 0):
        raise ValueError(f"{arg} must be a finite number {'> 0' if positive else '>= 0'}, got {v}.")
    return v


def as_tensors(X, y=None, *, device=None, name: str = "X"):
    """Validate and convert inputs: X -> float32 tensor (N, ...), y -> int64 tensor (N,), on ``device``."""
    if hasattr(X, "X") and hasattr(X, "y") and y is None:  # a toolkit.data.Dataset
        X, y = X.X, X.y
    if isinstance(X, np.ndarray):
        if X.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got a NumPy array of dtype {X.dtype}.")
        X = torch.from_numpy(np.ascontiguousarray(X))
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor or NumPy array, got {type(X).__name__}.")
    if X.dim() < 2 or X.shape[0] == 0 or X[0].numel() == 0:
        raise ValueError(f"{name} must have shape (N, ...) with N >= 1 samples, got {tuple(X.shape)}.")
    if X.dtype.is_complex:
        raise TypeError(f"{name} must hold real numbers, got {X.dtype}.")
    X = X.to(device=device, dtype=torch.float32) if device is not None else X.float()
    if not torch.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values; clean the data before training.")
    if y is None:
        return X
    if isinstance(y, np.ndarray):
        if y.dtype.kind not in "biuf":
            raise TypeError(f"Labels must be whole class indices, got a NumPy array of dtype {y.dtype}.")
        y = torch.from_numpy(np.ascontiguousarray(y))
    if not isinstance(y, torch.Tensor):
        try:
            y = torch.as_tensor(y)
        except (TypeError, ValueError, RuntimeError) as e:
            raise TypeError(f"Labels y must be whole class indices (a list, array or tensor), got "
                            f"{type(y).__name__}.") from e
    if y.dtype.is_complex or y.dtype == torch.bool:
        raise TypeError(f"Labels y must be whole class indices, got {y.dtype}.")
    if y.dim() != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"Labels must have shape ({X.shape[0]},) to match {name}; got {tuple(y.shape)}.")
    if y.dtype.is_floating_point:
        if not torch.isfinite(y).all() or not torch.equal(y, y.round()):
            raise ValueError("Labels must be whole class indices (0, 1, 2, ...), got fractional values.")
    y = y.to(device=device, dtype=torch.int64) if device is not None else y.long()
    if int(y.min()) < 0:
        raise ValueError(f"Labels must be class indices >= 0; found {int(y.min())}.")
    return X, y


def _model_device(model: nn.Module, device) -> torch.device:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    if device is not None:
        return config.device(device) if not isinstance(device, torch.device) else device
    p = next(iter(model.parameters()), None)
    return p.device if p is not None else torch.device("cpu")


def _num_classes(model: nn.Module, X: torch.Tensor) -> int:
    was = model.training
    model.eval()
    with torch.no_grad():
        out = model(X[:1])
    model.train(was)
    if not isinstance(out, torch.Tensor) or out.dim() != 2:
        raise ValueError(f"The model must map X to outputs of shape (N, classes); it returned "
                         f"{tuple(getattr(out, 'shape', ())) or type(out).__name__} for one sample.")
    return int(out.shape[1])


def _autocast(dev: torch.device):
    if dev.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def _l1_penalty(model: nn.Module) -> torch.Tensor:
    return sum(p.abs().sum() for p in model.parameters() if p.requires_grad and p.dim() >= 2)


def _hidden_layers(model: nn.Module) -> list[nn.Module]:
    """Every Linear / Conv layer but the last one: the layers whose ReLU outputs are hidden units."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))]
    return layers[:-1]


class _ActivityL1:
    """Collects sum |ReLU(output)| of the hidden layers during a forward pass (mean over the batch)."""

    def __init__(self, model: nn.Module):
        self.total = 0.0
        self.handles = [m.register_forward_hook(self._hook) for m in _hidden_layers(model)]
        if not self.handles:
            raise ValueError("activity_l1 needs a model with at least two Linear/Conv layers.")

    def _hook(self, module, inputs, output):
        if not torch.is_grad_enabled():  # evaluations inside fit do not count
            return
        self.total = self.total + F.relu(output).float().abs().flatten(1).sum(1).mean()

    def pop(self):
        t, self.total = self.total, 0.0
        return t

    def remove(self):
        for h in self.handles:
            h.remove()


@torch.no_grad()
def evaluate(model: nn.Module, X, y, *, batch_size: int = 2048, device=None) -> tuple[float, float]:
    """Mean cross-entropy (nats) and accuracy (fraction in [0, 1]) of ``model`` on (X, y).

    X (N, ...), y (N,) labels in [0, classes); ``batch_size`` >= 1 samples per forward pass.
    """
    batch_size = _count(batch_size, "batch_size")
    dev = _model_device(model, device)
    X, y = as_tensors(X, y, device=dev)
    n_classes = _num_classes(model, X)
    if int(y.max()) >= n_classes:
        raise ValueError(f"Labels y go up to {int(y.max())} but the model has {n_classes} outputs.")
    was = model.training
    model.eval()
    total, correct = 0.0, 0
    with _autocast(dev):
        for i in range(0, X.shape[0], batch_size):
            out = model(X[i:i + batch_size]).float()
            yb = y[i:i + batch_size]
            total += float(F.cross_entropy(out, yb, reduction="sum"))
            correct += int((out.argmax(1) == yb).sum())
    model.train(was)
    return total / X.shape[0], correct / X.shape[0]


@torch.no_grad()
def predict(model: nn.Module, X, *, batch_size: int = 2048, device=None) -> torch.Tensor:
    """The model's outputs (log-probabilities, (N, classes)) as a float32 CPU tensor; ``batch_size`` >= 1."""
    batch_size = _count(batch_size, "batch_size")
    dev = _model_device(model, device)
    X = as_tensors(X, device=dev)
    was = model.training
    model.eval()
    outs = []
    with _autocast(dev):
        for i in range(0, X.shape[0], batch_size):
            outs.append(model(X[i:i + batch_size]).float().cpu())
    model.train(was)
    return torch.cat(outs)


def fit(model: nn.Module, X, y, *, epochs: int = 1, batch_size: int = 128, lr: float = 1e-3,
        weight_decay: float = 0.0, seed: int = 0, device=None, progress: bool = True,
        X_val=None, y_val=None, l1: float = 0.0, iterations: int | None = None,
        eval_every: int | None = None, on_step=None,
        activity_l1: float = 0.0) -> dict[str, list[Any]]:
    """Train ``model`` in place with Adam and return its history.

    Args:
        model: any module mapping X to (N, classes) log-probabilities or logits.
        X: inputs (N, ...) float; y: int labels (N,) in [0, classes). A ``toolkit.data.Dataset`` may be
            passed as X with y=None.
        epochs: passes over the data (ignored when ``iterations`` is given).
        batch_size, lr, weight_decay: Adam settings ("regularized" in the course = weight_decay 1e-3).
        l1: weight of an L1 penalty on all weight matrices / kernels (sparser weights).
        activity_l1: weight of an L1 penalty on the hidden activations: the mean over the batch of
            sum |ReLU(output)| of every Linear/Conv layer but the last (sparser activations).
        seed: seeds shuffling and dropout; identical seeds give identical numbers on the CPU. The global
            Python/NumPy/torch random states are the same after the call as before it.
        device: 'cpu', 'cuda', ... (default: ``config.device()``).
        progress: show a tqdm progress bar.
        X_val, y_val: evaluated after every epoch (keys "val_loss", "val_acc").
        iterations: train for exactly this many optimizer steps instead of whole epochs.
        eval_every: with validation data, also evaluate every this many steps
            (keys "curve_step", "curve_val_acc", "curve_val_loss": a learning curve in iterations).
        on_step: ``on_step(step, model)`` is called once before training (step 0) and after every
            optimizer step (evaluations, snapshots); it must leave the model in train mode.

    Returns:
        dict of per-epoch lists: "loss" (mean training cross-entropy, nats), "acc" (training accuracy
        during the epoch), "step" (optimizer steps so far), "seconds" (wall time of the epoch) and, with
        validation data, "val_loss", "val_acc".
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    batch_size = _count(batch_size, "batch_size")
    if iterations is None:
        epochs = _count(epochs, "epochs")
    else:
        iterations = _count(iterations, "iterations")
    if eval_every is not None:
        eval_every = _count(eval_every, "eval_every")
    lr = _rate(lr, "lr", positive=True)
    weight_decay = _rate(weight_decay, "weight_decay")
    l1 = _rate(l1, "l1")
    activity_l1 = _rate(activity_l1, "activity_l1")
    seed = _count(seed, "seed", minimum=0)
    if on_step is not None and not callable(on_step):
        raise TypeError(f"on_step must be a function on_step(step, model), got {type(on_step).__name__}.")
    dev = config.device(device) if not isinstance(device, torch.device) else device
    model.to(dev)
    X, y = as_tensors(X, y, device=dev)
    n_classes = _num_classes(model, X)
    if int(y.max()) >= n_classes:
        raise ValueError(f"Labels go up to {int(y.max())} but the model has {n_classes} outputs; "
                         f"use a model with more outputs or relabel the classes 0..{n_classes - 1}.")
    has_val = X_val is not None
    if has_val:
        if y_val is None:
            raise ValueError("X_val was given without y_val.")
        X_val, y_val = as_tensors(X_val, y_val, device=dev, name="X_val")
        if X_val.shape[1:] != X.shape[1:]:
            raise ValueError(f"X_val has samples of shape {tuple(X_val.shape[1:])}, "
                             f"X has {tuple(X.shape[1:])}.")
        if int(y_val.max()) >= n_classes:
            raise ValueError(f"y_val goes up to {int(y_val.max())} but the model has {n_classes} outputs.")

    # Seeded as by config.seed_everything(seed) (dropout, any random layer), but in a block that puts the
    # global Python/NumPy/torch random states back afterwards: fit does not change the caller's numbers.
    with config.seeded(seed):
        g = torch.Generator().manual_seed(seed)
        params = [p for p in model.parameters() if p.requires_grad]
        if not params:
            raise ValueError("The model has no trainable parameters (all frozen?).")
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)

        N = X.shape[0]
        steps_per_epoch = math.ceil(N / batch_size)
        total_steps = iterations if iterations is not None else epochs * steps_per_epoch
        hist: dict[str, list] = {"loss": [], "acc": [], "step": [], "seconds": []}
        if has_val:
            hist.update(val_loss=[], val_acc=[])
            if eval_every:
                hist.update(curve_step=[], curve_val_loss=[], curve_val_acc=[])

        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=total_steps, desc=f"fit {type(model).__name__}", unit="step", leave=False)

        activity = _ActivityL1(model) if activity_l1 > 0 else None
        step = 0
        model.train()
        if on_step is not None:
            on_step(0, model)
            model.train()
        while step < total_steps:
            t0 = time.perf_counter()
            perm = torch.randperm(N, generator=g).to(dev)
            loss_sum = torch.zeros((), device=dev)
            correct = torch.zeros((), device=dev, dtype=torch.int64)
            seen = 0
            for i in range(0, N, batch_size):
                if step >= total_steps:
                    break
                idx = perm[i:i + batch_size]
                xb, yb = X[idx], y[idx]
                with _autocast(dev):
                    out = model(xb)
                    loss = F.cross_entropy(out.float(), yb)
                total = loss + l1 * _l1_penalty(model) if l1 > 0 else loss
                if activity is not None:
                    total = total + activity_l1 * activity.pop()
                opt.zero_grad(set_to_none=True)
                total.backward()
                opt.step()
                step += 1
                loss_sum += loss.detach() * yb.shape[0]
                correct += (out.detach().argmax(1) == yb).sum()
                seen += yb.shape[0]
                if bar is not None:
                    bar.update(1)
                if on_step is not None:
                    on_step(step, model)
                    model.train()
                if has_val and eval_every and step % eval_every == 0:
                    vl, va = evaluate(model, X_val, y_val)
                    model.train()
                    hist["curve_step"].append(step)
                    hist["curve_val_loss"].append(vl)
                    hist["curve_val_acc"].append(va)
            if seen == 0:
                break
            ep_loss = float(loss_sum) / seen
            if not math.isfinite(ep_loss):
                if bar is not None:
                    bar.close()
                if activity is not None:
                    activity.remove()
                raise FloatingPointError(f"Training diverged (loss = {ep_loss}) at step {step}; "
                                         f"lower the learning rate (lr={lr}).")
            hist["loss"].append(ep_loss)
            hist["acc"].append(int(correct) / seen)
            hist["step"].append(step)
            if has_val:
                vl, va = evaluate(model, X_val, y_val)
                model.train()
                hist["val_loss"].append(vl)
                hist["val_acc"].append(va)
            hist["seconds"].append(time.perf_counter() - t0)
            if bar is not None:
                post = {"loss": f"{ep_loss:.3f}", "acc": f"{hist['acc'][-1]:.3f}"}
                if has_val:
                    post["val_acc"] = f"{hist['val_acc'][-1]:.3f}"
                bar.set_postfix(post)
        if bar is not None:
            bar.close()
        if activity is not None:
            activity.remove()
        model.eval()
        return hist


def fit_ensemble(*args, **kwargs):
    """Train many independent copies of a model at once (see :mod:`toolkit.ensemble`)."""
    from .ensemble import fit_ensemble as _fit_ensemble

    return _fit_ensemble(*args, **kwargs)
