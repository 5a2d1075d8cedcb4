"""Checkers of notebook 06_circle_pretraining.

    from toolkit.exercises import ex06 as check
    check.q1(make_frozen_conv)   # make_frozen_conv(bank (n, 3, 3)) -> frozen nn.Conv2d(1, n, 3, padding=1)
    check.q2(answer)             # judgement: which conclusion does an unmatched comparison support? "a".."d"
    check.q3(iters_to_reach)     # iters_to_reach(steps, acc, threshold) -> first step with acc >= threshold
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import Exercise, Wrong, call_student, expect_callable

__all__ = ["q1", "q2", "q3"]


def _check_frozen_conv(answer) -> None:
    fn = expect_callable(answer, "a function make_frozen_conv(bank)")
    from .. import filters

    g = torch.Generator().manual_seed(6)
    banks = [torch.as_tensor(filters.primary_circle_filters(8), dtype=torch.float32),
             torch.randn(5, 3, 3, generator=g)]
    x = torch.randn(2, 1, 12, 12, generator=g)
    for bank in banks:
        n = bank.shape[0]
        conv = call_student(fn, bank.clone())
        if not isinstance(conv, nn.Conv2d):
            raise Wrong(f"Return an nn.Conv2d layer, got a {type(conv).__name__}.")
        if conv.in_channels != 1 or conv.out_channels != n:
            raise Wrong(f"A bank of {n} filters makes a layer with in_channels=1 and out_channels={n}; "
                        f"yours has {conv.in_channels} -> {conv.out_channels}.")
        if tuple(conv.kernel_size) != (3, 3):
            raise Wrong(f"The filters are 3x3, your kernel is {tuple(conv.kernel_size)}.")
        if tuple(conv.stride) != (1, 1) or tuple(conv.dilation) != (1, 1):
            raise Wrong("Use stride 1 and no dilation, like conv1 of M(64, 32, 64).")
        if not isinstance(getattr(conv, "weight", None), torch.Tensor):
            raise Wrong("The layer has no weight tensor; build it with nn.Conv2d(1, n, 3, padding=1).")
        w = conv.weight.detach().cpu().float()   # float64 or float32 layers are both fine
        if tuple(w.shape) != (n, 1, 3, 3):
            raise Wrong(f"The weight must have shape ({n}, 1, 3, 3), got {tuple(w.shape)}.")
        if not torch.allclose(w[:, 0], bank, atol=1e-6):
            if torch.allclose(w[:, 0], bank.transpose(1, 2), atol=1e-6):
                raise Wrong("Your filters are transposed: copy bank[i] into weight[i, 0] as it is.")
            raise Wrong("The layer's weight must equal the bank: weight[i, 0] = bank[i] for every i.")
        if conv.bias is not None and conv.bias.detach().abs().max().item() > 0:
            raise Wrong("Set the bias to zero (or build the layer without a bias): the ideal filters "
                        "alone decide the layer's output.")
        trainable = [name for name, p in conv.named_parameters() if p.requires_grad]
        if trainable:
            raise Wrong(f"{', '.join(trainable)} still has requires_grad=True, so the optimizer would "
                        f"change it. Call .requires_grad_(False) on every parameter of the layer.")
        with torch.no_grad():   # the student's layer runs on an input of its own dtype and device
            out = call_student(conv, x.to(device=conv.weight.device, dtype=conv.weight.dtype))
        if not isinstance(out, torch.Tensor):
            raise Wrong(f"Calling the layer must return a tensor, got a {type(out).__name__}.")
        out = out.detach().cpu().float()
        if tuple(out.shape) != (2, n, 12, 12):
            raise Wrong(f"On a (2, 1, 12, 12) input the output must be (2, {n}, 12, 12) ('same' size); "
                        f"got {tuple(out.shape)}. Use padding=1.")
        want = F.conv2d(x, bank.unsqueeze(1), padding=1)
        if not torch.allclose(out, want, atol=1e-5):
            raise Wrong("The layer's output differs from a convolution with the bank (zero padding 1).")


def _check_iters(answer) -> None:
    fn = expect_callable(answer, "a function iters_to_reach(steps, acc, threshold)")
    steps = np.array([10, 20, 50, 100, 200, 500])
    acc = np.array([0.2, 0.55, 0.81, 0.78, 0.9, 0.95])
    cases = [(0.8, 50, "the first evaluation at or above the threshold (a later dip does not matter)"),
             (0.9, 200, "accuracy exactly equal to the threshold counts as reaching it"),
             (0.1, 10, "a threshold met at the very first evaluation"),
             (0.99, None, "a threshold never reached within the evaluated steps -> return None")]
    for thr, want, why in cases:
        got = call_student(fn, steps.copy(), acc.copy(), thr)
        if want is None:
            if got is not None:
                raise Wrong(f"With threshold {thr} the accuracy never gets there: return None, not {got!r} "
                            f"({why}).")
            continue
        if got is None:
            raise Wrong(f"With threshold {thr} the answer is {want} ({why}); you returned None.")
        try:
            got_v = float(got)
        except (TypeError, ValueError):
            raise Wrong(f"Return a step number (an int) or None, got a {type(got).__name__}.") from None
        if got_v == float(np.flatnonzero(acc >= thr)[0]):
            raise Wrong("You returned the position in the list; return the step number steps[i] itself.")
        if got_v != want:
            raise Wrong(f"With threshold {thr} the answer is {want} ({why}); you returned {got!r}.")
    got = call_student(fn, [1, 2, 3], [0.5, 0.6, 0.7], 0.6)
    if got is None or float(got) != 2:
        raise Wrong("Your function must also accept plain Python lists: ([1, 2, 3], [0.5, 0.6, 0.7], 0.6) "
                    f"-> 2, got {got!r}.")


q1 = Exercise(
    "q1", _check_frozen_conv,
    hint="`conv = nn.Conv2d(1, n, kernel_size=3, padding=1)`; inside `with torch.no_grad():` copy "
         "`bank.unsqueeze(1)` (shape (n, 1, 3, 3)) into `conv.weight` and zero `conv.bias`; then "
         "`conv.weight.requires_grad_(False)` and the same for the bias.",
    solution="")


_Q2_FEEDBACK = {
    "a": "The interval does exclude 0, but it compares nets that were not equally trained: the circle nets "
         "were also ahead on MNIST (96% vs 93%). A gap on the other domain can come from training progress "
         "alone. The control is to compare at the same MNIST accuracy.",
    "c": "The interval [+1, +7] lies entirely above 0, so its width is not the problem. The problem is what "
         "it compares: nets at different MNIST accuracy.",
    "d": "The paper measured M(64,32,64) on SVHN after 40,000 steps; a different setting cannot refute it, "
         "and a gap measured on unmatched nets says little about transfer in the first place.",
}


def _check_judgement(answer) -> None:
    if not isinstance(answer, str):
        raise Wrong(f"Set `answer` to one letter, \"a\", \"b\", \"c\" or \"d\"; got a {type(answer).__name__}.")
    letter = answer.strip().strip("().").lower()
    if letter not in ("a", "b", "c", "d"):
        raise Wrong(f"Set `answer` to one of \"a\", \"b\", \"c\", \"d\"; got {answer!r}.")
    if letter != "b":
        raise Wrong(_Q2_FEEDBACK[letter])


q2 = Exercise(
    "q2", _check_judgement,
    hint="Two things differ between the groups: the first layer, and how far each net got on MNIST in the "
         "same number of steps. Which option removes the second difference?",
    solution="",
    success="Correct: the circle nets were further along on MNIST, so the transfer gap mixes the first layer "
            "with training progress. Matching the MNIST accuracy (section 4's protocol) removes that.")


q3 = Exercise(
    "q3", _check_iters,
    hint="Loop over `zip(steps, acc)` and return the first step whose accuracy is >= threshold; after "
         "the loop return None. (NumPy: `np.flatnonzero(np.asarray(acc) >= threshold)`.)",
    solution="")
