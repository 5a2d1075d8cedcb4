"""Mapper graphs of point clouds and network activations (notebook 04), a thin layer on KeplerMapper.

Mapper (Singh, Memoli & Carlsson 2007) summarizes a point cloud X (N points in R^D) by a graph:
1. a *lens* f: X -> R^d (PCA coordinates, the network's confidence, a density estimate, ...);
2. a *cover* of the lens range by ``resolution`` overlapping intervals per lens dimension, consecutive
   intervals overlapping by the fraction ``gain`` of their length;
3. *clustering* of the points of every cover set (pull-back) in the original space R^D;
4. the *nerve*: one node per cluster, an edge between two clusters that share a point.
For a 1-D lens this is a discrete picture of the Reeb graph of f.

    res = mapper.mapper_graph(X, lens="pca", resolution=10, gain=0.3)   # backend="kmapper" | "giotto"
    res.graph      # networkx.Graph on nodes 0..n-1, node attributes "members", "size", "cover_set"
    res.members[i] # (n_i,) int: the indices of the points in node i;  res.lens: (N, d) lens values
    res.summary()  # nodes, edges, components, cycles, holes, coverage
    mapper_plots.draw(res, color=labels)      # pictures, HTML and the widget live in toolkit.mapper_plots

KeplerMapper (``kmapper``) does the work: its Cover (``limits`` set so that the intervals span exactly
[min, max] of the lens, see :class:`Cover`), ``KeplerMapper.map`` (pull-back, clustering, and its rule
that a cover set smaller than the clusterer's n_clusters / min_samples is skipped), ``GraphNerve`` and
``adapter.to_networkx``. The second backend, giotto-tda's ``make_mapper_pipeline``, gets the same cover
sets and gives the same graph (tests check this). Ours: lenses kmapper lacks at this size, the k-NN
clusterer, and node numbers (by cover set, then smallest member) that make the backends comparable.

The literature's "gain g" (Carlsson et al.; Gabrielsson & Carlsson's "gain 3") means every point lies in
about g intervals, i.e. an overlap fraction 1 - 1/g: use :func:`overlap_from_gain` (gain 3 -> 0.667).
Also here: Ball Mapper (:func:`ball_mapper`), whole-graph clusters (:meth:`MapperResult.point_clusters`)
and parameter sensitivity (:func:`sensitivity`).
"""
from __future__ import annotations

import numbers
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, clone

__all__ = [
    "available_backends", "overlap_from_gain", "gain_from_overlap", "interval_limits", "Cover",
    "LENSES", "compute_lens", "auto_eps", "make_clusterer", "KNNGraphClusterer", "CoverSetClusterer",
    "mapper_graph", "MapperResult", "ball_mapper", "graph_cycles", "flag_holes", "typical_distance",
    "sensitivity", "noisy_circle", "two_blobs",
]

BACKENDS = ("kmapper", "giotto")
# Pictures, HTML and the widget moved to toolkit.mapper_plots; these names are forwarded for old code.
_PLOTS = ("draw", "plot_cover", "save_html", "show_html", "plot_sensitivity", "MapperExplorer", "_layout")


def __getattr__(name):
    if name in _PLOTS:
        from . import mapper_plots

        return getattr(mapper_plots, name)
    raise AttributeError(f"module 'toolkit.mapper' has no attribute {name!r}")


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
    if isinstance(resolution, float) and resolution.is_integer():
        resolution = int(resolution)
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral):
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
    With gain g every point of the lens range lies in about g consecutive intervals."""
    g = float(g)
    if not g > 1.0:
        raise ValueError(f"The literature's gain is the number of intervals a point lies in, > 1; got "
                         f"{g}. (An overlap fraction in (0, 1) is already what mapper_graph takes.)")
    return 1.0 - 1.0 / g


def gain_from_overlap(p: float) -> float:
    """Inverse of :func:`overlap_from_gain`: overlap fraction ``p`` in (0, 1) -> gain 1/(1-p)."""
    return 1.0 / (1.0 - _check_gain(p))


# ---------------------------------------------------------------------------------------------------
# The cover: KeplerMapper's Cover, placed so that it spans exactly [min, max] of the lens
# ---------------------------------------------------------------------------------------------------
def interval_limits(lo: float, hi: float, resolution: int, gain: float) -> tuple[np.ndarray, np.ndarray]:
    """The uniform cover of [lo, hi] by ``resolution`` closed intervals with overlap fraction ``gain``.

    All intervals have the same length L = (hi - lo) / (r - (r - 1) * gain); interval k starts at
    lo + k * (1 - gain) * L, so the first starts at lo, the last ends at hi, and consecutive intervals
    share gain * L. Returns (left, right), each of shape (resolution,), in lens units.
    """
    r, g = _check_resolution(resolution), _check_gain(gain)
    lo, hi = float(lo), float(hi)
    if not hi >= lo:
        raise ValueError(f"need lo <= hi, got lo={lo}, hi={hi}.")
    length = (hi - lo) / (r - (r - 1) * g)
    left = lo + np.arange(r) * (1.0 - g) * length
    right = left + length
    right[-1] = hi  # exact, despite rounding
    return left, right


class Cover:
    """The cover of a lens (N, d) by boxes: ``resolution`` intervals per lens dimension (one for a
    constant dimension), computed by ``kmapper.Cover``.

    kmapper's Cover(n_cubes=r, perc_overlap=g) puts r intervals of length |range| / (r (1 - g)) with
    centres |range| / r apart, so its end intervals stick out of the lens range. Handing it the limits
    [lo + g L / 2, hi - g L / 2] (L as in :func:`interval_limits`) gives exactly the intervals of
    :func:`interval_limits`: same resolution, same overlap fraction, spanning [min, max] of the lens.

    Attributes: ``km`` (the fitted kmapper.Cover, given to KeplerMapper.map); ``limits`` (d pairs
    (left, right) of the intervals); ``masks`` (N, n_sets) bool, point i in cover set s, non-empty sets
    only, in kmapper's order; ``set_index`` (n_sets, d) int interval index per dimension; ``n_empty``.
    """

    def __init__(self, lens, resolution: int = 10, gain: float = 0.3):
        import kmapper

        lens = np.asarray(lens, dtype=np.float64)
        lens = lens[:, None] if lens.ndim == 1 else lens
        self.resolution, self.gain = _check_resolution(resolution), _check_gain(gain)
        n, d = lens.shape
        if d > 3:
            raise ValueError(f"A cover of a {d}-D lens has {self.resolution}**{d} boxes; use a lens of "
                             f"at most 3 dimensions (e.g. lens='pca' with n_components=2).")
        lo, hi = lens.min(axis=0), lens.max(axis=0)
        r = np.where(hi > lo, self.resolution, 1)         # a constant lens dimension: one interval
        self.limits = [interval_limits(lo[j], hi[j], r[j], self.gain) for j in range(d)]
        half = self.gain * (hi - lo) / (r - (r - 1) * self.gain) / 2
        tol = 1e-9 * (hi - lo) + 1e-12 * np.maximum(np.abs(lo), np.abs(hi))  # min, max stay in despite rounding
        self.km = kmapper.Cover(n_cubes=list(r), perc_overlap=self.gain,
                                limits=np.c_[lo + half - tol, hi - half + tol])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")               # kmapper warns that the limits are inside the range
            self.km.fit(np.c_[np.arange(n), lens])
        centers = np.asarray(self.km.centers_)            # (r**d, d), itertools.product order
        rad = self.km.radius_                             # kmapper.Cover.transform_single, all cubes at once:
        masks = ((lens[:, None, :] >= centers - rad) & (lens[:, None, :] <= centers + rad)).all(axis=2)
        keep = masks.any(axis=0)                          # kmapper.Cover.transform drops empty cubes
        self.masks = masks[:, keep]
        self.set_index = np.array(list(np.ndindex(*r)), dtype=np.int64).reshape(-1, d)[keep]
        self.n_empty = int((~keep).sum())

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
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X if sample is None else X[sample])
    return dist[:, k]


def _named_lens(X: np.ndarray, lens: str, name: str, n_components, k: int, random_state: int):
    import kmapper

    n = len(X)
    project = kmapper.KeplerMapper(verbose=0).project
    if name == "pca":
        from sklearn.decomposition import PCA

        nc = min(int(n_components or 2), X.shape[1], n)
        return project(X, projection=PCA(n_components=nc, random_state=random_state), scaler=None)
    if name in ("confidence", "rowmax", "max"):
        return project(X, projection="max", scaler=None)
    if name in ("l2norm", "norm", "l2"):
        return project(X, projection="l2norm", scaler=None)
    if name == "tsne":   # exact t-SNE is faster than Barnes-Hut for a few hundred points
        from sklearn.manifold import TSNE

        return TSNE(n_components=int(n_components or 2), init="pca", random_state=random_state,
                    method="exact" if n <= 600 else "barnes_hut",
                    perplexity=float(min(30.0, max(2.0, (n - 1) / 3.0)))).fit_transform(X)
    if name == "umap":
        import umap

        return umap.UMAP(n_neighbors=min(20, n - 1), n_components=int(n_components or 2),
                         random_state=random_state).fit_transform(X)
    if name in ("density", "knn", "knn_distance"):
        return _knn_distance(X, k)   # kmapper's "knn_distance_k" needs the full N x N distance matrix
    if name == "eccentricity":      # kmapper's "dist_mean" too; here against at most 2,000 points
        rng = np.random.default_rng(random_state)
        ref = X if n <= 2000 else X[rng.choice(n, 2000, replace=False)]
        out = np.empty(n)
        for a in range(0, n, 1000):
            block = X[a:a + 1000]
            d2 = (block ** 2).sum(1)[:, None] + (ref ** 2).sum(1)[None] - 2 * block @ ref.T
            out[a:a + 1000] = np.sqrt(np.maximum(d2, 0)).mean(axis=1)
        return out
    if name.startswith("neuron:"):
        try:
            j = int(name.split(":", 1)[1])
        except ValueError:
            raise ValueError(f"Write a neuron lens as 'neuron:<index>', e.g. 'neuron:17'; got {lens!r}.") from None
        if not -X.shape[1] <= j < X.shape[1]:
            raise ValueError(f"neuron {j} does not exist: X has {X.shape[1]} columns (0..{X.shape[1] - 1}).")
        return X[:, j]
    raise ValueError(f"Unknown lens {lens!r}. Use one of {', '.join(LENSES)}, a callable f(X), "
                     f"or an array of N lens values.")


def compute_lens(X, lens="pca", *, n_components: int | None = None, k: int = 15,
                 random_state: int = 0) -> np.ndarray:
    """The lens values (N, d) of the points X (N, D).

    lens:
      ``"pca"``          the first ``n_components`` (default 2) principal components;
      ``"confidence"``   the row maximum of X (Alessi's lens on the output layer: for log-softmax outputs it
                         is the log of the network's confidence, 0 = certain);
      ``"l2norm"``       the Euclidean norm of every row (these three through ``KeplerMapper.project``);
      ``"tsne"``, ``"umap"``  2-D (``n_components``) embeddings (UMAP with n_neighbors=20, as in Alessi's study).
                         Slow on 10,000 points (t-SNE about a minute): compute once and pass the array;
      ``"density"``      the distance to the ``k``-th nearest neighbour (small = dense), the density
                         estimate of Carlsson et al.;
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
        out = _named_lens(X, lens, lens.strip().lower(), n_components, k, random_state)
    else:
        out = lens(X) if callable(lens) else lens
    if hasattr(out, "detach"):
        out = out.detach().cpu().numpy()
    out = np.asarray(out, dtype=np.float64)
    out = out[:, None] if out.ndim == 1 else out
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
    estimated on at most ``max_points`` points. factor 2 keeps a noisy circle in one piece inside every
    cover set (tests/test_mapper.py); smaller values break sparse regions into fragments."""
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


class KNNGraphClusterer(ClusterMixin, BaseEstimator):
    """Clusters = connected components of the symmetrized k-nearest-neighbour graph of the points;
    components smaller than ``min_cluster_size`` are noise (-1). No distance threshold: it adapts to the
    local density. Inside :func:`mapper_graph` the k-NN graph of ALL points is computed once and every
    cover set uses the part of it among its own points, instead of a new k-NN search."""

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
    """Clusters one cover set for either backend. It receives the points with their global index as
    column 0 and calls a fresh copy of ``base`` on the other columns; with ``knn`` (the k-NN graph of all
    points, for a :class:`KNNGraphClusterer`) it cuts that graph to the set instead of searching again.
    A set with fewer than ``min_points`` points is all noise: KeplerMapper's skip rule, which giotto-tda
    lacks, so that both backends skip the same sets."""

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


def flag_holes(G) -> int:
    """Independent holes of the graph once every triangle is filled in: beta_1 of its flag complex over
    Z/2, computed by ripser (the graph as a sparse distance matrix, every edge at distance 1).

    A 2-D lens makes triangles wherever three boxes overlap; they are cycles of the graph but not holes
    of the data. ``graph_cycles`` counts them, ``flag_holes`` does not.
    """
    from ripser import ripser
    from scipy import sparse

    if graph_cycles(G) == 0:
        return 0
    idx = {v: i for i, v in enumerate(G)}
    e = np.array([(idx[a], idx[b]) for a, b in G.edges()])
    D = sparse.coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(len(idx),) * 2)
    return int(np.isinf(ripser(D, distance_matrix=True, maxdim=1, coeff=2)["dgms"][1][:, 1]).sum())


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
        """{nodes, edges, components, cycles (E - V + C), holes (triangles filled, :func:`flag_holes`),
        coverage (share of points in some node)}."""
        return {"nodes": self.n_nodes, "edges": self.n_edges, "components": self.n_components(),
                "cycles": graph_cycles(self.graph), "holes": flag_holes(self.graph),
                "coverage": round(self.coverage(), 4)}

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


def _build_result(node_sets: Sequence[int], node_members: Sequence[np.ndarray], edges, n_points: int,
                  lens, cover, params, native) -> MapperResult:
    """The one graph representation: a networkx graph on nodes 0..n-1 numbered by (cover set, smallest
    member), so that the backends are comparable; node attributes members, size, cover_set."""
    import networkx as nx

    order = sorted(range(len(node_members)), key=lambda i: (node_sets[i], int(np.min(node_members[i]))))
    new = {old: k for k, old in enumerate(order)}
    members = [np.sort(np.asarray(node_members[i], dtype=np.int64)) for i in order]
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
# Backends: (sets, members, edges, native) from the cover and the wrapped clusterer
# ---------------------------------------------------------------------------------------------------
def _run_kmapper(X, lens, cover, clusterer, min_intersection):
    """``KeplerMapper.map`` with kmapper's Cover and GraphNerve; the graph via ``adapter.to_networkx``."""
    import kmapper
    from kmapper.adapter import to_networkx

    Xi = np.hstack([np.arange(len(X), dtype=np.float64)[:, None], X])   # global index for the clusterer
    g = kmapper.KeplerMapper(verbose=0).map(lens, Xi, clusterer=clusterer, cover=cover.km,
                                            nerve=kmapper.GraphNerve(min_intersection=min_intersection))
    G = to_networkx(g)
    names = list(G.nodes)
    index = {k: i for i, k in enumerate(names)}
    sets = [int(k.split("_")[0][len("cube"):]) for k in names]      # kmapper names nodes cube{i}_cluster{j}
    members = [np.asarray(G.nodes[k]["membership"], dtype=np.int64) for k in names]
    return sets, members, [(index[a], index[b]) for a, b in G.edges], g


class _GiottoCover(TransformerMixin, BaseEstimator):
    """The cover sets of :class:`Cover` as a giotto-tda cover step (lens -> boolean masks), so that
    giotto-tda clusters exactly the sets KeplerMapper clusters."""

    def __init__(self, resolution=10, gain=0.3):
        self.resolution = resolution
        self.gain = gain

    def fit(self, X, y=None):
        return self

    def transform(self, X, y=None):
        return Cover(X, self.resolution, self.gain).masks


def _run_giotto(X, lens, cover, clusterer, min_intersection):
    """giotto-tda's ``make_mapper_pipeline`` (its pull-back, parallel clustering and nerve)."""
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
    members = [np.asarray(ig.vs[i]["node_elements"], dtype=np.int64) for i in keep]
    edges = [(index[e.source], index[e.target]) for e in ig.es if e.source in index and e.target in index]
    return sets, members, edges, pipe


def mapper_graph(X, *, lens="pca", resolution: int = 10, gain: float = 0.3, clusterer=None,
                 backend: str = "kmapper", n_components: int | None = None, eps_scale: float = 1.0,
                 min_intersection: int = 1, random_state: int = 0) -> MapperResult:
    """The Mapper graph of the points X.

    X:           (N, D) points (NumPy array or torch tensor), e.g. activations of N test images.
    lens:        a lens name, callable or array, see :func:`compute_lens` (default: first 2 PCA coordinates).
    resolution:  intervals per lens dimension (>= 1), spanning [min, max] of the lens (:class:`Cover`).
    gain:        overlap fraction of consecutive intervals, in (0, 1) (kmapper's perc_overlap). For the
                 literature's gain g use ``overlap_from_gain(g)`` (gain 3 -> 0.667).
    clusterer:   None or "knn" (connected components of the 10-NN graph inside each cover set, pieces
                 under 5 points are noise: :class:`KNNGraphClusterer`), "dbscan" (DBSCAN, eps =
                 ``eps_scale`` * :func:`auto_eps`, min_samples 5), "single" (single linkage cut at that
                 eps), "kmeans" (10 clusters), or any scikit-learn clusterer (fit(X) -> labels_).
                 Label -1 = noise = in no node. A cover set smaller than the clusterer's n_clusters /
                 min_samples is skipped (KeplerMapper's rule).
    backend:     "kmapper" (KeplerMapper.map) or "giotto" (giotto-tda pipeline); same cover, same graph.
    min_intersection: shared points needed for an edge.
    Returns a :class:`MapperResult`. Raises ValueError if no cover set yields a cluster.
    """
    t0 = time.perf_counter()
    X = _as_points(X)
    resolution, gain = _check_resolution(resolution), _check_gain(gain)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}.")
    if backend not in available_backends():
        lib = "giotto-tda" if backend == "giotto" else "kmapper"
        raise ImportError(f"backend={backend!r} needs {lib}, which is not installed: pip install {lib}"
                          + (f", or use backend={available_backends()[0]!r}." if available_backends() else "."))
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
    import networkx as nx

    t0, X = time.perf_counter(), _as_points(X)
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
    res.cover_set = np.asarray(landmarks, dtype=np.int64)   # the landmark of each ball (order unchanged)
    nx.set_node_attributes(res.graph, dict(enumerate(landmarks)), "cover_set")
    res.params["seconds"] = round(time.perf_counter() - t0, 3)
    return res


def typical_distance(X, n_pairs: int = 4000, seed: int = 0) -> float:
    """The median Euclidean distance between two random points of X (N, D): a scale for Ball Mapper."""
    X = _as_points(X)
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, len(X), n_pairs), rng.integers(0, len(X), n_pairs)
    keep = i != j
    d = np.linalg.norm(X[i[keep]] - X[j[keep]], axis=1)
    return float(np.median(d)) if np.any(d > 0) else 1.0


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
