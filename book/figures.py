"""The figure registry: every figure the book shows, how it is drawn, and what it shows in words.

One list, read by two consumers:

* the build (``book/hooks.py``) renders each entry in the light and the dark palette to SVG and
  replaces ``{{ figure: name }}`` in a chapter with the image, its alt text and caption;
* the image tests (``tests/book/test_figures.py``) render the same entries to PNG and compare them with
  the reviewed baselines in ``tests/baseline/``.

A chapter can only show a figure that is listed here, and everything listed here is compared.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # render to files only, never a window

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.figure import Figure as MplFigure

from logreg import plotting

from . import results as r
from .post import plot_offset_loss
from .style import book_style

PALETTES = ("light", "dark")


@dataclass(frozen=True)
class BookFigure:
    name: str
    alt: str
    caption: str
    draw: Callable[[MplFigure], None]
    size: tuple[float, float] = (6.0, 4.2)

    def render(self, palette: str = "light") -> MplFigure:
        """A new Matplotlib figure drawn in the book style for ``palette``."""
        with _style(palette):
            fig = plt.figure(figsize=self.size, layout="constrained")
            self.draw(fig)
        return fig

    def png(self, palette: str = "light", background: str | None = None) -> bytes:
        """The figure as PNG bytes, on ``background`` (transparent when ``None``).

        The notebook shows figures this way, on white, so they read in either page palette.
        """
        fig = self.render(palette)
        buf = io.BytesIO()
        with _style(palette):
            fig.savefig(buf, format="png", facecolor=background or "none", metadata={"Software": None})
        plt.close(fig)
        # A 256-colour palette: these plots are a few flat colours plus anti-aliasing, so the
        # result looks the same at about a third of the size (the notebook page embeds them).
        from PIL import Image

        out = io.BytesIO()
        Image.open(buf).quantize(256).save(out, format="PNG", optimize=True)
        return out.getvalue()

    def svg(self, palette: str) -> bytes:
        """The figure as SVG bytes, identical from run to run (no date, fixed hash salt)."""
        fig = self.render(palette)
        buf = io.BytesIO()
        with _style(palette):
            # dpi sets the resolution of rasterised parts (the contour shading) only.
            fig.savefig(buf, format="svg", dpi=150, metadata={"Date": None})
        plt.close(fig)
        return buf.getvalue()


@contextmanager
def _style(palette: str):
    """Matplotlib's defaults plus the book style, whatever the process's matplotlibrc says."""
    with mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams.update(book_style(palette))
        yield


def _data(fig: MplFigure) -> None:
    ax = fig.subplots()
    plotting.scatter_classes(ax, *r.blobs())
    fig.legend(loc="outside upper center", ncols=2)


def _sigmoid(fig: MplFigure) -> None:
    plotting.plot_sigmoid(fig.subplots())


def _terrible(fig: MplFigure) -> None:
    ax = fig.subplots()
    plotting.plot_sigmoid_contours(ax, r.TERRIBLE_W, r.TERRIBLE_B, *r.blobs())
    fig.legend(loc="outside upper center", ncols=2)


def _loss_slice(fig: MplFigure) -> None:
    res = r.blobs_fit()
    plotting.plot_loss_slice(fig.subplots(), *r.blobs(), res.weights, res.bias, index=0, l2=r.BLOBS_L2)


def _fitted(fig: MplFigure) -> None:
    res = r.blobs_fit()
    ax = fig.subplots()
    plotting.plot_sigmoid_contours(ax, res.weights, res.bias, *r.blobs())
    fig.legend(loc="outside upper center", ncols=2)


#: Contour labels of the separable panels, in points: shown at 688 px (desktop) or 340 px (phone)
#: these figures draw about 1.4 px per point, so labels come out at 11 px and ticks at 14 px.
SEPARABLE_LABEL_PT = 8


#: Room kept free around each contour label, in points: a label closer than this to another is
#: left out (the one nearer the boundary goes first).
LABEL_ROOM_PT = 2.0


def _uncrowd_labels(fig: MplFigure, labels: list) -> None:
    """Leave out the contour labels that would touch another one, once the layout is final.

    In a narrow band (the λ = 0.1 panel on the desktop, where the sigmoid is steep) the labels
    of neighbouring lines ran into each other. The outer levels (1/8, 7/8) keep their labels
    first: they say how wide the band is; inner ones follow where they have room.
    """
    fig.draw_without_rendering()  # the constrained layout, and each label's final place
    room = LABEL_ROOM_PT * fig.dpi / 72
    kept: list[np.ndarray] = []
    for label in sorted(labels, key=lambda t: -abs(float(t.get_text()) - 0.5)):
        corners = _label_corners(label, room)
        if any(_rectangles_meet(corners, other) for other in kept):
            label.remove()
        else:
            kept.append(corners)


def _label_corners(label, room: float) -> np.ndarray:
    """The four corners, in display pixels, of a (rotated) label's box grown by ``room``."""
    centre = label.get_window_extent().get_points().mean(axis=0)
    angle = label.get_rotation()
    label.set_rotation(0)
    w, h = label.get_window_extent().size + 2 * room
    label.set_rotation(angle)
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    half = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
    return centre + half @ np.array([[c, s], [-s, c]])


def _rectangles_meet(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two convex quadrilaterals overlap (no edge direction separates them)."""
    for quad in (a, b):
        for i in range(4):
            edge = quad[(i + 1) % 4] - quad[i]
            axis = np.array([-edge[1], edge[0]])
            pa, pb = a @ axis, b @ axis
            if pa.max() < pb.min() or pb.max() < pa.min():
                return False
    return True


def _separable(fig: MplFigure, rows: int = 1) -> None:
    """The three penalties side by side (``rows=1``) or one under the other (``rows=3``)."""
    axes = fig.subplots(rows, 3 // rows, sharex=rows > 1, sharey=rows == 1).ravel()
    labels = []
    for ax, l2 in zip(axes, r.SEPARABLE_L2, strict=True):
        res = r.separable_fit(l2)
        drawn = plotting.plot_sigmoid_contours(ax, res.weights, res.bias, *r.separable(), resolution=150)
        for label in drawn["labels"]:
            label.set_fontsize(SEPARABLE_LABEL_PT)
        labels.append(drawn["labels"])
        ax.set_title(rf"$\lambda = {l2:g}$")
        if rows == 1 and ax is not axes[0]:
            ax.set_ylabel("")
        if rows > 1 and ax is not axes[-1]:
            ax.set_xlabel("")
    for panel in labels:
        _uncrowd_labels(fig, panel)


def _separable_narrow(fig: MplFigure) -> None:
    _separable(fig, rows=3)


def _convergence(fig: MplFigure) -> None:
    plotting.plot_convergence(fig.subplots(), r.convergence_histories(), r.optimum())


def _offset(fig: MplFigure) -> None:
    plot_offset_loss(fig.subplots(), offset=r.POST_EPSILON)


REGISTRY: dict[str, BookFigure] = {
    f.name: f
    for f in [
        BookFigure(
            "data",
            "Scatter plot of 100 points in the plane: class A as vermillion circles around (−1, −1), "
            "class B as blue triangles around (1, 1); the two clouds overlap in the middle.",
            "The fuzzy data: two Gaussian classes with identity covariance.",
            _data,
            size=(5.0, 4.6),
        ),
        BookFigure(
            "sigmoid",
            "The logistic sigmoid: an S-shaped curve rising from 0 at large negative activation, "
            "through 1/2 at zero, to 1 at large positive activation.",
            "The logistic sigmoid σ(a) squashes any activation into (0, 1).",
            _sigmoid,
            size=(6.0, 3.4),
        ),
        BookFigure(
            "terrible-boundary",
            "Contours of σ(wᵀx + b) for w = (3/2, −2), b = 2 over the data: the contour lines run "
            "diagonally from lower left to upper right, cutting through both classes, so the "
            "probabilities bear no relation to the labels.",
            "σ(wᵀx + b) for w = (3/2, −2) and b = 2, contours at σ = 1/8, 2/8, …, 7/8 (every other "
            "one labelled), the boundary σ = 1/2 in bold: a terrible boundary.",
            _terrible,
            size=(5.0, 4.6),
        ),
        BookFigure(
            "loss-slice",
            "The objective plotted against the first weight with the other parameters at their "
            "optimum: a convex, bowl-shaped curve whose lowest point is marked with a diamond.",
            "A slice through the objective along w₁; the fitted optimum sits at the bottom.",
            _loss_slice,
            size=(6.0, 3.8),
        ),
        BookFigure(
            "fitted-contours",
            "Contours of the fitted σ(wᵀx + b) over the data: the σ = 1/2 boundary now runs "
            "diagonally between the two classes, with class A on the high-probability side.",
            "The fitted model: σ contours at 1/8, 2/8, …, 7/8, the boundary σ = 1/2 in bold.",
            _fitted,
            size=(5.0, 4.6),
        ),
        BookFigure(
            "separable-boundaries",
            "Three panels of σ contours on linearly separable data, for λ = 0, 0.1 and 10. In "
            "each, the boundary runs diagonally from upper left to lower right between the two "
            "squares of points. With λ = 0 all the contours are squeezed into a thin band along "
            "the boundary, a sharp step from class B to class A; with larger λ the band widens.",
            "Separable data fitted with three penalties: the smaller λ, the steeper the sigmoid. Contours "
            "at σ = 1/8, …, 7/8; with λ = 0 they are too close together to label.",
            _separable,
            size=(6.8, 2.8),
        ),
        BookFigure(
            "convergence",
            "Objective minus its optimum on a log scale against iteration for three methods: "
            "gradient descent falls slowly along a straight line, BFGS faster, and Newton's "
            "method drops to rounding level within a handful of iterations.",
            f"Suboptimality against iteration on the fuzzy data (λ = {r.BLOBS_L2:g}): gradient descent "
            f"with step 1/L for {r.CONVERGENCE_GD_ITER} iterations, BFGS and Newton's method to "
            f"tol = {r.CONVERGENCE_TOL:g}: linear, superlinear, quadratic convergence.",
            _convergence,
            size=(6.0, 4.0),
        ),
        BookFigure(
            "offset-loss",
            "The loss of a class-A point against its activation: the exact loss rises as a straight "
            "line for negative activations, while the post's offset loss flattens into a "
            f"plateau at about {-math.log(r.POST_EPSILON):.1f}.",
            "The post's offset δ caps a wrong point's loss at −log δ and flattens its gradient to zero.",
            _offset,
            size=(6.0, 3.8),
        ),
    ]
}


# --- Part II: using the model (book/part2.py computes what these draw) ----------------------------

from . import part2 as p2  # noqa: E402

#: How many of the coverage experiment's intervals the figure draws.
COVERAGE_SHOWN = 100


def _coverage(fig: MplFigure) -> None:
    cov = p2.coverage()
    k = COVERAGE_SHOWN
    plotting.plot_intervals(
        fig.subplots(), cov["lower"][:k, 0], cov["upper"][:k, 0], p2.BLOBS_TRUE_W[0], estimates=cov["estimates"][:k, 0]
    )
    fig.legend(loc="outside upper center", ncols=3, fontsize="small")


REGISTRY.update(
    {
        f.name: f
        for f in [
            BookFigure(
                "coverage",
                f"{COVERAGE_SHOWN} horizontal line segments stacked vertically, one 95 % Wald interval for "
                "the weight w₁ per repeated data set, and a dashed vertical line at the true value −2. "
                "Almost all segments cross the line and are drawn green; the few that miss it are "
                "vermillion. Segments whose estimate lies far from −2 are also much wider.",
                f"Wald intervals for w₁ from the first {COVERAGE_SHOWN} of the repeated blob data sets; "
                "the dashed line is the truth.",
                _coverage,
                size=(6.0, 5.0),
            ),
        ]
    }
)


# --- Part II: is the model any good? and choosing lambda (book/part2_eval.py computes them) ------

import numpy as np  # noqa: E402

from . import part2_eval as ev  # noqa: E402


def _roc(fig: MplFigure) -> None:
    ax = fig.subplots()
    curves = ev.roc()
    for l2, color in ((ev.EVAL_L2, plotting.ACCENTS[0]), (0.0, plotting.ACCENTS[1])):
        fpr, tpr, auc = curves[l2]
        plotting.plot_roc(ax, fpr, tpr, auc=auc, label=rf"$\lambda = {l2:g}$", color=color)
    # The two operating points of the chapter, on the lambda = EVAL_L2 curve.
    y_te, p = ev.split()[3], ev.probabilities()[1]
    for thr, marker, name in ((0.5, "o", "1/2"), (ev.cost_threshold(), "s", f"{ev.cost_threshold():.3f}")):
        pred = p > thr
        tpr = float(pred[y_te == 1].mean())
        fpr = float(pred[y_te == 0].mean())
        ax.plot(
            fpr, tpr, marker, ms=7, mfc="none", mew=1.6, color=mpl.rcParams["axes.edgecolor"], label=f"threshold {name}"
        )
    handles, labels = ax.get_legend_handles_labels()
    keep = [i for i, lab in enumerate(labels) if i == labels.index(lab)]  # the diagonal once
    ax.legend([handles[i] for i in keep], [labels[i] for i in keep], loc="lower right", fontsize="small")


def _reliability(fig: MplFigure) -> None:
    ax = fig.subplots()
    curves = ev.reliability()
    styles = {
        0.0: (plotting.ACCENTS[1], "s"),
        ev.EVAL_L2: (plotting.ACCENTS[0], "o"),
        ev.STRONG_L2: (plotting.CLASS_B["color"], "^"),
    }
    for i, l2 in enumerate((ev.EVAL_L2, ev.STRONG_L2, 0.0)):
        mean, frac, _ = curves[l2]
        color, marker = styles[l2]
        drawn = plotting.plot_reliability(ax, mean, frac, label=rf"$\lambda = {l2:g}$", color=color, marker=marker)
        if i:
            drawn["diagonal"].remove()
    ax.legend(loc="upper left", fontsize="small")


def _path_figure(fig: MplFigure) -> None:
    top, bottom = fig.subplots(2, 1, sharex=True)
    pth = ev.path()
    weights = pth["weights"]
    order = np.argsort(-np.abs(weights[0]))
    for rank, j in enumerate(order):
        emphasis = rank < 3
        top.semilogx(
            ev.GRID,
            weights[:, j],
            lw=1.6 if emphasis else 0.8,
            color=plotting.ACCENTS[rank] if emphasis else mpl.rcParams["grid.color"],
            zorder=3 if emphasis else 2,
        )
    top.axhline(0, color=mpl.rcParams["axes.edgecolor"], lw=0.6)
    top.set_ylabel(r"weight $w_d$ (standardised)")
    bottom.semilogx(ev.GRID, pth["train"], color=plotting.ACCENTS[0], label="training part")
    bottom.semilogx(ev.GRID, pth["validation"], ls="--", color=plotting.CLASS_A["color"], label="validation part")
    best = int(np.argmin(pth["validation"]))
    bottom.axvline(ev.GRID[best], color=mpl.rcParams["axes.edgecolor"], lw=1, ls=":")
    bottom.set_xlabel(r"penalty $\lambda$")
    bottom.set_ylabel("log-loss per point")
    bottom.legend(loc="upper left", fontsize="small")
    for ax in (top, bottom):
        ax.minorticks_off()  # the log axis's minor ticks weigh ~10 kB of SVG per panel, and say little


def _cv_evidence(fig: MplFigure) -> None:
    top, bottom = fig.subplots(2, 1, sharex=True)
    res, _ = ev.cv()
    top.fill_between(
        ev.GRID,
        res.mean - res.standard_error,
        res.mean + res.standard_error,
        color=plotting.ACCENTS[0],
        alpha=0.25,
        lw=0,
        label="± one standard error",
    )
    top.semilogx(ev.GRID, res.mean, marker="o", ms=3, color=plotting.ACCENTS[0], label=f"{ev.FOLDS}-fold CV loss")
    i_best = int(np.flatnonzero(res.best_l2 == ev.GRID)[0])
    top.axhline(res.mean[i_best] + res.standard_error[i_best], color=mpl.rcParams["grid.color"], lw=1, ls="--")
    top.axvline(res.best_l2, ymax=0.78, color=mpl.rcParams["axes.edgecolor"], lw=1, ls=":", label="smallest CV loss")
    top.axvline(
        res.one_se_l2, ymax=0.78, color=plotting.CLASS_A["color"], lw=1.4, ls="-.", label="one-standard-error rule"
    )
    top.set_ylabel("held-out log-loss")
    top.set_ylim(0, 0.8)
    top.legend(loc="upper center", ncols=2, fontsize="small")
    log_ev, _ = ev.evidence()
    bottom.semilogx(ev.GRID, log_ev, color=plotting.ACCENTS[1], label="log evidence (Laplace)")
    bottom.axvline(ev.evidence_l2(), color=plotting.ACCENTS[1], lw=1.4, ls="--", label="largest evidence")
    bottom.set_ylim(bottom=max(bottom.get_ylim()[0], float(log_ev.max()) - 120))
    bottom.set_xlabel(r"penalty $\lambda$")
    bottom.set_ylabel(r"$\log p(\mathbf{y} \mid \mathbf{X}, \lambda)$")
    bottom.legend(loc="lower left", fontsize="small")
    for ax in (top, bottom):
        ax.minorticks_off()


# --- Regularisation: how the fit of the fuzzy data shrinks as the penalty grows ---------------

#: The penalties of the regularisation-shrinkage figure: 10**-3 to 10**3, four per factor of ten.
PATH_L2 = [10.0 ** (k / 4) for k in range(-12, 13)]


def _regularisation_shrinkage(fig: MplFigure) -> None:
    import numpy as np

    import logreg

    X, y = r.blobs()
    fits = [logreg.fit(X, y, l2=l2) for l2 in PATH_L2]
    ax = fig.subplots()
    ink = mpl.rcParams["axes.edgecolor"]
    ax.axhline(0.0, color=ink, linewidth=0.6, alpha=0.5)
    ax.axvline(r.BLOBS_L2, color=ink, linewidth=0.8, linestyle=":", alpha=0.8)
    ax.semilogx(PATH_L2, [f.weights[0] for f in fits], color="#E69F00", marker="o", ms=3.5, label="$w_1$")
    ax.semilogx(PATH_L2, [f.weights[1] for f in fits], color="#56B4E9", marker="s", ms=3.5, label="$w_2$")
    ax.semilogx(PATH_L2, [f.bias for f in fits], color="#009E73", marker="^", ms=3.5, label="$b$")
    ax.semilogx(
        PATH_L2,
        [float(np.linalg.norm(f.weights)) for f in fits],
        color=ink,
        linewidth=1.4,
        linestyle="--",
        label=r"$\Vert\mathbf{w}\Vert$",
    )
    ax.annotate(
        rf"$\lambda = {r.BLOBS_L2:g}$",
        (r.BLOBS_L2, 0.97),
        xycoords=("data", "axes fraction"),
        xytext=(4, 0),
        textcoords="offset points",
        va="top",
        fontsize="small",
    )
    ax.set_xlabel(r"penalty $\lambda$ (log scale)")
    ax.set_ylabel("fitted value")
    fig.legend(loc="outside upper center", ncols=4)


REGISTRY.update(
    {
        f.name: f
        for f in [
            BookFigure(
                "roc",
                "Two ROC curves on the breast-cancer test set, true-positive rate against false-positive "
                "rate. The curve of the penalised fit climbs almost straight up the left edge and runs "
                "along the top; the unpenalised fit's curve lies a little below it. A dashed diagonal "
                "marks guessing. A circle marks the threshold 1/2 and a square the lower cost threshold, "
                "further right and higher on the curve.",
                f"ROC curves on the test set for λ = {ev.EVAL_L2:g} and λ = 0, with the operating points "
                "of the two thresholds of the text.",
                _roc,
                size=(5.0, 5.0),
            ),
            BookFigure(
                "reliability",
                "A reliability diagram: fraction of malignant tumours in each bin of predicted "
                "probability against the bin's mean prediction, for three penalties. The moderately "
                "penalised fit stays close to the dashed diagonal; the strongly penalised fit runs "
                "above the diagonal at low probabilities and below it at high ones, an S-shape of "
                "underconfidence; the unpenalised fit's predictions sit only at the two ends.",
                f"Reliability on the test set ({ev.CALIBRATION_BINS} equal bins, empty bins left out) "
                f"for λ = {ev.EVAL_L2:g}, {ev.STRONG_L2:g} and 0.",
                _reliability,
                size=(5.0, 5.0),
            ),
            BookFigure(
                "regularisation-path",
                "Two panels sharing a logarithmic penalty axis. Top: the 30 weights against the penalty; "
                "all are near zero at the right, large penalties, and fan out as the penalty falls, the "
                "three largest drawn in colour. Bottom: training log-loss falls steadily towards zero as "
                "the penalty falls, while validation log-loss has a minimum in the middle, marked by a "
                "dotted line, and rises at both ends.",
                f"The regularisation path on breast cancer: {len(ev.GRID)} penalties from "
                f"{ev.GRID[0]:g} to {ev.GRID[-1]:g}, fitted with warm starts. Top: the weights (the "
                "three largest at the smallest penalty in colour). Bottom: training and validation "
                "log-loss.",
                _path_figure,
                size=(6.0, 6.4),
            ),
            BookFigure(
                "cv-evidence",
                "Two panels sharing a logarithmic penalty axis. Top: the cross-validated log-loss with a "
                "shaded band of one standard error; it is lowest in the middle, a dotted line marks the "
                "minimum and a dash-dotted line the larger penalty chosen by the one-standard-error rule. "
                "Bottom: the log evidence rises to a maximum, marked by a dashed line at a smaller penalty "
                "than either cross-validation choice, and falls off on both sides.",
                f"Choosing λ on the breast-cancer training set. Top: {ev.FOLDS}-fold cross-validation "
                "and the one-standard-error rule (the dashed horizontal line is the minimum plus one "
                "standard error). Bottom: the Laplace evidence.",
                _cv_evidence,
                size=(6.0, 6.4),
            ),
        ]
    }
)
# --- Part II, chapters 4 and 5 (Bayesian logistic regression, Where next): book/figures_bayes.py --

from .figures_bayes import figures as _bayes_figures  # noqa: E402

REGISTRY.update(_bayes_figures())


# --- Regularisation chapter: the fit of the fuzzy data as the penalty grows -------------------

REGISTRY.update(
    {
        f.name: f
        for f in [
            BookFigure(
                "regularisation-shrinkage",
                "Four curves against the penalty λ on a logarithmic axis from 0.001 to 1000: the "
                "weights w₁ and w₂ start negative and rise towards zero, the norm of w falls towards "
                "zero with them, and the bias stays small throughout. The curves are nearly flat for "
                f"small λ and shrink quickly beyond λ = 10. A dotted vertical line marks the book's "
                f"λ = {r.BLOBS_L2:g}.",
                "The fit of the fuzzy data for λ from 10⁻³ to 10³: the penalty barely moves the weights "
                "while λ is small next to the data's curvature, then shrinks them like 1/√λ; the bias, "
                "which is not penalised, stays small.",
                _regularisation_shrinkage,
                size=(6.0, 3.8),
            ),
        ]
    }
)

# --- Narrow variants: served instead of their figure where the column is narrow ----------------

#: A figure ``name`` with an entry ``name-narrow`` is shown as a <picture>: the narrow variant
#: below this width (Material's breakpoint for a phone or a small tablet), the figure above it.
NARROW_MEDIA = "(max-width: 44.9375em)"
NARROW_SUFFIX = "-narrow"

REGISTRY.update(
    {
        f.name: f
        for f in [
            BookFigure(
                "separable-boundaries-narrow",
                REGISTRY["separable-boundaries"].alt.replace("Three panels", "Three panels, one above the other,"),
                REGISTRY["separable-boundaries"].caption,
                _separable_narrow,
                size=(3.4, 8.4),
            ),
        ]
    }
)
