"""Vectorized ensembles: train n independent copies of a model at once (torch.func stacking + vmap).

The paper behind notebook 05 trains 100 CNNs M(64, 32, 64) and studies all their first-layer filters
together. A Python loop over 100 ``fit`` calls is slow; here the n copies' parameters are stacked along a
new leading dimension and one ``torch.func.vmap``-ed forward pass runs all of them (convolutions become
one grouped convolution, linear layers one batched matmul). Each copy still has its own initialization
and its own data order, and follows exactly the semantics of :func:`toolkit.train.fit`:

- copy i is built under ``torch.manual_seed(seed + i)`` and shuffles with
  ``torch.Generator().manual_seed(seed + i)`` (one ``randperm`` per epoch, batches ``perm[j:j+B]``, the
  last partial batch kept), so it sees the same batches as ``fit(model_i, X, y, seed=seed + i)``;
- Adam (lr, weight_decay) on the stacked parameters is element-wise, hence identical to one Adam per copy;
- loss of copy i = ``F.cross_entropy(model_i(xb_i), yb_i)``; the gradients of the sum over copies are the
  per-copy gradients, since no parameter is shared.

Without dropout a copy's weights equal those ``fit`` gives up to float rounding (tests check it). With
dropout the random masks come from vmap's own random stream, so copies differ from ``fit`` run for run
(same distribution). Frozen parameters (requires_grad=False) stay frozen.

Speed: vectorizing pays off on a GPU, where one small CNN leaves most of the device idle. On a CPU a
single M(a, b, c) step at batch 128 already keeps the cores busy, and the grouped convolution and
max-pooling of the vmap-ed pass are slower than n separate passes (measured on this course's 2-core
machine with benchmarks/bench_ensemble.py, 8 x M(32,16,32): vmap at 0.58x (1 thread) and 0.83x
(2 threads) the speed of 8 sequential ``fit`` runs, the loop at 0.94-1.09x), so ``strategy="auto"`` runs
the copies one after the other inside each step there. ``benchmarks/bench_ensemble.py`` prints both ratios on the machine at hand.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import config

__all__ = ["EnsembleResult", "fit_ensemble", "train_models", "build_models", "train_or_load_ensemble",
           "snapshot_steps"]


@dataclass
class EnsembleResult:
    """What :func:`fit_ensemble` returns.

    models: the n trained copies (``nn.Module``, eval mode, on the training device).
    history: per-epoch lists: "loss" and "acc" (each entry a list of n per-copy values: mean training
        cross-entropy in nats, training accuracy in [0, 1]), "step" (optimizer steps so far), "seconds".
    snapshots: {step: {parameter name: tensor (n, *shape) on the CPU}} at steps 0, s, 2s, ... and the
        final step when ``snapshot_every=s``; empty otherwise.
    seconds: training wall time. loaded: True when it came from a checkpoint.
    """

    models: list
    history: dict
    snapshots: dict = field(default_factory=dict)
    seconds: float = 0.0
    loaded: bool = False

    def __iter__(self):                       # `models, history = fit_ensemble(...)` also works
        return iter((self.models, self.history))


def build_models(make_model: Callable[[], nn.Module], n_models: int, seed: int = 0) -> list:
    """The n untrained copies: copy i is ``make_model()`` called under ``torch.manual_seed(seed + i)``."""
    if int(n_models) < 1:
        raise ValueError(f"n_models={n_models}: train at least one model.")
    if isinstance(make_model, nn.Module) or not callable(make_model):
        raise TypeError("make_model must be a function that builds a fresh model, e.g. "
                        "`lambda: CNN(32, 16, 32)` (pass the function, not a model).")
    models = []
    for i in range(int(n_models)):
        with config.seeded(seed + i):  # torch.manual_seed(seed + i); the caller's random state is kept
            m = make_model()
        if not isinstance(m, nn.Module):
            raise TypeError(f"make_model() returned a {type(m).__name__}, not a torch nn.Module.")
        models.append(m)
    return models


def snapshot_steps(iterations: int, snapshot_every: int | None) -> list[int]:
    """The steps at which snapshots are taken: 0, s, 2s, ... < T, and T."""
    if not snapshot_every:
        return []
    if int(snapshot_every) < 1:
        raise ValueError(f"snapshot_every={snapshot_every} must be a positive number of iterations.")
    steps = list(range(0, int(iterations), int(snapshot_every)))
    return steps + [int(iterations)]


def train_models(models: Sequence[nn.Module], X, y, *, iterations: int, batch_size: int = 128,
                 lr: float = 1e-3, weight_decay: float = 0.0, seed: int = 0, device=None,
                 snapshot_every: int | None = None, snapshot_params: Sequence[str] | None = None,
                 progress: bool = True, strategy: str = "auto",
                 chunk_size: int | None = None) -> EnsembleResult:
    """Train the given copies (same architecture) together, in place. See :func:`fit_ensemble`."""
    from .train import as_tensors

    models = list(models)
    n = len(models)
    if n < 1:
        raise ValueError("No models to train.")
    if int(iterations) < 1:
        raise ValueError(f"iterations={iterations} must be >= 1 (number of optimizer steps).")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size={batch_size} must be >= 1.")
    T, B = int(iterations), int(batch_size)
    dev = config.device(device) if not isinstance(device, torch.device) else device
    X, y = as_tensors(X, y, device=dev)
    N = X.shape[0]

    names = [k for k, _ in models[0].named_parameters()]
    bnames = [k for k, _ in models[0].named_buffers()]
    for m in models[1:]:
        if [k for k, _ in m.named_parameters()] != names:
            raise ValueError("All models of an ensemble must have the same architecture.")
    snap_names = names if snapshot_params is None else list(snapshot_params)
    unknown = [s for s in snap_names if s not in names]
    if unknown:
        raise ValueError(f"snapshot_params {unknown} are not parameters of the model; choose from {names}.")

    if strategy == "auto":
        strategy = "loop" if dev.type == "cpu" else "vmap"
    if strategy not in ("vmap", "loop"):
        raise ValueError(f"strategy={strategy!r}: use 'auto', 'vmap' or 'loop'.")
    trainable = {k: p.requires_grad for k, p in models[0].named_parameters()}
    if not any(trainable.values()):
        raise ValueError("The models have no trainable parameters (all frozen?).")
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda"
                else torch.autocast("cpu", enabled=False))

    if strategy == "vmap":
        from torch.func import functional_call, vmap

        def stack(get, k):
            return torch.stack([get(m)[k].detach() for m in models]).to(dev)

        params = {k: stack(lambda m: dict(m.named_parameters()), k).requires_grad_(trainable[k])
                  for k in names}
        buffers = {k: stack(lambda m: dict(m.named_buffers()), k) for k in bnames}
        opt = torch.optim.Adam([params[k] for k in names if trainable[k]], lr=lr,
                               weight_decay=weight_decay)
        base = copy.deepcopy(models[0]).to("meta")
        base.train()

        def one(p, b, xb):
            return functional_call(base, (p, b), (xb,))

        vforward = vmap(one, in_dims=(0, 0, 0), randomness="different", chunk_size=chunk_size)

        def forward_backward(xb, yb):                                 # (n, b, ...), (n, b)
            with autocast:
                out = vforward(params, buffers, xb)                   # (n, b, classes)
                losses = F.cross_entropy(out.float().flatten(0, 1), yb.flatten(),
                                         reduction="none").view(n, -1).mean(1)
            losses.sum().backward()
            return losses.detach(), out.detach().argmax(-1)

        def current(k):
            return params[k].detach()
    else:
        for m in models:
            m.to(dev).train()
        opt = torch.optim.Adam([p for m in models for p in m.parameters() if p.requires_grad], lr=lr,
                               weight_decay=weight_decay)

        def forward_backward(xb, yb):
            losses, preds = [], []
            for i, m in enumerate(models):
                with autocast:
                    out = m(xb[i])
                    loss = F.cross_entropy(out.float(), yb[i])
                loss.backward()
                losses.append(loss.detach())
                preds.append(out.detach().argmax(-1))
            return torch.stack(losses), torch.stack(preds)

        def current(k):
            return torch.stack([m.get_parameter(k).detach() for m in models])

    with config.seeded(seed):  # as fit: seeded, and the global random states restored afterwards
        gens = [torch.Generator().manual_seed(seed + i) for i in range(n)]
        steps_wanted = set(snapshot_steps(T, snapshot_every))
        snapshots: dict[int, dict[str, torch.Tensor]] = {}

        def take(step):
            if step in steps_wanted:
                snapshots[step] = {k: current(k).cpu().clone() for k in snap_names}

        hist: dict[str, list] = {"loss": [], "acc": [], "step": [], "seconds": []}
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=T, desc=f"ensemble of {n}", unit="step", leave=False)
        step = 0
        t_start = time.perf_counter()
        take(0)
        while step < T:
            t0 = time.perf_counter()
            perms = torch.stack([torch.randperm(N, generator=g) for g in gens]).to(dev)   # (n, N)
            loss_sum = torch.zeros(n, device=dev)
            correct = torch.zeros(n, device=dev)
            seen = 0
            for i in range(0, N, B):
                if step >= T:
                    break
                idx = perms[:, i:i + B]                                 # (n, b)
                xb, yb = X[idx], y[idx]                                 # (n, b, ...), (n, b)
                opt.zero_grad(set_to_none=True)
                losses, pred = forward_backward(xb, yb)
                opt.step()
                step += 1
                take(step)
                b = yb.shape[1]
                loss_sum += losses.detach() * b
                correct += (pred == yb).sum(1)
                seen += b
                if bar is not None:
                    bar.update(1)
            ep = (loss_sum / seen).cpu()
            if not torch.isfinite(ep).all():
                if bar is not None:
                    bar.close()
                raise FloatingPointError(f"Training diverged (loss {ep.tolist()}) at step {step}; "
                                         f"lower lr={lr}.")
            hist["loss"].append(ep.tolist())
            hist["acc"].append((correct / seen).cpu().tolist())
            hist["step"].append(step)
            hist["seconds"].append(time.perf_counter() - t0)
            if bar is not None:
                bar.set_postfix(loss=f"{float(ep.mean()):.3f}")
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - t_start

        with torch.no_grad():
            for i, m in enumerate(models):
                m.to(dev)
                if strategy == "vmap":
                    for k, p in m.named_parameters():
                        p.copy_(params[k][i])
                    for k, b in m.named_buffers():
                        b.copy_(buffers[k][i])
                m.eval()
        return EnsembleResult(models=models, history=hist, snapshots=snapshots, seconds=seconds)


def fit_ensemble(make_model: Callable[[], nn.Module], n_models: int, X, y, *, iterations: int,
                 batch_size: int = 128, lr: float = 1e-3, seed: int = 0, device=None,
                 snapshot_every: int | None = None, snapshot_params: Sequence[str] | None = None,
                 weight_decay: float = 0.0, progress: bool = True,
                 strategy: str = "auto", chunk_size: int | None = None) -> EnsembleResult:
    """Train ``n_models`` independent copies of ``make_model()`` at once; returns an :class:`EnsembleResult`.

    Copy i is initialized under ``torch.manual_seed(seed + i)`` and trained on its own data order, exactly
    like ``torch.manual_seed(seed + i); m = make_model(); fit(m, X, y, iterations=iterations,
    batch_size=batch_size, lr=lr, seed=seed + i)`` (see the module docstring), but all copies in one
    vectorized pass.

    Args:
        make_model: builds one fresh model (e.g. ``lambda: CNN(32, 16, 32)``).
        n_models: number of copies n.
        X, y: training inputs (N, ...) float and labels (N,) int (or a Dataset as X, y=None).
        iterations: optimizer steps per copy (each step = one batch of ``batch_size`` per copy).
        snapshot_every: also keep the weights every this many steps (``result.snapshots``), e.g. to watch
            filters form; ``snapshot_params`` limits them to some parameters (e.g. ``["conv1.weight"]``)
            to save memory.
        device: 'cpu', 'cuda', ... (default ``config.device()``). Memory grows with n x batch_size.
        strategy: 'vmap' (one vectorized pass for all copies; fast on a GPU), 'loop' (copies one after
            the other within each step, one shared Adam; on a CPU this is as fast as or faster than vmap,
            see benchmarks/bench_ensemble.py), 'auto' (default) = 'loop' on the CPU, 'vmap' elsewhere.
            Both give the same numbers up to float rounding.
        chunk_size: with 'vmap', run at most this many copies per vectorized pass (less GPU memory:
            the activations of one pass grow with n x batch_size; the conv1 output alone of
            100 x M(64,32,64) at batch 128 is 100*128*64*28*28 floats = 2.6 GB).
    """
    models = build_models(make_model, n_models, seed)
    return train_models(models, X, y, iterations=iterations, batch_size=batch_size, lr=lr,
                        weight_decay=weight_decay, seed=seed, device=device,
                        snapshot_every=snapshot_every, snapshot_params=snapshot_params,
                        progress=progress, strategy=strategy, chunk_size=chunk_size)


class _EnsembleBox(nn.Module):
    """A checkpointable container: the n models plus their snapshots as buffers."""

    def __init__(self, models, steps, snap_shapes):
        super().__init__()
        self.models = nn.ModuleList(models)
        self.steps = list(steps)
        self.snap_names = list(snap_shapes)
        for k, shape in snap_shapes.items():
            self.register_buffer("snap__" + k.replace(".", "__"),
                                 torch.zeros(len(self.steps), len(models), *shape))

    def snapshots(self) -> dict:
        out = {}
        for j, s in enumerate(self.steps):
            out[s] = {k: getattr(self, "snap__" + k.replace(".", "__"))[j].detach().cpu().clone()
                      for k in self.snap_names}
        return out


def train_or_load_ensemble(name: str, cfg: dict, make_model: Callable[[], nn.Module], n_models: int,
                           X, y, *, iterations: int, batch_size: int = 128, lr: float = 1e-3,
                           seed: int = 0, device=None, snapshot_every: int | None = None,
                           snapshot_params: Sequence[str] | None = None, retrain: bool = False,
                           progress: bool = True) -> EnsembleResult:
    """:func:`fit_ensemble` with a checkpoint: trained once, loaded on later runs.

    ``cfg`` must describe everything else that determines the result (architecture, data, ...); the
    training arguments given here are added to it before hashing. Snapshots are saved with the models.
    """
    from . import checkpoints

    full = dict(cfg, n_models=int(n_models), iterations=int(iterations), batch_size=int(batch_size),
                lr=float(lr), seed=int(seed), snapshot_every=snapshot_every,
                snapshot_params=None if snapshot_params is None else list(snapshot_params))
    steps = snapshot_steps(iterations, snapshot_every)
    probe = make_model()
    shapes = {k: tuple(p.shape) for k, p in probe.named_parameters()
              if snapshot_params is None or k in snapshot_params}
    if not steps:
        shapes = {}

    def make_box():
        return _EnsembleBox(build_models(make_model, n_models, seed), steps, shapes)

    def train(box):
        res = train_models(list(box.models), X, y, iterations=iterations, batch_size=batch_size, lr=lr,
                           seed=seed, device=device, snapshot_every=snapshot_every,
                           snapshot_params=snapshot_params, progress=progress)
        with torch.no_grad():
            for j, s in enumerate(steps):
                for k in shapes:
                    getattr(box, "snap__" + k.replace(".", "__"))[j].copy_(res.snapshots[s][k])
        return res.history

    box, record = checkpoints.train_or_load(name, full, make_box, train, retrain=retrain, device=device,
                                            verbose=progress)
    models = [m.eval() for m in box.models]
    return EnsembleResult(models=models, history=record.get("history", {}), snapshots=box.snapshots(),
                          seconds=float(record.get("train_seconds", 0.0)), loaded=bool(record["loaded"]))
