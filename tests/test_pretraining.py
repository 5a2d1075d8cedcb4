"""Tests of toolkit.pretraining (notebook 06) and its exercise checkers."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from toolkit import filters, pretraining as P, train  # noqa: E402
from toolkit.exercises import ExerciseFailed, ex06  # noqa: E402
from toolkit.models import CNN  # noqa: E402

SMALL = (9, 4, 8)


def _data(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return X, y


# --------------------------------------------------------------------------------------- filter
# banks
def test_filter_banks_are_the_ideal_filters():
    c = P.filter_bank("circle", 64)
    assert c.shape == (64, 3, 3) and c.dtype == torch.float32
    assert np.allclose(c.numpy(), filters.primary_circle_filters(64), atol=1e-6)
    k = P.filter_bank("klein", 64)
    assert np.allclose(k.numpy(), filters.klein_bottle_filters(8, 8), atol=1e-6)
    g0, g0b, g1 = (P.filter_bank("gaussian", 16, seed=s) for s in (0, 0, 1))
    assert torch.equal(g0, g0b) and not torch.allclose(g0, g1)
    k32 = P.filter_bank("klein", 32)
    assert P.klein_grid(32) == (4, 8) and P.klein_grid(64) == (8, 8) and P.klein_grid(16) == (4, 4)
    assert np.allclose(k32.numpy(), filters.klein_bottle_filters(4, 8), atol=1e-6)
    # every bank is normalized the same way: mean 0 and L2 norm 1 per filter, only the shape differs
    for b in (
        c,
        k,
        g0,
        g1,
        k32,
        P.filter_bank("circle", 32),
        P.filter_bank("gaussian", 64, seed=7),
    ):
        flat = b.flatten(1).double()
        assert torch.allclose(flat.norm(dim=1), torch.ones(len(b), dtype=torch.float64), atol=1e-6)
        assert flat.mean(1).abs().max() < 1e-6
    raw = torch.randn(16, 3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert raw.flatten(1).mean(1).abs().max() > 0.1, (
        "the control: raw gaussian filters are not centred"
    )


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: P.filter_bank("square"), "Unknown first-layer variant"),
        (lambda: P.filter_bank("normal"), "no fixed filter bank"),
        (lambda: P.filter_bank("klein", 13), "n1 x n2 grid"),
        (
            lambda: P.train_curve(CNN(*SMALL), *_data(8), iterations=2, stop_at=0.5),
            "needs held-out data",
        ),
        (lambda: P.train_curve(CNN(*SMALL), *_data(8), iterations=2, eval_every=0), "eval_every"),
        (
            lambda: P.train_curve(CNN(*SMALL), *_data(8), iterations=2, val=_data(8), stop_at=90),
            "stop_at .*not a percentage",
        ),
        (lambda: P.steps_to_threshold([], [], 0.5), "at least 1"),
        (lambda: P.freeze_first_layer(nn.Linear(9, 4), P.filter_bank("circle", 4)), "conv1"),
        (lambda: P.variant_model("circle", widths=(8, 4)), "three positive integers"),
        (lambda: P.variant_model("circles"), "circle, klein, gaussian, normal"),
        (lambda: P.variant_model("normal", bank=torch.zeros(64, 3, 3)), "only makes sense"),
        (lambda: P.variant_model("circle", bank=P.filter_bank("circle", 16)), "64 output channels"),
        (lambda: P.variant_model("circle", bank=torch.zeros(64, 5, 5)), "3x3"),
        (lambda: P.check_bank(np.zeros((64, 9))), "shape"),
        (lambda: P.check_bank(torch.zeros(4, 3, 3), in_channels=3), "in_channels=3"),
        (lambda: P.check_bank(torch.full((4, 3, 3), float("nan"))), "NaN"),
        (lambda: P.AppendedFilters(torch.zeros(4, 2, 3, 3)), "input channels"),
    ],
)
def test_bad_input_gives_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------------------------- frozen
# layers
def test_freeze_first_layer_is_the_bank_and_frozen():
    bank = P.filter_bank("circle", 8)
    conv = P.freeze_first_layer(CNN(8, 4, 8), bank).conv1
    assert isinstance(conv, nn.Conv2d) and conv.weight.shape == (8, 1, 3, 3)
    assert not any(p.requires_grad for p in conv.parameters())
    assert torch.equal(conv.bias, torch.zeros(8))
    x = torch.randn(2, 1, 10, 10)
    assert torch.allclose(conv(x), F.conv2d(x, bank.unsqueeze(1), padding=1), atol=1e-6)


@pytest.mark.parametrize("variant", P.VARIANTS)
def test_variant_models(variant):
    state = torch.get_rng_state()
    m = P.variant_model(variant, widths=SMALL, seed=3)
    assert torch.equal(state, torch.get_rng_state()), (
        "variant_model must not disturb the caller's RNG"
    )
    torch.manual_seed(3)
    ref = CNN(*SMALL)
    for name in ("conv2.weight", "fc1.weight", "fc2.bias"):
        assert torch.equal(m.state_dict()[name], ref.state_dict()[name]), name
    frozen = [n for n, p in m.named_parameters() if not p.requires_grad]
    if variant == "normal":
        assert frozen == [] and torch.equal(m.conv1.weight, ref.conv1.weight)
    else:
        assert frozen == ["conv1.weight", "conv1.bias"]
        assert torch.equal(m.conv1.weight[:, 0], P.filter_bank(variant, SMALL[0], seed=3))
    assert m(torch.randn(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize("trainer", ["fit", "train_curve"])
def test_frozen_layer_stays_frozen_through_training(trainer):
    X, y = _data()
    m = P.variant_model("circle", widths=SMALL, seed=0)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    kw = dict(
        iterations=5, batch_size=32, lr=1e-2, weight_decay=1e-2, l1=1e-3, seed=0, progress=False
    )
    if trainer == "fit":
        train.fit(m, X, y, **kw)
    else:
        P.train_curve(m, X, y, **kw)
    after = m.state_dict()
    assert torch.equal(after["conv1.weight"], before["conv1.weight"])
    assert torch.equal(after["conv1.weight"][:, 0], P.filter_bank("circle", SMALL[0]))
    assert torch.equal(after["conv1.bias"], torch.zeros(SMALL[0]))
    assert not torch.equal(after["conv2.weight"], before["conv2.weight"]), (
        "the other layers must train"
    )


# ---------------------------------------------------------------------------------- appended
# channels
def test_appended_filters_shapes_values_and_gradients():
    bank = P.filter_bank("klein", 16)
    layer = P.AppendedFilters(bank)
    assert list(layer.parameters()) == [] and list(layer.state_dict()) == ["weight"]
    x = torch.randn(3, 1, 28, 28, requires_grad=True)
    out = layer(x)
    assert out.shape == (3, 17, 28, 28) and layer.out_channels == 17
    assert torch.equal(out[:, :1], x)
    assert torch.allclose(out[:, 1:], F.conv2d(x, bank.unsqueeze(1), padding=1), atol=1e-6)
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0, "gradients must flow through to the input"
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        layer(torch.randn(2, 3, 28, 28))


def test_appended_net_trains_everything_but_the_filters():
    m = P.appended_model("circle", widths=(16, 4, 8), seed=0)
    assert (
        isinstance(m, nn.Sequential)
        and m.net.conv1.in_channels == 17
        and m.appended.out_channels == 17
    )
    X, y = _data(16)
    F.nll_loss(m(X), y).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())
    assert m.appended.weight.grad is None and not m.appended.weight.requires_grad
    bank0 = m.appended.weight.clone()
    train.fit(m, X, y, iterations=3, batch_size=8, progress=False)
    assert torch.equal(m.appended.weight, bank0)
    plain = P.appended_model("normal", widths=SMALL, seed=0)
    assert type(plain) is CNN and plain.conv1.in_channels == 1


# -------------------------------------------------------------------------------------------
# training
def test_train_curve_reproduces_fit_and_records_evaluations():
    X, y = _data(100)
    a = P.variant_model("normal", widths=SMALL, seed=1, dropout=0.5)
    b = P.variant_model("normal", widths=SMALL, seed=1, dropout=0.5)
    train.fit(a, X, y, iterations=9, batch_size=32, seed=4, progress=False)
    out = P.train_curve(
        b, X, y, iterations=9, eval_every=4, batch_size=32, seed=4, progress=False, val=(X, y)
    )
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k
    assert out["step"] == [0, 4, 8, 9] and len(out["val_acc"]) == 4
    assert out["last_step"] == 9 and out["stopped"] is False
    assert out["val_acc"][-1] == pytest.approx(train.evaluate(b, X, y)[1])


def test_train_curve_stops_at_the_target_with_fits_weights():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(256, 1, 28, 28, generator=g)
    y = (
        X[:, 0, :14].mean((1, 2)) > X[:, 0, 14:].mean((1, 2))
    ).long()  # learnable: top vs bottom brighter
    m = P.variant_model("normal", widths=SMALL, seed=0)
    out = P.train_curve(
        m, X, y, iterations=200, eval_every=5, val=(X, y), stop_at=0.8, lr=3e-3, progress=False
    )
    assert out["stopped"] and out["last_step"] < 200 and out["last_step"] % 5 == 0
    assert out["val_acc"][-1] >= 0.8 and max(out["val_acc"][:-1]) < 0.8, "stops at the first hit"
    ref = P.variant_model("normal", widths=SMALL, seed=0)
    train.fit(ref, X, y, iterations=out["last_step"], lr=3e-3, progress=False)
    for k, v in ref.state_dict().items():
        assert torch.equal(v, m.state_dict()[k]), k
    never = P.train_curve(
        P.variant_model("circle", widths=SMALL),
        X,
        y,
        iterations=7,
        eval_every=5,
        val=(X, y),
        stop_at=1.0,
        progress=False,
    )
    assert not never["stopped"] and never["last_step"] == 7 and never["step"] == [0, 5, 7]


# ---------------------------------------------------------------------------------- steps to
# threshold
def test_steps_to_threshold_with_censoring():
    steps = np.array([10, 20, 50, 100])
    assert P.steps_to_threshold(steps, [0.2, 0.8, 0.7, 0.9], 0.8) == (
        20,
        True,
    )  # first hit, a later dip
    assert P.steps_to_threshold(steps, [0.2, 0.3, 0.4, 0.8], 0.8) == (100, True)  # equal counts
    assert P.steps_to_threshold(steps, [0.2, 0.3, 0.4, 0.5], 0.8) == (100, False)  # censored at 100
    assert P.steps_to_threshold(steps.tolist(), torch.tensor([0.9, 0.1, 0.1, 0.1]), 0.5) == (
        10,
        True,
    )
    with pytest.raises(ValueError, match="fraction"):
        P.steps_to_threshold(steps, [0.1] * 4, 80)
    with pytest.raises(ValueError, match="same length"):
        P.steps_to_threshold(steps, [0.1] * 3, 0.5)
    with pytest.raises(ValueError, match="NaN"):
        P.steps_to_threshold(steps, [0.1, np.nan, 0.2, 0.3], 0.5)


# --------------------------------------------------------------------------------------- exercises
def _good_conv(bank):
    bank = torch.as_tensor(bank, dtype=torch.float32)
    conv = nn.Conv2d(1, bank.shape[0], 3, padding=1)
    with torch.no_grad():
        conv.weight.copy_(bank.unsqueeze(1))
        conv.bias.zero_()
    for p in conv.parameters():
        p.requires_grad_(False)
    return conv


def _trainable_conv(bank):
    conv = _good_conv(bank)
    conv.weight.requires_grad_(True)
    return conv


def _unpadded_conv(bank):
    bank = torch.as_tensor(bank, dtype=torch.float32)
    conv = nn.Conv2d(1, bank.shape[0], 3, bias=False)
    with torch.no_grad():
        conv.weight.copy_(bank.unsqueeze(1))
    conv.weight.requires_grad_(False)
    return conv


def _transposed_conv(bank):
    return _good_conv(torch.as_tensor(bank).transpose(1, 2))


def test_ex06_q1_accepts_solution_and_rejects_mistakes():
    assert ex06.q1(_good_conv) and ex06.q1(
        lambda b: P.freeze_first_layer(CNN(len(b), 2, 2), b).conv1
    )
    for bad, why in [
        (_trainable_conv, "requires_grad"),
        (_unpadded_conv, "padding=1"),
        (_transposed_conv, "transposed"),
        (lambda b: None, "nn.Conv2d"),
    ]:
        with pytest.raises(ExerciseFailed, match=why):
            ex06.q1(bad)


def test_ex06_q3_accepts_solution_and_rejects_mistakes(monkeypatch):
    monkeypatch.setattr(
        ex06.q3, "_forbid", None
    )  # the toolkit's own function as the reference answer (students may not: #22)

    def reach(steps, acc, t):
        step, reached = P.steps_to_threshold(steps, acc, t)
        return step if reached else None

    assert ex06.q3(reach)

    def index_not_step(steps, acc, t):
        hit = np.flatnonzero(np.asarray(acc) >= t)
        return int(hit[0]) if hit.size else None

    def strict(steps, acc, t):
        hit = [s for s, a in zip(steps, acc) if a > t]
        return hit[0] if hit else None

    def last_step(steps, acc, t):
        return int(steps[-1])

    for bad, why in [(index_not_step, "position"), (strict, "exactly equal"), (last_step, "first")]:
        with pytest.raises(ExerciseFailed, match=why):
            ex06.q3(bad)


def _float64_conv(bank):
    bank = torch.as_tensor(bank, dtype=torch.float64)
    conv = nn.Conv2d(1, bank.shape[0], 3, padding=1).double()
    with torch.no_grad():
        conv.weight.copy_(bank.unsqueeze(1))
        conv.bias.zero_()
    conv.requires_grad_(False)
    return conv


class _BrokenConv(nn.Conv2d):
    def forward(self, x):
        raise RuntimeError("student bug in forward")


def _broken_forward(bank):
    conv = _good_conv(bank)
    out = _BrokenConv(1, conv.out_channels, 3, padding=1)
    out.load_state_dict(conv.state_dict())
    out.requires_grad_(False)
    return out


def test_ex06_q1_float64_and_student_errors_are_handled(capsys, monkeypatch):
    assert ex06.q1(_float64_conv), "a correct float64 layer is a correct answer"
    monkeypatch.setenv("TOOLKIT_STRICT_CHECKS", "0")
    assert ex06.q1(_broken_forward) is False
    out = capsys.readouterr().out
    assert "Your code raised" in out and "student bug in forward" in out


def test_ex06_q2_judgement():
    assert ex06.q2("b") and ex06.q2(" (B) ")
    for bad, why in [
        ("a", "same MNIST accuracy"),
        ("c", "entirely above 0"),
        ("d", "cannot refute"),
        ("e", "one of"),
        (2, "one letter"),
    ]:
        with pytest.raises(ExerciseFailed, match=why):
            ex06.q2(bad)
    assert ex06.q2._solution == "", "new exercises ship no reference solution"


def test_fractional_counts_are_refused_not_truncated():
    """Issue #23 item 9: each of these truncated 2.5 to 2 (or took True as 1) without a word."""
    from toolkit import clustering
    from toolkit.models import MLP

    A = np.random.default_rng(0).normal(size=(30, 3))
    X, y = torch.zeros(20, 1, 4, 4), torch.zeros(20, dtype=torch.long)
    for call, name in [
        (lambda: filters.primary_circle_filters(2.5), "n"),
        (lambda: P.filter_bank("circle", 16.5), "n"),
        (lambda: clustering.cluster(A, "kmeans", n_clusters=2.5), "n_clusters"),
        (lambda: clustering.sample(X, y, n=2.5), "n"),
        (lambda: P.train_curve(MLP(4, in_features=16), X, y, iterations=2.7), "iterations"),
    ]:
        with pytest.raises(ValueError, match=f"{name}.*whole number"):
            call()
    with pytest.raises(TypeError, match="n .*whole number"):
        clustering.sample(X, y, n=True)
    for kw in (dict(seed=-1), dict(seed=0.5), dict(n_neighbors=1)):
        with pytest.raises(ValueError, match=list(kw)[0]):
            clustering.cluster(A, "umap", n_clusters=2, **kw)
    assert filters.primary_circle_filters(8.0).shape == (8, 3, 3)  # a whole float is a count


def test_steps_to_threshold_refuses_percentages_unsorted_and_fractional_steps():
    """Issue #23 item 8: (10, True) from percentages, 100 from unsorted steps, 10.5 cut to 10."""
    with pytest.raises(ValueError, match="acc must hold accuracy fractions"):
        P.steps_to_threshold([10, 20], [50, 95], 0.9)
    with pytest.raises(ValueError, match="steps must be increasing"):
        P.steps_to_threshold([100, 10], [0.95, 0.5], 0.9)
    with pytest.raises(ValueError, match="steps must be increasing whole numbers"):
        P.steps_to_threshold([10.5, 20], [0.95, 0.5], 0.9)
    with pytest.raises(ValueError, match="threshold"):
        P.steps_to_threshold([10, 20], [0.5, 0.95], 90)
    assert P.steps_to_threshold([0, 10, 20], [0.1, 0.5, 0.95], 0.9) == (20, True)
