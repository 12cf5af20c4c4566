"""The figures of Part II's chapters 4 and 5 (*Bayesian logistic regression*, *Where next*).

`book.figures` merges `FIGURES` into its registry with one line at its end (so import
``book.figures``, not this module, to get the registry); the data come from `book.part2_bayes`.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure as MplFigure

from logreg import plotting

from . import part2_bayes as pb
from . import results as r
from .figures import BookFigure

LEVELS = np.arange(1, 8) / 8


def _field(ax, x1: np.ndarray, x2: np.ndarray, prob: np.ndarray, X: np.ndarray, y: np.ndarray,
           title: str) -> None:
    """Shaded bands of ``prob`` at 1/8, ..., 7/8 with their lines, the boundary 1/2 in bold, the data."""
    ink = mpl.rcParams["axes.edgecolor"]
    ax.contourf(x1, x2, prob, levels=[0.0, *LEVELS, 1.0], cmap=plotting.probability_cmap(), zorder=1,
                rasterized=True)
    lines = ax.contour(x1, x2, prob, levels=LEVELS, colors=ink, linewidths=0.5, alpha=0.6, zorder=2)
    ax.clabel(lines, levels=LEVELS[[0, 6]], fmt=lambda p: f"{p:g}", fontsize=7, inline=True)
    ax.contour(x1, x2, prob, levels=[0.5], colors=ink, linewidths=1.8, zorder=2)
    plotting.scatter_classes(ax, X, y, size=12.0)
    ax.set_xlim(x1.min(), x1.max())
    ax.set_ylim(x2.min(), x2.max())
    ax.set_aspect("equal")
    ax.set_title(title, fontsize="medium")


def _map_vs_predictive(which: str):
    def draw(fig: MplFigure) -> None:
        X, y = r.blobs() if which == "blobs" else r.separable()
        f = pb.predictive_fields(which)
        axes = fig.subplots(1, 2, sharey=True)
        _field(axes[0], f["x1"], f["x2"], f["map"], X, y, r"MAP: $\sigma(\mu)$")
        _field(axes[1], f["x1"], f["x2"], f["probit"], X, y, r"predictive: $\sigma(\kappa(s^2)\,\mu)$")
        axes[1].set_ylabel("")
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncols=2)
    return draw


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


_PANELS = ("Two panels over the plane from −7 to 7 in both coordinates, with the data in the middle. "
           "Left, the MAP fit σ(μ): straight, parallel contour lines at σ = 1/8, …, 7/8 on either side of "
           "the bold boundary, evenly spaced across the whole plane. Right, the predictive probability: "
           "the same bold boundary, but the other contour lines fan out away from the data, so that far "
           "from the points the shading fades towards 1/2.")

FIGURES: dict[str, BookFigure] = {
    f.name: f
    for f in [
        BookFigure(
            "bayes-predictive-blobs",
            _PANELS + " On the fuzzy data the fanning is mild near the points and clear at the edges.",
            f"The fuzzy data with λ = {r.BLOBS_L2:g}: the MAP probability (left) and the Laplace predictive "
            "probability by the probit approximation (right), contours at 1/8, …, 7/8, the boundary 1/2 in bold.",
            _map_vs_predictive("blobs"),
            size=(9.0, 5.4),
        ),
        BookFigure(
            "bayes-predictive-separable",
            _PANELS + " On the separable data the MAP contours are squeezed into a narrow band along the "
            "boundary, while the predictive contours open into wide wedges away from the two squares of points.",
            f"The separable data with λ = {r.BLOBS_L2:g}: the MAP fit is sure of itself everywhere (left); the "
            "predictive probability (right) is sure only near the data.",
            _map_vs_predictive("separable"),
            size=(9.0, 5.4),
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
            size=(9.0, 5.4),
        ),
    ]
}
