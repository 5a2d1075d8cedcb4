"""The space of 3x3 filters: trained conv filters, the DCT basis, density filtration, the primary
circle, the Klein bottle, natural-image patches (docs/REFERENCES.md 3-5). Pictures:
toolkit.filter_plots.

A 3x3 filter is a point in R^9 (row-major). Grid: x = 1 - column, y = 1 - row (the DCT basis'
signs), so e1 = x / sqrt(6), e2 = y / sqrt(6) and the primary-circle filter at angle a is cos(a)
e1 + sin(a) e2. Normalized filters are mean-centred with unit L2 norm or unit D-norm (Carlsson et
al.: ||x||_D^2 = sum over the 12 pairs of 4-neighbour pixels of (x_i - x_j)^2).
"""

from __future__ import annotations

import numpy as np

from .arrays import as_array, as_count, as_fraction

__all__ = [
    "grid_xy",
    "spatial_filters",
    "d_norm",
    "normalize",
    "dct_basis",
    "dct_coordinates",
    "filter_angle",
    "knn_density",
    "density_filtration",
    "primary_circle_filters",
    "klein_bottle_filter",
    "klein_bottle_filters",
    "PHOTOGRAPHS",
    "natural_image_patches",
    "gradient_energy",
]


def grid_xy() -> tuple[np.ndarray, np.ndarray]:
    """The grid coordinates (x, y), each (3, 3) in {-1, 0, 1}: x = 1 - column, y = 1 - row."""
    r, c = np.meshgrid(np.arange(3), np.arange(3), indexing="ij")
    return (1.0 - c).astype(float), (1.0 - r).astype(float)


def _filters(F, name: str = "filters") -> np.ndarray:
    """Filters (N, 9) or (N, 3, 3) as a float64 (N, 9) copy."""
    F = as_array(F, name, ndim=(2, 3), axes="(N, 9) or (N, 3, 3)", min_len=0)
    if F.shape[1:] not in ((9,), (3, 3)):
        raise ValueError(f"Expected {name} of shape (N, 9) or (N, 3, 3), got {F.shape}.")
    return F.reshape(len(F), 9)


def spatial_filters(models, layer: str = "conv1") -> np.ndarray:
    """All 3x3 slices of a convolution layer as points in R^9: float64 (N, 9) in the order model,
    output channel, input channel; not normalized. models: an ``nn.Module``, a list of them, a state
    dict or ensemble snapshot (read by ``models.layer_weight``), or weights (..., 3, 3), e.g.
    (n_models, out, in, 3, 3).
    """
    from .models import layer_weight

    items = list(models) if isinstance(models, (list, tuple)) else [models]
    if not items:
        raise ValueError("No models given: pass a model, a list of models or a weight array.")
    out = []
    for m in items:
        w = (
            layer_weight(m, layer)
            if isinstance(m, dict) or hasattr(m, "named_modules")
            else as_array(m, "weights", ndim=(2, 3, 4, 5), axes="(..., 3, 3)")
        )
        if w.shape[-2:] != (3, 3):
            raise ValueError(
                f"Layer {layer!r} has weights of shape {w.shape}, not 3x3 kernels (..., 3, 3). "
                f"Pick a convolution layer with kernel_size=3 (e.g. 'conv1')."
            )
        out.append(w.reshape(-1, 9))
    return np.concatenate(out, axis=0)


_IDX = np.arange(9).reshape(3, 3)
_PAIRS = np.concatenate(
    [
        np.stack([_IDX[:, :-1].ravel(), _IDX[:, 1:].ravel()], 1),  # horizontal
        np.stack([_IDX[:-1, :].ravel(), _IDX[1:, :].ravel()], 1),
    ]
)  # vertical: (12, 2)


def d_norm(F) -> np.ndarray:
    """The D-norm of each filter, sqrt(sum over 4-neighbour pairs (x_i - x_j)^2): (N, 9) -> (N,)."""
    F = _filters(F)
    return np.sqrt(((F[:, _PAIRS[:, 0]] - F[:, _PAIRS[:, 1]]) ** 2).sum(1))


def normalize(F, norm: str = "l2", *, drop_constant: bool = False, tol: float = 1e-8) -> np.ndarray:
    """Mean-centre every filter, then scale it to unit norm ("l2": points on S^7, or "dnorm").

    F: (N, 9) or (N, 3, 3) -> float64 (N, 9). A constant filter has no direction: an error, or
    removed with ``drop_constant=True``. ``tol`` is relative to the largest norm.
    """
    F = _filters(F)
    if norm not in ("l2", "dnorm"):
        raise ValueError(f"norm={norm!r}: use 'l2' (Euclidean) or 'dnorm' (Carlsson's D-norm).")
    C = F - F.mean(axis=1, keepdims=True)
    n = np.linalg.norm(C, axis=1) if norm == "l2" else d_norm(C)
    bad = n <= tol * max(float(n.max(initial=0.0)), 1.0)
    if bad.any() and not drop_constant:
        raise ValueError(
            f"{int(bad.sum())} of {len(F)} filters are constant (zero norm after mean-centring, "
            f"e.g. row {int(np.flatnonzero(bad)[0])}), so they have no direction to normalize. "
            f"Remove them first or call normalize(..., drop_constant=True)."
        )
    return C[~bad] / n[~bad, None]


def dct_basis() -> np.ndarray:
    """The DCT basis e1..e8 of mean-zero 3x3 filters (docs/REFERENCES.md 5): rows of an (8, 9)
    array.

    Mean-zero, D-normalized, orthogonal. e1, e2 = horizontal, vertical gradient; e3, e4 =
    horizontal, vertical bars (second derivative); e5..e8 higher order.
    """
    rows = [
        ([1, 0, -1] * 3, 6),
        ([1] * 3 + [0] * 3 + [-1] * 3, 6),
        ([1, -2, 1] * 3, 54),
        ([1] * 3 + [-2] * 3 + [1] * 3, 54),
        ([1, 0, -1, 0, 0, 0, -1, 0, 1], 8),
        ([1, 0, -1, -2, 0, 2, 1, 0, -1], 48),
        ([1, -2, 1, 0, 0, 0, -1, 2, -1], 48),
        ([1, -2, 1, -2, 4, -2, 1, -2, 1], 216),
    ]
    return np.array([np.array(r) / np.sqrt(float(s)) for r, s in rows], dtype=float)


def dct_coordinates(F) -> np.ndarray:
    """DCT coordinates c (N, 8) of mean-zero filters F (N, 9), F = c @ dct_basis(); the mean is
    ignored.

    ||c|| = 1 for a D-normalized filter; c[:, :2] (e1, e2) are the same for L2 and D normalization.
    """
    E = dct_basis()
    return (_filters(F) @ E.T) / (E**2).sum(1)


def filter_angle(F) -> np.ndarray:
    """Angle of each filter on the primary circle, atan2(<f, e2>, <f, e1>): (N,) radians in (-pi,
    pi]."""
    F, E = _filters(F), dct_basis()
    return np.arctan2(F @ E[1], F @ E[0])


def knn_density(F, k: int) -> np.ndarray:
    """Distance from each point of F (N, d) to its k-th nearest other point: (N,), small = dense;
    1 <= k < N."""
    from sklearn.neighbors import NearestNeighbors

    F = as_array(F, "F", axes="(N points, d)")
    k = as_count(k, "k (neighbours)")
    if not 1 <= k < len(F):
        raise ValueError(
            f"k={k} must satisfy 1 <= k < number of points ({len(F)}): the density is the "
            f"distance to the k-th nearest other point. Use a smaller k."
        )
    return NearestNeighbors(n_neighbors=k + 1).fit(F).kneighbors(F)[0][:, k]


def density_filtration(F, k: int = 200, p: float = 0.3, *, return_index: bool = False):
    """X(k, p): the round(p * N) points (at least 1) of F (N, d) nearest to their k-th neighbour,
    densest first: (M, d), and their row indices into F with ``return_index``. 1 <= k < N, 0 < p <=
    1."""
    p = as_fraction(p, "p (the fraction of densest points kept)", open_lo=True)
    F = as_array(F, "F", axes="(N points, d)")
    idx = np.argsort(knn_density(F, k), kind="stable")[: max(1, int(round(float(p) * len(F))))]
    return (F[idx], idx) if return_index else F[idx]


def primary_circle_filters(n: int = 64) -> np.ndarray:
    """n unit filters W_a = (x cos a + y sin a) / sqrt(6), a = 2 pi j / n: (n, 3, 3), mean 0, L2 and
    D norm 1."""
    n, (x, y) = as_count(n, "n (filters)"), grid_xy()
    a = 2 * np.pi * np.arange(n) / n
    return (np.cos(a)[:, None, None] * x + np.sin(a)[:, None, None] * y) / np.sqrt(6.0)


def klein_bottle_filter(t1: float, t2: float) -> np.ndarray:
    """Klein bottle filter sin(t2) t + cos(t2) (2 t^2 - 1), t = x cos t1 + y sin t1: (3, 3),
    centred, L2 norm 1.

    F(t1 + pi, -t2) = F(t1, t2); t2 = pi/2 is the primary circle.
    """
    x, y = grid_xy()
    t = x * np.cos(t1) + y * np.sin(t1)
    f = np.sin(t2) * t + np.cos(t2) * (2 * t**2 - 1)
    f = f - f.mean()
    return f / np.linalg.norm(f)


def klein_bottle_filters(n1: int = 8, n2: int = 8) -> np.ndarray:
    """Klein bottle filters on the grid t1 = pi i / n1, t2 = 2 pi j / n2: (n1 * n2, 3, 3), row i *
    n2 + j."""
    n1, n2 = as_count(n1, "n1"), as_count(n2, "n2")
    return np.stack(
        [
            klein_bottle_filter(np.pi * i / n1, 2 * np.pi * j / n2)
            for i in range(n1)
            for j in range(n2)
        ]
    )


#: scikit-image photographs used for natural-image patches (they ship with scikit-image: no
#: download).
PHOTOGRAPHS = (
    "camera",
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "grass",
    "gravel",
    "brick",
    "coins",
    "moon",
)


def natural_image_patches(
    n_per_image: int = 5000,
    top: float = 0.2,
    *,
    images=PHOTOGRAPHS,
    norm: str = "dnorm",
    seed: int = 0,
) -> np.ndarray:
    """High-contrast 3x3 patches of log-intensity from photographs, normalized: float64 (M, 9), M
    about top * n_per_image * len(images). As Carlsson et al. (2008): ``n_per_image`` random patches
    of log(1 + intensity in 0..255) per scikit-image photograph, the ``top`` fraction by D-norm
    (contrast) after mean-centring, normalized by ``norm`` ('dnorm' as in the paper, 'l2' to compare
    with trained filters)."""
    import skimage.color
    import skimage.data

    if not 0.0 < float(top) <= 1.0:
        raise ValueError(
            f"top={top} must be in (0, 1]: the fraction of highest-contrast patches kept."
        )
    rng = np.random.default_rng(seed)
    off = np.arange(3)
    patches = []
    for name in images:
        img = getattr(skimage.data, name)()
        img = 255 * skimage.color.rgb2gray(img[..., :3]) if img.ndim == 3 else img.astype(float)
        img = np.log1p(img)
        r, c = (rng.integers(0, s - 2, n_per_image) for s in img.shape)
        patches.append(
            img[r[:, None, None] + off[None, :, None], c[:, None, None] + off[None, None, :]]
        )
    P = np.concatenate(patches).reshape(-1, 9)
    P = P - P.mean(1, keepdims=True)
    contrast = d_norm(P)
    keep = (contrast >= np.quantile(contrast, 1.0 - float(top))) & (contrast > 1e-12)
    return normalize(P[keep], norm)


def gradient_energy(F) -> np.ndarray:
    """Share of each mean-centred filter's squared norm in span(e1, e2): (N,); 1 on the primary
    circle, 0.25 on average for isotropic random filters."""
    F = _filters(F)
    F = F - F.mean(1, keepdims=True)
    return ((F @ dct_basis()[:2].T) ** 2).sum(1) / np.maximum((F**2).sum(1), 1e-300)
