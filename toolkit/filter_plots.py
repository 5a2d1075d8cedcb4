"""Figures of notebook 05: circle evidence of point clouds and filter spaces (arrays in, Figure out).

The numbers come from :func:`toolkit.homology.circle_evidence`; these functions only draw them:

- :func:`plot_plane`: a cloud in the plane of the evidence, its angular sectors, empty sectors shaded.
- :func:`plot_evidence_map`: death/birth of the longest H1 bar over a (k, p) grid, sectors annotated.
- :func:`plot_evidence_trajectory`: death/birth, occupied sectors and longest/next over training steps.
- :func:`plot_betti_curves`: Betti numbers against the scale, one panel per coefficient field.
- :func:`evidence_view`: the interactive demo's callback (X(k, p) of filters, its plane and barcode).
"""
from __future__ import annotations

import numpy as np

from . import homology

__all__ = ["plot_plane", "plot_evidence_map", "plot_evidence_trajectory", "plot_betti_curves",
           "evidence_view"]


def _axes(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def plot_plane(X, plane=None, ax=None, *, sectors: int = 16, center=None, evidence=None,
               title: str | None = None, s: float = 5):
    """Scatter X (N, d) in ``plane`` ((2, d) rows, None = top two principal directions), as
    :func:`homology.circle_evidence` sees it: sector boundaries drawn, sectors holding under 1 % of the
    points (and at least one) shaded grey. ``evidence``: a ``CircleEvidence`` whose numbers go in the
    title. Returns the Figure."""
    fig, ax = _axes(ax, (3.2, 3.2))
    Y, _ = homology.plane_coordinates(X, plane, center=center)
    counts = homology.sector_counts(Y, sectors)
    r = float(np.abs(Y).max(initial=0.0)) * 1.1 or 1.0
    w = 2 * np.pi / len(counts)
    for j, c in enumerate(counts):
        a0, a1 = (j - 0.5) * w, (j + 0.5) * w
        if c < max(1.0, 0.01 * len(Y)):
            t = np.linspace(a0, a1, 12)
            ax.fill(np.r_[0, r * np.cos(t)], np.r_[0, r * np.sin(t)], color="0.85", zorder=0)
        ax.plot([0, r * np.cos(a0)], [0, r * np.sin(a0)], color="0.7", lw=0.4, zorder=1)
    ax.scatter(Y[:, 0], Y[:, 1], s=s, c=np.arctan2(Y[:, 1], Y[:, 0]), cmap="hsv", vmin=-np.pi,
               vmax=np.pi, zorder=2)
    ax.set_xlim(-r, r)
    ax.set_ylim(-r, r)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    lines = [title] if title else []
    if evidence is not None:
        ev = evidence
        lines.append(f"d/b {ev.death_birth:.1f}, {ev.occupied}/{ev.sectors} sect., ratio {ev.ratio:.1f}")
        lines.append("circle" if ev.is_circle else "not a circle")
    ax.set_title("\n".join(lines), fontsize=8)
    return fig


def plot_evidence_map(death_birth, ks, ps, *, occupied=None, circle=None, sectors: int = 16, ax=None,
                      threshold: float = homology.CIRCLE_MIN_DEATH_BIRTH):
    """Heat map of death/birth (len(ks), len(ps)) over a (k, p) grid; each cell also shows the occupied
    sectors (``occupied``, same shape) and a star where ``circle`` (bool, same shape) is True. NaN cells
    (setting not computable) show '-'. Colour scale: log death/birth from 1 to 20; ``threshold`` marked
    on the colour bar. Returns the Figure."""
    import matplotlib.pyplot as plt

    db = np.asarray(death_birth, dtype=float)
    if db.shape != (len(ks), len(ps)):
        raise ValueError(f"death_birth has shape {db.shape}; expected (len(ks), len(ps)) = "
                         f"{(len(ks), len(ps))}.")
    fig, ax = _axes(ax, (1.1 * len(ps) + 2.5, 0.6 * len(ks) + 1.6))
    shown = np.log10(np.clip(np.nan_to_num(db, nan=1.0, posinf=20.0), 1.0, 20.0))
    im = ax.imshow(shown, cmap="viridis", vmin=0, vmax=np.log10(20), aspect="auto")
    cb = fig.colorbar(im, ax=ax, label="death / birth (log scale)")
    ticks = [1, 2, threshold, 10, 20]
    cb.set_ticks(np.log10(ticks), labels=[f"{t:g}" for t in ticks])
    for i in range(len(ks)):
        for j in range(len(ps)):
            v = db[i, j]
            if np.isnan(v):
                txt = "-"
            else:
                txt = f"{v:.1f}"
                if occupied is not None:
                    txt += f"\n{int(np.asarray(occupied)[i, j])}/{sectors}"
                if circle is not None and bool(np.asarray(circle)[i, j]):
                    txt += " *"
            ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                    color="w" if shown[i, j] < 0.8 else "k")
    ax.set_xticks(range(len(ps)), [f"{p:g}" for p in ps])
    ax.set_yticks(range(len(ks)), [str(k) for k in ks])
    ax.set_xlabel("p (fraction kept)")
    ax.set_ylabel("k (neighbour)")
    ax.set_title("circle evidence of X(k, p): death/birth, occupied sectors (* = passes all tests)",
                 fontsize=9)
    return fig


def plot_evidence_trajectory(steps, death_birth, occupied, ratio, *, sectors: int = 16,
                             threshold: float = homology.CIRCLE_MIN_DEATH_BIRTH):
    """Two panels over training steps (n,): death/birth of the longest H1 bar (threshold dashed) and
    longest/next, and the number of occupied sectors (of ``sectors``). Returns the Figure."""
    import matplotlib.pyplot as plt

    steps = np.asarray(steps, dtype=float)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.2))
    a1.plot(steps, death_birth, "o-", label="death / birth")
    a1.plot(steps, np.clip(np.asarray(ratio, dtype=float), 0, 50), "s--", alpha=0.6,
            label="longest / next (capped at 50)")
    a1.axhline(threshold, color="k", ls=":", lw=1, label=f"circle threshold {threshold:g}")
    a1.set_yscale("log")
    a1.set_xlabel("training step")
    a1.legend(fontsize=8)
    a1.set_title("one long-lived loop?", fontsize=9)
    a2.plot(steps, occupied, "o-", color="C2")
    a2.axhline(sectors, color="k", ls=":", lw=1)
    a2.set_ylim(0, sectors + 0.5)
    a2.set_xlabel("training step")
    a2.set_ylabel(f"occupied sectors (of {sectors})")
    a2.set_title("every edge orientation present?", fontsize=9)
    fig.tight_layout()
    return fig


def plot_betti_curves(scales, curves: dict, *, dims=(1, 2)):
    """Betti numbers against the scale: ``curves`` maps a label (e.g. 'Klein, Z/2') to an
    (len(scales), n_dims) int array from :func:`homology.betti_curve`; one panel per dimension in
    ``dims``. Returns the Figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(dims), figsize=(5 * len(dims), 3.2), squeeze=False)
    for ax, k in zip(axes[0], dims):
        for label, B in curves.items():
            B = np.asarray(B)
            if B.shape[0] != len(scales) or B.ndim != 2:
                raise ValueError(f"curves[{label!r}] has shape {B.shape}; expected ({len(scales)}, n_dims).")
            if k < B.shape[1]:
                ax.step(scales, B[:, k], where="post", label=label)
        ax.set_xlabel("scale (distance)")
        ax.set_ylabel(f"Betti {k}")
        ax.set_ylim(-0.5, 6.5)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def evidence_view(F, k: int, p: float, *, plane=None, n_landmarks: int | None = 200, show: bool = True):
    """The interactive demo's callback: X(k, p) of filters F (N, 9), drawn in ``plane`` (default e1, e2
    of the DCT basis) with its sectors, and its H1 barcode; prints the circle evidence. Returns
    ``{"evidence", "n_kept", "figure"}``. ``show=True`` calls ``plt.show()`` (an ``ipywidgets.Output``
    then updates in place)."""
    import matplotlib.pyplot as plt

    from . import filters

    plane = filters.dct_basis()[:2] if plane is None else plane
    X = filters.density_filtration(F, k, p)
    if len(X) < 10:
        print(f"k={k}, p={p}: only {len(X)} filters kept; circle evidence needs at least 10 (raise p).")
        return {"evidence": None, "n_kept": len(X), "figure": None}
    ev = homology.circle_evidence(X, plane=plane, n_landmarks=n_landmarks)
    d = homology.persistence(X, maxdim=1, n_landmarks=n_landmarks)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.5, 4))
    plot_plane(X, plane, ax=a1, evidence=ev, title=f"X(k={k}, p={p}): {len(X)} filters")
    homology.plot_barcode(d, ax=a2, dims=[1], max_bars=15, title="H1 barcode")
    fig.tight_layout()
    print(f"k={k}, p={p}: {ev}")
    if show:
        plt.show()
    return {"evidence": ev, "n_kept": len(X), "figure": fig}
