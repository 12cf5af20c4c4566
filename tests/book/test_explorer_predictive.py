"""The predictive explorer (chapter *Bayesian logistic regression*) in a real browser.

Same harness as ``tests/book/test_explorers.py`` (its ``reader`` fixture: one tab, no outside request,
no console error). The checks:

* every (N, λ) fit the explorer carries is ``logreg.fit(X[:N], y[:N], l2=λ)`` with its Laplace
  covariance ``covariance()``;
* the MAP and predictive probabilities it shows at its marked point, computed in JavaScript, are
  ``predict_proba`` and ``logreg.inference.predictive_proba`` (probit) for the fit it shows, to 1e-9,
  at every position the keyboard reaches;
* more points make the predictive surer (s shrinks), and every move redraws the plot;
* accessibility: an introductory sentence before the plot, labelled sliders of at least 24 px
  with a visible focus ring, and a polite live region that is written once when a slider rests,
  not at every step;
* at 390 px nothing scrolls sideways; the ink follows the palette.
"""

from __future__ import annotations

import numpy as np
import pytest

import logreg
from book import part2_bayes as pb
from logreg import inference
from tests.book._browser import DESKTOP, PHONE
from tests.book.test_explorers import _luminance, close, exported, press, reader, state  # noqa: F401

PREDICTIVE = "#explorer-predictive"
PAGE = "/bayesian/"


def _fit(n: int, l2: float, init=None) -> logreg.FitResult:
    X, y = pb.explorer_pool()
    return logreg.fit(X[:n], y[:n], l2=l2, method="newton", tol=1e-12, init=init)


def check_probe(s: dict, data: dict) -> float:
    """The page's MAP and predictive probabilities at the probe against logreg's; returns s.

    The fit is logreg's, started at the exported optimum (the build fits the grid with warm
    starts, so a cold fit lands within 1e-8 but not 1e-9 of it)."""
    i, j = data["ns"].index(int(s["n"]["value"])), data["l2s"].index(s["l2"]["value"])
    f = data["fits"][i][j]
    res = _fit(int(s["n"]["value"]), s["l2"]["value"], init=(np.array(f["w"]), f["b"]))
    probe = np.array([pb.PROBES["far"]])
    p_map = float(res.predict_proba(probe)[0])
    p_pred = float(inference.predictive_proba(res, probe)[0])
    _, s2 = inference.predictive_variance(res, probe)
    assert close(s["map"]["value"], p_map), (s["map"]["raw"], p_map)
    assert close(s["pred"]["value"], p_pred), (s["pred"]["raw"], p_pred)
    assert close(s["s"]["value"], float(np.sqrt(s2[0])))
    assert s["pred"]["text"] == f"{p_pred:.3f}"
    return s["s"]["value"]


def test_predictive_fits_are_logregs(reader):
    page = reader.open(PAGE)
    data = exported(page, PREDICTIVE)
    X, y = pb.explorer_pool()
    # The points are rounded to 1e-4 for the page's weight; the fits are on the exact ones.
    assert np.allclose(np.array(data["X"]), X, rtol=0, atol=5e-5) and np.array_equal(np.array(data["y"]), y)
    assert data["ns"] == list(pb.EXPLORER_NS) and len(data["l2s"]) == 21
    assert close(data["l2s"][0], 1e-3) and close(data["l2s"][-1], 1e2)
    for i, n in enumerate(data["ns"]):
        for j, l2 in enumerate(data["l2s"]):
            f = data["fits"][i][j]
            w, b = np.array(f["w"]), f["b"]
            assert f["l2"] == l2
            # An optimum of the penalised objective on the first n points ...
            gw, gb = logreg.gradient(w, b, X[:n], y[:n], l2=l2)
            assert np.max(np.abs(np.append(gw, gb))) < 1e-6 * n  # working precision: see fit(tol=)
            # ... the one logreg.fit finds from a cold start (to its tolerance) ...
            cold = _fit(n, l2)
            np.testing.assert_allclose(np.append(w, b), np.append(cold.weights, cold.bias), rtol=1e-5, atol=1e-6)
            # ... and its covariance is the inverse Hessian there, as covariance() computes it.
            cov = _fit(n, l2, init=(w, b)).covariance()
            H_inv = np.linalg.inv(logreg.hessian(w, b, X[:n], y[:n], l2=l2))
            np.testing.assert_allclose(
                f["cov"], cov[np.triu_indices(3)], rtol=1e-6, atol=1e-9 * float(np.abs(cov).max())
            )
            np.testing.assert_allclose(
                f["cov"], H_inv[np.triu_indices(3)], rtol=1e-6, atol=1e-9 * float(np.abs(cov).max())
            )


def test_predictive_starts_where_the_chapter_is(reader):
    page = reader.open(PAGE)
    data = exported(page, PREDICTIVE)
    s = state(page, PREDICTIVE)
    assert s["l2"]["text"] == "0.1" and s["n"]["text"] == "100"
    assert s["sliders"]["l2"]["valuetext"] == "λ = 0.1" and s["sliders"]["n"]["valuetext"] == "100 points"
    check_probe(s, data)
    assert s["pred"]["value"] < s["map"]["value"]  # the predictive is less sure than the MAP fit
    assert s["drawing"].count('class="explorer-level"') == 3 and "<image" in s["drawing"]


def test_predictive_sliders_by_keyboard(reader):
    page = reader.open(PAGE)
    data = exported(page, PREDICTIVE)
    # Every N at the starting λ: each step redraws, the numbers are logreg's, and s shrinks overall.
    press(page, f"{PREDICTIVE}-n", "Home")
    spreads = []
    for i in range(len(data["ns"])):
        before = state(page, PREDICTIVE)
        if i:
            press(page, f"{PREDICTIVE}-n", "ArrowRight")
        s = state(page, PREDICTIVE)
        if i:
            assert s["drawing"] != before["drawing"], f"N step {i} did not redraw"
        assert s["n"]["value"] == data["ns"][i]
        spreads.append(check_probe(s, data))
    assert spreads[-1] < 0.5 * spreads[0], f"more points should pin the activation down: {spreads}"
    # And λ, from one end to the other, at N = 400.
    press(page, f"{PREDICTIVE}-l2", "Home")
    for j in range(len(data["l2s"])):
        if j:
            press(page, f"{PREDICTIVE}-l2", "ArrowRight")
        s = state(page, PREDICTIVE)
        assert s["l2"]["value"] == data["l2s"][j]
        check_probe(s, data)
    assert s["l2"]["text"] == "100"


ACCESS_JS = """root => {
  const slider = root.querySelector('input[data-key="l2"]');
  const box = slider.getBoundingClientRect();
  const style = getComputedStyle(slider);
  const intro = root.querySelector('.explorer-intro');
  const plot = root.querySelector('svg.explorer-plot');
  const live = root.querySelector('[aria-live]');
  return {
    width: box.width, height: box.height,
    outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
    introFirst: !!intro && intro.textContent.trim().length > 40
      && !!(intro.compareDocumentPosition(plot) & Node.DOCUMENT_POSITION_FOLLOWING),
    live: live && live.getAttribute('aria-live'), liveText: live && live.textContent,
    liveOutputs: live ? live.querySelectorAll('output').length : -1,
    labelled: [...root.querySelectorAll('input')].every(el => {
      const label = document.querySelector(`label[for="${el.id}"]`);
      return !!(label && label.textContent.trim());
    }),
  };
}"""


def test_predictive_is_accessible(reader):
    page = reader.open(PAGE)
    info = page.eval_on_selector(PREDICTIVE, ACCESS_JS)
    assert info["introFirst"], "an introductory sentence comes before the plot"
    assert info["labelled"]
    assert info["width"] >= 24 and info["height"] >= 24, f"touch target {info['width']} x {info['height']}"
    assert info["live"] == "polite" and info["liveText"] == "" and info["liveOutputs"] == 0
    # Keyboard focus shows a ring.
    press(page, f"{PREDICTIVE}-l2", "ArrowLeft")
    focused = page.eval_on_selector(PREDICTIVE, ACCESS_JS)
    assert focused["outline"] != "none" and focused["outlineWidth"] >= 2
    # Five quick steps: the live region is not written at each of them, only once they rest.
    page.eval_on_selector(
        PREDICTIVE,
        """root => {
      const live = root.querySelector('[aria-live]');
      window.__announcements = 0;
      new MutationObserver(() => { window.__announcements++; })
        .observe(live, {childList: true, characterData: true, subtree: true});
    }""",
    )
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert page.evaluate("window.__announcements") == 0
    page.wait_for_function("window.__announcements > 0", timeout=5000)
    page.wait_for_timeout(900)
    assert page.evaluate("window.__announcements") == 1
    s = state(page, PREDICTIVE)
    text = page.eval_on_selector(f"{PREDICTIVE} [aria-live]", "el => el.textContent")
    assert text.startswith(f"λ = {s['l2']['text']}, N = 100 points")
    assert f"the predictive {s['pred']['text']}" in text and f"says {s['map']['text']}" in text


@pytest.mark.parametrize(
    "reader",
    [("light", PHONE), ("dark", PHONE), ("dark", DESKTOP)],
    ids=["light-390px", "dark-390px", "dark-desktop"],
    indirect=True,
)
def test_predictive_layout_and_palette(reader):
    page = reader.open(PAGE)
    info = page.evaluate("""() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      plot: document.querySelector('#explorer-predictive svg.explorer-plot').getBoundingClientRect().width,
      ink: getComputedStyle(document.querySelector('#explorer-predictive svg.explorer-plot')).color,
    })""")
    assert info["scrollWidth"] <= info["clientWidth"], "the page scrolls sideways"
    assert info["plot"] >= min(300, info["clientWidth"] - 80)
    ink = _luminance(info["ink"])
    assert (ink > 0.6) if reader.scheme == "dark" else (ink < 0.4)
    before = state(page, PREDICTIVE)["drawing"]
    press(page, f"{PREDICTIVE}-n", "ArrowLeft")
    assert state(page, PREDICTIVE)["drawing"] != before
