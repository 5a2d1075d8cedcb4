"""Ensembles: n independent copies of a model, each trained with :func:`toolkit.train.fit`'s
semantics.

``strategy="loop"`` (default on a CPU) runs ``fit`` on each copy in turn: fit's numbers, dropout
included. ``strategy="vmap"`` (default elsewhere) stacks the copies' parameters along a new leading
axis and runs one ``torch.func.vmap``-ed pass in fit's own loop (``train._loop``): Adam is
element-wise, so the weights equal the loop's up to float rounding (tests check it); dropout masks
come from vmap's random stream. On a CPU one small CNN step already keeps the cores busy and the
vectorized pass is slower (benchmarks/bench_ensemble.py, 8 x M(32,16,32), 2 cores: vmap at
0.58-0.83x the speed of sequential fits).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import checkpoints, config
from .arrays import as_count
from .train import _autocast, _loop, as_tensors, fit

__all__ = ["EnsembleResult", "fit_ensemble", "train_or_load_ensemble", "snapshot_steps"]


@dataclass
class EnsembleResult:
    """What :func:`fit_ensemble` returns: models (the n trained copies, eval mode); history (fit's
    per-epoch lists, "loss" and "acc" entries holding n per-copy values); snapshots ({step:
    {parameter name: tensor (n, *shape), CPU}} at steps 0, s, 2s, ... and the last with
    ``snapshot_every=s``); seconds (training wall time); loaded (from a checkpoint)."""

    models: list
    history: dict
    snapshots: dict = field(default_factory=dict)
    seconds: float = 0.0
    loaded: bool = False


def snapshot_steps(iterations: int, snapshot_every: int | None) -> list[int]:
    """The steps at which snapshots are taken: 0, s, 2s, ... < T, and T (none without
    ``snapshot_every``)."""
    if not snapshot_every:
        return []
    every = as_count(snapshot_every, "snapshot_every")
    return list(range(0, int(iterations), every)) + [int(iterations)]


def _build(make_model: Callable[[], nn.Module], n_models: int, seed: int) -> list:
    if isinstance(make_model, nn.Module) or not callable(make_model):
        raise TypeError(
            "make_model must be a function that builds a fresh model, e.g. "
            "`lambda: CNN(32, 16, 32)` (pass the function, not a model)."
        )
    models = []
    for i in range(as_count(n_models, "n_models")):
        with config.seeded(seed + i):
            models.append(make_model())
        if not isinstance(models[-1], nn.Module):
            raise TypeError(
                f"make_model() returned a {type(models[-1]).__name__}, not a torch nn.Module."
            )
    return models


def _vmap(models, X, y, *, T, B, lr, weight_decay, seed, dev, take, progress, chunk_size) -> dict:
    """Train the copies together: stacked parameters, one vmap-ed forward pass, fit's loop."""
    from torch.func import functional_call, vmap

    n = len(models)
    params = {
        k: torch.stack([m.get_parameter(k).detach() for m in models])
        .to(dev)
        .requires_grad_(p.requires_grad)
        for k, p in models[0].named_parameters()
    }
    buffers = {
        k: torch.stack([m.get_buffer(k) for m in models]).to(dev)
        for k, _ in models[0].named_buffers()
    }
    base = copy.deepcopy(models[0]).to("meta").train()
    vforward = vmap(
        lambda p, b, xb: functional_call(base, (p, b), (xb,)),
        randomness="different",
        chunk_size=chunk_size,
    )
    X, y = as_tensors(X, y, device=dev)
    with config.seeded(seed):
        opt = torch.optim.Adam(
            [p for p in params.values() if p.requires_grad], lr=lr, weight_decay=weight_decay
        )

        def update(idx):  # idx (n, b)
            xb, yb = X[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            with _autocast(dev):
                out = vforward(params, buffers, xb)  # (n, b, classes)
                losses = (
                    F.cross_entropy(out.float().flatten(0, 1), yb.flatten(), reduction="none")
                    .view(n, -1)
                    .mean(1)
                )
            losses.sum().backward()
            opt.step()
            return losses.detach(), (out.detach().argmax(-1) == yb).sum(1)

        gens = [torch.Generator().manual_seed(seed + i) for i in range(n)]
        hist = _loop(
            update,
            gens,
            X.shape[0],
            B,
            T,
            dev,
            lr=lr,
            desc=f"ensemble of {n}",
            progress=progress,
            per_copy=True,
            on_step=lambda s: take(s, lambda k: params[k].detach()),
        )
    with torch.no_grad():
        for i, m in enumerate(models):
            for k, p in m.to(dev).named_parameters():
                p.copy_(params[k][i])
            for k, b in m.named_buffers():
                b.copy_(buffers[k][i])
            m.eval()
    return hist


def fit_ensemble(
    make_model: Callable[[], nn.Module],
    n_models: int,
    X,
    y,
    *,
    iterations: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    device=None,
    snapshot_every: int | None = None,
    snapshot_params: Sequence[str] | None = None,
    weight_decay: float = 0.0,
    progress: bool = True,
    strategy: str = "auto",
    chunk_size: int | None = None,
) -> EnsembleResult:
    """Train ``n_models`` independent copies of ``make_model()`` (e.g. ``lambda: CNN(32, 16, 32)``):
    copy i is ``with config.seeded(seed + i): m = make_model()``, then ``fit(m, X, y,
    iterations=..., batch_size=..., lr=..., weight_decay=..., seed=seed + i)``; X (N, ...), y (N,).
    ``snapshot_every``: keep the weights (only ``snapshot_params``, e.g. ``["conv1.weight"]``, if
    given) every so many steps. ``strategy``: 'loop', 'vmap' or 'auto' (module docstring);
    ``chunk_size``: with 'vmap', at most so many copies per pass (the conv1 output of 100 x
    M(64,32,64) at batch 128 alone is 2.6 GB). The global random states are kept."""
    models = _build(make_model, n_models, seed)
    T, B = as_count(iterations, "iterations"), as_count(batch_size, "batch_size")
    dev = config.device(device)
    names = [k for k, _ in models[0].named_parameters()]
    if any([k for k, _ in m.named_parameters()] != names for m in models):
        raise ValueError("All models of an ensemble must have the same architecture.")
    snap_names = names if snapshot_params is None else list(snapshot_params)
    if set(snap_names) - set(names):
        raise ValueError(
            f"snapshot_params {sorted(set(snap_names) - set(names))} are not parameters of the "
            f"model; choose from {names}."
        )
    strategy = ("loop" if dev.type == "cpu" else "vmap") if strategy == "auto" else strategy
    if strategy not in ("vmap", "loop"):
        raise ValueError(f"strategy={strategy!r}: use 'auto', 'vmap' or 'loop'.")
    wanted, snapshots = set(snapshot_steps(T, snapshot_every)), {}

    def take(step, current):  # current(name) -> (n, *shape)
        if step in wanted:
            snapshots[step] = {k: current(k).cpu().clone() for k in snap_names}

    t0 = time.perf_counter()
    if strategy == "vmap":
        hist = _vmap(
            models,
            X,
            y,
            T=T,
            B=B,
            lr=lr,
            weight_decay=weight_decay,
            seed=seed,
            dev=dev,
            take=take,
            progress=progress,
            chunk_size=chunk_size,
        )
    else:
        per_copy = [{} for _ in models]  # per copy: {step: {name: tensor}}

        def snap(i):
            def on_step(step, model):
                if step in wanted:
                    per_copy[i][step] = {
                        k: model.get_parameter(k).detach().clone() for k in snap_names
                    }

            return on_step

        hs = [
            fit(
                m,
                X,
                y,
                iterations=T,
                batch_size=B,
                lr=lr,
                weight_decay=weight_decay,
                seed=seed + i,
                device=dev,
                progress=progress,
                on_step=snap(i),
            )
            for i, m in enumerate(models)
        ]
        for s in sorted(wanted):
            take(s, lambda k: torch.stack([c[s][k] for c in per_copy]))  # noqa: B023
        hist = {k: [list(v) for v in zip(*(h[k] for h in hs))] for k in ("loss", "acc")}
        hist.update(step=hs[0]["step"], seconds=[sum(v) for v in zip(*(h["seconds"] for h in hs))])
    return EnsembleResult(
        models=models, history=hist, snapshots=snapshots, seconds=time.perf_counter() - t0
    )


def train_or_load_ensemble(
    name: str,
    cfg: dict,
    make_model: Callable[[], nn.Module],
    n_models: int,
    X,
    y,
    *,
    iterations: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    device=None,
    snapshot_every: int | None = None,
    snapshot_params: Sequence[str] | None = None,
    retrain: bool = False,
    progress: bool = True,
) -> EnsembleResult:
    """:func:`fit_ensemble` cached with :func:`checkpoints.train_or_load`: trained once, loaded
    afterwards.

    ``name`` is the family (e.g. "filters_mnist"); the checkpoint is ``checkpoints.net_name(name,
    seed)``. ``cfg`` describes everything else that determines the result (architecture, data, ...);
    the training arguments given here are added to it before hashing. Snapshots are saved with the
    models.
    """
    full = dict(
        cfg,
        n_models=as_count(n_models, "n_models"),
        iterations=as_count(iterations, "iterations"),
        batch_size=as_count(batch_size, "batch_size"),
        lr=float(lr),
        seed=as_count(seed, "seed", minimum=0),
        snapshot_every=snapshot_every,
        snapshot_params=None if snapshot_params is None else list(snapshot_params),
    )
    steps = snapshot_steps(iterations, snapshot_every)
    with config.seeded(seed):
        shapes = {
            k: tuple(p.shape)
            for k, p in make_model().named_parameters()
            if steps and (snapshot_params is None or k in snapshot_params)
        }

    # a checkpointable module: the n models and, as buffers (steps, n, *shape), the snapshots
    def make_box():
        box = nn.Module()
        box.models = nn.ModuleList(_build(make_model, n_models, seed))
        for k, shape in shapes.items():
            box.register_buffer(
                k.replace(".", "__"), torch.zeros(len(steps), int(n_models), *shape)
            )
        return box

    def train(box):
        res = fit_ensemble(
            make_model,
            n_models,
            X,
            y,
            iterations=iterations,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            device=device,
            snapshot_every=snapshot_every,
            snapshot_params=snapshot_params,
            progress=progress,
        )
        box.models = nn.ModuleList(res.models)
        with torch.no_grad():
            for j, s in enumerate(steps):
                for k in shapes:
                    box.get_buffer(k.replace(".", "__"))[j].copy_(res.snapshots[s][k])
        return res.history

    box, record = checkpoints.train_or_load(
        checkpoints.net_name(name, seed),
        full,
        make_box,
        train,
        retrain=retrain,
        device=device,
        verbose=progress,
    )
    snapshots = {
        s: {k: box.get_buffer(k.replace(".", "__"))[j].cpu().clone() for k in shapes}
        for j, s in enumerate(steps)
    }
    return EnsembleResult(
        models=[m.eval() for m in box.models],
        history=record.get("history", {}),
        snapshots=snapshots,
        seconds=float(record.get("train_seconds", 0.0)),
        loaded=bool(record["loaded"]),
    )
