"""Weight heatmaps, neuron alignment and representation similarity (notebook 02_heatmaps).

The question (REFERENCES.md section 1): does the weight heatmap of a net C trained on digits 0-9 look
like a *merge* of the heatmaps of net A (digits 0-4) and net B (digits 5-9)? Hidden neurons are only
defined up to a permutation, so raw heatmaps cannot be compared; this module

- draws heatmaps that show structure (diverging colormap centred at 0, seriated rows and columns,
  optional biases, a neuron's incoming weights as a 28x28 image, side-by-side panels),
- aligns neurons of two nets (:func:`match_neurons`: Hungarian assignment on correlation / cosine
  similarity of weight rows or of activations),
- measures representation similarity (:func:`linear_cka`, Kornblith et al. 2019).

- runs the merge test as statistics with null models (:func:`merge_experiment`, :func:`merge_summary`,
  :func:`merge_verdict`): C's neurons matched into A's and B's, CKA, a selectivity permutation test,
  against another seed of C, shuffled-label nets and untrained nets, over several seeds,
- tabulates neural persistence (:func:`persistence_table`; the computation is in
  :mod:`toolkit.neural_persistence`).

Conventions: a weight matrix is (n_out, n_in) as in ``nn.Linear.weight``: one row per neuron of the
layer, one column per input. Activations are (N samples, units).
"""
from __future__ import annotations

import copy
from typing import Sequence

import numpy as np

__all__ = ["layer_weights", "hidden_activations", "similarity_matrix", "match_neurons",
           "match_activations", "permute_hidden", "linear_cka", "seriate", "hidden_orders",
           "plot_heatmap", "plot_neuron_images", "plot_layer_panels", "show_layer",
           "heatmap_explorer", "ORDERINGS", "course_net", "neuron_features", "chance_threshold",
           "selectivity", "neuron_matches", "merge_stats", "comparisons", "merge_experiment", "merge_summary",
           "merge_verdict", "plot_merge_results", "plot_merge_alignment", "persistence_table",
           "persistence_summary", "plot_persistence"]

ORDERINGS = ("raw", "seriated", "aligned")


# ------------------------------------------------------------------------------------------------
# Input validation
# ------------------------------------------------------------------------------------------------
def _as_matrix(M, name: str) -> np.ndarray:
    if hasattr(M, "detach"):
        M = M.detach().cpu().numpy()
    try:
        M = np.array(M, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 2-D array of numbers, got a {type(M).__name__}.") from None
    if M.ndim != 2 or min(M.shape) < 1:
        raise ValueError(f"{name} must be a non-empty 2-D array (rows, columns); got shape {M.shape}.")
    if not np.isfinite(M).all():
        raise ValueError(f"{name} (shape {M.shape}) contains {int((~np.isfinite(M)).sum())} NaN or "
                         f"infinite values; a diverged or corrupted net. Retrain or reload it.")
    return M


def _get_layer(model, layer: str):
    from torch import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"Expected a torch nn.Module, got a {type(model).__name__}.")
    modules = dict(model.named_modules())
    if layer not in modules or not hasattr(modules[layer], "weight"):
        have = [n for n, m in modules.items() if n and hasattr(m, "weight")]
        raise ValueError(f"{type(model).__name__} has no layer {layer!r} with weights; "
                         f"its layers are {have}.")
    return modules[layer]


def layer_weights(model, layer: str = "fc1", *, bias: bool = False):
    """The weight matrix of ``layer`` as a float64 array (n_out, n_in); with ``bias=True`` also the bias (n_out,).

    Convolution weights (out, in, kh, kw) are flattened to (out, in*kh*kw). Raises a ValueError naming the
    layer and its shape when the weights contain NaN / inf, and one listing the layers when it is missing.
    """
    m = _get_layer(model, layer)
    W = m.weight.detach().cpu().double().numpy()
    W = W.reshape(W.shape[0], -1)
    if not np.isfinite(W).all():
        raise ValueError(f"Layer {layer!r} of {type(model).__name__} (weight shape {tuple(m.weight.shape)}) "
                         f"contains NaN or infinite weights; the net diverged. Retrain or reload it.")
    if not bias:
        return W
    b = m.bias.detach().cpu().double().numpy() if getattr(m, "bias", None) is not None else np.zeros(len(W))
    return W, b


def hidden_activations(model, X, layer: str = "fc1", *, relu: bool = True, batch_size: int = 2048):
    """Outputs of ``layer`` on inputs X, as a float64 array (N, units).

    Args:
        X: inputs the model accepts, e.g. (N, 1, 28, 28) normalized images (tensor or array), or a Dataset.
        relu: apply ReLU (the hidden *representation* of the MLP); ``False`` gives pre-activations.
    """
    import torch

    mod = _get_layer(model, layer)
    if hasattr(X, "X") and hasattr(X, "y"):
        X = X.X
    X = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X).float()
    dev = next(model.parameters()).device
    chunks = []
    handle = mod.register_forward_hook(lambda m, i, o: chunks.append(o.detach().float().cpu()))
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            for i in range(0, len(X), batch_size):
                model(X[i:i + batch_size].to(dev))
    finally:
        handle.remove()
        model.train(was)
    H = torch.cat(chunks).reshape(len(X), -1).double().numpy()
    return np.maximum(H, 0.0) if relu else H


# ------------------------------------------------------------------------------------------------
# Similarity and alignment
# ------------------------------------------------------------------------------------------------
def _unit_rows(M: np.ndarray, center: bool) -> np.ndarray:
    if center:
        M = M - M.mean(axis=1, keepdims=True)
    n = np.linalg.norm(M, axis=1, keepdims=True)
    return np.divide(M, n, out=np.zeros_like(M), where=n > 1e-12)


def similarity_matrix(A, B, metric: str = "correlation") -> np.ndarray:
    """Similarity of every row of A (n_a, d) with every row of B (n_b, d): array (n_a, n_b) in [-1, 1].

    ``metric="correlation"``: Pearson correlation of the rows; ``"cosine"``: cosine similarity.
    A row with zero variance (a dead neuron) has similarity 0 with everything.
    """
    A, B = _as_matrix(A, "A"), _as_matrix(B, "B")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"Rows must live in the same space: A has shape {A.shape}, B has shape {B.shape} "
                         f"(different numbers of columns). Compare the same layer of nets with equal inputs.")
    if metric not in ("correlation", "cosine"):
        raise ValueError(f"metric must be 'correlation' or 'cosine', got {metric!r}.")
    c = metric == "correlation"
    return np.clip(_unit_rows(A, c) @ _unit_rows(B, c).T, -1.0, 1.0)


def match_neurons(W_a, W_b, metric: str = "correlation", *, return_similarity: bool = False):
    """The permutation of W_b's rows that best matches W_a's rows (Hungarian assignment).

    Args:
        W_a: (n_a, d) one row per neuron of net a (incoming weights, or any per-neuron feature).
        W_b: (n_b, d) with n_b >= n_a, the same kind of rows for net b.
        metric: "correlation" or "cosine" (see :func:`similarity_matrix`).
    Returns:
        perm: int array (n_a,) of distinct row indices of W_b such that ``W_b[perm]`` is aligned with
        ``W_a`` (maximizes the summed similarity). With ``return_similarity=True`` also the (n_a,)
        similarities of the matched pairs.
    """
    from scipy.optimize import linear_sum_assignment

    S = similarity_matrix(W_a, W_b, metric)
    if S.shape[0] > S.shape[1]:
        raise ValueError(f"W_a has {S.shape[0]} rows but W_b only {S.shape[1]}: every row of W_a needs its "
                         f"own partner. Swap the arguments (match the smaller net into the larger).")
    rows, cols = linear_sum_assignment(S, maximize=True)
    perm = cols[np.argsort(rows)]
    return (perm, S[np.arange(len(perm)), perm]) if return_similarity else perm


def match_activations(H_a, H_b, metric: str = "correlation", *, return_similarity: bool = False):
    """:func:`match_neurons` on activations: H_a (N, n_a), H_b (N, n_b) on the same N inputs.

    Returns the permutation of H_b's *columns* (units) that best matches H_a's units.
    """
    H_a, H_b = _as_matrix(H_a, "H_a"), _as_matrix(H_b, "H_b")
    if H_a.shape[0] != H_b.shape[0]:
        raise ValueError(f"Activations must be on the same inputs: H_a has {H_a.shape[0]} rows (samples), "
                         f"H_b has {H_b.shape[0]}.")
    return match_neurons(H_a.T, H_b.T, metric, return_similarity=return_similarity)


def permute_hidden(model, perm, layer: str = "fc1", next_layer: str = "fc2"):
    """A copy of ``model`` whose hidden neurons (rows of ``layer``, columns of ``next_layer``) are permuted.

    The copy computes exactly the same function: this is the permutation symmetry that makes raw heatmaps
    of two nets incomparable. ``perm`` (H,) lists, for each new position, the old neuron index.
    """
    import torch

    new = copy.deepcopy(model)
    L, N = _get_layer(new, layer), _get_layer(new, next_layer)
    H = L.weight.shape[0]
    perm = np.asarray(perm)
    if perm.shape != (H,) or not np.array_equal(np.sort(perm), np.arange(H)):
        raise ValueError(f"perm must be a permutation of range({H}) (layer {layer!r} has {H} neurons); "
                         f"got an array of shape {perm.shape}.")
    if N.weight.shape[1] != H:
        raise ValueError(f"Layer {next_layer!r} has {N.weight.shape[1]} inputs but {layer!r} has {H} "
                         f"outputs; they are not consecutive layers.")
    idx = torch.as_tensor(perm, dtype=torch.long)
    with torch.no_grad():
        L.weight.copy_(L.weight[idx])
        if L.bias is not None:
            L.bias.copy_(L.bias[idx])
        N.weight.copy_(N.weight[:, idx])
    return new


def linear_cka(X, Y) -> float:
    """Linear centred kernel alignment (Kornblith et al., ICML 2019) of two representations.

    Args:
        X: (N, p) activations of N inputs; Y: (N, q) activations of the same N inputs.
    Returns:
        ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F) with column-centred Xc, Yc: a number in [0, 1];
        1 for identical representations, invariant to orthogonal transforms and isotropic scaling of
        either, near 0 for independent ones (for N much larger than p and q).
    """
    X, Y = _as_matrix(X, "X"), _as_matrix(Y, "Y")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X and Y must hold the same N inputs (rows): X has shape {X.shape}, "
                         f"Y has shape {Y.shape}.")
    if X.shape[0] < 2:
        raise ValueError("CKA needs at least 2 inputs (rows).")
    X = X - X.mean(0)
    Y = Y - Y.mean(0)
    if min(np.abs(X).max(), np.abs(Y).max()) < 1e-12:
        raise ValueError("One representation is constant over the inputs (all units dead?): CKA is undefined.")
    if X.shape[1] + Y.shape[1] <= X.shape[0]:   # feature space: p x q matrices
        xy = np.linalg.norm(Y.T @ X) ** 2
        xx, yy = np.linalg.norm(X.T @ X), np.linalg.norm(Y.T @ Y)
    else:                                        # sample space: N x N Gram matrices
        K, L = X @ X.T, Y @ Y.T
        xy, xx, yy = float((K * L).sum()), np.linalg.norm(K), np.linalg.norm(L)
    return float(np.clip(xy / (xx * yy), 0.0, 1.0))


# ------------------------------------------------------------------------------------------------
# Seriation and orderings
# ------------------------------------------------------------------------------------------------
def seriate(M, axis: int = 0, method: str = "average") -> np.ndarray:
    """An order of M's rows (axis=0) or columns (axis=1) that puts similar ones next to each other.

    Hierarchical clustering (``method`` linkage, correlation distance) and its dendrogram leaf order
    (with optimal leaf ordering for up to 400 items). Returns an int array, a permutation.
    """
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    M = _as_matrix(M, "M")
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (rows) or 1 (columns), got {axis}.")
    R = M if axis == 0 else M.T
    if len(R) < 3:
        return np.arange(len(R))
    U = _unit_rows(R, center=True)
    D = np.clip(1.0 - U @ U.T, 0.0, 2.0)
    np.fill_diagonal(D, 0.0)
    y = squareform(D, checks=False)
    Z = linkage(y, method=method)
    if len(R) <= 400:
        Z = optimal_leaf_ordering(Z, y)
    return leaves_list(Z).astype(int)


def hidden_orders(nets: dict, ordering: str = "seriated", *, reference: str | None = None,
                  layer: str = "fc1", metric: str = "correlation") -> dict:
    """For each net, the order of its hidden neurons (rows of ``layer``) used to draw it.

    ``"raw"``: stored order; ``"seriated"``: each net seriated on its own; ``"aligned"``: the reference
    net (default: the last one) seriated, every other net's neurons matched to it with
    :func:`match_neurons`, so that row i of every panel shows corresponding neurons.
    """
    if ordering not in ORDERINGS:
        raise ValueError(f"ordering must be one of {ORDERINGS}, got {ordering!r}.")
    Ws = {k: layer_weights(m, layer) for k, m in nets.items()}
    if ordering == "raw":
        return {k: np.arange(len(W)) for k, W in Ws.items()}
    if ordering == "seriated":
        return {k: seriate(W, 0) for k, W in Ws.items()}
    ref = reference if reference is not None else list(nets)[-1]
    if ref not in Ws:
        raise ValueError(f"reference {ref!r} is not one of the nets {list(nets)}.")
    shapes = {k: W.shape for k, W in Ws.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"Cannot align layer {layer!r}: the nets have different weight shapes {shapes}.")
    base = seriate(Ws[ref], 0)
    return {k: (base if k == ref else match_neurons(Ws[ref][base], W, metric)) for k, W in Ws.items()}


# ------------------------------------------------------------------------------------------------
# Plots
# ------------------------------------------------------------------------------------------------
def plot_heatmap(W, *, bias=None, row_order=None, col_order=None, ax=None, title: str = "",
                 vmax: float | None = None, cmap: str = "RdBu_r", colorbar: bool = True,
                 xlabel: str = "input", ylabel: str = "neuron"):
    """Draw a weight matrix (n_out, n_in) with a diverging colormap centred at 0.

    ``bias`` (n_out,) is drawn as an extra column right of a blank gap. ``row_order`` / ``col_order``
    reorder rows / columns. ``vmax`` fixes the colour range [-vmax, vmax] (share it across panels to
    compare nets); default: the 99th percentile of |W| so that a few large weights do not wash out the rest.
    Returns the matplotlib image.
    """
    import matplotlib.pyplot as plt

    W = _as_matrix(W, "W")
    ro = np.arange(W.shape[0]) if row_order is None else np.asarray(row_order)
    co = np.arange(W.shape[1]) if col_order is None else np.asarray(col_order)
    if ro.shape != (W.shape[0],) or co.shape != (W.shape[1],):
        raise ValueError(f"row_order / col_order must have lengths {W.shape[0]} / {W.shape[1]} for W of "
                         f"shape {W.shape}; got {ro.shape} / {co.shape}.")
    M = W[ro][:, co]
    if bias is not None:
        b = np.asarray(bias, dtype=float).reshape(-1)
        if b.shape != (W.shape[0],):
            raise ValueError(f"bias must have shape ({W.shape[0]},) for W of shape {W.shape}; got {b.shape}.")
        gap = max(1, W.shape[1] // 50)
        w_b = max(1, W.shape[1] // 25)
        M = np.hstack([M, np.full((len(M), gap), np.nan), np.repeat(b[ro][:, None], w_b, axis=1)])
    if vmax is None:
        vmax = float(np.percentile(np.abs(W), 99)) or 1.0
    ax = ax or plt.gca()
    cm = plt.get_cmap(cmap).with_extremes(bad="white")
    im = ax.imshow(M, cmap=cm, vmin=-vmax, vmax=vmax, aspect="auto", interpolation="nearest")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel + (" | bias" if bias is not None else ""))
    ax.set_ylabel(ylabel)
    if colorbar:
        plt.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
    return im


def plot_neuron_images(W, neurons: Sequence[int] | None = None, *, shape=(28, 28), ncols: int = 8,
                       titles: Sequence[str] | None = None, axes=None, vmax: float | None = None):
    """Each chosen neuron's incoming weights (a row of W, length prod(shape)) as an image.

    Red = positive weight (the pixel excites the neuron), blue = negative, white = 0. Returns the figure.
    """
    import matplotlib.pyplot as plt

    W = _as_matrix(W, "W")
    if W.shape[1] != int(np.prod(shape)):
        raise ValueError(f"Rows of W have {W.shape[1]} entries; they cannot be shown as {shape} images "
                         f"(pass the first layer, fc1, of an MLP on 28x28 inputs, or another shape=).")
    neurons = list(range(min(len(W), ncols))) if neurons is None else [int(i) for i in neurons]
    if not neurons or min(neurons) < 0 or max(neurons) >= len(W):
        raise ValueError(f"neurons must be indices in [0, {len(W)}); got {neurons}.")
    if axes is None:
        nrows = -(-len(neurons) // ncols)
        fig, axes = plt.subplots(nrows, min(ncols, len(neurons)),
                                 figsize=(1.5 * min(ncols, len(neurons)), 1.6 * nrows), squeeze=False)
    axes = np.asarray(axes).ravel()
    for ax in axes:
        ax.axis("off")
    for k, i in enumerate(neurons):
        v = vmax or float(np.abs(W[i]).max()) or 1.0
        axes[k].imshow(W[i].reshape(shape), cmap="RdBu_r", vmin=-v, vmax=v)
        axes[k].set_title(titles[k] if titles is not None else f"neuron {i}", fontsize=8)
    return axes[0].figure


def plot_layer_panels(nets: dict, layer: str = "fc1", ordering: str = "seriated", *, biases: bool = False,
                      reference: str | None = None, hidden_layer: str = "fc1", next_layer: str = "fc2",
                      figsize=None):
    """Side-by-side heatmaps of one layer of several MLPs (e.g. {"A": net_A, "B": net_B, "C": net_C}).

    ``ordering`` (see :func:`hidden_orders`) orders the hidden neurons: the rows of ``hidden_layer`` and
    the columns of ``next_layer``. In "seriated" mode the other axis (pixels of fc1, classes of fc2) is
    seriated per net too; in "raw" and "aligned" mode it is shared: the reference's seriation (pixels)
    or the class order 0..9, so that panels are comparable. All panels share one colour scale.
    Returns the figure.
    """
    import matplotlib.pyplot as plt

    if not nets:
        raise ValueError("Pass at least one net, e.g. {'C': net_C}.")
    if layer not in (hidden_layer, next_layer):
        raise ValueError(f"layer must be {hidden_layer!r} or {next_layer!r}, got {layer!r}.")
    orders = hidden_orders(nets, ordering, reference=reference, layer=hidden_layer)
    mats = {k: layer_weights(m, layer, bias=True) for k, m in nets.items()}
    ref = reference if reference is not None else list(nets)[-1]
    vmax = max(float(np.percentile(np.abs(W), 99)) for W, _ in mats.values()) or 1.0
    fig, axes = plt.subplots(1, len(nets), figsize=figsize or (4.2 * len(nets), 3.6), squeeze=False)
    for ax, (k, (W, b)) in zip(axes[0], mats.items()):
        h = orders[k]
        if layer == hidden_layer:
            other = seriate(W, 1) if ordering == "seriated" else (
                seriate(mats[ref][0], 1) if ordering == "aligned" else None)
            rows, cols, xl, yl = h, other, "input pixel", "hidden neuron"
        else:
            rows = seriate(W, 0) if ordering == "seriated" else None
            cols, xl, yl = h, "hidden neuron", "output class"
        plot_heatmap(W, bias=b if biases else None, row_order=rows, col_order=cols, ax=ax, vmax=vmax,
                     title=f"{k}: {layer} {W.shape[0]}x{W.shape[1]} ({ordering})", colorbar=ax is axes[0][-1],
                     xlabel=xl, ylabel=yl)
    fig.tight_layout()
    return fig


def show_layer(nets: dict, net: str = "all", layer: str = "fc1", ordering: str = "seriated",
               biases: bool = False, reference: str | None = None):
    """The widget's callback: heatmap panels of ``layer`` for one net (by name) or ``"all"`` side by side.

    With a single net and ordering "aligned", that net is aligned to ``reference`` (default: the last net).
    Returns the figure (the caller shows it).
    """
    if net != "all" and net not in nets:
        raise ValueError(f"net must be 'all' or one of {list(nets)}, got {net!r}.")
    if net == "all" or ordering != "aligned":
        chosen = nets if net == "all" else {net: nets[net]}
        return plot_layer_panels(chosen, layer, ordering, biases=biases, reference=reference)
    ref = reference if reference is not None else list(nets)[-1]
    pair = {net: nets[net], ref: nets[ref]} if net != ref else {net: nets[net]}
    return plot_layer_panels(pair, layer, ordering, biases=biases, reference=ref)


def heatmap_explorer(nets: dict):
    """An ipywidgets panel: pick the net (or all side by side), the layer, the ordering and biases.

    Calls :func:`show_layer` and draws into an ``ipywidgets.Output`` (plots update in place).
    Returns the widget (display it, or let it be the last expression of a cell).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    w_net = widgets.Dropdown(options=["all"] + list(nets), value="all", description="net")
    w_layer = widgets.Dropdown(options=["fc1", "fc2"], value="fc1", description="layer")
    w_order = widgets.Dropdown(options=list(ORDERINGS), value="seriated", description="ordering")
    w_bias = widgets.Checkbox(value=False, description="biases")
    out = widgets.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            show_layer(nets, w_net.value, w_layer.value, w_order.value, w_bias.value)
            plt.show()

    for w in (w_net, w_layer, w_order, w_bias):
        w.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([w_net, w_layer, w_order, w_bias]), out])


# ------------------------------------------------------------------------------------------------
# The merge test: is C (all digits) a merge of A (digits 0-4) and B (digits 5-9)?
# ------------------------------------------------------------------------------------------------
TASK_CLASSES = {"A": list(range(5)), "B": list(range(5, 10)), "C": list(range(10)),
                "even": [0, 2, 4, 6, 8], "odd": [1, 3, 5, 7, 9]}
NET_KINDS = tuple(TASK_CLASSES) + tuple(f"{t}_shuffled" for t in TASK_CLASSES) + ("untrained",)


def course_net(kind: str, seed: int = 0, *, progress: bool = False):
    """One net of the merge test. Returns ``(model, info)``.

    kind: "A", "B", "C" -> ``zoo.get("net_A" | "net_B" | "net_C", seed)``;
    "even", "odd" -> a second task pair (digits 0,2,4,6,8 / 1,3,5,7,9) with net C's architecture and
    settings; "<task>_shuffled" (e.g. "A_shuffled") -> the same data subset and settings, trained on labels
    shuffled among the task's training images (a task with no learnable structure); "untrained" -> the
    net as initialized by ``seed``. Nets not in the zoo are cached with ``checkpoints.train_or_load``.
    Note: the zoo seeds the initialization with ``seed`` alone, so A, B, C (and all kinds here) of the
    same seed start from identical weights.
    """
    import torch

    from . import checkpoints, zoo
    from .models import MLP
    from .train import evaluate, fit

    if kind not in NET_KINDS:
        raise ValueError(f"kind must be one of {NET_KINDS}, got {kind!r}.")
    if kind in ("A", "B", "C"):
        return zoo.get(f"net_{kind}", seed, progress=progress)
    cfg = zoo.spec("net_C", seed)
    if kind == "untrained":
        torch.manual_seed(seed)
        return MLP(cfg["hidden"]).eval(), {"config": cfg, "description": "untrained (initial weights)"}
    task, shuffled = kind.split("_")[0], kind.endswith("_shuffled")
    cfg["classes"] = TASK_CLASSES[task]
    train_ds, test_ds = zoo.mnist_train(), zoo.mnist_test()
    keep = torch.isin(train_ds.y, torch.tensor(cfg["classes"])).nonzero().flatten()
    X, y = train_ds.X[keep], train_ds.y[keep]
    cfg["data"] = {"train": zoo.fingerprint(train_ds)}
    if shuffled:
        g = torch.Generator().manual_seed(10_000 + seed)
        y = y[torch.randperm(len(y), generator=g)]
        cfg.update(labels="shuffled", shuffle_seed=10_000 + seed)

    def make():
        torch.manual_seed(seed)
        return MLP(cfg["hidden"])

    def train(model):
        return fit(model, X, y, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                   weight_decay=cfg["weight_decay"], seed=seed, progress=progress)

    model, record = checkpoints.train_or_load(f"heatmaps_{kind}-seed{seed}", cfg, make, train,
                                              verbose=progress)
    te = test_ds.subset(torch.isin(test_ds.y, torch.tensor(cfg["classes"])).nonzero().flatten())
    record["test_acc"] = evaluate(model, te.X, te.y)[1]
    record["description"] = (f"trained on digits {cfg['classes']}"
                             + (" with shuffled labels" if shuffled else ""))
    return model, record


def neuron_features(model, X=None, *, by: str = "activations", layer: str = "fc1") -> np.ndarray:
    """One row per hidden neuron of ``layer``: its incoming weights (``by="weights"``, shape (H, d_in)) or
    its ReLU activations on the inputs X (``by="activations"``, shape (H, N))."""
    if by == "weights":
        return layer_weights(model, layer)
    if by != "activations":
        raise ValueError(f"by must be 'activations' or 'weights', got {by!r}.")
    if X is None:
        raise ValueError("by='activations' needs inputs X (e.g. the test images zoo.mnist_test().X).")
    return hidden_activations(model, X, layer).T


def _check_same_layer(nets: dict, layer: str):
    shapes = {k: tuple(layer_weights(m, layer).shape[1:]) for k, m in nets.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"Layer {layer!r} takes inputs of different sizes in these nets: "
                         f"{ {k: layer_weights(m, layer).shape for k, m in nets.items()} }; "
                         f"compare nets with the same architecture.")


def chance_threshold(target, nulls: Sequence, X=None, *, by: str = "activations", q: float = 0.95,
                     layer: str = "fc1") -> float:
    """The q-quantile of the best-match similarity of ``target``'s neurons to neurons of null nets.

    A target neuron whose best match in a reference net exceeds this value matches "better than chance".
    """
    if not 0 < q < 1:
        raise ValueError(f"q must be in (0, 1), got {q}.")
    F = neuron_features(target, X, by=by, layer=layer)
    best = [similarity_matrix(F, neuron_features(n, X, by=by, layer=layer)).max(1) for n in nulls]
    return float(np.quantile(np.concatenate(best), q))


def selectivity(H, y, first_classes=range(5)) -> np.ndarray:
    """Per unit, (mean activation on ``first_classes`` - mean on the rest) / (sum of the two), in [-1, 1].

    H: (N, units) non-negative activations; y: (N,) labels. +1 = fires only for the first task's digits.
    """
    H = _as_matrix(H, "H")
    y = np.asarray(y.cpu() if hasattr(y, "cpu") else y).reshape(-1)
    if len(y) != len(H):
        raise ValueError(f"y has {len(y)} labels but H has {len(H)} rows.")
    first = np.isin(y, list(first_classes))
    if first.all() or not first.any():
        raise ValueError("Selectivity needs inputs from both tasks (labels in and outside first_classes).")
    a, b = H[first].mean(0), H[~first].mean(0)
    return np.divide(a - b, a + b, out=np.zeros_like(a), where=(a + b) > 1e-12)


def neuron_matches(C, A, B, X, y=None, *, by: str = "activations", threshold: float = 0.0,
                   first_classes=range(5), layer: str = "fc1"):
    """Per hidden neuron of C: its best match in A and in B, which side wins, and its selectivity.

    Returns a pandas DataFrame indexed by C's neuron with columns best_A, match_A (index of A's neuron),
    best_B, match_B, side ("A", "B" or "neither" when both best similarities are below ``threshold``)
    and, with labels y, selectivity for ``first_classes`` (see :func:`selectivity`).
    """
    import pandas as pd

    _check_same_layer({"C": C, "A": A, "B": B}, layer)
    Fc, Fa, Fb = (neuron_features(m, X, by=by, layer=layer) for m in (C, A, B))
    Sa, Sb = similarity_matrix(Fc, Fa), similarity_matrix(Fc, Fb)
    df = pd.DataFrame({"best_A": Sa.max(1), "match_A": Sa.argmax(1), "best_B": Sb.max(1),
                       "match_B": Sb.argmax(1)})
    df["side"] = np.where(np.maximum(df.best_A, df.best_B) < threshold, "neither",
                          np.where(df.best_A >= df.best_B, "A", "B"))
    if y is not None:
        df["selectivity"] = selectivity(hidden_activations(C, X, layer), y, first_classes)
    return df.rename_axis("C neuron")


def merge_stats(target, side1, side2, X, y=None, *, by: str = "activations", threshold: float = 0.0,
                first_classes=range(5), n_perm: int = 1000, seed: int = 0, layer: str = "fc1") -> dict:
    """How much does ``target`` (net C) look like ``side1`` (net A) merged with ``side2`` (net B)?

    Args:
        X: inputs (N, 1, 28, 28) for activations (test images); y: their labels (for the selectivity test).
        by: neuron similarity on "activations" (correlation over X) or "weights" (correlation of rows).
        threshold: a target neuron is "side-1-like" if its best similarity in side 1 is >= threshold and
            beats side 2 (and vice versa); "neither" if both are below (use :func:`chance_threshold`).
    Returns a dict of floats:
        best1, best2      mean over target neurons of the best similarity in side 1 / side 2
        frac1, frac2, frac_neither   shares of target neurons that are side-1-like / side-2-like / neither
        hung_frac1, hung_sim   one-to-one (Hungarian) matching of the target's neurons into side1+side2:
                          share assigned to side 1, mean matched similarity
        cka1, cka2, cka_both   linear CKA of the target's hidden layer with side 1, side 2, both concatenated
        sel_gap, sel_p    (with y) mean selectivity for ``first_classes`` of target neurons whose best
                          match is in side 1 minus that of the others; one-sided permutation p-value
    """
    _check_same_layer({"target": target, "side1": side1, "side2": side2}, layer)
    Ht, H1, H2 = (hidden_activations(m, X, layer) for m in (target, side1, side2))
    if by == "activations":
        Ft, F1, F2 = Ht.T, H1.T, H2.T
    else:
        Ft, F1, F2 = (neuron_features(m, by=by, layer=layer) for m in (target, side1, side2))
    S1, S2 = similarity_matrix(Ft, F1), similarity_matrix(Ft, F2)
    b1, b2 = S1.max(1), S2.max(1)
    win1 = b1 >= b2
    out = dict(best1=float(b1.mean()), best2=float(b2.mean()),
               frac1=float(np.mean(win1 & (b1 >= threshold))),
               frac2=float(np.mean(~win1 & (b2 >= threshold))),
               frac_neither=float(np.mean(np.maximum(b1, b2) < threshold)))
    perm, sim = match_neurons(Ft, np.vstack([F1, F2]), return_similarity=True)
    out.update(hung_frac1=float(np.mean(perm < len(F1))), hung_sim=float(sim.mean()))
    out.update(cka1=linear_cka(Ht, H1), cka2=linear_cka(Ht, H2), cka_both=linear_cka(Ht, np.hstack([H1, H2])))
    if y is not None:
        sel = selectivity(Ht, y, first_classes)
        gap = lambda w: sel[w].mean() - sel[~w].mean() if 0 < w.sum() < len(w) else 0.0  # noqa: E731
        g0 = gap(win1)
        rng = np.random.default_rng(seed)
        null = np.array([gap(rng.permutation(win1)) for _ in range(n_perm)])
        out.update(sel_gap=float(g0), sel_p=float((1 + np.sum(null >= g0)) / (1 + n_perm)))
    return out


def comparisons(task1: str = "A", task2: str = "B") -> dict:
    """The reference pairs the target C is compared with: label -> (kind1, kind2, seed1, seed2).

    Seeds: "s" = the target's own seed, "t" / "u" = the next two seeds. In order: the hypothesis
    (task1 + task2, other seed), the same-task ceiling (two other C nets), two nulls (shuffled labels,
    untrained) and the shared-initialization leak (task1 + task2 of C's own seed).
    """
    return {
        f"{task1} + {task2} (other seed)": (task1, task2, "t", "t"),
        "C + C (other seeds): same-task ceiling": ("C", "C", "t", "u"),
        f"shuffled-label {task1} + {task2}": (f"{task1}_shuffled", f"{task2}_shuffled", "t", "t"),
        "untrained + untrained": ("untrained", "untrained", "t", "u"),
        f"{task1} + {task2} (same seed as C: shared init)": (task1, task2, "s", "s"),
    }


COMPARISONS = comparisons()


def merge_experiment(seeds: Sequence[int], X, y, *, tasks=("A", "B"), by: str = "activations",
                     q: float = 0.95, n_perm: int = 1000, progress: bool = False, nets=None):
    """Run :func:`merge_stats` for every seed s of C against every comparison of :func:`comparisons`.

    For target C(s), "t" and "u" are the next two seeds in ``seeds`` (cyclically), so the references never
    share C's initialization except in the last, deliberately leaky, comparison. The chance threshold for
    "X-like" neurons is the q-quantile of C(s)'s best-match similarity to untrained nets of seeds t and u.
    ``tasks``: the task pair, ("A", "B") = digits 0-4 / 5-9 or ("even", "odd"); selectivity is measured
    for the first task's digits. ``nets`` (optional) is a dict (kind, seed) -> model cache, filled as nets
    are trained or loaded (pass the same dict to several calls to reuse them).
    Returns a pandas DataFrame, one row per (comparison, seed).
    """
    import pandas as pd

    seeds = [int(s) for s in seeds]
    if len(seeds) < 3 or len(set(seeds)) != len(seeds):
        raise ValueError(f"Need at least 3 distinct seeds (the target plus two others), got {seeds}.")
    if tuple(tasks) not in (("A", "B"), ("even", "odd")):
        raise ValueError(f"tasks must be ('A', 'B') or ('even', 'odd'), got {tasks}.")
    nets = {} if nets is None else nets

    def net(kind, s):
        if (kind, s) not in nets:
            nets[(kind, s)] = course_net(kind, s, progress=progress)[0]
        return nets[(kind, s)]

    rows = []
    for i, s in enumerate(seeds):
        t, u = seeds[(i + 1) % len(seeds)], seeds[(i + 2) % len(seeds)]
        pick = {"s": s, "t": t, "u": u}
        C = net("C", s)
        tau = chance_threshold(C, [net("untrained", t), net("untrained", u)], X, by=by, q=q)
        for label, (k1, k2, s1, s2) in comparisons(*tasks).items():
            r = merge_stats(C, net(k1, pick[s1]), net(k2, pick[s2]), X, y, by=by, threshold=tau,
                            first_classes=TASK_CLASSES[tasks[0]], n_perm=n_perm, seed=s)
            rows.append(dict(comparison=label, seed=s, threshold=tau, by=by, **r))
    return pd.DataFrame(rows)


MERGE_COLUMNS = {
    "cka_both": "CKA(C, side1+side2)", "cka1": "CKA(C, side1)", "cka2": "CKA(C, side2)",
    "best1": "best sim side1", "best2": "best sim side2", "hung_sim": "matched sim (1-to-1)",
    "frac1": "share side1-like", "frac2": "share side2-like", "frac_neither": "share neither",
    "sel_gap": "selectivity gap", "sel_p": "p (selectivity)",
}


def merge_summary(df):
    """The verdict table: mean ± standard deviation over seeds, one row per comparison."""
    import pandas as pd

    cols = [c for c in MERGE_COLUMNS if c in df.columns]
    g = df.groupby("comparison", sort=False)[cols]
    mean, sd = g.mean(), g.std(ddof=1).fillna(0.0)
    table = pd.DataFrame({MERGE_COLUMNS[c]: [f"{m:.3f} ± {d:.3f}" for m, d in zip(mean[c], sd[c])]
                          for c in cols}, index=mean.index)
    table.insert(0, "seeds", g.size().values)
    return table


def merge_verdict(df, *, where: str = "activations") -> str:
    """A plain-language verdict computed from :func:`merge_experiment`'s numbers (whatever they say).

    "Comparable" means within two pooled standard deviations over seeds (at least 0.01).
    """
    labels = list(dict.fromkeys(df.comparison))
    if len(labels) != 5 or labels[1] != "C + C (other seeds): same-task ceiling":
        raise ValueError(f"df must hold every comparison of comparisons(), in order, as merge_experiment "
                         f"returns them; it has {labels}.")
    hyp, ceil, shuf, unt, leak = labels
    pair = hyp.split(" (")[0]
    where = df["by"].iloc[0] if "by" in df.columns else where
    g = df.groupby("comparison")
    m = g.mean(numeric_only=True)
    sd = g.std(ddof=1, numeric_only=True).fillna(0.0)

    def tol(a, b, col):
        return max(2 * float(np.hypot(sd.loc[a, col], sd.loc[b, col])), 0.01)

    lines = []
    for col, what in (("cka_both", f"CKA of C's hidden layer with {pair} together"),
                      ("hung_sim", f"mean {where} similarity of C's neurons to their matched partner")):
        h, c = m.loc[hyp, col], m.loc[ceil, col]
        null = shuf if m.loc[shuf, col] >= m.loc[unt, col] else unt
        above = h - m.loc[null, col] > tol(hyp, null, col)
        near = abs(c - h) <= tol(hyp, ceil, col)
        lines.append(f"- {what}: {h:.3f} for {pair}, {m.loc[null, col]:.3f} for the strongest null "
                     f"({null}), {c:.3f} for two other seeds of C. "
                     + ("Above chance" if above else "NOT above chance")
                     + (", and comparable to another C (the same task learned again)." if near else
                        (", but below another C." if c > h else ", and above another C.")))
    if "sel_p" in df.columns:
        ps = df[df.comparison == hyp]["sel_p"]
        n_sig = int((ps < 0.05).sum())
        lines.append(
            f"- Division of labour: in {n_sig} of {len(ps)} seeds, the C neurons whose best match is in the "
            f"first net of {pair} are significantly (p < 0.05) more selective for its digits than those whose "
            f"best match is in the second (mean gap {m.loc[hyp, 'sel_gap']:.3f}). Controls: "
            f"{m.loc[ceil, 'sel_gap']:.3f} when the sides are two other C nets, {m.loc[shuf, 'sel_gap']:.3f} "
            f"when they are nets trained on the same images with shuffled labels -- a gap there means the "
            f"split follows the input images, "
            f"not the learned task.")
    lk, hy = m.loc[leak, "hung_sim"], m.loc[hyp, "hung_sim"]
    overall = _overall(m, sd, df, hyp, ceil, shuf, unt, pair, tol)
    lines.append(f"- Shared initialization: {pair} of C's own seed give a matched similarity of {lk:.3f} "
                 f"against {hy:.3f} with another seed: "
                 + ("the excess is inherited from identical starting weights, not learned."
                    if lk - hy > tol(leak, hyp, "hung_sim") else "no excess beyond the seed-to-seed spread."))
    lines.append(overall)
    return "\n".join(lines)


def _overall(m, sd, df, hyp, ceil, shuf, unt, pair, tol) -> str:
    """The one-line summary of :func:`merge_verdict`."""
    null = max(m.loc[shuf, "cka_both"], m.loc[unt, "cka_both"])
    similar = m.loc[hyp, "cka_both"] - null > 2 * max(sd.loc[hyp, "cka_both"], 0.005)
    ceiling_like = abs(m.loc[ceil, "cka_both"] - m.loc[hyp, "cka_both"]) <= tol(hyp, ceil, "cka_both")
    sig = beyond_images = False
    if "sel_p" in df.columns:
        sig = bool((df[df.comparison == hyp]["sel_p"] < 0.05).mean() > 0.5)
        beyond_images = bool(m.loc[hyp, "sel_gap"] - m.loc[shuf, "sel_gap"] > tol(hyp, shuf, "sel_gap"))
    if not similar:
        return f"VERDICT: C is not measurably closer to {pair} than to the null nets; no support for a merge."
    head = (f"VERDICT: C's hidden layer resembles {pair} well above chance"
            + (", about as much as it resembles another C" if ceiling_like else ", less than another C") + ". ")
    if sig and beyond_images:
        return head + ("Its neurons split into a part matching the first net and a part matching the second, "
                       "with a task selectivity beyond what nets trained on the same images with shuffled "
                       "labels produce: evidence for a merge.")
    if sig:
        return head + ("C's neurons that match the first net do prefer its digits, but nets trained on the same "
                       "images with shuffled labels give a gap of comparable size (within the spread over seeds): "
                       "the input images alone can explain the split, so it is no evidence that C consists of "
                       "a part from each net.")
    return head + ("The split of C's neurons between the two nets is not significantly selective for the "
                   "tasks' digits in most seeds: no evidence that C consists of a part from each net.")


def plot_merge_results(df, metrics: Sequence[str] = ("cka_both", "hung_sim", "frac_neither", "sel_gap")):
    """One panel per metric: every seed as a dot, per comparison, with the mean as a bar (the spread)."""
    import matplotlib.pyplot as plt

    metrics = [c for c in metrics if c in df.columns]
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.4), squeeze=False)
    _dot_bar_panels(axes[0], df, "comparison", metrics, [MERGE_COLUMNS.get(c, c) for c in metrics], "C0")
    fig.tight_layout()
    return fig


def _dot_bar_panels(axes, df, group: str, columns, titles, color, xlim=None):
    """One panel per column: every row of each group as a dot, the group's mean as a grey bar."""
    groups = list(dict.fromkeys(df[group]))
    for ax, col, title in zip(axes, columns, titles):
        for i, g in enumerate(groups):
            v = df.loc[df[group] == g, col].to_numpy()
            ax.barh(i, v.mean(), color="0.85")
            ax.plot(v, np.full(len(v), i), "o", color=color, ms=4)
        ax.set_yticks(range(len(groups)))
        ax.set_yticklabels(groups if ax is axes[0] else [], fontsize=8)
        ax.set_title(title, fontsize=10)
        if xlim is not None:
            ax.set_xlim(*xlim)
        ax.invert_yaxis()


def plot_merge_alignment(C, A, B, X=None, *, by: str = "activations", layer: str = "fc1", max_rows: int = 100):
    """The merge picture: C's neurons (rows of ``layer``) matched one-to-one into A's + B's neurons.

    Rows are grouped by the side of their partner (A first, then B), each group sorted by similarity.
    Left: C's weights; middle: the partner's weights (from A or B); right: the similarity and side.
    Returns the figure.
    """
    import matplotlib.pyplot as plt

    _check_same_layer({"C": C, "A": A, "B": B}, layer)
    Ft, FA, FB = (neuron_features(m, X, by=by, layer=layer) for m in (C, A, B))
    perm, sim = match_neurons(Ft, np.vstack([FA, FB]), return_similarity=True)
    side = perm >= len(FA)
    order = np.lexsort((-sim, side))[:max_rows]
    WC = layer_weights(C, layer)
    WP = np.vstack([layer_weights(A, layer), layer_weights(B, layer)])
    vmax = float(np.percentile(np.abs(WC), 99)) or 1.0
    cols = seriate(WC, 1)
    fig, axes = plt.subplots(1, 3, figsize=(11, 4), gridspec_kw={"width_ratios": [4, 4, 1]})
    plot_heatmap(WC[order], col_order=cols, ax=axes[0], vmax=vmax, colorbar=False,
                 title=f"C: {layer} rows (grouped by partner)", xlabel="input (seriated)")
    plot_heatmap(WP[perm[order]], col_order=cols, ax=axes[1], vmax=vmax, colorbar=False,
                 title="matched partner in A (top) / B (bottom)", xlabel="input (seriated)")
    axes[2].barh(np.arange(len(order)), sim[order], color=np.where(side[order], "C1", "C0"), height=1.0)
    axes[2].set_ylim(len(order) - 0.5, -0.5)
    axes[2].set_xlim(min(0.0, sim.min()), 1)
    axes[2].set_title(f"similarity\nA: {int((~side).sum())}, B: {int(side.sum())}", fontsize=9)
    axes[2].set_yticks([])
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------
# Neural persistence of the merge-test nets
# ------------------------------------------------------------------------------------------------
PERSISTENCE_KINDS = ("A", "B", "C", "A_shuffled", "B_shuffled", "C_shuffled", "untrained")


def persistence_table(seeds: Sequence[int], kinds: Sequence[str] = PERSISTENCE_KINDS, *, nets=None,
                      progress: bool = False):
    """Normalized neural persistence (:mod:`toolkit.neural_persistence`) of every kind of net and seed.

    Returns a long pandas DataFrame with columns kind, seed, fc1, fc2, mean (each in [0, 1]).
    ``nets``: the same (kind, seed) -> model cache as :func:`merge_experiment`.
    """
    import pandas as pd

    from .neural_persistence import neural_persistence

    nets = {} if nets is None else nets
    rows = []
    for kind in kinds:
        for s in seeds:
            if (kind, s) not in nets:
                nets[(kind, s)] = course_net(kind, s, progress=progress)[0]
            r = neural_persistence(nets[(kind, s)])
            rows.append(dict(kind=kind, seed=int(s), **{k: v["normalized"] for k, v in r["layers"].items()},
                             mean=r["mean_normalized"]))
    return pd.DataFrame(rows)


def persistence_summary(df):
    """Mean ± standard deviation over seeds of :func:`persistence_table`, one row per kind of net."""
    import pandas as pd

    cols = [c for c in df.columns if c not in ("kind", "seed")]
    g = df.groupby("kind", sort=False)[cols]
    mean, sd = g.mean(), g.std(ddof=1).fillna(0.0)
    table = pd.DataFrame({c: [f"{m:.4f} ± {d:.4f}" for m, d in zip(mean[c], sd[c])] for c in cols},
                         index=mean.index)
    table.insert(0, "seeds", g.size().values)
    return table


def plot_persistence(df, columns: Sequence[str] = ("fc1", "fc2", "mean")):
    """Normalized neural persistence per kind of net: every seed as a dot, the mean as a bar."""
    import matplotlib.pyplot as plt

    columns = [c for c in columns if c in df.columns]
    if not columns:
        raise ValueError(f"df has none of the columns {list(columns)}; pass persistence_table(...)'s result.")
    kinds = list(dict.fromkeys(df.kind))
    fig, axes = plt.subplots(1, len(columns), figsize=(3.4 * len(columns), 0.45 * len(kinds) + 1.2),
                             squeeze=False)
    _dot_bar_panels(axes[0], df, "kind", columns, [f"normalized NP: {c}" for c in columns], "C2", (0, 1))
    fig.tight_layout()
    return fig
