"""Test defaults: fast sizes, offline data, strict exercise checks, a test data folder, 1 thread."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TOOLKIT_FAST", "1")
os.environ.setdefault("TOOLKIT_OFFLINE", "1")
os.environ.setdefault("TOOLKIT_STRICT_CHECKS", "1")
os.environ.setdefault("TOOLKIT_DATA", str(ROOT / "build" / "test-data"))
os.environ.setdefault("TOOLKIT_BUILD", str(ROOT / "build" / "test-build"))
os.environ.setdefault("MPLBACKEND", "Agg")

import torch  # noqa: E402

torch.set_num_threads(1)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def kernel_ipc_ip(tmp_path_factory) -> str:
    """The socket path prefix for test kernels (absolute and short: a kernel's working folder
    differs).

    Test kernels talk over IPC sockets, not TCP: kernels that other test workers (nbgrader, nbval)
    start at the same moment can race for one free TCP port, and the client then waits out its whole
    timeout for a lost reply (seen: 616 s for one notebook). Unix only; an instructor's own setup
    keeps jupyter's default."""
    return str(tmp_path_factory.mktemp("k") / "ipc")
