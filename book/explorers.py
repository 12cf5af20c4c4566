"""The interactive figures ("explorers"): their data, computed by ``logreg``, and their HTML.

A chapter writes ``{{ explorer: name }}`` on a line of its own and the build
(``book/hooks.py``) puts :func:`html` in its place: the controls, an empty drawing area and
the explorer's data as JSON in a ``<script type="application/json">`` element. The drawing
is done in the reader's browser by ``docs/assets/javascripts/explorers.js`` (plain
JavaScript and SVG, no library, no kernel), from numbers computed here at build time:

* ``sigmoid`` (chapter *The logistic sigmoid*): the fuzzy blobs, the post's terrible
  boundary to start from, and the unpenalised maximum-likelihood fit that the
  "Jump to the optimum" button goes to. The browser evaluates the negative log-likelihood
  itself, with the same stable formula as :func:`logreg.objective`; ``tests/book/test_explorers.py``
  checks the two agree.
* ``regularisation`` (chapter *Linearly separable data*): the separable data and one fit per
  penalty on a log-spaced grid of λ, so the slider only looks fits up.

Like :mod:`book.results`, nothing here is typed by hand: change ``logreg`` and the next build
re-exports everything (the cache key in ``book/hooks.py`` hashes this file and the package).
"""

from __future__ import annotations

import html as _html
import json
import math
import warnings

import numpy as np

import logreg
from logreg import plotting

from . import results as r

#: The sigmoid explorer's sliders: (min, max, step) for w1, w2 and b.
SIGMOID_RANGE = (-4.0, 4.0, 0.01)
#: Steps as fine as the two decimals the readout shows, so that after "Jump to the optimum" the
#: thumb sits where the readout says (with steps of 0.05 it showed -1.65 beside "-1.67").
#: The regularisation explorer's grid: λ = 10**(k / STEPS_PER_DECADE) for k in this range,
#: i.e. 41 values from 1e-3 to 1e2. (λ = 0 has no finite fit on separable data, so it is not
#: on the grid.)
STEPS_PER_DECADE = 8
LAMBDA_EXPONENTS = range(-3 * STEPS_PER_DECADE, 2 * STEPS_PER_DECADE + 1)
#: The colours and contour levels the explorers draw with, those of logreg.plotting's figures.
#: They reach the JavaScript in each explorer's data (``"style"``), which defines none of its own.
STYLE = {
    "class_a": plotting.CLASS_A["color"],
    "class_b": plotting.CLASS_B["color"],
    "accent": plotting.ACCENTS[0],
    "levels": list(plotting.CONTOUR_LEVELS),
}
#: The predictive explorer's contours: the boundary, and 0.1 and 0.9 (its MAP lines too), fewer
#: than a static figure's so that the predictive and the MAP lines can be told apart.
PREDICTIVE_LEVELS = (0.1, 0.5, 0.9)
_CLASS_A, _CLASS_B = STYLE["class_a"], STYLE["class_b"]


def _extent(X: np.ndarray, pad: float = 0.6) -> list[float]:
    """A square view of the data, as ``logreg.plotting`` pads it, rounded out to half units."""
    lo = math.floor((float(X.min()) - pad) * 2) / 2
    hi = math.ceil((float(X.max()) + pad) * 2) / 2
    return [lo, hi]


def _points(X: np.ndarray, y: np.ndarray) -> dict:
    return {"X": X.tolist(), "y": [int(v) for v in y], "extent": _extent(X)}


def sigmoid_data() -> dict:
    X, y = r.blobs()
    mle = logreg.fit(X, y, l2=0.0, tol=1e-12)
    if not mle.converged:
        raise RuntimeError("the unpenalised fit of the blobs did not converge")
    lo, hi, step = SIGMOID_RANGE
    for value in (*r.TERRIBLE_W, r.TERRIBLE_B):
        if not lo <= value <= hi or abs(round((value - lo) / step) * step + lo - value) > 1e-12:
            raise ValueError(f"the starting value {value} is not a position of the sliders {SIGMOID_RANGE}")
    return {
        **_points(X, y),
        "style": STYLE,
        "range": list(SIGMOID_RANGE),
        "start": {"w": r.TERRIBLE_W.tolist(), "b": float(r.TERRIBLE_B)},
        "optimum": {"w": mle.weights.tolist(), "b": float(mle.bias), "nll": float(mle.objective)},
    }


def regularisation_data() -> dict:
    X, y = r.separable()
    fits = []
    for k in LAMBDA_EXPONENTS:
        l2 = float(10.0 ** (k / STEPS_PER_DECADE))
        with warnings.catch_warnings():
            warnings.simplefilter("error", logreg.LogregWarning)  # every fit must converge
            res = logreg.fit(X, y, l2=l2, max_iter=1000)
        nll = logreg.objective(res.weights, res.bias, X, y)
        fits.append(
            {
                "l2": l2,
                "w": res.weights.tolist(),
                "b": float(res.bias),
                "norm": float(np.linalg.norm(res.weights)),
                "nll": nll,
                "objective": float(res.objective),
            }
        )
    start = min(range(len(fits)), key=lambda i: abs(fits[i]["l2"] - r.SEPARABLE_L2[1]))
    return {**_points(X, y), "style": STYLE, "fits": fits, "start": start}


def data() -> dict[str, dict]:
    """Every explorer's data, by name (JSON-serialisable; floats round-trip exactly)."""
    return {"sigmoid": sigmoid_data(), "regularisation": regularisation_data(), "predictive": predictive_data()}


def _num(x: float, digits: int = 2) -> str:
    text = f"{x:.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", "−")


def _shading_key() -> str:
    """The key to the shading: the eight bands of explorers.js (bandStyle), from σ near 0 to 1."""
    rects = []
    bands = len(STYLE["levels"]) + 1
    for k in range(bands):
        mid = (k + 0.5) / bands
        fill = _CLASS_B if mid < 0.5 else _CLASS_A
        rects.append(
            f'<rect x="{4 * k}" y="-5" width="4" height="10" fill="{fill}" '
            f'fill-opacity="{0.55 * abs(2 * mid - 1):.3f}"/>'
        )
    frame = f'<rect x="0" y="-5" width="{4 * bands}" height="10" fill="none" stroke="currentColor" stroke-width="0.5"/>'
    return (
        f'<span>shading: σ = 0<svg viewBox="0 -6 {4 * bands} 12" aria-hidden="true">{"".join(rects)}'
        f"{frame}</svg>1, class B to class A</span>"
    )


def _legend(*extra: str) -> str:
    items = [
        f'<span><svg viewBox="-6 -6 12 12" aria-hidden="true"><circle r="4" fill="{_CLASS_A}" '
        f'stroke="currentColor" stroke-width="0.6"/></svg>class A (y = 1)</span>',
        f'<span><svg viewBox="-6 -6 12 12" aria-hidden="true"><path d="M0,-4.8L4.4,3.2L-4.4,3.2Z" '
        f'fill="{_CLASS_B}" stroke="currentColor" stroke-width="0.6"/></svg>class B (y = 0)</span>',
        '<span><svg viewBox="0 -6 18 12" aria-hidden="true"><path d="M0,0H18" stroke="currentColor" '
        'stroke-width="2.4"/></svg>σ = 0.5, the decision boundary</span>',
        '<span><svg viewBox="0 -6 18 12" aria-hidden="true"><path d="M0,0H18" stroke="currentColor" '
        'stroke-width="0.8" opacity="0.7"/></svg>σ = '
        + ", ".join(f"{p:g}" for p in STYLE["levels"][:2])
        + f", …, {STYLE['levels'][-1]:g}</span>",
        _shading_key(),
        *extra,
    ]
    return f'<p class="explorer-legend">{"".join(items)}</p>'


def _slider(
    prefix: str,
    key: str,
    label: str,
    lo: float,
    hi: float,
    step: float,
    value: float,
    shown: str,
    data_value: str,
    valuetext: str = "",
) -> str:
    ident = f"{prefix}-{key}"
    aria = f' aria-valuetext="{_html.escape(valuetext)}"' if valuetext else ""
    return (
        f'<span class="explorer-control"><label for="{ident}">{label}</label>'
        f'<input type="range" id="{ident}" data-key="{key}" min="{lo:g}" max="{hi:g}" step="{step:g}" '
        f'value="{value:g}"{aria}>'
        f'<output id="{ident}-value" for="{ident}" data-key="{key}" data-value="{data_value}">'
        f"{shown}</output></span>"
    )


def _script(payload: dict) -> str:
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return f'<script type="application/json" class="explorer-data">{text}</script>'


def _sigmoid_html(d: dict) -> str:
    p = "explorer-sigmoid"
    lo, hi, step = d["range"]
    (w1, w2), b = d["start"]["w"], d["start"]["b"]
    X, y = np.asarray(d["X"]), np.asarray(d["y"], dtype=float)
    nll = logreg.objective([w1, w2], b, X, y)
    wrong = int(np.sum(logreg.predict([w1, w2], b, X) != y))
    opt = d["optimum"]
    sliders = "".join(
        _slider(p, key, label, lo, hi, step, value, _num(value), repr(float(value)))
        for key, label, value in (("w1", "weight w₁", w1), ("w2", "weight w₂", w2), ("b", "bias b", b))
    )
    dashed = (
        '<span><svg viewBox="0 -6 18 12" aria-hidden="true"><path d="M0,0H18" stroke="currentColor" '
        'stroke-width="1.6" stroke-dasharray="4 3"/></svg>the maximum-likelihood boundary</span>'
    )
    return (
        f'<div class="explorer" id="{p}" data-explorer="sigmoid">{_script(d)}'
        f'<svg class="explorer-plot" role="img" '
        f'aria-label="σ(w₁x₁ + w₂x₂ + b) over the fuzzy data, drawn as shaded bands and contour lines '
        f'for the weights and bias set by the sliders below."></svg>'
        f"{_legend(dashed)}"
        f'<div class="explorer-controls">{sliders}</div>'
        f'<div class="explorer-buttons">'
        f'<button type="button" class="md-button" data-action="optimum">Jump to the optimum</button>'
        f'<button type="button" class="md-button" data-action="start">Back to the terrible boundary</button>'
        f"</div>"
        f'<p class="explorer-readout">'
        f'<span>negative log-likelihood E(w, b) = <output class="explorer-loss" data-value="{nll!r}">'
        f"{_num(nll, 3)}</output></span>"
        f'<span>misclassified: <output class="explorer-wrong" data-value="{wrong}">{wrong}</output> '
        f"of {len(y)} points</span></p>{_STATUS}"
        f'<p class="explorer-note">The optimum is the unpenalised maximum-likelihood fit (λ = 0), '
        f"w = ({_num(opt['w'][0], 3)}, {_num(opt['w'][1], 3)}), b = {_num(opt['b'], 3)}, where E is "
        f"smallest: {_num(opt['nll'], 3)}. The sliders move in steps of {step:g}, so they can only "
        f"come close to it.</p>"
        f"<noscript><p>This figure is drawn by JavaScript, which is turned off.</p></noscript></div>"
    )


#: What a screen reader hears: the readout, once the slider has stopped for a moment
#: (explorers.js fills it), not the numbers on every step of a drag.
_STATUS = '<p class="explorer-status" role="status" aria-live="polite"></p>'


def _lambda_text(l2: float) -> str:
    return f"{float(f'{l2:.3g}'):g}" if l2 >= 1e-4 else f"{l2:.3g}"


def _regularisation_html(d: dict) -> str:
    p = "explorer-regularisation"
    i = d["start"]
    fit = d["fits"][i]
    lam = _lambda_text(fit["l2"])
    slider = _slider(p, "l2", "penalty λ", 0, len(d["fits"]) - 1, 1, i, lam, repr(fit["l2"]), f"λ = {lam}")
    (w1, w2), b = fit["w"], fit["b"]
    readout = (
        f'<span>w = (<output data-key="w1" data-value="{w1!r}">{_num(w1, 3)}</output>, '
        f'<output data-key="w2" data-value="{w2!r}">{_num(w2, 3)}</output>)</span>'
        f'<span>b = <output data-key="b" data-value="{b!r}">{_num(b, 3)}</output></span>'
        f'<span>‖w‖ = <output class="explorer-norm" data-value="{fit["norm"]!r}">'
        f"{_num(fit['norm'], 3)}</output></span>"
        f'<span>negative log-likelihood = <output class="explorer-loss" data-value="{fit["nll"]!r}">'
        f"{_num(fit['nll'], 3)}</output></span>"
    )
    n = len(d["fits"])
    return (
        f'<div class="explorer" id="{p}" data-explorer="regularisation">{_script(d)}'
        f'<svg class="explorer-plot" role="img" '
        f'aria-label="The separable data with σ(wᵀx + b) of the fit for the penalty λ chosen by the '
        f'slider below: shaded bands, contour lines and the decision boundary."></svg>'
        f'<svg class="explorer-chart" role="img" aria-label="The norm of the fitted weights against '
        f'λ on a logarithmic axis: it falls as λ grows; a dot marks the current λ."></svg>'
        f"{_legend()}"
        f'<div class="explorer-controls">{slider}</div>'
        f'<p class="explorer-readout">{readout}</p>{_STATUS}'
        f'<p class="explorer-note">Each position of the slider is a fit by <code>logreg.fit(X, y, '
        f"l2=λ)</code>, computed when the book was built: {n} values of λ from "
        f"{_lambda_text(d['fits'][0]['l2'])} to {_lambda_text(d['fits'][-1]['l2'])}, "
        f"{STEPS_PER_DECADE} per factor of ten. λ = 0 is not among them: on separable data it has "
        f"no minimiser, since the objective keeps falling as the weights grow.</p>"
        f"<noscript><p>This figure is drawn by JavaScript, which is turned off.</p></noscript></div>"
    )


_HTML = {"sigmoid": _sigmoid_html, "regularisation": _regularisation_html}  # + "predictive" below


def html(name: str, all_data: dict[str, dict], page: str = "") -> str:
    """The HTML that replaces ``{{ explorer: name }}``: a block of its own, data included."""
    if name not in _HTML or name not in all_data:
        raise KeyError(f"{page}: no explorer named {name!r} in book/explorers.py (known: {', '.join(_HTML)})")
    return "\n\n" + _HTML[name](all_data[name]) + "\n\n"


# --- Part II: the predictive explorer (chapter *Bayesian logistic regression*) ---------------------
#
# Drawn by docs/assets/javascripts/explorer-predictive.js (styled by explorer-predictive.css):
# one MAP fit and its Laplace covariance per (N, λ), from book/part2_bayes.py; the browser
# evaluates the probit predictive sigma(kappa(s^2) mu) over the plot from them.


def predictive_data() -> dict:
    from . import part2_bayes as pb

    X, y = pb.explorer_pool()
    ns, l2s = list(pb.EXPLORER_NS), pb.explorer_l2s()
    n0, l0 = pb.EXPLORER_START
    start = [ns.index(n0), min(range(len(l2s)), key=lambda j: abs(l2s[j] - l0))]
    # Rounded for the page's weight (tests/book/test_browser.py keeps it under 1 MB): the points to 1e-4,
    # which no plot can show, and each fit to 10 significant digits, far below what the readout
    # prints (tests/book/test_explorer_predictive.py checks the page against logreg from these values).
    fits = [
        [
            {
                k: (_sig(v) if k == "l2" else [_sig(x) for x in v] if isinstance(v, list) else _sig(v))
                for k, v in f.items()
            }
            for f in row
        ]
        for row in pb.explorer_fits()
    ]
    return {
        "X": np.round(X, 4).tolist(),
        "y": [int(v) for v in y],
        "extent": list(pb.PREDICTIVE_EXTENT),
        "ns": ns,
        "l2s": [f["l2"] for f in fits[0]],
        "fits": fits,
        "start": start,
        "probe": list(pb.PROBES["far"]),
        "style": {**STYLE, "levels": list(PREDICTIVE_LEVELS)},
    }


def _sig(x: float, digits: int = 10) -> float:
    return float(f"{x:.{digits}g}")


def _predictive_html(d: dict) -> str:
    p = "explorer-predictive"
    i, j = d["start"]
    fit = d["fits"][i][j]
    lam, n = _lambda_text(d["l2s"][j]), d["ns"][i]
    theta = np.array([*fit["w"], fit["b"]])
    c = fit["cov"]
    cov = np.array([[c[0], c[1], c[2]], [c[1], c[3], c[4]], [c[2], c[4], c[5]]])
    xt = np.array([*d["probe"], 1.0])
    mu, s2 = float(theta @ xt), float(xt @ cov @ xt)
    p_map = 1 / (1 + math.exp(-mu))
    p_pred = 1 / (1 + math.exp(-mu / math.sqrt(1 + math.pi * s2 / 8)))  # eq. probit, as the JS
    sliders = _slider(p, "l2", "penalty λ", 0, len(d["l2s"]) - 1, 1, j, lam, repr(d["l2s"][j]), f"λ = {lam}") + _slider(
        p, "n", "points N", 0, len(d["ns"]) - 1, 1, i, str(n), str(n), f"{n} points"
    )
    probe = f"({_num(d['probe'][0], 0)}, {_num(d['probe'][1], 0)})"
    readout = (
        f'<span>at {probe}: MAP σ(μ) = <output data-key="map" data-value="{p_map!r}">{_num(p_map, 3)}</output></span>'
        f'<span>predictive = <output data-key="pred" data-value="{p_pred!r}">{_num(p_pred, 3)}</output></span>'
        f'<span>s = <output data-key="s" data-value="{math.sqrt(s2)!r}">{_num(math.sqrt(s2), 2)}</output></span>'
    )
    legend = _legend_predictive()
    lo, hi = PREDICTIVE_LEVELS[0], PREDICTIVE_LEVELS[-1]
    return (
        f'<div class="explorer" id="{p}" data-explorer="predictive">{_script(d)}'
        f'<p class="explorer-intro">Two sliders: the penalty λ (the prior gets wider to the left) and the '
        f"number of points N (the first N of {len(d['y'])} fuzzy points). The shading and the thin curves "
        f"are the Laplace predictive probability; the dashed straight lines are the MAP model's. The green ring "
        f"marks the point {probe}, where the numbers below are read.</p>"
        f'<svg class="explorer-plot" role="img" aria-label="The fuzzy data and the predictive probability '
        f"of the fit chosen by the sliders below: shading, the predictive {lo:g}, 0.5 and {hi:g} contours, "
        f'and the MAP {lo:g} and {hi:g} lines."></svg>'
        f"{legend}"
        f'<div class="explorer-controls">{sliders}</div>'
        f'<p class="explorer-readout">{readout}</p>'
        f'<p class="explorer-announce" aria-live="polite" aria-atomic="true"></p>'
        f'<p class="explorer-note">Each position is a fit by <code>logreg.fit(X[:N], y[:N], l2=λ)</code> '
        f"and its covariance <code>covariance()</code>, computed when the book was built: {len(d['l2s'])} "
        f"values of λ from {_lambda_text(d['l2s'][0])} to {_lambda_text(d['l2s'][-1])} and N in "
        f"{', '.join(str(v) for v in d['ns'])}. Your browser evaluates σ(κ(s²)μ) from them.</p>"
        f"<noscript><p>This figure is drawn by JavaScript, which is turned off.</p></noscript></div>"
    )


def _legend_predictive() -> str:
    outer = f"{PREDICTIVE_LEVELS[0]:g}, {PREDICTIVE_LEVELS[-1]:g}"
    items = [
        f'<span><svg viewBox="-6 -6 12 12" aria-hidden="true"><circle r="4" fill="{_CLASS_A}" '
        f'stroke="currentColor" stroke-width="0.6"/></svg>class A (y = 1)</span>',
        f'<span><svg viewBox="-6 -6 12 12" aria-hidden="true"><path d="M0,-4.8L4.4,3.2L-4.4,3.2Z" '
        f'fill="{_CLASS_B}" stroke="currentColor" stroke-width="0.6"/></svg>class B (y = 0)</span>',
        '<span><svg viewBox="0 -6 18 12" aria-hidden="true"><path d="M0,0H18" stroke="currentColor" '
        'stroke-width="2.4"/></svg>p = 0.5, the boundary</span>',
        '<span><svg viewBox="0 -6 18 12" aria-hidden="true"><path d="M0,0H18" stroke="currentColor" '
        'stroke-width="1.2"/></svg>predictive p = ' + outer + "</span>",
        '<span><svg viewBox="0 -6 18 12" aria-hidden="true"><path d="M0,0H18" stroke="currentColor" '
        'stroke-width="1.4" stroke-dasharray="6 4"/></svg>MAP σ = ' + outer + "</span>",
    ]
    return f'<p class="explorer-legend">{"".join(items)}</p>'


_HTML["predictive"] = _predictive_html
