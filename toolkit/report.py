"""Key results of a notebook, collected by ``make course`` into one table.

At the end of a notebook: ``report.key_results("01_train", {"mlp100 test acc": 0.97, ...})``. It shows the
numbers and, when $TOOLKIT_RESULTS is set (the course runner sets it), writes them to
``$TOOLKIT_RESULTS/<notebook>.json``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path


def _plain(v):
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        return round(v, 4)
    return v if isinstance(v, (int, str, bool)) or v is None else str(v)


def key_results(notebook: str, results: dict):
    """Record {name: number or short text}; returns a pandas DataFrame for display."""
    import pandas as pd

    clean = {str(k): _plain(v) for k, v in results.items()}
    folder = os.environ.get("TOOLKIT_RESULTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{notebook}.json").write_text(json.dumps(clean, indent=1))
    return pd.DataFrame({"value": clean}).rename_axis(f"key results of {notebook}")
