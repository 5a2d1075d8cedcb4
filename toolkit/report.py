"""Key results of a notebook, collected by ``make course`` into one table.

At the end of a notebook: ``report.key_results("01_train", {"mlp100 test acc": 0.97, ...})`` shows
the numbers and, when $TOOLKIT_RESULTS is set (the course runner sets it), writes
``$TOOLKIT_RESULTS/<notebook>.json``.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path


def _plain(v):
    v = v.item() if hasattr(v, "item") else v
    if isinstance(
        v, float
    ):  # 4 decimals, or 4 significant digits where those would read 0.0 (p = 4e-5)
        return round(v, max(4, 3 - math.floor(math.log10(abs(v))))) if math.isfinite(v) and v else v
    return v if isinstance(v, (int, str, bool)) or v is None else str(v)


def key_results(notebook: str, results: dict):
    """Record {name: number or short text} (floats rounded to 4 digits); returns a pandas DataFrame.

    ``notebook`` is a plain file-name stem such as "01_train" (letters, digits, ``_ -``; no folders,
    no extension: the course runner reads ``<stem>.json``), so the file written is always inside
    $TOOLKIT_RESULTS. Names are text and must be distinct as text ({1: .5, "1": .7} is refused, not
    merged).
    """
    import pandas as pd

    if not isinstance(notebook, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", notebook):
        raise ValueError(
            f"notebook must be the notebook's file-name stem such as '01_train' (letters, "
            f"digits, '_', '-'; no folders, no '.ipynb'), got {notebook!r}."
        )
    if not isinstance(results, dict):
        raise TypeError(
            f"results must be a dict {{name: number or short text}}, got {type(results).__name__}."
        )
    clean = {str(k): _plain(v) for k, v in results.items()}
    if len(clean) < len(results):
        keys = [k for k in results if [str(j) for j in results].count(str(k)) > 1]
        raise ValueError(f"results has names that read the same as text: {keys!r}; rename them.")
    if os.environ.get("TOOLKIT_RESULTS"):
        folder = Path(os.environ["TOOLKIT_RESULTS"]).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{notebook}.json").write_text(json.dumps(clean, indent=1))
    return pd.DataFrame({"value": clean}).rename_axis(f"key results of {notebook}")
