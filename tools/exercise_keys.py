"""INSTRUCTOR-ONLY: the keys and per-option feedback of the judgement exercises, in plain text.

Not part of the installed package (toolkit/) and not on the students' branch (docs/INSTRUCTOR.md,
"Keys"). The package holds these texts only sealed (``toolkit.exercises.seal``): each option's
feedback encrypted with a key derived from that option, so reading the package tells a student no
more than trying the option in the checker does. After editing a text here run

    python tools/exercise_keys.py --write     # rewrites the _SEALED tables in
                                              # toolkit/exercises/ex0N.py

tests/test_exercise_checkers.py checks that the tables and this file agree, and that the right
options agree with the instructor notebooks' solution cells.

Each entry: exercise id -> {option: (right?, feedback)}. Exercise ids with a suffix (ex02.q3.images)
are one part of a multi-part answer.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_EX02_PAIRS = {
    "a": "A(t) + B(t): the hypothesis",
    "b": "C(t) + C(u): two other nets trained on the same task",
    "c": "A(t) + B(t) trained on shuffled labels",
    "d": "two untrained nets (t, u)",
    "e": "A(s) + B(s): the same seed (initial weights) as the target C(s)",
}
_EX02_ALT = {
    "images": (
        "c",
        "The shuffled-label nets saw exactly the same images but learned no task: a selectivity "
        "gap they share cannot come from the tasks.",
    ),
    "chance": (
        "d",
        "Untrained nets learned nothing; whatever similarity C has with them is the floor that "
        "the images and the architecture give for free.",
    ),
    "initialization": (
        "e",
        "Only A(s) + B(s) share C(s)'s initial weights; its excess over A(t) + B(t) "
        "measures what is inherited.",
    ),
    "ceiling": (
        "b",
        "Two other C nets learned the same task from other seeds: the most a 'merge' could "
        "reach, the ceiling.",
    ),
}
_EX02_WHY_NOT = {
    "a": "the hypothesis itself cannot control for anything.",
    "b": "two other C nets measure the ceiling (the same task learned again), not this "
    "alternative.",
    "c": "shuffled-label nets control for the input images; this alternative is about something "
    "else.",
    "d": "untrained nets give the chance floor; they do not isolate this alternative.",
    "e": "same-seed nets measure what the shared initialization leaks; that is not this "
    "alternative.",
}

KEYS: dict[str, dict[str, tuple[bool, str]]] = {}
for _alt, (_right, _why) in _EX02_ALT.items():
    KEYS[f"ex02.q3.{_alt}"] = {
        l: (
            (True, _why)
            if l == _right
            else (False, f"you chose {l} = {_EX02_PAIRS[l]}; but {_EX02_WHY_NOT[l]}")
        )
        for l in _EX02_PAIRS
    }

KEYS["ex03.q4"] = {
    "a": (
        False,
        "(a) has no control: silencing ANY k neurons may cost accuracy, so a drop alone says "
        "nothing "
        "about THESE neurons.",
    ),
    "b": (
        True,
        "(b) is the control for 'any k neurons would do': without it a drop proves nothing.",
    ),
    "c": (
        True,
        "(c) is the control for specificity: a cluster's best neurons might be neurons every digit "
        "needs (raw top-k favours high-gain neurons), so they must hurt c more than another "
        "cluster's.",
    ),
    "d": (
        True,
        "(d): one net is one sample; a difference seen on one net can be luck of that net's "
        "training.",
    ),
    "e": (
        False,
        "(e) is correlation, not cause: a neuron can be often among the most active and still not "
        "be "
        "needed (another neuron can carry the same information), and a high-gain neuron tops every "
        "bar plot.",
    ),
}

KEYS["ex04.q4"] = {
    "a": (
        False,
        "k-means here never sees the images, only the 10 output probabilities. A confident net "
        "puts "
        "each digit near one corner of the probability simplex, the corner of its PREDICTED class; "
        "k-means finds those corners, whatever the images look like.",
    ),
    "b": (
        True,
        "k-means(10) on the probabilities recovers the net's predicted classes (the table's 'ARI "
        "vs "
        "predictions' column shows how closely), so its 'ARI vs digits' measures the net, not a "
        "clustering method. Judge Mapper against k-means on the same points AND against both "
        "references.",
    ),
    "c": (
        False,
        "Mapper builds a graph from overlapping cover sets and clusters inside each; k-means "
        "splits "
        "the space into 10 Voronoi cells. Same points, different method: nothing forces the same "
        "clusters.",
    ),
    "d": (
        False,
        "The probabilities are far from random: for most digits one of them is close to 1. "
        "Clusters "
        "of such points are anything but unrelated to the digits.",
    ),
}

KEYS["ex05.q4"] = {
    "a": (
        False,
        "Where is the loop of four clumps born? Only when neighbouring clumps connect: a chord of "
        "sqrt(2) on the unit ring. It dies when opposite clumps connect (2), so death/birth is "
        "about "
        "sqrt(2), far below 3; and most of the 16 sectors between the clumps hold no point.",
    ),
    "b": (
        True,
        "the ratio longest/next is fooled by clumps; death/birth (about sqrt 2) and the empty "
        "sectors are not. Run the next cell to see the measured numbers.",
    ),
    "c": (
        False,
        "Four clumps on a ring DO have one dominant loop: once neighbouring clumps connect, the "
        "square's hole lives until the diagonals connect, while every other loop (inside a clump) "
        "is "
        "tiny. That is exactly why longest/next alone is fooled by clumps.",
    ),
    "d": (
        False,
        "The clumps, once connected to their neighbours, enclose a hole (a square) that persists "
        "from "
        "the side length to the diagonal: there is an H1 bar, and a long one.",
    ),
}

KEYS["ex06.q2"] = {
    "a": (
        False,
        "The interval does exclude 0, but it compares nets that were not equally trained: the "
        "circle "
        "nets were also ahead on MNIST (96% vs 93%). A gap on the other domain can come from "
        "training "
        "progress alone. The control is to compare at the same MNIST accuracy.",
    ),
    "b": (
        True,
        "the circle nets were further along on MNIST, so the transfer gap mixes the first layer "
        "with "
        "training progress. Matching the MNIST accuracy (section 4's protocol) removes that.",
    ),
    "c": (
        False,
        "The interval [+1, +7] lies entirely above 0, so its width is not the problem. The problem "
        "is "
        "what it compares: nets at different MNIST accuracy.",
    ),
    "d": (
        False,
        "The paper measured M(64,32,64) on SVHN after 40,000 steps; a different setting cannot "
        "refute "
        "it, and a gap measured on unmatched nets says little about transfer in the first place.",
    ),
}


def sealed(exercise: str) -> list[str]:
    """The sealed table of one exercise id: one blob per option, sorted so the order says
    nothing."""
    sys.path.insert(0, str(ROOT))
    from toolkit.exercises import seal

    return sorted(
        seal(("1|" if ok else "0|") + text, exercise, opt)
        for opt, (ok, text) in KEYS[exercise].items()
    )


def right_options(exercise: str) -> set[str]:
    return {o for o, (ok, _) in KEYS[exercise].items() if ok}


def write_tables() -> list[str]:
    """Rewrite the ``_SEALED = {...}`` block of every exercise module; returns the files changed."""
    changed = []
    for mod in sorted({e.split(".")[0] for e in KEYS}):
        path = ROOT / "toolkit" / "exercises" / f"{mod}.py"
        ids = [e for e in KEYS if e.split(".")[0] == mod]
        body = "".join(
            f"    {e!r}: [\n" + "".join(f"        {b!r},\n" for b in sealed(e)) + "    ],\n"
            for e in ids
        )
        block = (
            "# Sealed feedback of the judgement options (tools/exercise_keys.py writes it; "
            "instructor-only\n"
            "# plain text there). Each blob opens only with its own option: see "
            "toolkit.exercises.seal.\n"
            "_SEALED = {\n" + body + "}\n"
        )
        text = path.read_text()
        pat = re.compile(
            r"# Sealed feedback of the judgement options.*?\n_SEALED = \{\n.*?\n\}\n", re.S
        )
        new = (
            pat.sub(lambda m: block, text)  # noqa: B023 (called in this iteration)
            if pat.search(text)
            else text.rstrip("\n") + "\n\n\n" + block
        )
        if new != text:
            path.write_text(new)
            changed.append(str(path.relative_to(ROOT)))
    return changed


if __name__ == "__main__":
    if "--write" in sys.argv:
        print("rewrote:", ", ".join(write_tables()) or "nothing")
    else:
        print(__doc__)
