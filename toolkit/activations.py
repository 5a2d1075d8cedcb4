"""What the neurons of a trained net do: record activations, and find each cluster's most active neurons.

Recording (any ``nn.Module``: the course's MLP and CNN, or your own)::

    rec = activations.record(model, X)            # every Linear / Conv layer
    rec.pre["fc1"]      # (N, 100) float32: fc1's output before its ReLU (what Alessi hooked)
    rec.post["fc1"]     # (N, 100) float32: after the ReLU
    rec.outputs         # (N, 10) float32: the model's output (log-softmax for the course's nets)
    rec.predictions     # (N,) int64: argmax of the outputs

Top-k neurons per cluster (generic: any activation matrix (N, H) and any cluster label vector (N,), or a
membership list / dict of index arrays, e.g. Mapper nodes, where clusters may overlap)::

    top = activations.top_k_neurons(A, k=5)                   # (N, 5): each point's 5 most active neurons
    cn = activations.cluster_neurons(A, clusters, k=5, n_best=5)
    cn.counts           # (C, H) int: in how many of the cluster's points each neuron is among the top k
    cn.best             # (C, 5) int: the cluster's 5 most frequent neurons
    cn.shared()         # {neuron: [cluster ids]} for neurons that are "best" in more than one cluster

Raw top-k counts favour neurons with a large activation scale (a high "gain"): :func:`zscore` standardizes
every neuron over the data set first, so that "most active" means "most active for this neuron"::

    cn_z = activations.cluster_neurons(activations.zscore(A), clusters, k=5, n_best=5)

The causal test of "these neurons matter": silence some neurons and measure the accuracy
(:func:`ablate`, with :func:`random_neurons` for the control). And the "transformed images" of Alessi's
study (image * mean weight row of a cluster's best neurons, then ReLU): :func:`transformed_images`.
The figures are in :mod:`toolkit.activation_plots`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "Recording", "record", "layer_names",
    "top_k_neurons", "zscore", "ClusterNeurons", "cluster_neurons", "as_membership",
    "neuron_counts", "best_neurons", "shared_best_neurons", "active_fraction",
    "ablate", "random_neurons",
    "first_layer_weights", "transformed_images",
]


# ---------------------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------------------
@dataclass
class Recording:
    """Activations of a model on N inputs (all arrays are NumPy, float32 unless said otherwise).

    pre[name]:   (N, ...) the layer module's own output (a Linear: (N, out); a Conv2d: (N, C, H, W)),
                 i.e. the pre-activation when the nonlinearity follows the layer.
    post[name]:  (N, ...) ``activation(pre)`` (ReLU by default) for hidden layers; for the model's last
                 layer it is the model's output itself (log-softmax for the course's nets).
    outputs:     (N, n_out) what ``model(X)`` returns.
    predictions: (N,) int64 argmax of the outputs.
    labels:      (N,) int64 true labels when ``record`` was given a Dataset (``.y``), else None.
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
        a = src[layer]
        return a.reshape(len(a), -1)


def layer_names(model) -> list[str]:
    """Names of the model's modules that hold their own parameters (Linear, Conv2d, ...), in order."""
    return [name for name, m in model.named_modules()
            if name and any(True for _ in m.parameters(recurse=False))]


def _as_tensor(X):
    import torch

    if hasattr(X, "X") and not isinstance(X, torch.Tensor) and not isinstance(X, np.ndarray):
        X = X.X  # a toolkit Dataset
    if isinstance(X, np.ndarray):
        X = torch.from_numpy(np.ascontiguousarray(X))
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"X must be a torch tensor, a NumPy array or a toolkit Dataset, "
                        f"got {type(X).__name__}.")
    if not torch.is_floating_point(X):
        X = X.float()
    return X


def record(model, X, layers: Iterable[str] | str | None = None, *, batch_size: int = 1024,
           device=None, activation="relu", keep_post: bool = True,
           max_bytes: float = 2e9) -> Recording:
    """Run ``model`` on ``X`` (no grad, eval mode, in batches) and record every asked layer.

    model:      any ``torch.nn.Module`` (the course's MLP or CNN, or your own).
    X:          (N, ...) inputs the model takes (torch tensor, NumPy array, or a toolkit Dataset, whose
                ``.y`` then goes into ``Recording.labels``). Inputs are moved batch by batch to the device.
    layers:     module names (``"fc1"``, ``["conv1", "fc1"]``) or None = every module with its own
                parameters (:func:`layer_names`). A name that does not exist raises a KeyError listing
                the valid ones.
    device:     where to run: by default where the model's parameters are (the model is never moved;
                asking for another device than the model's raises). Results come back as NumPy on the CPU.
    activation: "relu" (the course's nets), "none", or a callable on a torch tensor, applied to a hidden
                layer's output to give ``post``; the last layer's ``post`` is the model output.
    keep_post:  False stores only ``pre`` (halves memory; ``post`` is then empty).
    max_bytes:  refuse (with advice) to store more than this; a CNN's conv1 on 10,000 images is 2 GB.

    Returns a :class:`Recording`. The model's train/eval mode is restored afterwards.
    """
    import torch

    labels = None
    if hasattr(X, "y") and not isinstance(X, (np.ndarray, torch.Tensor)):
        labels = np.asarray(X.y.detach().cpu().numpy() if hasattr(X.y, "detach") else X.y,
                            dtype=np.int64)
    X = _as_tensor(X)
    if X.ndim < 2 or len(X) == 0:
        raise ValueError(f"X must hold at least one input, with a batch axis first; got shape "
                         f"{tuple(X.shape)}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}.")

    modules = dict(model.named_modules())
    valid = layer_names(model)
    if layers is None:
        names = list(valid)
    else:
        names = [layers] if isinstance(layers, str) else list(layers)
        for n in names:
            if n not in modules or n == "":
                raise KeyError(f"The model has no layer named {n!r}. Valid layer names: {valid}"
                               + (f" (other modules: {[m for m in modules if m and m not in valid]})"
                                  if len(modules) - 1 > len(valid) else "") + ".")
    if not names:
        raise ValueError("No layers to record: the model has no modules with parameters; "
                         "pass layers=[...] explicitly.")
    if activation == "relu":
        act = torch.relu
    elif activation in (None, "none", "identity"):
        act = lambda t: t  # noqa: E731
    elif callable(activation):
        act = activation
    else:
        raise ValueError(f"activation={activation!r}: use 'relu', 'none' or a callable.")

    p = next(iter(model.parameters()), None)
    model_device = p.device if p is not None else None
    device = torch.device(device) if device is not None else (model_device or torch.device("cpu"))
    if model_device is not None and model_device.type != device.type:
        raise ValueError(f"The model is on {model_device} but device={device} was asked for; move the "
                         f"model first (model.to('{device}')) or leave device=None.")

    buffers: dict[str, list] = {n: [] for n in names}
    hooks = []

    def make_hook(name):
        def hook(_module, _inp, out):
            if isinstance(out, tuple):
                out = out[0]
            buffers[name].append(out.detach().float().cpu())
        return hook

    for n in names:
        hooks.append(modules[n].register_forward_hook(make_hook(n)))
    was_training = model.training
    outs = []
    checked = False
    try:
        model.eval()
        with torch.no_grad():
            for i in range(0, len(X), batch_size):
                xb = X[i:i + batch_size].to(device, non_blocking=True)
                ob = model(xb)
                if isinstance(ob, tuple):
                    ob = ob[0]
                outs.append(ob.detach().float().cpu())
                if not checked:  # estimate the memory from the first batch, before it is too late
                    per_item = sum(buffers[n][0][0].numel() for n in names if buffers[n])
                    need = per_item * len(X) * 4 * (2 if keep_post else 1)
                    if need > max_bytes:
                        raise MemoryError(
                            f"Recording {names} on {len(X)} inputs needs about {need / 1e9:.1f} GB "
                            f"(limit max_bytes={max_bytes / 1e9:.1f} GB). Record fewer layers "
                            f"(layers=['fc1']), fewer inputs, keep_post=False, or raise max_bytes.")
                    checked = True
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)

    outputs = torch.cat(outs).numpy()
    pre, post = {}, {}
    for n in names:
        if not buffers[n]:
            raise RuntimeError(f"Layer {n!r} never ran in the forward pass of this model, so it has "
                               f"no activations; record one of the layers the forward pass uses.")
        t = torch.cat(buffers[n])
        pre[n] = t.numpy()
    # The last layer: the recorded layer whose output feeds the model output (same shape); its
    # post-activation is the model output (log-softmax), not a ReLU.
    last = None
    if valid and valid[-1] in pre and pre[valid[-1]].shape == outputs.shape:
        last = valid[-1]
    if keep_post:
        for n in names:
            post[n] = outputs.copy() if n == last else act(torch.from_numpy(pre[n])).numpy()
    return Recording(pre=pre, post=post, outputs=outputs,
                     predictions=outputs.argmax(1).astype(np.int64), layers=names,
                     labels=labels, last_layer=last)


# ---------------------------------------------------------------------------------------------------
# Top-k neurons per cluster
# ---------------------------------------------------------------------------------------------------
def _check_activations(A, what: str = "activations") -> np.ndarray:
    if hasattr(A, "detach"):
        A = A.detach().cpu().numpy()
    A = np.asarray(A, dtype=float)
    if A.ndim != 2:
        raise ValueError(f"{what} must be a matrix (N points, H neurons); got shape {A.shape}. "
                         f"Flatten conv maps first (Recording.flat(layer)).")
    if A.shape[0] == 0 or A.shape[1] == 0:
        raise ValueError(f"{what} is empty (shape {A.shape}).")
    bad = ~np.isfinite(A)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        raise ValueError(f"{what} contain {int(bad.sum())} NaN/inf values (in {len(rows)} rows, e.g. "
                         f"row {int(rows[0])}); a diverged net or a bad input. Retrain, or drop those "
                         f"rows (A[np.isfinite(A).all(1)]).")
    return A


def top_k_neurons(A, k: int = 5) -> np.ndarray:
    """(N, k) int64: for every row of ``A`` (N, H) its ``k`` most active neurons, most active first.

    Ties are broken by the lower neuron index (a stable sort), so the result is deterministic.
    """
    A = _check_activations(A)
    H = A.shape[1]
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    if k > H:
        raise ValueError(f"k={k} is larger than the layer width H={H}; pick k <= {H}.")
    return np.argsort(-A, axis=1, kind="stable")[:, :k].astype(np.int64)


def zscore(A) -> np.ndarray:
    """(N, H) float64: each neuron (column) of ``A`` (N, H) standardized over the N points, (a - mean) / SD.

    A neuron that never varies (SD 0, e.g. dead under the ReLU everywhere) gets 0 everywhere. Use it before
    :func:`top_k_neurons` / :func:`cluster_neurons` so that a neuron with a large scale is not "top" for
    every input merely because its numbers are big.
    """
    A = _check_activations(A)
    sd = A.std(0)
    return np.where(sd > 0, (A - A.mean(0)) / np.where(sd > 0, sd, 1.0), 0.0)


def as_membership(clusters, n: int | None = None) -> dict:
    """Normalize a cluster description to ``{cluster_id: sorted index array}``.

    clusters: a label vector (N,) (one cluster per point; the label -1 means "no cluster" and is left
              out), or a dict ``{id: indices}``, or a list of index arrays (ids 0..C-1) -- the latter two
              allow overlapping clusters such as Mapper nodes (``toolkit.mapper``'s
              ``MapperResult.members`` can be passed as it is).
    n:        the number of points; label vectors must have this length, indices must be < n.
    Raises ValueError on an empty cluster, a length mismatch or an index out of range.
    """
    if isinstance(clusters, Mapping):
        items = list(clusters.items())
    else:
        if hasattr(clusters, "detach"):
            clusters = clusters.detach().cpu().numpy()
        is_lists = (not isinstance(clusters, np.ndarray) and len(clusters) > 0
                    and all(isinstance(c, (list, tuple, np.ndarray, range)) for c in clusters))
        if is_lists:
            items = list(enumerate(clusters))
        else:
            lab = np.asarray(clusters)
            if lab.ndim != 1:
                raise ValueError(f"clusters must be a label vector (N,), a dict or a list of index "
                                 f"arrays; got an array of shape {lab.shape}.")
            if lab.size and not (np.issubdtype(lab.dtype, np.integer) or np.issubdtype(lab.dtype, np.bool_)):
                if np.issubdtype(lab.dtype, np.floating) and np.all(np.isfinite(lab)) \
                        and np.all(lab == np.round(lab)):
                    lab = lab.astype(np.int64)
                else:
                    raise ValueError("cluster labels must be integers (got "
                                     f"{lab.dtype}{', with NaN' if np.issubdtype(lab.dtype, np.floating) and np.isnan(lab).any() else ''}).")
            if n is not None and len(lab) != n:
                raise ValueError(f"The cluster label vector has {len(lab)} entries but there are {n} "
                                 f"points; they must match one to one.")
            ids = np.unique(lab[lab >= 0])
            if ids.size == 0:
                raise ValueError("There are no clusters (the label vector is empty or all -1).")
            return {int(c): np.flatnonzero(lab == c) for c in ids}
    out = {}
    for cid, idx in items:
        idx = np.unique(np.asarray(idx, dtype=np.int64).ravel())
        if idx.size == 0:
            raise ValueError(f"Cluster {cid!r} is empty; drop empty clusters before computing "
                             f"per-cluster statistics.")
        if n is not None and (idx.min() < 0 or idx.max() >= n):
            raise ValueError(f"Cluster {cid!r} holds index {int(idx.max() if idx.max() >= n else idx.min())}"
                             f" but there are only {n} points.")
        out[cid] = idx
    if not out:
        raise ValueError("There are no clusters (every point has label -1, or the list is empty).")
    return out


def neuron_counts(top: np.ndarray, members: Mapping, H: int) -> tuple[list, np.ndarray]:
    """Per-cluster neuron counts from precomputed top-k indices.

    top: (N, k) int from :func:`top_k_neurons`; members: ``{id: indices}`` (see :func:`as_membership`);
    H: the layer width. Returns (ids, counts (C, H) int64): counts[c, j] = number of members of
    cluster c whose top k contains neuron j.
    """
    ids = list(members)
    counts = np.zeros((len(ids), H), dtype=np.int64)
    for r, cid in enumerate(ids):
        counts[r] = np.bincount(top[members[cid]].ravel(), minlength=H)
    return ids, counts


def best_neurons(counts, n_best: int = 5) -> np.ndarray:
    """(C, n_best) int64: each row's ``n_best`` most frequent neurons (ties: lower index first)."""
    counts = np.asarray(counts)
    if counts.ndim == 1:
        counts = counts[None]
    if n_best < 1 or n_best > counts.shape[1]:
        raise ValueError(f"n_best={n_best} must be between 1 and the layer width {counts.shape[1]}.")
    return np.argsort(-counts, axis=1, kind="stable")[:, :n_best].astype(np.int64)


def shared_best_neurons(best, ids: Sequence | None = None) -> dict[int, list]:
    """{neuron: [cluster ids]} for every neuron that is among the best neurons of more than one cluster.

    best: (C, n_best) int; ids: the C cluster ids (default 0..C-1).
    """
    best = np.asarray(best)
    ids = list(range(len(best))) if ids is None else list(ids)
    where: dict[int, list] = {}
    for cid, row in zip(ids, best):
        for j in row:
            where.setdefault(int(j), []).append(cid)
    return {j: c for j, c in sorted(where.items()) if len(c) > 1}


def active_fraction(A) -> float:
    """Mean share of neurons that fire (pre-activation > 0, i.e. ReLU output > 0) per input; A (N, H)
    pre- or post-ReLU activations. Lower = sparser activations."""
    A = _check_activations(A)
    return float((A > 0).mean())


def random_neurons(H: int, k: int, *, exclude=(), seed=None) -> np.ndarray:
    """(k,) int64: ``k`` distinct neurons drawn uniformly from 0..H-1, none of them in ``exclude``.

    The control of an ablation: as many neurons as the tested set, chosen without looking at the data.
    seed: an int, a ``np.random.Generator`` or None. A k larger than what is left raises a ValueError.
    """
    if not isinstance(H, (int, np.integer)) or isinstance(H, bool) or H < 1:
        raise ValueError(f"H (the layer width) must be a positive integer, got {H!r}.")
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}.")
    exclude = np.unique(np.asarray(exclude, dtype=np.int64).ravel())
    pool = np.setdiff1d(np.arange(H), exclude)
    if k > len(pool):
        raise ValueError(f"k={k} random neurons were asked for, but only {len(pool)} of the layer's {H} "
                         f"neurons are left after excluding {len(exclude)}; pick k <= {len(pool)}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return np.sort(rng.choice(pool, size=int(k), replace=False)).astype(np.int64)


def ablate(model, neurons, X, y, *, layer: str = "fc1", batch_size: int = 2048) -> float:
    """Accuracy of ``model`` on (X, y) with the given neurons of ``layer`` silenced (set to 0).

    model:   any ``nn.Module``; layer: the name of one of its modules (``"fc1"``); a forward hook sets the
             module's output to 0 for the chosen units -- columns of a Linear output (N, H) or channels of
             a conv output (N, C, h, w). For the course's MLP, fc1's output is the pre-ReLU activation, so
             the neuron's ReLU output is 0 too: the neuron is silent for every input.
    neurons: k distinct indices in 0..H-1 (k = 0: no ablation, the plain accuracy).
    X: (n, ...) inputs (tensor, NumPy array or toolkit Dataset); y: (n,) integer labels.
    Returns the accuracy (a float in [0, 1]). The model is unchanged afterwards (hook removed, mode kept).
    k larger than the layer, repeated or out-of-range neurons raise a ValueError naming k.
    """
    import torch

    modules = dict(model.named_modules())
    if layer not in modules or layer == "":
        raise KeyError(f"The model has no layer named {layer!r}. Valid layer names: {layer_names(model)}.")
    if hasattr(X, "y") and not isinstance(X, (np.ndarray, torch.Tensor)) and y is None:
        y = X.y
    X = _as_tensor(X)
    if y is None:
        raise ValueError("y (the labels of X) is needed to measure accuracy.")
    y = torch.as_tensor(np.asarray(y.detach().cpu().numpy() if hasattr(y, "detach") else y))
    if y.ndim != 1 or len(y) != len(X) or len(X) == 0:
        raise ValueError(f"X and y must hold the same number (> 0) of inputs and labels; got {len(X)} "
                         f"inputs and labels of shape {tuple(y.shape)}.")
    if y.is_floating_point() or y.dtype == torch.bool:
        raise ValueError(f"y must hold integer class labels; got dtype {y.dtype}.")
    idx = np.asarray(neurons.detach().cpu().numpy() if hasattr(neurons, "detach") else neurons).ravel()
    if idx.size and not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"neurons must be integer indices; got dtype {idx.dtype}.")
    idx = idx.astype(np.int64)
    p = next(iter(model.parameters()))
    mod = modules[layer]
    H = getattr(mod, "out_features", None) or getattr(mod, "out_channels", None)
    if H is None:
        raise ValueError(f"layer {layer!r} ({type(mod).__name__}) is neither Linear nor Conv; ablate one "
                         f"of those.")
    k = idx.size
    if k > H:
        raise ValueError(f"k={k} neurons to silence, but layer {layer!r} has only {H}; pick k <= {H}.")
    if len(np.unique(idx)) != k:
        raise ValueError(f"neurons repeat (k={k} indices, {len(np.unique(idx))} distinct); pass distinct ones.")
    if k and (idx.min() < 0 or idx.max() >= H):
        raise ValueError(f"neurons must lie in 0..{H - 1} (layer {layer!r} has {H}); got "
                         f"{int(idx.min())}..{int(idx.max())} (k={k}).")
    mask = torch.ones(H, dtype=p.dtype, device=p.device)
    mask[torch.from_numpy(idx).to(p.device)] = 0

    def hook(_m, _i, out):
        return out * mask.view((1, H) + (1,) * (out.ndim - 2))

    handle = modules[layer].register_forward_hook(hook) if k else None
    was = model.training
    correct = 0
    try:
        model.eval()
        with torch.no_grad():
            for i in range(0, len(X), batch_size):
                pred = model(X[i:i + batch_size].to(p.device, p.dtype)).argmax(1).cpu()
                correct += int((pred == y[i:i + batch_size]).sum())
    finally:
        if handle is not None:
            handle.remove()
        model.train(was)
    return correct / len(X)


@dataclass
class ClusterNeurons:
    """The top-k-neuron statistics of one clustering (see :func:`cluster_neurons`).

    ids:    (C,) cluster ids; sizes: (C,) members per cluster; counts: (C, H) top-k counts;
    best:   (C, n_best) the most frequent neurons per cluster (most frequent first); k: the top-k used;
    top:    (N, k) every point's top-k neurons.
    """

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
        try:
            return self.ids.index(cluster)
        except ValueError:
            raise KeyError(f"No cluster {cluster!r}; clusters are {self.ids}.") from None

    def shared(self) -> dict[int, list]:
        """{neuron: [cluster ids]} for neurons that are best in more than one cluster."""
        return shared_best_neurons(self.best, self.ids)

    def best_of(self, cluster) -> np.ndarray:
        return self.best[self.row(cluster)]


def cluster_neurons(A, clusters, k: int = 5, n_best: int = 5) -> ClusterNeurons:
    """For every cluster: how often each neuron is among a member's ``k`` most active, and the best ones.

    A:        (N, H) activations (e.g. pre-ReLU fc1, as in Alessi's study); NaN/inf raise.
    clusters: a label vector (N,) or ``{id: indices}`` / list of index arrays (overlap allowed).
    k:        neurons kept per point (<= H); n_best: best neurons reported per cluster (<= H).
    """
    A = _check_activations(A)
    top = top_k_neurons(A, k)
    members = as_membership(clusters, n=len(A))
    ids, counts = neuron_counts(top, members, A.shape[1])
    sizes = np.array([len(members[c]) for c in ids], dtype=np.int64)
    return ClusterNeurons(ids=ids, sizes=sizes, counts=counts, best=best_neurons(counts, n_best),
                          k=int(k), top=top)


# ---------------------------------------------------------------------------------------------------
# Weights and "transformed images"
# ---------------------------------------------------------------------------------------------------
def first_layer_weights(model, layer: str = "fc1") -> np.ndarray:
    """(H, D) the weight rows of a Linear layer as NumPy (fc1 of an MLP: (H, 784), one 28x28 per row)."""
    modules = dict(model.named_modules())
    if layer not in modules or not hasattr(modules[layer], "weight"):
        raise KeyError(f"No layer {layer!r} with weights; valid: {layer_names(model)}.")
    W = modules[layer].weight.detach().float().cpu().numpy()
    return W.reshape(W.shape[0], -1)


def transformed_images(X, W, neurons) -> np.ndarray:
    """Alessi's "transformed images": ReLU(x * mean of the chosen neurons' weight rows).

    X: (n, D) or (n, 1, 28, 28) normalized images; W: (H, D) first-layer weights; neurons: indices into
    the H rows. Returns (n, D) float32 (reshape to 28x28 to look at them).
    """
    X = np.asarray(X.detach().cpu().numpy() if hasattr(X, "detach") else X, dtype=np.float32)
    X = X.reshape(len(X), -1)
    W = np.asarray(W, dtype=np.float32)
    if W.ndim != 2 or W.shape[1] != X.shape[1]:
        raise ValueError(f"W must be (H, {X.shape[1]}) to match the flattened images; got {W.shape}.")
    neurons = np.asarray(neurons, dtype=np.int64).ravel()
    if neurons.size == 0 or neurons.min() < 0 or neurons.max() >= len(W):
        raise ValueError(f"neurons must be a non-empty list of indices in 0..{len(W) - 1}.")
    return np.maximum(X * W[neurons].mean(0), 0.0).astype(np.float32)


_MOVED_PLOTS = ("plot_neuron_bars", "plot_frequency_heatmaps", "plot_weight_images", "plot_transformed")


def __getattr__(name):  # the figures moved to toolkit.activation_plots; still reachable from here
    if name in _MOVED_PLOTS:
        from . import activation_plots

        return getattr(activation_plots, name)
    raise AttributeError(f"module 'toolkit.activations' has no attribute {name!r}")
