"""Weight heatmaps: drawing one layer of one or several MLPs so that structure shows (notebook 02_heatmaps).

The question (docs/REFERENCES.md): does the weight heatmap of a net C trained on tasks alpha + beta look
like a *merge* of the heatmaps of net A (alpha) and net B (beta)? Hidden neurons are only defined up to a
permutation, so raw heatmaps cannot be compared; this module holds the primitives the notebook's experiment
is built from:

- heatmaps that show structure (diverging colormap centred at 0, seriated rows and columns, optional
  biases, a neuron's incoming weights as a 28x28 image, side-by-side panels, an interactive explorer);
- the permutation symmetry made concrete (:func:`permute_hidden`) and orders of the hidden neurons
  (raw, seriated, aligned to a reference net: :func:`hidden_orders`).

The nets of the merge test and the statistics of one triple of nets are in :mod:`toolkit.merge`; the
experiment loops over seeds, the controls and the verdicts are in the notebook. Alignment and similarity
(Hungarian matching, CKA, seriation) are in :mod:`toolkit.alignment` and re-exported here.

Conventions: a weight matrix is (n_out, n_in) as in ``nn.Linear.weight``: one row per neuron of the
layer, one column per input. Activations are (N samples, units).
"""
from __future__ import annotations

import copy
from typing import Sequence

import numpy as np

from .alignment import as_matrix as _as_matrix
from .alignment import linear_cka, match_activations, match_neurons, seriate, similarity_matrix

__all__ = ["layer_weights", "hidden_activations", "similarity_matrix", "match_neurons",
           "match_activations", "permute_hidden", "linear_cka", "seriate", "hidden_orders",
           "plot_heatmap", "plot_neuron_images", "plot_layer_panels", "show_layer",
           "heatmap_explorer", "ORDERINGS"]

ORDERINGS = ("raw", "seriated", "aligned")


# ------------------------------------------------------------------------------------------------
# Layers and activations
# ------------------------------------------------------------------------------------------------
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
