"""Image features of weight heatmaps (notebook 02): each first-layer neuron's incoming weights as a
28x28 image.

The essay behind notebook 02 proposed treating weight heatmaps as images and asking whether image
features tell good nets from bad ones. One value per neuron (image): :func:`morans_i` (spatial
autocorrelation), :func:`low_frequency_share` (band structure), :func:`hoyer_sparsity`,
:func:`edge_strength` (Sobel, scikit-image), :func:`centre_share` (weights away from the border
MNIST digits never touch); :func:`image_features` computes all of them and summarizes each over
neurons. Input: W (n_neurons, 784) as from ``models.layer_weight(model, "fc1")``, or images (n, h,
w); outputs are arrays (n,) unless said otherwise.
"""

from __future__ import annotations

import numpy as np

from .arrays import as_array

__all__ = [
    "weight_images",
    "morans_i",
    "low_frequency_share",
    "hoyer_sparsity",
    "edge_strength",
    "centre_share",
    "image_features",
    "FEATURES",
]

FEATURES = (
    "morans_i",
    "low_freq_share",
    "hoyer_sparsity",
    "edge_strength",
    "centre_share",
    "mean_abs_weight",
)


def weight_images(W, shape=(28, 28)) -> np.ndarray:
    """The rows of W (n, h*w) as images (n, h, w), float64; images (n, h, w) pass through
    (checked)."""
    A = as_array(
        W, "W", ndim=(2, 3), axes=f"(n_neurons, {int(np.prod(shape))}) or images (n, h, w)"
    )
    if A.ndim == 2:
        if A.shape[1] != int(np.prod(shape)):
            raise ValueError(
                f"W has shape {A.shape}; its rows must have {int(np.prod(shape))} entries to be "
                f"{shape} images (pass the first layer fc1 of an MLP on 28x28 inputs, or shape=)."
            )
        A = A.reshape(len(A), *shape)
    if min(A.shape[1:]) < 2:
        raise ValueError(f"Images must be at least 2 x 2 pixels; got shape {A.shape}.")
    return A


def morans_i(images) -> np.ndarray:
    """Moran's I of each image (n,) with rook (4-neighbour) weights; 0 for a constant image.

    I = (N / S0) * sum_{i~j} z_i z_j / sum_i z_i^2, z = pixel - image mean, S0 = number of ordered
    neighbour pairs. In [-1, 1] up to edge effects.
    """
    from scipy.ndimage import convolve

    A = weight_images(images)
    n, h, w = A.shape
    Z = A - A.mean(axis=(1, 2), keepdims=True)
    k = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float)
    nb = np.stack([convolve(z, k, mode="constant", cval=0.0) for z in Z])
    s0 = 2.0 * (2 * h * w - h - w)
    num = (Z * nb).sum(axis=(1, 2))
    den = (Z**2).sum(axis=(1, 2))
    return np.divide(h * w * num, s0 * den, out=np.zeros(n), where=den > 1e-24)


def low_frequency_share(images, cutoff: float = 0.1) -> np.ndarray:
    """Share (n,) of each image's spectral power (mean removed) at radial frequency <= ``cutoff``
    cycles/pixel.

    ``cutoff`` in (0, 0.71]: 0.1 keeps wavelengths of 10 pixels and longer. White noise gives about
    pi * cutoff^2 (0.03 for 0.1), a smooth blob close to 1; 0 for a constant image.
    """
    if not 0 < cutoff <= 0.71:
        raise ValueError(f"cutoff must be a frequency in (0, 0.71] cycles per pixel, got {cutoff}.")
    A = weight_images(images)
    n, h, w = A.shape
    P = np.abs(np.fft.fft2(A - A.mean(axis=(1, 2), keepdims=True))) ** 2
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(h), np.fft.fftfreq(w), indexing="ij"))
    total = P.sum(axis=(1, 2))
    return np.divide(P[:, f <= cutoff].sum(axis=1), total, out=np.zeros(n), where=total > 1e-24)


def hoyer_sparsity(images) -> np.ndarray:
    """Hoyer's sparsity (n,) of each image's weights: (sqrt(m) - L1/L2) / (sqrt(m) - 1), m pixels;
    in [0, 1]."""
    A = weight_images(images)
    V = A.reshape(len(A), -1)
    m = V.shape[1]
    l1, l2 = np.abs(V).sum(1), np.linalg.norm(V, axis=1)
    ratio = np.divide(l1, l2, out=np.full(len(V), np.sqrt(m)), where=l2 > 1e-24)
    return (np.sqrt(m) - ratio) / (np.sqrt(m) - 1)


def edge_strength(images) -> np.ndarray:
    """Mean Sobel gradient magnitude (skimage.filters.sobel) of each image over its mean |weight|,
    (n,).

    Scale-free: multiplying an image by a constant does not change it. 0 for an all-zero image.
    """
    from skimage.filters import sobel

    A = weight_images(images)
    g = np.array([sobel(a).mean() for a in A])
    m = np.abs(A).mean(axis=(1, 2))
    return np.divide(g, m, out=np.zeros(len(A)), where=m > 1e-24)


def centre_share(images, margin: int = 4) -> np.ndarray:
    """Share (n,) of each image's squared weights inside the centre (``margin`` pixels cut from
    every side)."""
    A = weight_images(images)
    h, w = A.shape[1:]
    if not 0 <= margin < min(h, w) / 2:
        raise ValueError(
            f"margin must be in [0, {min(h, w) / 2}) pixels for {h}x{w} images, got {margin}."
        )
    E = A**2
    total = E.sum(axis=(1, 2))
    inner = E[:, margin : h - margin, margin : w - margin].sum(axis=(1, 2))
    return np.divide(inner, total, out=np.zeros(len(A)), where=total > 1e-24)


def image_features(W, shape=(28, 28), *, summary=np.median) -> dict:
    """Every feature of :data:`FEATURES` for the neurons of W (n, h*w), summarized over neurons.

    ``summary`` maps the (n,) per-neuron values to one number (default: the median, robust to a few
    dead neurons); ``summary=None`` returns the (n,) arrays. ``mean_abs_weight`` is the mean |w| of
    each image (the heatmap's colour intensity).
    """
    A = weight_images(W, shape)
    per = {
        "morans_i": morans_i(A),
        "low_freq_share": low_frequency_share(A),
        "hoyer_sparsity": hoyer_sparsity(A),
        "edge_strength": edge_strength(A),
        "centre_share": centre_share(A),
        "mean_abs_weight": np.abs(A).mean(axis=(1, 2)),
    }
    return per if summary is None else {k: float(summary(v)) for k, v in per.items()}
