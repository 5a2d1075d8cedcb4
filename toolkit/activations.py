"""What the neurons of a trained net do: record activations (the toolkit's one recorder), count each
cluster's most active neurons, silence neurons, and Alessi's "transformed images".

    rec = activations.record(model, X)     # rec.pre["fc1"] (N, H) before the ReLU, rec.post,
                                           # rec.outputs
    cn = activations.cluster_neurons(activations.zscore(rec.pre["fc1"]), clusters, k=5, n_best=5)
    cn.counts, cn.best                     # (C, H) top-k counts per cluster, (C, 5) most frequent
                                           # neurons

Clusters are a label vector (N,) (-1 = none) or overlapping index lists (Mapper nodes). Figures:
:mod:`toolkit.activation_plots`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from .arrays import as_array, as_count, as_labels, as_membership
from .train import as_tensors, evaluate

__all__ = [
    "Recording",
    "record",
    "layer_names",
    "top_k_neurons",
    "zscore",
    "as_membership",
    "ClusterNeurons",
    "cluster_neurons",
    "active_fraction",
    "random_neurons",
    "ablate",
    "transformed_images",
]

ACTS = "(N points, H neurons); flatten conv maps first: Recording.flat(layer)"


@dataclass
class Recording:
    """Activations of a model on N inputs (NumPy, float32 unless said otherwise).

    pre[name]:  (N, ...) the layer's own output (Linear (N, out), Conv2d (N, C, H, W)): the
                pre-activation.
    post[name]: (N, ...) ReLU(pre) for hidden layers; for the last layer the model output itself.
    outputs: (N, n_out) what ``model(X)`` returns; predictions: (N,) int64 argmax; labels: (N,)
    int64 when ``record`` was given a Dataset, else None; last_layer: the recorded layer whose
    output is the output.
    """

    pre: dict[str, np.ndarray]
    post: dict[str, np.ndarray]
    outputs: np.ndarray
    predictions: np.ndarray
    layers: list[str]
    labels: np.ndarray | None = None
    last_layer: str | None = None

    def __len__(self) -> int:
        return len(self.outputs)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{n}: {tuple(self.pre[n].shape)}" for n in self.layers)
        return f"<Recording N={len(self)} layers {{{shapes}}} outputs {tuple(self.outputs.shape)}>"

    def flat(self, layer: str, which: str = "pre") -> np.ndarray:
        """(N, D) the layer's activations with everything but the first axis flattened."""
        src = {"pre": self.pre, "post": self.post}.get(which)
        if src is None:
            raise ValueError(f"which={which!r}: use 'pre' or 'post'.")
        if layer not in src:
            raise KeyError(f"Layer {layer!r} was not recorded; recorded: {self.layers}.")
        return src[layer].reshape(len(src[layer]), -1)


def layer_names(model) -> list[str]:
    """Names of the model's modules that hold their own parameters (Linear, Conv2d, ...), in
    order."""
    return [
        n for n, m in model.named_modules() if n and any(True for _ in m.parameters(recurse=False))
    ]


def _module(model, layer: str):
    modules = dict(model.named_modules())
    if layer not in modules or layer == "":
        others = [m for m in modules if m and m not in layer_names(model)]
        raise KeyError(
            f"The model has no layer named {layer!r}. Valid layer names: {layer_names(model)}"
            + (f" (other modules: {others})" if others else "")
            + "."
        )
    return modules[layer]


def _inputs(X, name: str = "X"):
    """(float32 tensor (N, ...), labels (N,) or None) from a tensor, NumPy array or toolkit
    Dataset."""
    import torch

    labels, array = None, isinstance(X, (np.ndarray, torch.Tensor))
    if not array and not hasattr(X, "X"):
        raise TypeError(
            f"{name} must be a tensor, NumPy array or toolkit Dataset; got {type(X).__name__}."
        )
    if not array:  # a Dataset: .X and .y
        X, labels = X.X, (as_labels(X.y, len(X.X), f"{name}.y") if hasattr(X, "y") else None)
    X = as_array(X, name, ndim=(2, 3, 4), axes="(N inputs, ...)", dtype=np.float32)
    return torch.from_numpy(X), labels


def record(
    model,
    X,
    layers: Iterable[str] | str | None = None,
    *,
    batch_size: int = 1024,
    device=None,
    keep_post: bool = True,
    max_bytes: float = 2e9,
) -> Recording:
    """Run ``model`` on ``X`` (no grad, eval mode, in batches); record the asked layers with forward
    hooks.

    model: any ``nn.Module``. X: (N, ...) inputs (tensor, NumPy array, or a toolkit Dataset whose
    ``.y`` goes into ``Recording.labels``). layers: module names or None = :func:`layer_names` (an
    unknown name raises KeyError listing the valid ones). device: default the model's (the model is
    never moved). keep_post=False stores only ``pre``. max_bytes: refuse (with advice) to store
    more. The model's train/eval mode is restored.
    """
    import torch

    X, labels = _inputs(X)
    batch_size = as_count(batch_size, "batch_size")
    valid = layer_names(model)
    names = list(valid) if layers is None else [layers] if isinstance(layers, str) else list(layers)
    modules = {n: _module(model, n) for n in names}
    if not names:
        raise ValueError(
            "No layers to record: the model has no modules with parameters; pass layers=[...]."
        )
    p = next(iter(model.parameters()), None)
    model_device = p.device if p is not None else None
    device = torch.device(device) if device is not None else (model_device or torch.device("cpu"))
    if model_device is not None and model_device.type != device.type:
        raise ValueError(
            f"The model is on {model_device} but device={device} was asked for; move the "
            f"model first (model.to('{device}')) or leave device=None."
        )

    buffers: dict[str, list] = {n: [] for n in names}

    def hook_for(name):
        return lambda _m, _i, out: buffers[name].append(
            (out[0] if isinstance(out, tuple) else out).detach().float().cpu()
        )

    hooks = [modules[n].register_forward_hook(hook_for(n)) for n in names]
    was_training, outs = model.training, []
    try:
        model.eval()
        with torch.no_grad():
            for i in range(0, len(X), batch_size):
                ob = model(X[i : i + batch_size].to(device, non_blocking=True))
                outs.append((ob[0] if isinstance(ob, tuple) else ob).detach().float().cpu())
                need = (
                    sum(b[0][0].numel() for b in buffers.values() if b)
                    * len(X)
                    * 4
                    * (1 + keep_post)
                )
                if i == 0 and need > max_bytes:  # judged on the first batch, before memory runs out
                    raise MemoryError(
                        f"Recording {names} on {len(X)} inputs needs about {need / 1e9:.1f} GB "
                        f"(limit max_bytes={max_bytes / 1e9:.1f} GB). Record fewer layers "
                        f"(layers=['fc1']), fewer inputs, keep_post=False, or raise max_bytes."
                    )
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)

    outputs = torch.cat(outs).numpy()
    pre = {}
    for n in names:
        if not buffers[n]:
            raise RuntimeError(
                f"Layer {n!r} never ran in the model's forward pass, so it has no "
                f"activations; record one of the layers the forward pass uses."
            )
        pre[n] = torch.cat(buffers[n]).numpy()
    # the last layer (its output is the model output, e.g. before log-softmax): post = the output
    # itself
    last = (
        valid[-1] if valid and valid[-1] in pre and pre[valid[-1]].shape == outputs.shape else None
    )
    post = (
        {n: outputs.copy() if n == last else np.maximum(pre[n], 0) for n in names}
        if keep_post
        else {}
    )
    return Recording(
        pre=pre,
        post=post,
        outputs=outputs,
        predictions=outputs.argmax(1).astype(np.int64),
        layers=names,
        labels=labels,
        last_layer=last,
    )


def top_k_neurons(A, k: int = 5) -> np.ndarray:
    """(N, k) int64: for every row of ``A`` (N, H) its ``k`` most active neurons, most active first
    (ties: the lower index first)."""
    A = as_array(A, "activations", axes=ACTS)
    k = as_count(k, "k")
    if k > A.shape[1]:
        raise ValueError(
            f"k={k} is larger than the layer width H={A.shape[1]}; pick k <= {A.shape[1]}."
        )
    return np.argsort(-A, axis=1, kind="stable")[:, :k].astype(np.int64)


def zscore(A) -> np.ndarray:
    """(N, H) float64: each neuron (column) of ``A`` (N, H) standardized over the N points, (a -
    mean) / SD; 0 for a neuron that never varies. Then "most active" means "unusually active for
    this neuron"."""
    A = as_array(A, "activations", axes=ACTS)
    sd = A.std(0)
    return np.where(sd > 0, (A - A.mean(0)) / np.where(sd > 0, sd, 1.0), 0.0)


@dataclass
class ClusterNeurons:
    """Top-k statistics of one clustering: ids (C,), sizes (C,) members, counts (C, H) top-k counts,
    best (C, n_best) most frequent neurons (most frequent first), k, top (N, k) every point's top
    k."""

    ids: list
    sizes: np.ndarray
    counts: np.ndarray
    best: np.ndarray
    k: int
    top: np.ndarray = field(repr=False)

    @property
    def frequency(self) -> np.ndarray:
        """(C, H) share of the cluster's points that have the neuron in their top k (0..1)."""
        return self.counts / self.sizes[:, None]

    @property
    def H(self) -> int:
        return self.counts.shape[1]

    def row(self, cluster) -> int:
        if cluster not in self.ids:
            raise KeyError(f"No cluster {cluster!r}; clusters are {self.ids}.")
        return self.ids.index(cluster)

    def best_of(self, cluster) -> np.ndarray:
        return self.best[self.row(cluster)]

    def shared(self) -> dict[int, list]:
        """{neuron: [cluster ids]} for neurons that are best in more than one cluster."""
        owners = {
            int(j): [c for c, b in zip(self.ids, self.best) if j in b] for j in np.unique(self.best)
        }
        return {j: c for j, c in owners.items() if len(c) > 1}


def cluster_neurons(A, clusters, k: int = 5, n_best: int = 5) -> ClusterNeurons:
    """For every cluster: how often each neuron is among a member's ``k`` most active, and the
    ``n_best`` most frequent (ties: lower index). A: (N, H) activations; clusters: see
    :func:`as_membership`."""
    top = top_k_neurons(A, k)
    members, H = as_membership(clusters, n=len(top)), np.shape(A)[1]
    if not 1 <= n_best <= H:
        raise ValueError(f"n_best={n_best} must be between 1 and the layer width {H}.")
    ids = list(members)
    counts = np.array(
        [np.bincount(top[members[c]].ravel(), minlength=H) for c in ids], dtype=np.int64
    )
    best = np.argsort(-counts, axis=1, kind="stable")[:, :n_best].astype(np.int64)
    sizes = np.array([len(members[c]) for c in ids], dtype=np.int64)
    return ClusterNeurons(ids=ids, sizes=sizes, counts=counts, best=best, k=int(k), top=top)


def active_fraction(A) -> float:
    """Mean share of neurons that fire (activation > 0) per input; A (N, H) pre- or post-ReLU."""
    return float((as_array(A, "activations", axes=ACTS) > 0).mean())


def _indices(x, name: str) -> np.ndarray:
    x = np.ravel(as_array(x, name, ndim=(0, 1), axes="(k,) neuron indices", min_len=0))
    if not np.all(x == np.round(x)):
        raise ValueError(f"{name} must be integer indices; got {x[x != np.round(x)][:3]}.")
    return x.astype(np.int64)


def random_neurons(H: int, k: int, *, exclude=(), seed=None) -> np.ndarray:
    """(k,) int64: ``k`` distinct neurons drawn uniformly from 0..H-1, none in ``exclude`` (the
    control of an ablation). seed: an int, a ``np.random.Generator`` or None."""
    H, k = as_count(H, "H (the layer width)"), as_count(k, "k", minimum=0)
    pool = np.setdiff1d(np.arange(H), _indices(exclude, "exclude"))
    if k > len(pool):
        raise ValueError(
            f"k={k} random neurons were asked for, but only {len(pool)} of the layer's {H} "
            f"neurons are left after the exclusions; pick k <= {len(pool)}."
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return np.sort(rng.choice(pool, size=k, replace=False)).astype(np.int64)


def ablate(model, neurons, X, y, *, layer: str = "fc1", batch_size: int = 2048) -> float:
    """Accuracy in [0, 1] of ``model`` on (X, y) with ``neurons`` of ``layer`` silenced (its output
    set to 0 by a forward hook: columns of a Linear, channels of a Conv). For the course MLP's fc1
    (pre-ReLU) the neuron is then silent for every input. neurons: k distinct indices (k = 0: plain
    accuracy); X (n, ...) inputs; y (n,) labels (None: a Dataset's ``.y``). The model is unchanged
    afterwards."""
    import torch

    mod = _module(model, layer)
    X, y = as_tensors(X, y)  # a Dataset brings its own labels
    idx = _indices(neurons, "neurons")
    H = getattr(mod, "out_features", None) or getattr(mod, "out_channels", None)
    if H is None:
        raise ValueError(
            f"layer {layer!r} ({type(mod).__name__}) is not Linear or Conv; ablate one of those"
        )
    k = idx.size
    if k > H:
        raise ValueError(
            f"k={k} neurons to silence, but layer {layer!r} has only {H}; pick k <= {H}."
        )
    if len(np.unique(idx)) != k:
        raise ValueError(
            f"neurons repeat (k={k} indices, {len(np.unique(idx))} distinct); pass distinct."
        )
    if k and (idx.min() < 0 or idx.max() >= H):
        raise ValueError(
            f"neurons must lie in 0..{H - 1} (layer {layer!r} has {H}); got "
            f"{int(idx.min())}..{int(idx.max())} (k={k})."
        )
    p = next(iter(model.parameters()))
    mask = torch.ones(H, dtype=p.dtype, device=p.device)
    mask[torch.from_numpy(idx).to(p.device)] = 0
    handle = (
        mod.register_forward_hook(
            lambda _m, _i, out: out * mask.view((1, H) + (1,) * (out.ndim - 2))
        )
        if k
        else None
    )
    try:  # the accuracy of fit's own evaluation, with the hook in place
        return evaluate(model, X, y, batch_size=batch_size, device=p.device)[1]
    finally:
        if handle is not None:
            handle.remove()


def transformed_images(X, W, neurons) -> np.ndarray:
    """Alessi's "transformed images" ReLU(x * mean of the chosen neurons' weight rows): (n, D)
    float32.

    X: (n, D) or (n, 1, 28, 28) normalized images; W: (H, D) first-layer weights; neurons: row
    indices."""
    X = as_array(X, "X", ndim=(2, 3, 4), axes="(n images, ...)", dtype=np.float32)
    X = X.reshape(len(X), -1)
    W = as_array(W, "W", axes=f"(H neurons, {X.shape[1]} pixels)", dtype=np.float32)
    neurons = _indices(neurons, "neurons")
    if W.shape[1] != X.shape[1]:
        raise ValueError(
            f"W must be (H, {X.shape[1]}) to match the flattened images; got {W.shape}."
        )
    if neurons.size == 0 or neurons.min() < 0 or neurons.max() >= len(W):
        raise ValueError(f"neurons must be a non-empty list of indices in 0..{len(W) - 1}.")
    return np.maximum(X * W[neurons].mean(0), 0.0).astype(np.float32)
