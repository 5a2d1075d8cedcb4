"""The named networks of the course, trained on first use and loaded from checkpoints afterwards.

=============  ===========================================================================================
name           what
=============  ===========================================================================================
mlp100         MLP 784-100-10, Adam lr 0.01, batch 64 (Alessi's settings, docs/REFERENCES.md section 2)
mlp100_reg     the same with Adam weight decay 1e-3 ("regularized")
mlp1024        MLP 784-1024-10
mlp1024_reg    the same, regularized
net_A          MLP of width ``abc_hidden`` trained on digits 0-4 only (task alpha)
net_B          the same on digits 5-9 (task beta)
net_C          the same on all digits (task alpha + beta)
cnn            M(64, 32, 64) of Gabrielsson & Carlsson (width ``cnn_width``), Adam 1e-3, batch 128,
               dropout 0.5 after FC1 (the public reproduction's settings)
=============  ===========================================================================================

Nets of one seed and one architecture start from the same initial weights (``torch.manual_seed(seed)``
before building, inside ``config.seeded`` so the caller's random state is left as it was): net_A, net_B
and net_C of seed 0 differ only by their training data. Notebook 02 shows why that matters when comparing
weights, and compares across seeds.

``get(name, seed=0)`` returns ``(model, info)``; ``info`` holds the training history, test accuracy,
the data source and the checkpoint path. Sizes (epochs, training set size) come from ``config.sizes()``.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import torch

from . import checkpoints, config, data
from .models import CNN, MLP
from .train import evaluate, fit

__all__ = ["NETS", "description", "get", "mnist_train", "mnist_test", "spec", "summary"]

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
    """The course's MNIST training set (size ``mnist_train_n``; all available when None), on the CPU."""
    return _mnist("train", config.size("mnist_train_n"), config.mode(), str(config.data_dir()))


def mnist_test():
    """The course's MNIST test set (size ``mnist_test_n``; all available when None), on the CPU."""
    return _mnist("test", config.size("mnist_test_n"), config.mode(), str(config.data_dir()))


def fingerprint(ds) -> str:
    """A short content hash of a Dataset (labels + images), so checkpoints are tied to their data."""
    h = hashlib.sha1()
    h.update(ds.y.cpu().numpy().tobytes())
    h.update((ds.X.cpu().float() * 1000).round().to(torch.int32).numpy().tobytes())
    return h.hexdigest()[:12]


def spec(name: str, seed: int = 0) -> dict:
    """The full training config of a named net in the current size mode (what the checkpoint hashes)."""
    if name not in NETS:
        raise KeyError(f"No course net named {name!r}. Known: {', '.join(NETS)}.")
    S = config.sizes()
    if name.startswith("mlp"):
        hidden = 100 if name.startswith("mlp100") else 1024
        return dict(arch="MLP", hidden=hidden, epochs=S.mlp_epochs, batch_size=S.mlp_batch_size,
                    lr=S.mlp_lr, weight_decay=1e-3 if name.endswith("_reg") else 0.0, classes=None,
                    seed=seed)
    if name.startswith("net_"):
        return dict(arch="MLP", hidden=S.abc_hidden, epochs=S.abc_epochs, batch_size=64, lr=1e-3,
                    weight_decay=0.0, classes=_CLASSES.get(name), seed=seed)
    a, b, c = S.cnn_width
    return dict(arch="CNN", width=[a, b, c], dropout=0.5, epochs=S.cnn_epochs, batch_size=128,
                lr=1e-3, weight_decay=0.0, classes=None, seed=seed)


def _build(cfg: dict):
    if cfg["arch"] == "MLP":
        return MLP(cfg["hidden"])
    return CNN(*cfg["width"], dropout=cfg["dropout"])


def description(name: str) -> str:
    """One line saying what the named net is, with the sizes of the current mode (the CNN's width)."""
    if name not in NETS:
        raise KeyError(f"unknown net {name!r}; the course nets are: {', '.join(NETS)}")
    if name == "cnn":
        a, b, c = spec(name)["width"]
        return f"CNN M({a},{b},{c}), Gabrielsson & Carlsson"
    return NETS[name]


def _subset(ds, classes):
    if classes is None:
        return ds
    return ds.subset(torch.isin(ds.y, torch.tensor(classes)).nonzero().flatten())


def get(name: str, seed: int = 0, *, retrain: bool = False, progress: bool = True, device=None):
    """Train-or-load a named course net. Returns ``(model, info)``.

    ``info``: "history" (per-epoch lists), "test_acc" (on the test digits of the classes it was
    trained on), "test_acc_all" (on all test digits), "acc_source" (stored with a hash-verified
    checkpoint, or evaluated from the loaded weights), "config", "data_source", "path", "loaded".
    """
    cfg = spec(name, seed)
    train_ds, test_ds = mnist_train(), mnist_test()
    cfg["data"] = {"train": fingerprint(train_ds), "test": fingerprint(test_ds)}
    tr, te = _subset(train_ds, cfg["classes"]), _subset(test_ds, cfg["classes"])

    def make():
        with config.seeded(seed):  # the init of torch.manual_seed(seed); the caller's random state is kept
            return _build(cfg)

    def train(model):
        hist = fit(model, tr.X, tr.y, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                   weight_decay=cfg["weight_decay"], seed=seed, device=device, progress=progress,
                   X_val=te.X, y_val=te.y)
        # final accuracies, stored with the checkpoint so that loading does not re-evaluate
        hist["test_acc"] = hist["val_acc"][-1]
        hist["test_acc_all"] = (hist["test_acc"] if cfg["classes"] is None
                                else evaluate(model, test_ds.X, test_ds.y)[1])
        return hist

    model, record = checkpoints.train_or_load(f"{name}-seed{seed}", cfg, make, train, retrain=retrain,
                                              device=device)
    info = dict(record)
    h = info["history"]
    # A checkpoint stores its final accuracies; they are used only when the loaded weights match the hash
    # recorded with them (record["verified"]). An older checkpoint (no hash, or no stored accuracies) is
    # evaluated from its weights now.
    trusted = bool(info.get("verified"))
    info["test_acc"] = (h["test_acc"] if trusted and "test_acc" in h
                        else evaluate(model, te.X, te.y)[1])
    info["test_acc_all"] = (h["test_acc_all"] if trusted and "test_acc_all" in h
                            else evaluate(model, test_ds.X, test_ds.y)[1])
    info["acc_source"] = ("stored with the checkpoint, weights verified by hash"
                          if trusted and "test_acc" in h else "evaluated from the loaded weights")
    info["data_source"] = {"train": train_ds.source, "test": test_ds.source}
    info["description"] = description(name)
    return model, info


def summary(names=None, seed: int = 0):
    """A pandas DataFrame: one row per named net with its size, test accuracy and training time."""
    import pandas as pd

    rows = []
    for n in names or NETS:
        model, info = get(n, seed, progress=False)
        h = info["history"]
        rows.append({"net": n, "what": description(n), "parameters": sum(p.numel() for p in model.parameters()),
                     "epochs": len(h["loss"]), "train_acc": h["acc"][-1],
                     "test_acc": info["test_acc"], "test_acc_all_digits": info["test_acc_all"],
                     "train_seconds": info.get("train_seconds")})
    return pd.DataFrame(rows).set_index("net")
