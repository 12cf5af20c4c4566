"""The figures of Part II's chapters 4 and 5 (*Bayesian logistic regression*, *Where next*).

`book.figures` merges `figures()` into its registry at its end; the data come from
`book.part2_bayes`. (`BookFigure` is imported inside `figures`, so either module can be
imported first.)
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure as MplFigure

from logreg import plotting

from . import part2_bayes as pb
from . import results as r

LEVELS = np.asarray(plotting.CONTOUR_LEVELS)
RASTERIZE = True


def _field(ax, x1: np.ndarray, x2: np.ndarray, prob: np.ndarray, X: np.ndarray, y: np.ndarray, title: str) -> None:
    """Shaded bands of ``prob`` at 1/8, ..., 7/8 with their lines, the boundary 1/2 in bold, the data."""
    ink = mpl.rcParams["axes.edgecolor"]
    ax.contourf(
        x1, x2, prob, levels=[0.0, *LEVELS, 1.0], cmap=plotting.probability_cmap(), zorder=1, rasterized=RASTERIZE
    )
    lines = ax.contour(x1, x2, prob, levels=LEVELS, colors=ink, linewidths=0.5, alpha=0.6, zorder=2)
    ax.clabel(lines, levels=LEVELS[[0, 6]], fmt=lambda p: f"{p:g}", fontsize=7, inline=True)
    ax.contour(x1, x2, prob, levels=[0.5], colors=ink, linewidths=1.8, zorder=2)
    plotting.scatter_classes(ax, X, y, size=12.0)
    ax.set_xlim(x1.min(), x1.max())
    ax.set_ylim(x2.min(), x2.max())
    ax.set_aspect("equal")
    ax.set_title(title, fontsize="medium")


def _map_dashed(ax, which: str) -> None:
    """The MAP model's contours at the same levels, dashed: straight lines, a = logit(p)."""
    f = pb.predictive_fields(which)
    ax.contour(
        f["x1"],
        f["x2"],
        f["map"],
        levels=LEVELS,
        colors=mpl.rcParams["axes.edgecolor"],
        linewidths=0.9,
        linestyles="dashed",
        zorder=2,
    )


def _predictive(fig: MplFigure) -> None:
    """Both data sets in one figure (one file keeps the chapter's page under 1 MB)."""
    from matplotlib.lines import Line2D

    axes = fig.subplots(1, 2, sharey=True)
    for ax, which in zip(axes, ("blobs", "separable"), strict=True):
        X, y = r.blobs() if which == "blobs" else r.separable()
        f = pb.predictive_fields(which)
        _field(ax, f["x1"], f["x2"], f["probit"], X, y, "fuzzy data" if which == "blobs" else "separable data")
        _map_dashed(ax, which)
    axes[1].set_ylabel("")
    ink = mpl.rcParams["axes.edgecolor"]
    handles, labels = axes[0].get_legend_handles_labels()
    handles += [Line2D([], [], color=ink, lw=0.9), Line2D([], [], color=ink, lw=0.9, ls="dashed")]
    labels += ["predictive, shaded", "MAP"]
    fig.legend(handles, labels, loc="outside upper center", ncols=4, fontsize="small")


def _circles(fig: MplFigure) -> None:
    X, y = pb.circles()
    fits = pb.circles_fits()
    lo, hi = -1.6, 1.6
    x1, x2 = np.meshgrid(np.linspace(lo, hi, 161), np.linspace(lo, hi, 161))
    pts = np.column_stack([x1.ravel(), x2.ravel()])
    axes = fig.subplots(1, 2, sharey=True)
    lin = fits["linear"].predict_proba(pts).reshape(x1.shape)
    quad = fits["quadratic"].predict_proba(pb.quadratic_features(pts)).reshape(x1.shape)
    _field(axes[0], x1, x2, lin, X, y, r"features $x_1, x_2$")
    _field(axes[1], x1, x2, quad, X, y, r"features $x_1, x_2, x_1^2, x_1x_2, x_2^2$")
    axes[1].set_ylabel("")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncols=2)


_PANELS = (
    "Two panels over the plane from −7 to 7 in both coordinates, the fuzzy data on the left and the "
    "separable data on the right. In each, dashed straight lines are the MAP model's contours at "
    "σ = 1/8, …, 7/8, parallel and evenly spaced across the whole plane; the shading and the solid lines "
    "are the predictive probability at the same levels. The solid lines share the bold boundary with the "
    "MAP model, but fan out away from the data, so that far from the points the shading fades towards "
    "1/2. On the fuzzy data the fanning is mild near the points and clear at the edges; on the separable "
    "data the dashed lines are squeezed into a narrow band along the boundary, while the solid ones open "
    "into wide wedges away from the two squares of points."
)


def figures() -> dict:
    """The registry entries of chapters 4 and 5, by name."""
    from .figures import BookFigure

    return {
        f.name: f
        for f in [
            BookFigure(
                "bayes-predictive",
                _PANELS,
                f"The MAP fit (dashed) and the Laplace predictive probability by the probit approximation (shaded, "
                f"solid lines) with λ = {r.BLOBS_L2:g}, contours at 1/8, …, 7/8, the boundary 1/2 in bold: the MAP "
                "fit is equally sure everywhere, the predictive only near the data.",
                _predictive,
                size=(8.0, 4.8),
            ),
            BookFigure(
                "basis-circles",
                "Two panels of the same data: an inner ring of points of one class inside an outer ring of the "
                "other. Left, logistic regression on the two coordinates: nearly flat shading around 1/2 and a "
                "straight boundary that cuts both rings. Right, the same model on the five quadratic features: "
                "the bold boundary is a closed oval between the rings, with the inner ring on the "
                "high-probability side.",
                "Logistic regression on circles: on the raw coordinates no line separates the classes (left); "
                "on quadratic features the boundary, a line in five dimensions, is an ellipse in the plane (right).",
                _circles,
                size=(8.0, 4.8),
            ),
        ]
    }
