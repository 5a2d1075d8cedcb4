"""Tests of toolkit.ensemble: an ensemble equals independent `fit` runs, snapshots, frozen layers,
cache."""

import pytest
import torch

from toolkit.ensemble import fit_ensemble, snapshot_steps, train_or_load_ensemble
from toolkit.models import CNN, MLP
from toolkit.train import evaluate, fit


@pytest.fixture(scope="module")
def toy():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(200, 1, 28, 28, generator=g)
    y = (X[:, 0, :14].mean((1, 2)) > 0).long() + 2 * (X[:, 0, :, :14].mean((1, 2)) > 0).long()
    return X, y


def _max_diff(a, b):
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("strategy,chunk", [("loop", None), ("vmap", None), ("vmap", 2)])
def test_ensemble_equals_independent_fits(toy, strategy, chunk):
    X, y = toy
    make = lambda: CNN(6, 4, 8)  # noqa: E731
    res = fit_ensemble(
        make,
        3,
        X,
        y,
        iterations=5,
        batch_size=64,
        seed=7,
        progress=False,
        strategy=strategy,
        chunk_size=chunk,
    )
    assert len(res.models) == 3
    assert res.history["step"] == [4, 5]  # 200 / 64 -> 4 steps per epoch, then 1 more
    for i in range(3):
        torch.manual_seed(7 + i)
        m = make()
        h = fit(m, X, y, iterations=5, batch_size=64, seed=7 + i, progress=False)
        assert _max_diff(m, res.models[i]) < 1e-5, (strategy, i)
        assert res.history["loss"][-1][i] == pytest.approx(h["loss"][-1], abs=1e-5)
        assert evaluate(m, X, y)[1] == evaluate(res.models[i], X, y)[1]
    # the copies really are different nets (own init and data order)
    assert _max_diff(res.models[0], res.models[1]) > 1e-3


def test_mlp_ensemble_with_weight_decay(toy):
    X, y = toy
    make = lambda: MLP(16)  # noqa: E731
    res = fit_ensemble(
        make,
        2,
        X,
        y,
        iterations=4,
        batch_size=50,
        seed=0,
        weight_decay=1e-3,
        progress=False,
        strategy="vmap",
    )
    torch.manual_seed(1)
    m = make()
    fit(m, X, y, iterations=4, batch_size=50, seed=1, weight_decay=1e-3, progress=False)
    assert _max_diff(m, res.models[1]) < 1e-5


def test_snapshots(toy):
    X, y = toy
    make = lambda: CNN(4, 2, 4)  # noqa: E731
    res = fit_ensemble(
        make,
        2,
        X,
        y,
        iterations=5,
        batch_size=64,
        seed=3,
        snapshot_every=2,
        snapshot_params=["conv1.weight"],
        progress=False,
    )
    assert sorted(res.snapshots) == [0, 2, 4, 5] == snapshot_steps(5, 2)
    s0 = res.snapshots[0]["conv1.weight"]
    assert s0.shape == (2, 4, 1, 3, 3) and set(res.snapshots[0]) == {"conv1.weight"}
    torch.manual_seed(4)
    assert torch.equal(s0[1], make().conv1.weight.detach())  # step 0 = the initialization
    assert torch.allclose(
        res.snapshots[5]["conv1.weight"][0], res.models[0].conv1.weight.detach().cpu()
    )
    assert not torch.allclose(res.snapshots[2]["conv1.weight"], s0)  # weights moved


def test_frozen_layer_stays_frozen(toy):
    X, y = toy

    def make():
        m = CNN(4, 2, 4)
        m.conv1.weight.requires_grad_(False)
        return m

    for strategy in ("loop", "vmap"):
        res = fit_ensemble(
            make,
            2,
            X,
            y,
            iterations=3,
            batch_size=64,
            seed=0,
            progress=False,
            strategy=strategy,
            snapshot_every=3,
        )
        assert torch.equal(res.snapshots[0]["conv1.weight"], res.snapshots[3]["conv1.weight"])
        assert not torch.equal(res.snapshots[0]["conv2.weight"], res.snapshots[3]["conv2.weight"])


def test_bad_input(toy):
    X, y = toy
    make = lambda: CNN(4, 2, 4)  # noqa: E731
    with pytest.raises(ValueError, match="n_models"):
        fit_ensemble(make, 0, X, y, iterations=1)
    with pytest.raises(ValueError, match="iterations"):
        fit_ensemble(make, 1, X, y, iterations=0)
    with pytest.raises(TypeError, match="make_model"):
        fit_ensemble(CNN(4, 2, 4), 1, X, y, iterations=1)
    with pytest.raises(ValueError, match="snapshot_params"):
        fit_ensemble(
            make, 1, X, y, iterations=1, snapshot_every=1, snapshot_params=["conv9.weight"]
        )
    with pytest.raises(ValueError, match="strategy"):
        fit_ensemble(make, 1, X, y, iterations=1, strategy="threads", progress=False)
    with pytest.raises(ValueError, match="snapshot_every"):
        fit_ensemble(make, 1, X, y, iterations=2, snapshot_every=-1, progress=False)


def test_train_or_load_ensemble_caches_models_and_snapshots(toy, tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_DATA", str(tmp_path))
    X, y = toy
    make = lambda: CNN(4, 2, 4)  # noqa: E731
    kw = dict(
        iterations=3,
        batch_size=64,
        seed=1,
        snapshot_every=2,
        snapshot_params=["conv1.weight"],
        progress=False,
    )
    a = train_or_load_ensemble("ens_test", {"arch": [4, 2, 4]}, make, 2, X, y, **kw)
    b = train_or_load_ensemble("ens_test", {"arch": [4, 2, 4]}, make, 2, X, y, **kw)
    assert not a.loaded and b.loaded
    assert _max_diff(a.models[1], b.models[1]) == 0
    assert sorted(b.snapshots) == [0, 2, 3]
    assert torch.equal(a.snapshots[2]["conv1.weight"], b.snapshots[2]["conv1.weight"])
    assert b.history["step"] == a.history["step"]
    assert (
        len(list((tmp_path / "checkpoints").glob("ens_test-seed1-*.pt"))) == 1
    )  # checkpoints.net_name


def test_loop_strategy_is_fit_itself_dropout_included(toy):
    from toolkit import config

    X, y = toy
    make = lambda: CNN(4, 2, 4, dropout=0.5)  # noqa: E731
    res = fit_ensemble(
        make, 2, X, y, iterations=3, batch_size=64, seed=5, progress=False, strategy="loop"
    )
    for i in range(2):
        with config.seeded(5 + i):
            m = make()
        fit(m, X, y, iterations=3, batch_size=64, seed=5 + i, progress=False)
        assert _max_diff(m, res.models[i]) == 0


@pytest.mark.parametrize("strategy", ["loop", "vmap"])
def test_fit_ensemble_leaves_the_global_random_states_alone(strategy):
    import random

    import numpy as np

    X, y = torch.randn(40, 1, 28, 28), torch.arange(40) % 10
    random.seed(5), np.random.seed(5), torch.manual_seed(5)
    expected = random.random(), float(np.random.rand()), float(torch.rand(1))
    random.seed(5), np.random.seed(5), torch.manual_seed(5)
    fit_ensemble(
        lambda: CNN(4, 4, 8, dropout=0.5),
        2,
        X,
        y,
        iterations=3,
        batch_size=16,
        seed=2,
        progress=False,
        device="cpu",
        strategy=strategy,
    )
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) == expected
