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

and the "transformed images" of Alessi's study (image * mean weight row of a cluster's best neurons, then
ReLU), with a number for what the eye sees: :func:`transform_scores`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "Recording", "record", "layer_names",
    "top_k_neurons", "ClusterNeurons", "cluster_neurons", "as_membership",
    "neuron_counts", "best_neurons", "shared_best_neurons", "active_fraction",
    "first_layer_weights", "transformed_images", "transform_scores",
    "plot_neuron_bars", "plot_frequency_heatmaps", "plot_weight_images", "plot_transformed",
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
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")

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
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    if k > H:
        raise ValueError(f"k={k} is larger than the layer width H={H}; pick k <= {H}.")
    return np.argsort(-A, axis=1, kind="stable")[:, :k].astype(np.int64)


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


def _row_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of a (n, D) with the vector b (D,); 0 for constant rows."""
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean()
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a @ b) / den
    return np.where(den > 0, r, 0.0)


def transform_scores(model, X, clusters, cn: ClusterNeurons, labels=None, *, layer: str = "fc1",
                     n_per_cluster: int = 200, seed: int = 0):
    """A number for what the eye sees in the transformed images, with both controls.

    For each cluster, up to ``n_per_cluster`` member images are transformed with (own) the cluster's best
    neurons, (other) the best neurons of another cluster (the next id, cyclically), (random) as many
    random neurons. Reported per cluster and condition:

    - ``corr``: mean Pearson correlation of each transformed image with the cluster's mean (normalized,
      untransformed) image -- does the transformed image keep the cluster's shape?
    - ``acc``: the model's accuracy on the transformed images against ``labels`` (default: the cluster's
      majority prediction) -- does the net still recognize them?

    Returns a pandas DataFrame (one row per cluster x condition).
    """
    import pandas as pd
    import torch

    rng = np.random.default_rng(seed)
    W = first_layer_weights(model, layer)
    Xt = X.X if hasattr(X, "X") and not isinstance(X, (np.ndarray, torch.Tensor)) else X
    Xf = np.asarray(Xt.detach().cpu().numpy() if hasattr(Xt, "detach") else Xt, dtype=np.float32)
    shape = Xf.shape[1:]
    Xf = Xf.reshape(len(Xf), -1)
    members = as_membership(clusters, n=len(Xf))
    if labels is None:
        labels = record(model, Xt, layers=[layer], keep_post=False).predictions
    labels = np.asarray(labels.detach().cpu().numpy() if hasattr(labels, "detach") else labels)
    p = next(iter(model.parameters()))
    rows = []
    for r, cid in enumerate(cn.ids):
        idx = members[cid]
        if len(idx) > n_per_cluster:
            idx = np.sort(rng.choice(idx, n_per_cluster, replace=False))
        target = np.bincount(labels[members[cid]]).argmax()
        mean_img = Xf[members[cid]].mean(0)
        other = cn.best[(r + 1) % len(cn.ids)]
        rand = rng.choice(cn.H, size=cn.best.shape[1], replace=False)
        for cond, neurons in (("own", cn.best[r]), ("other", other), ("random", rand)):
            T = transformed_images(Xf[idx], W, neurons)
            with torch.no_grad():
                xb = torch.from_numpy(T.reshape((len(T),) + shape)).to(p.device, p.dtype)
                was = model.training
                model.eval()
                pred = model(xb).argmax(1).cpu().numpy()
                model.train(was)
            rows.append({"cluster": cid, "label": int(target), "condition": cond,
                         "corr": float(_row_corr(T, mean_img).mean()),
                         "acc": float((pred == target).mean()), "n": len(idx)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------
# Figures (matplotlib; each returns the Figure)
# ---------------------------------------------------------------------------------------------------
def _grid(n: int, ncols: int):
    ncols = min(ncols, n)
    return int(np.ceil(n / ncols)), ncols


def plot_neuron_bars(cn: ClusterNeurons, *, titles: Mapping | None = None, ncols: int = 5,
                     normalize: bool = True):
    """Bar plot per cluster of how often each neuron is in a member's top k; best neurons in red."""
    import matplotlib.pyplot as plt

    C, H = cn.counts.shape
    nr, nc = _grid(C, ncols)
    fig, axes = plt.subplots(nr, nc, figsize=(3.2 * nc, 2.3 * nr), squeeze=False, sharey=normalize)
    vals = cn.frequency if normalize else cn.counts
    for r, cid in enumerate(cn.ids):
        ax = axes.flat[r]
        colors = np.full(H, "0.6", dtype=object)
        colors[cn.best[r]] = "tab:red"
        ax.bar(np.arange(H), vals[r], width=1.0, color=list(colors))
        title = titles.get(cid, f"cluster {cid}") if titles else f"cluster {cid}"
        ax.set_title(f"{title} (n={cn.sizes[r]})", fontsize=9)
        ax.set_xlim(-1, H)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[C:]:
        ax.axis("off")
    fig.supxlabel("hidden neuron")
    fig.supylabel(f"share of points with it in top {cn.k}" if normalize else "count")
    fig.tight_layout()
    return fig


def plot_frequency_heatmaps(cn: ClusterNeurons, *, titles: Mapping | None = None, ncols: int = 5):
    """Each cluster's neuron frequencies as a sqrt(H) x sqrt(H) heatmap (H padded to a square)."""
    import matplotlib.pyplot as plt

    C, H = cn.counts.shape
    side = int(np.ceil(np.sqrt(H)))
    nr, nc = _grid(C, ncols)
    fig, axes = plt.subplots(nr, nc, figsize=(2.4 * nc, 2.4 * nr), squeeze=False)
    freq = cn.frequency
    vmax = freq.max()
    for r, cid in enumerate(cn.ids):
        img = np.full(side * side, np.nan)
        img[:H] = freq[r]
        ax = axes.flat[r]
        im = ax.imshow(img.reshape(side, side), cmap="magma", vmin=0, vmax=vmax)
        ax.set_title(titles.get(cid, f"cluster {cid}") if titles else f"cluster {cid}", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    for ax in list(axes.flat)[C:]:
        ax.axis("off")
    fig.colorbar(im, ax=list(axes.flat), shrink=0.7, label=f"share with neuron in top {cn.k}")
    return fig


def plot_weight_images(W, neurons, *, shape=(28, 28), titles: Sequence[str] | None = None,
                       ax_row=None):
    """Each neuron's weight row as an image (red positive, blue negative, symmetric colour scale)."""
    import matplotlib.pyplot as plt

    W = np.asarray(W)
    neurons = list(np.asarray(neurons).ravel())
    if ax_row is None:
        fig, axes = plt.subplots(1, len(neurons), figsize=(1.8 * len(neurons), 2.0), squeeze=False)
        ax_row = axes[0]
    else:
        fig = ax_row[0].figure
    for i, (ax, j) in enumerate(zip(ax_row, neurons)):
        w = W[j].reshape(shape)
        v = np.abs(w).max() or 1.0
        ax.imshow(w, cmap="RdBu_r", vmin=-v, vmax=v)
        ax.set_title(titles[i] if titles else f"neuron {j}", fontsize=8)
        ax.set_xticks([]), ax.set_yticks([])
    return fig


def plot_transformed(X, W, cn: ClusterNeurons, cluster, clusters, *, n_images: int = 4,
                     seed: int = 0, shape=(28, 28)):
    """Rows: original images of a cluster, then transformed with its own best neurons, another cluster's
    best neurons, and random neurons (the two controls)."""
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    Xf = np.asarray(X.detach().cpu().numpy() if hasattr(X, "detach") else X, dtype=np.float32)
    Xf = Xf.reshape(len(Xf), -1)
    members = as_membership(clusters, n=len(Xf))
    r = cn.row(cluster)
    idx = members[cluster]
    idx = rng.choice(idx, size=min(n_images, len(idx)), replace=False)
    conds = [("original", None), ("own best", cn.best[r]),
             (f"cluster {cn.ids[(r + 1) % len(cn.ids)]}'s best", cn.best[(r + 1) % len(cn.ids)]),
             ("random", rng.choice(cn.H, size=cn.best.shape[1], replace=False))]
    fig, axes = plt.subplots(len(conds), len(idx), figsize=(1.6 * len(idx), 1.7 * len(conds)),
                             squeeze=False)
    for row, (name, neurons) in enumerate(conds):
        imgs = Xf[idx] if neurons is None else transformed_images(Xf[idx], W, neurons)
        for c in range(len(idx)):
            ax = axes[row, c]
            ax.imshow(imgs[c].reshape(shape), cmap="gray")
            ax.set_xticks([]), ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.suptitle(f"cluster {cluster}: transformed images and controls", fontsize=10)
    fig.tight_layout()
    return fig
