"""Speed of toolkit.ensemble.fit_ensemble against n sequential toolkit.train.fit runs.

    python benchmarks/bench_ensemble.py                        # small CPU default: 8 x M(16,8,16),
                                                               # 20 steps
    python benchmarks/bench_ensemble.py --n 100 --width 64 32 64 --iterations 50 --device cuda
                                                               # GPU

Prints seconds per optimizer step (all n copies) for: n sequential ``fit`` calls, the 'loop'
strategy and the 'vmap' strategy, and the speed-up ratios (sequential time / ensemble time; > 1 =
faster). It also checks that the copies match the sequential fits (max parameter difference). Inputs
are MNIST-shaped random tensors (speed does not depend on the pixel values), so this needs no data.
"""

from __future__ import annotations

import argparse
import time

import torch

from toolkit import config
from toolkit.ensemble import fit_ensemble
from toolkit.models import CNN
from toolkit.train import fit


def _sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8, help="number of copies")
    ap.add_argument("--width", type=int, nargs=3, default=(16, 8, 16), metavar=("A", "B", "C"))
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--samples", type=int, default=2048)
    ap.add_argument("--device", default=None)
    ap.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's)"
    )
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = config.device(args.device)
    g = torch.Generator().manual_seed(0)
    X = torch.randn(args.samples, 1, 28, 28, generator=g).to(dev)
    y = torch.randint(0, 10, (args.samples,), generator=g).to(dev)
    a, b, c = args.width
    make = lambda: CNN(a, b, c)  # noqa: E731
    T, n = args.iterations, args.n
    kw = dict(iterations=T, batch_size=args.batch_size, progress=False, device=dev)

    fit_ensemble(make, min(n, 2), X, y, **{**kw, "iterations": 2})  # warm-up (kernels, allocator)
    _sync(dev)
    t0 = time.perf_counter()
    seq = []
    for i in range(n):
        torch.manual_seed(i)
        m = make()
        fit(m, X, y, seed=i, **kw)
        seq.append(m)
    _sync(dev)
    t_seq = time.perf_counter() - t0
    print(
        f"device={dev}  threads={torch.get_num_threads()}  n={n}  M{tuple(args.width)}  "
        f"iterations={T}  batch={args.batch_size}"
    )
    print(f"  sequential fit : {t_seq / T * 1000:8.1f} ms per step of all {n} copies")
    for strategy in ("loop", "vmap"):
        _sync(dev)
        t0 = time.perf_counter()
        res = fit_ensemble(make, n, X, y, strategy=strategy, **kw)
        _sync(dev)
        t = time.perf_counter() - t0
        diff = max(
            (p - q).abs().max().item()
            for m, r in zip(seq, res.models)
            for p, q in zip(m.parameters(), r.parameters())
        )
        print(
            f"  ensemble {strategy:5s}: {t / T * 1000:8.1f} ms per step   speed-up "
            f"x{t_seq / t:5.2f}   "
            f"max |weight difference| vs sequential {diff:.1e}"
        )


if __name__ == "__main__":
    main()
