"""Pictures of point clouds of filters and their persistence (arrays in, Figure out); the numbers
come from toolkit.filters and toolkit.homology. Filter grids: toolkit.plots.filter_grid; diagrams:
persim.plot_diagrams."""

from __future__ import annotations

import numpy as np

from . import filters, homology

__all__ = ["plot_plane", "plot_dct_projection", "plot_barcode"]


def _axes(ax, figsize):
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize) if ax is None else (ax.figure, ax)


def plot_plane(
    X,
    plane=None,
    ax=None,
    *,
    sectors: int = 16,
    center=None,
    evidence=None,
    title: str | None = None,
    s: float = 5,
    icons: int = 0,
):
    """Scatter X (N, d) in ``plane`` ((2, d), None = top two principal directions) as
    :func:`homology.circle_evidence` sees it (its persistence runs on these coordinates), coloured
    by angle: sector boundaries drawn and sectors holding under 1 % of the points shaded grey
    (``sectors=0``: none). evidence: a ``CircleEvidence`` whose numbers and three-way verdict go in
    the title. icons: that many ideal primary-circle filters drawn around the unit ring. Returns the
    Figure."""
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    fig, ax = _axes(ax, (3.2, 3.2))
    Y, _ = homology.plane_coordinates(X, plane, center=center)
    r = 1.5 if icons else float(np.abs(Y).max(initial=0.0)) * 1.1 or 1.0
    if sectors:
        w = 2 * np.pi / sectors
        for j, c in enumerate(homology.sector_counts(Y, sectors)):
            t = np.linspace((j - 0.5) * w, (j + 0.5) * w, 12)
            if c < max(1.0, 0.01 * len(Y)):
                ax.fill(np.r_[0, r * np.cos(t)], np.r_[0, r * np.sin(t)], color="0.85", zorder=0)
            ax.plot([0, r * np.cos(t[0])], [0, r * np.sin(t[0])], color="0.7", lw=0.4, zorder=1)
    ax.scatter(
        Y[:, 0],
        Y[:, 1],
        s=s,
        c=np.arctan2(Y[:, 1], Y[:, 0]),
        cmap="hsv",
        vmin=-np.pi,
        vmax=np.pi,
        zorder=2,
    )
    for a, W in zip(
        2 * np.pi * np.arange(icons) / max(icons, 1), filters.primary_circle_filters(max(icons, 1))
    ):
        ax.add_artist(
            AnnotationBbox(
                OffsetImage(W, zoom=6, cmap="gray"),
                (1.25 * np.cos(a), 1.25 * np.sin(a)),
                frameon=False,
            )
        )
    ax.set(xlim=(-r, r), ylim=(-r, r), aspect="equal", xticks=[], yticks=[])
    lines = [title] if title else []
    if evidence is not None:
        ev = evidence
        verdict = (
            "circle"
            if ev.is_circle
            else "not a circle"
            if ev.verdict != homology.CANNOT_TELL
            else "not a circle by the test,\ncannot tell at this size"
        )
        lines += [
            f"d/b {ev.death_birth:.1f}, {ev.occupied}/{ev.sectors} sect., ratio {ev.ratio:.1f}",
            verdict,
        ]
    ax.set_title("\n".join(lines), fontsize=8)
    return fig


def plot_dct_projection(F, ax=None, *, s: float = 3, title: str | None = None, icons: int = 0):
    """Filters F (N, 9) by their (e1, e2) DCT coordinates, coloured by edge angle: the primary
    circle is the unit ring (``icons`` of its filters drawn around it). Returns the Figure."""
    fig = plot_plane(
        np.asarray(F, dtype=float).reshape(len(F), -1),
        filters.dct_basis()[:2],
        ax,
        sectors=0,
        center=np.zeros(9),
        title=title,
        s=s,
        icons=icons,
    )
    (fig.axes[0] if ax is None else ax).set(
        xlabel="<f, e1>  (horizontal gradient)", ylabel="<f, e2>  (vertical gradient)"
    )
    return fig


def plot_barcode(dgms, ax=None, *, dims=None, max_bars: int = 30, title: str | None = None):
    """Barcode of the diagrams of ``persistence``: one bar per (birth, death), longest first, at
    most ``max_bars`` per dimension, dimensions stacked and coloured; infinite bars end in an arrow
    head at the right edge. Returns the Figure."""
    import matplotlib.pyplot as plt

    fig, ax = _axes(ax, (6, 3.5))
    dims = range(len(dgms)) if dims is None else dims
    D = {k: np.asarray(dgms[k], dtype=float).reshape(-1, 2) for k in dims}
    finite = [v for d in D.values() for v in d.ravel() if np.isfinite(v)]
    top = (max(finite) if finite else 1.0) * 1.1 or 1.0
    colors, row = plt.rcParams["axes.prop_cycle"].by_key()["color"], 0
    for k, d in D.items():
        col = colors[k % len(colors)]
        for j, (b, e) in enumerate(d[np.argsort(-(d[:, 1] - d[:, 0]))[:max_bars]]):
            ax.plot(
                [b, min(e, top)], [row, row], color=col, lw=2, label=f"H{k}" if j == 0 else None
            )
            if not np.isfinite(e):
                ax.plot([top], [row], ">", color=col, ms=4)
            row += 1
        row += 1
    ax.set(yticks=[], xlabel="scale (distance)", title=title or "Barcode (longest bars first)")
    ax.legend(loc="lower right", fontsize=8)
    return fig
