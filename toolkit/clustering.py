"""Clusters of a net's activations, how pure they are, and how much two clusterings agree.

Alessi's methods (docs/REFERENCES.md, section 2) on the (N, 10) outputs or any layer: "kmeans"
KMeans(10); "tsne" / "umap" to 2-D, then KMeans(10); "mapper" the course's one Mapper
(``mapper.mapper_graph``), its nodes merged into n_clusters groups (points in no node: -1). Scores
count ALL points: :func:`agreement` makes each unclustered point a cluster of its own and
:func:`overall_purity` counts it as a miss, so leaving hard points out cannot raise a score;
``covered_only=True`` gives the old, biased convention.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from .activations import as_membership
from .arrays import as_array, as_count, as_fraction, as_labels

__all__ = [
    "METHODS",
    "Clustering",
    "embed",
    "cluster",
    "MAPPER_SETTINGS",
    "sample",
    "purity",
    "majority_labels",
    "cluster_table",
    "overall_purity",
    "coverage",
    "agreement",
    "score_table",
    "match_clusters",
]

METHODS = ("kmeans", "tsne", "umap", "mapper")


def _members_and_labels(clusters, labels):
    lab = as_labels(labels)
    return as_membership(clusters, n=len(lab)), lab


def majority_labels(clusters, labels) -> dict:
    """{cluster id: its most common true label} (ties: the smaller label), from all members."""
    members, lab = _members_and_labels(clusters, labels)
    return {c: int(np.bincount(lab[idx]).argmax()) for c, idx in members.items()}


class Purity(dict):
    """{cluster id: purity}, with ``.coverage``: the share of the N points in some cluster."""

    coverage: float = float("nan")


def purity(clusters, labels) -> Purity:
    """{cluster id: share of ALL its members that carry its majority label} (in (0, 1]), with
    ``.coverage``.

    clusters: a label vector (N,) (-1 = no cluster) or ``{id: indices}`` / list of index arrays;
    labels: (N,) true classes. An empty cluster raises a ValueError.
    """
    members, lab = _members_and_labels(clusters, labels)
    out = Purity({c: float(np.bincount(lab[idx]).max() / len(idx)) for c, idx in members.items()})
    out.coverage = coverage(members, len(lab))
    return out


def cluster_table(clusters, labels):
    """One row per cluster (a pandas DataFrame indexed by cluster id): size, share_of_all (of the N
    points), majority (digit), purity (over ALL members), runner_up (digit, -1 if none) and
    runner_up_share."""
    import pandas as pd

    members, lab = _members_and_labels(clusters, labels)
    rows = {}
    for c, idx in members.items():
        counts = np.bincount(lab[idx], minlength=int(lab.max()) + 1)
        first, second = np.argsort(-counts, kind="stable")[:2]
        rows[c] = {
            "size": len(idx),
            "share_of_all": len(idx) / len(lab),
            "majority": int(first),
            "purity": counts[first] / len(idx),
            "runner_up": int(second) if counts[second] else -1,
            "runner_up_share": counts[second] / len(idx),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("cluster")


def coverage(clusters, n: int) -> float:
    """Share of the ``n`` points that belong to at least one cluster (label -1 = none), in [0,
    1]."""
    return len(np.unique(np.concatenate(list(as_membership(clusters, n=n).values())))) / n


def overall_purity(clusters, labels, *, covered_only: bool = False) -> float:
    """Share of ALL N points that sit in a cluster and carry its majority label (an unclustered
    point is a miss); ``covered_only=True``: share of the clustered points only (the old, biased
    convention)."""
    members, lab = _members_and_labels(clusters, labels)
    hit = sum(int(np.bincount(lab[idx]).max()) for idx in members.values())
    return hit / (sum(len(idx) for idx in members.values()) if covered_only else len(lab))


def agreement(a, b, *, covered_only: bool = False) -> dict:
    """How well two labelings (N,) of the same points agree: {"ari", "nmi", "coverage", "n"}.

    coverage: share of points clustered in both (-1 = unclustered); n: points scored. By default ALL
    N points are scored, each unclustered point a cluster of its own, so leaving hard points out
    cannot raise a score; ``covered_only=True`` scores only the points clustered in both. ARI and
    NMI are 1 for the same partition, about 0 for independent ones. Different lengths or a labeling
    with no cluster raise ValueError.
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    a = as_labels(a, name="the first labeling (a)", unclustered=True)
    b = as_labels(b, name="the second labeling (b)", unclustered=True)
    if a.shape != b.shape:
        raise ValueError(
            f"The two labelings must label the same points; got lengths {len(a)} and {len(b)}."
        )
    for x, what in ((a, "a"), (b, "b")):
        if not (x >= 0).any():
            raise ValueError(
                f"Labeling {what} has no clustered point (all -1 or empty); nothing to compare."
            )
    keep = (a >= 0) & (b >= 0)
    cov = float(keep.mean())
    if covered_only:
        if keep.sum() < 2:
            raise ValueError(
                "Fewer than 2 points are clustered in both labelings; nothing to compare."
            )
        a, b = a[keep], b[keep]
    else:  # each unclustered point gets a fresh label of its own, in each labeling
        for x in (a, b):
            x[x < 0] = x.max() + 1 + np.arange((x < 0).sum())
    return {
        "ari": float(adjusted_rand_score(a, b)),
        "nmi": float(normalized_mutual_info_score(a, b)),
        "coverage": cov,
        "n": int(len(a)),
    }


def score_table(
    labelings: Mapping[str, np.ndarray], references: Mapping[str, np.ndarray], *, on=None
):
    """One row per labeling {name: (N,)} (-1 = unclustered): clusters, coverage, and per reference
    {ref: (N,)} (e.g. the true digits, the net's predictions): "ARI vs ref" and "NMI vs ref" on all
    points (unclustered = singletons), "purity vs ref" (unclustered = misses) and "ARI vs ref,
    covered only". on: optional bool mask (N,): every labeling and reference is first restricted to
    those points."""
    import pandas as pd

    refs = {r: as_labels(v, name=f"references[{r!r}]") for r, v in references.items()}
    n = {len(v) for v in refs.values()}
    if len(n) != 1:
        raise ValueError(f"All references must label the same points; got lengths {sorted(n)}.")
    n = n.pop()
    keep = np.ones(n, bool) if on is None else np.asarray(on, dtype=bool)
    if keep.shape != (n,) or not keep.any():
        raise ValueError(f"on must be a boolean mask of length {n} selecting at least one point.")
    rows = {}
    for name, lab in labelings.items():
        lab = as_labels(lab, name=f"labelings[{name!r}]", unclustered=True)
        if lab.shape != (n,):
            raise ValueError(
                f"labelings[{name!r}] has {len(lab)} entries; the references have {n}."
            )
        lab = lab[keep]
        row = {"clusters": int(len(np.unique(lab[lab >= 0]))), "coverage": float(np.mean(lab >= 0))}
        for r, ref in refs.items():
            ag = agreement(lab, ref[keep])
            row.update(
                {
                    f"ARI vs {r}": ag["ari"],
                    f"NMI vs {r}": ag["nmi"],
                    f"purity vs {r}": overall_purity(lab, ref[keep]),
                    f"ARI vs {r}, covered only": agreement(lab, ref[keep], covered_only=True)[
                        "ari"
                    ],
                }
            )
        rows[name] = row
    return pd.DataFrame(rows).T


def match_clusters(a, b) -> dict:
    """Pair the clusters of labeling ``a`` with those of ``b`` (N,) to maximize shared points
    (Hungarian algorithm on the contingency table). Returns {a id: b id} (min(#a, #b) pairs)."""
    from scipy.optimize import linear_sum_assignment

    a, b = as_labels(a, name="a", unclustered=True), as_labels(b, name="b", unclustered=True)
    if a.shape != b.shape:
        raise ValueError(f"Labelings differ in length: {a.shape} vs {b.shape}.")
    keep = (a >= 0) & (b >= 0)
    ia, ib = np.unique(a[keep]), np.unique(b[keep])
    table = np.zeros((len(ia), len(ib)), dtype=np.int64)
    np.add.at(table, (np.searchsorted(ia, a[keep]), np.searchsorted(ib, b[keep])), 1)
    r, c = linear_sum_assignment(-table)
    return {int(ia[i]): int(ib[j]) for i, j in zip(r, c)}


@dataclass
class Clustering:
    """One clustering of N points: labels (N,) int64 (-1 = not clustered, Mapper only); embedding
    (N, 2) for t-SNE / UMAP, else None; seconds: wall-clock time of the whole method (embedding +
    k-means)."""

    method: str
    labels: np.ndarray
    seconds: float
    embedding: np.ndarray | None = field(default=None, repr=False)
    params: dict = field(default_factory=dict)

    @property
    def n_clusters(self) -> int:
        return int(len(np.unique(self.labels[self.labels >= 0])))


def embed(
    A, method: str = "tsne", *, seed: int = 0, n_neighbors: int = 20, perplexity: float = 30.0
) -> np.ndarray:
    """(N, 2) float32 t-SNE (sklearn, PCA init) or UMAP (n_neighbors) embedding of the rows of A (N,
    D)."""
    A = as_array(A, "activations")
    if method == "tsne":
        from sklearn.manifold import TSNE

        perp = min(perplexity, max(2.0, (len(A) - 1) / 3.0))
        return (
            TSNE(n_components=2, perplexity=perp, init="pca", random_state=seed, n_jobs=1)
            .fit_transform(A)
            .astype(np.float32)
        )
    if method == "umap":
        import warnings

        import umap

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "n_jobs overridden by random_state" and numba chatter
            return (
                umap.UMAP(
                    n_components=2, n_neighbors=min(n_neighbors, len(A) - 1), random_state=seed
                )
                .fit_transform(A)
                .astype(np.float32)
            )
    raise ValueError(f"Unknown embedding {method!r}; use 'tsne' or 'umap'.")


def _kmeans(Z, n_clusters: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return (
        KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit_predict(Z).astype(np.int64)
    )


# The one Mapper (toolkit.mapper.mapper_graph) with these settings, its nodes merged into n_clusters
# groups.
MAPPER_SETTINGS = {"lens": "pca", "resolution": 10, "gain": 0.3, "clusterer": "knn"}


def cluster(
    A,
    method: str = "kmeans",
    n_clusters: int = 10,
    *,
    seed: int = 0,
    n_neighbors: int = 20,
    perplexity: float = 30.0,
) -> Clustering:
    """Cluster the rows of A (N, D), e.g. the (N, 10) log-softmax outputs, with one of METHODS;
    timed.

    "mapper": ``mapper.mapper_graph(A, **MAPPER_SETTINGS, random_state=seed)``, then
    ``MapperResult.point_clusters("merged", n_clusters=n_clusters)``: the graph's nodes merged into
    n_clusters groups by greedy modularity (pieces of different components merged last), each point
    given the group holding most of its nodes, -1 for a point in no node (k-NN clustering noise). At
    most n_clusters clusters of points (a group whose points all lie in other groups' nodes too gets
    none): compare with k-means at ``Clustering.n_clusters``, the number Mapper gave."""
    A = as_array(A, "activations")
    if method not in METHODS:
        raise ValueError(f"Unknown clustering method {method!r}; use one of {METHODS}.")
    n_clusters = as_count(
        n_clusters, f"n_clusters (at most the number of points, {len(A)})", maximum=len(A)
    )
    seed, n_neighbors = (
        as_count(seed, "seed", minimum=0),
        as_count(n_neighbors, "n_neighbors", minimum=2),
    )
    perplexity = as_fraction(
        perplexity, "perplexity (t-SNE's, e.g. 30)", 0.0, float("inf"), open_lo=True
    )
    if method in ("tsne", "umap") and len(A) < 4:
        raise ValueError(
            f"{method} needs at least 4 points to embed; got {len(A)}. Use more points or 'kmeans'."
        )
    from threadpoolctl import threadpool_limits

    t0, emb, extra = time.perf_counter(), None, {}
    # Up to 5,000 points one thread is faster: OpenMP start-up and oversubscription on a shared
    # machine cost more than they save (k-means on 400 points: 0.04 s vs 6 s on a loaded 2-core
    # machine).
    with threadpool_limits(limits=1 if len(A) <= 5000 else None):
        if method == "kmeans":
            labels = _kmeans(A, n_clusters, seed)
        elif method == "mapper":
            from .mapper import mapper_graph

            graph = mapper_graph(A, **MAPPER_SETTINGS, random_state=seed)
            labels = graph.point_clusters("merged", n_clusters=n_clusters)
            extra = {"mapper": {**graph.params, "nodes": graph.n_nodes}}
        else:
            emb = embed(A, method, seed=seed, n_neighbors=n_neighbors, perplexity=perplexity)
            labels = _kmeans(emb, n_clusters, seed)
    return Clustering(
        method=method,
        labels=labels,
        seconds=time.perf_counter() - t0,
        embedding=emb,
        params={"n_clusters": n_clusters, "seed": seed, **extra},
    )


def sample(X, y, n: int | None, seed: int = 0):
    """(X[idx], y[idx]) for ``n`` points drawn without replacement with ``seed``, in their original
    order (all when n is None or >= N). Torch tensors or NumPy arrays."""
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}.")
    n = None if n is None else as_count(n, "n (points to draw, or None for all)")
    seed = as_count(seed, "seed", minimum=0)  # checked even when every point is kept
    if n is None or n >= len(X):
        return X, y
    idx = np.sort(np.random.default_rng(seed).choice(len(X), size=n, replace=False))
    return X[idx], y[idx]
