"""Neural persistence (Rieck et al. 2019) on hand-made graphs with known answers."""

import math

import networkx as nx
import numpy as np
import pytest
import torch
from torch import nn

from toolkit import neural_persistence as npers
from toolkit.models import MLP


def test_single_edge_pair_known_value():
    r = npers.layer_neural_persistence([[1.0, 0.5]])
    # 3 vertices, spanning tree = both edges, normalized weights 1 and 0.5 -> persistences 0 and 0.5
    assert r["n_vertices"] == 3
    assert r["np"] == pytest.approx(0.5)
    assert r["normalized"] == pytest.approx(0.5 / math.sqrt(2))
    np.testing.assert_allclose(r["diagram"], [[1.0, 1.0], [1.0, 0.5]])


def test_two_by_two_skips_the_cycle_closing_edge():
    W = np.array([[1.0, -0.2], [0.6, 0.4]])  # sign is ignored: |w|
    # decreasing: 1 (r0-c0), 0.6 (r1-c0), 0.4 (r1-c1) join components; 0.2 (r0-c1) closes a cycle
    r = npers.layer_neural_persistence(W)
    np.testing.assert_allclose(np.sort(r["diagram"][:, 1]), [0.4, 0.6, 1.0])
    assert r["np"] == pytest.approx(math.sqrt(0.6**2 + 0.4**2))
    assert r["normalized"] == pytest.approx(r["np"] / math.sqrt(3))


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (9, 2), (13, 31)])
def test_matches_networkx_maximum_spanning_tree(shape):
    rng = np.random.default_rng(sum(shape))
    W = rng.normal(size=shape)
    A = np.abs(W) / np.abs(W).max()
    G = nx.Graph()
    n_out, n_in = shape
    G.add_nodes_from(range(n_out + n_in))
    for i in range(n_out):
        for j in range(n_in):
            G.add_edge(i, n_out + j, weight=A[i, j])
    T = nx.maximum_spanning_tree(G)
    want = np.sqrt(sum((1 - d["weight"]) ** 2 for *_, d in T.edges(data=True)))
    r = npers.layer_neural_persistence(W)
    assert len(r["diagram"]) == n_out + n_in - 1
    assert r["np"] == pytest.approx(want, abs=1e-12)


def _kruskal(A):
    """Reference: Kruskal with union-find on the edges by decreasing weight (the toolkit's earlier
    code)."""
    n_out, n_in = A.shape
    parent = list(range(n_out + n_in))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    out = []
    for e in np.argsort(-A.ravel(), kind="stable"):
        r, c = divmod(int(e), n_in)
        a, b = find(r), find(n_out + c)
        if a != b:
            parent[a] = b
            out.append(A.ravel()[e])
    return np.array(out)


@pytest.mark.parametrize("kind", ["continuous", "ties", "zeros"])
def test_scipy_spanning_tree_gives_exactly_kruskals_deaths(kind):
    """scipy.sparse.csgraph's tree has bit for bit the deaths of a hand-written Kruskal, ties and
    zeros too."""
    rng = np.random.default_rng(7)
    for _ in range(30):
        shape = tuple(rng.integers(1, 25, 2))
        W = {
            "continuous": rng.normal(size=shape),
            "ties": rng.integers(-3, 4, shape) / 3.0,
            "zeros": rng.normal(size=shape) * (rng.random(shape) < 0.4),
        }[kind]
        if not np.abs(W).any():
            continue
        A = np.abs(W) / np.abs(W).max()
        np.testing.assert_array_equal(npers.persistence_diagram(W)[:, 1], _kruskal(A))


def test_bounds_equal_weights_zero_and_one_dominant_weight_near_one():
    assert npers.layer_neural_persistence(np.full((4, 5), 0.3))["normalized"] == pytest.approx(0.0)
    W = np.full((4, 5), 1e-9)
    W[0, 0] = 1.0
    r = npers.layer_neural_persistence(W)
    # every tree edge but the dominant one has persistence ~1: sqrt(V - 2) / sqrt(V - 1)
    assert r["normalized"] == pytest.approx(math.sqrt(7 / 8), rel=1e-6)
    assert (
        0.0
        <= npers.layer_neural_persistence(np.random.default_rng(0).normal(size=(8, 8)))[
            "normalized"
        ]
        <= 1.0
    )


def test_p_norm_other_than_two():
    r = npers.layer_neural_persistence(np.array([[1.0, 0.5, 0.25]]), p=1.0)
    assert r["np"] == pytest.approx(0.5 + 0.75)
    assert r["normalized"] == pytest.approx(1.25 / 3)


def test_network_normalizes_by_the_global_maximum():
    W1 = np.array([[1.0, 0.5]])  # alone: normalized weights 1, 0.5
    W2 = np.array([[4.0], [2.0]])  # the network's largest weight is 4
    r = npers.neural_persistence({"l1": W1, "l2": W2})
    # l1 with scale 4: weights 0.25, 0.125 -> persistences 0.75, 0.875
    assert r["layers"]["l1"]["np"] == pytest.approx(math.hypot(0.75, 0.875))
    assert r["layers"]["l2"]["np"] == pytest.approx(0.5)  # 1 and 0.5 -> 0 and 0.5
    assert r["mean_normalized"] == pytest.approx(
        (math.hypot(0.75, 0.875) / math.sqrt(2) + 0.5 / math.sqrt(2)) / 2
    )


def test_module_input_uses_linear_layers():
    torch.manual_seed(0)
    r = npers.neural_persistence(MLP(hidden=8))
    assert list(r["layers"]) == ["fc1", "fc2"]
    assert r["layers"]["fc1"]["n_vertices"] == 784 + 8
    assert 0 < r["mean_normalized"] < 1


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match="NaN"):
        npers.layer_neural_persistence([[1.0, float("nan")]])
    with pytest.raises(ValueError, match="All weights are zero"):
        npers.layer_neural_persistence(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="2-D"):
        npers.layer_neural_persistence(np.ones(4))
    with pytest.raises(ValueError, match="no nn.Linear"):
        npers.neural_persistence(nn.Sequential(nn.Conv2d(1, 2, 3)))
    with pytest.raises(ValueError, match="scale"):
        npers.persistence_diagram([[2.0, 1.0]], scale=1.0)
    with pytest.raises(ValueError, match=r"p \(a p-norm.*must be"):
        npers.layer_neural_persistence([[1.0]], p=0.5)


def test_p_infinity_is_the_max_norm():
    """Issue #23 item 6: p=np.inf gave 1.0 for any layer (sum ** 0); the max norm is max(1 - w')."""
    W = np.random.default_rng(0).normal(size=(6, 9))
    r = npers.layer_neural_persistence(W, p=np.inf)
    gap = 1 - npers.persistence_diagram(W)[:, 1]
    assert r["np"] == pytest.approx(gap.max()) and r["normalized"] == pytest.approx(gap.max())
    assert r["np"] < 1.0
    assert npers.layer_neural_persistence(W, p=200)["np"] == pytest.approx(r["np"], rel=0.05)
    for bad in (0.5, float("nan"), True, "2"):
        with pytest.raises((TypeError, ValueError), match="p "):
            npers.layer_neural_persistence(W, p=bad)
