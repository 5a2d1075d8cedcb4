"""The space of 3x3 filters: trained conv filters, the DCT basis, density filtration, the primary circle,
the Klein bottle, and natural-image patches (docs/REFERENCES.md sections 3-5).

Conventions (used by every function here):

- A 3x3 filter is a point in R^9, flattened row-major (``w.reshape(9)``).
- Grid coordinates follow the sign convention of the DCT basis of Lee, Pedersen & Mumford / Carlsson et
  al.: at row r and column c of the 3x3 grid, ``x = 1 - c`` (so +1 on the left column) and
  ``y = 1 - r`` (+1 on the top row). Then ``e1`` is exactly ``x / sqrt(6)`` and ``e2`` is ``y / sqrt(6)``,
  the primary-circle filter at angle ``a`` is ``cos(a) e1 + sin(a) e2`` and :func:`filter_angle` returns
  ``a`` for it. (Which way the axes point is a convention only; the circle is the same set of filters.)
- Normalized filters are mean-centred and have unit norm (L2 by default, or the D-norm of Carlsson et al.:
  ``||x||_D^2 = sum over the 12 pairs of 4-neighbour pixels (x_i - x_j)^2``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "grid_xy", "spatial_filters", "d_norm", "normalize", "dct_basis", "dct_coordinates",
    "filter_angle", "knn_density", "density_filtration", "primary_circle_filters",
    "klein_bottle_filters", "klein_bottle_filter", "natural_image_patches", "plot_filters",
    "plot_dct_projection", "PHOTOGRAPHS", "circular_mean", "plot_filter_mapper", "gradient_energy",
    "plot_snapshots",
]

_SQ6, _SQ54, _SQ8, _SQ48, _SQ216 = (np.sqrt(v) for v in (6.0, 54.0, 8.0, 48.0, 216.0))


def grid_xy() -> tuple[np.ndarray, np.ndarray]:
    """The coordinates (x, y) of the 3x3 grid, each (3, 3), values in {-1, 0, 1}.

    ``x = 1 - column`` and ``y = 1 - row`` (the DCT basis' sign convention, see the module docstring).
    """
    r, c = np.meshgrid(np.arange(3), np.arange(3), indexing="ij")
    return (1.0 - c).astype(float), (1.0 - r).astype(float)


# ----------------------------------------------------------------------------------------------------
# Trained filters
# ----------------------------------------------------------------------------------------------------
def _layer_weight(model, layer: str):
    import torch

    if isinstance(model, Mapping):                  # a state dict or an ensemble snapshot
        key = layer if layer in model else f"{layer}.weight"
        if key not in model:
            raise KeyError(f"No weight {layer!r} or {layer + '.weight'!r} in the given mapping; "
                           f"its keys are {sorted(model)[:10]}.")
        return model[key]
    if isinstance(model, torch.nn.Module):
        try:
            mod = model.get_submodule(layer)
        except AttributeError:
            names = [n for n, _ in model.named_modules() if n]
            raise ValueError(f"The model has no layer {layer!r}; its layers are {names}.") from None
        if not hasattr(mod, "weight") or mod.weight is None:
            raise ValueError(f"Layer {layer!r} ({type(mod).__name__}) has no weight tensor.")
        return mod.weight
    return model                                    # an array / tensor of weights


def spatial_filters(models, layer: str = "conv1") -> np.ndarray:
    """All 3x3 spatial slices of a convolution layer as points in R^9.

    ``models``: one ``nn.Module``, a list of them (an ensemble), a state dict / ensemble snapshot
    (a mapping with ``f"{layer}.weight"``), or a weight array / tensor of shape (..., 3, 3) (e.g.
    (out, in, 3, 3) or stacked (n_models, out, in, 3, 3)).
    Returns float64 (N, 9), row-major, N = total number of 3x3 slices (models x out x in), in the order
    model, output channel, input channel. Not normalized: use :func:`normalize`.
    """
    items = list(models) if isinstance(models, (list, tuple)) else [models]
    if not items:
        raise ValueError("No models given: pass a model, a list of models or a weight array.")
    out = []
    for m in items:
        w = _layer_weight(m, layer)
        if hasattr(w, "detach"):
            w = w.detach().cpu().numpy()
        w = np.asarray(w, dtype=float)
        if w.ndim < 2 or w.shape[-2:] != (3, 3):
            raise ValueError(f"Layer {layer!r} has weights of shape {tuple(w.shape)}, not 3x3 kernels "
                             f"(..., 3, 3). Pick a convolution layer with kernel_size=3 (e.g. 'conv1').")
        out.append(w.reshape(-1, 9))
    return np.concatenate(out, axis=0)


# ----------------------------------------------------------------------------------------------------
# Norms and the DCT basis
# ----------------------------------------------------------------------------------------------------
def _as_points(F, what="filters") -> np.ndarray:
    if hasattr(F, "detach"):
        F = F.detach().cpu().numpy()
    F = np.asarray(F, dtype=float)
    if F.ndim >= 2 and F.shape[-2:] == (3, 3):
        F = F.reshape(-1, 9)
    if F.ndim == 1 and F.shape[0] == 9:
        F = F[None, :]
    if F.ndim != 2 or F.shape[1] != 9:
        raise ValueError(f"Expected {what} of shape (N, 9) or (N, 3, 3), got {tuple(F.shape)}.")
    return F


def _neighbour_pairs() -> np.ndarray:
    idx = np.arange(9).reshape(3, 3)
    horiz = np.stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()], 1)
    vert = np.stack([idx[:-1, :].ravel(), idx[1:, :].ravel()], 1)
    return np.concatenate([horiz, vert])            # (12, 2)


_PAIRS = _neighbour_pairs()


def d_norm(F) -> np.ndarray:
    """The D-norm of each filter: sqrt(sum over 4-neighbour pairs (x_i - x_j)^2). F (N, 9) -> (N,)."""
    F = _as_points(F)
    diff = F[:, _PAIRS[:, 0]] - F[:, _PAIRS[:, 1]]
    return np.sqrt((diff ** 2).sum(1))


def normalize(F, norm: str = "l2", *, drop_constant: bool = False, tol: float = 1e-8) -> np.ndarray:
    """Mean-centre every filter, then scale it to unit norm ("l2", points on S^7, or "dnorm").

    F: (N, 9) or (N, 3, 3). Returns float64 (N, 9). A constant filter has zero norm after centring and
    no direction: by default that is an error; ``drop_constant=True`` removes such rows instead
    (their count is then N minus the number dropped). ``tol`` is relative to the largest norm.
    """
    F = _as_points(F)
    if norm not in ("l2", "dnorm"):
        raise ValueError(f"norm={norm!r}: use 'l2' (Euclidean) or 'dnorm' (Carlsson's D-norm).")
    C = F - F.mean(axis=1, keepdims=True)
    n = np.linalg.norm(C, axis=1) if norm == "l2" else d_norm(C)
    scale = max(float(n.max(initial=0.0)), 1.0)
    bad = n <= tol * scale
    if bad.any():
        if not drop_constant:
            raise ValueError(
                f"{int(bad.sum())} of {len(F)} filters are constant (zero norm after mean-centring, e.g. "
                f"row {int(np.flatnonzero(bad)[0])}), so they have no direction to normalize. Remove them "
                f"first or call normalize(..., drop_constant=True).")
        C, n = C[~bad], n[~bad]
    return C / n[:, None]


def dct_basis() -> np.ndarray:
    """The 8 DCT basis filters e1..e8 of 3x3 patch space (docs/REFERENCES.md 5), rows of an (8, 9) array.

    Each is mean-zero and D-normalized; they are orthogonal in both the Euclidean and the D inner
    product. e1 = horizontal gradient (a vertical edge), e2 = vertical gradient, e3/e4 = horizontal /
    vertical "bars" (second derivative), e5..e8 higher order.
    """
    return np.array([
        np.array([1, 0, -1, 1, 0, -1, 1, 0, -1]) / _SQ6,
        np.array([1, 1, 1, 0, 0, 0, -1, -1, -1]) / _SQ6,
        np.array([1, -2, 1, 1, -2, 1, 1, -2, 1]) / _SQ54,
        np.array([1, 1, 1, -2, -2, -2, 1, 1, 1]) / _SQ54,
        np.array([1, 0, -1, 0, 0, 0, -1, 0, 1]) / _SQ8,
        np.array([1, 0, -1, -2, 0, 2, 1, 0, -1]) / _SQ48,
        np.array([1, -2, 1, 0, 0, 0, -1, 2, -1]) / _SQ48,
        np.array([1, -2, 1, -2, 4, -2, 1, -2, 1]) / _SQ216,
    ], dtype=float)


def dct_coordinates(F) -> np.ndarray:
    """Coordinates of mean-zero filters in the DCT basis: F (N, 9) -> c (N, 8) with F = c @ dct_basis().

    Filters should be mean-centred (use :func:`normalize`); the mean (constant) part is ignored.
    For a D-normalized filter ||c|| = 1; c[:, 0], c[:, 1] are its (e1, e2) coordinates (for those two
    the L2 and D norms agree, so the projection onto (e1, e2) is the same ring for both normalizations).
    """
    F = _as_points(F)
    E = dct_basis()
    return (F @ E.T) / (E ** 2).sum(1)


def filter_angle(F) -> np.ndarray:
    """The angle of each filter on the primary circle: atan2(<f, e2>, <f, e1>), radians in (-pi, pi].

    F: (N, 9) or (N, 3, 3) -> (N,). For ``primary_circle_filters(n)[j]`` it is 2*pi*j/n (mod 2*pi).
    """
    F = _as_points(F)
    E = dct_basis()
    return np.arctan2(F @ E[1], F @ E[0])


# ----------------------------------------------------------------------------------------------------
# Density filtration
# ----------------------------------------------------------------------------------------------------
def knn_density(F, k: int) -> np.ndarray:
    """Distance from each point to its k-th nearest neighbour (the point itself not counted).

    F (N, d) -> (N,). Small values = dense regions. Requires 1 <= k < N.
    """
    from sklearn.neighbors import NearestNeighbors

    F = np.asarray(F, dtype=float)
    if F.ndim != 2:
        raise ValueError(f"Expected points of shape (N, d), got {tuple(F.shape)}.")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be a whole number of neighbours, got {k!r} ({type(k).__name__}).")
    k = int(k)
    if k < 1 or k >= len(F):
        raise ValueError(f"k={k} must satisfy 1 <= k < number of points ({len(F)}): the density is the "
                         f"distance to the k-th nearest other point. Use a smaller k.")
    nn = NearestNeighbors(n_neighbors=k + 1).fit(F)
    dist, _ = nn.kneighbors(F)
    return dist[:, k]


def density_filtration(F, k: int = 200, p: float = 0.3, *, return_index: bool = False):
    """X(k, p): keep the fraction ``p`` of points with the smallest distance to their k-th neighbour.

    F: (N, d) points (normalized filters). Keeps ``round(p * N)`` points (at least 1), densest first
    (e.g. 6400 -> 1920 for p = 0.3). Returns the kept points (M, d), and their row indices into F
    (sorted densest first) when ``return_index=True``. k must satisfy 1 <= k < N and 0 < p <= 1.
    """
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"p must be a number in (0, 1], the fraction of points kept; got {p!r}.")
    if not (0.0 < float(p) <= 1.0):
        raise ValueError(f"p={p} must be in (0, 1]: it is the fraction of (densest) points kept.")
    F = np.asarray(F, dtype=float)
    dens = knn_density(F, k)
    m = max(1, int(round(float(p) * len(F))))
    idx = np.argsort(dens, kind="stable")[:m]
    return (F[idx], idx) if return_index else F[idx]


# ----------------------------------------------------------------------------------------------------
# Ideal filters: the primary circle and the Klein bottle
# ----------------------------------------------------------------------------------------------------
def primary_circle_filters(n: int = 64) -> np.ndarray:
    """n unit filters W_a = (x cos a + y sin a) / sqrt(6), a_j = 2*pi*j/n: (n, 3, 3) float64.

    Mean zero, L2 norm 1 (also D-norm 1): a perfect discretization of the primary circle.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n={n}: ask for at least one filter.")
    x, y = grid_xy()
    a = 2 * np.pi * np.arange(n) / n
    return (np.cos(a)[:, None, None] * x + np.sin(a)[:, None, None] * y) / _SQ6


def klein_bottle_filter(t1: float, t2: float) -> np.ndarray:
    """One Klein bottle filter F(t1, t2) on the grid, mean-centred and L2-normalized: (3, 3).

    F(t1, t2)(x, y) = sin(t2) t + cos(t2) Q(t), t = x cos t1 + y sin t1, Q(t) = 2 t^2 - 1.
    F(t1 + pi, -t2) = F(t1, t2); t2 = pi/2 gives the primary circle.
    """
    x, y = grid_xy()
    t = x * np.cos(t1) + y * np.sin(t1)
    f = np.sin(t2) * t + np.cos(t2) * (2 * t ** 2 - 1)
    f = f - f.mean()
    return f / np.linalg.norm(f)


def klein_bottle_filters(n1: int = 8, n2: int = 8) -> np.ndarray:
    """n1 * n2 Klein bottle filters on the grid t1 = pi*i/n1, t2 = 2*pi*j/n2: (n1*n2, 3, 3) float64.

    Row ``i * n2 + j`` is ``klein_bottle_filter(pi*i/n1, 2*pi*j/n2)``; each is mean-zero, L2 norm 1.
    """
    n1, n2 = int(n1), int(n2)
    if n1 < 1 or n2 < 1:
        raise ValueError(f"n1={n1}, n2={n2}: both must be at least 1.")
    return np.stack([klein_bottle_filter(np.pi * i / n1, 2 * np.pi * j / n2)
                     for i in range(n1) for j in range(n2)])


# ----------------------------------------------------------------------------------------------------
# Natural-image patches
# ----------------------------------------------------------------------------------------------------
#: scikit-image photographs used for natural-image patches (all ship with scikit-image, no download).
PHOTOGRAPHS = ("camera", "astronaut", "coffee", "chelsea", "rocket", "grass", "gravel", "brick",
               "coins", "moon")


def _gray(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    img = np.asarray(img, dtype=float)
    if img.ndim == 3:
        img = img[..., :3] @ np.array([0.2125, 0.7154, 0.0721])
    return img


def natural_image_patches(n_per_image: int = 5000, top: float = 0.2, *, images=PHOTOGRAPHS,
                          norm: str = "dnorm", seed: int = 0) -> np.ndarray:
    """3x3 patches of log-intensity from real photographs, high-contrast ones only, normalized.

    Following Carlsson et al. (2008): take ``n_per_image`` random 3x3 patches of log(1 + intensity)
    from each scikit-image photograph in ``images``, keep the ``top`` fraction with the largest D-norm
    (contrast) after mean-centring, then mean-centre and normalize (``norm``: 'dnorm' as in the paper,
    or 'l2' to compare with trained filters). Returns float64 (M, 9), M ~ top * n_per_image * len(images).
    """
    if not (0.0 < float(top) <= 1.0):
        raise ValueError(f"top={top} must be in (0, 1]: the fraction of highest-contrast patches kept.")
    rng = np.random.default_rng(seed)
    patches = []
    for name in images:
        img = np.log1p(_gray(name))
        h, w = img.shape
        r = rng.integers(0, h - 2, n_per_image)
        c = rng.integers(0, w - 2, n_per_image)
        off = np.arange(3)
        P = img[r[:, None, None] + off[None, :, None], c[:, None, None] + off[None, None, :]]
        patches.append(P.reshape(-1, 9))
    P = np.concatenate(patches)
    P = P - P.mean(1, keepdims=True)
    contrast = d_norm(P)
    keep = contrast >= np.quantile(contrast, 1.0 - float(top))
    keep &= contrast > 1e-12
    return normalize(P[keep], norm)


# ----------------------------------------------------------------------------------------------------
# Plots
# ----------------------------------------------------------------------------------------------------
def plot_filters(F, ncols: int = 16, *, titles=None, ax_size: float = 0.6, cmap: str = "gray",
                 suptitle: str | None = None):
    """Show filters (N, 9) or (N, 3, 3) as a grid of 3x3 icons (each scaled symmetrically around 0)."""
    import matplotlib.pyplot as plt

    F = _as_points(F).reshape(-1, 3, 3)
    n = len(F)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * ax_size, nrows * ax_size * (1.35 if titles is not None else 1)),
                             squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < n:
            v = np.abs(F[i]).max() or 1.0
            ax.imshow(F[i], cmap=cmap, vmin=-v, vmax=v)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=6)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def plot_dct_projection(F, ax=None, *, color=None, s: float = 3, title: str | None = None,
                        icons: int = 0):
    """Scatter filters by their (e1, e2) DCT coordinates, coloured by angle; the primary circle is a ring.

    ``icons`` > 0 draws that many of the ideal circle filters as icons around the ring.
    """
    import matplotlib.pyplot as plt

    F = _as_points(F)
    c = dct_coordinates(F)[:, :2]
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    col = filter_angle(F) if color is None else color
    ax.scatter(c[:, 0], c[:, 1], c=col, s=s, cmap="hsv" if color is None else None)
    if icons:
        from matplotlib.offsetbox import AnnotationBbox, OffsetImage

        for a, W in zip(2 * np.pi * np.arange(icons) / icons, primary_circle_filters(icons)):
            box = AnnotationBbox(OffsetImage(W, zoom=6, cmap="gray"), (1.25 * np.cos(a), 1.25 * np.sin(a)),
                                 frameon=False)
            ax.add_artist(box)
        ax.set_xlim(-1.5, 1.5)
        ax.set_ylim(-1.5, 1.5)
    ax.set_aspect("equal")
    ax.set_xlabel("<f, e1>  (horizontal gradient)")
    ax.set_ylabel("<f, e2>  (vertical gradient)")
    if title:
        ax.set_title(title)
    return ax


# ----------------------------------------------------------------------------------------------------
# The filter space as a whole: Mapper with filter icons, gradient energy, snapshots
# (circle evidence: homology.circle_evidence; plots of it: toolkit.filter_plots)
# ----------------------------------------------------------------------------------------------------
def circular_mean(angles, weights=None) -> float:
    """Mean direction of angles (radians) -> one angle in (-pi, pi] (the arithmetic mean fails at +-pi)."""
    a = np.asarray(angles, dtype=float)
    w = np.ones_like(a) if weights is None else np.asarray(weights, dtype=float)
    return float(np.angle(np.sum(w * np.exp(1j * a))))


def plot_filter_mapper(res, F, ax=None, *, n_icons: int = 12, zoom: float = 5.0, seed: int = 0):
    """Draw a Mapper graph of filters: node colour = circular mean angle (cyclic hsv map over
    [-pi, pi], so both ends of the colour bar are the same orientation), node area ~ members, and the mean
    3x3 filter of ``n_icons`` nodes spread over the drawing (greedy farthest-point choice).

    res: a ``toolkit.mapper.MapperResult`` (``.graph``, ``.members``) built on the rows of F (N, 9).
    """
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    F = _as_points(F)
    ang = filter_angle(F)
    nodes = list(range(len(res.members)))
    node_angle = np.array([circular_mean(ang[m]) for m in res.members])
    sizes = np.array([len(m) for m in res.members], dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    pos = nx.spring_layout(res.graph, seed=seed)
    nx.draw_networkx_edges(res.graph, pos, ax=ax, alpha=0.3, width=0.8)
    art = nx.draw_networkx_nodes(res.graph, pos, nodelist=nodes, ax=ax, node_color=node_angle,
                                 cmap="hsv", vmin=-np.pi, vmax=np.pi,
                                 node_size=20 + 200 * np.sqrt(sizes / max(sizes.max(), 1)))
    plt.colorbar(art, ax=ax, shrink=0.8, label="edge angle (rad)")
    P = np.array([pos[n] for n in nodes])
    chosen = [int(np.argmax(sizes))]
    d = np.linalg.norm(P - P[chosen[0]], axis=1)
    while len(chosen) < min(n_icons, len(nodes)):
        chosen.append(int(np.argmax(d)))
        d = np.minimum(d, np.linalg.norm(P - P[chosen[-1]], axis=1))
    for node in chosen:
        icon = F[res.members[node]].mean(0).reshape(3, 3)
        v = np.abs(icon).max() or 1.0
        ax.add_artist(AnnotationBbox(OffsetImage(icon, zoom=zoom, cmap="gray", norm=plt.Normalize(-v, v)),
                                     pos[node], frameon=True, pad=0.1, xybox=(14, 14),
                                     boxcoords="offset points"))
    G = res.graph
    ax.set_title(f"Mapper graph of the filters: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges, "
                 f"{nx.number_connected_components(G)} component(s)", fontsize=10)
    ax.set_axis_off()
    return ax


def gradient_energy(F) -> np.ndarray:
    """Share of each mean-zero filter's squared L2 norm in span(e1, e2), the two pure gradients: (N,).

    1 for a primary-circle filter; 2/8 = 0.25 on average for random (isotropic Gaussian) filters.
    """
    F = _as_points(F)
    F = F - F.mean(1, keepdims=True)
    E = dct_basis()[:2]
    return ((F @ E.T) ** 2).sum(1) / np.maximum((F ** 2).sum(1), 1e-300)


def plot_snapshots(snapshots, steps, k: int, p: float, *, layer: str = "conv1"):
    """Small multiples: X(k, p) on the (e1, e2) plane at the given snapshot steps."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(steps), figsize=(2.6 * len(steps), 2.8), squeeze=False)
    for ax, s in zip(axes[0], steps):
        F = normalize(spatial_filters(snapshots[s], layer), drop_constant=True)
        plot_dct_projection(density_filtration(F, k, p), ax=ax, s=4, title=f"step {s}")
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
    fig.tight_layout()
    return fig
