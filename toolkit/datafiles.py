"""Data files on disk: MNIST's IDX format and the checks every loaded file passes.

Used by :mod:`toolkit.data` (``data.DataCorrupt``, ``data.write_idx`` and ``data.read_idx`` are these objects).
MD5 sums are computed once per file and process (cached by path, size and modification time).
"""
from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np

from .arrays import as_array

IMAGE_SHAPES = {"mnist": (28, 28), "fashion_mnist": (28, 28), "cifar10": (32, 32, 3), "svhn": (32, 32, 3)}
# MD5 of extracted files where known (measured on the original archives, whose MD5 torchvision checks)
_EXTRACTED_MD5 = {
    ("mnist", "t10k-images-idx3-ubyte"): (10_000, "2646ac647ad5339dbf082846283269ea"),
    ("mnist", "t10k-labels-idx1-ubyte"): (10_000, "27ae3e4e09519cfbb04c329615203637"),
}


class DataCorrupt(RuntimeError):
    """Files exist but do not match their checksum or cannot be parsed."""


def write_idx(path, array) -> Path:
    """Write whole numbers 0..255, shape (N,), (N, H, W) or up to 4-D, as an unsigned-byte IDX file
    (gzip-compressed if ``path`` ends in .gz). Values that do not fit a byte (300, -1, 2.5, NaN) raise
    ValueError instead of wrapping."""
    a = as_array(array, "array", ndim=(1, 2, 3, 4), axes="(N,) or (N, H, W) of whole numbers 0..255",
                 finite=False)
    if not (np.isfinite(a).all() and np.array_equal(a, np.round(a)) and a.min() >= 0 and a.max() <= 255):
        raise ValueError(f"array has values from {a.min()} to {a.max()} (or NaN, inf or fractions); "
                         f"IDX unsigned bytes hold whole numbers 0..255 only: round, rescale or clip it first "
                         f"(e.g. (x * 255).round()).")
    arr = a.astype(np.uint8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (gzip.open if path.suffix == ".gz" else open)(path, "wb") as f:
        f.write(struct.pack(f">HBB{arr.ndim}I", 0, 0x08, arr.ndim, *arr.shape) + arr.tobytes())
    return path


def read_idx(path) -> np.ndarray:
    """Read an unsigned-byte IDX file (plain or .gz) into a uint8 array; DataCorrupt if it is not one."""
    path = Path(path)
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            raw = f.read()
        zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
        if zero != 0 or dtype != 0x08:
            raise ValueError("not an unsigned-byte IDX file")
        shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
        return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    except (OSError, ValueError, struct.error, EOFError, zlib.error) as e:
        raise DataCorrupt(f"{path} is not a valid IDX file ({e}); delete it and download again.") from e


_MD5_CACHE: dict = {}


def md5(path: Path, gunzip: bool = False) -> str:
    """MD5 (hex) of a file, or of its decompressed content with ``gunzip``; cached per (path, size, mtime)."""
    st = Path(path).stat()
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns, gunzip)
    if key not in _MD5_CACHE:
        h = hashlib.md5()
        with (gzip.open if gunzip else open)(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _MD5_CACHE[key] = h.hexdigest()
    return _MD5_CACHE[key]


def refetch_hint(name: str, files) -> str:
    """What to do about broken ``files`` of data set ``name`` (one sentence)."""
    idx = " (or `python -m toolkit.data import-idx FOLDER`)" if name in ("mnist", "fashion_mnist") else ""
    return (f"Delete {', '.join(str(f) for f in files)} and load again: online it downloads a fresh copy; "
            f"offline, copy the original files there again{idx}.")


def check_arrays(name: str, X, y, files, fix: str) -> None:
    """Raise DataCorrupt naming ``files`` (and saying ``fix``) unless X is uint8 (N, *IMAGE_SHAPES[name])
    and y an integer vector (N,) of labels in 0..9 (all four data sets have ten classes), N >= 1."""
    problems = []
    if not isinstance(X, np.ndarray) or X.dtype != np.uint8:
        problems.append(f"images are {getattr(X, 'dtype', type(X).__name__)}, not unsigned bytes")
    elif tuple(X.shape[1:]) != IMAGE_SHAPES[name]:
        problems.append(f"images of shape {tuple(X.shape[1:])}, expected {IMAGE_SHAPES[name]}")
    if not isinstance(y, np.ndarray) or y.ndim != 1:
        problems.append(f"labels of shape {getattr(y, 'shape', None)}, expected (N,)")
    else:
        if len(X) != len(y):
            problems.append(f"{len(X):,} images but {len(y):,} labels")
        if len(y) == 0:
            problems.append("no images at all")
        elif y.min() < 0 or y.max() >= 10:
            problems.append(f"labels outside 0..9 (e.g. {np.unique(y[(y < 0) | (y >= 10)])[:5].tolist()})")
    if problems:
        raise DataCorrupt(f"{', '.join(str(f) for f in files)}: {'; '.join(problems)}. {fix}")


def check_idx_file(name: str, path: Path, count: int) -> None:
    """DataCorrupt unless an extracted IDX file equals its .gz archive next to it (if there) and, for a file
    with the original's ``count`` entries, the original's known MD5 (MNIST's 10,000 test digits)."""
    gz = path.with_name(path.name + ".gz")
    if gz.exists() and md5(gz, gunzip=True) != md5(path):
        raise DataCorrupt(f"{path} differs from the archive {gz.name} next to it (an interrupted "
                          f"extraction?). {refetch_hint(name, [path])}")
    known = _EXTRACTED_MD5.get((name, path.name))
    if known and count == known[0] and md5(path) != known[1]:
        raise DataCorrupt(f"{path} has the {count:,} entries of the original file but not its MD5 "
                          f"checksum: it was changed. {refetch_hint(name, [path])}")
