"""A longer run than class allows: train an ensemble of M(a, b, c) on MNIST for longer, keep conv1.

Notebook 05's section "A longer run" reads the output: a small committed file
(``docs/data/long_filters.npz``) with conv1 weights of every net at a few steps and its provenance
(command, commit, data source, seconds).

Each net is trained exactly as ``ensemble.fit_ensemble(strategy="loop")`` trains copy i (model built
under ``config.seeded(seed + i)``, ``train.fit(..., seed=seed + i)``), one net at a time; after each
net its conv1 snapshots are written to a state folder (default ``build/long-filters``), so an
interrupted run resumes at the next net (``make long-filters`` again). ``--minutes`` stops starting
new nets after that many minutes and writes what is done (the provenance says how many nets were
trained). Usage::

    nice -n 19 python tools/long_filters.py --nets 24 --steps 3000 --minutes 60
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--nets", type=int, default=24, help="number of nets (seeds seed .. seed + nets - 1)"
    )
    ap.add_argument("--steps", type=int, default=3000, help="Adam steps per net, batch 128")
    ap.add_argument(
        "--width", type=int, nargs=3, default=(32, 16, 32), help="M(a, b, c) (classroom: 32 16 32)"
    )
    ap.add_argument("--lr", type=float, default=5e-3, help="Adam learning rate (classroom: 5e-3)")
    ap.add_argument(
        "--snapshots",
        type=int,
        default=6,
        help="conv1 snapshots per net, evenly spaced, incl. 0 and the end",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--minutes", type=float, default=60.0, help="start no new net after this many minutes"
    )
    ap.add_argument(
        "--state", default=str(ROOT / "build" / "long-filters"), help="resumable per-net state"
    )
    ap.add_argument("--out", default=str(ROOT / "docs" / "data" / "long_filters.npz"))
    args = ap.parse_args(argv)

    import torch

    from toolkit import config, data, models, train

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    a, b, c = args.width
    steps = sorted({int(round(s)) for s in np.linspace(0, args.steps, args.snapshots)})
    ds = data.load("mnist", "train", device="cpu")
    test = data.load("mnist", "test", device="cpu")
    cfg = {
        "width": [a, b, c],
        "steps": args.steps,
        "lr": args.lr,
        "seed": args.seed,
        "snap": steps,
        "data": ds.source,
        "n_train": len(ds),
    }
    key = hashlib.sha1(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:10]
    state = Path(args.state) / key
    state.mkdir(parents=True, exist_ok=True)
    (state / "config.json").write_text(json.dumps(cfg, indent=1))
    print(
        f"{args.nets} nets M{a, b, c} x {args.steps} steps, lr {args.lr}; data: {ds.source} "
        f"({len(ds)} images)"
    )
    print(f"state: {state}", flush=True)
    t_start = time.perf_counter()
    for i in range(args.nets):
        f = state / f"net{i:03d}.npz"
        if f.exists():
            continue
        if (time.perf_counter() - t_start) / 60 > args.minutes:
            print(f"time limit ({args.minutes} min) reached: stopping before net {i}", flush=True)
            break
        seed = args.seed + i
        with config.seeded(seed):
            m = models.CNN(a, b, c)
        snaps = {}

        def on_step(step, model):
            if step in steps:
                snaps[step] = model.conv1.weight.detach().cpu().numpy().copy()  # noqa: B023

        t0 = time.perf_counter()
        train.fit(
            m,
            ds.X,
            ds.y,
            iterations=args.steps,
            batch_size=128,
            lr=args.lr,
            seed=seed,
            device="cpu",
            progress=False,
            on_step=on_step,
        )
        sec = time.perf_counter() - t0
        acc = float(train.evaluate(m, test.X, test.y)[1])
        tmp = f.with_suffix(".tmp.npz")
        np.savez(
            tmp, conv1=np.stack([snaps[s] for s in steps]).astype(np.float32), seconds=sec, acc=acc
        )
        tmp.replace(f)
        print(f"net {i}: {sec:.0f} s, test accuracy {acc:.4f}", flush=True)

    done = sorted(state.glob("net[0-9][0-9][0-9].npz"))
    if not done:
        print("no net finished; nothing written")
        return 1
    nets = [np.load(p) for p in done]
    conv1 = np.stack([n["conv1"] for n in nets], 1)  # (snapshots, nets, a, 1, 3, 3)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = "unknown"
    prov = {
        "command": "python tools/long_filters.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "commit": commit,
        "data": ds.source,
        "n_train_images": len(ds),
        "test": test.source,
        "nets_requested": args.nets,
        "nets_trained": len(done),
        "steps": args.steps,
        "width": [a, b, c],
        "lr": args.lr,
        "batch_size": 128,
        "seed": args.seed,
        "snapshot_steps": steps,
        "seconds_per_net": [float(n["seconds"]) for n in nets],
        "seconds_total": float(sum(float(n["seconds"]) for n in nets)),
        "test_accuracy": [float(n["acc"]) for n in nets],
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s), nice",
        "written": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, conv1=conv1, steps=np.array(steps), provenance=json.dumps(prov))
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB): conv1 {conv1.shape}, {len(done)} nets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
