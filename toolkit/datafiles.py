"""Data files on disk: MNIST's IDX format and the checks every loaded file passes.

- :func:`write_idx` / :func:`read_idx`: unsigned-byte IDX files (plain or .gz), as MNIST ships them.
- :func:`check_arrays`: images and labels as read from any source: as many labels as images, labels in
  0..9, images of the data set's shape (:data:`IMAGE_SHAPES`); else :class:`DataCorrupt` naming the files.
- :func:`check_idx_file`: an extracted IDX file against its .gz archive next to it, and against the MD5
  of the original file where it is known (MNIST's 10,000 test digits).

MD5 sums are computed once per file and process (cached by path, size and modification time).
:mod:`toolkit.data` uses all of them; ``data.DataCorrupt``, ``data.write_idx`` and ``data.read_idx`` are
these same objects.
"""
from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["DataCorrupt", "write_idx", "read_idx", "check_arrays", "check_idx_file", "refetch_hint",
           "md5", "IMAGE_SHAPES"]


class DataCorrupt(RuntimeError):
    """Files exist but do not match their checksum or cannot be parsed."""


def write_idx(path, array: np.ndarray) -> Path:
    """Write an array (N,) or (N, H, W) of whole numbers in 0..255 as an unsigned-byte IDX file
    (gzip-compressed if path ends in .gz).

    Raises ValueError for values that do not fit a byte (e.g. 300, -1, 2.5, NaN) instead of wrapping them.
    """
    raw = np.asarray(array)
    if raw.dtype == bool:
        raw = raw.astype(np.uint8)
    if raw.dtype.kind not in "uif":
        raise TypeError(f"array must hold numbers (whole numbers 0..255), got dtype {raw.dtype}.")
    if raw.ndim < 1 or raw.size == 0:
        raise ValueError(f"array must have shape (N,) or (N, H, W) with N >= 1, got {raw.shape}.")
    if raw.dtype.kind == "f" and not (np.isfinite(raw).all() and np.array_equal(raw, np.round(raw))):
        raise ValueError("array has values that are not whole numbers (or NaN/inf); IDX unsigned bytes "
                         "hold 0..255 only: round or rescale it first (e.g. (x * 255).round()).")
    lo, hi = raw.min(), raw.max()
    if lo < 0 or hi > 255:
        raise ValueError(f"array has values from {lo} to {hi}; IDX unsigned bytes hold 0..255 only: "
                         f"rescale or clip it first.")
    arr = np.ascontiguousarray(raw, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(header + arr.tobytes())
    return path


def read_idx(path) -> np.ndarray:
    """Read an IDX file (plain or .gz) into a uint8 array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
        zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
        if zero != 0 or dtype != 0x08:
            raise ValueError("not an unsigned-byte IDX file")
        shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
        data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
        return data.reshape(shape)
    except (OSError, ValueError, struct.error, EOFError, zlib.error) as e:
        raise DataCorrupt(f"{path} is not a valid IDX file ({e}); delete it and download again.") from e


_MD5_CACHE: dict = {}


def md5(path: Path, gunzip: bool = False) -> str:
    """MD5 of a file (of its decompressed content with ``gunzip``), computed once per (path, size, mtime)."""
    st = Path(path).stat()
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns, gunzip)
    if key not in _MD5_CACHE:
        h = hashlib.md5()
        with (gzip.open if gunzip else open)(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _MD5_CACHE[key] = h.hexdigest()
    return _MD5_CACHE[key]


# MD5 of extracted files where known (measured on the original archives, whose MD5 torchvision checks)
_EXTRACTED_MD5 = {
    ("mnist", "t10k-images-idx3-ubyte"): (10_000, "2646ac647ad5339dbf082846283269ea"),
    ("mnist", "t10k-labels-idx1-ubyte"): (10_000, "27ae3e4e09519cfbb04c329615203637"),
}
IMAGE_SHAPES = {"mnist": (28, 28), "fashion_mnist": (28, 28), "cifar10": (32, 32, 3), "svhn": (32, 32, 3)}


def refetch_hint(name: str, files) -> str:
    where = ", ".join(str(f) for f in files)
    return (f"Delete {where} and load again: online it downloads a fresh copy; offline, copy the original "
            f"files there again" + (" (or `python -m toolkit.data import-idx FOLDER`)."
                                    if name in ("mnist", "fashion_mnist") else "."))


def check_arrays(name: str, X, y, files, fix: str) -> None:
    """Raise DataCorrupt naming ``files`` (and saying ``fix``) unless X is uint8 (N, *IMAGE_SHAPES[name])
    and y an integer vector (N,) of labels in 0..9 (all four data sets have ten classes), N >= 1."""
    problems = []
    want = IMAGE_SHAPES[name]
    if not isinstance(X, np.ndarray) or X.dtype != np.uint8:
        problems.append(f"images are {getattr(X, 'dtype', type(X).__name__)}, not unsigned bytes")
    elif tuple(X.shape[1:]) != want:
        problems.append(f"images of shape {tuple(X.shape[1:])}, expected {want}")
    if not isinstance(y, np.ndarray) or y.ndim != 1:
        problems.append(f"labels of shape {getattr(y, 'shape', None)}, expected (N,)")
    else:
        if len(X) != len(y):
            problems.append(f"{len(X):,} images but {len(y):,} labels")
        if len(y) == 0:
            problems.append("no images at all")
        elif y.min() < 0 or y.max() >= 10:
            bad = np.unique(y[(y < 0) | (y >= 10)])[:5].tolist()
            problems.append(f"labels outside 0..{10 - 1} (e.g. {bad})")
    if problems:
        names = ", ".join(str(f) for f in files)
        raise DataCorrupt(f"{names}: {'; '.join(problems)}. {fix}")


def check_idx_file(name: str, path: Path, count: int) -> None:
    """MD5 of an extracted IDX file where it can be known: its archive next to it, or the table above."""
    gz = path.with_name(path.name + ".gz")
    if gz.exists() and md5(gz, gunzip=True) != md5(path):
        raise DataCorrupt(f"{path} differs from the archive {gz.name} next to it (an interrupted "
                          f"extraction?). {refetch_hint(name, [path])}")
    known = _EXTRACTED_MD5.get((name, path.name))
    if known and count == known[0] and md5(path) != known[1]:
        raise DataCorrupt(f"{path} has the {count:,} entries of the original file but not its MD5 "
                          f"checksum: it was changed. {refetch_hint(name, [path])}")
