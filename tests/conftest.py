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
