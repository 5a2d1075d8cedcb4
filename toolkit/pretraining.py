"""Ideal first layers for M(a, b, c): the primitives of notebook 06 (circle pretraining).

Gabrielsson & Carlsson (ICMLA 2019; companion arXiv 1811.01122; summarized in docs/REFERENCES.md section 3)
fix conv1 of M(64,32,64) to ideal filters (primary circle, Klein bottle, random gaussian) or append those
filters' responses to the input, and compare with a normally trained net. This module holds the
building blocks only; the experiment (which nets, when to stop, which control, the verdict) is written in
notebook 06's cells, where a student reads it.

First-layer variants (``VARIANTS``):

- ``"circle"``   conv1 frozen to n primary-circle filters ``filters.primary_circle_filters(n)``;
- ``"klein"``    conv1 frozen to n = n1*n2 Klein-bottle filters ``filters.klein_bottle_filters(n1, n2)``
  (n1 <= n2 the most nearly square factorization of n: 16 = 4x4, 32 = 4x8, 64 = 8x8);
- ``"gaussian"`` conv1 frozen to n random gaussian filters (i.i.d. N(0, 1) entries drawn from ``seed``);
- ``"normal"``   conv1 trained like every other layer (PyTorch's default initialization).

Every fixed bank is mean-centred and scaled to unit L2 norm per filter (the circle and Klein filters
already are; the gaussian ones are made so), so that banks differ only in the *shape* of their filters,
not in their mean or size.

A frozen layer has ``requires_grad=False`` on its weight and bias (bias fixed at 0), so ``train.fit`` and
:func:`train_curve` leave it exactly as built. Shapes: a *filter bank* is (n, 3, 3) (one input channel)
or (n, C, 3, 3); a conv1 weight is (n, C, 3, 3).

"Appended channels" (the faster-training experiment): :class:`AppendedFilters` computes the inner
product of each 3x3 patch (zero-padded, stride 1) with each of n fixed filters and concatenates the n
response maps to the image: (N, C, H, W) -> (N, C + n, H, W); :func:`appended_model` puts it in front of
an M(a, b, c) whose conv1 takes C + n channels. The fixed filters are a buffer, not a parameter: no
optimizer ever sees them.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import config

__all__ = [
    "VARIANTS", "FIXED_VARIANTS", "other_domain_key", "filter_bank", "klein_grid", "check_bank",
    "frozen_conv", "freeze_first_layer", "variant_model", "AppendedFilters", "AppendedNet",
    "appended_model", "conv1_filters", "train_curve", "iterations_to_threshold", "steps_to_threshold",
    "plot_banks", "plot_conversion", "plot_seeds", "plot_curves",
]

VARIANTS = ("circle", "klein", "gaussian", "normal")
FIXED_VARIANTS = ("circle", "klein", "gaussian")


def _check_variant(name: str, allowed: Sequence[str] = VARIANTS) -> str:
    if not isinstance(name, str) or name.strip().lower() not in allowed:
        raise ValueError(f"Unknown first-layer variant {name!r}. Choose one of {', '.join(allowed)}.")
    return name.strip().lower()


# ---------------------------------------------------------------------------------------------------
# Filter banks and frozen layers
# ---------------------------------------------------------------------------------------------------
def klein_grid(n: int) -> tuple[int, int]:
    """The (n1, n2) grid of a Klein-bottle bank of n filters: n1 * n2 = n, n1 <= n2, as square as
    possible (t1 takes n1 values in [0, pi), t2 takes n2 values in [0, 2 pi)). n must not be prime."""
    n = int(n)
    n1 = max(d for d in range(1, int(math.isqrt(n)) + 1) if n % d == 0) if n >= 1 else 0
    if n1 < 2:
        raise ValueError(f"n={n}: the Klein-bottle bank is an n1 x n2 grid of (t1, t2) with n1, n2 >= 2, "
                         f"so n must be a product like 16 = 4x4, 32 = 4x8 or 64 = 8x8.")
    return n1, n // n1


def filter_bank(name: str, n: int = 64, *, seed: int = 0) -> torch.Tensor:
    """The n fixed 3x3 filters of a variant: float32 tensor (n, 3, 3), each mean 0 and L2 norm 1.

    ``"circle"``: n unit primary-circle filters at angles 2*pi*j/n. ``"klein"``: the n1 x n2
    Klein-bottle grid of :func:`klein_grid` (t1 = pi*i/n1, t2 = 2*pi*j/n2). ``"gaussian"``: i.i.d.
    N(0, 1) entries from ``torch.Generator().manual_seed(seed)``. Every bank is then mean-centred and
    L2-normalized per filter, the same way, so that only the filters' shape differs between banks.
    ``"normal"`` has no fixed bank (its conv1 is trained), so asking for one is an error.
    """
    from . import filters

    name = _check_variant(name)
    n = int(n)
    if n < 1:
        raise ValueError(f"n={n}: a filter bank needs at least one filter.")
    if name == "normal":
        raise ValueError("The 'normal' variant trains conv1, so it has no fixed filter bank; "
                         f"ask for one of {', '.join(FIXED_VARIANTS)}.")
    if name == "circle":
        w = torch.as_tensor(filters.primary_circle_filters(n), dtype=torch.float64)
    elif name == "klein":
        w = torch.as_tensor(filters.klein_bottle_filters(*klein_grid(n)), dtype=torch.float64)
    else:
        g = torch.Generator().manual_seed(int(seed))
        w = torch.randn(n, 3, 3, generator=g, dtype=torch.float64)
    w = w - w.mean(dim=(1, 2), keepdim=True)
    return (w / w.flatten(1).norm(dim=1).view(-1, 1, 1)).float()


def check_bank(bank, n: int | None = None, in_channels: int = 1) -> torch.Tensor:
    """Validate a filter bank and return it as a float32 CPU tensor (n, in_channels, 3, 3).

    ``bank``: array-like (n, 3, 3) (one input channel) or (n, in_channels, 3, 3). ``n``: the number of
    output channels the layer must have (None = any). Raises ``ValueError`` saying what to change.
    """
    if isinstance(bank, torch.Tensor):
        w = bank.detach().to("cpu", torch.float32)
    else:
        try:
            w = torch.as_tensor(np.asarray(bank, dtype=np.float32))
        except (TypeError, ValueError):
            raise TypeError(f"A filter bank must be an array or tensor of shape (n, 3, 3), got a "
                            f"{type(bank).__name__}.") from None
    if w.dim() == 3:
        if in_channels != 1:
            raise ValueError(f"A bank of shape {tuple(w.shape)} has one input channel, but the layer "
                             f"takes in_channels={in_channels}; pass a bank of shape "
                             f"(n, {in_channels}, 3, 3).")
        w = w.unsqueeze(1)
    if w.dim() != 4 or tuple(w.shape[-2:]) != (3, 3):
        raise ValueError(f"A filter bank must have shape (n, 3, 3) or (n, in_channels, 3, 3) with 3x3 "
                         f"kernels; got {tuple(w.shape)}.")
    if w.shape[1] != in_channels:
        raise ValueError(f"The bank has {w.shape[1]} input channels per filter but the layer takes "
                         f"in_channels={in_channels}.")
    if n is not None and w.shape[0] != n:
        raise ValueError(f"The layer has {n} output channels but the bank has {w.shape[0]} filters: "
                         f"build the model with a={w.shape[0]} or pass {n} filters.")
    if w.shape[0] < 1:
        raise ValueError("The filter bank is empty.")
    if not torch.isfinite(w).all():
        raise ValueError("The filter bank contains NaN or infinite values.")
    return w.contiguous()


def frozen_conv(bank, in_channels: int = 1) -> nn.Conv2d:
    """A 3x3 'same' convolution whose weights are ``bank`` and stay fixed.

    bank (n, 3, 3) or (n, in_channels, 3, 3) -> ``nn.Conv2d(in_channels, n, 3, padding=1)`` with
    weight = bank, bias = 0, and ``requires_grad=False`` on both. Maps (N, in_channels, H, W) to
    (N, n, H, W).
    """
    w = check_bank(bank, in_channels=in_channels)
    conv = nn.Conv2d(in_channels, w.shape[0], kernel_size=3, padding=1)
    with torch.no_grad():
        conv.weight.copy_(w)
        conv.bias.zero_()
    conv.weight.requires_grad_(False)
    conv.bias.requires_grad_(False)
    return conv


def freeze_first_layer(model: nn.Module, bank) -> nn.Module:
    """Set ``model.conv1`` to the filters of ``bank`` (bias 0) and freeze it; returns the model.

    ``model.conv1`` must be a 3x3 ``nn.Conv2d`` with as many output channels as ``bank`` has filters.
    """
    conv = getattr(model, "conv1", None)
    if not isinstance(conv, nn.Conv2d) or tuple(conv.kernel_size) != (3, 3):
        raise ValueError("freeze_first_layer needs a model whose `conv1` is a 3x3 nn.Conv2d "
                         "(e.g. toolkit.models.CNN).")
    w = check_bank(bank, n=conv.out_channels, in_channels=conv.in_channels)
    with torch.no_grad():
        conv.weight.copy_(w.to(conv.weight.device))
        if conv.bias is not None:
            conv.bias.zero_()
    for p in conv.parameters():
        p.requires_grad_(False)
    return model


def variant_model(name: str, *, widths: Sequence[int] = (64, 32, 64), bank=None, seed: int = 0,
                  dropout: float = 0.0, in_channels: int = 1, input_size: int = 28) -> nn.Module:
    """M(a, b, c) with the first layer of variant ``name`` (see the module docstring).

    The model is built under ``torch.manual_seed(seed)`` (the caller's random state is restored), so the
    trainable layers start as in ``torch.manual_seed(seed); CNN(a, b, c)``. ``bank`` overrides the
    variant's filters (any (a, 3, 3) bank, e.g. your own); the gaussian bank is drawn from ``seed``.
    Returns a :class:`toolkit.models.CNN`; for a fixed variant ``conv1`` has no trainable parameter.
    """
    from .models import CNN

    name = _check_variant(name)
    a, b, c = _widths(widths)
    if name == "normal" and bank is not None:
        raise ValueError("The 'normal' variant trains conv1 from a random start; a bank only makes "
                         "sense for a fixed variant (circle, klein, gaussian).")
    if name != "normal":
        bank = filter_bank(name, a, seed=seed) if bank is None else bank
        bank = check_bank(bank, n=a, in_channels=in_channels)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        model = CNN(a, b, c, in_channels=in_channels, dropout=dropout, input_size=input_size)
    if name != "normal":
        freeze_first_layer(model, bank)
    model.variant = name
    return model


def _widths(widths) -> tuple[int, int, int]:
    try:
        a, b, c = (int(v) for v in widths)
    except (TypeError, ValueError):
        raise ValueError(f"widths must be three positive integers (a, b, c) of M(a, b, c), got "
                         f"{widths!r}.") from None
    if min(a, b, c) < 1:
        raise ValueError(f"widths must be positive, got {(a, b, c)}.")
    return a, b, c


class AppendedFilters(nn.Module):
    """Append the responses of n fixed 3x3 filters to the input as extra channels.

    ``bank``: (n, 3, 3) or (n, in_channels, 3, 3). Forward: x (N, in_channels, H, W) ->
    (N, in_channels + n, H, W) = concat(x, conv2d(x, bank, padding=1)). The bank is a buffer (saved in
    the state dict, moved by ``.to``), never a parameter, so nothing trains it; gradients still flow
    through it to the input.
    """

    def __init__(self, bank, in_channels: int = 1):
        super().__init__()
        w = check_bank(bank, in_channels=in_channels)
        self.in_channels = int(in_channels)
        self.n_filters = int(w.shape[0])
        self.register_buffer("weight", w)

    @property
    def out_channels(self) -> int:
        return self.in_channels + self.n_filters

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"AppendedFilters expects images (N, {self.in_channels}, H, W), got "
                             f"{tuple(x.shape)}.")
        return torch.cat([x, F.conv2d(x, self.weight.to(x.dtype), padding=1)], dim=1)

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, n_filters={self.n_filters}"


class AppendedNet(nn.Module):
    """``AppendedFilters(bank)`` followed by M(a, b, c) on in_channels + n channels; log-probs (N, 10)."""

    def __init__(self, bank, widths: Sequence[int] = (64, 32, 64), *, in_channels: int = 1,
                 dropout: float = 0.0, input_size: int = 28):
        super().__init__()
        from .models import CNN

        a, b, c = _widths(widths)
        self.append = AppendedFilters(bank, in_channels=in_channels)
        self.net = CNN(a, b, c, in_channels=self.append.out_channels, dropout=dropout,
                       input_size=input_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.append(x))


def appended_model(name: str, *, widths: Sequence[int] = (64, 32, 64), bank=None,
                   n_filters: int | None = None, seed: int = 0, dropout: float = 0.0,
                   in_channels: int = 1, input_size: int = 28) -> nn.Module:
    """The faster-training experiment's nets: the input plus ``n_filters`` fixed-filter channels.

    ``n_filters`` defaults to a = widths[0] (64 for the paper's M(64, 32, 64)).
    ``name`` in circle / klein / gaussian: :class:`AppendedNet` with that bank (or ``bank``);
    ``"normal"``: the plain M(a, b, c) on the image alone (the baseline). Built under
    ``torch.manual_seed(seed)`` (caller's random state restored).
    """
    from .models import CNN

    name = _check_variant(name)
    if name == "normal":
        if bank is not None:
            raise ValueError("The 'normal' baseline appends no channels; do not pass a bank.")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            model = CNN(*_widths(widths), in_channels=in_channels, dropout=dropout,
                        input_size=input_size)
    else:
        n_filters = _widths(widths)[0] if n_filters is None else int(n_filters)
        bank = filter_bank(name, n_filters, seed=seed) if bank is None else bank
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            model = AppendedNet(bank, widths, in_channels=in_channels, dropout=dropout,
                                input_size=input_size)
    model.variant = name
    return model


def other_domain_key(ds) -> str:
    """The column name for the other digit domain: "svhn" for real SVHN, "sk_digits" for the offline
    stand-in (scikit-learn's 8x8 handwritten digits), judged from ``ds.source``."""
    src = str(getattr(ds, "source", "")).lower()
    return "sk_digits" if ("scikit-learn" in src or "stand-in" in src) else "svhn"



def conv1_filters(model: nn.Module) -> list:
    """The first trained conv layer's weight as a nested list (n, C, 3, 3) (for snapshots)."""
    conv = model.net.conv1 if isinstance(model, AppendedNet) else model.conv1
    return conv.weight.detach().cpu().tolist()


# ---------------------------------------------------------------------------------------------------
# Training with a learning curve (train.fit plus evaluations every few steps and an optional stop)
# ---------------------------------------------------------------------------------------------------
class _Stop(Exception):
    """Raised inside fit's on_step callback to end training at the stop criterion."""


def _accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    from .train import evaluate

    return float(evaluate(model, X, y, batch_size=1024)[1])


def train_curve(model: nn.Module, X, y, *, iterations: int, eval_every: int = 5,
                eval_sets: Mapping[str, Any] | None = None, stop_at: tuple[str, float] | None = None,
                snapshot: Callable | None = None, batch_size: int = 128, lr: float = 1e-3,
                weight_decay: float = 0.0, l1: float = 0.0, seed: int = 0, device=None,
                progress: bool = True) -> dict:
    """Train with ``train.fit`` for at most ``iterations`` steps, evaluating every ``eval_every`` steps.

    The evaluations happen at steps 0, eval_every, 2*eval_every, ... and at the last step; at each
    the accuracy (fraction in [0, 1]) on every set of ``eval_sets`` ({name: Dataset or (X, y)}) is
    recorded, and ``snapshot(model)`` (if given; something JSON-able, e.g. :func:`conv1_filters`).
    ``stop_at=(name, threshold)``: stop at the first evaluation where the accuracy on eval set ``name``
    is >= threshold (e.g. ``("val", 0.9)``: train every net to the same accuracy on held-out data).
    Without a stop the weights equal ``train.fit(..., iterations=iterations)``'s on the CPU (same
    seeding, shuffling and batches); with a stop they equal fit's after the step it stopped at.
    Returns {"step": [...], "acc": {name: [...]}, "snapshots": [...], "last_step": int,
    "stopped": bool (the stop criterion was met)}.
    """
    from .train import as_tensors, fit

    iterations, eval_every = int(iterations), int(eval_every)
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}.")
    if eval_every < 1:
        raise ValueError(f"eval_every must be >= 1 (evaluate every so many steps), got {eval_every}.")
    dev = config.device(device) if not isinstance(device, torch.device) else device
    sets = {k: as_tensors(*(v if isinstance(v, tuple) else (v.X, v.y)), device=dev, name=k)
            for k, v in (eval_sets or {}).items()}
    if stop_at is not None:
        try:
            stop_name, stop_thr = stop_at
            stop_thr = float(stop_thr)
        except (TypeError, ValueError):
            raise ValueError(f"stop_at must be (eval set name, accuracy threshold), got {stop_at!r}.") from None
        if stop_name not in sets:
            raise ValueError(f"stop_at names the eval set {stop_name!r}, but eval_sets has "
                             f"{list(sets) or 'none'}; pass that set in eval_sets.")
        if not 0 < stop_thr <= 1:
            raise ValueError(f"stop_at threshold {stop_thr} must be an accuracy fraction in (0, 1].")
    out = {"step": [], "acc": {k: [] for k in sets}, "snapshots": [], "last_step": 0, "stopped": False}
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=iterations, desc=f"train {type(model).__name__}", unit="step", leave=False)

    def record(step, model):
        out["last_step"] = step
        if bar is not None and step:
            bar.update(1)
        if step % eval_every and step != iterations:
            return
        out["step"].append(step)
        for k, (Xe, ye) in sets.items():
            out["acc"][k].append(_accuracy(model, Xe, ye))
        if snapshot is not None:
            out["snapshots"].append(snapshot(model))
        if stop_at is not None and out["acc"][stop_name][-1] >= stop_thr:
            out["stopped"] = True
            raise _Stop

    try:   # the course's one training loop; record() is its per-step callback
        fit(model, X, y, iterations=iterations, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
            l1=l1, seed=seed, device=dev, progress=False, on_step=record)
    except _Stop:
        pass
    finally:
        if bar is not None:
            bar.close()
    model.eval()
    return out


# ---------------------------------------------------------------------------------------------------
# Steps to an accuracy threshold
# ---------------------------------------------------------------------------------------------------
def _curve(steps, acc, threshold):
    steps = np.asarray(steps)
    acc = np.asarray(acc, dtype=float)
    if steps.shape != acc.shape or steps.ndim != 1 or steps.size == 0:
        raise ValueError(f"steps and acc must be 1-D of the same non-zero length, got {steps.shape}, "
                         f"{acc.shape}.")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold={threshold} must be an accuracy fraction in (0, 1] (e.g. 0.9).")
    return steps, acc


def iterations_to_threshold(steps, acc, threshold: float, *, sustained: bool = False):
    """The first evaluated step at which accuracy reaches ``threshold`` (acc >= threshold), else None.

    steps (T,) increasing ints; acc (T,) fractions in [0, 1]; threshold a fraction in (0, 1].
    ``sustained=True``: the first step from which the accuracy *stays* >= threshold at every later
    evaluation (robust to noisy curves that touch the threshold once and fall back).
    """
    steps, acc = _curve(steps, acc, threshold)
    ok = acc >= threshold
    if sustained:
        ok = np.flip(np.logical_and.accumulate(np.flip(ok)))   # True where all later ones are True too
    hit = np.flatnonzero(ok)
    return int(steps[hit[0]]) if hit.size else None


def steps_to_threshold(steps, acc, threshold: float, *, sustained: bool = False) -> tuple[int, bool]:
    """Steps to reach ``threshold`` with censoring: (step, True) at the first evaluated step with
    acc >= threshold, else (last evaluated step, False) -- the run did not get there by that step, so
    its true value is only known to be larger ("censored"); never use that number as if it were one.

    steps (T,) increasing ints (evaluate often: the answer is only as fine as the evaluation grid);
    acc (T,) fractions; ``sustained`` as in :func:`iterations_to_threshold`.
    """
    steps, acc = _curve(steps, acc, threshold)
    hit = iterations_to_threshold(steps, acc, threshold, sustained=sustained)
    return (hit, True) if hit is not None else (int(steps[-1]), False)


# ---------------------------------------------------------------------------------------------------
# Plots (each returns its matplotlib Figure; call plt.show() in a notebook)
# ---------------------------------------------------------------------------------------------------
def plot_banks(banks: Mapping[str, Any], ncols: int = 16, scale: float = 0.45):
    """Show several filter banks {name: (n, 3, 3)}, one block of rows per bank, each filter scaled
    symmetrically around 0 (black = negative, white = positive)."""
    import matplotlib.pyplot as plt

    banks = {k: check_bank(v)[:, 0].numpy() for k, v in banks.items()}
    rows = [int(math.ceil(len(b) / ncols)) for b in banks.values()]
    fig, axes = plt.subplots(sum(rows), ncols, figsize=(ncols * scale, sum(rows) * scale + 0.4 * len(rows)),
                             squeeze=False)
    r0 = 0
    for (name, b), nr in zip(banks.items(), rows):
        for i in range(nr * ncols):
            ax = axes[r0 + i // ncols, i % ncols]
            ax.set_xticks([])
            ax.set_yticks([])
            if i < len(b):
                v = np.abs(b[i]).max() or 1.0
                ax.imshow(b[i], cmap="gray", vmin=-v, vmax=v)
            else:
                ax.axis("off")
        axes[r0, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
        r0 += nr
    fig.subplots_adjust(wspace=0.05, hspace=0.05)
    return fig


def plot_conversion(raw, converted, k: int = 8):
    """Top row: the other-domain test images as loaded (per-image contrast stretch); bottom row: the
    same images after the conversion the MNIST net sees (grayscale 28x28), with their labels."""
    import matplotlib.pyplot as plt

    a, b = raw.images()[:k], converted.images()[:k]
    fig, axes = plt.subplots(2, k, figsize=(1.2 * k, 2.8), squeeze=False)
    for i in range(min(k, len(a))):
        img = a[i]
        img = (img - img.min()) / (np.ptp(img) or 1.0)
        axes[0, i].imshow(img, cmap=None if img.ndim == 3 else "gray")
        axes[1, i].imshow(b[i], cmap="gray", vmin=0, vmax=1)
        axes[1, i].set_title(f"label {int(converted.y[i])}", fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel(f"{tuple(raw.X.shape[1:])}", fontsize=8)
    axes[1, 0].set_ylabel(f"{tuple(converted.X.shape[1:])}", fontsize=8)
    return fig



def plot_seeds(values: Mapping[str, Any], *, ylabel: str, ax=None, chance: float | None = None,
               title: str | None = None):
    """One value per seed (dots) and their mean (bar) for each group: ``values`` {group: (n_seeds,)}.

    Returns the Figure. ``chance``: draw a dotted line there (e.g. 10 for ten classes in %).
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5)) if ax is None else (ax.figure, ax)
    for i, (g, v) in enumerate(values.items()):
        v = np.asarray(v, dtype=float).ravel()
        if v.size == 0:
            raise ValueError(f"values[{g!r}] is empty: pass one number per seed.")
        ax.bar(i, v.mean(), width=0.6, color=f"C{i}", alpha=0.4)
        ax.plot(np.full(v.size, i) + np.linspace(-0.12, 0.12, v.size), v, "k.", ms=6)
    if chance is not None:
        ax.axhline(chance, color="gray", ls=":", lw=1, label="chance")
        ax.legend(fontsize=8)
    ax.set_xticks(range(len(values)), list(values))
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def plot_curves(curves: Mapping[str, Sequence[tuple]], threshold: float | None = None, *, ax=None,
                title: str | None = None, xlabel: str = "optimizer steps (batch 128)"):
    """Learning curves: ``curves`` {group: [(steps (T,), acc (T,)), ... one per seed]}, one thin line
    per seed in the group's colour (curves may differ in length: a run stopped early ends early).

    ``threshold``: a dashed line there, and a dot where each seed first reaches it. Returns the Figure.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4)) if ax is None else (ax.figure, ax)
    for i, (g, runs) in enumerate(curves.items()):
        for j, (s, a) in enumerate(runs):
            s, a = np.asarray(s), np.asarray(a, dtype=float)
            ax.plot(s, a, "-", color=f"C{i}", lw=1, alpha=0.7, label=f"{g} ({len(runs)} seeds)" if j == 0 else None)
            if threshold is not None:
                hit = iterations_to_threshold(s, a, threshold)
                if hit is not None:
                    ax.plot(hit, a[list(s).index(hit)], "o", color=f"C{i}", ms=4)
    if threshold is not None:
        ax.axhline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:.2f}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig
