"""The two architectures of the course; both return log-probabilities (log-softmax), shape (N,
classes).

- :class:`MLP` -- 784 -> hidden -> 10 with ReLU (Alessi's activation study, docs/REFERENCES.md
  section 2); layers ``fc1``, ``fc2``.
- :class:`CNN` -- M(a, b, c) of Gabrielsson & Carlsson (docs/REFERENCES.md section 3): conv3x3(in ->
  a) + ReLU -> maxpool 2 -> conv3x3(a -> b) + ReLU -> maxpool 2 -> FC(s*s*b -> c) + ReLU [->
  dropout] -> FC(c -> classes), s = input_size // 4; layers ``conv1``, ``conv2``, ``fc1``, ``fc2``.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .arrays import as_count as whole


def _dropout(p) -> nn.Module:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p < 1.0:
        raise ValueError(f"dropout must be a number in [0, 1), got {p!r}.")
    return nn.Dropout(float(p)) if p > 0 else nn.Identity()


class MLP(nn.Module):
    """784 -> hidden -> 10, ReLU, log-softmax. Accepts (N, 1, 28, 28), (N, 28, 28) or (N, 784)
    inputs."""

    def __init__(
        self, hidden: int = 100, in_features: int = 784, num_classes: int = 10, dropout: float = 0.0
    ):
        super().__init__()
        self.hidden, self.in_features = whole(hidden, "hidden"), whole(in_features, "in_features")
        self.fc1 = nn.Linear(self.in_features, self.hidden)
        self.dropout = _dropout(dropout)
        self.fc2 = nn.Linear(self.hidden, whole(num_classes, "num_classes"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2 or x[0].numel() != self.in_features:
            raise ValueError(
                f"MLP expects inputs of shape (N, {self.in_features}) or (N, 1, 28, 28); "
                f"got {tuple(x.shape)}."
            )
        h = F.relu(self.fc1(x.reshape(x.shape[0], -1)))
        return F.log_softmax(self.fc2(self.dropout(h)), dim=1)


class CNN(nn.Module):
    """M(a, b, c): the small CNN whose first-layer filters form the primary circle.

    Input (N, in_channels, input_size, input_size) with input_size divisible by 4 (28 for MNIST,
    32 for CIFAR-10/SVHN). ``CNN()`` is the paper's M(64, 32, 64).
    """

    def __init__(
        self,
        a: int = 64,
        b: int = 32,
        c: int = 64,
        in_channels: int = 1,
        num_classes: int = 10,
        dropout: float = 0.0,
        input_size: int = 28,
    ):
        super().__init__()
        self.a, self.b, self.c = whole(a, "a"), whole(b, "b"), whole(c, "c")
        self.in_channels, self.input_size = (
            whole(in_channels, "in_channels"),
            whole(input_size, "input_size"),
        )
        if input_size % 4:
            raise ValueError(
                f"input_size must be divisible by 4 (two 2x2 max-pools), got {input_size}."
            )
        s = input_size // 4
        self.conv1 = nn.Conv2d(self.in_channels, self.a, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(self.a, self.b, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(s * s * self.b, self.c)
        self.dropout = _dropout(dropout)
        self.fc2 = nn.Linear(self.c, whole(num_classes, "num_classes"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        want = (self.in_channels, self.input_size, self.input_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != want:
            raise ValueError(
                f"CNN expects inputs of shape (N, {want[0]}, {want[1]}, {want[2]}); "
                f"got {tuple(x.shape)}."
            )
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return F.log_softmax(self.fc2(self.dropout(x)), dim=1)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """The number of (trainable) parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def layer_weight(model, layer: str = "fc1", *, bias: bool = False, flatten: bool = False):
    """The weights of ``layer`` as a float64 NumPy copy: the toolkit's one way to read a layer.

    model: an ``nn.Module`` or a state dict (e.g. an ensemble snapshot). Returns the weight in its
    own shape (Linear (n_out, n_in), Conv2d (out, in, kh, kw)), or (n_out, rest) with
    ``flatten=True``; with ``bias=True`` the pair (W, b), b (n_out,) (zeros if none). ValueError for
    a missing layer (listing them) and for NaN / inf weights (a diverged net).
    """
    if isinstance(model, nn.Module):
        mods = dict(model.named_modules())
        m = mods.get(layer)
        if m is None or getattr(m, "weight", None) is None:
            have = [n for n, x in mods.items() if n and getattr(x, "weight", None) is not None]
            raise ValueError(
                f"{type(model).__name__} has no layer {layer!r} with weights; its layers are "
                f"{have}."
            )
        W, b = m.weight, getattr(m, "bias", None)
    elif isinstance(model, dict):
        key = layer if layer in model else f"{layer}.weight"
        if key not in model:
            raise ValueError(
                f"No weight {layer!r} or {layer + '.weight'!r} in the given state dict; its keys "
                f"are {sorted(model)[:10]}."
            )
        W, b = model[key], model.get(f"{layer}.bias")
    else:
        raise TypeError(
            f"model must be a torch nn.Module or a state dict, got {type(model).__name__}."
        )
    W = W.detach().cpu().double().numpy().copy()
    if not np.isfinite(W).all():
        raise ValueError(
            f"Layer {layer!r} (weight shape {W.shape}) contains NaN or infinite weights; the net "
            f"diverged. Retrain or reload it."
        )
    if flatten:
        W = W.reshape(W.shape[0], -1)
    if not bias:
        return W
    b = np.zeros(W.shape[0]) if b is None else b.detach().cpu().double().numpy().copy()
    return W, b
