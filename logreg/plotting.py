r"""The book's figures, as functions that draw on a Matplotlib ``Axes``.

Each function takes an ``ax`` (and data), draws on it, and returns what it drew; none calls
``plt.show()`` or creates a figure, so they compose into larger figures and test alone. Importing
this module imports Matplotlib; ``import logreg`` alone does not.

The two classes are told apart by marker as well as colour (circles for class A, triangles for
class B) so the plots read in greyscale and for colour-blind readers. Colours are from the
Okabe–Ito palette and read on light and dark backgrounds alike. The functions draw with
whatever Matplotlib style is in effect (the book renders them with its own, ``book/style.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, to_rgba
from numpy.typing import ArrayLike

from .checks import check_weights, check_Xy
from .model import objective, sigmoid

__all__ = [
    "ACCENTS",
    "CLASS_A",
    "CLASS_B",
    "CONTOUR_LEVELS",
    "plot_convergence",
    "plot_loss_slice",
    "plot_reliability",
    "plot_roc",
    "plot_sigmoid",
    "plot_sigmoid_contours",
    "probability_cmap",
    "scatter_classes",
]

#: Class A (label 1): vermillion circles. Class B (label 0): blue triangles.
CLASS_A = {"color": "#D55E00", "marker": "o", "label": "class A ($y=1$)"}
CLASS_B = {"color": "#0072B2", "marker": "^", "label": "class B ($y=0$)"}
#: A third and fourth colour for lines that are not classes.
ACCENTS = ("#009E73", "#CC79A7", "#E69F00")
#: The probabilities at which `plot_sigmoid_contours` draws its lines by default: 1/8, ..., 7/8,
#: evenly spaced with the decision boundary 1/2 in the middle (0 and 1 are never reached).
CONTOUR_LEVELS = tuple(k / 8 for k in range(1, 8))


def probability_cmap() -> LinearSegmentedColormap:
    """Class B's blue at $\\sigma = 0$, clear at 1/2, class A's vermillion at 1.

    The middle is transparent, so the map works on a light or a dark background.
    """
    b, a = to_rgba(CLASS_B["color"]), to_rgba(CLASS_A["color"])
    return LinearSegmentedColormap.from_list(
        "logreg_probability",
        [(*b[:3], 0.6), (*b[:3], 0.0), (*a[:3], 0.0), (*a[:3], 0.6)],
        N=256,
    )


def scatter_classes(ax: Axes, X: ArrayLike, y: ArrayLike, *, size: float = 28.0) -> list[Any]:
    """Scatter the two classes with different markers and colours, and label the axes.

    Args:
        ax: where to draw.
        X: shape ``(n, 2)``.
        y: shape ``(n,)``, 0/1.

    Returns:
        The two ``PathCollection`` artists, class A then class B.
    """
    Xa, ya = check_Xy(X, y)
    if Xa.shape[1] != 2:
        raise ValueError(f"scatter_classes draws 2-D data, X has {Xa.shape[1]} features")
    edge = mpl.rcParams["axes.edgecolor"]
    artists = []
    for label, style in ((1.0, CLASS_A), (0.0, CLASS_B)):
        pts = Xa[ya == label]
        artists.append(
            ax.scatter(
                pts[:, 0],
                pts[:, 1],
                s=size,
                c=style["color"],
                marker=style["marker"],
                label=style["label"],
                edgecolors=edge,
                linewidths=0.4,
                zorder=3,
            )
        )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal", adjustable="box")
    return artists


def plot_sigmoid(ax: Axes, a: ArrayLike | None = None) -> list[Any]:
    r"""Draw $\sigma(a)$ against $a$, with the asymptotes and $\sigma(0) = 1/2$.

    Returns:
        The curve's ``Line2D`` and the reference lines.
    """
    a = np.linspace(-8, 8, 401) if a is None else np.asarray(a, dtype=float)
    ref = mpl.rcParams["grid.color"]
    artists = [ax.axhline(v, color=ref, lw=1, ls="--", zorder=1) for v in (0.0, 0.5, 1.0)]
    artists.append(ax.axvline(0.0, color=ref, lw=1, ls="--", zorder=1))
    (curve,) = ax.plot(a, sigmoid(a), color=ACCENTS[0], zorder=2, label=r"$\sigma(a)$")
    ax.set_xlabel("activation $a$")
    ax.set_ylabel(r"$\sigma(a)$")
    ax.set_ylim(-0.05, 1.05)
    return [curve, *artists]


def _grid(X: np.ndarray, n: int, pad: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    return np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))


def plot_sigmoid_contours(
    ax: Axes,
    weights: ArrayLike,
    bias: float,
    X: ArrayLike,
    y: ArrayLike,
    *,
    levels: ArrayLike | None = None,
    resolution: int = 120,
    boundary: bool = True,
) -> dict[str, Any]:
    r"""Contours of $\sigma(w^\top x + b)$ over the plane, with the data on top.

    The post evaluates $\sigma$ on its grid by flattening the ``meshgrid`` points into one
    array, calling its sigmoid once and reshaping the result, and asks whether there is "a
    better way". Broadcasting is a shorter one: with grid arrays ``x1, x2``, the activation is
    ``w[0] * x1 + w[1] * x2 + b`` in one expression, already in the shape of the grid, and
    `logreg.sigmoid` applies to the whole array.

    Args:
        ax: where to draw.
        weights: shape ``(2,)``.
        bias: the intercept.
        X: the data drawn on top, shape ``(n, 2)``; they also set the extent.
        y: their labels, shape ``(n,)``.
        levels: the probabilities at which to draw contour lines, strictly between 0 and 1; by
            default `CONTOUR_LEVELS`, $1/8, 2/8, \dots, 7/8$ (0 and 1 are never reached, so a
            line there would be empty). The shading between them runs from 0 to 1.
        resolution: grid points per axis.
        boundary: draw the decision boundary $\sigma = 1/2$ as a solid line.

    Every other line, from the first, is labelled with its exact level (``0.125``, not a
    rounded ``0.12``). The labels sit on the part of each line well inside the axes, staggered
    along it; when the lines are too close together for labels to be read, none is drawn.

    Returns:
        A dict with the shading (``"filled"``) and the lines (``"lines"``), each a
        ``QuadContourSet``, the line labels (``"labels"``, a list of ``Text``) and the
        scattered data (``"points"``).
    """
    Xa, ya = check_Xy(X, y)
    w, b = check_weights(weights, bias, 2)
    levels = np.asarray(CONTOUR_LEVELS if levels is None else levels, dtype=float)
    if levels.ndim != 1 or levels.size == 0 or not np.all((levels > 0) & (levels < 1)):
        raise ValueError(f"levels must be probabilities strictly between 0 and 1, got {levels!r}")
    if np.any(np.diff(levels) <= 0):
        raise ValueError(f"levels must increase, got {levels!r}")
    x1, x2 = _grid(Xa, resolution)
    prob = sigmoid(w[0] * x1 + w[1] * x2 + b)
    ink = mpl.rcParams["axes.edgecolor"]
    # The shading is rasterised (in vector output too): as SVG paths it would weigh hundreds of
    # kilobytes, and the contour lines on top stay vectors.
    filled = ax.contourf(x1, x2, prob, levels=[0.0, *levels, 1.0], cmap=probability_cmap(), zorder=1, rasterized=True)
    lines = ax.contour(x1, x2, prob, levels=levels, colors=ink, linewidths=0.5, alpha=0.6, zorder=2)
    box = (x1.min(), x1.max(), x2.min(), x2.max())
    places = _label_places(w, b, levels[::2], box)
    labels = []
    if places:
        labels = ax.clabel(
            lines, levels=sorted(places), fmt=lambda p: f"{p:g}", fontsize=7, inline=True, manual=list(places.values())
        )
    if boundary:
        ax.contour(x1, x2, prob, levels=[0.5], colors=ink, linewidths=1.8, zorder=2)
    points = scatter_classes(ax, Xa, ya, size=18.0)
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    return {"filled": filled, "lines": lines, "labels": labels, "points": points}


def _label_places(
    w: np.ndarray, b: float, levels: np.ndarray, box, inset: float = 0.1, min_gap: float = 0.03
) -> dict[float, tuple[float, float]]:
    """Where to put the label of each contour line ``w.x + b = logit(p)``, by level: on the
    segment of the line inside ``box`` shrunk by ``inset`` of its size on each side, staggered
    along it. A line that misses the shrunk box gets no label; none does if neighbouring labelled
    lines are closer than ``min_gap`` of the box's smaller side."""
    x_lo, x_hi, y_lo, y_hi = box
    size = min(x_hi - x_lo, y_hi - y_lo)
    norm = float(np.hypot(*w))
    logits = np.log(levels / (1 - levels))
    if norm == 0 or (levels.size > 1 and np.min(np.diff(logits)) / norm < min_gap * size):
        return {}
    dx, dy = inset * (x_hi - x_lo), inset * (y_hi - y_lo)
    lo, hi = np.array([x_lo + dx, y_lo + dy]), np.array([x_hi - dx, y_hi - dy])
    direction = np.array([-w[1], w[0]]) / norm  # along the lines
    places = {}
    for k, (level, logit) in enumerate(zip(levels, logits, strict=True)):
        foot = w * (logit - b) / norm**2  # the point of the line nearest the origin
        # the parameter range where foot + t * direction is inside [lo, hi] (Liang-Barsky)
        t_lo, t_hi = -np.inf, np.inf
        for d, f, a, c in zip(direction, foot, lo, hi, strict=True):
            if abs(d) < 1e-12:
                t_lo, t_hi = (t_lo, t_hi) if a <= f <= c else (np.inf, -np.inf)
                continue
            t1, t2 = sorted(((a - f) / d, (c - f) / d))
            t_lo, t_hi = max(t_lo, t1), min(t_hi, t2)
        if not t_lo < t_hi:
            continue
        share = 0.5 if logits.size == 1 else 0.3 + 0.4 * k / (logits.size - 1)
        x1, x2 = foot + (t_lo + share * (t_hi - t_lo)) * direction
        places[float(level)] = (float(x1), float(x2))
    return places


def plot_loss_slice(
    ax: Axes,
    X: ArrayLike,
    y: ArrayLike,
    weights: ArrayLike,
    bias: float,
    *,
    index: int = 0,
    l2: float = 0.0,
    penalize_bias: bool = False,
    half_width: float = 3.0,
    num: int = 201,
) -> list[Any]:
    r"""The objective along one weight, the others held at ``(weights, bias)``, optimum marked.

    This is what the post returns the loss "so I can plot it" for: a slice through $E_\lambda$
    is a convex curve, and a fitted optimum sits at its bottom.

    Returns:
        The curve's ``Line2D`` and the optimum marker.
    """
    Xa, ya = check_Xy(X, y)
    w, b = check_weights(weights, bias, Xa.shape[1])
    if not 0 <= index < w.size:
        raise ValueError(f"index must be in [0, {w.size}), got {index}")
    grid = w[index] + np.linspace(-half_width, half_width, num)
    values = []
    for value in grid:
        wi = w.copy()
        wi[index] = value
        values.append(objective(wi, b, Xa, ya, l2=l2, penalize_bias=penalize_bias))
    (curve,) = ax.plot(grid, values, color=ACCENTS[0], label=rf"$E_\lambda$ against $w_{index + 1}$")
    at = objective(w, b, Xa, ya, l2=l2, penalize_bias=penalize_bias)
    (marker,) = ax.plot(
        [w[index]], [at], "D", color=ACCENTS[1], ms=8, zorder=3, label=rf"optimum $w_{index + 1} = {w[index]:.3f}$"
    )
    ax.set_xlabel(rf"weight $w_{index + 1}$")
    ax.set_ylabel(r"objective $E_\lambda(w, b)$")
    ax.legend(loc="upper center")
    return [curve, marker]


def plot_convergence(ax: Axes, histories: Mapping[str, Sequence[float]], optimum: float) -> list[Any]:
    r"""Suboptimality $E_\lambda(w_k, b_k) - E_\lambda^\star$ against iteration $k$, one line per method.

    Args:
        ax: where to draw.
        histories: objective values per iteration for each named method.
        optimum: $E_\lambda^\star$, the objective at the optimum.

    Returns:
        One ``Line2D`` per method.
    """
    markers = ("o", "s", "D", "v")
    lines = []
    # Below about 256 eps |E*| a difference of objectives is rounding noise, not progress (a sum
    # of N losses carries an error of order sqrt(N) eps |E*|, and it differs between machines):
    # each line stops where it first reaches that level, which is drawn dotted.
    floor = 256 * np.finfo(float).eps * max(abs(optimum), 1.0)
    for i, (name, hist) in enumerate(histories.items()):
        gap = np.asarray(hist, dtype=float) - optimum
        reached = np.flatnonzero(gap <= floor)
        if reached.size:
            gap = gap[: reached[0] + 1]
        gap = np.maximum(gap, floor)
        (line,) = ax.semilogy(
            np.arange(gap.size),
            gap,
            marker=markers[i % 4],
            ms=3.5,
            color=ACCENTS[i % 3] if i < 3 else CLASS_B["color"],
            label=name,
        )
        lines.append(line)
    lines.append(ax.axhline(floor, color=mpl.rcParams["grid.color"], lw=1, ls=":", label="rounding level"))
    ax.set_xlabel("iteration $k$")
    ax.set_ylabel(r"$E_\lambda(w_k, b_k) - E_\lambda^\star$")
    ax.grid(True, which="major")
    ax.legend()
    return lines


# --- Part II: evaluation, choosing lambda, inference, the Bayesian view --------------------------


def plot_intervals(
    ax: Axes,
    lower: ArrayLike,
    upper: ArrayLike,
    truth: float,
    *,
    estimates: ArrayLike | None = None,
    label: str = "w_1",
) -> dict[str, Any]:
    r"""One horizontal interval per repetition of an experiment, coloured by whether it covers
    ``truth`` (drawn as a vertical line): the picture of a coverage experiment.

    Args:
        ax: where to draw.
        lower: the intervals' lower ends, shape ``(R,)``.
        upper: their upper ends, shape ``(R,)``.
        truth: the true value of the parameter.
        estimates: the point estimates, marked on their intervals if given.
        label: the parameter's name in TeX (without dollars), for the axis label.

    Returns:
        ``{"covering": LineCollection, "missing": LineCollection, "truth": Line2D}``, each
        labelled for a legend (which the caller places).
    """
    lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    if lo.shape != hi.shape or lo.ndim != 1:
        raise ValueError(f"lower and upper must be 1-D of one shape, got {lo.shape} and {hi.shape}")
    rows = np.arange(lo.shape[0])
    covers = (lo <= truth) & (truth <= hi)
    out: dict[str, Any] = {}
    for key, mask, color in (("covering", covers, ACCENTS[0]), ("missing", ~covers, CLASS_A["color"])):
        n = int(mask.sum())
        out[key] = ax.hlines(
            rows[mask],
            lo[mask],
            hi[mask],
            colors=color,
            lw=1.6,
            label=f"{'covers' if key == 'covering' else 'misses'} the truth ({n})",
        )
    if estimates is not None:
        est = np.asarray(estimates, dtype=float)
        ax.plot(est, rows, "|", color=mpl.rcParams["axes.edgecolor"], ms=4, zorder=3)
    out["truth"] = ax.axvline(
        truth, color=mpl.rcParams["axes.edgecolor"], lw=1.2, ls="--", label=f"truth ${label} = {truth:g}$"
    )
    ax.set_xlabel(f"95 % interval for ${label}$")
    ax.set_ylabel("repetition")
    ax.set_ylim(-1, lo.shape[0])
    return out


def plot_roc(
    ax: Axes,
    fpr: ArrayLike,
    tpr: ArrayLike,
    *,
    auc: float | None = None,
    label: str = "model",
    color: str | None = None,
) -> dict[str, Any]:
    r"""An ROC curve: true-positive rate against false-positive rate as the threshold falls.

    The curve itself comes from a library that computes it (scikit-learn's
    ``sklearn.metrics.roc_curve``, whose ``fpr`` and ``tpr`` go straight in); this function only
    draws it, with the diagonal of a classifier that guesses.

    Args:
        ax: where to draw.
        fpr: false-positive rates, non-decreasing from 0 to 1, shape ``(K,)``.
        tpr: the true-positive rates at the same thresholds, shape ``(K,)``.
        auc: the area under the curve, added to the legend label if given.
        label: the curve's name in the legend.
        color: its colour (default: the book's first accent).

    Returns:
        ``{"curve": Line2D, "chance": Line2D}``, labelled for a legend (which the caller places).

    Examples:
        >>> import matplotlib.pyplot as plt
        >>> from logreg.plotting import plot_roc
        >>> fig, ax = plt.subplots()
        >>> drawn = plot_roc(ax, [0.0, 0.1, 1.0], [0.0, 0.8, 1.0], auc=0.85)
        >>> drawn["curve"].get_label()
        'model (AUC = 0.850)'
        >>> plt.close(fig)
    """
    x, y = np.asarray(fpr, dtype=float), np.asarray(tpr, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.shape[0] < 2:
        raise ValueError(f"fpr and tpr must be 1-D of one shape with at least 2 points, got {x.shape} and {y.shape}")
    if np.any(np.diff(x) < 0) or np.any(np.diff(y) < 0):
        raise ValueError("fpr and tpr must be non-decreasing (as roc_curve returns them)")
    text = label if auc is None else f"{label} (AUC = {auc:.3f})"
    (curve,) = ax.plot(x, y, drawstyle="default", color=color or ACCENTS[0], label=text)
    (chance,) = ax.plot([0, 1], [0, 1], color=mpl.rcParams["grid.color"], lw=1.2, ls="--", label="guessing (AUC = 0.5)")
    ax.set_xlabel("false-positive rate (1 − specificity)")
    ax.set_ylabel("true-positive rate (sensitivity)")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    return {"curve": curve, "chance": chance}


def plot_reliability(
    ax: Axes,
    mean_predicted: ArrayLike,
    fraction_positive: ArrayLike,
    *,
    label: str = "model",
    color: str | None = None,
    marker: str = "o",
) -> dict[str, Any]:
    r"""A reliability diagram: in each bin of predicted probability, the fraction of points that
    were positive against the mean prediction. A calibrated model lies on the diagonal.

    The bins come from a library that computes them (scikit-learn's
    ``sklearn.calibration.calibration_curve`` returns ``(fraction_positive, mean_predicted)``,
    in that order); this function only draws them.

    Args:
        ax: where to draw.
        mean_predicted: the mean predicted probability in each non-empty bin, shape ``(K,)``.
        fraction_positive: the observed fraction of positives in the same bins, shape ``(K,)``.
        label: the curve's name in the legend.
        color: its colour (default: the book's first accent).
        marker: its marker.

    Returns:
        ``{"curve": Line2D, "diagonal": Line2D}``, labelled for a legend (which the caller places).

    Examples:
        >>> import matplotlib.pyplot as plt
        >>> from logreg.plotting import plot_reliability
        >>> fig, ax = plt.subplots()
        >>> drawn = plot_reliability(ax, [0.1, 0.5, 0.9], [0.0, 0.5, 1.0])
        >>> drawn["diagonal"].get_label()
        'calibrated'
        >>> plt.close(fig)
    """
    m, f = np.asarray(mean_predicted, dtype=float), np.asarray(fraction_positive, dtype=float)
    if m.shape != f.shape or m.ndim != 1 or m.shape[0] == 0:
        raise ValueError(
            f"mean_predicted and fraction_positive must be 1-D of one non-empty shape, got {m.shape} and {f.shape}"
        )
    if np.any((m < 0) | (m > 1) | (f < 0) | (f > 1)):
        raise ValueError("mean_predicted and fraction_positive are probabilities: they must lie in [0, 1]")
    (diagonal,) = ax.plot([0, 1], [0, 1], color=mpl.rcParams["grid.color"], lw=1.2, ls="--", label="calibrated")
    (curve,) = ax.plot(m, f, marker=marker, ms=5, color=color or ACCENTS[0], label=label)
    ax.set_xlabel("mean predicted probability in the bin")
    ax.set_ylabel("fraction positive in the bin")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    return {"curve": curve, "diagonal": diagonal}
