"""The named networks of the course, trained on first use and loaded from checkpoints afterwards.

``NETS`` lists them (mlp100, mlp100_reg, mlp1024, mlp1024_reg: Alessi's MLPs, docs/REFERENCES.md
section 2; net_A, net_B, net_C: width ``abc_hidden`` on digits 0-4, 5-9, all; cnn: M(a, b, c) of
Gabrielsson & Carlsson, docs/REFERENCES.md section 3); :func:`spec` gives each one's full training
settings. Nets of one seed and one architecture start from the same initial weights (built inside
``config.seeded(seed)``): net_A, net_B and net_C of seed 0 differ only by their training data.
``get(name, seed=0)`` returns ``(model, info)`` (history, test accuracy, data source, checkpoint
path); the checkpoint is named ``checkpoints.net_name(name.lower(), seed)``, e.g. "net_a-seed0".
Sizes (epochs, training set size) come from ``config.sizes()``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import torch

from . import checkpoints, config, data
from .models import CNN, MLP
from .train import evaluate, fit

__all__ = ["NETS", "description", "get", "mnist_train", "mnist_test", "spec", "fingerprint"]

NETS = {
    "mlp100": "MLP 784-100-10, not regularized",
    "mlp100_reg": "MLP 784-100-10, Adam weight decay 1e-3",
    "mlp1024": "MLP 784-1024-10, not regularized",
    "mlp1024_reg": "MLP 784-1024-10, Adam weight decay 1e-3",
    "net_A": "MLP trained on digits 0-4 (task alpha)",
    "net_B": "MLP trained on digits 5-9 (task beta)",
    "net_C": "MLP trained on all digits (task alpha+beta)",
    "cnn": "CNN M(a,b,c) of Gabrielsson & Carlsson (width cnn_width of the size mode)",
}
_CLASSES = {"net_A": list(range(5)), "net_B": list(range(5, 10))}


@lru_cache(maxsize=4)
def _mnist(split: str, n, mode: str, data_dir: str):
    return data.load("mnist", split, n=n, device="cpu")


def mnist_train():
    """The course's MNIST training set (size ``mnist_train_n``; all available when None), on the
    CPU."""
    return _mnist("train", config.size("mnist_train_n"), config.mode(), str(config.data_dir()))


def mnist_test():
    """The course's MNIST test set (size ``mnist_test_n``; all available when None), on the CPU."""
    return _mnist("test", config.size("mnist_test_n"), config.mode(), str(config.data_dir()))


def fingerprint(ds) -> str:
    """A short content hash of a Dataset (labels + images), so checkpoints are tied to their
    data."""
    h = hashlib.sha1(ds.y.cpu().numpy().tobytes())
    h.update((ds.X.cpu().float() * 1000).round().to(torch.int32).numpy().tobytes())
    return h.hexdigest()[:12]


def spec(name: str, seed: int = 0) -> dict:
    """The full training config of a named net in the current size mode (what the checkpoint
    hashes)."""
    if name not in NETS:
        raise KeyError(f"No course net named {name!r}. Known: {', '.join(NETS)}.")
    S = config.sizes()
    if name.startswith("mlp"):
        return dict(
            arch="MLP",
            hidden=100 if name.startswith("mlp100") else 1024,
            epochs=S.mlp_epochs,
            batch_size=S.mlp_batch_size,
            lr=S.mlp_lr,
            weight_decay=1e-3 if name.endswith("_reg") else 0.0,
            classes=None,
            seed=seed,
        )
    if name.startswith("net_"):
        return dict(
            arch="MLP",
            hidden=S.abc_hidden,
            epochs=S.abc_epochs,
            batch_size=64,
            lr=1e-3,
            weight_decay=0.0,
            classes=_CLASSES.get(name),
            seed=seed,
        )
    return dict(
        arch="CNN",
        width=list(S.cnn_width),
        dropout=0.5,
        epochs=S.cnn_epochs,
        batch_size=128,
        lr=1e-3,
        weight_decay=0.0,
        classes=None,
        seed=seed,
    )


def description(name: str) -> str:
    """One line saying what the named net is, with the sizes of the current mode (the CNN's
    width)."""
    if name not in NETS:
        raise KeyError(f"unknown net {name!r}; the course nets are: {', '.join(NETS)}")
    return (
        "CNN M({},{},{}), Gabrielsson & Carlsson".format(*spec(name)["width"])
        if name == "cnn"
        else NETS[name]
    )


def get(name: str, seed: int = 0, *, retrain: bool = False, progress: bool = True, device=None):
    """Train-or-load a named course net. Returns ``(model, info)``.

    ``info``: "history" (per-epoch lists), "test_acc" (on the test digits of the classes it was
    trained on), "test_acc_all" (on all test digits; both stored with the hash-verified checkpoint),
    "config", "data_source", "description", "path", "loaded".
    """
    cfg = spec(name, seed)
    train_ds, test_ds = mnist_train(), mnist_test()
    cfg["data"] = {"train": fingerprint(train_ds), "test": fingerprint(test_ds)}
    tr, te = train_ds, test_ds
    if cfg["classes"] is not None:
        tr, te = (
            ds.subset(torch.isin(ds.y, torch.tensor(cfg["classes"])).nonzero().flatten())
            for ds in (tr, te)
        )

    def make():
        with config.seeded(seed):
            return (
                MLP(cfg["hidden"])
                if cfg["arch"] == "MLP"
                else CNN(*cfg["width"], dropout=cfg["dropout"])
            )

    def train(model):
        hist = fit(
            model,
            tr.X,
            tr.y,
            epochs=cfg["epochs"],
            batch_size=cfg["batch_size"],
            lr=cfg["lr"],
            weight_decay=cfg["weight_decay"],
            seed=seed,
            device=device,
            progress=progress,
            X_val=te.X,
            y_val=te.y,
        )
        # final accuracies, stored with the checkpoint so that loading does not re-evaluate
        hist["test_acc"] = hist["val_acc"][-1]
        hist["test_acc_all"] = (
            hist["test_acc"] if cfg["classes"] is None else evaluate(model, test_ds.X, test_ds.y)[1]
        )
        return hist

    model, info = checkpoints.train_or_load(
        checkpoints.net_name(name.lower(), seed), cfg, make, train, retrain=retrain, device=device
    )
    info["test_acc"], info["test_acc_all"] = (
        info["history"]["test_acc"],
        info["history"]["test_acc_all"],
    )
    info["data_source"] = {"train": train_ds.source, "test": test_ds.source}
    info["description"] = description(name)
    return model, info
