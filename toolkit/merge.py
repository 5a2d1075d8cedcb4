"""The merge test of notebook 02: its nets, the statistics of one triple of nets, and plots of their numbers.

Is a net C trained on tasks alpha + beta a *merge* of net A (alpha) and net B (beta)? This module holds
the primitives; the experiment (which seeds, which controls, intervals over seeds, the verdict) is written
in the notebook, where a student reads it.

- :func:`course_net`: A, B, C and the controls -- other task pairs, shuffled-label nets, untrained nets, the
  pair across two data sets (:func:`pair_data`); :func:`varied_net`: MLPs trained with varied settings;
- :func:`merge_stats`: how much ONE target looks like one pair of nets merged (best matches, shares of
  "like" neurons, one-to-one matching, CKA, a selectivity test); :func:`neuron_matches` per neuron;
  :func:`chance_threshold`, :func:`selectivity`;
- :func:`plot_per_seed`, :func:`plot_merge_alignment`: plots of numbers computed beforehand.

Conventions as in :mod:`toolkit.heatmaps`: weight matrices (n_out, n_in), activations (N samples, units).
"""
from __future__ import annotations

import contextlib
import io
from typing import Sequence

import numpy as np

from .alignment import as_matrix as _as_matrix
from .alignment import linear_cka, match_neurons, seriate, similarity_matrix
from .heatmaps import hidden_activations, layer_weights, plot_heatmap

__all__ = ["TASK_CLASSES", "NET_KINDS", "course_net", "pair_data", "varied_net", "neuron_features",
           "chance_threshold", "selectivity", "neuron_matches", "merge_stats", "plot_per_seed",
           "plot_merge_alignment"]


# ------------------------------------------------------------------------------------------------
# The nets of the merge test: is C (tasks alpha + beta) a merge of A (alpha) and B (beta)?
# ------------------------------------------------------------------------------------------------
TASK_CLASSES = {"A": list(range(5)), "B": list(range(5, 10)), "C": list(range(10)),
                "even": [0, 2, 4, 6, 8], "odd": [1, 3, 5, 7, 9],
                # across two data sets (see pair_data): MNIST = labels 0-9, the second set = labels 10-19
                "alpha": list(range(10)), "beta": list(range(10, 20)), "alphabeta": list(range(20))}
PAIR_KINDS = ("alpha", "beta", "alphabeta")
NET_KINDS = tuple(TASK_CLASSES) + tuple(f"{t}_shuffled" for t in TASK_CLASSES) + ("untrained",)


def _digits_28(split: str):
    """scikit-learn's 1,797 real 8x8 handwritten digits (UCI optdigits) upscaled to 28x28 in [0, 1].

    Returns (images (n, 1, 28, 28) float32 tensor, labels (n,) int64 tensor); 50 digits per class are the
    test split (seeded), the rest (1,297) the training split.
    """
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_digits

    d = load_digits()
    y = d.target.astype(np.int64)
    rng = np.random.default_rng(1234)
    test = np.zeros(len(y), bool)
    for c in range(10):
        test[rng.permutation(np.flatnonzero(y == c))[:50]] = True
    idx = np.flatnonzero(test if split == "test" else ~test)
    img = torch.from_numpy(d.images[idx].astype(np.float32) / 16.0).unsqueeze(1)
    img = F.interpolate(img, size=(28, 28), mode="bilinear", align_corners=False).clamp(0, 1)
    return img, torch.from_numpy(y[idx])


def pair_data(split: str = "train", n: int | None = None):
    """Tasks alpha + beta across two data sets: MNIST digits (labels 0-9) + a second set (labels 10-19).

    The second set is FashionMNIST (clothes) when it can be loaded (online, or its files in the data
    folder); otherwise scikit-learn's real 8x8 handwritten digits (UCI optdigits) upscaled to 28x28 -- a
    different *digit* data set, not clothes, and ``.source`` says so. Both halves have the same size:
    at most ``n`` images each (default: as many as the smaller set has), drawn at random (seed 0).
    Returns a ``toolkit.data.Dataset`` on the CPU: X (N, 1, 28, 28) normalized with MNIST's mean/std,
    y (N,) int64 in 0..19, ``.classes`` the 20 class names.
    """
    import torch

    from . import data, zoo

    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    mn = zoo.mnist_train() if split == "train" else zoo.mnist_test()
    try:
        fa = data.load("fashion_mnist", split, device="cpu")
        X2 = fa.X * fa.std[0] + fa.mean[0]                        # back to [0, 1]
        y2, names = fa.y, fa.classes
        src2 = f"FashionMNIST clothes ({fa.source})"
    except data.DataUnavailable as e:
        X2, y2 = _digits_28(split)
        names = [f"UCI digit {c}" for c in range(10)]
        src2 = ("scikit-learn's 8x8 handwritten digits (UCI optdigits) upscaled to 28x28 -- a second DIGIT "
                f"data set standing in for FashionMNIST ({str(e).split(':')[0]})")
    k = min(len(mn), len(y2), n or len(y2))
    rng = np.random.default_rng(0)
    i1, i2 = rng.permutation(len(mn))[:k], rng.permutation(len(y2))[:k]
    m, s = data.STATS["mnist"][0][0], data.STATS["mnist"][1][0]
    X = torch.cat([mn.X[i1].cpu(), (X2[i2].cpu() - m) / s]).float()
    y = torch.cat([mn.y[i1].cpu(), y2[i2].cpu() + 10])
    source = f"{k:,} MNIST digits as labels 0-9 ({mn.source}) + {k:,} images of {src2} as labels 10-19"
    return data.Dataset(X=X, y=y, name="mnist+second", split=split, source=source,
                        classes=[str(c) for c in range(10)] + list(names), mean=(m,), std=(s,))


def _subset(ds, classes):
    import torch

    return ds.subset(torch.isin(ds.y, torch.tensor(classes)).nonzero().flatten())


def course_net(kind: str, seed: int = 0, *, progress: bool = False):
    """One net of the merge test. Returns ``(model, info)``; ``info["test_acc"]`` is on the test images of its task.

    kind: "A", "B", "C" -> ``zoo.get("net_A" | "net_B" | "net_C", seed)`` (its messages shown with
    progress=True); "even", "odd" -> a second task pair (digits 0,2,4,6,8 / 1,3,5,7,9) with net C's
    architecture and settings; "alpha", "beta", "alphabeta" -> the pair across two data sets of
    :func:`pair_data` (MNIST digits, the second set, both; 20 outputs; at most ``heatmap_pair_train_n``
    training images per set); "<task>_shuffled" (e.g. "A_shuffled") -> the same data and settings, trained
    on labels shuffled among the task's training images (a task with no learnable structure); "untrained"
    -> the net as initialized by ``seed``. Nets not in the zoo are cached with ``checkpoints.train_or_load``.
    Note: every kind of the same seed starts from identical ``fc1`` weights.
    """
    import torch

    from . import checkpoints, config, zoo
    from .models import MLP
    from .train import evaluate, fit

    if kind not in NET_KINDS:
        raise ValueError(f"kind must be one of {NET_KINDS}, got {kind!r}.")
    if kind in ("A", "B", "C"):
        with contextlib.nullcontext() if progress else contextlib.redirect_stdout(io.StringIO()):
            return zoo.get(f"net_{kind}", seed, progress=progress)
    cfg = zoo.spec("net_C", seed)
    if kind == "untrained":
        with config.seeded(seed):  # torch.manual_seed(seed); the caller's random state is kept
            return MLP(cfg["hidden"]).eval(), {"config": cfg, "description": "untrained (initial weights)"}
    task, shuffled = kind.split("_")[0], kind.endswith("_shuffled")
    pair = task in PAIR_KINDS
    cfg["classes"] = TASK_CLASSES[task]
    train_ds = pair_data("train", config.size("heatmap_pair_train_n")) if pair else zoo.mnist_train()
    tr = _subset(train_ds, cfg["classes"])
    X, y = tr.X, tr.y
    cfg["data"] = {"train": zoo.fingerprint(train_ds)}
    if shuffled:
        g = torch.Generator().manual_seed(10_000 + seed)
        y = y[torch.randperm(len(y), generator=g)]
        cfg.update(labels="shuffled", shuffle_seed=10_000 + seed)

    def make():
        with config.seeded(seed):  # torch.manual_seed(seed); the caller's random state is kept
            return MLP(cfg["hidden"], num_classes=20 if pair else 10)

    def train(model):
        return fit(model, X, y, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                   weight_decay=cfg["weight_decay"], seed=seed, progress=progress)

    model, record = checkpoints.train_or_load(f"heatmaps_{kind}-seed{seed}", cfg, make, train,
                                              verbose=progress)
    te = _subset(pair_data("test") if pair else zoo.mnist_test(), cfg["classes"])
    record["test_acc"] = evaluate(model, te.X, te.y)[1]
    record["description"] = (f"trained on classes {cfg['classes']}" + (" of " + train_ds.source if pair else "")
                             + (" with shuffled labels" if shuffled else ""))
    return model, record


def varied_net(hidden: int, epochs: int, *, weight_decay: float = 0.0, l1: float = 0.0,
               n_train: int | None = None, seed: int = 0, progress: bool = False):
    """An MLP 784-hidden-10 trained on all ten MNIST digits with the given settings. Returns (model, test_acc).

    Adam lr 1e-3, batch 64 (net C's settings) on a random subset of ``n_train`` of the course's training
    digits (all when None), ``weight_decay`` (Adam) and ``l1`` (penalty on the weights, see ``train.fit``).
    ``test_acc``: accuracy in [0, 1] on the course's MNIST test digits. Cached with checkpoints.
    """
    import torch

    from . import checkpoints, config, zoo
    from .models import MLP
    from .train import evaluate, fit

    if int(hidden) < 1 or int(epochs) < 1:
        raise ValueError(f"hidden and epochs must be positive integers, got hidden={hidden}, epochs={epochs}.")
    if weight_decay < 0 or l1 < 0:
        raise ValueError(f"weight_decay and l1 must be >= 0, got {weight_decay}, {l1}.")
    train_ds, test_ds = zoo.mnist_train(), zoo.mnist_test()
    k = len(train_ds) if n_train is None else min(int(n_train), len(train_ds))
    if k < 10:
        raise ValueError(f"n_train must be at least 10 images, got {n_train}.")
    idx = torch.from_numpy(np.random.default_rng(seed).permutation(len(train_ds))[:k])
    cfg = dict(arch="MLP", hidden=int(hidden), epochs=int(epochs), batch_size=64, lr=1e-3,
               weight_decay=float(weight_decay), l1=float(l1), n_train=k, seed=int(seed),
               data=zoo.fingerprint(train_ds))

    def make():
        with config.seeded(seed):  # torch.manual_seed(seed); the caller's random state is kept
            return MLP(cfg["hidden"])

    def train(model):
        return fit(model, train_ds.X[idx], train_ds.y[idx], epochs=cfg["epochs"], batch_size=64, lr=1e-3,
                   weight_decay=cfg["weight_decay"], l1=cfg["l1"], seed=seed, progress=progress)

    model, _ = checkpoints.train_or_load(f"heatmaps_varied-h{hidden}-seed{seed}", cfg, make, train,
                                         verbose=progress)
    return model, float(evaluate(model, test_ds.X, test_ds.y)[1])


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


# ------------------------------------------------------------------------------------------------
# Plots of the merge test (numbers computed beforehand)
# ------------------------------------------------------------------------------------------------
def plot_per_seed(df, group: str, columns: Sequence[str], titles: Sequence[str] | None = None, *,
                  color: str = "C0", xlim=None):
    """One panel per column of ``df``: every row (one seed) as a dot, per value of ``group``, the mean as a bar.

    ``df``: a pandas DataFrame with one row per (group, seed); ``columns``: numeric columns to draw.
    Shows the raw per-seed values (the reader sees n and the spread); intervals are computed elsewhere.
    Returns the figure.
    """
    import matplotlib.pyplot as plt

    columns = [c for c in columns if c in df.columns]
    if group not in df.columns or not columns:
        raise ValueError(f"df needs the column {group!r} and at least one of the columns to draw; "
                         f"it has {list(df.columns)}.")
    titles = list(titles) if titles is not None else list(columns)
    groups = list(dict.fromkeys(df[group]))
    fig, axes = plt.subplots(1, len(columns), figsize=(3.6 * len(columns), 0.45 * len(groups) + 1.4),
                             squeeze=False)
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


def plot_merge_alignment(W_C, W_partners, perm, sim, n_first: int, *, max_rows: int = 100,
                         names=("A", "B")):
    """The merge picture from a matching computed beforehand (e.g. with :func:`match_neurons`).

    Args:
        W_C: (H, d) C's weight rows; W_partners: (n_1 + n_2, d) the rows of A stacked over those of B.
        perm: (H,) index of each C row's partner in W_partners; sim: (H,) the matched similarities.
        n_first: n_1, the number of rows of W_partners that belong to the first net (A).
    Rows are grouped by the side of their partner (A first), each group sorted by similarity.
    Left: C's weights; middle: the partners' weights; right: similarity and side. Returns the figure.
    """
    import matplotlib.pyplot as plt

    W_C, W_P = _as_matrix(W_C, "W_C"), _as_matrix(W_partners, "W_partners")
    perm, sim = np.asarray(perm, dtype=int), np.asarray(sim, dtype=float)
    if W_C.shape[1] != W_P.shape[1] or perm.shape != (len(W_C),) or sim.shape != (len(W_C),):
        raise ValueError(f"W_C {W_C.shape} and W_partners {W_P.shape} need the same columns, perm "
                         f"{perm.shape} and sim {sim.shape} one entry per row of W_C.")
    if not 0 < n_first < len(W_P) or perm.min() < 0 or perm.max() >= len(W_P):
        raise ValueError(f"n_first ({n_first}) must split W_partners' {len(W_P)} rows in two, and perm must "
                         f"index its rows.")
    side = perm >= n_first
    order = np.lexsort((-sim, side))[:max_rows]
    vmax = float(np.percentile(np.abs(W_C), 99)) or 1.0
    cols = seriate(W_C, 1)
    fig, axes = plt.subplots(1, 3, figsize=(11, 4), gridspec_kw={"width_ratios": [4, 4, 1]})
    plot_heatmap(W_C[order], col_order=cols, ax=axes[0], vmax=vmax, colorbar=False,
                 title="C: rows grouped by partner", xlabel="input (seriated)")
    plot_heatmap(W_P[perm[order]], col_order=cols, ax=axes[1], vmax=vmax, colorbar=False,
                 title=f"matched partner in {names[0]} (top) / {names[1]} (bottom)", xlabel="input (seriated)")
    axes[2].barh(np.arange(len(order)), sim[order], color=np.where(side[order], "C1", "C0"), height=1.0)
    axes[2].set_ylim(len(order) - 0.5, -0.5)
    axes[2].set_xlim(min(0.0, sim.min()), 1)
    axes[2].set_title(f"similarity\n{names[0]}: {int((~side).sum())}, {names[1]}: {int(side.sum())}", fontsize=9)
    axes[2].set_yticks([])
    fig.tight_layout()
    return fig

