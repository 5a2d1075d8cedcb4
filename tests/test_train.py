import numpy as np
import pytest
import torch

from toolkit import data
from toolkit.models import CNN, MLP
from toolkit.train import evaluate, fit, predict


@pytest.fixture(scope="module")
def digits():
    return data.load("mnist", "train", device="cpu"), data.load("mnist", "test", device="cpu")


def test_mlp_reaches_real_accuracy_on_held_out_digits(digits):
    tr, te = digits
    torch.manual_seed(0)
    m = MLP(100)
    h = fit(m, tr.X, tr.y, epochs=5, lr=3e-3, batch_size=64, progress=False, X_val=te.X, y_val=te.y)
    loss, acc = evaluate(m, te.X, te.y)
    assert acc >= 0.90, f"MLP only reached {acc:.3f} on 1,000 held-out real MNIST digits"
    assert h["val_acc"][-1] == pytest.approx(acc)
    assert h["loss"][0] > h["loss"][-1]
    assert set(h) >= {"loss", "acc", "val_loss", "val_acc", "step", "seconds"}
    assert len(h["loss"]) == 5 and h["step"][-1] == 5 * int(np.ceil(len(tr) / 64))


def test_identical_seeds_identical_numbers(digits):
    tr, _ = digits
    X, y = tr.X[:512], tr.y[:512]
    runs = []
    for _ in range(2):
        torch.manual_seed(1)
        m = MLP(20, dropout=0.2)
        h = fit(m, X, y, epochs=2, seed=7, progress=False)
        runs.append((h["loss"], m.fc1.weight.detach().clone()))
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1])
    torch.manual_seed(1)
    m = MLP(20, dropout=0.2)
    h = fit(m, X, y, epochs=2, seed=8, progress=False)
    assert h["loss"] != runs[0][0]  # another data order


def test_iterations_and_learning_curve(digits):
    tr, te = digits
    X, y = tr.X[:300], tr.y[:300]
    m = MLP(16)
    h = fit(
        m,
        X,
        y,
        iterations=7,
        batch_size=64,
        progress=False,
        X_val=te.X[:100],
        y_val=te.y[:100],
        eval_every=3,
    )
    assert h["step"] == [5, 7]  # one full pass (5 batches) + a partial one
    assert h["curve_step"] == [3, 6]
    assert len(h["curve_val_acc"]) == 2


def test_weight_decay_and_l1_shrink_weights(digits):
    tr, _ = digits
    X, y = tr.X[:1000], tr.y[:1000]
    norms = {}
    for key, kw in {"none": {}, "wd": {"weight_decay": 1e-2}, "l1": {"l1": 1e-3}}.items():
        torch.manual_seed(0)
        m = MLP(50)
        fit(m, X, y, epochs=3, progress=False, **kw)
        norms[key] = float(m.fc1.weight.detach().abs().sum())
    assert norms["wd"] < norms["none"] and norms["l1"] < norms["none"]


def test_frozen_parameters_stay_frozen(digits):
    tr, _ = digits
    m = CNN(4, 4, 8)
    m.conv1.weight.requires_grad_(False)
    before = m.conv1.weight.detach().clone()
    fit(m, tr.X[:128], tr.y[:128], iterations=2, progress=False)
    assert torch.equal(before, m.conv1.weight)


def test_bad_input_is_explained():
    m = MLP(10)
    X = torch.randn(20, 1, 28, 28)
    with pytest.raises(ValueError, match="19 entries but 20 are needed"):
        fit(m, X, torch.zeros(19, dtype=torch.long), progress=False)
    with pytest.raises(ValueError, match="10 outputs"):
        fit(m, X, torch.full((20,), 12), progress=False)
    with pytest.raises(ValueError, match=">= 0"):
        fit(m, X, torch.full((20,), -1), progress=False)
    with pytest.raises(ValueError, match="NaN"):
        fit(m, X * float("nan"), torch.zeros(20, dtype=torch.long), progress=False)
    with pytest.raises(ValueError, match=r"\(N, 784\)"):
        fit(m, torch.randn(20, 3, 32, 32), torch.zeros(20, dtype=torch.long), progress=False)
    with pytest.raises(TypeError):
        fit(m, [[0.0] * 784] * 20, torch.zeros(20, dtype=torch.long), progress=False)
    with pytest.raises(ValueError, match="without y_val"):
        fit(m, X, torch.zeros(20, dtype=torch.long), X_val=X, progress=False)
    broken = MLP(10)
    with torch.no_grad():
        broken.fc2.bias.fill_(float("inf"))  # a diverged net: its loss is NaN
    with pytest.raises(FloatingPointError, match="learning rate"):
        fit(broken, X, torch.zeros(20, dtype=torch.long), progress=False)


def test_numpy_inputs_and_predict():
    m = MLP(10)
    X = np.random.default_rng(0).normal(size=(30, 784)).astype(np.float32)
    y = np.arange(30) % 10
    fit(m, X, y, progress=False)
    p = predict(m, X)
    assert p.shape == (30, 10) and p.device.type == "cpu"


def test_on_step_callback_sees_every_step_in_train_mode(digits):
    tr, _ = digits
    seen = []

    def cb(step, model):
        seen.append((step, model.training))
        model.eval()  # fit must put it back into train mode

    m = MLP(8, dropout=0.5)
    fit(m, tr.X[:200], tr.y[:200], iterations=5, batch_size=64, progress=False, on_step=cb)
    assert [s for s, _ in seen] == [0, 1, 2, 3, 4, 5]
    assert all(training for _, training in seen)


def test_activity_l1_makes_hidden_activations_sparser(digits):
    tr, _ = digits
    X, y = tr.X[:1000], tr.y[:1000]
    fractions = {}
    for key, kw in {"none": {}, "activity": {"activity_l1": 3e-3}}.items():
        torch.manual_seed(0)
        m = MLP(50)
        fit(m, X, y, epochs=3, lr=0.01, batch_size=64, progress=False, **kw)
        with torch.no_grad():
            fractions[key] = float((m.fc1(X.flatten(1)) > 0).float().mean())
        assert not m.fc1._forward_hooks  # the penalty's hooks are removed after training
    assert fractions["activity"] < 0.8 * fractions["none"], fractions


def test_progress_bar_path_runs(digits, capsys):
    import os

    tr, te = digits
    h = fit(
        MLP(8), tr.X[:256], tr.y[:256], epochs=1, progress=True, X_val=te.X[:64], y_val=te.y[:64]
    )
    assert len(h["loss"]) == 1
    if not os.environ.get("TQDM_DISABLE"):  # `make test` disables bars (headless kernels)
        assert "fit MLP" in capsys.readouterr().err


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda m, X, y: evaluate(m, X, y, batch_size=-1),
            ValueError,
            "batch_size must be a whole number >= 1; got -1",
        ),
        (lambda m, X, y: evaluate(m, X, y, batch_size=0), ValueError, "batch_size"),
        (
            lambda m, X, y: evaluate(m, X, y, batch_size=2.5),
            ValueError,
            "batch_size must be a whole number",
        ),
        (lambda m, X, y: predict(m, X, batch_size=-1), ValueError, "batch_size"),
        (lambda m, X, y: evaluate(m, X, y + 10), ValueError, "10 outputs"),
        (lambda m, X, y: fit(m, X, y, epochs=1.5, progress=False), ValueError, "epochs"),
        (lambda m, X, y: fit(m, X, y, epochs=True, progress=False), TypeError, "epochs"),
        (
            lambda m, X, y: fit(m, X, y, lr=0, progress=False),
            ValueError,
            "lr must be a finite number > 0",
        ),
        (lambda m, X, y: fit(m, X, y, lr=float("nan"), progress=False), ValueError, "lr"),
        (
            lambda m, X, y: fit(m, X, y, weight_decay=-1e-3, progress=False),
            ValueError,
            "weight_decay",
        ),
        (lambda m, X, y: fit(m, X, y, l1=float("inf"), progress=False), ValueError, "l1"),
        (lambda m, X, y: fit(m, X, y, iterations=0, progress=False), ValueError, "iterations"),
        (lambda m, X, y: fit(m, X, y, eval_every=0, progress=False), ValueError, "eval_every"),
        (lambda m, X, y: fit(m, X, y, seed=-1, progress=False), ValueError, "seed"),
        (lambda m, X, y: fit(m, X, y, on_step=3, progress=False), TypeError, "on_step"),
        (lambda m, X, y: fit("mlp", X, y, progress=False), TypeError, "model must be"),
        (
            lambda m, X, y: fit(m, X.numpy().astype(object), y, progress=False),
            TypeError,
            "X must hold",
        ),
        (lambda m, X, y: fit(m, X, ["a"] * 8, progress=False), TypeError, "Labels"),
        (
            lambda m, X, y: fit(m, X, y.float() / 0, progress=False),
            ValueError,
            "whole class indices",
        ),
        (
            lambda m, X, y: fit(m, X, y, X_val=X, y_val=y + 10, progress=False),
            ValueError,
            "y_val goes up",
        ),
    ],
)
def test_bad_sizes_and_settings_are_named(call, error, message):
    """evaluate(..., batch_size=-1) once returned (0.0, 0.0)."""
    X, y = torch.randn(8, 784), torch.arange(8) % 10
    with pytest.raises(error, match=message):
        call(MLP(4), X, y)


def test_fit_leaves_the_global_random_states_alone():
    """fit seeds dropout from ``seed`` but puts Python's, NumPy's and torch's global generators
    back."""
    import random

    X, y = torch.randn(64, 784), torch.arange(64) % 10
    model = MLP(8, dropout=0.3)

    def draws():
        random.seed(5), np.random.seed(5), torch.manual_seed(5)
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    expected = draws()
    random.seed(5), np.random.seed(5), torch.manual_seed(5)
    fit(model, X, y, epochs=1, seed=3, progress=False)
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) == expected


def test_same_seed_same_numbers_as_before_the_random_states_were_restored(digits):
    """Numbers recorded with the toolkit before fit restored the global random states (same
    seeds)."""
    tr, _ = digits
    sub = data.load("mnist", "train", n=600, device="cpu")
    torch.manual_seed(1)
    m = MLP(20, dropout=0.2)
    h = fit(m, sub.X, sub.y, epochs=2, seed=7, progress=False, device="cpu")
    assert h["loss"] == pytest.approx([2.275709431966146, 2.0496112060546876], rel=1e-5)
    torch.manual_seed(2)
    c = CNN(4, 4, 8, dropout=0.5)
    h = fit(
        c, sub.X, sub.y, iterations=7, batch_size=32, seed=3, progress=False, device="cpu", l1=1e-4
    )
    assert h["loss"] == pytest.approx([2.3302230834960938], rel=1e-5)


def test_missing_labels_and_datasets_without_y():
    """Issue #23 item 12: fit(model, X, None) crashed raw ('NoneType' object is not subscriptable),
    and a Dataset passed as X with y=None (documented) crashed in fit, evaluate and predict."""
    ds = data.load("mnist", "test", n=64)
    m = MLP(8)
    with pytest.raises(ValueError, match="y is None: pass the labels"):
        fit(m, ds.X, None, epochs=1, progress=False)
    with pytest.raises(ValueError, match="y is None: pass the labels"):
        evaluate(m, ds.X, None)
    h = fit(m, ds, None, epochs=1, progress=False, X_val=ds)
    assert np.isfinite(h["loss"]).all() and len(h["val_acc"]) == 1
    assert evaluate(m, ds, None) == evaluate(m, ds.X, ds.y)
    assert torch.equal(predict(m, ds), predict(m, ds.X))
