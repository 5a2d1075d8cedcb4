"""Shape statistics of a Mapper graph (a :class:`toolkit.mapper.MapperResult`), counted rather than
described: :func:`component_shares` (share of the points in each connected component) and
:func:`flares` (chains of nodes hanging off the rest of the graph), so a notebook prints "k flares"
with k computed."""

from __future__ import annotations

import numpy as np

__all__ = ["component_shares", "flares"]


def _graph(res):
    if not hasattr(res, "graph") or not hasattr(res, "members"):
        raise TypeError(
            f"res must be a MapperResult (mapper.mapper_graph(...)); got {type(res).__name__}."
        )
    return res.graph


def component_shares(res) -> np.ndarray:
    """(C,) float: share of ALL res.n_points points lying in each connected component of the graph,
    largest first (points in no node count in none, so the shares can sum to less than 1)."""
    import networkx as nx

    G = _graph(res)
    if G.number_of_nodes() == 0:
        return np.zeros(0)
    shares = [
        len(np.unique(np.concatenate([res.members[v] for v in comp]))) / res.n_points
        for comp in nx.connected_components(G)
    ]
    return np.sort(np.asarray(shares, dtype=float))[::-1]


def flares(res, *, min_nodes: int = 1) -> list[list[int]]:
    """Chains hanging off the graph: lists of node ids, leaf first, junction excluded.

    A flare starts at a node of degree 1 and follows nodes of degree 2 until the next node has
    degree >= 3 (the junction where it joins the rest). Components without any junction (a single
    node, a path, a cycle) have no flares. Only flares of at least ``min_nodes`` nodes (>= 1) are
    returned, longest first (ties: smallest leaf id).
    """
    if not isinstance(min_nodes, (int, np.integer)) or isinstance(min_nodes, bool) or min_nodes < 1:
        raise ValueError(f"min_nodes must be a whole number >= 1; got {min_nodes!r}.")
    G = _graph(res)
    out = []
    for leaf in sorted(v for v in G if G.degree(v) == 1):
        chain, prev, v = [leaf], None, leaf
        while True:
            nxt = [w for w in G.neighbors(v) if w != prev]
            if len(nxt) != 1:  # v is a leaf at the far end: the component is a path
                chain = None
                break
            prev, v = v, nxt[0]
            if G.degree(v) >= 3:  # reached the junction
                break
            if G.degree(v) == 1:  # the other end of a path component
                chain = None
                break
            chain.append(v)
        if chain is not None and len(chain) >= min_nodes:
            out.append(chain)
    return sorted(out, key=lambda c: (-len(c), c[0]))
