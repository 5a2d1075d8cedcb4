"""Checkers of notebook 01_train.

    from toolkit.exercises import ex01 as check

q1  accuracy(log_probs, labels) -> one number in [0, 1]
q2  a prediction, made before the run: net A's accuracy on all ten test digits (a number in [0, 1]);
    graded against net A's accuracy measured when the check runs (no answer is stored here; the
    measurement is not a public function: the notebook measures net A after the prediction)
q3  per_class_accuracy(preds, labels) -> array (10,), NaN for a digit no label has

No reference solution ships with these checkers (the instructor's notebook holds them).
"""

from __future__ import annotations

import numpy as np
import torch

from . import (
    Exercise,
    Wrong,
    _StudentCodeError,
    call_student,
    expect_array,
    expect_callable,
    expect_number,
    is_close,
)


def _check_accuracy(answer):
    f = expect_callable(answer, "a function accuracy(log_probs, labels)")
    g = torch.Generator().manual_seed(0)
    logp = torch.log_softmax(torch.randn(50, 10, generator=g), 1)
    labels = torch.randint(0, 10, (50,), generator=g)
    want = float((logp.argmax(1) == labels).float().mean())
    try:
        raw = call_student(f, logp.clone(), labels.clone())
    except _StudentCodeError as e:
        if isinstance(e.original, (RuntimeError, ValueError, IndexError)) and any(
            w in str(e.original) for w in ("size", "shape", "dimension")
        ):
            raise Wrong(
                f"Your function raised `{type(e.original).__name__}: {str(e.original)[:120]}` on "
                "50 rows "
                f"of 10 log-probabilities and 50 labels. log_probs has one ROW per image and one "
                f"column per class: take the argmax over the classes (dim=1), which gives one "
                f"predicted class per image, the same length as labels."
            ) from None
        raise
    got = expect_number(raw, "accuracy(log_probs, labels)")
    if is_close(got, 100 * want):
        raise Wrong("You returned a percentage; return a fraction between 0 and 1.")
    if is_close(got, 1 - want):
        raise Wrong("That is the error rate; accuracy is the fraction of correct predictions.")
    if not is_close(got, want):
        raise Wrong(
            f"On 50 random predictions the accuracy is {want:.3f}; your function gave {got:.3f}. "
            f"Take the argmax over the classes (dim=1), compare with the labels, average."
        )
    perfect = torch.log_softmax(torch.eye(10) * 10, 1)
    if not is_close(expect_number(call_student(f, perfect, torch.arange(10)), "accuracy"), 1.0):
        raise Wrong("A perfect classifier must get accuracy 1.0.")


def _check_per_class(answer):
    f = expect_callable(answer, "a function per_class_accuracy(preds, labels)")
    preds = torch.tensor([0, 0, 1, 1, 2, 3, 3, 3, 9, 9])
    labels = torch.tensor([0, 1, 1, 1, 2, 3, 4, 3, 9, 8])
    want = np.array([1, 2 / 3, 1, 1, 0, np.nan, np.nan, np.nan, 0, 1])
    got = expect_array(
        call_student(f, preds.clone(), labels.clone()),
        (10,),
        "one accuracy per digit",
        allow_nan=True,
    )
    ok = is_close(got, want)
    if not ok.all():
        d = int(np.flatnonzero(~ok)[0])
        if np.isnan(want[d]):
            raise Wrong(
                f"Digit {d} never occurs among the labels: its accuracy is undefined, return "
                f"NaN there (not {got[d]})."
            )
        if np.isnan(got[d]):
            raise Wrong(
                f"Digit {d} occurs among the labels ({int((labels == d).sum())} time(s)), so its "
                f"accuracy is a number, not NaN."
            )
        raise Wrong(
            f"For digit {d}, {int((labels == d).sum())} test images carry that label and the "
            f"right answer is {want[d]:.3f}; you gave {got[d]:.3f}. Divide by the number of "
            f"images whose LABEL is d (not the number predicted as d)."
        )


def _measure_net_A() -> tuple[float, float, float]:
    """Net A (trained on digits 0-4 only) on the test digits of the current size mode.

    Returns (accuracy on all ten digits, accuracy on digits 0-4, fraction of test images labelled
    0-4), all fractions in [0, 1], measured from the loaded weights (trains net A first if it is not
    cached).
    """
    from .. import train, zoo

    model, _ = zoo.get("net_A")
    test = zoo.mnist_test()
    own = test.y < 5
    acc_all = train.evaluate(model, test.X, test.y)[1]
    acc_own = train.evaluate(model, test.X[own], test.y[own])[1]
    return float(acc_all), float(acc_own), float(own.float().mean())


def _forbid_q1():
    from .. import train  # train.evaluate returns (loss, accuracy): not to be called in exercise 1

    return [train.evaluate]


#: how far a prediction of net A's ten-digit accuracy may be from the measured one (absolute,
#: fraction)
Q2_TOLERANCE = 0.1


def _check_prediction_A(answer):
    p = expect_number(
        answer, "your prediction (net A's accuracy on all ten digits, between 0 and 1)"
    )
    if 1 < p <= 100:
        raise Wrong("Give the accuracy as a fraction between 0 and 1, not a percentage.")
    if not 0 <= p <= 1:
        raise Wrong(f"An accuracy lies between 0 and 1; you predicted {p}.")
    acc_all, acc_own, frac_own = _measure_net_A()
    if abs(p - acc_all) <= Q2_TOLERANCE:
        return
    if p > acc_all:
        raise Wrong(
            "Too high. Net A was trained only on digits 0-4: for a 5, 6, 7, 8 or 9 the right "
            "output was never rewarded. What can it answer for a 7? And what share of the test "
            "digits are 0-4?"
        )
    raise Wrong(
        "Too low. On its own digits 0-4 net A is as good as any MLP of the course; only the other "
        "digits are lost. What share of the test digits are 0-4?"
    )


q1 = Exercise(
    "q1",
    _check_accuracy,
    forbid=_forbid_q1,
    hint="`log_probs.argmax(dim=1)` is the predicted class of each row; compare with `labels` and "
    "take the mean of the resulting booleans (as floats).",
)

q2 = Exercise(
    "q2",
    _check_prediction_A,
    hint="Net A's output layer has ten neurons, but in training only digits 0-4 were ever the "
    "right "
    "answer. Estimate (its accuracy on digits 0-4) x (the share of test digits that are 0-4) + "
    "(its accuracy on digits 5-9) x (their share).",
    success="Correct: within 0.1 of net A's measured accuracy. The next cell prints the "
    "measurement.",
)

q3 = Exercise(
    "q3",
    _check_per_class,
    hint="For each digit d: select the images whose label is d (`labels == d`), and take the mean "
    "of "
    "`preds == d` over them. If no image has label d, the answer is NaN.",
)
