"""Checkers of notebook 06_circle_pretraining.

from toolkit.exercises import ex06 as check
check.q1(make_frozen_conv)   # make_frozen_conv(bank (n, 3, 3)) -> frozen nn.Conv2d(1, n, 3,
                             # padding=1)
check.q2(answer)             # judgement: which conclusion does an unmatched comparison support?
                             # "a".."d"
check.q3(iters_to_reach)     # iters_to_reach(steps, acc, threshold) -> first step with acc >=
                             # threshold
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import Exercise, Wrong, call_student, expect_callable, parse_letter, sealed_verdict

__all__ = ["q1", "q2", "q3"]


def _check_frozen_conv(answer) -> None:
    fn = expect_callable(answer, "a function make_frozen_conv(bank)")
    from .. import filters

    g = torch.Generator().manual_seed(6)
    banks = [
        torch.as_tensor(filters.primary_circle_filters(8), dtype=torch.float32),
        torch.randn(5, 3, 3, generator=g),
    ]
    x = torch.randn(2, 1, 12, 12, generator=g)
    for bank in banks:
        n = bank.shape[0]
        conv = call_student(fn, bank.clone())
        if not isinstance(conv, nn.Conv2d):
            raise Wrong(f"Return an nn.Conv2d layer, got a {type(conv).__name__}.")
        if conv.in_channels != 1 or conv.out_channels != n:
            raise Wrong(
                f"A bank of {n} filters makes a layer with in_channels=1 and out_channels={n}; "
                f"yours has {conv.in_channels} -> {conv.out_channels}."
            )
        if tuple(conv.kernel_size) != (3, 3):
            raise Wrong(f"The filters are 3x3, your kernel is {tuple(conv.kernel_size)}.")
        if tuple(conv.stride) != (1, 1) or tuple(conv.dilation) != (1, 1):
            raise Wrong("Use stride 1 and no dilation, like conv1 of M(64, 32, 64).")
        if not isinstance(getattr(conv, "weight", None), torch.Tensor):
            raise Wrong(
                "The layer has no weight tensor; build it with nn.Conv2d(1, n, 3, padding=1)."
            )
        w = conv.weight.detach().cpu().float()  # float64 or float32 layers are both fine
        if tuple(w.shape) != (n, 1, 3, 3):
            raise Wrong(f"The weight must have shape ({n}, 1, 3, 3), got {tuple(w.shape)}.")
        if not torch.allclose(w[:, 0], bank, atol=1e-6):
            if torch.allclose(w[:, 0], bank.transpose(1, 2), atol=1e-6):
                raise Wrong("Your filters are transposed: copy bank[i] into weight[i, 0] as it is.")
            raise Wrong(
                "The layer's weight must equal the bank: weight[i, 0] = bank[i] for every i."
            )
        if conv.bias is not None and conv.bias.detach().abs().max().item() > 0:
            raise Wrong(
                "Set the bias to zero (or build the layer without a bias): the ideal filters "
                "alone decide the layer's output."
            )
        trainable = [name for name, p in conv.named_parameters() if p.requires_grad]
        if trainable:
            raise Wrong(
                f"{', '.join(trainable)} still has requires_grad=True, so the optimizer would "
                f"change it. Call .requires_grad_(False) on every parameter of the layer."
            )
        with torch.no_grad():  # the student's layer runs on an input of its own dtype and device
            out = call_student(conv, x.to(device=conv.weight.device, dtype=conv.weight.dtype))
        if not isinstance(out, torch.Tensor):
            raise Wrong(f"Calling the layer must return a tensor, got a {type(out).__name__}.")
        out = out.detach().cpu().float()
        if tuple(out.shape) != (2, n, 12, 12):
            raise Wrong(
                f"On a (2, 1, 12, 12) input the output must be (2, {n}, 12, 12) ('same' size); "
                f"got {tuple(out.shape)}. Use padding=1."
            )
        want = F.conv2d(x, bank.unsqueeze(1), padding=1)
        if not torch.allclose(out, want, atol=1e-5):
            raise Wrong(
                "The layer's output differs from a convolution with the bank (zero padding 1)."
            )


def _check_iters(answer) -> None:
    fn = expect_callable(answer, "a function iters_to_reach(steps, acc, threshold)")
    steps = np.array([10, 20, 50, 100, 200, 500])
    acc = np.array([0.2, 0.55, 0.81, 0.78, 0.9, 0.95])
    cases = [
        (0.8, 50, "the first evaluation at or above the threshold (a later dip does not matter)"),
        (0.9, 200, "accuracy exactly equal to the threshold counts as reaching it"),
        (0.1, 10, "a threshold met at the very first evaluation"),
        (0.99, None, "a threshold never reached within the evaluated steps -> return None"),
    ]
    for thr, want, why in cases:
        got = call_student(fn, steps.copy(), acc.copy(), thr)
        if want is None:
            if got is not None:
                raise Wrong(
                    f"With threshold {thr} the accuracy never gets there: return None, not {got!r} "
                    f"({why})."
                )
            continue
        if got is None:
            raise Wrong(f"With threshold {thr} the answer is {want} ({why}); you returned None.")
        if isinstance(got, (str, bytes, bool, np.bool_)):
            raise Wrong(
                f"Return the step as a number (an int), not {got!r} ({type(got).__name__})."
            )
        try:
            got_v = float(got)
        except (TypeError, ValueError):
            raise Wrong(
                f"Return a step number (an int) or None, got a {type(got).__name__}."
            ) from None
        if got_v == float(np.flatnonzero(acc >= thr)[0]):
            raise Wrong(
                "You returned the position in the list; return the step number steps[i] itself."
            )
        if got_v != want:
            raise Wrong(f"With threshold {thr} the answer is {want} ({why}); you returned {got!r}.")
    got = call_student(fn, [1, 2, 3], [0.5, 0.6, 0.7], 0.6)
    if got is None or isinstance(got, (str, bytes, bool)) or float(got) != 2:
        raise Wrong(
            "Your function must also accept plain Python lists: ([1, 2, 3], [0.5, 0.6, 0.7], 0.6) "
            f"-> 2, got {got!r}."
        )


q1 = Exercise(
    "q1",
    _check_frozen_conv,
    hint="`conv = nn.Conv2d(1, n, kernel_size=3, padding=1)`; inside `with torch.no_grad():` copy "
    "`bank.unsqueeze(1)` (shape (n, 1, 3, 3)) into `conv.weight` and zero `conv.bias`; then "
    "`conv.weight.requires_grad_(False)` and the same for the bias.",
    solution="",
)


def _check_judgement(answer):
    letter = parse_letter(answer, "abcd", "answer")
    ok, why = sealed_verdict(_SEALED["ex06.q2"], "ex06.q2", letter)
    if not ok:
        raise Wrong(why)
    return why


q2 = Exercise(
    "q2",
    _check_judgement,
    hint="Two things differ between the groups: the first layer, and how far each net got on MNIST "
    "in the "
    "same number of steps. Which option removes the second difference?",
    solution="",
    success="Correct:",
)


def _forbid_q3():
    from .. import pretraining

    return [pretraining.steps_to_threshold]


q3 = Exercise(
    "q3",
    _check_iters,
    forbid=_forbid_q3,
    hint="Loop over `zip(steps, acc)` and return the first step whose accuracy is >= threshold; "
    "after "
    "the loop return None. (NumPy: `np.flatnonzero(np.asarray(acc) >= threshold)`.)",
    solution="",
)


# Sealed feedback of the judgement options (tools/exercise_keys.py writes it; instructor-only
# plain text there). Each blob opens only with its own option: see toolkit.exercises.seal.
_SEALED = {
    "ex06.q2": [
        "0GEa3tLw+ARaomTxzmVjuZ5ti8kraAdQT41/R21fi8nHAF4uJVnKCz1GN5zq49PYnA9n5nrrgG+eHH3X4APgQzeyqkWsA/CjTQl9hffxQ9tFPlB6Kpv9+1oLoNEPbjR7TVqpgp61d83VPG4y+3577wjCcOA2sFCuy0JIw12EiDUBegeypfoBbuL7dU/gMPiB3451z7rPCmYR9vFk4K3xeP+eTeJcIlBmlksF8jFLDFvCgpfE6OxsqGG5Nq/5N26Y+WV/UxGgbI089qkHaDkyYlWhx9n5xk2XxIBUZY+AOuxuLyXr7JQ0Os7mh0Acmz6/AURufMFgFOljUbQgsEIsWUMq9lM=",
        "6QCH1PG55UXO1r3lffYcCd9CtiiRmW9dfbF83/4iHyPvjisIm3nn6DraD73o4fEdxuuWC38XNml7paSQxKjjO0Iq0kNOZzJK0JQQzU+razURGeqzFZgXJHFW49VcOuvPlvGrOviM8BM4FHsmwrga8vWWosl7/IVBpFPBt6r+rZWXsL5hgIOgxnSLjicnwWFPJK7sIQ9g+VIyfjdVTrXBRs2Hzp4NnoSjZ8uTHJ5S563TR08NyDLWYPtz",
        "rFw8Y/wgZxXb+E0wlIpVgXo5XiWCyrH8aOu4c+JrhDJPg9K/e9AK+nGqfvpIA3n5m5f/U9dFx3EUxE6s6uyflWPf+ACzpn5ic+3dcxk2LD55lfwssVp0wqTsAH2+ZQDWFBz9I+ehjTecx0WGEMIK2bzRKlZgGFSlL3Ea4yke6M2TXbivPXRPicdTv8r+pEF6zeHbLVV26tfgMe+SZtFIG/O36XI6OPlpKiTJchg4+xFtgqp//w==",
        "xVLLvR0RneQBa05756bPNEZQn58MGUkD7WQfL8r8l8fvjUQk0tYCG/KVJxPEggnKroj9bZH1gGjI28uqlYfZsJyjuweabMA1RGfVcJwFNRW0rmlKy5R1Vwt9Hu3EhvR2RLCm6Bl9AkqT8uV1xlTN7ufa7yjepld4EARKaNYXQQFaJxnqY2JtXchOOM+R2DFjmubLYvmL",
    ],
}
