"""Clusters of a net's activations, how pure they are, and how much the methods agree.

The methods of Alessi's study (docs/REFERENCES.md, section 2), on the (N, 10) output activations or any layer:

- ``"kmeans"``: KMeans(10) on the activations;
- ``"tsne"``:   t-SNE to 2-D, then KMeans(10) on the embedding;
- ``"umap"``:   UMAP(n_neighbors=20) to 2-D, then KMeans(10) on the embedding;
- ``"mapper"``: KeplerMapper with lens = row max (confidence), StandardScaler, Cover(15, 0.5), KMeans(10)
  inside cubes; the clusters are the nodes of the highest-confidence cube (points elsewhere get -1).

``purity(clusters, labels)`` uses ALL members of a cluster (the share carrying the majority label); the
original notebooks read the label of a single point, so every cluster came out "100% pure" --
:func:`purity_from_one_point` reproduces that bug for the notebook to show, and is never used otherwise.

Scores count ALL points: :func:`agreement` makes each unclustered point (-1) a cluster of its own and
:func:`overall_purity` counts it as a miss, so a method cannot score higher by leaving hard points out;
both report or accompany a coverage (:func:`coverage`); ``covered_only=True`` gives the old convention.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from . import activations as _act

__all__ = [
    "METHODS", "Clustering", "embed", "cluster", "mapper_clusters",
    "purity", "majority_labels", "cluster_table", "overall_purity", "coverage", "purity_from_one_point",
    "agreement", "agreement_table", "score_table", "match_clusters", "feature_similarity",
    "Analysis", "analyze", "compare_nets", "sample", "variant_net",
    "plot_embedding", "show_cluster", "cluster_browser",
]

METHODS = ("kmeans", "tsne", "umap", "mapper")
SMALL = 5000  # up to this many points, cluster() runs single-threaded (see there)


# ---------------------------------------------------------------------------------------------------
# Purity and agreement
# ---------------------------------------------------------------------------------------------------
def _labels_array(labels, n: int | None = None, what: str = "labels") -> np.ndarray:
    if hasattr(labels, "detach"):
        labels = labels.detach().cpu().numpy()
    lab = np.asarray(labels)
    if lab.ndim != 1:
        raise ValueError(f"{what} must be a vector (N,), got shape {lab.shape}.")
    if n is not None and len(lab) != n:
        raise ValueError(f"{what} has {len(lab)} entries but the clusters cover {n} points; "
                         f"they must match one to one.")
    if lab.size and np.issubdtype(lab.dtype, np.floating):
        if not np.all(np.isfinite(lab)) or not np.all(lab == np.round(lab)):
            raise ValueError(f"{what} must be whole class indices (got NaN or fractions).")
        lab = lab.astype(np.int64)
    if lab.size and lab.min() < 0:
        raise ValueError(f"{what} must be class indices >= 0; found {lab.min()}.")
    return lab


def _members_and_labels(clusters, labels):
    lab = _labels_array(labels)
    members = _act.as_membership(clusters, n=len(lab))
    return members, lab


def majority_labels(clusters, labels) -> dict:
    """{cluster id: its most common true label} (ties: the smaller label), from all members."""
    members, lab = _members_and_labels(clusters, labels)
    return {c: int(np.bincount(lab[idx]).argmax()) for c, idx in members.items()}


class Purity(dict):
    """{cluster id: purity}, with ``.coverage``: the share of the N points in some cluster."""

    coverage: float = float("nan")


def purity(clusters, labels) -> Purity:
    """{cluster id: share of its members that carry the cluster's majority label} (a float in (0, 1]);
    the dict's ``.coverage`` is the share of all points that are in some cluster.

    clusters: a label vector (N,) (-1 = no cluster) or ``{id: indices}`` / list of index arrays;
    labels:   (N,) true class of every point. An empty cluster raises a ValueError.
    """
    members, lab = _members_and_labels(clusters, labels)
    out = Purity({c: float(np.bincount(lab[idx]).max() / len(idx)) for c, idx in members.items()})
    out.coverage = coverage(members, len(lab))
    return out


def coverage(clusters, n: int) -> float:
    """Share of the ``n`` points that belong to at least one cluster (label -1 = none), in [0, 1]."""
    members = _act.as_membership(clusters, n=n)
    return len(np.unique(np.concatenate(list(members.values())))) / n


def overall_purity(clusters, labels, *, covered_only: bool = False) -> float:
    """Share of ALL N points that sit in a cluster and carry its majority label; an unclustered point
    (-1) counts as a miss, so leaving hard points out cannot raise it. ``covered_only=True``: share of
    the clustered points only (the old, biased convention, for a side-by-side)."""
    members, lab = _members_and_labels(clusters, labels)
    hit = sum(int(np.bincount(lab[idx]).max()) for idx in members.values())
    return hit / (sum(len(idx) for idx in members.values()) if covered_only else len(lab))


def purity_from_one_point(clusters, labels) -> dict:
    """THE ORIGINAL STUDY'S BUG, kept only so the notebook can show it: the cluster -> label association
    is read from a single member, and only that member is checked against it, so every cluster is
    "100% pure" whatever it holds. Never use this for a result; use :func:`purity`."""
    members, lab = _members_and_labels(clusters, labels)
    out = {}
    for c, idx in members.items():
        one = idx[:1]                        # a single point decides the cluster's label ...
        out[c] = float(np.mean(lab[one] == lab[idx[0]]))  # ... and is the only point checked
    return out


def cluster_table(clusters, labels):
    """pandas DataFrame, one row per cluster: size, share of all N points, majority label, purity,
    runner-up label and share; ``.attrs["coverage"]``: share of the points in some cluster."""
    import pandas as pd

    members, lab = _members_and_labels(clusters, labels)
    rows = []
    for c, idx in members.items():
        counts = np.bincount(lab[idx], minlength=max(2, lab.max() + 1))
        order = np.argsort(-counts, kind="stable")
        rows.append({"cluster": c, "size": len(idx), "share_of_all": len(idx) / len(lab),
                     "majority": int(order[0]),
                     "purity": counts[order[0]] / len(idx),
                     "runner_up": int(order[1]) if counts[order[1]] > 0 else -1,
                     "runner_up_share": counts[order[1]] / len(idx)})
    df = pd.DataFrame(rows).set_index("cluster")
    df.attrs["coverage"] = coverage(members, len(lab))
    return df


def _labeling(x, what: str) -> np.ndarray:
    """(N,) int64 cluster labels (-1 = unclustered) or a ValueError naming ``what``."""
    x = np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)
    if x.ndim != 1:
        raise ValueError(f"{what} must be a label vector (N,); got shape {x.shape}.")
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)) \
            or np.issubdtype(x.dtype, np.bool_):
        raise ValueError(f"{what} must hold integer cluster labels (-1 = unclustered); got dtype {x.dtype}.")
    if np.issubdtype(x.dtype, np.floating):
        if not (np.all(np.isfinite(x)) and np.all(x == np.round(x))):
            raise ValueError(f"{what} must hold whole cluster labels; it has NaN, inf or fractions.")
    x = x.astype(np.int64)
    if x.size and x.min() < -1:
        raise ValueError(f"{what} has the label {x.min()}; use labels >= 0, and -1 for unclustered.")
    return x


def agreement(a, b, *, covered_only: bool = False) -> dict:
    """How well two labelings (N,) of the same points agree: {"ari", "nmi", "coverage", "n"}.

    coverage: share of points clustered in both (label -1 = unclustered); n: points scored.
    By default ALL N points are scored and each unclustered point is a cluster of its own (a singleton
    shares no pair with any other point), so a method cannot raise its score by leaving out the points it
    finds hard. ``covered_only=True`` scores only the points clustered in both (the biased convention,
    kept for a side-by-side). ARI and NMI are 1 for identical partitions up to renaming, about 0 for
    independent ones (ARI can go below 0). Raises ValueError on different lengths, a labeling with no
    clustered point, or non-integer labels.
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    a, b = _labeling(a, "the first labeling (a)"), _labeling(b, "the second labeling (b)")
    if a.shape != b.shape:
        raise ValueError(f"The two labelings must label the same points; got lengths {len(a)} and {len(b)}.")
    for x, what in ((a, "a"), (b, "b")):
        if not (x >= 0).any():
            raise ValueError(f"Labeling {what} has no clustered point (all -1 or empty); nothing to compare.")
    keep = (a >= 0) & (b >= 0)
    cov = float(keep.mean())
    if covered_only:
        if keep.sum() < 2:
            raise ValueError("Fewer than 2 points are clustered in both labelings; nothing to compare.")
        a, b = a[keep], b[keep]
    else:  # each unclustered point gets a fresh label of its own, in each labeling
        a, b = a.copy(), b.copy()
        for x in (a, b):
            out = x < 0
            x[out] = x.max() + 1 + np.arange(out.sum())
    return {"ari": float(adjusted_rand_score(a, b)), "nmi": float(normalized_mutual_info_score(a, b)),
            "coverage": cov, "n": int(len(a))}


def score_table(labelings: Mapping[str, np.ndarray], references: Mapping[str, np.ndarray], *, on=None):
    """One row per labeling {name: (N,)} (-1 = unclustered): clusters, coverage, and per reference
    {ref: (N,)} (e.g. the true digits, the net's predictions): "ARI vs ref" and "NMI vs ref" on all points
    (unclustered = singletons), "purity vs ref" (unclustered = misses) and "ARI vs ref, covered only".
    on: optional bool mask (N,) -- every labeling and reference is first restricted to those points, so
    that all rows are scored on the same points (e.g. those one method covers)."""
    import pandas as pd

    refs = {r: _labels_array(v, what=f"references[{r!r}]") for r, v in references.items()}
    n = {len(v) for v in refs.values()}
    if len(n) != 1:
        raise ValueError(f"All references must label the same points; got lengths {sorted(n)}.")
    n = n.pop()
    keep = np.ones(n, bool) if on is None else np.asarray(on, dtype=bool)
    if keep.shape != (n,) or not keep.any():
        raise ValueError(f"on must be a boolean mask of length {n} selecting at least one point.")
    rows = {}
    for name, lab in labelings.items():
        lab = _labeling(lab, f"labelings[{name!r}]")
        if lab.shape != (n,):
            raise ValueError(f"labelings[{name!r}] has {len(lab)} entries; the references have {n}.")
        lab = lab[keep]
        row = {"clusters": int(len(np.unique(lab[lab >= 0]))), "coverage": float(np.mean(lab >= 0))}
        for r, ref in refs.items():
            ag = agreement(lab, ref[keep])
            row.update({f"ARI vs {r}": ag["ari"], f"NMI vs {r}": ag["nmi"],
                        f"purity vs {r}": overall_purity(lab, ref[keep]),
                        f"ARI vs {r}, covered only": agreement(lab, ref[keep], covered_only=True)["ari"]})
        rows[name] = row
    return pd.DataFrame(rows).T


def agreement_table(labelings: Mapping[str, np.ndarray], truth=None, score: str = "ari", *,
                    covered_only: bool = False):
    """Square DataFrame of pairwise ``score`` ("ari" or "nmi") between labelings (scored as
    :func:`agreement` with ``covered_only``); with ``truth`` given, an extra row/column "truth"."""
    import pandas as pd

    if score not in ("ari", "nmi"):
        raise ValueError(f"score={score!r}: use 'ari' or 'nmi'.")
    labs = dict(labelings)
    if truth is not None:
        labs["truth"] = _labels_array(truth)
    names = list(labs)
    M = np.eye(len(names))
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            M[i, j] = M[j, i] = agreement(labs[names[i]], labs[names[j]], covered_only=covered_only)[score]
    return pd.DataFrame(M, index=names, columns=names)


def match_clusters(a, b) -> dict:
    """Pair the clusters of labeling ``a`` with those of ``b`` (N,) to maximize shared points
    (Hungarian algorithm on the contingency table). Returns {a id: b id} (min(#a, #b) pairs)."""
    from scipy.optimize import linear_sum_assignment

    a, b = _labeling(a, "a"), _labeling(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"Labelings differ in length: {a.shape} vs {b.shape}.")
    keep = (a >= 0) & (b >= 0)
    ia, ib = np.unique(a[keep]), np.unique(b[keep])
    table = np.zeros((len(ia), len(ib)), dtype=np.int64)
    np.add.at(table, (np.searchsorted(ia, a[keep]), np.searchsorted(ib, b[keep])), 1)
    r, c = linear_sum_assignment(-table)
    return {int(ia[i]): int(ib[j]) for i, j in zip(r, c)}


def feature_similarity(W_a, best_a, W_b, best_b) -> float:
    """Correlation of the mean weight images of two best-neuron sets (two nets: neurons have no shared
    index across nets, so compare what they look at). W_*: (H_*, 784); best_*: neuron indices."""
    fa = np.asarray(W_a)[np.asarray(best_a)].mean(0)
    fb = np.asarray(W_b)[np.asarray(best_b)].mean(0)
    return float(np.corrcoef(fa, fb)[0, 1])


# ---------------------------------------------------------------------------------------------------
# Clustering methods
# ---------------------------------------------------------------------------------------------------
@dataclass
class Clustering:
    """One clustering of N points.

    labels: (N,) int64 cluster per point (-1 = not clustered, Mapper only); embedding: (N, 2) for t-SNE /
    UMAP, else None; seconds: wall-clock time of the whole method (embedding + k-means).
    """

    method: str
    labels: np.ndarray
    seconds: float
    embedding: np.ndarray | None = field(default=None, repr=False)
    params: dict = field(default_factory=dict)

    @property
    def n_clusters(self) -> int:
        return int(len(np.unique(self.labels[self.labels >= 0])))


def embed(A, method: str = "tsne", *, seed: int = 0, n_neighbors: int = 20,
          perplexity: float = 30.0) -> np.ndarray:
    """(N, 2) float32 t-SNE (sklearn, PCA init) or UMAP (n_neighbors) embedding of the rows of A (N, D)."""
    A = _act._check_activations(A)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perp = min(perplexity, max(2.0, (len(A) - 1) / 3.0))
        return TSNE(n_components=2, perplexity=perp, init="pca", random_state=seed,
                    n_jobs=1).fit_transform(A).astype(np.float32)
    if method == "umap":
        import warnings

        import umap

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "n_jobs overridden by random_state" and numba chatter
            return umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, len(A) - 1),
                             random_state=seed).fit_transform(A).astype(np.float32)
    raise ValueError(f"Unknown embedding {method!r}; use 'tsne' or 'umap'.")


def _kmeans(Z, n_clusters: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit_predict(Z).astype(np.int64)


def mapper_clusters(A, n_clusters: int = 10, *, n_cubes: int = 15, perc_overlap: float = 0.5,
                    seed: int = 0) -> np.ndarray:
    """Alessi's Mapper clusters: (N,) labels, -1 outside the highest-confidence cube.

    KeplerMapper with lens = max of each row (for log-softmax outputs: the log-confidence),
    StandardScaler, Cover(n_cubes, perc_overlap) and KMeans(n_clusters) inside each cube; the clusters
    are those of the last (highest-lens) cube, as in the study.
    """
    import kmapper as km
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    A = _act._check_activations(A)
    lens = StandardScaler().fit_transform(A.max(1, keepdims=True))
    mapper = km.KeplerMapper(verbose=0)
    graph = mapper.map(lens, A, cover=km.Cover(n_cubes=n_cubes, perc_overlap=perc_overlap),
                       clusterer=KMeans(n_clusters=n_clusters, n_init=10, random_state=seed))
    cubes = {}
    for node, members in graph["nodes"].items():
        cube = int(node.split("_")[0].replace("cube", ""))
        cubes.setdefault(cube, []).append(members)
    if not cubes:
        raise ValueError("Mapper found no nodes; use more points or fewer clusters per cube.")
    top = max(cubes)
    labels = np.full(len(A), -1, dtype=np.int64)
    for i, members in enumerate(cubes[top]):
        labels[np.asarray(members)] = i
    return labels


def cluster(A, method: str = "kmeans", n_clusters: int = 10, *, seed: int = 0,
            n_neighbors: int = 20, perplexity: float = 30.0) -> Clustering:
    """Cluster the rows of A (N, D) with one of :data:`METHODS`; timed.

    A: activations (e.g. the (N, 10) log-softmax outputs); NaN raises. n_clusters <= N.
    """
    A = _act._check_activations(A)
    if method not in METHODS:
        raise ValueError(f"Unknown clustering method {method!r}; use one of {METHODS}.")
    if not 1 <= n_clusters <= len(A):
        raise ValueError(f"n_clusters={n_clusters} must be between 1 and the number of points {len(A)}.")
    from threadpoolctl import threadpool_limits

    t0 = time.perf_counter()
    emb = None
    # Small problems run faster on one thread: OpenMP start-up and, on a shared machine, thread
    # oversubscription cost far more than they save (k-means on 400 points: 0.04 s vs 6 s measured
    # on a loaded 2-core machine).
    with threadpool_limits(limits=1 if len(A) <= SMALL else None):
        if method == "kmeans":
            labels = _kmeans(A, n_clusters, seed)
        elif method == "mapper":
            labels = mapper_clusters(A, n_clusters, seed=seed)
        else:
            emb = embed(A, method, seed=seed, n_neighbors=n_neighbors, perplexity=perplexity)
            labels = _kmeans(emb, n_clusters, seed)
    return Clustering(method=method, labels=labels, seconds=time.perf_counter() - t0, embedding=emb,
                      params={"n_clusters": n_clusters, "seed": seed})


# ---------------------------------------------------------------------------------------------------
# The whole study on one net
# ---------------------------------------------------------------------------------------------------
@dataclass
class Analysis:
    """Everything the notebook shows for one net: activations, clusterings, neurons per cluster.

    X: (n, 1, 28, 28) the images used; y: (n,) true labels; hidden: (n, H) pre-ReLU fc1 activations;
    outputs: (n, 10) log-softmax; W: (H, 784) fc1 weights; clusterings / neurons: by method name.
    """

    X: np.ndarray
    y: np.ndarray
    hidden: np.ndarray
    outputs: np.ndarray
    predictions: np.ndarray
    W: np.ndarray
    clusterings: dict = field(default_factory=dict)
    neurons: dict = field(default_factory=dict)
    name: str = ""

    def summary(self):
        """DataFrame, one row per method: seconds, #clusters, share of points clustered, ARI/NMI vs truth
        on all points (unclustered = singletons) and ARI on the clustered ones only, mean purity, overall
        purity over all points and over the clustered ones, and how many best neurons several clusters share."""
        import pandas as pd

        rows = []
        for m, c in self.clusterings.items():
            ag, ag_cov = agreement(c.labels, self.y), agreement(c.labels, self.y, covered_only=True)
            p = purity(c.labels, self.y)
            rows.append({"net": self.name, "method": m, "seconds": c.seconds,
                         "clusters": c.n_clusters, "clustered": float((c.labels >= 0).mean()),
                         "ari": ag["ari"], "nmi": ag["nmi"], "ari_covered": ag_cov["ari"],
                         "mean_purity": float(np.mean(list(p.values()))),
                         "overall_purity": overall_purity(c.labels, self.y),
                         "purity_covered": overall_purity(c.labels, self.y, covered_only=True),
                         "shared_best": len(self.neurons[m].shared())})
        return pd.DataFrame(rows)

    def titles(self, method: str) -> dict:
        """{cluster: "c3 -> 7 (92%)"} labels for plots: majority label and purity."""
        c = self.clusterings[method].labels
        maj, pur = majority_labels(c, self.y), purity(c, self.y)
        return {k: f"c{k} -> {maj[k]} ({pur[k]:.0%})" for k in maj}


def analyze(model, X, y, *, methods: Sequence[str] = ("kmeans", "tsne", "umap"), n_clusters: int = 10,
            k: int = 5, n_best: int = 5, seed: int = 0, on: str = "outputs", layer: str = "fc1",
            name: str = "") -> Analysis:
    """Record ``model`` on images X (n, 1, 28, 28) with labels y (n,), cluster the ``on`` activations
    ("outputs" = log-softmax (n, 10), or a layer name: its pre-activation) with each method, and
    compute every cluster's top-k neurons of ``layer`` (pre-ReLU, as in the study)."""
    rec = _act.record(model, X, layers=[layer])
    y = _labels_array(y, n=len(rec))
    hidden = rec.flat(layer)
    if on == "outputs":
        target = rec.outputs
    else:
        target = _act.record(model, X, layers=[on], keep_post=False).flat(on)
    Xn = X.detach().cpu().numpy() if hasattr(X, "detach") else np.asarray(X)
    an = Analysis(X=Xn, y=y, hidden=hidden, outputs=rec.outputs, predictions=rec.predictions,
                  W=_act.first_layer_weights(model, layer), name=name)
    for m in methods:
        c = cluster(target, m, n_clusters, seed=seed)
        an.clusterings[m] = c
        an.neurons[m] = _act.cluster_neurons(hidden, c.labels, k=k, n_best=n_best)
    return an


def compare_nets(nets: Mapping[str, object], X, y, *, methods=("kmeans", "tsne", "umap"),
                 **kw):
    """Run :func:`analyze` on several nets {name: model}; returns (summary DataFrame, {name: Analysis})."""
    import pandas as pd

    results = {n: analyze(m, X, y, methods=methods, name=n, **kw) for n, m in nets.items()}
    return pd.concat([a.summary() for a in results.values()], ignore_index=True), results


def sample(X, y, n: int | None, seed: int = 0):
    """(X[idx], y[idx]) for ``n`` points drawn without replacement with ``seed`` (all when n is None or
    >= N; the order is kept). Accepts torch tensors or NumPy arrays."""
    N = len(X)
    if len(y) != N:
        raise ValueError(f"X has {N} rows but y has {len(y)}.")
    if n is None or n >= N:
        return X, y
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}.")
    idx = np.sort(np.random.default_rng(seed).choice(N, size=int(n), replace=False))
    return X[idx], y[idx]


def variant_net(hidden: int = 100, *, l1: float = 0.0, weight_decay: float = 0.0,
                dataset: str = "mnist", seed: int = 0, progress: bool = False,
                activity_l1: float = 0.0):
    """Train-or-load a 784-H-10 MLP variant the original study lacked (L1 penalty, FashionMNIST), with
    the course MLP settings (``mlp_epochs``, ``mlp_batch_size``, ``mlp_lr``). ``l1`` multiplies the sum of
    |weights| (train.fit's L1: it sparsifies weights; measure what it does to activations with
    :func:`toolkit.activations.active_fraction`); ``activity_l1`` penalizes the hidden activations
    themselves (train.fit's ``activity_l1``: sparser activations). Returns (model, info, test Dataset on the CPU);
    raises toolkit.data's DataUnavailable when the data set cannot be had (e.g. FashionMNIST offline)."""
    from . import checkpoints, config, data, zoo
    from .models import MLP
    from .train import evaluate, fit

    import torch

    S = config.sizes()
    if dataset == "mnist":
        tr, te = zoo.mnist_train(), zoo.mnist_test()
    else:
        tr = data.load(dataset, "train", n=S.mnist_train_n, device="cpu")
        te = data.load(dataset, "test", n=S.mnist_test_n, device="cpu")
    cfg = dict(arch="MLP", hidden=int(hidden), epochs=S.mlp_epochs, batch_size=S.mlp_batch_size,
               lr=S.mlp_lr, weight_decay=float(weight_decay), l1=float(l1), dataset=dataset,
               seed=int(seed), data={"train": zoo.fingerprint(tr), "test": zoo.fingerprint(te)})
    if activity_l1:
        cfg["activity_l1"] = float(activity_l1)

    def make():
        with config.seeded(seed):  # torch.manual_seed(seed); the caller's random state is kept
            return MLP(hidden)

    def train(model):
        return fit(model, tr.X, tr.y, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                   weight_decay=cfg["weight_decay"], l1=cfg["l1"], seed=seed, progress=progress,
                   X_val=te.X, y_val=te.y, activity_l1=float(activity_l1))

    name = f"ac-{dataset}-mlp{hidden}-l1_{l1:g}-wd_{weight_decay:g}-seed{seed}"
    if activity_l1:
        name += f"-act_l1_{activity_l1:g}"
    model, rec = checkpoints.train_or_load(name, cfg, make, train)
    info = dict(rec)
    info["test_acc"] = evaluate(model, te.X, te.y)[1]
    info["data_source"] = te.source
    return model, info, te


def __getattr__(name):  # the figures and the cluster browser live in toolkit.cluster_views
    if name in ("plot_embedding", "show_cluster", "cluster_browser"):
        from . import cluster_views

        return getattr(cluster_views, name)
    raise AttributeError(f"module 'toolkit.clustering' has no attribute {name!r}")
