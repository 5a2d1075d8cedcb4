"""Tests of toolkit.pretraining (notebook 06) and its exercise checkers."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
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


# --------------------------------------------------------------------------------------- filter banks
def test_filter_banks_are_the_ideal_filters():
    c = P.filter_bank("circle", 64)
    assert c.shape == (64, 3, 3) and c.dtype == torch.float32
    assert np.allclose(c.numpy(), filters.primary_circle_filters(64), atol=1e-6)
    k = P.filter_bank("klein", 64)
    assert np.allclose(k.numpy(), filters.klein_bottle_filters(8, 8), atol=1e-6)
    g0, g0b, g1 = (P.filter_bank("gaussian", 16, seed=s) for s in (0, 0, 1))
    assert torch.equal(g0, g0b) and not torch.allclose(g0, g1)
    assert torch.allclose(g0.flatten(1).norm(dim=1), torch.ones(16), atol=1e-5)


@pytest.mark.parametrize("call, match", [
    (lambda: P.filter_bank("square"), "Unknown first-layer variant"),
    (lambda: P.filter_bank("normal"), "no fixed filter bank"),
    (lambda: P.filter_bank("klein", 10), "must be a square"),
    (lambda: P.variant_model("circles"), "circle, klein, gaussian, normal"),
    (lambda: P.variant_model("normal", bank=torch.zeros(64, 3, 3)), "only makes sense"),
    (lambda: P.variant_model("circle", bank=P.filter_bank("circle", 16)), "64 output channels"),
    (lambda: P.variant_model("circle", bank=torch.zeros(64, 5, 5)), "3x3"),
    (lambda: P.check_bank(np.zeros((64, 9))), "shape"),
    (lambda: P.check_bank(torch.zeros(4, 3, 3), in_channels=3), "in_channels=3"),
    (lambda: P.check_bank(torch.full((4, 3, 3), float("nan"))), "NaN"),
    (lambda: P.AppendedFilters(torch.zeros(4, 2, 3, 3)), "input channels"),
    (lambda: P.run_variant("circle", 0, train_set=_data(), eval_sets={}, iterations=1, kind="fixed"),
     "kind="),
])
def test_bad_input_gives_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------------------------- frozen layers
def test_frozen_conv_is_the_bank_and_frozen():
    bank = P.filter_bank("circle", 8)
    conv = P.frozen_conv(bank)
    assert isinstance(conv, nn.Conv2d) and conv.weight.shape == (8, 1, 3, 3)
    assert not any(p.requires_grad for p in conv.parameters())
    assert torch.equal(conv.bias, torch.zeros(8))
    x = torch.randn(2, 1, 10, 10)
    assert torch.allclose(conv(x), F.conv2d(x, bank.unsqueeze(1), padding=1), atol=1e-6)


@pytest.mark.parametrize("variant", P.VARIANTS)
def test_variant_models(variant):
    state = torch.get_rng_state()
    m = P.variant_model(variant, widths=SMALL, seed=3)
    assert torch.equal(state, torch.get_rng_state()), "variant_model must not disturb the caller's RNG"
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
    kw = dict(iterations=5, batch_size=32, lr=1e-2, weight_decay=1e-2, l1=1e-3, seed=0, progress=False)
    if trainer == "fit":
        train.fit(m, X, y, **kw)
    else:
        P.train_curve(m, X, y, **kw)
    after = m.state_dict()
    assert torch.equal(after["conv1.weight"], before["conv1.weight"])
    assert torch.equal(after["conv1.weight"][:, 0], P.filter_bank("circle", SMALL[0]))
    assert torch.equal(after["conv1.bias"], torch.zeros(SMALL[0]))
    assert not torch.equal(after["conv2.weight"], before["conv2.weight"]), "the other layers must train"


# ---------------------------------------------------------------------------------- appended channels
def test_appended_filters_shapes_values_and_gradients():
    bank = P.filter_bank("klein", 16)
    layer = P.AppendedFilters(bank)
    assert list(layer.parameters()) == [] and "weight" in layer.state_dict()
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
    assert isinstance(m, P.AppendedNet) and m.net.conv1.in_channels == 17
    X, y = _data(16)
    F.nll_loss(m(X), y).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())
    assert m.append.weight.grad is None and not m.append.weight.requires_grad
    bank0 = m.append.weight.clone()
    train.fit(m, X, y, iterations=3, batch_size=8, progress=False)
    assert torch.equal(m.append.weight, bank0)
    plain = P.appended_model("normal", widths=SMALL, seed=0)
    assert type(plain) is CNN and plain.conv1.in_channels == 1


# ------------------------------------------------------------------------------------------- training
def test_train_curve_reproduces_fit_and_records_evaluations():
    X, y = _data(100)
    a = P.variant_model("normal", widths=SMALL, seed=1, dropout=0.5)
    b = P.variant_model("normal", widths=SMALL, seed=1, dropout=0.5)
    train.fit(a, X, y, iterations=9, batch_size=32, seed=4, progress=False)
    out = P.train_curve(b, X, y, iterations=9, batch_size=32, seed=4, progress=False,
                        eval_at=[0, 4, 9], eval_sets={"t": (X, y)}, snapshot=P.conv1_filters)
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k
    assert out["step"] == [0, 4, 9] and len(out["acc"]["t"]) == 3 and len(out["snapshots"]) == 3
    assert np.allclose(np.array(out["snapshots"][-1]), b.conv1.weight.detach().numpy())
    assert out["acc"]["t"][-1] == pytest.approx(train.evaluate(b, X, y)[1])
    with pytest.raises(ValueError, match="eval_at"):
        P.train_curve(b, X, y, iterations=3, eval_at=[5], progress=False)


def test_log_spaced_steps():
    s = P.log_spaced_steps(1000, 6)
    assert s[0] == 10 and s[-1] == 1000 and s == sorted(set(s)) and len(s) == 6
    assert P.log_spaced_steps(5, 4) == [5]


def test_run_variant_caches_and_results_table(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_DATA", str(tmp_path))
    X, y = _data(64)
    kw = dict(train_set=(X, y), eval_sets={"mnist": (X[:32], y[:32])}, iterations=4, widths=SMALL,
              batch_size=16, eval_at=[2, 4], progress=False)
    r1 = P.run_variant("normal", 0, **kw)
    r2 = P.run_variant("normal", 0, **kw)
    assert not r1["loaded"] and r2["loaded"]
    assert r1["acc"] == r2["acc"] and r1["step"] == [2, 4] and len(r1["conv1"]) == 2
    assert torch.equal(r1["model"].conv2.weight.cpu(), r2["model"].conv2.weight.cpu())
    r3 = P.run_variant("normal", 0, kind="appended", **kw)    # the same net: loaded from the cache
    assert r3["loaded"] and r3["kind"] == "frozen"
    r4 = P.run_variant("gaussian", 1, **kw)
    assert r4["conv1"] is None
    df = P.results_table([r1, r4])
    assert list(df["variant"]) == ["normal", "gaussian"] and df["mnist"].between(0, 1).all()


# ------------------------------------------------------------------------------ tables and verdicts
def _df(circle, normal, col="svhn"):
    rows = [{"variant": "circle", "seed": i, col: a} for i, a in enumerate(circle)]
    rows += [{"variant": "normal", "seed": i, col: a} for i, a in enumerate(normal)]
    return pd.DataFrame(rows)


def test_summary_and_verdict():
    df = _df([0.30, 0.31, 0.29], [0.11, 0.12, 0.10])
    t = P.summary_table(df, ["svhn"])
    assert t.loc["circle", "svhn mean %"] == pytest.approx(30.0)
    assert t.loc["circle", "svhn sd"] == pytest.approx(1.0)
    assert t.loc["normal", "paper MNIST->SVHN %"] == pytest.approx(11.0)
    assert "consistent circle advantage" in P.verdict(df, "svhn")
    noisy = _df([0.30, 0.12, 0.20], [0.11, 0.25, 0.15])
    assert "no reliable circle advantage" in P.verdict(noisy, "svhn")
    worse = _df([0.10, 0.11, 0.09], [0.30, 0.31, 0.29])
    assert "consistently worse" in P.verdict(worse, "svhn")
    with pytest.raises(ValueError, match="Need runs"):
        P.verdict(df, "svhn", b="klein")


def test_iterations_to_threshold_and_speedup():
    steps = np.array([10, 20, 50, 100])
    assert P.iterations_to_threshold(steps, [0.2, 0.8, 0.7, 0.9], 0.8) == 20
    assert P.iterations_to_threshold(steps, [0.2, 0.3, 0.4, 0.5], 0.8) is None
    with pytest.raises(ValueError, match="fraction"):
        P.iterations_to_threshold(steps, [0.1] * 4, 80)
    curves = {"circle": (steps, np.array([[0.5, 0.9, 0.95, 0.96], [0.9, 0.92, 0.95, 0.96]])),
              "normal": (steps, np.array([[0.1, 0.5, 0.9, 0.95], [0.1, 0.6, 0.7, 0.91]]))}
    t = P.speedup_table(curves, 0.9)
    assert t.loc["circle", "median iterations"] == 15 and t.loc["normal", "median iterations"] == 75
    assert t.loc["circle", "speed-up vs normal"] == pytest.approx(5.0)
    t = P.speedup_table(curves, 0.955)               # normal never reaches it: a lower bound
    assert t.loc["circle", "speed-up vs normal"] == pytest.approx(100 / 100)
    assert "at least" in t.loc["circle", "bound"]
    t = P.speedup_table(curves, 0.99)
    assert np.isnan(t.loc["circle", "speed-up vs normal"])


def test_threshold_view_headless(capsys):
    steps = np.array([10, 20, 50])
    curves = {"circle": (steps, np.array([[0.5, 0.9, 0.95]])), "normal": (steps, np.array([[0.1, 0.5, 0.9]]))}
    fig = P.threshold_view(curves, 0.9)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert "2.5" in capsys.readouterr().out          # speed-up 50 / 20


# ------------------------------------------------------------------------ topology vs generalization
def test_circle_measures_tell_circle_from_noise():
    circle = P.circle_measures(P.filter_bank("circle", 64).unsqueeze(1))
    noise = P.circle_measures(P.filter_bank("gaussian", 64, seed=0))
    assert circle["circle_score"] >= 3 and circle["circle_energy"] == pytest.approx(1.0, abs=1e-6)
    assert noise["circle_score"] < 3 and noise["circle_energy"] < 0.6
    assert circle["h1_max"] > noise["h1_max"]
    with pytest.raises(ValueError, match="one input channel"):
        P.circle_measures(torch.zeros(4, 2, 3, 3))


def test_population_table_from_records():
    rec = {"variant": "normal", "seed": 0, "weight_decay": 0.0, "step": [5, 10],
           "acc": {"mnist": [0.5, 0.9], "svhn": [0.1, 0.2]},
           "conv1": [P.filter_bank("gaussian", 16).unsqueeze(1).tolist(),
                     P.filter_bank("circle", 16).unsqueeze(1).tolist()]}
    pop = P.population_table([rec], ["mnist", "svhn"])
    assert list(pop["step"]) == [5, 10] and list(pop["svhn"]) == [0.1, 0.2]
    assert pop["circle_energy"].iloc[1] > pop["circle_energy"].iloc[0]
    with pytest.raises(ValueError, match="snapshots=True"):
        P.population_table([dict(rec, conv1=None)], ["mnist"])


def test_rank_correlation():
    rng = np.random.default_rng(0)
    x = np.arange(30.0)
    r = P.rank_correlation(x, x ** 3, n_boot=200)
    assert r.rho == pytest.approx(1.0) and r.lo == pytest.approx(1.0)
    r = P.rank_correlation(rng.normal(size=200), rng.normal(size=200), n_boot=300)
    assert r.lo < 0 < r.hi and abs(r.rho) < 0.2
    z = rng.normal(size=300)                         # x and y related only through z
    x, y = z + 0.3 * rng.normal(size=300), z + 0.3 * rng.normal(size=300)
    plain = P.rank_correlation(x, y, n_boot=200)
    part = P.rank_correlation(x, y, control=z, n_boot=200)
    assert plain.rho > 0.7 and abs(part.rho) < 0.2 and part.partial
    a = rng.normal(size=300)                         # x and y share a part independent of z
    x, y = z + a, z + a + 0.2 * rng.normal(size=300)
    assert P.rank_correlation(x, y, control=z, n_boot=50).rho > 0.85
    groups = np.repeat(np.arange(10), 3)
    xs = rng.normal(size=30)
    r = P.rank_correlation(xs, xs + rng.normal(size=30), groups=groups, n_boot=200)
    assert r.clusters == 10 and "bootstrap over 10 runs" in str(r)
    with pytest.raises(ValueError, match="equal length"):
        P.rank_correlation([1, 2, 3], [1, 2])


def test_other_domain_key():
    class D:
        source = "scikit-learn's real 8x8 handwritten digits (offline stand-in for SVHN)"
    assert P.other_domain_key(D()) == "sk_digits"
    D.source = "torchvision svhn files in data (test split, 26,032 images)"
    assert P.other_domain_key(D()) == "svhn"


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
    assert ex06.q1(P.frozen_conv) and ex06.q1(_good_conv)
    for bad, why in [(_trainable_conv, "requires_grad"), (_unpadded_conv, "padding=1"),
                     (_transposed_conv, "transposed"), (lambda b: None, "nn.Conv2d")]:
        with pytest.raises(ExerciseFailed, match=why):
            ex06.q1(bad)


def test_ex06_q2_accepts_solution_and_rejects_mistakes():
    assert ex06.q2(P.iterations_to_threshold)

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
            ex06.q2(bad)


def test_sustained_threshold():
    steps, acc = [10, 20, 50, 100], [0.2, 0.5, 0.3, 0.6]
    assert P.iterations_to_threshold(steps, acc, 0.5) == 20
    assert P.iterations_to_threshold(steps, acc, 0.5, sustained=True) == 100
    assert P.iterations_to_threshold(steps, [0.6, 0.7, 0.4, 0.45], 0.5, sustained=True) is None
    curves = {"circle": (np.array(steps), np.array([acc])), "normal": (np.array(steps), np.array([acc]))}
    assert P.speedup_table(curves, 0.5, sustained=True).loc["circle", "median iterations"] == 100
