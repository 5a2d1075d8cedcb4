"""The course's settings: experiment sizes, folders, offline mode, device and seeding.

Environment variables (read at call time, so a notebook or test may change them):
``TOOLKIT_FAST=1`` smoke sizes for tests and CI (wins over ``TOOLKIT_SIZE=fast|classroom|paper``,
default classroom; paper is meant for a GPU); ``TOOLKIT_DATA`` the data folder (default
``<repo>/data``, ``/content/data`` on Colab, else ``./data``; checkpoints in
``<data>/checkpoints``); ``TOOLKIT_OFFLINE=1`` never touch the network;
``TOOLKIT_DEVICE=cpu|cuda|mps`` force a device (default cuda > mps > cpu);
``TOOLKIT_STRICT_CHECKS=1`` exercise checkers raise on a wrong answer. The on/off variables accept
1/0, true/false, yes/no, on/off in any case (empty = off); anything else raises ValueError.
"""

from __future__ import annotations

import os
import random
from collections import namedtuple
import sys
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

MODES = ("fast", "classroom", "paper")
_mode_override: str | None = None


Size = namedtuple(
    "Size", "fast classroom paper"
)  # one experiment size in the three modes: getattr(size, mode)


# SIZES: every experiment size of the course, read through ``sizes()``; one section per notebook.
SIZES: dict[str, Size] = {
    # --- 01_train: the MLPs of Alessi's study, the A/B/C nets, one CNN ---
    "mnist_train_n": Size(2000, None, None),  # None = every training image available
    "mnist_test_n": Size(1000, None, None),
    "mlp_epochs": Size(2, 10, 10),  # docs/REFERENCES.md 2: Adam lr 0.01, batch 64, 10 epochs
    "mlp_batch_size": Size(64, 64, 64),
    "mlp_lr": Size(0.01, 0.01, 0.01),
    "abc_hidden": Size(32, 100, 100),  # hidden width of the heatmap nets A, B, C
    "abc_epochs": Size(2, 10, 10),
    "cnn_epochs": Size(3, 3, 10),
    "cnn_width": Size((32, 16, 32), (64, 32, 64), (64, 32, 64)),  # fast (16,8,16) stayed at chance
    # --- 02_heatmaps ---
    "heatmap_seeds": Size(3, 10, 20),  # independent rows (target seeds) per group of the merge test
    # (issue #21: >= 10 seeds where MLPs train in seconds)
    "heatmap_perms": Size(200, 1000, 10000),  # permutations of the selectivity test
    "heatmap_pair_train_n": Size(
        1000, 4000, None
    ),  # training images per data set of the cross-data-set pair
    "heatmap_feature_nets": Size(
        8, 40, 100
    ),  # MLPs with varied settings whose heatmap features predict accuracy
    "heatmap_feature_shuffles": Size(
        20, 200, 1000
    ),  # shuffled-accuracy refits (control of the held-out check)
    # --- 03_activation_clustering ---
    "ac_points": Size(
        600, 5000, 10000
    ),  # test images clustered, at most (offline: the 1,000 test digits)
    "ac_compare_points": Size(400, 2000, 10000),  # images per net in the 4-net x methods comparison
    "ac_compare_methods": Size(
        ("kmeans", "tsne"), ("kmeans", "tsne", "umap"), ("kmeans", "tsne", "umap", "mapper")
    ),
    # ablation and across-seed comparison: independently trained nets (seeds 0..n-1) per
    # architecture
    "ac_ablation_nets": Size(
        ("mlp100",), ("mlp100", "mlp1024"), ("mlp100", "mlp100_reg", "mlp1024", "mlp1024_reg")
    ),
    "ac_ablation_seeds": Size(
        4, 10, 20
    ),  # the intervals are over these seeds (>= 4: two disjoint seed
    # pairs for the across-seed overlap; classroom >= 10, issue #21)
    "ac_ablation_ks": Size((5, 20), (5, 20), (5, 20, 50)),  # neurons silenced per cluster
    "ac_ablation_draws": Size(5, 20, 50),  # random k-sets per cluster (the random control)
    # --- 04_mapper ---
    "mapper_nets": Size(
        ("mlp100", "mlp100_reg"), ("mlp100", "mlp100_reg"), ("mlp1024", "mlp1024_reg")
    ),  # not regularized vs weight decay 1e-3
    "mapper_tsne_points": Size(200, 1000, 10000),  # points for the t-SNE-lens demo (slow)
    "mapper_seeds": Size(
        3, 10, 10
    ),  # independently trained mlp100 per comparison (t-interval over seeds)
    "mapper_grid_resolutions": Size((4, 8, 15), (5, 10, 15, 20, 30), (5, 10, 15, 20, 30, 40)),
    "mapper_grid_gains": Size(
        (0.2, 0.5), (0.1, 0.2, 0.3, 0.4, 0.5, 0.67), (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.67, 0.75)
    ),
    # --- 05_filter_topology ---
    # the ensemble whose conv1 filters form the primary circle (paper: 100 nets M(64,32,64), 40,000
    # steps, Adam; classroom: what a 2-core CPU trains in under 5 minutes, chosen in
    # docs/FILTER_RECIPE.md)
    "filter_models": Size(4, 12, 100),  # docs/FILTER_RECIPE.md: 12 x 500 steps fit 5 min on 2 cores
    "filter_width": Size((16, 8, 16), (32, 16, 32), (64, 32, 64)),
    "filter_iterations": Size(60, 500, 40000),  # Adam steps per net, batch 128
    "filter_lr": Size(5e-3, 5e-3, 1e-3),  # Adam learning rate (public reproduction: 1e-3)
    "filter_snapshot_every": Size(20, 100, 2000),  # keep conv1/conv2 weights every so many steps
    "filter_train_n": Size(2000, None, None),  # MNIST training images (None = all available)
    "filter_k": Size(8, 12, 200),  # density filtration X(k, p) of conv1 (k ~ 3% of N)
    "filter_p": Size(0.3, 0.3, 0.3),  # headline p (paper reproductions: k=200, p=0.3)
    "filter_groups": Size(2, 4, 10),  # disjoint groups of nets: interval of the trend
    "filter_evidence_ks": Size((4, 8, 16), (5, 15, 50, 100), (50, 100, 200, 400)),  # the (k, p) map
    "filter_evidence_ps": Size((0.3, 0.6), (0.1, 0.2, 0.3, 0.5), (0.1, 0.2, 0.3, 0.5)),
    "filter_conv2_k": Size(8, 10, 10),  # X(k, p) of conv2 (reproductions: 10, 0.1)
    "filter_conv2_p": Size(0.2, 0.1, 0.1),
    "filter_landmarks": Size(60, 200, 400),  # maxmin landmarks for persistence / circle evidence
    "filter_mapper_resolution": Size(
        8, 10, 30
    ),  # Mapper on X(k, p): PCA(2) lens, gain 3 (paper: 30)
    "patch_per_image": Size(500, 5000, 5000),  # natural-image 3x3 patches per photograph
    "patch_k": Size(15, 300, 300),  # X(300, 30) of Carlsson et al. 2008: primary circle
    "patch_k_small": Size(5, 15, 15),  # X(15, 30): the three-circle model
    "patch_p": Size(0.3, 0.3, 0.3),
    # --- 06_circle_pretraining ---
    # M(a, b, c) of the variants; a = number of fixed first-layer filters (Klein: an n1 x n2 grid,
    # n1, n2 >= 2)
    "pretrain_widths": Size((16, 8, 16), (32, 16, 32), (64, 32, 64)),
    "pretrain_train_n": Size(1000, None, None),  # MNIST training images (None = all)
    "pretrain_val_n": Size(200, 500, 2000),  # of those, held out: the curve and stop set
    "pretrain_test_n": Size(
        200, 2000, None
    ),  # MNIST test images evaluated at the stop (None = all)
    "pretrain_other_n": Size(200, 1000, None),  # other-domain test digits evaluated at the stop
    "pretrain_other_train_n": Size(
        600, None, None
    ),  # other-domain training images (faster-learning test there)
    "pretrain_seeds": Size(2, 8, 10),  # seeds per variant (t-intervals over seeds)
    "pretrain_lr": Size(3e-3, 1e-3, 1e-3),  # Adam, batch 128 (public reproduction: 1e-3)
    "pretrain_target": Size(0.5, 0.9, 0.98),  # held-out MNIST accuracy every net is trained to
    "pretrain_max_iterations": Size(
        60, 600, 10000
    ),  # cap: a run not at the target by then is censored
    "pretrain_eval_every": Size(5, 5, 5),  # evaluate every so many steps (steps to threshold)
    # accuracy on the other domain's held-out training digits for the faster-learning test there
    "pretrain_other_target": Size(
        {"svhn": 0.3, "sk_digits": 0.5},
        {"svhn": 0.5, "sk_digits": 0.8},
        {"svhn": 0.8, "sk_digits": 0.9},
    ),
    "pretrain_other_max_iterations": Size(60, 400, 10000),
}


def env_flag(name: str) -> bool:
    """The on/off environment variable ``name`` (1/true/yes/on or 0/false/no/off, any case; empty =
    off)."""
    v = os.environ.get(name, "").strip().lower()
    if v not in ("", "0", "false", "no", "off", "1", "true", "yes", "on"):
        raise ValueError(
            f"The environment variable {name}={os.environ[name]!r} is not an on/off value; set it "
            f"to one of 1/0, true/false, yes/no, on/off (or unset it)."
        )
    return v in ("1", "true", "yes", "on")


def mode() -> str:
    """The size mode in force: set_mode's, else 'fast' with $TOOLKIT_FAST, else $TOOLKIT_SIZE
    (default classroom)."""
    m = _mode_override or (
        "fast"
        if env_flag("TOOLKIT_FAST")
        else os.environ.get("TOOLKIT_SIZE", "").strip().lower() or "classroom"
    )
    if m not in MODES:
        raise ValueError(f"TOOLKIT_SIZE={m!r} is not a size mode; use one of {MODES}.")
    return m


def set_mode(m: str | None) -> None:
    """Force a size mode for this Python process (``None`` returns to the environment's choice)."""
    global _mode_override
    if m is not None and m not in MODES:
        raise ValueError(f"{m!r} is not a size mode; use one of {MODES}.")
    _mode_override = m


def size(name: str, m: str | None = None):
    """The value of one size entry in the current (or given) mode."""
    if name not in SIZES:
        raise KeyError(f"No size named {name!r}. Known sizes: {', '.join(sorted(SIZES))}.")
    return getattr(SIZES[name], m or mode())


def sizes(m: str | None = None) -> SimpleNamespace:
    """All sizes of the current (or given) mode as attributes: ``S = sizes(); S.mlp_epochs``."""
    m = m or mode()
    return SimpleNamespace(mode=m, **{k: getattr(v, m) for k, v in SIZES.items()})


def _folder(p: Path) -> Path:
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OSError(
            e.errno,
            f"Cannot create the folder {p} ({e.strerror or e}). Set TOOLKIT_DATA to a "
            f"folder you can write, e.g. `%env TOOLKIT_DATA=/tmp/data`.",
        ) from e
    return p


def _home() -> Path:
    """The checkout this package lives in, else (installed from a wheel) the working folder."""
    root = Path(__file__).resolve().parent.parent
    return (
        root if (root / "pyproject.toml").exists() and (root / "toolkit").is_dir() else Path.cwd()
    )


def data_dir() -> Path:
    """The data folder (created on demand): $TOOLKIT_DATA, /content/data on Colab, else <repo or
    cwd>/data."""
    if os.environ.get("TOOLKIT_DATA"):
        return _folder(Path(os.environ["TOOLKIT_DATA"]).expanduser())
    colab = "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ
    return _folder(Path("/content/data") if colab else _home() / "data")


def checkpoint_dir() -> Path:
    return _folder(data_dir() / "checkpoints")


def build_dir() -> Path:
    """Where notebooks write exported artefacts (HTML, figures): $TOOLKIT_BUILD or <repo or
    cwd>/build."""
    env = os.environ.get("TOOLKIT_BUILD")
    return _folder(Path(env) if env else _home() / "build")


def offline() -> bool:
    """True when $TOOLKIT_OFFLINE is on: never touch the network."""
    return env_flag("TOOLKIT_OFFLINE")


def strict_checks() -> bool:
    """True when $TOOLKIT_STRICT_CHECKS is on: exercise checkers raise on a wrong answer."""
    return env_flag("TOOLKIT_STRICT_CHECKS")


def device(prefer=None):
    """The torch device: ``prefer`` (str or torch.device) or $TOOLKIT_DEVICE if given, else cuda >
    mps > cpu."""
    import torch

    want = prefer or os.environ.get("TOOLKIT_DEVICE")
    if not want:
        mps = getattr(torch.backends, "mps", None)
        want = (
            "cuda"
            if torch.cuda.is_available()
            else "mps"
            if mps is not None and mps.is_available()
            else "cpu"
        )
    try:
        dev = torch.device(want)
    except (RuntimeError, TypeError) as e:
        arg = "device" if prefer else "TOOLKIT_DEVICE"
        raise ValueError(
            f"{arg}={want!r} is not a torch device; use 'cpu', 'cuda', 'cuda:0' or 'mps'."
        ) from e
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("A CUDA device was asked for but torch sees none; use device='cpu'.")
    return dev


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


@contextmanager
def seeded(seed: int = 0):
    """Run a block seeded as by :func:`seed_everything`, then put the global Python, NumPy and torch
    (CUDA too) random states back: ``with seeded(0): m = MLP(100)`` builds what
    ``seed_everything(0); MLP(100)`` builds, and the caller's later random numbers are unchanged."""
    import numpy as np
    import torch

    from .arrays import as_count

    seed = as_count(seed, "seed", minimum=0)
    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(
        devices=list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    ):
        try:
            seed_everything(seed)
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


def widget_warning() -> str | None:
    """A sentence if the installed ipywidgets will not display here, else None (JupyterLab 4 renders
    only ipywidgets 8; Colab renders its own 7.7)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = None if "google.colab" in sys.modules else version("ipywidgets")
    except PackageNotFoundError:
        return (
            "ipywidgets is not installed: the interactive demos need it (pip install "
            "'ipywidgets>=8')."
        )
    if v is not None and int(v.split(".")[0]) < 8:
        return (
            f"ipywidgets {v} is installed; JupyterLab 4 displays widgets only with ipywidgets 8: "
            "run `%pip install -U 'ipywidgets>=8'`, then restart the kernel."
        )
    return None


def describe() -> str:
    """One line with mode, device, data folder and offline flag (every setup cell prints it), plus a
    warning line when the installed ipywidgets cannot be displayed here."""
    warning = widget_warning()
    return (
        f"toolkit: sizes={mode()}  device={device()}  data={data_dir()}  "
        f"offline={'yes' if offline() else 'no'}" + (f"\nwarning: {warning}" if warning else "")
    )
