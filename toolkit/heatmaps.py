"""Weight heatmaps of one layer of one or several MLPs, drawn so that structure shows (notebook
02_heatmaps).

Diverging colours centred at 0, seriated rows and columns, biases, neurons as 28x28 images,
side-by-side panels; the permutation symmetry made concrete (:func:`permute_hidden`); orders of the
hidden neurons (raw, seriated, aligned to a reference net: :func:`hidden_orders`); plots of the
merge test's numbers computed beforehand. Matching, CKA, seriation: :mod:`toolkit.alignment`. A
weight matrix is (n_out, n_in), as in ``nn.Linear.weight`` (read with ``models.layer_weight``): one
row per neuron, one column per input.
"""

from __future__ import annotations

import copy
from typing import Sequence

import numpy as np

from .alignment import match_neurons, seriate
from .arrays import as_array
from .models import layer_weight

__all__ = [
    "ORDERINGS",
    "permute_hidden",
    "hidden_orders",
    "plot_heatmap",
    "plot_neuron_images",
    "layer_panels",
    "plot_layer_panels",
    "plot_per_seed",
    "plot_merge_alignment",
]

ORDERINGS = ("raw", "seriated", "aligned")
_AXES = "(n_out, n_in)"


def permute_hidden(model, perm, layer: str = "fc1", next_layer: str = "fc2"):
    """A copy of ``model`` with its hidden neurons (rows of ``layer``, columns of ``next_layer``)
    permuted: ``perm`` (H,) gives the old index of each new position. The same function, a different
    heatmap."""
    import torch

    new = copy.deepcopy(model)
    for name in (layer, next_layer):
        layer_weight(new, name)  # a clear error listing the layers if one is missing
    L, N = (dict(new.named_modules())[name] for name in (layer, next_layer))
    H = L.weight.shape[0]
    perm = np.asarray(perm)
    if perm.shape != (H,) or not np.array_equal(np.sort(perm), np.arange(H)):
        raise ValueError(
            f"perm must be a permutation of range({H}) (layer {layer!r} has {H} neurons); "
            f"got an array of shape {perm.shape}."
        )
    if N.weight.shape[1] != H:
        raise ValueError(
            f"Layer {next_layer!r} has {N.weight.shape[1]} inputs but {layer!r} has {H} "
            f"outputs; they are not consecutive layers."
        )
    idx = torch.as_tensor(perm, dtype=torch.long)
    with torch.no_grad():
        L.weight.copy_(L.weight[idx])
        if L.bias is not None:
            L.bias.copy_(L.bias[idx])
        N.weight.copy_(N.weight[:, idx])
    return new


def hidden_orders(
    nets: dict,
    ordering: str = "seriated",
    *,
    reference: str | None = None,
    layer: str = "fc1",
    metric: str = "correlation",
) -> dict:
    """For each net, the order of its hidden neurons (rows of ``layer``) used to draw it.

    ``"raw"``: stored order; ``"seriated"``: each net seriated on its own; ``"aligned"``: the
    reference net (default: the last one) seriated, every other net's neurons matched to it with
    :func:`match_neurons`, so that row i of every panel shows corresponding neurons.
    """
    if ordering not in ORDERINGS:
        raise ValueError(f"ordering must be one of {ORDERINGS}, got {ordering!r}.")
    Ws = {k: layer_weight(m, layer) for k, m in nets.items()}
    if ordering == "raw":
        return {k: np.arange(len(W)) for k, W in Ws.items()}
    if ordering == "seriated":
        return {k: seriate(W, 0) for k, W in Ws.items()}
    ref = reference if reference is not None else list(nets)[-1]
    if ref not in Ws:
        raise ValueError(f"reference {ref!r} is not one of the nets {list(nets)}.")
    shapes = {k: W.shape for k, W in Ws.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError(
            f"Cannot align layer {layer!r}: the nets have different weight shapes {shapes}."
        )
    base = seriate(Ws[ref], 0)
    return {
        k: (base if k == ref else match_neurons(Ws[ref][base], W, metric)) for k, W in Ws.items()
    }


def plot_heatmap(
    W,
    *,
    bias=None,
    row_order=None,
    col_order=None,
    ax=None,
    title: str = "",
    vmax: float | None = None,
    cmap: str = "RdBu_r",
    colorbar: bool = True,
    xlabel: str = "input",
    ylabel: str = "neuron",
):
    """Draw a weight matrix (n_out, n_in) with a diverging colormap centred at 0.

    ``bias`` (n_out,) is drawn as an extra column right of a blank gap. ``row_order`` /
    ``col_order`` reorder rows / columns. ``vmax`` fixes the colour range [-vmax, vmax] (share it
    across panels to compare nets); default: the 99th percentile of |W| so that a few large weights
    do not wash out the rest. Returns the matplotlib image.
    """
    import matplotlib.pyplot as plt

    W = as_array(W, "W", axes=_AXES)
    ro = np.arange(W.shape[0]) if row_order is None else np.asarray(row_order)
    co = np.arange(W.shape[1]) if col_order is None else np.asarray(col_order)
    if ro.shape != (W.shape[0],) or co.shape != (W.shape[1],):
        raise ValueError(
            f"row_order / col_order must have lengths {W.shape[0]} / {W.shape[1]} for W of "
            f"shape {W.shape}; got {ro.shape} / {co.shape}."
        )
    M = W[ro][:, co]
    if bias is not None:
        b = np.asarray(bias, dtype=float).reshape(-1)
        if b.shape != (W.shape[0],):
            raise ValueError(
                f"bias must have shape ({W.shape[0]},) for W of shape {W.shape}; got {b.shape}."
            )
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


def plot_neuron_images(
    W,
    neurons: Sequence[int] | None = None,
    *,
    shape=(28, 28),
    ncols: int = 8,
    titles: Sequence[str] | None = None,
    axes=None,
    vmax: float | None = None,
):
    """Each chosen neuron's incoming weights (a row of W, length prod(shape)) as an image.

    Red = positive weight (the pixel excites the neuron), blue = negative, white = 0. Returns the
    figure.
    """
    import matplotlib.pyplot as plt

    W = as_array(W, "W", axes=_AXES)
    if W.shape[1] != int(np.prod(shape)):
        raise ValueError(
            f"Rows of W have {W.shape[1]} entries; they cannot be shown as {shape} images "
            f"(pass the first layer, fc1, of an MLP on 28x28 inputs, or another shape=)."
        )
    neurons = list(range(min(len(W), ncols))) if neurons is None else [int(i) for i in neurons]
    if not neurons or min(neurons) < 0 or max(neurons) >= len(W):
        raise ValueError(f"neurons must be indices in [0, {len(W)}); got {neurons}.")
    if axes is None:
        nrows = -(-len(neurons) // ncols)
        fig, axes = plt.subplots(
            nrows,
            min(ncols, len(neurons)),
            figsize=(1.5 * min(ncols, len(neurons)), 1.6 * nrows),
            squeeze=False,
        )
    axes = np.asarray(axes).ravel()
    for k, ax in enumerate(axes):  # no ticks; a row label (ax.set_ylabel) stays visible
        ax.set_xticks([]), ax.set_yticks([])
        if k >= len(neurons):
            ax.axis("off")
    for k, i in enumerate(neurons):
        v = vmax or float(np.abs(W[i]).max()) or 1.0
        axes[k].imshow(W[i].reshape(shape), cmap="RdBu_r", vmin=-v, vmax=v)
        axes[k].set_title(titles[k] if titles is not None else f"neuron {i}", fontsize=8)
    return axes[0].figure


def layer_panels(
    nets: dict,
    layer: str = "fc1",
    ordering: str = "seriated",
    *,
    reference: str | None = None,
    hidden_layer: str = "fc1",
    next_layer: str = "fc2",
) -> dict:
    """What :func:`plot_layer_panels` draws for one layer of several MLPs (e.g. {"A": net_A, "C":
    net_C}).

    ``ordering`` (see :func:`hidden_orders`) orders the hidden neurons: the rows of
    ``hidden_layer``, the columns of ``next_layer``. The other axis (pixels of fc1, classes of fc2)
    is seriated per net in "seriated" mode and shared otherwise (the reference's seriated pixels, or
    the class order), so that panels are comparable. Returns {title: {"W": (n_out, n_in), "bias":
    (n_out,), "row_order", "col_order", "xlabel", "ylabel"}}, one entry per net.
    """
    if not nets:
        raise ValueError("Pass at least one net, e.g. {'C': net_C}.")
    if layer not in (hidden_layer, next_layer):
        raise ValueError(f"layer must be {hidden_layer!r} or {next_layer!r}, got {layer!r}.")
    orders = hidden_orders(nets, ordering, reference=reference, layer=hidden_layer)
    mats = {k: layer_weight(m, layer, bias=True) for k, m in nets.items()}
    ref = reference if reference is not None else list(nets)[-1]
    panels = {}
    for k, (W, b) in mats.items():
        if layer == hidden_layer:
            other = (
                seriate(W, 1)
                if ordering == "seriated"
                else (seriate(mats[ref][0], 1) if ordering == "aligned" else None)
            )
            rows, cols, xl, yl = orders[k], other, "input pixel", "hidden neuron"
        else:
            rows = seriate(W, 0) if ordering == "seriated" else None
            cols, xl, yl = orders[k], "hidden neuron", "output class"
        panels[f"{k}: {layer} {W.shape[0]}x{W.shape[1]} ({ordering})"] = dict(
            W=W, bias=b, row_order=rows, col_order=cols, xlabel=xl, ylabel=yl
        )
    return panels


def plot_layer_panels(panels: dict, *, biases: bool = False, figsize=None):
    """Side-by-side heatmaps of :func:`layer_panels`' output, one shared colour scale; ``biases``
    adds the bias column. Returns the figure."""
    import matplotlib.pyplot as plt

    vmax = max(float(np.percentile(np.abs(p["W"]), 99)) for p in panels.values()) or 1.0
    fig, axes = plt.subplots(
        1, len(panels), figsize=figsize or (4.2 * len(panels), 3.6), squeeze=False
    )
    for ax, (title, p) in zip(axes[0], panels.items()):
        kw = {k: v for k, v in p.items() if k not in ("W", "bias")}
        plot_heatmap(
            p["W"],
            bias=p["bias"] if biases else None,
            ax=ax,
            vmax=vmax,
            title=title,
            colorbar=ax is axes[0][-1],
            **kw,
        )
    fig.tight_layout()
    return fig


def plot_per_seed(
    df,
    group: str,
    columns: Sequence[str],
    titles: Sequence[str] | None = None,
    *,
    color: str = "C0",
    xlim=None,
):
    """One panel per numeric column of ``df`` (a DataFrame, one row per (group, seed)): every row as
    a dot per value of ``group``, the mean as a bar -- n and the spread in sight; intervals are
    computed elsewhere."""
    import matplotlib.pyplot as plt

    columns = [c for c in columns if c in df.columns]
    if group not in df.columns or not columns:
        raise ValueError(
            f"df needs the column {group!r} and at least one of the columns to draw; "
            f"it has {list(df.columns)}."
        )
    titles = list(titles) if titles is not None else list(columns)
    groups = list(dict.fromkeys(df[group]))
    fig, axes = plt.subplots(
        1, len(columns), figsize=(3.6 * len(columns), 0.45 * len(groups) + 1.4), squeeze=False
    )
    for ax, col, title in zip(axes[0], columns, titles):
        for i, g in enumerate(groups):
            v = df.loc[df[group] == g, col].to_numpy(dtype=float)
            ax.barh(i, v.mean(), color="0.85")
            ax.plot(v, np.full(len(v), i), "o", color=color, ms=4)
        ax.set_yticks(range(len(groups)))
        ax.set_yticklabels(groups if ax is axes[0][0] else [], fontsize=8)
        ax.set_title(title, fontsize=10)
        if xlim is not None:
            ax.set_xlim(*xlim)
        ax.invert_yaxis()
    fig.tight_layout()
    return fig


def plot_merge_alignment(
    W_C,
    W_partners,
    perm,
    sim,
    n_first: int,
    *,
    col_order=None,
    max_rows: int = 100,
    names=("A", "B"),
):
    """The merge picture from a matching computed beforehand (e.g. with
    ``alignment.match_neurons``).

    W_C: (H, d) C's weight rows; W_partners: (n_1 + n_2, d) the rows of A stacked over those of B;
    perm: (H,) index of each C row's partner in W_partners; sim: (H,) the matched similarities;
    n_first: n_1, the rows of W_partners that belong to A; col_order: (d,) order of the inputs (e.g.
    ``alignment.seriate(W_C, 1)``). Rows are grouped by the side of their partner (A first), each
    group sorted by similarity. Left: C's weights; middle: the partners'; right: similarity and
    side. Returns the figure.
    """
    import matplotlib.pyplot as plt

    W_C, W_P = as_array(W_C, "W_C", axes=_AXES), as_array(W_partners, "W_partners", axes=_AXES)
    perm, sim = np.asarray(perm, dtype=int), np.asarray(sim, dtype=float)
    if W_C.shape[1] != W_P.shape[1] or perm.shape != (len(W_C),) or sim.shape != (len(W_C),):
        raise ValueError(
            f"W_C {W_C.shape} and W_partners {W_P.shape} need the same columns, perm "
            f"{perm.shape} and sim {sim.shape} one entry per row of W_C."
        )
    if not 0 < n_first < len(W_P) or perm.min() < 0 or perm.max() >= len(W_P):
        raise ValueError(
            f"n_first ({n_first}) must split W_partners' {len(W_P)} rows in two, and perm must "
            f"index its rows."
        )
    side = perm >= n_first
    order = np.lexsort((-sim, side))[:max_rows]
    vmax = float(np.percentile(np.abs(W_C), 99)) or 1.0
    fig, axes = plt.subplots(1, 3, figsize=(11, 4), gridspec_kw={"width_ratios": [4, 4, 1]})
    plot_heatmap(
        W_C[order],
        col_order=col_order,
        ax=axes[0],
        vmax=vmax,
        colorbar=False,
        title="C: rows grouped by partner",
        xlabel="input",
    )
    plot_heatmap(
        W_P[perm[order]],
        col_order=col_order,
        ax=axes[1],
        vmax=vmax,
        colorbar=False,
        title=f"matched partner in {names[0]} (top) / {names[1]} (bottom)",
        xlabel="input",
    )
    axes[2].barh(
        np.arange(len(order)), sim[order], color=np.where(side[order], "C1", "C0"), height=1.0
    )
    axes[2].set_ylim(len(order) - 0.5, -0.5)
    axes[2].set_xlim(min(0.0, sim.min()), 1)
    axes[2].set_title(
        f"similarity\n{names[0]}: {int((~side).sum())}, {names[1]}: {int(side.sum())}", fontsize=9
    )
    axes[2].set_yticks([])
    fig.tight_layout()
    return fig
