"""Checkers of notebook 01_train."""
from __future__ import annotations

import numpy as np
import torch

from . import Exercise, Wrong, call_student, expect_callable


def _as_float(v, what):
    try:
        return float(v)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should return one number, got a {type(v).__name__}.") from None


def _check_accuracy(answer):
    f = expect_callable(answer, "a function accuracy(log_probs, labels)")
    g = torch.Generator().manual_seed(0)
    logp = torch.log_softmax(torch.randn(50, 10, generator=g), 1)
    labels = torch.randint(0, 10, (50,), generator=g)
    want = float((logp.argmax(1) == labels).float().mean())
    got = _as_float(call_student(f, logp.clone(), labels.clone()), "accuracy")
    if abs(got - 100 * want) < 1e-6:
        raise Wrong("You returned a percentage; return a fraction between 0 and 1.")
    if abs(got - (1 - want)) < 1e-6:
        raise Wrong("That is the error rate; accuracy is the fraction of correct predictions.")
    if abs(got - want) > 1e-6:
        raise Wrong(f"On 50 random predictions the accuracy is {want:.3f}; your function gave {got:.3f}. "
                    f"Take the argmax over the classes (dim=1), compare with the labels, average.")
    perfect = torch.log_softmax(torch.eye(10) * 10, 1)
    if abs(_as_float(call_student(f, perfect, torch.arange(10)), "accuracy") - 1.0) > 1e-6:
        raise Wrong("A perfect classifier must get accuracy 1.0.")


def _check_per_class(answer):
    f = expect_callable(answer, "a function per_class_accuracy(preds, labels)")
    preds = torch.tensor([0, 0, 1, 1, 2, 3, 3, 3, 9, 9])
    labels = torch.tensor([0, 1, 1, 1, 2, 3, 4, 3, 9, 8])
    want = np.array([1, 2 / 3, 1, 1, 0, np.nan, np.nan, np.nan, 0, 1])
    got = call_student(f, preds.clone(), labels.clone())
    try:
        got = np.asarray(got.detach().cpu() if hasattr(got, "detach") else got, dtype=float)
    except (TypeError, ValueError):
        raise Wrong(f"Return an array of 10 numbers, got a {type(got).__name__}.") from None
    if got.shape != (10,):
        raise Wrong(f"Return one accuracy per digit: shape (10,), got {got.shape}.")
    ok = np.isclose(got, want) | (np.isnan(want) & np.isnan(got))
    if not ok.all():
        d = int(np.flatnonzero(~ok)[0])
        if np.isnan(want[d]):
            raise Wrong(f"Digit {d} never occurs among the labels: its accuracy is undefined, return "
                        f"NaN there (not {got[d]}).")
        raise Wrong(f"For digit {d}, {int((labels == d).sum())} test images carry that label and the "
                    f"right answer is {want[d]:.3f}; you gave {got[d]:.3f}. Divide by the number of "
                    f"images whose LABEL is d (not the number predicted as d).")


q1 = Exercise(
    "q1", _check_accuracy,
    hint="`log_probs.argmax(dim=1)` is the predicted class of each row; compare with `labels` and "
         "take the mean of the resulting booleans (as floats).",
    solution="""
    def accuracy(log_probs, labels):
        return (log_probs.argmax(dim=1) == labels).float().mean().item()
    """)

q2 = Exercise(
    "q2", _check_per_class,
    hint="For each digit d: select the images whose label is d (`labels == d`), and take the mean of "
         "`preds == d` over them. If no image has label d, the answer is NaN.",
    solution="""
    def per_class_accuracy(preds, labels, num_classes=10):
        out = np.full(num_classes, np.nan)
        for d in range(num_classes):
            mask = labels == d
            if mask.any():
                out[d] = (preds[mask] == d).float().mean().item()
        return out
    """)
