"""Mapper graphs of point clouds and network activations (notebook 04).

Mapper (Singh, Memoli & Carlsson 2007) summarizes a point cloud X (N points in R^D) by a graph:

1. a *lens* f: X -> R^d (PCA coordinates, the network's confidence, a density estimate, ...);
2. a *cover* of the lens range by overlapping intervals (d = 1) or boxes (d > 1): ``resolution``
   intervals per lens dimension, consecutive intervals overlapping by the fraction ``gain`` of their
   length (kmapper's ``perc_overlap``, giotto-tda's ``overlap_frac``);
3. *clustering* of the points of every cover set (pull-back) in the original space R^D;
4. the *nerve*: one node per cluster, an edge between two clusters that share a point.

For a 1-D lens this is a discrete picture of the Reeb graph of f.

One call does it all::

    res = mapper.mapper_graph(X, lens="pca", resolution=10, gain=0.3)   # backend="kmapper" | "giotto"
    res.graph                 # networkx.Graph; node attributes "members", "size", "cover_set"
    res.members[i]            # (n_i,) int: the indices of the points in node i
    res.lens                  # (N, d) float: the lens values
    res.summary()             # nodes, edges, components, cycles, holes, coverage
    mapper.draw(res, color=labels)

Both backends use the SAME cover (:class:`Cover`, built here so that the two libraries see identical cover
sets), the same clusterer and the same noise rule (points a clusterer labels -1 belong to no node; cover
sets with fewer points than the clusterer needs are skipped, as KeplerMapper does). On the same input
they therefore give the same graph (tests check this). KeplerMapper's own ``Cover`` places its intervals
slightly differently (they stick out of the lens range by half an overlap at both ends, so they are a little
longer); that changes node counts a little.

The literature's "gain g" (Carlsson et al.; Gabrielsson & Carlsson's "gain 3") means every point lies in
about g intervals, i.e. an overlap fraction 1 - 1/g: use :func:`overlap_from_gain` (gain 3 -> 0.667).

Also here: Ball Mapper (:func:`ball_mapper`, lens-free), whole-graph clusters (components and
communities, :meth:`MapperResult.point_clusters`), parameter sensitivity (:func:`sensitivity`),
KeplerMapper HTML (:func:`save_html`, :func:`show_html`) and the interactive explorer
(:class:`MapperExplorer`, whose :meth:`~MapperExplorer.update` is what the sliders call).
"""
from __future__ import annotations

import html as _html
import numbers
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

__all__ = [
    "available_backends", "overlap_from_gain", "gain_from_overlap", "interval_limits", "Cover",
    "LENSES", "compute_lens", "auto_eps", "make_clusterer", "CoverSetClusterer",
    "mapper_graph", "MapperResult", "ball_mapper", "graph_cycles", "flag_holes",
    "draw", "plot_cover", "typical_distance", "KNNGraphClusterer", "save_html", "show_html", "sensitivity", "plot_sensitivity",
    "MapperExplorer", "noisy_circle", "two_blobs",
]

BACKENDS = ("kmapper", "giotto")


def available_backends() -> list[str]:
    """The backends whose library is installed (giotto-tda is optional: the Colab install skips it)."""
    import importlib.util

    mods = {"kmapper": "kmapper", "giotto": "gtda"}
    return [b for b in BACKENDS if importlib.util.find_spec(mods[b]) is not None]


# ---------------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------------
def _as_points(X, what: str = "X") -> np.ndarray:
    """(N, D) float64 array from a NumPy array / torch tensor / list; clear errors otherwise."""
    if hasattr(X, "detach"):
        X = X.detach().cpu().numpy()
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be an array of numbers (N points, D features); got "
                        f"{type(X).__name__}.") from None
    if X.ndim == 1:
        raise ValueError(f"{what} must be 2-D (N points, D features); got a 1-D array of length "
                         f"{len(X)}. For one feature per point use X.reshape(-1, 1).")
    if X.ndim > 2:
        raise ValueError(f"{what} must be 2-D (N points, D features); got shape {X.shape}. "
                         f"Flatten images first: X.reshape(len(X), -1).")
    if len(X) < 2:
        raise ValueError(f"{what} needs at least 2 points; got {len(X)}.")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{what} contains NaN or inf values ({int((~np.isfinite(X)).sum())} of them); "
                         f"drop those rows first: X[np.isfinite(X).all(axis=1)].")
    return X


def _check_resolution(resolution) -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral):
        if isinstance(resolution, float) and resolution.is_integer():
            resolution = int(resolution)
        else:
            raise TypeError(f"resolution must be a whole number of intervals per lens dimension "
                            f"(e.g. 10); got {resolution!r}.")
    if resolution < 1:
        raise ValueError(f"resolution must be >= 1 (the number of intervals per lens dimension); "
                         f"got {resolution}.")
    return int(resolution)


def _check_gain(gain) -> float:
    try:
        g = float(gain)
    except (TypeError, ValueError):
        raise TypeError(f"gain must be a number in (0, 1), the overlap fraction; got {gain!r}.") from None
    if not (0.0 < g < 1.0):
        hint = ""
        if g >= 1.0:
            hint = (f" If you mean the literature's gain (every point in about {g:g} intervals), "
                    f"convert it: gain=overlap_from_gain({g:g}) = {overlap_from_gain(g) if g > 1 else 0:.3f}.")
        raise ValueError(f"gain must be an overlap fraction strictly between 0 and 1 (kmapper's "
                         f"perc_overlap, giotto-tda's overlap_frac); got {g}.{hint}")
    return g


def overlap_from_gain(g: float) -> float:
    """The overlap fraction of the literature's gain ``g`` > 1: 1 - 1/g (gain 3 -> 2/3, gain 2 -> 1/2).

    With gain g every point of the lens range lies in about g consecutive intervals.
    """
    g = float(g)
    if not g > 1.0:
        raise ValueError(f"The literature's gain is the number of intervals a point lies in, > 1; got "
                         f"{g}. (An overlap fraction in (0, 1) is already what mapper_graph takes.)")
    return 1.0 - 1.0 / g


def gain_from_overlap(p: float) -> float:
    """Inverse of :func:`overlap_from_gain`: overlap fraction ``p`` in (0, 1) -> gain 1/(1-p)."""
    p = _check_gain(p)
    return 1.0 / (1.0 - p)


# ---------------------------------------------------------------------------------------------------
# The cover
# ---------------------------------------------------------------------------------------------------
def interval_limits(lo: float, hi: float, resolution: int, gain: float) -> tuple[np.ndarray, np.ndarray]:
    """The uniform cover of [lo, hi] by ``resolution`` closed intervals with overlap fraction ``gain``.

    All intervals have the same length L = (hi - lo) / (r - (r - 1) * gain); interval k starts at
    lo + k * (1 - gain) * L, so the first starts at lo, the last ends at hi, and consecutive intervals
    share gain * L (giotto-tda's uniform cover, with closed ends; kmapper's intervals stick out of [lo, hi]
    by half an overlap at both ends).
    Returns (left, right), each of shape (resolution,), in lens units.
    """
    r = _check_resolution(resolution)
    g = _check_gain(gain)
    lo, hi = float(lo), float(hi)
    if not hi >= lo:
        raise ValueError(f"need lo <= hi, got lo={lo}, hi={hi}.")
    length = (hi - lo) / (r - (r - 1) * g)
    left = lo + np.arange(r) * (1.0 - g) * length
    right = left + length
    right[-1] = hi  # exact, despite rounding
    return left, right


class Cover:
    """The cover of a lens (N, d) by boxes: products of ``resolution`` intervals per lens dimension.

    Attributes
    ----------
    limits:    list of d pairs (left, right), each (resolution,): the intervals of every lens dimension.
    masks:     (N, n_sets) bool: point i lies in cover set s. Only non-empty sets are kept.
    set_index: (n_sets, d) int: the interval index, per lens dimension, of every kept set.
    n_empty:   how many of the resolution**d boxes held no point (dropped; not an error).
    """

    def __init__(self, lens, resolution: int = 10, gain: float = 0.3):
        lens = np.asarray(lens, dtype=np.float64)
        if lens.ndim == 1:
            lens = lens[:, None]
        self.resolution = _check_resolution(resolution)
        self.gain = _check_gain(gain)
        n, d = lens.shape
        if d > 3:
            raise ValueError(f"A cover of a {d}-D lens has {self.resolution}**{d} boxes; use a lens of "
                             f"at most 3 dimensions (e.g. lens='pca' with n_components=2).")
        self.limits = []
        masks, index = np.ones((n, 1), dtype=bool), np.zeros((1, 0), dtype=np.int64)
        n_boxes = 1
        for j in range(d):
            lo, hi = lens[:, j].min(), lens[:, j].max()
            r = self.resolution if hi > lo else 1     # a constant lens dimension: one interval, not r copies
            left, right = interval_limits(lo, hi, r, self.gain)
            self.limits.append((left, right))
            n_boxes *= r
            inside = (lens[:, j, None] >= left) & (lens[:, j, None] <= right)      # (N, r)
            inside[:, 0] |= lens[:, j] <= left[0]     # guard the ends against rounding
            inside[:, -1] |= lens[:, j] >= right[-1]
            combined = (masks[:, :, None] & inside[:, None, :]).reshape(n, -1)
            idx = np.concatenate([np.repeat(index, r, axis=0),
                                  np.tile(np.arange(r), len(index))[:, None]], axis=1)
            keep = combined.any(axis=0)
            masks, index = combined[:, keep], idx[keep]
        self.masks = masks
        self.set_index = index
        self.n_empty = n_boxes - masks.shape[1]

    @property
    def n_sets(self) -> int:
        return self.masks.shape[1]

    def members(self, s: int) -> np.ndarray:
        """(n_s,) int: the points of cover set ``s``."""
        return np.flatnonzero(self.masks[:, s])

    def __repr__(self) -> str:
        return (f"<Cover {self.resolution} intervals x {len(self.limits)} dims, overlap {self.gain:.3f}: "
                f"{self.n_sets} non-empty sets, {self.n_empty} empty>")


# ---------------------------------------------------------------------------------------------------
# Lenses
# ---------------------------------------------------------------------------------------------------
LENSES = ("pca", "confidence", "tsne", "umap", "density", "l2norm", "eccentricity", "neuron:<j>")


def _knn_distance(X: np.ndarray, k: int, sample: np.ndarray | None = None) -> np.ndarray:
    """(len(sample),) distance from every sampled point to its k-th nearest other point of X."""
    from sklearn.neighbors import NearestNeighbors

    k = int(min(max(k, 1), len(X) - 1))
    nn = NearestNeighbors(n_neighbors=k + 1).fit(X)
    dist, _ = nn.kneighbors(X if sample is None else X[sample])
    return dist[:, k]


def compute_lens(X, lens="pca", *, n_components: int | None = None, k: int = 15,
                 random_state: int = 0) -> np.ndarray:
    """The lens values (N, d) of the points X (N, D).

    lens:
      ``"pca"``          the first ``n_components`` (default 2) principal components;
      ``"confidence"``   the row maximum of X (Alessi's lens on the output layer: for log-softmax outputs it
                         is the log of the network's confidence, 0 = certain);
      ``"tsne"``, ``"umap"``  2-D (``n_components``) embeddings (UMAP with n_neighbors=20, as in Alessi's study).
                         Slow on 10,000 points (t-SNE about a minute): compute once and pass the array;
      ``"density"``      the distance to the ``k``-th nearest neighbour (small = dense), the density
                         estimate of Carlsson et al.;
      ``"l2norm"``       the Euclidean norm of every row;
      ``"eccentricity"`` the mean Euclidean distance to the other points (to a random 2,000 of them when N
                         is larger; large = far from the bulk);
      ``"neuron:<j>"`` or ``("neuron", j)``  column j of X (one neuron's activation);
      a callable ``f(X) -> (N,) or (N, d)``, or an array (N,) / (N, d) of precomputed values.
    Returns float64 (N, d). Raises ValueError with the valid choices on an unknown lens.
    """
    X = _as_points(X)
    n = len(X)
    if isinstance(lens, tuple) and len(lens) == 2 and lens[0] == "neuron":
        lens = f"neuron:{lens[1]}"
    if isinstance(lens, str):
        name = lens.strip().lower()
        if name == "pca":
            from sklearn.decomposition import PCA

            nc = int(n_components or 2)
            nc = min(nc, X.shape[1], n)
            out = PCA(n_components=nc, random_state=random_state).fit_transform(X)
        elif name in ("confidence", "rowmax", "max"):
            out = X.max(axis=1)
        elif name == "tsne":
            from sklearn.manifold import TSNE

            # exact t-SNE is faster than Barnes-Hut for a few hundred points (and exact)
            out = TSNE(n_components=int(n_components or 2), init="pca", random_state=random_state,
                       method="exact" if n <= 600 else "barnes_hut",
                       perplexity=float(min(30.0, max(2.0, (n - 1) / 3.0)))).fit_transform(X)
        elif name == "umap":
            import umap

            out = umap.UMAP(n_neighbors=min(20, n - 1), n_components=int(n_components or 2),
                            random_state=random_state).fit_transform(X)
        elif name in ("density", "knn", "knn_distance"):
            out = _knn_distance(X, k)
        elif name in ("l2norm", "norm", "l2"):
            out = np.linalg.norm(X, axis=1)
        elif name == "eccentricity":
            rng = np.random.default_rng(random_state)
            ref = X if n <= 2000 else X[rng.choice(n, 2000, replace=False)]
            out = np.empty(n)
            for a in range(0, n, 1000):
                block = X[a:a + 1000]
                d2 = (block ** 2).sum(1)[:, None] + (ref ** 2).sum(1)[None] - 2 * block @ ref.T
                out[a:a + 1000] = np.sqrt(np.maximum(d2, 0)).mean(axis=1)
        elif name.startswith("neuron:"):
            try:
                j = int(name.split(":", 1)[1])
            except ValueError:
                raise ValueError(f"Write a neuron lens as 'neuron:<index>', e.g. 'neuron:17'; got {lens!r}.") from None
            if not -X.shape[1] <= j < X.shape[1]:
                raise ValueError(f"neuron {j} does not exist: X has {X.shape[1]} columns (0..{X.shape[1] - 1}).")
            out = X[:, j]
        else:
            raise ValueError(f"Unknown lens {lens!r}. Use one of {', '.join(LENSES)}, a callable f(X), "
                             f"or an array of N lens values.")
    elif callable(lens):
        out = lens(X)
    else:
        out = lens
    if hasattr(out, "detach"):
        out = out.detach().cpu().numpy()
    out = np.asarray(out, dtype=np.float64)
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or len(out) != n:
        raise ValueError(f"The lens must give one value (or one row of values) per point: X has {n} "
                         f"points, the lens has shape {out.shape}.")
    if not np.all(np.isfinite(out)):
        raise ValueError("The lens has NaN or inf values; check the function or array you passed.")
    return out


# ---------------------------------------------------------------------------------------------------
# Clustering inside cover sets
# ---------------------------------------------------------------------------------------------------
def auto_eps(X, min_samples: int = 5, quantile: float = 0.9, *, factor: float = 2.0,
             max_points: int = 3000, random_state: int = 0) -> float:
    """A scale for DBSCAN / single linkage (in the units of X): ``factor`` times the ``quantile`` of the
    distance from a point to its ``min_samples``-th nearest neighbour (itself counted, as DBSCAN does),
    estimated on at most ``max_points`` points.

    The data's own scale, so that the same clusterer works on a unit circle and on 100-D activations.
    factor 2 keeps a noisy circle in one piece inside every cover set (tests/test_mapper.py); smaller
    values break sparse regions into fragments.
    """
    X = _as_points(X)
    rng = np.random.default_rng(random_state)
    sample = None if len(X) <= max_points else rng.choice(len(X), max_points, replace=False)
    d = _knn_distance(X, min_samples - 1 if min_samples > 1 else 1, sample)
    eps = float(factor) * float(np.quantile(d, quantile))
    if eps <= 0:
        eps = float(d[d > 0].min()) if np.any(d > 0) else 1.0
    return eps


def make_clusterer(name: str = "knn", X=None, *, eps: float | None = None, eps_scale: float = 1.0,
                   min_samples: int = 5, n_clusters: int = 10, k: int = 10, random_state: int = 0):
    """A scikit-learn clusterer for the cover sets, by name.

    ``"dbscan"``  DBSCAN(eps, min_samples); points it calls noise belong to no node;
    ``"single"``  single-linkage clustering cut at distance eps (Gabrielsson & Carlsson's choice);
    ``"kmeans"``  KMeans(n_clusters) in every cover set (Alessi's choice; sets with fewer points are skipped);
    ``"knn"``     connected components of the k-NN graph (:class:`KNNGraphClusterer`, k neighbours,
                  components under min_samples points are noise): no scale to tune, and fast.
    eps defaults to ``eps_scale * auto_eps(X, min_samples)`` (then X is required).
    """
    from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans

    name = str(name).lower()
    if name in ("dbscan", "single") and eps is None:
        if X is None:
            raise ValueError(f"make_clusterer({name!r}) needs eps or the data X to choose eps from.")
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
    raise ValueError(f"Unknown clusterer {name!r}; use 'knn', 'dbscan', 'single', 'kmeans' or pass a "
                     f"scikit-learn clusterer (an object with fit(X) setting labels_).")


def _min_points(clusterer) -> int:
    """KeplerMapper's rule: a cover set is clustered only with at least this many points."""
    params = clusterer.get_params() if hasattr(clusterer, "get_params") else {}
    for p in ("n_clusters", "min_cluster_size", "min_samples"):
        v = params.get(p)
        if isinstance(v, numbers.Integral) and not isinstance(v, bool) and v:
            return max(2, int(v))
    return 2


try:  # scikit-learn is a hard dependency of the toolkit; keep the import at module level for giotto
    from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, clone
except ImportError:  # pragma: no cover
    BaseEstimator = ClusterMixin = TransformerMixin = object


class KNNGraphClusterer(ClusterMixin, BaseEstimator):
    """Clusters = connected components of the k-nearest-neighbour graph (symmetrized) of the points;
    components smaller than ``min_cluster_size`` are noise (-1). No distance threshold: it adapts to the
    local density, which differs a lot between confident and unsure activations.

    Inside :func:`mapper_graph` the k-NN graph of ALL points is computed once and every cover set uses
    the part of it among its own points (fast: about 1 ms per set), instead of a new k-NN search.
    """

    def __init__(self, k: int = 10, min_cluster_size: int = 5):
        self.k = k
        self.min_cluster_size = min_cluster_size

    def _graph(self, X):
        from sklearn.neighbors import NearestNeighbors

        k = int(min(self.k, len(X) - 1))
        A = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors_graph(X, mode="connectivity")
        return (A + A.T).tocsr()

    def graph_for(self, X):
        """The symmetrized k-NN graph (N x N sparse) of X, cached on this object for the same X and k
        (so sliders and parameter grids do not repeat the k-NN search)."""
        import hashlib

        X = np.ascontiguousarray(X)
        key = (X.shape, int(self.k), hashlib.md5(X.tobytes()).hexdigest())
        if getattr(self, "_cache_key", None) != key:
            self._cache_graph, self._cache_key = self._graph(X), key
        return self._cache_graph

    def _components(self, A) -> np.ndarray:
        from scipy.sparse.csgraph import connected_components

        _, lab = connected_components(A, directed=False)
        sizes = np.bincount(lab)
        big = np.flatnonzero(sizes >= self.min_cluster_size)
        remap = np.full(len(sizes), -1, np.int64)
        remap[big] = np.arange(len(big))
        return remap[lab]

    def fit(self, X, y=None):
        X = np.asarray(X)
        self.labels_ = np.full(len(X), -1, np.int64) if len(X) < 2 else self._components(self._graph(X))
        return self



class _Shared:
    """A read-only object shared, not copied, by scikit-learn's clone (giotto clones the clusterer)."""

    def __init__(self, value):
        self.value = value

    def __deepcopy__(self, memo):
        return self


class CoverSetClusterer(ClusterMixin, BaseEstimator):
    """Clusters one cover set. It receives the points with their global index as column 0 and calls a
    fresh copy of ``base`` on the other columns; with ``knn`` (the k-NN graph of all points, for a
    :class:`KNNGraphClusterer`) it cuts that graph to the set instead of searching again. A set with
    fewer than ``min_points`` points is all noise (label -1). Both backends get this same object, so
    they skip the same sets."""

    def __init__(self, base=None, min_points: int = 2, knn=None):
        self.base = base
        self.min_points = min_points
        self.knn = knn

    def fit(self, X, y=None):
        X = np.asarray(X)
        if len(X) < self.min_points:
            self.labels_ = np.full(len(X), -1, dtype=np.int64)
        elif self.knn is not None:
            idx = X[:, 0].astype(np.int64)
            self.labels_ = self.base._components(self.knn.value[idx][:, idx])
        else:
            self.labels_ = np.asarray(clone(self.base).fit(X[:, 1:]).labels_, dtype=np.int64)
        return self

    def fit_predict(self, X, y=None):
        return self.fit(X).labels_


# ---------------------------------------------------------------------------------------------------
# Graph invariants
# ---------------------------------------------------------------------------------------------------
def graph_cycles(G) -> int:
    """The number of independent cycles of a graph (its first Betti number): E - V + C."""
    import networkx as nx

    if G.number_of_nodes() == 0:
        return 0
    return G.number_of_edges() - G.number_of_nodes() + nx.number_connected_components(G)


def _gf2_rank(columns: list[int]) -> int:
    """Rank over Z/2 of a matrix whose columns are given as Python-int bitsets."""
    pivots: dict[int, int] = {}
    rank = 0
    for col in columns:
        while col:
            top = col.bit_length() - 1
            if top in pivots:
                col ^= pivots[top]
            else:
                pivots[top] = col
                rank += 1
                break
    return rank


def flag_holes(G, max_triangles: int = 200_000) -> int:
    """Independent holes of the graph once every triangle is filled in (beta_1 of its flag complex, Z/2).

    A 2-D lens makes triangles wherever three boxes overlap; they are cycles of the graph but not holes
    of the data. ``graph_cycles`` counts them, ``flag_holes`` does not. For a 1-D lens the two agree
    unless clustering makes triangles.
    """
    cyc = graph_cycles(G)
    if cyc == 0:
        return 0
    edge_id = {}
    for i, (a, b) in enumerate(G.edges()):
        edge_id[(a, b)] = edge_id[(b, a)] = i
    adj = {v: set(G.neighbors(v)) for v in G}
    order = {v: i for i, v in enumerate(G)}
    cols = []
    for a in G:
        for b in adj[a]:
            if order[b] <= order[a]:
                continue
            for c in adj[a] & adj[b]:
                if order[c] <= order[b]:
                    continue
                cols.append((1 << edge_id[(a, b)]) | (1 << edge_id[(b, c)]) | (1 << edge_id[(a, c)]))
                if len(cols) > max_triangles:
                    raise ValueError(f"More than {max_triangles} triangles; the graph is too dense to count holes.")
    return cyc - _gf2_rank(cols)


# ---------------------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------------------
@dataclass
class MapperResult:
    """A Mapper graph.

    graph:     networkx.Graph on nodes 0..n-1; node attributes ``members`` (indices), ``size``,
               ``cover_set``; edge attribute ``weight`` = number of shared points.
    members:   list of (n_i,) int arrays: the points of node i (sorted).
    lens:      (N, d) lens values (None for Ball Mapper).
    cover:     the :class:`Cover` (None for Ball Mapper).
    cover_set: (n,) int: the cover set (or ball) each node came from.
    n_points:  N.
    params:    the settings used (lens, resolution, gain, clusterer, backend, seconds).
    native:    the backend's own output (kmapper's graph dict, or the fitted giotto-tda pipeline).
    """

    graph: object
    members: list
    lens: np.ndarray | None
    cover: Cover | None
    cover_set: np.ndarray
    n_points: int
    params: dict = field(default_factory=dict)
    native: object = field(default=None, repr=False)

    # -- sizes and invariants --------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return self.graph.number_of_nodes()

    @property
    def n_edges(self) -> int:
        return self.graph.number_of_edges()

    @property
    def nodes(self) -> dict:
        """{node: member indices} (kmapper-like)."""
        return {i: m for i, m in enumerate(self.members)}

    def n_components(self) -> int:
        import networkx as nx

        return nx.number_connected_components(self.graph) if self.n_nodes else 0

    def coverage(self) -> float:
        """Share of the N points that lie in at least one node (the rest was clustering noise)."""
        if not self.members:
            return 0.0
        return float(len(np.unique(np.concatenate(self.members)))) / self.n_points

    def summary(self) -> dict:
        """{nodes, edges, components, cycles (E - V + C), holes (triangles filled; -1 when the graph has
        too many triangles to count), coverage (share of points in some node)}."""
        try:
            holes = flag_holes(self.graph)
        except ValueError:
            holes = -1
        return {"nodes": self.n_nodes, "edges": self.n_edges, "components": self.n_components(),
                "cycles": graph_cycles(self.graph), "holes": holes, "coverage": round(self.coverage(), 4)}

    def __repr__(self) -> str:
        s = self.summary()
        return (f"<MapperResult {s['nodes']} nodes, {s['edges']} edges, {s['components']} components, "
                f"{s['cycles']} cycles; {100 * s['coverage']:.1f}% of {self.n_points} points covered; "
                f"{self.params.get('backend', '')}>")

    # -- per-node values ---------------------------------------------------------------------------
    def _point_values(self, values, what="values") -> np.ndarray:
        if hasattr(values, "detach"):
            values = values.detach().cpu().numpy()
        v = np.asarray(values)
        if v.shape[:1] != (self.n_points,):
            raise ValueError(f"{what} must have one entry per point ({self.n_points}); got shape {v.shape}.")
        return v

    def node_values(self, values, agg: str | Callable = "mean") -> np.ndarray:
        """(n_nodes,) ``agg`` ("mean", "median", "max", "min", "std" or a function) of a per-point value."""
        v = self._point_values(values).astype(np.float64)
        f = getattr(np, agg) if isinstance(agg, str) else agg
        return np.array([f(v[m]) for m in self.members], dtype=np.float64)

    def node_majority(self, labels) -> tuple[np.ndarray, np.ndarray]:
        """(majority label (n_nodes,) int, purity (n_nodes,) float): purity = the majority's share of ALL
        members of the node (not one point's label)."""
        lab = self._point_values(labels, "labels").astype(np.int64)
        maj, pur = np.zeros(self.n_nodes, np.int64), np.zeros(self.n_nodes)
        for i, m in enumerate(self.members):
            vals, counts = np.unique(lab[m], return_counts=True)
            maj[i], pur[i] = vals[counts.argmax()], counts.max() / len(m)
        return maj, pur

    def nodes_of_cover_set(self, s: int) -> list[int]:
        """The nodes that came from cover set ``s`` (e.g. the 10 k-means clusters of one cube)."""
        return [int(i) for i in np.flatnonzero(self.cover_set == s)]

    # -- whole-graph clusters ----------------------------------------------------------------------
    def node_clusters(self, method: str = "components", *, seed: int = 0, resolution: float = 1.0) -> np.ndarray:
        """(n_nodes,) int: a cluster id per node from the whole graph.

        ``"components"``: connected components (largest first); ``"communities"``: Louvain modularity
        communities (networkx, weighted by shared points; ``resolution`` > 1 gives more, smaller ones).
        """
        import networkx as nx

        if method == "components":
            groups = sorted(nx.connected_components(self.graph), key=len, reverse=True)
        elif method == "communities":
            groups = nx.community.louvain_communities(self.graph, weight="weight", seed=seed,
                                                       resolution=resolution)
            groups = sorted(groups, key=lambda g: (-sum(len(self.members[v]) for v in g), min(g)))
        else:
            raise ValueError(f"method must be 'components' or 'communities', got {method!r}.")
        out = np.full(self.n_nodes, -1, np.int64)
        for c, g in enumerate(groups):
            out[list(g)] = c
        return out

    def point_clusters(self, method: str = "components", **kw) -> np.ndarray:
        """(N,) int: every point's whole-graph cluster (see :meth:`node_clusters`); -1 for points in no node.

        A point in several nodes of different clusters (communities overlap at their borders) goes to the
        cluster holding most of its nodes, ties to the larger cluster (lower id).
        """
        nc = self.node_clusters(method, **kw)
        k = int(nc.max()) + 1 if len(nc) else 0
        votes = np.zeros((self.n_points, max(k, 1)), np.int64)
        for i, m in enumerate(self.members):
            votes[m, nc[i]] += 1
        out = votes.argmax(axis=1)
        out[votes.sum(axis=1) == 0] = -1
        return out

    # -- export ------------------------------------------------------------------------------------
    def to_kmapper(self) -> dict:
        """This graph as a KeplerMapper graph dict (for ``KeplerMapper.visualize``)."""
        nodes = {f"node{i}_set{self.cover_set[i]}": m.tolist() for i, m in enumerate(self.members)}
        names = list(nodes)
        links: dict = {}
        for a, b in self.graph.edges():
            a, b = min(a, b), max(a, b)
            links.setdefault(names[a], []).append(names[b])
        return {"nodes": nodes, "links": links,
                "simplices": [[n] for n in names] + [[a, b] for a in links for b in links[a]],
                "meta_data": {k: str(v) for k, v in self.params.items()}, "meta_nodes": {}}


def _build_result(node_sets: Sequence[int], node_members: Sequence[np.ndarray], edges, n_points: int,
                  lens, cover, params, native) -> MapperResult:
    """Canonical numbering (by cover set, then smallest member) so that backends are comparable."""
    import networkx as nx

    order = sorted(range(len(node_members)), key=lambda i: (node_sets[i], int(node_members[i][0])))
    new = {old: k for k, old in enumerate(order)}
    members = [np.asarray(node_members[i], dtype=np.int64) for i in order]
    sets = np.asarray([node_sets[i] for i in order], dtype=np.int64)
    G = nx.Graph()
    for k, m in enumerate(members):
        G.add_node(k, members=m, size=len(m), cover_set=int(sets[k]))
    for a, b in edges:
        a, b = new[a], new[b]
        if a != b:
            G.add_edge(a, b, weight=int(len(np.intersect1d(members[a], members[b], assume_unique=True))))
    return MapperResult(G, members, lens, cover, sets, n_points, params, native)


def _sparse_nerve(members: Sequence[np.ndarray], n_points: int, min_intersection: int = 1) -> list:
    """Edges (i, j), i < j, between nodes sharing >= min_intersection points (one sparse product)."""
    from scipy import sparse

    if not members:
        return []
    rows = np.concatenate([np.full(len(m), i) for i, m in enumerate(members)])
    cols = np.concatenate(members)
    M = sparse.csr_matrix((np.ones(len(cols), np.int32), (rows, cols)), shape=(len(members), n_points))
    C = sparse.triu(M @ M.T, k=1).tocoo()
    keep = C.data >= min_intersection
    return list(zip(C.row[keep].tolist(), C.col[keep].tolist()))


# ---------------------------------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------------------------------
class _KMapperCover:
    """Hands our :class:`Cover` to ``KeplerMapper.map`` (which prefixes an id column to the lens)."""

    def __init__(self, cover: Cover):
        self.cover = cover
        self.n_cubes = cover.resolution
        self.perc_overlap = cover.gain

    def fit(self, data):
        return list(range(self.cover.n_sets))

    def transform(self, data, centers=None):
        ids = data[:, 0].astype(np.int64)
        return [data[self.cover.masks[ids, s]] for s in range(self.cover.n_sets)]


def _kmapper_nerve(min_intersection: int):
    from kmapper.nerve import GraphNerve

    class _FastGraphNerve(GraphNerve):
        """KeplerMapper's GraphNerve, computed with one sparse product instead of a Python loop."""

        def compute(self, nodes):
            names = list(nodes)
            members = [np.asarray(nodes[k], dtype=np.int64) for k in names]
            n = int(max((m.max() for m in members), default=-1)) + 1
            links: dict = {}
            for a, b in _sparse_nerve(members, n, self.min_intersection):
                links.setdefault(names[a], []).append(names[b])
            return links, [[k] for k in names] + [[a, b] for a in links for b in links[a]]

    return _FastGraphNerve(min_intersection=min_intersection)


def _run_kmapper(X, lens, cover, clusterer, min_intersection):
    import kmapper

    km = kmapper.KeplerMapper(verbose=0)
    Xi = np.hstack([np.arange(len(X), dtype=np.float64)[:, None], X])   # global index for the clusterer
    g = km.map(lens, Xi, clusterer=clusterer, cover=_KMapperCover(cover),
               nerve=_kmapper_nerve(min_intersection))
    names = list(g["nodes"])
    index = {k: i for i, k in enumerate(names)}
    sets = [int(k.split("_")[0][4:]) for k in names]         # "cube{s}_cluster{c}"
    members = [np.sort(np.asarray(g["nodes"][k], dtype=np.int64)) for k in names]
    edges = [(index[a], index[b]) for a in g["links"] for b in g["links"][a]]
    return sets, members, edges, g


class _GiottoCover(TransformerMixin, BaseEstimator):
    """Our :class:`Cover` as a giotto-tda cover step (lens -> boolean masks)."""

    def __init__(self, resolution=10, gain=0.3):
        self.resolution = resolution
        self.gain = gain

    def fit(self, X, y=None):
        self.cover_ = Cover(X, self.resolution, self.gain)
        return self

    def transform(self, X, y=None):
        return Cover(X, self.resolution, self.gain).masks

    def fit_transform(self, X, y=None, **fit_params):
        self.fit(X)
        return self.cover_.masks


def _run_giotto(X, lens, cover, clusterer, min_intersection):
    from gtda.mapper import Projection, make_mapper_pipeline

    d, D = lens.shape[1], X.shape[1]
    pipe = make_mapper_pipeline(
        filter_func=Projection(columns=list(range(d))),
        cover=_GiottoCover(cover.resolution, cover.gain),
        clustering_preprocessing=Projection(columns=list(range(d, d + D + 1))),   # index + X
        clusterer=clusterer, min_intersection=min_intersection, n_jobs=1)
    ig = pipe.fit_transform(np.hstack([lens, np.arange(len(X), dtype=np.float64)[:, None], X]))
    keep = [v.index for v in ig.vs if v["partial_cluster_label"] != -1]   # noise is no node
    index = {old: i for i, old in enumerate(keep)}
    sets = [int(ig.vs[i]["pullback_set_label"]) for i in keep]
    members = [np.sort(np.asarray(ig.vs[i]["node_elements"], dtype=np.int64)) for i in keep]
    edges = [(index[e.source], index[e.target]) for e in ig.es
             if e.source in index and e.target in index]
    return sets, members, edges, pipe


def mapper_graph(X, *, lens="pca", resolution: int = 10, gain: float = 0.3, clusterer=None,
                 backend: str = "kmapper", n_components: int | None = None, eps_scale: float = 1.0,
                 min_intersection: int = 1, random_state: int = 0) -> MapperResult:
    """The Mapper graph of the points X.

    X:           (N, D) points (NumPy array or torch tensor), e.g. activations of N test images.
    lens:        a lens name, callable or array, see :func:`compute_lens` (default: first 2 PCA coordinates).
    resolution:  intervals per lens dimension (>= 1).
    gain:        overlap fraction of consecutive intervals, in (0, 1). For the literature's gain g use
                 ``overlap_from_gain(g)`` (gain 3 -> 0.667).
    clusterer:   None or "knn" (connected components of the 10-NN graph inside each cover set, pieces
                 under 5 points are noise: :class:`KNNGraphClusterer`), "dbscan" (DBSCAN, eps =
                 ``eps_scale`` * :func:`auto_eps`, min_samples 5), "single" (single linkage cut at that
                 eps), "kmeans" (10 clusters), or any scikit-learn clusterer (fit(X) -> labels_).
                 Label -1 = noise = in no node. A cover set smaller than the clusterer's n_clusters /
                 min_samples is skipped (KeplerMapper's rule).
    backend:     "kmapper" (KeplerMapper) or "giotto" (giotto-tda pipeline); same cover, same graph.
    min_intersection: shared points needed for an edge.
    Returns a :class:`MapperResult`. Raises ValueError if no cover set yields a cluster.
    """
    t0 = time.perf_counter()
    X = _as_points(X)
    resolution = _check_resolution(resolution)
    gain = _check_gain(gain)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}.")
    if backend not in available_backends():
        raise ImportError(f"backend={backend!r} needs {'giotto-tda' if backend == 'giotto' else 'kepler-mapper'}"
                          f", which is not installed: pip install "
                          f"{'giotto-tda' if backend == 'giotto' else 'kmapper'}, or use backend="
                          f"{available_backends()[0]!r}." if available_backends() else
                          "Neither kmapper nor giotto-tda is installed: pip install kmapper.")
    if not isinstance(min_intersection, numbers.Integral) or min_intersection < 1:
        raise ValueError(f"min_intersection must be an integer >= 1, got {min_intersection!r}.")
    lens_values = compute_lens(X, lens, n_components=n_components, random_state=random_state)
    cover = Cover(lens_values, resolution, gain)
    if clusterer is None or isinstance(clusterer, str):
        base = make_clusterer(clusterer or "knn", X, eps_scale=eps_scale, random_state=random_state)
    else:
        base = clusterer
        if not hasattr(base, "fit") or not hasattr(base, "get_params"):
            raise TypeError(f"clusterer must be a scikit-learn style clusterer (fit(X) then labels_), "
                            f"or one of 'dbscan', 'single', 'kmeans'; got {type(base).__name__}.")
    knn = _Shared(base.graph_for(X)) if isinstance(base, KNNGraphClusterer) else None
    wrapped = CoverSetClusterer(base, _min_points(base), knn)
    run = _run_kmapper if backend == "kmapper" else _run_giotto
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        sets, members, edges, native = run(X, lens_values, cover, wrapped, int(min_intersection))
    if not members:
        raise ValueError(
            f"The clusterer found no cluster in any of the {cover.n_sets} cover sets (every point was "
            f"labelled noise or every set was smaller than {wrapped.min_points} points). Use a larger "
            f"eps / eps_scale, a smaller min_samples or n_clusters, or a lower resolution.")
    lens_name = lens if isinstance(lens, (str, tuple)) else ("custom" if not callable(lens) else
                                                             getattr(lens, "__name__", "callable"))
    params = {"lens": lens_name, "resolution": resolution, "gain": gain, "backend": backend,
              "clusterer": repr(base), "min_intersection": int(min_intersection)}
    res = _build_result(sets, members, edges, len(X), lens_values, cover, params, native)
    res.params["seconds"] = round(time.perf_counter() - t0, 3)
    return res


# ---------------------------------------------------------------------------------------------------
# Ball Mapper (Dlotko 2019): no lens, a cover by balls of radius eps
# ---------------------------------------------------------------------------------------------------
def ball_mapper(X, eps: float, *, seed: int = 0, max_balls: int = 5000) -> MapperResult:
    """Ball Mapper: a greedy eps-net of landmarks (every point within ``eps`` of one), one node per ball
    B(landmark, eps) holding the points inside it, an edge when two balls share a point.

    X: (N, D) points; eps: ball radius in the units of X (try a multiple of :func:`auto_eps`).
    Landmarks are picked in a random order fixed by ``seed``. Returns a :class:`MapperResult` with
    ``lens = None`` and ``cover_set`` = the landmark's point index.
    """
    t0 = time.perf_counter()
    X = _as_points(X)
    try:
        eps = float(eps)
    except (TypeError, ValueError):
        raise TypeError(f"eps must be a positive number (the ball radius), got {eps!r}.") from None
    if not eps > 0:
        raise ValueError(f"eps must be > 0 (the ball radius, in the units of X); got {eps}.")
    n = len(X)
    order = np.random.default_rng(seed).permutation(n)
    covered = np.zeros(n, dtype=bool)
    sq = (X ** 2).sum(axis=1)
    landmarks, members = [], []
    for i in order:
        if covered[i]:
            continue
        d2 = sq + sq[i] - 2.0 * X @ X[i]
        inside = np.flatnonzero(d2 <= eps * eps + 1e-12)
        landmarks.append(int(i))
        members.append(inside)
        covered[inside] = True
        if len(landmarks) > max_balls:
            raise ValueError(f"eps={eps:g} needs more than {max_balls} balls; use a larger eps "
                             f"(the data's typical neighbour distance is about {auto_eps(X):.3g}).")
    edges = _sparse_nerve(members, n)
    res = _build_result(list(range(len(members))), members, edges, n, None, None,
                        {"method": "ball_mapper", "eps": eps, "seed": seed, "backend": "ball"}, None)
    # cover_set: the landmark of each ball (after canonical re-numbering the order is unchanged)
    res.cover_set = np.asarray(landmarks, dtype=np.int64)
    for k in res.graph:
        res.graph.nodes[k]["cover_set"] = int(res.cover_set[k])
    res.params["seconds"] = round(time.perf_counter() - t0, 3)
    return res


# ---------------------------------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------------------------------
def typical_distance(X, n_pairs: int = 4000, seed: int = 0) -> float:
    """The median Euclidean distance between two random points of X (N, D): a scale for Ball Mapper."""
    X = _as_points(X)
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, len(X), n_pairs), rng.integers(0, len(X), n_pairs)
    keep = i != j
    d = np.linalg.norm(X[i[keep]] - X[j[keep]], axis=1)
    return float(np.median(d)) if np.any(d > 0) else 1.0


def _layout(res: MapperResult, seed: int = 0) -> dict:
    """Node positions: every connected component gets its own spring layout (started from the nodes' mean
    lens values, so redraws are stable), scaled by its size; components are packed in rows, largest first."""
    import networkx as nx

    G = res.graph
    if res.n_nodes == 0:
        return {}
    init = None
    if res.lens is not None:
        L = res.lens
        init = np.stack([L[m].mean(axis=0) for m in res.members])
        if init.shape[1] == 1:
            init = np.hstack([init, np.random.default_rng(seed).uniform(-0.5, 0.5, (len(init), 1))
                              * (np.ptp(init[:, 0]) + 1e-9)])
        init = init[:, :2]
    iters = 50 if res.n_nodes <= 400 else 25
    comps = sorted(nx.connected_components(G), key=lambda c: (-len(c), min(c)))
    biggest = len(comps[0])
    width = 1.3 * np.sqrt(sum(len(c) / biggest for c in comps)) + 1.0
    pos, x, y, row_h = {}, 0.0, 0.0, 0.0
    for comp in comps:
        nodes = sorted(comp)
        scale = np.sqrt(len(nodes) / biggest)
        if len(nodes) == 1:
            p = {nodes[0]: np.zeros(2)}
        else:
            H = G.subgraph(nodes)
            pos0 = None
            if init is not None:
                sub = init[nodes]
                sub = (sub - sub.mean(0)) / (sub.std(0) + 1e-12)
                pos0 = {k: sub[i] for i, k in enumerate(nodes)}
            p = nx.spring_layout(H, pos=pos0, seed=seed, iterations=iters, weight=None)
        P = np.array([p[k] for k in nodes], dtype=float)
        P = P - P.min(0)
        P = P / max(P.max(), 1e-12) * scale if len(nodes) > 1 else P
        if x > 0 and x + scale > width:
            x, y, row_h = 0.0, y - row_h - 0.25, 0.0
        for i, k in enumerate(nodes):
            pos[k] = P[i] + np.array([x, y - scale])
        x += scale + 0.25
        row_h = max(row_h, scale)
    return pos


def draw(res: MapperResult, color=None, *, node_color=None, ax=None, cmap: str | None = None,
         title: str | None = None, categorical: bool | None = None, colorbar_label: str = "",
         pos: dict | None = None, seed: int = 0):
    """Draw a Mapper graph with matplotlib; node area ~ number of points.

    color:      per-point values (N,) shown as the node mean; integer labels (categorical) are shown as
                the node's majority label with a legend.
    node_color: per-node values (n_nodes,) instead (e.g. purity).
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt
    import networkx as nx

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5))
    pos = pos or _layout(res, seed)
    sizes = np.array([len(m) for m in res.members], dtype=float)
    area = 20 + 280 * np.sqrt(sizes / max(sizes.max(), 1))
    vals, cat = None, False
    if node_color is not None:
        vals = np.asarray(node_color, dtype=float)
        if vals.shape != (res.n_nodes,):
            raise ValueError(f"node_color needs one value per node ({res.n_nodes}); got shape {vals.shape}.")
    elif color is not None:
        c = res._point_values(color, "color")
        cat = categorical if categorical is not None else np.issubdtype(c.dtype, np.integer)
        vals = res.node_majority(c)[0].astype(float) if cat else res.node_values(c)
    nx.draw_networkx_edges(res.graph, pos, ax=ax, alpha=0.4, width=0.8)
    if vals is None:
        nx.draw_networkx_nodes(res.graph, pos, ax=ax, node_size=area, node_color="tab:blue")
    elif cat:
        cm = plt.get_cmap(cmap or "tab10")
        nx.draw_networkx_nodes(res.graph, pos, ax=ax, node_size=area,
                               node_color=[cm(int(v) % cm.N) for v in vals])
        for v in np.unique(vals).astype(int):
            ax.scatter([], [], color=cm(v % cm.N), label=str(v))
        ax.legend(title=colorbar_label or "majority", fontsize=7, loc="best", ncol=2, markerscale=0.8)
    else:
        art = nx.draw_networkx_nodes(res.graph, pos, ax=ax, node_size=area, node_color=vals,
                                     cmap=plt.get_cmap(cmap or "viridis"))
        plt.colorbar(art, ax=ax, shrink=0.8, label=colorbar_label)
    s = res.summary()
    ax.set_title(title or f"{s['nodes']} nodes, {s['edges']} edges, {s['components']} components, "
                          f"{s['cycles']} cycles", fontsize=10)
    ax.set_axis_off()
    return ax


def plot_cover(points2d, lens, resolution: int = 5, gain: float = 0.3, *, ax=None, s: float = 6):
    """Scatter 2-D points coloured by a 1-D lens with the cover intervals drawn as bands (for teaching).

    points2d: (N, 2); lens: (N,) values. The bands are the intervals of :func:`interval_limits` placed on
    the lens axis (right); points are coloured by the lens. Returns the Axes pair (scatter, intervals).
    """
    import matplotlib.pyplot as plt

    P = _as_points(points2d, "points2d")
    f = np.asarray(lens, dtype=float).ravel()
    if len(f) != len(P):
        raise ValueError(f"lens has {len(f)} values but there are {len(P)} points.")
    left, right = interval_limits(f.min(), f.max(), resolution, gain)
    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(9, 4), gridspec_kw={"width_ratios": [3, 1]})
    a0, a1 = ax
    a0.scatter(P[:, 0], P[:, 1], c=f, s=s, cmap="viridis")
    a0.set_aspect("equal")
    a0.set_title("points coloured by the lens")
    cm = plt.get_cmap("tab10")
    for k, (lo, hi) in enumerate(zip(left, right)):
        a1.plot([k % 2, k % 2], [lo, hi], lw=6, color=cm(k % 10), solid_capstyle="butt")
    a1.set_xlim(-1, 2)
    a1.set_xticks([])
    a1.set_ylabel("lens value")
    a1.set_title(f"{resolution} intervals,\noverlap {gain:.2f}")
    return a0, a1


def save_html(res: MapperResult, path=None, *, color=None, color_name: str = "value",
              labels=None, title: str = "Mapper graph") -> Path:
    """Write KeplerMapper's interactive HTML view of ``res`` (default under ``config.build_dir()/mapper``).

    color: per-point values (N,) (node colour = their mean); labels: per-point tooltips (e.g. digit labels).
    Returns the path of the HTML file.
    """
    import kmapper

    from . import config

    if path is None:
        path = config.build_dir() / "mapper" / "mapper_graph.html"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv = None if color is None else res._point_values(color, "color").astype(float)
    tips = None if labels is None else np.asarray(res._point_values(labels, "labels"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kmapper.KeplerMapper(verbose=0).visualize(
            res.to_kmapper(), color_values=cv, color_function_name=None if cv is None else [color_name],
            custom_tooltips=tips, path_html=str(path), title=title)
    return path


def show_html(path, height: int = 650):
    """Show an HTML file inline in Jupyter / Colab (an iframe with the page inside, no file server)."""
    from IPython.display import HTML

    text = Path(path).read_text(encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # IPython suggests IFrame, which cannot show a local file on Colab
        return HTML(f'<iframe srcdoc="{_html.escape(text, quote=True)}" width="100%" height="{int(height)}" '
                f'style="border:1px solid #ccc"></iframe>')


# ---------------------------------------------------------------------------------------------------
# Parameter sensitivity
# ---------------------------------------------------------------------------------------------------
STATS = ("nodes", "edges", "components", "cycles", "holes")


def sensitivity(X, *, lens="pca", resolutions: Sequence[int] = (5, 10, 15, 20, 30),
                gains: Sequence[float] = (0.1, 0.2, 0.3, 0.4, 0.5), clusterer=None,
                backend: str = "kmapper", n_components: int | None = None, eps_scale: float = 1.0,
                progress: bool = False) -> dict:
    """Mapper graph statistics over a grid of resolutions x gains (lens and clusterer computed once).

    Returns {"resolutions": (R,), "gains": (G,), "nodes", "edges", "components", "cycles", "holes",
    "coverage": each an (R, G) array, "seconds": total time}. A grid cell whose clusterer found nothing
    holds zeros.
    """
    t0 = time.perf_counter()
    X = _as_points(X)
    L = compute_lens(X, lens, n_components=n_components)
    if clusterer is None or isinstance(clusterer, str):
        clusterer = make_clusterer(clusterer or "knn", X, eps_scale=eps_scale)
    R, G = [_check_resolution(r) for r in resolutions], [_check_gain(g) for g in gains]
    out = {k: np.zeros((len(R), len(G))) for k in (*STATS, "coverage")}
    for i, r in enumerate(R):
        for j, g in enumerate(G):
            try:
                s = mapper_graph(X, lens=L, resolution=r, gain=g, clusterer=clusterer,
                                 backend=backend).summary()
            except ValueError:
                continue
            for k in out:
                out[k][i, j] = s[k]
        if progress:
            print(f"resolution {r}: done ({time.perf_counter() - t0:.1f} s)")
    out.update(resolutions=np.array(R), gains=np.array(G), seconds=time.perf_counter() - t0)
    return out


def plot_sensitivity(table: Mapping, stats: Sequence[str] = ("nodes", "components", "cycles", "holes")):
    """Heatmaps (resolution x gain) of the statistics from :func:`sensitivity`, numbers written in."""
    import matplotlib.pyplot as plt

    R, G = table["resolutions"], table["gains"]
    fig, axes = plt.subplots(1, len(stats), figsize=(3.3 * len(stats), 3.2), squeeze=False)
    for ax, k in zip(axes[0], stats):
        A = np.asarray(table[k])
        ax.imshow(A, cmap="viridis", aspect="auto", origin="lower")
        for i in range(len(R)):
            for j in range(len(G)):
                ax.text(j, i, f"{A[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="w" if A[i, j] < 0.6 * max(A.max(), 1) else "k")
        ax.set_xticks(range(len(G)), [f"{g:.2f}" for g in G], fontsize=7)
        ax.set_yticks(range(len(R)), [str(r) for r in R], fontsize=7)
        ax.set_xlabel("gain (overlap)")
        ax.set_ylabel("resolution")
        ax.set_title(k)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------------
# Interactive explorer
# ---------------------------------------------------------------------------------------------------
class MapperExplorer:
    """Sliders for resolution, gain, the clusterer's parameter and the Ball Mapper radius; drop-downs
    for lens, clusterer and colouring. :meth:`update` / :meth:`update_ball` are the callbacks (tests call
    them headless); :meth:`widget` builds the ipywidgets UI.

    X:       (N, D) points (e.g. output activations); labels: (N,) ints (true digits) for colouring.
    values:  extra per-point colourings {name: (N,)} (e.g. {"confidence": ...}).
    lenses:  lens choices (names for :func:`compute_lens`); ``precomputed`` adds named lens arrays
             {name: (N,) or (N, d)} used as given (put t-SNE or UMAP coordinates there: too slow to
             recompute on a slider move). Lenses, k-NN graphs and the eps scale are computed once.
    """

    CLUSTERERS = ("knn", "dbscan", "single", "kmeans")

    def __init__(self, X, labels=None, *, values: Mapping | None = None,
                 lenses: Sequence[str] = ("pca", "confidence", "density", "l2norm", "eccentricity"),
                 precomputed: Mapping | None = None, backend: str = "kmapper"):
        self.X = _as_points(X)
        n = len(self.X)
        self.labels = None if labels is None else np.asarray(labels).astype(np.int64)
        if self.labels is not None and len(self.labels) != n:
            raise ValueError(f"labels has {len(self.labels)} entries but X has {n} points.")
        self.values = {k: np.asarray(v, dtype=float) for k, v in (values or {}).items()}
        for k, v in self.values.items():
            if len(v) != n:
                raise ValueError(f"values[{k!r}] has {len(v)} entries but X has {n} points.")
        self._lens_cache = {k: compute_lens(self.X, v) for k, v in (precomputed or {}).items()}
        self.lenses = list(dict.fromkeys([*lenses, *self._lens_cache]))
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}.")
        self.backend = backend
        self._eps = auto_eps(self.X)
        self._ball_scale = typical_distance(self.X)
        self._clusterers: dict = {}
        self.result: MapperResult | None = None
        self.ball_result: MapperResult | None = None
        self.seconds = None

    @property
    def colorings(self) -> list[str]:
        c = ["majority label", "purity"] if self.labels is not None else []
        return c + ["lens", "size", *self.values]

    def lens(self, name: str) -> np.ndarray:
        if name not in self._lens_cache:
            self._lens_cache[name] = compute_lens(self.X, name)
        return self._lens_cache[name]

    def clusterer(self, name: str = "knn", k: int = 10, eps_scale: float = 1.0):
        """The clusterer for the widget's settings (cached: a k-NN graph is searched once per k)."""
        if name not in self.CLUSTERERS:
            raise ValueError(f"Unknown clusterer {name!r}; choose from {self.CLUSTERERS}.")
        key = (name, int(k)) if name in ("knn", "kmeans") else (name, round(float(eps_scale), 6))
        if key not in self._clusterers:
            self._clusterers[key] = make_clusterer(name, eps=self._eps, eps_scale=eps_scale, k=int(k),
                                                   n_clusters=int(k))
        return self._clusterers[key]

    def _colour_args(self, res, color):
        if color == "majority label" and self.labels is not None:
            return {"color": self.labels, "categorical": True, "colorbar_label": "label"}
        if color == "purity" and self.labels is not None:
            return {"node_color": res.node_majority(self.labels)[1], "colorbar_label": "purity"}
        if color == "lens" and res.lens is not None:
            return {"color": res.lens[:, 0], "colorbar_label": "lens (1st coordinate)"}
        if color in self.values:
            return {"color": self.values[color], "colorbar_label": color}
        if color in ("size", "lens"):
            return {"node_color": np.array([len(m) for m in res.members], float),
                    "colorbar_label": "points per node"}
        raise ValueError(f"Unknown colouring {color!r}; choose from {self.colorings}.")

    def update(self, resolution: int = 10, gain: float = 0.3, lens: str = "pca", clusterer: str = "knn",
               k: int = 10, eps_scale: float = 1.0, color: str | None = None, *, ax=None,
               show: bool = True):
        """Recompute and draw the Mapper graph; returns the :class:`MapperResult` (also ``self.result``).

        clusterer "knn" uses ``k`` neighbours, "kmeans" ``k`` clusters, "dbscan"/"single" the radius
        ``eps_scale`` x the data's neighbour scale. On a clusterer that finds nothing it prints why and
        returns None (the sliders keep working). ``self.seconds``: time of the last update.
        """
        import matplotlib.pyplot as plt

        t0 = time.perf_counter()
        color = color or self.colorings[0]
        try:
            res = mapper_graph(self.X, lens=self.lens(lens), resolution=resolution, gain=gain,
                               clusterer=self.clusterer(clusterer, k, eps_scale), backend=self.backend)
        except ValueError as e:
            print(f"No graph: {e}")
            self.result = None
            return None
        res.params["lens"] = lens
        self.result = res
        if show:
            own = ax is None
            if own:
                fig, ax = plt.subplots(figsize=(7, 5.2))
            draw(res, ax=ax, **self._colour_args(res, color))
            self.seconds = time.perf_counter() - t0
            ax.set_title(f"lens={lens}, resolution={resolution}, gain={gain:.2f}, {clusterer}: "
                         f"{ax.get_title()}  ({self.seconds:.1f} s)", fontsize=9)
            if own:
                plt.show()
        self.seconds = time.perf_counter() - t0
        return res

    def update_ball(self, eps_fraction: float = 0.25, color: str | None = None, *, ax=None, show: bool = True):
        """Ball Mapper with radius ``eps_fraction`` x the median distance between two points; returns the
        result (also ``self.ball_result``)."""
        import matplotlib.pyplot as plt

        color = color or self.colorings[0]
        res = ball_mapper(self.X, eps=eps_fraction * self._ball_scale)
        self.ball_result = res
        if show:
            own = ax is None
            if own:
                fig, ax = plt.subplots(figsize=(7, 5.2))
            draw(res, ax=ax, **self._colour_args(res, "size" if color == "lens" else color))
            ax.set_title(f"Ball Mapper, eps = {eps_fraction:.2f} x median distance {self._ball_scale:.3g}: "
                         f"{ax.get_title()}", fontsize=9)
            if own:
                plt.show()
        return res

    def widget(self, resolution: int = 10, gain: float = 0.3, lens: str | None = None):
        """The ipywidgets UI (tabs Mapper and Ball Mapper). In a notebook: ``display(explorer.widget())``.
        ``self.controls`` holds the widgets by name (tests set their values)."""
        import ipywidgets as W

        style = {"description_width": "80px"}
        lay = W.Layout(width="330px")
        c = {
            "resolution": W.IntSlider(value=resolution, min=1, max=40, description="resolution"),
            "gain": W.FloatSlider(value=gain, min=0.05, max=0.85, step=0.05, description="gain"),
            "k": W.IntSlider(value=10, min=2, max=40, description="k (knn/kmeans)"),
            "eps_scale": W.FloatLogSlider(value=1.0, base=2, min=-2, max=2, step=0.25,
                                          description="eps scale"),
            "lens": W.Dropdown(options=self.lenses, value=lens or self.lenses[0], description="lens"),
            "clusterer": W.Dropdown(options=list(self.CLUSTERERS), value="knn", description="clusterer"),
            "color": W.Dropdown(options=self.colorings, value=self.colorings[0], description="colour"),
            "ball_eps": W.FloatLogSlider(value=0.25, base=2, min=-5, max=0, step=0.25,
                                         description="ball radius"),
        }
        for w in c.values():
            w.style, w.layout = style, lay
            if hasattr(w, "continuous_update"):
                w.continuous_update = False
        out, ball_out = W.Output(), W.Output()

        def redraw(_=None):
            with out:
                out.clear_output(wait=True)
                self.update(c["resolution"].value, c["gain"].value, c["lens"].value, c["clusterer"].value,
                            c["k"].value, c["eps_scale"].value, c["color"].value)

        def redraw_ball(_=None):
            with ball_out:
                ball_out.clear_output(wait=True)
                self.update_ball(c["ball_eps"].value, c["color"].value)

        for name in ("resolution", "gain", "k", "eps_scale", "lens", "clusterer", "color"):
            c[name].observe(redraw, names="value")
        c["ball_eps"].observe(redraw_ball, names="value")
        c["color"].observe(redraw_ball, names="value")
        redraw()
        redraw_ball()
        panel = W.HBox([W.VBox([c["resolution"], c["gain"], c["k"], c["eps_scale"]]),
                        W.VBox([c["lens"], c["clusterer"], c["color"]])])
        tabs = W.Tab(children=[W.VBox([panel, out]), W.VBox([c["ball_eps"], ball_out])])
        tabs.set_title(0, "Mapper")
        tabs.set_title(1, "Ball Mapper")
        self.controls = c
        return tabs


# ---------------------------------------------------------------------------------------------------
# Teaching shapes (synthetic, and named as such)
# ---------------------------------------------------------------------------------------------------
def noisy_circle(n: int = 500, noise: float = 0.05, *, radius: float = 1.0, seed: int = 0) -> np.ndarray:
    """(n, 2) points on a circle of ``radius`` with Gaussian noise of std ``noise`` (a synthetic shape)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    return np.c_[np.cos(t), np.sin(t)] * radius + rng.normal(0, noise, (n, 2))


def two_blobs(n: int = 400, *, separation: float = 6.0, dim: int = 2, seed: int = 0) -> np.ndarray:
    """(n, dim) two Gaussian blobs (std 1) whose centres are ``separation`` apart (a synthetic shape)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (n, dim))
    X[: n // 2, 0] += separation
    return X
