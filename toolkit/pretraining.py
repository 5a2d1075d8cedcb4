"""Ideal first layers for M(64, 32, 64): does a primary-circle conv1 generalize better and learn faster?

Gabrielsson & Carlsson (ICMLA 2019; REFERENCES.md section 3) report that M(64,32,64) trained on MNIST and
tested on SVHN digits reaches 28% when conv1 is *fixed* to the 64 primary-circle filters, 12% when it is
fixed to random gaussian filters and 11% when trained normally; and that appending 64 fixed circle or
Klein-bottle filter responses to the input as extra channels makes training faster. A later
reproduction (Larsen 2020) could not confirm the generalization gain. This module builds the variants
and runs both experiments with several seeds, so that notebook 06 can report a spread, not one run.

First-layer variants (``VARIANTS``):

- ``"circle"``   conv1 frozen to the n primary-circle filters ``filters.primary_circle_filters(n)``;
- ``"klein"``    conv1 frozen to the n = k*k Klein-bottle filters ``filters.klein_bottle_filters(k, k)``;
- ``"gaussian"`` conv1 frozen to n random gaussian filters (i.i.d. N(0, 1) entries, each filter scaled
  to unit L2 norm like the ideal ones, drawn from ``seed``);
- ``"normal"``   conv1 trained like every other layer (PyTorch's default initialization).

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
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import config

__all__ = [
    "VARIANTS", "FIXED_VARIANTS", "PAPER_SVHN", "other_domain_key", "filter_bank", "check_bank", "frozen_conv",
    "freeze_first_layer", "variant_model", "AppendedFilters", "AppendedNet", "appended_model",
    "log_spaced_steps", "train_curve", "run_variant", "run_grid", "results_table", "summary_table",
    "verdict", "learning_curves", "iterations_to_threshold", "speedup_table", "conv1_filters",
    "circle_measures", "population_table", "rank_correlation", "plot_banks", "plot_conversion",
    "plot_summary", "plot_learning_curves", "plot_population", "threshold_view",
]

VARIANTS = ("circle", "klein", "gaussian", "normal")
FIXED_VARIANTS = ("circle", "klein", "gaussian")
#: MNIST -> SVHN test accuracy reported by Gabrielsson & Carlsson (2019) for M(64,32,64); none for Klein.
PAPER_SVHN = {"circle": 0.28, "klein": None, "gaussian": 0.12, "normal": 0.11}


def _check_variant(name: str, allowed: Sequence[str] = VARIANTS) -> str:
    if not isinstance(name, str) or name.strip().lower() not in allowed:
        raise ValueError(f"Unknown first-layer variant {name!r}. Choose one of {', '.join(allowed)}.")
    return name.strip().lower()


# ---------------------------------------------------------------------------------------------------
# Filter banks and frozen layers
# ---------------------------------------------------------------------------------------------------
def filter_bank(name: str, n: int = 64, *, seed: int = 0) -> torch.Tensor:
    """The n fixed 3x3 filters of a variant: float32 tensor (n, 3, 3), each mean-zero or unit-norm.

    ``"circle"``: n unit primary-circle filters at angles 2*pi*j/n. ``"klein"``: n must be a square k*k;
    the k x k Klein-bottle grid (t1 = pi*i/k, t2 = 2*pi*j/k). ``"gaussian"``: i.i.d. N(0, 1) entries
    from ``torch.Generator().manual_seed(seed)``, each filter scaled to L2 norm 1 (not mean-centred).
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
        bank = filters.primary_circle_filters(n)
    elif name == "klein":
        k = int(round(math.sqrt(n)))
        if k * k != n:
            raise ValueError(f"The Klein-bottle bank is a k x k grid of (t1, t2), so n must be a square "
                             f"(16, 36, 64, ...); got n={n}.")
        bank = filters.klein_bottle_filters(k, k)
    else:
        g = torch.Generator().manual_seed(int(seed))
        w = torch.randn(n, 3, 3, generator=g, dtype=torch.float64)
        return (w / w.flatten(1).norm(dim=1).view(-1, 1, 1)).float()
    return torch.as_tensor(np.asarray(bank), dtype=torch.float32)


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


# ---------------------------------------------------------------------------------------------------
# Training with a learning curve (reproduces train.fit exactly, plus evaluations at chosen steps)
# ---------------------------------------------------------------------------------------------------
def log_spaced_steps(iterations: int, n: int = 8, first: int = 10) -> list[int]:
    """About ``n`` evaluation steps from ``first`` to ``iterations``, evenly spaced on a log scale.

    Always ends with ``iterations``; integers, increasing, no repeats. E.g. (1000, 6) -> 10 ... 1000.
    """
    iterations, n = int(iterations), int(n)
    if iterations < 1 or n < 1:
        raise ValueError(f"iterations and n must be >= 1, got {iterations}, {n}.")
    first = max(1, min(int(first), iterations))
    if n == 1 or first == iterations:
        return [iterations]
    pts = np.unique(np.round(np.geomspace(first, iterations, n)).astype(int))
    return [int(p) for p in pts]


def _accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    from .train import evaluate

    return float(evaluate(model, X, y, batch_size=1024)[1])


def train_curve(model: nn.Module, X, y, *, iterations: int, eval_at: Sequence[int] = (),
                eval_sets: Mapping[str, Any] | None = None, snapshot: Callable | None = None,
                batch_size: int = 128, lr: float = 1e-3, weight_decay: float = 0.0, l1: float = 0.0,
                seed: int = 0, device=None, progress: bool = True) -> dict:
    """Train like ``train.fit(..., iterations=iterations)`` and evaluate at the steps ``eval_at``.

    Same semantics as :func:`toolkit.train.fit` (seeding, shuffling, batches, Adam over the trainable
    parameters, loss, bfloat16 autocast on CUDA), so the final weights equal fit's on the CPU.
    ``eval_sets``: {name: Dataset or (X, y)}; at every step in ``eval_at`` (0 = before training) the
    accuracy (fraction in [0, 1]) on each set is recorded, and ``snapshot(model)`` (if given; must
    return something JSON-able, e.g. a list) is stored.
    Returns {"step": [...], "acc": {name: [...]}, "snapshots": [...], "loss": mean training loss per
    completed pass (nats)}.
    """
    from .train import as_tensors, fit

    iterations = int(iterations)
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}.")
    eval_at = sorted({int(s) for s in eval_at})
    if eval_at and (eval_at[0] < 0 or eval_at[-1] > iterations):
        raise ValueError(f"eval_at steps must lie in 0..{iterations}, got {eval_at}.")
    dev = config.device(device) if not isinstance(device, torch.device) else device
    sets = {k: as_tensors(*(v if isinstance(v, tuple) else (v.X, v.y)), device=dev, name=k)
            for k, v in (eval_sets or {}).items()}
    out = {"step": [], "acc": {k: [] for k in sets}, "snapshots": [], "loss": []}
    todo = set(eval_at)

    def record(step, model):
        if step not in todo:
            return
        out["step"].append(step)
        for k, (Xe, ye) in sets.items():
            out["acc"][k].append(_accuracy(model, Xe, ye))
        if snapshot is not None:
            out["snapshots"].append(snapshot(model))

    # the course's one training loop; record() is its per-step callback
    hist = fit(model, X, y, iterations=iterations, batch_size=batch_size, lr=lr,
               weight_decay=weight_decay, l1=l1, seed=seed, device=dev, progress=progress,
               on_step=record)
    out["loss"] = hist["loss"]
    return out


# ---------------------------------------------------------------------------------------------------
# Experiments: one cached run per (variant, kind, seed, settings)
# ---------------------------------------------------------------------------------------------------
def conv1_filters(model: nn.Module) -> list:
    """The first trained conv layer's weight as a nested list (n, C, 3, 3) (for snapshots)."""
    conv = model.net.conv1 if isinstance(model, AppendedNet) else model.conv1
    return conv.weight.detach().cpu().tolist()


_FINGERPRINTS: dict = {}


def _describe(ds) -> dict:
    """What identifies a data set in a checkpoint config: source, size, shape and a content hash
    (``zoo.fingerprint``, memoized per tensor so that 20 cached runs do not re-hash 60,000 images)."""
    from types import SimpleNamespace

    from .zoo import fingerprint

    X, y = (ds.X, ds.y) if hasattr(ds, "X") else ds
    key = (X.data_ptr(), X._version, tuple(X.shape), y.data_ptr(), y._version, tuple(y.shape),
           float(X.reshape(-1)[::9973].double().sum()))
    if key not in _FINGERPRINTS:
        _FINGERPRINTS[key] = fingerprint(SimpleNamespace(X=X, y=y))
    return {"source": getattr(ds, "source", "tensors"), "n": int(X.shape[0]),
            "shape": list(X.shape[1:]), "fingerprint": _FINGERPRINTS[key]}


def run_variant(variant: str, seed: int, *, train_set, eval_sets: Mapping[str, Any], iterations: int,
                kind: str = "frozen", eval_at: Sequence[int] | None = None, widths=(64, 32, 64),
                batch_size: int = 128, lr: float = 1e-3, weight_decay: float = 0.0,
                dropout: float = 0.0, snapshots: bool | None = None, retrain: bool = False,
                progress: bool = True) -> dict:
    """Train (or load from the checkpoint cache) one net and return its record.

    kind: ``"frozen"`` (:func:`variant_model`, the generalization experiment) or ``"appended"``
    (:func:`appended_model`, the faster-training experiment). Accuracies on every set of ``eval_sets``
    ({name: Dataset}) are taken at ``eval_at`` (default: only the last step); ``snapshots=True`` also
    stores the conv1 weights there (default: only for ``"normal"``, the one variant with a trained
    conv1 of one input channel). The ``"normal"`` net is the same M(a, b, c) in both experiments, so
    ``kind="appended"`` with ``"normal"`` runs (and caches) it as ``kind="frozen"``.
    The cache key is every setting plus a content fingerprint of the data.
    Returns {"variant", "kind", "seed", "weight_decay", "iterations", "step", "acc": {set: [...]},
    "conv1": [...] or None, "model"}.
    """
    from .checkpoints import train_or_load

    variant = _check_variant(variant)
    if kind not in ("frozen", "appended"):
        raise ValueError(f"kind={kind!r}: use 'frozen' (conv1 fixed) or 'appended' (extra channels).")
    eval_at = [int(iterations)] if eval_at is None else sorted({int(s) for s in eval_at})
    if variant == "normal":
        kind = "frozen"
    snapshots = (variant == "normal") if snapshots is None else bool(snapshots)
    cfg = {"experiment": "06_circle_pretraining", "variant": variant, "kind": kind, "seed": int(seed),
           "widths": list(_widths(widths)), "iterations": int(iterations), "batch_size": int(batch_size),
           "lr": float(lr), "weight_decay": float(weight_decay), "dropout": float(dropout),
           "eval_at": eval_at, "snapshots": bool(snapshots), "train": _describe(train_set),
           "eval": {k: _describe(v) for k, v in eval_sets.items()}}
    X0 = train_set.X if hasattr(train_set, "X") else train_set[0]
    size = int(X0.shape[-1])

    def make():
        if kind == "frozen":
            return variant_model(variant, widths=widths, seed=seed, dropout=dropout, input_size=size)
        return appended_model(variant, widths=widths, seed=seed, dropout=dropout, input_size=size)

    def train(model):
        return train_curve(model, *(train_set if isinstance(train_set, tuple) else
                                    (train_set.X, train_set.y)),
                           iterations=iterations, eval_at=eval_at, eval_sets=eval_sets,
                           snapshot=conv1_filters if snapshots else None, batch_size=batch_size,
                           lr=lr, weight_decay=weight_decay, seed=seed, progress=progress)

    name = f"06_{kind}_{variant}" + (f"_wd{weight_decay:g}" if weight_decay else "") + f"_s{seed}"
    model, record = train_or_load(name, cfg, make, train, retrain=retrain, verbose=progress)
    hist = record["history"]
    return {"variant": variant, "kind": kind, "seed": int(seed), "weight_decay": float(weight_decay),
            "iterations": int(iterations), "step": list(hist["step"]), "acc": dict(hist["acc"]),
            "conv1": hist.get("snapshots") or None, "train_seconds": record.get("train_seconds"),
            "loaded": record.get("loaded", False), "model": model}


def run_grid(variants: Sequence[str], seeds: Sequence[int] | int, **kwargs) -> list[dict]:
    """:func:`run_variant` for every variant and seed (``seeds`` an int n means 0..n-1)."""
    seeds = range(int(seeds)) if isinstance(seeds, (int, np.integer)) else seeds
    variants = [_check_variant(v) for v in variants]
    return [run_variant(v, s, **kwargs) for v in variants for s in seeds]


def results_table(records: Sequence[dict]):
    """One row per run: variant, kind, seed, weight_decay and the final accuracy on each eval set."""
    import pandas as pd

    rows = []
    for r in records:
        row = {"variant": r["variant"], "kind": r["kind"], "seed": r["seed"],
               "weight_decay": r["weight_decay"], "iterations": r["iterations"]}
        row.update({k: v[-1] for k, v in r["acc"].items()})
        rows.append(row)
    return pd.DataFrame(rows)


def summary_table(df, metrics: Sequence[str], *, paper: Mapping[str, float | None] | None = PAPER_SVHN):
    """Mean, standard deviation (over seeds, ddof=1), min and max per variant, next to the paper.

    ``df``: :func:`results_table` output; ``metrics``: its accuracy columns. The paper column holds
    Gabrielsson & Carlsson's MNIST -> SVHN accuracy of each variant (NaN where they report none).
    All accuracies in %.
    """
    import pandas as pd

    if df.empty:
        raise ValueError("No runs to summarize.")
    missing = [m for m in metrics if m not in df.columns]
    if missing:
        raise ValueError(f"No column(s) {missing} in the results; columns are {list(df.columns)}.")
    order = [v for v in VARIANTS if v in set(df["variant"])]
    rows = []
    for v in order:
        sub = df[df["variant"] == v]
        row = {"variant": v, "seeds": len(sub)}
        for m in metrics:
            a = 100 * sub[m].to_numpy(float)
            row[f"{m} mean %"] = a.mean()
            row[f"{m} sd"] = a.std(ddof=1) if len(a) > 1 else float("nan")
            row[f"{m} min-max"] = f"{a.min():.1f}-{a.max():.1f}"
        if paper is not None:
            p = paper.get(v)
            row["paper MNIST->SVHN %"] = float("nan") if p is None else 100 * p
        rows.append(row)
    return pd.DataFrame(rows).set_index("variant").round(2)


def verdict(df, metric: str, *, a: str = "circle", b: str = "normal",
            paper: Mapping[str, float | None] = PAPER_SVHN) -> str:
    """A plain-words comparison of variants ``a`` and ``b`` on ``metric``, from the measured runs.

    Says the means and sd over seeds, the difference, whether the seed ranges overlap, a Welch t-test
    p-value (two-sided, scipy) and how this compares with the paper's gap.
    """
    from scipy import stats

    xa = 100 * df.loc[df["variant"] == a, metric].to_numpy(float)
    xb = 100 * df.loc[df["variant"] == b, metric].to_numpy(float)
    if len(xa) == 0 or len(xb) == 0:
        raise ValueError(f"Need runs of both {a!r} and {b!r}; have {sorted(set(df['variant']))}.")
    d = xa.mean() - xb.mean()
    sd = lambda x: x.std(ddof=1) if len(x) > 1 else float("nan")  # noqa: E731
    text = (f"{a}: {xa.mean():.1f}% (sd {sd(xa):.1f}, n={len(xa)}) vs {b}: {xb.mean():.1f}% "
            f"(sd {sd(xb):.1f}, n={len(xb)}) on {metric}: difference {d:+.1f} points. ")
    overlap = xa.min() <= xb.max() and xb.min() <= xa.max()
    if len(xa) > 1 and len(xb) > 1:
        p = stats.ttest_ind(xa, xb, equal_var=False).pvalue
        text += f"Welch t-test p = {p:.3g}. "
        if overlap or not p < 0.05:
            text += f"The seeds overlap or the gap is within the seed-to-seed noise: no reliable {a} advantage. "
        elif d > 0:
            text += f"Every {a} seed beats every {b} seed: a consistent {a} advantage. "
        else:
            text += f"Every {b} seed beats every {a} seed: {a} is consistently worse. "
    pa, pb = paper.get(a) if paper else None, paper.get(b) if paper else None
    if pa is not None and pb is not None:
        text += f"The paper reported {100 * pa:.0f}% vs {100 * pb:.0f}% (a {100 * (pa - pb):+.0f}-point gap)."
    if config.is_fast():
        text += " [fast mode: smoke-test sizes, these numbers mean nothing]"
    return text


# ---------------------------------------------------------------------------------------------------
# Learning curves and iterations to a threshold
# ---------------------------------------------------------------------------------------------------
def learning_curves(records: Sequence[dict], metric: str) -> dict:
    """{variant: (steps (T,), accuracies (n_seeds, T))} from records that share their eval steps."""
    out: dict[str, tuple] = {}
    for v in VARIANTS:
        rs = [r for r in records if r["variant"] == v]
        if not rs:
            continue
        steps = np.asarray(rs[0]["step"])
        if any(list(r["step"]) != list(steps) for r in rs):
            raise ValueError(f"The {v} runs were evaluated at different steps; use one eval_at for all.")
        out[v] = (steps, np.asarray([r["acc"][metric] for r in rs], dtype=float))
    if not out:
        raise ValueError("No records given.")
    return out


def iterations_to_threshold(steps, acc, threshold: float, *, sustained: bool = False):
    """The first evaluated step at which accuracy reaches ``threshold`` (acc >= threshold), else None.

    steps (T,) increasing ints; acc (T,) fractions in [0, 1]; threshold a fraction in (0, 1].
    ``sustained=True``: the first step from which the accuracy *stays* >= threshold at every later
    evaluation (robust to noisy curves that touch the threshold once and fall back).
    """
    steps = np.asarray(steps)
    acc = np.asarray(acc, dtype=float)
    if steps.shape != acc.shape or steps.ndim != 1:
        raise ValueError(f"steps and acc must be 1-D of the same length, got {steps.shape}, {acc.shape}.")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold={threshold} must be an accuracy fraction in (0, 1] (e.g. 0.9).")
    ok = acc >= threshold
    if sustained:
        ok = np.flip(np.logical_and.accumulate(np.flip(ok)))   # True where all later ones are True too
    hit = np.flatnonzero(ok)
    return int(steps[hit[0]]) if hit.size else None


def speedup_table(curves: Mapping[str, tuple], threshold: float, *, reference: str = "normal",
                  sustained: bool = False):
    """Iterations each variant needs to reach ``threshold``, and its speed-up over ``reference``.

    ``curves``: {variant: (steps (T,), accuracies (n_seeds, T))} (:func:`learning_curves`). Per variant:
    the first evaluated step reaching the threshold for each seed ("not reached" if none), their median
    (inf when half or more never reach it), and the speed-up = reference median / variant median
    (> 1 = faster than the reference). When the reference never reaches the threshold but the variant
    does, the speed-up is only bounded below by last step / variant median: the value is that bound and
    the column "bound" says so. NaN when the variant itself does not reach the threshold.
    ``sustained``: count a seed as having reached the threshold only from the step on which it stays
    there (see :func:`iterations_to_threshold`).
    """
    import pandas as pd

    if reference not in curves:
        raise ValueError(f"No {reference!r} curves to compare with; have {list(curves)}.")
    rows, med = [], {}
    for v, (steps, A) in curves.items():
        its = [iterations_to_threshold(steps, a, threshold, sustained=sustained) for a in np.atleast_2d(A)]
        vals = np.array([np.inf if i is None else i for i in its], dtype=float)
        med[v] = float(np.median(vals))
        rows.append({"variant": v, "threshold": threshold,
                     "iterations per seed": ", ".join("not reached" if i is None else str(i) for i in its),
                     "median iterations": med[v]})
    df = pd.DataFrame(rows).set_index("variant")
    ref, last = med[reference], float(np.max(curves[reference][0]))
    ratio, bound = [], []
    for v in df.index:
        m = med[v]
        if not np.isfinite(m):
            ratio.append(float("nan"))
            bound.append("variant not reached")
        elif np.isfinite(ref):
            ratio.append(ref / m)
            bound.append("")
        else:
            ratio.append(last / m)
            bound.append(f"at least ({reference} not reached by step {last:g})")
    df[f"speed-up vs {reference}"] = ratio
    df["bound"] = bound
    return df


# ---------------------------------------------------------------------------------------------------
# Topology of conv1 vs generalization
# ---------------------------------------------------------------------------------------------------
def circle_measures(weight, *, n_landmarks: int | None = None) -> dict:
    """Topological and geometric circle measures of one conv1 filter set.

    weight: (n, C, 3, 3) or (n, 3, 3) array/tensor/list (C = 1). The filters are mean-centred and
    L2-normalized (points on S^7, ``filters.normalize``; constant filters dropped), then:

    - ``circle_score``: ``homology.circle_score`` of their Vietoris-Rips H1 (longest bar / second
      longest; inf when only one bar). Capped at 10 so that plots stay finite (ranks unaffected unless
      two nets are both above 10).
    - ``h1_max``: the longest H1 bar (distance units on S^7).
    - ``circle_energy``: mean squared length of each filter's projection onto the primary circle's plane
      span(e1, e2) (1 = every filter is an ideal edge filter, ~2/8 for random directions).
    """
    from . import filters, homology

    w = np.asarray(weight.detach().cpu().numpy() if hasattr(weight, "detach") else weight, float)
    if w.ndim == 4:
        if w.shape[1] != 1:
            raise ValueError(f"circle_measures expects one input channel, got weights {w.shape}.")
        w = w[:, 0]
    if w.ndim != 3 or w.shape[1:] != (3, 3):
        raise ValueError(f"Expected conv1 weights (n, 1, 3, 3) or (n, 3, 3), got {w.shape}.")
    P = filters.normalize(w, "l2", drop_constant=True)
    if len(P) < 3:
        return {"circle_score": 0.0, "h1_max": 0.0, "circle_energy": float("nan")}
    dg = homology.persistence(P, maxdim=1, n_landmarks=n_landmarks)
    life = homology.bar_lengths(dg, 1)
    E = filters.dct_basis()
    proj = P @ E[:2].T / (E[:2] ** 2).sum(1)  # e1, e2 have L2 norm 1 (D- and L2-norm agree for them)
    return {"circle_score": float(min(homology.circle_score(dg), 10.0)),
            "h1_max": float(life[0]) if len(life) else 0.0,
            "circle_energy": float((proj ** 2).sum(1).mean())}


def population_table(records: Sequence[dict], metrics: Sequence[str]):
    """One row per (run, evaluated step) of runs recorded with ``snapshots=True``: the run's seed,
    weight decay and step, :func:`circle_measures` of its conv1 at that step, and the accuracies."""
    import pandas as pd

    rows = []
    for r in records:
        if not r.get("conv1"):
            raise ValueError(f"The {r['variant']} seed {r['seed']} run has no conv1 snapshots; run it "
                             f"with snapshots=True.")
        for j, (step, w) in enumerate(zip(r["step"], r["conv1"])):
            row = {"run": f"{r['variant']} wd={r['weight_decay']:g} s{r['seed']}", "seed": r["seed"],
                   "weight_decay": r["weight_decay"], "step": step}
            row.update(circle_measures(w))
            row.update({m: r["acc"][m][j] for m in metrics})
            rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class RankCorrelation:
    """Spearman's rho with a bootstrap confidence interval (``lo``, ``hi``) over ``n`` nets."""

    rho: float
    lo: float
    hi: float
    n: int
    level: float
    n_boot: int
    partial: bool
    clusters: int | None

    def __str__(self) -> str:
        kind = "partial Spearman rho" if self.partial else "Spearman rho"
        boot = f"bootstrap over {self.clusters} runs" if self.clusters else "bootstrap over nets"
        return (f"{kind} = {self.rho:+.2f}, {100 * self.level:.0f}% CI [{self.lo:+.2f}, {self.hi:+.2f}] "
                f"(n = {self.n} nets, {boot}, {self.n_boot} resamples)")


def _spearman(x, y, z=None) -> float:
    from scipy.stats import rankdata

    rx, ry = rankdata(x), rankdata(y)
    if z is not None:  # partial: remove the linear effect of z's ranks from both rank vectors
        rz = np.column_stack([np.ones(len(x)), rankdata(z)])
        rx = rx - rz @ np.linalg.lstsq(rz, rx, rcond=None)[0]
        ry = ry - rz @ np.linalg.lstsq(rz, ry, rcond=None)[0]
    sx, sy = rx.std(), ry.std()
    if sx == 0 or sy == 0:
        return float("nan")
    return float(((rx - rx.mean()) * (ry - ry.mean())).mean() / (sx * sy))


def rank_correlation(x, y, *, control=None, groups=None, n_boot: int = 1000, level: float = 0.95,
                     seed: int = 0) -> RankCorrelation:
    """Spearman rank correlation of x and y (N,) with a percentile bootstrap confidence interval.

    control: optional (N,) variable whose ranks are partialled out of both (e.g. in-domain accuracy,
    so that "better trained" does not pass for "more circular"). groups: optional (N,) labels of
    non-independent rows (snapshots of one training run); the bootstrap then resamples whole groups
    (a cluster bootstrap), which gives an honest, wider interval.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 4:
        raise ValueError(f"x and y must be 1-D of equal length >= 4, got {x.shape} and {y.shape}.")
    z = None if control is None else np.asarray(control, float)
    if z is not None and z.shape != x.shape:
        raise ValueError(f"control must have shape {x.shape}, got {z.shape}.")
    if not 0 < level < 1:
        raise ValueError(f"level={level} must be in (0, 1), e.g. 0.95.")
    rho = _spearman(x, y, z)
    rng = np.random.default_rng(seed)
    if groups is not None:
        groups = np.asarray(groups)
        labels = np.unique(groups)
        members = [np.flatnonzero(groups == g) for g in labels]
    boots = []
    for _ in range(int(n_boot)):
        if groups is None:
            idx = rng.integers(0, len(x), len(x))
        else:
            idx = np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))])
        r = _spearman(x[idx], y[idx], None if z is None else z[idx])
        if np.isfinite(r):
            boots.append(r)
    if boots:
        lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    else:
        lo = hi = float("nan")
    return RankCorrelation(rho, float(lo), float(hi), len(x), level, int(n_boot), z is not None,
                           None if groups is None else len(members))


# ---------------------------------------------------------------------------------------------------
# Plots (each returns its matplotlib figure or axes; call plt.show() in a notebook)
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


def plot_summary(df, metrics: Sequence[str], *, paper: Mapping[str, float | None] = PAPER_SVHN,
                 paper_metric: str | None = None, ax=None):
    """Every seed's accuracy (dots) per variant and eval set, the mean (bar), and the paper (x)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    order = [v for v in VARIANTS if v in set(df["variant"])]
    w = 0.8 / len(metrics)
    for j, m in enumerate(metrics):
        for i, v in enumerate(order):
            a = 100 * df.loc[df["variant"] == v, m].to_numpy(float)
            x = i + (j - (len(metrics) - 1) / 2) * w
            ax.bar(x, a.mean(), width=w * 0.9, color=f"C{j}", alpha=0.5, label=m if i == 0 else None)
            ax.plot(np.full(len(a), x), a, "k.", ms=5)
            p = paper.get(v) if paper else None
            if p is not None and m == (paper_metric or metrics[-1]):
                ax.plot(x, 100 * p, "rx", ms=10, mew=2, label="paper (MNIST->SVHN)" if v == "circle" else None)
    ax.axhline(10, color="gray", ls=":", lw=1)
    ax.set_xticks(range(len(order)), order)
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8)
    return ax


def plot_learning_curves(curves: Mapping[str, tuple], threshold: float | None = None, *, ax=None,
                         title: str | None = None):
    """Test accuracy against iterations (log axis): mean over seeds (line) and min-max band."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    for i, (v, (steps, A)) in enumerate(curves.items()):
        ax.plot(steps, A.mean(0), "o-", ms=3, color=f"C{i}", label=f"{v} ({len(A)} seeds)")
        ax.fill_between(steps, A.min(0), A.max(0), color=f"C{i}", alpha=0.15)
    if threshold is not None:
        ax.axhline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:.2f}")
    ax.set_xscale("log")
    ax.set_xlabel("iterations (optimizer steps, batch 128)")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_population(df, x: str, y: str, *, ax=None, corr: RankCorrelation | None = None):
    """Scatter of a conv1 circle measure against an accuracy, one colour per weight decay, points of
    one run joined in training order."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    wds = sorted(set(df["weight_decay"]))
    for i, wd in enumerate(wds):
        for j, (run, g) in enumerate(df[df["weight_decay"] == wd].groupby("run")):
            g = g.sort_values("step")
            ax.plot(g[x], g[y], "-", color=f"C{i}", alpha=0.3, lw=1)
            ax.scatter(g[x], g[y], c=[f"C{i}"], s=8 + 40 * np.log10(g["step"].clip(lower=1)) /
                            max(np.log10(df["step"].max()), 1), label=f"weight decay {wd:g}" if j == 0 else None)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend(fontsize=8, title="marker size ~ log(step)", title_fontsize=7)
    if corr is not None:
        ax.set_title(str(corr).split(" (")[0], fontsize=9)
    return ax


def threshold_view(curves: Mapping[str, tuple], threshold: float = 0.9, *,
                   reference: str = "normal"):
    """The interactive demo's callback: print the speed-up table at ``threshold`` and return the
    learning-curve figure with the threshold drawn (for ``widgets.interactive_plot``; tests call it
    headless)."""
    import matplotlib.pyplot as plt

    table = speedup_table(curves, float(threshold), reference=reference)
    print(table.drop(columns="threshold").to_string())
    fig, ax = plt.subplots(figsize=(6.5, 4))
    plot_learning_curves(curves, float(threshold), ax=ax)
    return fig
