"""Mapper graphs (notebook 04) on KeplerMapper: lens (``KeplerMapper.project``), cover
(``kmapper.Cover`` placed to span exactly [min, max] of the lens), ``KeplerMapper.map`` (a set under
the clusterer's n_clusters / min_samples is skipped) and ``GraphNerve``; each node's cover set is
recorded as it is made (no node name parsed). giotto-tda's ``make_mapper_pipeline`` is the second
backend (same sets, same graph). ``res.native`` is kmapper's graph dict, for
``KeplerMapper.visualize``.

    res = mapper.mapper_graph(X, lens="pca", resolution=10, gain=0.3)   # backend="kmapper" |
                                                                        # "giotto"
    res.graph      # networkx.Graph on nodes 0..n-1 (by cover set, then smallest member), attribute
                   # "members"
    res.members[i] # (n_i,) int: the points of node i;  res.lens: (N, d);  res.summary()

``gain`` is the overlap fraction; the literature's "gain g" is 1 - 1/g (:func:`overlap_from_gain`).
Pictures: :mod:`toolkit.mapper_plots`; flares and component shares: :mod:`toolkit.mapper_shape`.
"""

from __future__ import annotations

import numbers
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, clone

from .arrays import as_array, as_count, as_labels

__all__ = [
    "available_backends",
    "overlap_from_gain",
    "interval_limits",
    "Cover",
    "LENSES",
    "compute_lens",
    "auto_eps",
    "make_clusterer",
    "KNNGraphClusterer",
    "mapper_graph",
    "MapperResult",
    "graph_cycles",
    "flag_holes",
    "noisy_circle",
]

BACKENDS = ("kmapper", "giotto")


def available_backends() -> list[str]:
    """The backends whose library is installed (giotto-tda is optional: the Colab install skips
    it)."""
    import importlib.util

    return [
        b
        for b, mod in zip(BACKENDS, ("kmapper", "gtda"))
        if importlib.util.find_spec(mod) is not None
    ]


def _check_resolution(r) -> int:
    return as_count(r, "resolution (intervals per lens dimension, e.g. 10)")


def _check_gain(gain) -> float:
    try:
        g = float(gain)
    except (TypeError, ValueError):
        raise TypeError(
            f"gain must be a number in (0, 1), the overlap fraction; got {gain!r}."
        ) from None
    if not (0.0 < g < 1.0):
        hint = (
            f" If you mean the literature's gain (every point in about {g:g} intervals), convert "
            "it: "
            f"gain=overlap_from_gain({g:g}) = {overlap_from_gain(g) if g > 1 else 0:.3f}."
            if g >= 1
            else ""
        )
        raise ValueError(
            f"gain must be an overlap fraction strictly between 0 and 1 (kmapper's "
            f"perc_overlap, giotto-tda's overlap_frac); got {g}.{hint}"
        )
    return g


def overlap_from_gain(g: float) -> float:
    """The overlap fraction of the literature's gain ``g`` > 1: 1 - 1/g (gain 3 -> 2/3, gain 2 ->
    1/2)."""
    g = float(g)
    if not g > 1.0:
        raise ValueError(
            f"The literature's gain is the number of intervals a point lies in, > 1; got "
            f"{g}. (An overlap fraction in (0, 1) is already what mapper_graph takes.)"
        )
    return 1.0 - 1.0 / g


# --- The cover: KeplerMapper's Cover, placed so that it spans exactly [min, max] of the lens ------
def _interval_length(lo, hi, r, g):
    """THE cover formula: length L of r intervals, overlap g, covering [lo, hi]: (r - 1)(1 - g) L +
    L = hi - lo."""
    return (hi - lo) / (r - (r - 1) * g)


def interval_limits(
    lo: float, hi: float, resolution: int, gain: float
) -> tuple[np.ndarray, np.ndarray]:
    """The uniform cover of [lo, hi] by ``resolution`` closed intervals of equal length L with
    overlap fraction ``gain``: (r - 1)(1 - gain) L + L = hi - lo, interval k starts at lo + k (1 -
    gain) L. Returns (left, right), each (resolution,), in lens units."""
    r, g = _check_resolution(resolution), _check_gain(gain)
    lo, hi = float(lo), float(hi)
    if not hi >= lo:
        raise ValueError(f"need lo <= hi, got lo={lo}, hi={hi}.")
    length = _interval_length(lo, hi, r, g)
    left = lo + np.arange(r) * (1.0 - g) * length
    right = left + length
    right[-1] = hi  # exact, despite rounding
    return left, right


class Cover:
    """The cover of a lens (N, d): ``resolution`` intervals per dimension (one if constant). ``km``:
    the fitted ``kmapper.Cover`` with limits [lo + g L / 2, hi - g L / 2], so that its intervals are
    those of :func:`interval_limits` (kmapper's own stick out of the range); ``masks`` (N, n_sets)
    bool, point i in cover set s (non-empty sets, kmapper's order); ``set_index`` (n_sets, d);
    ``n_empty``."""

    def __init__(self, lens, resolution: int = 10, gain: float = 0.3):
        import kmapper

        lens = np.asarray(lens, dtype=np.float64)
        lens = lens[:, None] if lens.ndim == 1 else lens
        self.resolution, self.gain = _check_resolution(resolution), _check_gain(gain)
        n, d = lens.shape
        if d > 3:
            raise ValueError(
                f"A cover of a {d}-D lens has {self.resolution}**{d} boxes; use a lens of "
                f"at most 3 dimensions (e.g. lens='pca' with n_components=2)."
            )
        lo, hi = lens.min(axis=0), lens.max(axis=0)
        r = np.where(hi > lo, self.resolution, 1)  # a constant lens dimension: one interval
        half = self.gain * _interval_length(lo, hi, r, self.gain) / 2
        tol = 1e-9 * (hi - lo) + 1e-12 * np.maximum(
            np.abs(lo), np.abs(hi)
        )  # min, max stay in despite rounding
        self.km = kmapper.Cover(
            n_cubes=list(r), perc_overlap=self.gain, limits=np.c_[lo + half - tol, hi - half + tol]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kmapper warns that the limits are inside the range
            self.km.fit(np.c_[np.arange(n), lens])
        centers, rad = (
            np.asarray(self.km.centers_),
            self.km.radius_,
        )  # kmapper's transform, all cubes at once
        masks = ((lens[:, None, :] >= centers - rad) & (lens[:, None, :] <= centers + rad)).all(
            axis=2
        )
        keep = masks.any(axis=0)  # kmapper.Cover.transform drops empty cubes
        self.masks = masks[:, keep]
        self.set_index = np.array(list(np.ndindex(*r)), dtype=np.int64).reshape(-1, d)[keep]
        self.n_empty = int((~keep).sum())

    @property
    def n_sets(self) -> int:
        return self.masks.shape[1]


# --- Lenses ---------------------------------------------------------------------------------------
LENSES = ("pca", "confidence", "density", "l2norm", "eccentricity", "neuron:<j>")


def _knn_distance(X: np.ndarray, k: int, sample: np.ndarray | None = None) -> np.ndarray:
    """(len(sample),) distance from every sampled point to its k-th nearest other point of X."""
    from sklearn.neighbors import NearestNeighbors

    k = int(min(max(k, 1), len(X) - 1))
    dist, _ = (
        NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X if sample is None else X[sample])
    )
    return dist[:, k]


def _named_lens(X: np.ndarray, lens: str, n_components, k: int, random_state: int):
    import kmapper

    name, (n, D), nc = lens.strip().lower(), X.shape, int(n_components or 2)

    def project(p):
        return kmapper.KeplerMapper(verbose=0).project(X, projection=p, scaler=None)

    if name == "pca":
        from sklearn.decomposition import PCA

        return project(PCA(n_components=min(nc, D, n), random_state=random_state))
    if name in ("confidence", "rowmax", "max"):
        return project("max")
    if name in ("l2norm", "norm", "l2"):
        return project("l2norm")
    if name in ("density", "knn", "knn_distance"):
        return _knn_distance(X, k)  # kmapper's "knn_distance_k" sums the k distances
    if (
        name == "eccentricity"
    ):  # against at most 2,000 points (kmapper's "dist_mean" is another thing)
        from sklearn.metrics import pairwise_distances_chunked

        ref = (
            X
            if n <= 2000
            else X[np.random.default_rng(random_state).choice(n, 2000, replace=False)]
        )
        return np.concatenate([block.mean(axis=1) for block in pairwise_distances_chunked(X, ref)])
    if name.startswith("neuron:"):
        try:
            j = int(name.split(":", 1)[1])
        except ValueError:
            raise ValueError(
                f"Write a neuron lens as 'neuron:<index>', e.g. 'neuron:17'; got {lens!r}."
            ) from None
        if not -D <= j < D:
            raise ValueError(f"neuron {j} does not exist: X has {D} columns (0..{D - 1}).")
        return project([j])
    raise ValueError(
        f"Unknown lens {lens!r}. Use one of {', '.join(LENSES)}, a callable f(X), "
        f"or an array of N lens values."
    )


def compute_lens(
    X, lens="pca", *, n_components: int | None = None, k: int = 15, random_state: int = 0
) -> np.ndarray:
    """The lens values (N, d) float64 of the points X (N, D).

    lens: ``"pca"`` (first ``n_components``, default 2, principal components); ``"confidence"`` (row
    maximum: for log-softmax outputs the log of the net's confidence); ``"l2norm"`` (row norm);
    ``"density"`` (distance to the ``k``-th nearest neighbour, small = dense); ``"eccentricity"``
    (mean distance to the others, to a random 2,000 of them for larger N); ``"neuron:<j>"`` or
    ``("neuron", j)`` (column j of X); a callable ``f(X) -> (N,) or (N, d)``; or an array (N,) / (N,
    d) (e.g. t-SNE or UMAP coordinates, computed once).
    """
    X = as_array(X, "X", min_len=2)
    n_components = None if n_components is None else as_count(n_components, "n_components")
    k, random_state = (
        as_count(k, "k (neighbours)"),
        as_count(random_state, "random_state", minimum=0),
    )
    if isinstance(lens, tuple) and len(lens) == 2 and lens[0] == "neuron":
        lens = f"neuron:{lens[1]}"
    if isinstance(lens, str):
        out = _named_lens(X, lens, n_components, k, random_state)
    else:
        out = lens(X) if callable(lens) else lens
    out = as_array(out, "the lens", ndim=(1, 2), axes="(N,) or (N, d)")
    if len(out) != len(X):
        raise ValueError(
            f"The lens must give one value (or one row of values) per point: X has {len(X)} "
            f"points, the lens has shape {out.shape}."
        )
    return out[:, None] if out.ndim == 1 else out


# --- Clustering inside cover sets -----------------------------------------------------------------
def auto_eps(
    X,
    min_samples: int = 5,
    quantile: float = 0.9,
    *,
    factor: float = 2.0,
    max_points: int = 3000,
    random_state: int = 0,
) -> float:
    """A scale for DBSCAN / single linkage, in the units of X: ``factor`` times the ``quantile`` of
    the distance to the ``min_samples``-th nearest neighbour (itself counted, as DBSCAN does), on at
    most ``max_points`` points. factor 2 keeps a noisy circle in one piece inside every cover
    set."""
    X = as_array(X, "X", min_len=2)
    rng = np.random.default_rng(random_state)
    sample = None if len(X) <= max_points else rng.choice(len(X), max_points, replace=False)
    d = _knn_distance(X, min_samples - 1 if min_samples > 1 else 1, sample)
    eps = float(factor) * float(np.quantile(d, quantile))
    if eps <= 0:
        eps = float(d[d > 0].min()) if np.any(d > 0) else 1.0
    return eps


def make_clusterer(
    name: str = "knn",
    X=None,
    *,
    eps: float | None = None,
    eps_scale: float = 1.0,
    min_samples: int = 5,
    n_clusters: int = 10,
    k: int = 10,
    random_state: int = 0,
):
    """A scikit-learn clusterer for the cover sets, by name: ``"dbscan"`` (DBSCAN(eps, min_samples),
    noise in no node); ``"single"`` (single linkage cut at eps); ``"kmeans"`` (KMeans(n_clusters));
    ``"knn"`` (:class:`KNNGraphClusterer`, k neighbours, components under min_samples points are
    noise). eps defaults to ``eps_scale * auto_eps(X, min_samples)`` (then X is required)."""
    from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans

    name = str(name).lower()
    if name in ("dbscan", "single") and eps is None:
        if X is None:
            raise ValueError(
                f"make_clusterer({name!r}) needs eps or the data X to choose eps from."
            )
        eps = auto_eps(X, min_samples)
    if eps is not None:
        if not float(eps_scale) > 0:
            raise ValueError(f"eps_scale must be > 0, got {eps_scale}.")
        eps = float(eps) * float(eps_scale)
    if name == "dbscan":
        return DBSCAN(eps=eps, min_samples=int(min_samples))
    if name in ("single", "single_linkage"):
        return AgglomerativeClustering(n_clusters=None, linkage="single", distance_threshold=eps)
    if name == "kmeans":
        return KMeans(n_clusters=int(n_clusters), n_init=1, random_state=random_state)
    if name == "knn":
        return KNNGraphClusterer(k=int(k), min_cluster_size=int(min_samples))
    raise ValueError(
        f"Unknown clusterer {name!r}; use 'knn', 'dbscan', 'single', 'kmeans' or pass a "
        f"scikit-learn clusterer (an object with fit(X) setting labels_)."
    )


def _min_points(clusterer) -> int:
    """KeplerMapper's rule: a cover set is clustered only with at least this many points."""
    params = clusterer.get_params() if hasattr(clusterer, "get_params") else {}
    for p in ("n_clusters", "min_cluster_size", "min_samples"):
        v = params.get(p)
        if isinstance(v, numbers.Integral) and not isinstance(v, bool) and v:
            return max(2, int(v))
    return 2


def _knn_graph(X, k: int):
    from sklearn.neighbors import NearestNeighbors

    A = NearestNeighbors(n_neighbors=int(min(k, len(X) - 1)) + 1).fit(X).kneighbors_graph(X)
    return (A + A.T).tocsr()


class KNNGraphClusterer(ClusterMixin, BaseEstimator):
    """Clusters = connected components of the symmetrized k-NN graph (sklearn.neighbors); components
    under ``min_cluster_size`` points are noise (-1). Inside :func:`mapper_graph` the k-NN graph of
    ALL points is searched once (:meth:`graph_for`, cached for the same X) and each cover set is cut
    from it."""

    def __init__(self, k: int = 10, min_cluster_size: int = 5):
        self.k = k
        self.min_cluster_size = min_cluster_size

    def graph_for(self, X):
        """The symmetrized k-NN graph (N x N sparse) of X, cached on this object for the same X and
        k."""
        import hashlib

        X = np.ascontiguousarray(X)
        key = (X.shape, int(self.k), hashlib.md5(X.tobytes()).hexdigest())
        if getattr(self, "_cache_key", None) != key:
            self._cache_graph, self._cache_key = _knn_graph(X, self.k), key
        return self._cache_graph

    def components(self, A) -> np.ndarray:
        """(n,) int: the connected component of each node of the graph A, -1 in one under
        min_cluster_size."""
        from scipy.sparse.csgraph import connected_components

        lab = connected_components(A, directed=False)[1]
        sizes = np.bincount(lab)
        remap = np.full(len(sizes), -1, np.int64)
        big = np.flatnonzero(sizes >= self.min_cluster_size)
        remap[big] = np.arange(len(big))
        return remap[lab]

    def fit(self, X, y=None):
        self.labels_ = (
            self.components(_knn_graph(np.asarray(X), self.k))
            if len(X) > 1
            else np.full(len(X), -1)
        )
        return self


class _CoverSetClusterer(ClusterMixin, BaseEstimator):
    """Clusters one cover set for either backend: gets the points with their global index as column
    0, cuts the k-NN graph ``knn`` of all points to the set (a :class:`KNNGraphClusterer`) or fits a
    copy of ``base`` on the other columns. A set under ``min_points`` points is all noise:
    KeplerMapper's skip rule, which giotto-tda lacks."""

    def __init__(self, base=None, min_points: int = 2, knn=None):
        self.base = base
        self.min_points = min_points
        self.knn = knn

    def record(self, masks):
        """From now on each fit appends (cover set, members) per cluster to ``nodes_``
        (KeplerMapper.map's node order); the set is the column of ``masks`` (N, n_sets) holding
        exactly the points fit gets."""
        self._sets = {}
        for s in range(masks.shape[1]):
            self._sets.setdefault(np.flatnonzero(masks[:, s]).tobytes(), []).append(s)
        self.nodes_ = []
        return self

    def fit(self, X, y=None):
        X = np.asarray(X)
        self._fit(X)
        if hasattr(self, "nodes_"):
            idx = X[:, 0].astype(np.int64)
            sets = self._sets.get(np.sort(idx).tobytes())
            if not sets:
                raise RuntimeError(
                    "The clusterer got points that form no cover set: the covers disagree."
                )
            s = sets.pop(0)
            lab = self.labels_
            self.nodes_ += [(s, np.sort(idx[lab == c])) for c in np.unique(lab[lab >= 0])]
        return self

    def _fit(self, X):
        if len(X) < self.min_points:
            self.labels_ = np.full(len(X), -1, dtype=np.int64)
        elif self.knn is not None:
            idx = X[:, 0].astype(np.int64)
            self.labels_ = self.base.components(self.knn[idx][:, idx])
        else:
            self.labels_ = np.asarray(clone(self.base).fit(X[:, 1:]).labels_, dtype=np.int64)
        return self

    def fit_predict(self, X, y=None):
        return self.fit(X).labels_


# --- Graph invariants -----------------------------------------------------------------------------
def graph_cycles(G) -> int:
    """The number of independent cycles of a graph (its first Betti number): E - V + C."""
    import networkx as nx

    if G.number_of_nodes() == 0:
        return 0
    return G.number_of_edges() - G.number_of_nodes() + nx.number_connected_components(G)


def flag_holes(G) -> int:
    """Holes of the graph once every triangle is filled in: beta_1 of its flag complex over Z/2
    (ripser on the graph as a sparse distance matrix). A 2-D lens makes triangles where three boxes
    overlap: cycles of the graph (:func:`graph_cycles` counts them) but not holes of the data."""
    from ripser import ripser
    from scipy import sparse

    if graph_cycles(G) == 0:
        return 0
    idx = {v: i for i, v in enumerate(G)}
    e = np.array([(idx[a], idx[b]) for a, b in G.edges()])
    D = sparse.coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(len(idx),) * 2)
    return int(np.isinf(ripser(D, distance_matrix=True, maxdim=1, coeff=2)["dgms"][1][:, 1]).sum())


# --- The result -----------------------------------------------------------------------------------
@dataclass
class MapperResult:
    """A Mapper graph. graph: networkx.Graph on nodes 0..n-1 (node attributes ``members``, ``size``,
    ``cover_set``; edge ``weight`` = shared points); members: (n_i,) sorted int arrays, the points
    of node i; lens (N, d) and cover (:class:`Cover`), None for a Ball Mapper; cover_set: (n,) each
    node's cover set (or ball's landmark); n_points: N; params: the settings and seconds; native:
    the backend's output (kmapper's graph dict for ``KeplerMapper.visualize``, or the fitted
    giotto-tda pipeline)."""

    graph: object
    members: list
    lens: np.ndarray | None
    cover: Cover | None
    cover_set: np.ndarray
    n_points: int
    params: dict = field(default_factory=dict)
    native: object = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        return self.graph.number_of_nodes()

    @property
    def n_edges(self) -> int:
        return self.graph.number_of_edges()

    def n_components(self) -> int:
        import networkx as nx

        return nx.number_connected_components(self.graph) if self.n_nodes else 0

    def coverage(self) -> float:
        """Share of the N points that lie in at least one node (the rest was clustering noise)."""
        return len(np.unique(np.concatenate(self.members))) / self.n_points if self.members else 0.0

    def summary(self) -> dict:
        """{nodes, edges, components, cycles (E - V + C), holes (:func:`flag_holes`), coverage}."""
        return {
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "components": self.n_components(),
            "cycles": graph_cycles(self.graph),
            "holes": flag_holes(self.graph),
            "coverage": round(self.coverage(), 4),
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"<MapperResult {s['nodes']} nodes, {s['edges']} edges, {s['components']} components, "
            f"{s['cycles']} cycles; {100 * s['coverage']:.1f}% of {self.n_points} points covered; "
            f"{self.params.get('backend', '')}>"
        )

    def node_mean(self, values) -> np.ndarray:
        """(n_nodes,) mean of a per-point value (N,) over each node's members."""
        v = as_array(values, "values", ndim=1, axes="(N,)", finite=False)
        if len(v) != self.n_points:
            raise ValueError(
                f"values must have one entry per point ({self.n_points}); got {len(v)}."
            )
        return np.array([v[m].mean() for m in self.members])

    def node_majority(self, labels) -> tuple[np.ndarray, np.ndarray]:
        """(majority label (n_nodes,) int, purity (n_nodes,) float): the majority's share of ALL
        members."""
        lab = as_labels(labels, self.n_points)
        maj, pur = np.zeros(self.n_nodes, np.int64), np.zeros(self.n_nodes)
        for i, m in enumerate(self.members):
            vals, counts = np.unique(lab[m], return_counts=True)
            maj[i], pur[i] = vals[counts.argmax()], counts.max() / len(m)
        return maj, pur

    def node_clusters(
        self,
        method: str = "components",
        *,
        seed: int = 0,
        resolution: float = 1.0,
        n_clusters: int | None = None,
    ) -> np.ndarray:
        """(n_nodes,) int cluster id per node, largest first (by points): ``"components"``;
        ``"communities"`` (networkx Louvain, weighted by shared points; ``resolution`` > 1: more,
        smaller); ``"merged"`` (exactly ``n_clusters`` groups, or n_nodes if fewer: greedy
        modularity merging from single nodes, networkx
        ``greedy_modularity_communities(cutoff=best_n=n_clusters)``, weighted; deterministic)."""
        import networkx as nx

        if method == "components":
            groups = nx.connected_components(self.graph)
        elif method == "communities":
            groups = nx.community.louvain_communities(
                self.graph, weight="weight", seed=seed, resolution=resolution
            )
        elif method == "merged":
            if n_clusters is None:
                raise ValueError(
                    "method='merged' needs n_clusters, the number of groups (e.g. 10 for digits)."
                )
            k = min(as_count(n_clusters, "n_clusters"), self.n_nodes)
            groups = nx.community.greedy_modularity_communities(
                self.graph, weight="weight", cutoff=k, best_n=k
            )
        else:
            raise ValueError(
                f"method must be 'components', 'communities' or 'merged', got {method!r}."
            )
        groups = sorted(groups, key=lambda g: (-sum(len(self.members[v]) for v in g), min(g)))
        out = np.full(self.n_nodes, -1, np.int64)
        for c, g in enumerate(groups):
            out[list(g)] = c
        return out

    def point_clusters(self, method: str = "components", **kw) -> np.ndarray:
        """(N,) int whole-graph cluster of every point (:meth:`node_clusters`), -1 for points in no
        node; a point in nodes of several clusters goes to the one holding most of them, ties to the
        lower id (so a node group whose points all lie in other groups' nodes too gets no point)."""
        nc = self.node_clusters(method, **kw)
        votes = np.zeros((self.n_points, max(int(nc.max()) + 1 if len(nc) else 0, 1)), np.int64)
        for i, m in enumerate(self.members):
            votes[m, nc[i]] += 1
        out = votes.argmax(axis=1)
        out[votes.sum(axis=1) == 0] = -1
        return out


def _build_result(
    node_sets, node_members, edges, n_points: int, lens, cover, params, native
) -> MapperResult:
    """The one graph representation: networkx on nodes 0..n-1 numbered by (cover set, smallest
    member)."""
    import networkx as nx

    order = sorted(
        range(len(node_members)), key=lambda i: (node_sets[i], int(np.min(node_members[i])))
    )
    new = {old: k for k, old in enumerate(order)}
    members = [np.sort(np.asarray(node_members[i], dtype=np.int64)) for i in order]
    G = nx.Graph()
    for k, m in enumerate(members):
        G.add_node(k, members=m, size=len(m), cover_set=int(node_sets[order[k]]))
    for a, b in edges:
        a, b = new[a], new[b]
        if a != b:
            G.add_edge(
                a, b, weight=int(len(np.intersect1d(members[a], members[b], assume_unique=True)))
            )
    sets = np.asarray([node_sets[i] for i in order], dtype=np.int64)
    return MapperResult(G, members, lens, cover, sets, n_points, params, native)


# --- Backends: (sets, members, edges, native) from the cover and the wrapped clusterer ------------
def _run_kmapper(X, lens, cover, clusterer, min_intersection):
    """``KeplerMapper.map`` with kmapper's Cover and GraphNerve; nodes and their cover sets as the
    wrapped clusterer recorded them (checked against kmapper's nodes), edges from kmapper's
    links."""
    import kmapper

    Xi = np.hstack(
        [np.arange(len(X), dtype=np.float64)[:, None], X]
    )  # global index for the clusterer
    clusterer.record(cover.masks)  # cover set of every node, as made
    g = kmapper.KeplerMapper(verbose=0).map(
        lens,
        Xi,
        clusterer=clusterer,
        cover=cover.km,
        nerve=kmapper.GraphNerve(min_intersection=min_intersection),
    )
    names = list(g["nodes"])  # kmapper makes its nodes in the order the wrapper saw them
    if len(names) != len(clusterer.nodes_) or any(
        not np.array_equal(np.sort(g["nodes"][k]), m) for k, (_, m) in zip(names, clusterer.nodes_)
    ):
        raise RuntimeError("KeplerMapper's nodes differ from the clusters its clusterer returned.")
    index = {k: i for i, k in enumerate(names)}
    edges = [(index[a], index[b]) for a, ends in g["links"].items() for b in ends]
    return [s for s, _ in clusterer.nodes_], [m for _, m in clusterer.nodes_], edges, g


def _run_giotto(X, lens, cover, clusterer, min_intersection):
    """giotto-tda's ``make_mapper_pipeline`` (its pull-back, parallel clustering and nerve)."""
    from gtda.mapper import Projection, make_mapper_pipeline
    from sklearn.preprocessing import FunctionTransformer

    d, D = lens.shape[1], X.shape[1]
    cover_step = FunctionTransformer(
        lambda L: Cover(L, cover.resolution, cover.gain).masks
    )  # same sets
    pipe = make_mapper_pipeline(
        filter_func=Projection(columns=list(range(d))),
        cover=cover_step,
        clustering_preprocessing=Projection(columns=list(range(d, d + D + 1))),  # index + X
        clusterer=clusterer,
        min_intersection=min_intersection,
        n_jobs=1,
    )
    ig = pipe.fit_transform(np.hstack([lens, np.arange(len(X), dtype=np.float64)[:, None], X]))
    keep = [v.index for v in ig.vs if v["partial_cluster_label"] != -1]  # noise is no node
    index = {old: i for i, old in enumerate(keep)}
    sets = [int(ig.vs[i]["pullback_set_label"]) for i in keep]
    members = [np.asarray(ig.vs[i]["node_elements"], dtype=np.int64) for i in keep]
    edges = [
        (index[e.source], index[e.target]) for e in ig.es if e.source in index and e.target in index
    ]
    return sets, members, edges, pipe


def mapper_graph(
    X,
    *,
    lens="pca",
    resolution: int = 10,
    gain: float = 0.3,
    clusterer=None,
    backend: str = "kmapper",
    n_components: int | None = None,
    eps_scale: float = 1.0,
    min_intersection: int = 1,
    random_state: int = 0,
) -> MapperResult:
    """The Mapper graph of the points X (N, D) (array or tensor, e.g. activations of N test images).
    lens:       a lens name, callable or array (:func:`compute_lens`; default: first 2 PCA
                coordinates).
    resolution: intervals per lens dimension (>= 1), spanning [min, max] of the lens
                (:class:`Cover`).
    gain:       overlap fraction of consecutive intervals in (0, 1) (kmapper's perc_overlap); for
                the literature's gain g use ``overlap_from_gain(g)``.
    clusterer:  None or a name of :func:`make_clusterer` ("knn" by default; eps of
                "dbscan"/"single" = ``eps_scale`` * :func:`auto_eps`), or any scikit-learn clusterer
                (fit(X) -> labels_). Label -1 = noise = in no node. A cover set smaller than the
                clusterer's n_clusters / min_samples is skipped (KeplerMapper's rule).
    backend:    "kmapper" (KeplerMapper.map) or "giotto" (giotto-tda pipeline); same cover, same
                graph.
    min_intersection: shared points needed for an edge.
    Returns a :class:`MapperResult`. Raises ValueError if no cover set yields a cluster.
    """
    t0 = time.perf_counter()
    X = as_array(X, "X", min_len=2)
    resolution, gain = _check_resolution(resolution), _check_gain(gain)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}.")
    if backend not in available_backends():
        lib = "giotto-tda" if backend == "giotto" else "kmapper"
        raise ImportError(
            f"backend={backend!r} needs {lib}, which is not installed: pip install {lib}"
            + (f", or use backend={available_backends()[0]!r}." if available_backends() else ".")
        )
    if not isinstance(min_intersection, numbers.Integral) or min_intersection < 1:
        raise ValueError(f"min_intersection must be an integer >= 1, got {min_intersection!r}.")
    lens_values = compute_lens(X, lens, n_components=n_components, random_state=random_state)
    cover = Cover(lens_values, resolution, gain)
    if clusterer is None or isinstance(clusterer, str):
        base = make_clusterer(clusterer or "knn", X, eps_scale=eps_scale, random_state=random_state)
    else:
        base = clusterer
        if not hasattr(base, "fit") or not hasattr(base, "get_params"):
            raise TypeError(
                f"clusterer must be a scikit-learn style clusterer (fit(X) then labels_), "
                f"or one of 'dbscan', 'single', 'kmeans'; got {type(base).__name__}."
            )
    knn = base.graph_for(X) if isinstance(base, KNNGraphClusterer) else None
    wrapped = _CoverSetClusterer(base, _min_points(base), knn)
    run = _run_kmapper if backend == "kmapper" else _run_giotto
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        sets, members, edges, native = run(X, lens_values, cover, wrapped, int(min_intersection))
    if not members:
        raise ValueError(
            f"The clusterer found no cluster in any of the {cover.n_sets} cover sets (every point "
            "was "
            f"labelled noise or every set was smaller than {wrapped.min_points} points). Use a "
            "larger "
            f"eps / eps_scale, a smaller min_samples or n_clusters, or a lower resolution."
        )
    lens_name = (
        lens
        if isinstance(lens, (str, tuple))
        else ("custom" if not callable(lens) else getattr(lens, "__name__", "callable"))
    )
    params = {
        "lens": lens_name,
        "resolution": resolution,
        "gain": gain,
        "backend": backend,
        "clusterer": repr(base),
        "min_intersection": int(min_intersection),
    }
    res = _build_result(sets, members, edges, len(X), lens_values, cover, params, native)
    res.params["seconds"] = round(time.perf_counter() - t0, 3)
    return res


# --- Teaching shapes (synthetic, and named as such) -----------------------------------------------
def noisy_circle(
    n: int = 500, noise: float = 0.05, *, radius: float = 1.0, seed: int = 0
) -> np.ndarray:
    """(n, 2) points on a circle of ``radius`` with Gaussian noise of std ``noise`` (a synthetic
    shape)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    return np.c_[np.cos(t), np.sin(t)] * radius + rng.normal(0, noise, (n, 2))
