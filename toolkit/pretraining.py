"""Ideal first layers for M(a, b, c): the primitives of notebook 06 (circle pretraining).

Gabrielsson & Carlsson (ICMLA 2019; arXiv 1811.01122; docs/REFERENCES.md section 3) fix conv1 of
M(64,32,64) to ideal filters (``VARIANTS``: circle, klein, gaussian; "normal" trains conv1), or
append their responses to the input. The experiment (nets, stopping, controls, verdicts) is written
in notebook 06's cells. A filter bank is (n, 3, 3) (one input channel) or (n, C, 3, 3); a frozen
layer has ``requires_grad=False`` on weight and bias (bias 0), so ``train.fit`` leaves it as built.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import config
from .arrays import as_array, as_count, as_fraction

__all__ = [
    "VARIANTS",
    "FIXED_VARIANTS",
    "klein_grid",
    "filter_bank",
    "check_bank",
    "freeze_first_layer",
    "variant_model",
    "AppendedFilters",
    "appended_model",
    "train_curve",
    "steps_to_threshold",
]

VARIANTS = ("circle", "klein", "gaussian", "normal")
FIXED_VARIANTS = ("circle", "klein", "gaussian")


def _check_variant(name: str) -> str:
    if not isinstance(name, str) or name.strip().lower() not in VARIANTS:
        raise ValueError(
            f"Unknown first-layer variant {name!r}. Choose one of {', '.join(VARIANTS)}."
        )
    return name.strip().lower()


def _widths(widths) -> tuple[int, int, int]:
    w = tuple(widths) if hasattr(widths, "__len__") else ()
    if len(w) != 3:
        raise ValueError(
            f"widths must be three positive integers (a, b, c) of M(a, b, c), got {widths!r}."
        )
    return tuple(as_count(v, f"widths[{i}]") for i, v in enumerate(w))


def klein_grid(n: int) -> tuple[int, int]:
    """The (n1, n2) grid of a Klein-bottle bank of n filters: n1 * n2 = n, 2 <= n1 <= n2, as square
    as possible (t1 takes n1 values in [0, pi), t2 takes n2 values in [0, 2 pi))."""
    n = as_count(n, "n (filters)")
    n1 = max((d for d in range(2, math.isqrt(max(n, 0)) + 1) if n % d == 0), default=0)
    if not n1:
        raise ValueError(
            f"n={n}: the Klein-bottle bank is an n1 x n2 grid of (t1, t2) with n1, n2 >= 2, "
            f"so n must be a product like 16 = 4x4, 32 = 4x8 or 64 = 8x8."
        )
    return n1, n // n1


def filter_bank(name: str, n: int = 64, *, seed: int = 0) -> torch.Tensor:
    """The n fixed 3x3 filters of a variant: float32 tensor (n, 3, 3), each of mean 0 and L2 norm 1.

    ``"circle"``: ``filters.primary_circle_filters(n)`` (angles 2*pi*j/n); ``"klein"``:
    ``filters.klein_bottle_filters(*klein_grid(n))``; ``"gaussian"``: i.i.d. N(0, 1) entries from
    ``torch.Generator().manual_seed(seed)``. Every bank is then mean-centred and L2-normalized per
    filter.
    """
    from . import filters

    name, n = _check_variant(name), as_count(n, "n (filters)")
    if name == "normal":
        raise ValueError(
            "The 'normal' variant trains conv1, so it has no fixed filter bank; "
            f"ask for one of {', '.join(FIXED_VARIANTS)}."
        )
    if name == "circle":
        w = torch.as_tensor(filters.primary_circle_filters(n), dtype=torch.float64)
    elif name == "klein":
        w = torch.as_tensor(filters.klein_bottle_filters(*klein_grid(n)), dtype=torch.float64)
    else:
        w = torch.randn(
            n,
            3,
            3,
            generator=torch.Generator().manual_seed(as_count(seed, "seed", minimum=0)),
            dtype=torch.float64,
        )
    w = w - w.mean(dim=(1, 2), keepdim=True)
    return (w / w.flatten(1).norm(dim=1).view(-1, 1, 1)).float()


def check_bank(bank, n: int | None = None, in_channels: int = 1) -> torch.Tensor:
    """A filter bank (array-like (n, 3, 3) or (n, in_channels, 3, 3), finite) as a float32 CPU
    tensor (n, in_channels, 3, 3). ``n``: the number of filters the layer needs (None = any).
    ValueError otherwise."""
    a = as_array(bank, "bank", ndim=(3, 4), axes="(n, 3, 3) or (n, in_channels, 3, 3)")
    w = torch.as_tensor(a[:, None] if a.ndim == 3 else a, dtype=torch.float32)
    if tuple(w.shape[1:]) != (in_channels, 3, 3):
        raise ValueError(
            f"bank has shape {a.shape}: this layer takes in_channels={in_channels} "
            f"input channels and 3x3 kernels, so pass a bank of shape (n, {in_channels}, 3, 3)"
            f"{' or (n, 3, 3)' if in_channels == 1 else ''}."
        )
    if n is not None and len(w) != n:
        raise ValueError(
            f"The layer has {n} output channels but the bank has {len(w)} filters: "
            f"build the model with a={len(w)} or pass {n} filters."
        )
    return w.contiguous()


def freeze_first_layer(model: nn.Module, bank) -> nn.Module:
    """Copy ``bank`` into ``model.conv1`` (a 3x3 ``nn.Conv2d`` with as many output channels as the
    bank has filters), set its bias to 0 and switch off ``requires_grad`` on both; returns the
    model."""
    conv = getattr(model, "conv1", None)
    if not isinstance(conv, nn.Conv2d) or tuple(conv.kernel_size) != (3, 3):
        raise ValueError(
            "freeze_first_layer needs a model whose `conv1` is a 3x3 nn.Conv2d "
            "(e.g. toolkit.models.CNN)."
        )
    w = check_bank(bank, n=conv.out_channels, in_channels=conv.in_channels)
    with torch.no_grad():
        conv.weight.copy_(w.to(conv.weight.device))
        if conv.bias is not None:
            conv.bias.zero_()
    conv.requires_grad_(False)
    return model


def variant_model(
    name: str,
    *,
    widths: Sequence[int] = (64, 32, 64),
    bank=None,
    seed: int = 0,
    dropout: float = 0.0,
    in_channels: int = 1,
    input_size: int = 28,
) -> nn.Module:
    """M(a, b, c) (a :class:`toolkit.models.CNN`) with the first layer of variant ``name``, frozen
    for the fixed variants. Built under ``config.seeded(seed)``: the trainable layers start as after
    ``torch.manual_seed(seed); CNN(a, b, c)``; the caller's random state is unchanged. ``bank``:
    your own (a, 3, 3) filters instead of the variant's (the gaussian bank is drawn from
    ``seed``)."""
    from .models import CNN

    name = _check_variant(name)
    a, b, c = _widths(widths)
    if name == "normal" and bank is not None:
        raise ValueError(
            "The 'normal' variant trains conv1 from a random start; a bank only makes "
            "sense for a fixed variant (circle, klein, gaussian)."
        )
    with config.seeded(seed):
        model = CNN(a, b, c, in_channels=in_channels, dropout=dropout, input_size=input_size)
    if name != "normal":
        freeze_first_layer(model, filter_bank(name, a, seed=seed) if bank is None else bank)
    model.variant = name
    return model


class AppendedFilters(nn.Module):
    """Append the responses of n fixed 3x3 filters to the input as extra channels: x (N,
    in_channels, H, W) -> (N, in_channels + n, H, W) = concat(x, conv2d(x, bank, padding=1)). The
    bank (n, 3, 3) or (n, in_channels, 3, 3) is a buffer (saved, moved by ``.to``), not a parameter:
    nothing trains it, but gradients flow through it to the input."""

    def __init__(self, bank, in_channels: int = 1):
        super().__init__()
        self.register_buffer("weight", check_bank(bank, in_channels=in_channels))
        self.in_channels = as_count(in_channels, "in_channels")
        self.out_channels = self.in_channels + len(self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"AppendedFilters expects images (N, {self.in_channels}, H, W), got "
                f"{tuple(x.shape)}."
            )
        return torch.cat([x, F.conv2d(x, self.weight.to(x.dtype), padding=1)], dim=1)

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, out_channels={self.out_channels}"


def appended_model(
    name: str,
    *,
    widths: Sequence[int] = (64, 32, 64),
    bank=None,
    n_filters: int | None = None,
    seed: int = 0,
    dropout: float = 0.0,
    in_channels: int = 1,
    input_size: int = 28,
) -> nn.Module:
    """The faster-learning experiment's nets, log-probabilities (N, 10). circle / klein / gaussian:
    ``nn.Sequential(appended=AppendedFilters(bank), net=CNN(a, b, c) on in_channels + n_filters
    channels)`` (``n_filters`` defaults to a = widths[0]; ``bank`` overrides the variant's filters);
    ``"normal"``: the plain M(a, b, c) on the image (the baseline). Built under
    ``config.seeded(seed)`` (caller's state kept)."""
    from .models import CNN

    name, widths = _check_variant(name), _widths(widths)
    if name == "normal":
        if bank is not None:
            raise ValueError("The 'normal' baseline appends no channels; do not pass a bank.")
        return variant_model(
            "normal",
            widths=widths,
            seed=seed,
            dropout=dropout,
            in_channels=in_channels,
            input_size=input_size,
        )
    bank = (
        filter_bank(
            name, widths[0] if n_filters is None else as_count(n_filters, "n_filters"), seed=seed
        )
        if bank is None
        else bank
    )
    appended = AppendedFilters(bank, in_channels=in_channels)
    with config.seeded(seed):
        net = CNN(
            *widths, in_channels=appended.out_channels, dropout=dropout, input_size=input_size
        )
    model = nn.Sequential(OrderedDict(appended=appended, net=net))
    model.variant = name
    return model


class _Stop(Exception):
    pass


def train_curve(
    model: nn.Module,
    X,
    y,
    *,
    iterations: int,
    val=None,
    eval_every: int = 5,
    stop_at: float | None = None,
    device=None,
    progress: bool = True,
    **fit_kw,
) -> dict:
    """``train.fit(model, X, y, iterations=..., **fit_kw)`` (batch_size, lr, weight_decay, l1,
    seed), with the accuracy on the held-out ``val`` = (X, y) recorded at steps 0, eval_every,
    2*eval_every, ... and the last step (fit's ``on_step`` callback). ``stop_at``: an accuracy
    fraction in (0, 1]; training stops at the first evaluation with accuracy >= it, with fit's
    weights after that step (CPU). Returns {"step": [...], "val_acc": [...] (fractions),
    "last_step": int, "stopped": bool (target reached)}.
    """
    from .train import as_tensors, evaluate, fit

    iterations, eval_every = as_count(iterations, "iterations"), as_count(eval_every, "eval_every")
    stop_at = (
        None if stop_at is None else as_fraction(stop_at, "stop_at (an accuracy)", open_lo=True)
    )
    if stop_at is not None and val is None:
        raise ValueError(
            f"stop_at={stop_at!r} needs held-out data `val=(X, y)` to measure the accuracy on."
        )
    dev = config.device(device) if not isinstance(device, torch.device) else device
    Xv, yv = as_tensors(*val, device=dev, name="val") if val is not None else (None, None)
    out = {"step": [], "val_acc": [], "last_step": 0, "stopped": False}

    def record(step, model):
        out["last_step"] = step
        if step % eval_every and step != iterations:
            return
        out["step"].append(step)
        if Xv is not None:
            out["val_acc"].append(float(evaluate(model, Xv, yv, batch_size=1024)[1]))
        if stop_at is not None and out["val_acc"][-1] >= float(stop_at):
            out["stopped"] = True
            raise _Stop

    try:
        fit(
            model,
            X,
            y,
            iterations=iterations,
            device=dev,
            progress=progress,
            on_step=record,
            **fit_kw,
        )
    except _Stop:
        pass
    model.eval()
    return out


def steps_to_threshold(steps, acc, threshold: float) -> tuple[int, bool]:
    """Steps to reach an accuracy ``threshold`` in (0, 1], with censoring: (step, True) at the first
    evaluated step with acc >= threshold, else (last evaluated step, False): the run had not got
    there by then, so its true value is only known to be larger -- never use that number as if it
    were one.

    steps (T,) increasing ints (the answer is only as fine as the evaluation grid); acc (T,)
    fractions.
    """
    steps = as_array(steps, "steps", ndim=1, axes="(T evaluated steps,)")
    acc = as_array(acc, "acc", ndim=1, axes="(T accuracies,)")
    threshold = as_fraction(threshold, "threshold (an accuracy)", open_lo=True)
    if len(steps) != len(acc):
        raise ValueError(
            f"steps and acc must have the same length, got {len(steps)} and {len(acc)}."
        )
    if np.any(steps != np.round(steps)) or np.any(steps < 0) or np.any(np.diff(steps) <= 0):
        raise ValueError(
            f"steps must be increasing whole numbers >= 0 (the evaluated steps in order); got "
            f"{steps.tolist()[:6]}. Sort steps and acc together: o = np.argsort(steps)."
        )
    if np.any(acc < 0) or np.any(acc > 1):
        raise ValueError(
            f"acc must hold accuracy fractions in [0, 1] (0.95, not 95); got max {acc.max():g}."
        )
    steps = steps.astype(np.int64)
    hit = np.flatnonzero(acc >= threshold)
    return (int(steps[hit[0]]), True) if hit.size else (int(steps[-1]), False)
