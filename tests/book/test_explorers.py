"""The two interactive figures ("explorers") in a real browser, driven by the keyboard.

The site is the suite's one strict build (tests/conftest.py), served on 127.0.0.1
and opened in the system's headless Chromium through Playwright. The checks:

* the data each explorer carries is the package's (``book.results``) and its fits are
  ``logreg.fit``'s;
* every slider moves with the keyboard (ArrowRight, PageUp, Home, End) and each move redraws the
  figure and updates the numbers under it;
* the negative log-likelihood the sigmoid explorer shows, computed in JavaScript, equals
  ``logreg.objective(w, b, X, y)`` for the weights it shows, to 1e-9;
* "Jump to the optimum" reaches the unpenalised maximum-likelihood fit, where the loss is smallest;
* the regularisation explorer shows, for every λ on its grid, the fit and the norm ‖w‖ that
  ``logreg.fit(X, y, l2=λ)`` gives;
* controls are labelled, sliders are 24 px tall, as wide as each other and show a focus ring,
  values are announced (``aria-live``) once a slider stops, nothing scrolls sideways at
  390 px, the ink follows the light and dark palettes;
* no request leaves 127.0.0.1 and nothing is logged to the console as an error, on pages with
  and without an explorer.

Without Chromium (or Playwright) these tests skip, saying how to install it; with
``LOGREG_REQUIRE_BROWSER=1`` they fail instead. ``LOGREG_SITE_DIR=/path/to/site`` tests an
already built site; ``LOGREG_CHROMIUM`` names another Chromium binary.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

import logreg
from book import results as r
from book.explorers import SIGMOID_RANGE
from tests.book._browser import DESKTOP, PHONE

SIGMOID = "#explorer-sigmoid"
REGULARISATION = "#explorer-regularisation"


def close(js: float, py: float, rel: float = 1e-9) -> bool:
    return abs(js - py) <= rel * max(1.0, abs(py))


# --------------------------------------------------------------------------------------------
# Fixtures: a browser, the built site on loopback, and a tab that records what goes wrong
# --------------------------------------------------------------------------------------------


# browser, site and server are the suite's shared fixtures (tests/conftest.py): one Chromium and
# one build for every browser test.


class Reader:
    """One tab in one palette and width; it records outside requests and console errors."""

    def __init__(self, browser, base: str, scheme: str, viewport: dict):
        self.base = base
        self.scheme = scheme
        self.netloc = urlsplit(base).netloc
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(color_scheme=scheme, viewport=viewport, service_workers="block")
        self.context.route("**/*", self._route)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def _route(self, route):
        url = urlsplit(route.request.url)
        if url.scheme in ("data", "blob", "about") or url.netloc == self.netloc:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort("blockedbyclient")

    def open(self, path: str):
        self.page.goto(self.base + path, wait_until="load")
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def reader(browser, server, request):
    scheme, viewport = getattr(request, "param", ("light", DESKTOP))
    tab = Reader(browser, server.base_url.rstrip("/"), scheme, viewport)
    yield tab
    tab.close()
    assert not tab.outside, f"requests to other hosts: {tab.outside}"
    assert not tab.errors, "\n".join(tab.errors)


# --------------------------------------------------------------------------------------------
# Reading an explorer
# --------------------------------------------------------------------------------------------

STATE_JS = """root => {
  const out = {};
  for (const o of root.querySelectorAll('output')) {
    const key = o.dataset.key || o.className.replace('explorer-', '');
    out[key] = {value: Number(o.dataset.value), raw: o.dataset.value, text: o.textContent};
  }
  out.sliders = Object.fromEntries([...root.querySelectorAll('input[type=range]')]
      .map(s => [s.dataset.key, {value: s.value, valuetext: s.getAttribute('aria-valuetext')}]));
  out.drawing = root.querySelector('svg.explorer-plot').innerHTML;
  return out;
}"""

DATA_JS = "root => JSON.parse(root.querySelector('script.explorer-data').textContent)"


def state(page, selector: str) -> dict:
    return page.eval_on_selector(selector, STATE_JS)


def exported(page, selector: str) -> dict:
    return page.eval_on_selector(selector, DATA_JS)


def press(page, control: str, key: str) -> None:
    page.focus(control)
    page.keyboard.press(key)


def check_loss(s: dict) -> float:
    """The loss the page shows against logreg.objective for the (w, b) the page shows."""
    X, y = r.blobs()
    w = np.array([s["w1"]["value"], s["w2"]["value"]])
    py = logreg.objective(w, s["b"]["value"], X, y)
    js = s["loss"]["value"]
    assert close(js, py), (
        f"page shows E = {s['loss']['raw']}, logreg.objective gives {py!r} at w={w}, b={s['b']['raw']}"
    )
    assert s["loss"]["text"] == f"{py:.3f}".replace("-", "−")
    return py


# --------------------------------------------------------------------------------------------
# The sigmoid explorer
# --------------------------------------------------------------------------------------------


def test_sigmoid_data_come_from_the_package(reader):
    page = reader.open("/sigmoid/")
    data = exported(page, SIGMOID)
    X, y = r.blobs()
    assert np.array_equal(np.array(data["X"]), X) and np.array_equal(np.array(data["y"]), y)
    assert data["start"] == {"w": list(r.TERRIBLE_W), "b": r.TERRIBLE_B}
    mle = logreg.fit(X, y, l2=0.0, tol=1e-12)
    assert np.allclose(data["optimum"]["w"], mle.weights, rtol=1e-9, atol=1e-12)
    assert close(data["optimum"]["b"], mle.bias) and close(data["optimum"]["nll"], mle.objective)


def test_sigmoid_starts_at_the_terrible_boundary(reader):
    page = reader.open("/sigmoid/")
    s = state(page, SIGMOID)
    assert [s["w1"]["value"], s["w2"]["value"], s["b"]["value"]] == [*r.TERRIBLE_W, r.TERRIBLE_B]
    assert [s["sliders"][k]["value"] for k in ("w1", "w2", "b")] == ["1.5", "-2", "2"]
    assert s["w2"]["text"] == "−2.00"
    check_loss(s)
    X, y = r.blobs()
    wrong = int(np.sum(logreg.predict(r.TERRIBLE_W, r.TERRIBLE_B, X) != y))
    assert s["wrong"]["value"] == wrong
    assert s["drawing"].count("<polygon") == 8 and s["drawing"].count("<circle") == int(y.sum())


@pytest.mark.parametrize("key", ["w1", "w2", "b"])
def test_sigmoid_slider_moves_by_keyboard_and_redraws(reader, key):
    page = reader.open("/sigmoid/")
    control = f"{SIGMOID}-{key}"
    before = state(page, SIGMOID)
    losses = [check_loss(before)]
    step = SIGMOID_RANGE[2]
    for press_key, delta in (("ArrowRight", step), ("PageUp", None), ("ArrowLeft", -step)):
        press(page, control, press_key)
        after = state(page, SIGMOID)
        assert after["drawing"] != before["drawing"], f"{press_key} on {key} did not redraw"
        assert after[key]["text"] != before[key]["text"], f"{press_key} on {key} did not update its value"
        if delta is not None:
            assert after[key]["value"] == pytest.approx(before[key]["value"] + delta, abs=1e-9)
        else:
            assert after[key]["value"] > before[key]["value"] + step
        for other in {"w1", "w2", "b"} - {key}:
            assert after[other]["raw"] == before[other]["raw"]
        losses.append(check_loss(after))
        before = after
    assert len(set(losses)) == len(losses), f"the loss did not change: {losses}"


def test_sigmoid_extremes(reader):
    """The ends of the sliders, and w = 0 (no boundary at all: σ = σ(b) everywhere)."""
    page = reader.open("/sigmoid/")
    for key, end in (("w1", "Home"), ("w2", "End"), ("b", "Home")):
        press(page, f"{SIGMOID}-{key}", end)
    s = state(page, SIGMOID)
    assert [s["w1"]["value"], s["w2"]["value"], s["b"]["value"]] == [-4.0, 4.0, -4.0]
    check_loss(s)
    page.eval_on_selector(
        SIGMOID,
        """root => {
      for (const s of root.querySelectorAll('input[type=range]')) {
        s.value = '0'; s.dispatchEvent(new Event('input'));
      }
    }""",
    )
    s = state(page, SIGMOID)
    X, _ = r.blobs()
    assert close(check_loss(s), len(X) * np.log(2))
    assert s["drawing"].count('visibility="visible"') == 1  # the dashed optimum only: no σ level
    assert s["drawing"].count('points=""') == 7  # and one shaded band, σ(0) = 1/2, fills the plot


def test_sigmoid_jumps_to_the_optimum(reader):
    page = reader.open("/sigmoid/")
    X, y = r.blobs()
    mle = logreg.fit(X, y, l2=0.0, tol=1e-12)
    start = state(page, SIGMOID)
    page.focus(f'{SIGMOID} button[data-action="optimum"]')
    page.keyboard.press("Enter")
    s = state(page, SIGMOID)
    assert s["drawing"] != start["drawing"]
    assert np.allclose([s["w1"]["value"], s["w2"]["value"]], mle.weights, rtol=1e-9)
    assert close(s["b"]["value"], mle.bias)
    at_optimum = check_loss(s)
    assert close(s["loss"]["value"], mle.objective)
    assert s["wrong"]["value"] == int(np.sum(mle.predict(X) != y))
    # The thumb sits where the readout says: the slider's position, to the two decimals shown.
    for key in ("w1", "w2", "b"):
        thumb = f"{float(s['sliders'][key]['value']):.2f}".replace("-", "−")
        assert thumb == s[key]["text"], f"{key}: the thumb is at {thumb}, the readout says {s[key]['text']}"
    # Any step away from the optimum costs likelihood.
    for key in ("w1", "w2", "b"):
        for step in ("ArrowRight", "ArrowLeft"):
            page.click(f'{SIGMOID} button[data-action="optimum"]')
            press(page, f"{SIGMOID}-{key}", step)
            assert check_loss(state(page, SIGMOID)) > at_optimum
    page.click(f'{SIGMOID} button[data-action="start"]')
    back = state(page, SIGMOID)
    assert back["drawing"] == start["drawing"] and back["loss"]["raw"] == start["loss"]["raw"]


# --------------------------------------------------------------------------------------------
# The regularisation explorer
# --------------------------------------------------------------------------------------------


def test_regularisation_fits_are_logregs(reader):
    page = reader.open("/separable/")
    data = exported(page, REGULARISATION)
    X, y = r.separable()
    assert np.array_equal(np.array(data["X"]), X) and np.array_equal(np.array(data["y"]), y)
    grid = np.array([f["l2"] for f in data["fits"]])
    assert len(grid) == 41 and close(grid[0], 1e-3) and close(grid[-1], 1e2)
    assert np.allclose(np.diff(np.log10(grid)), 5 / 40)
    for f in data["fits"]:
        res = logreg.fit(X, y, l2=f["l2"], max_iter=1000)
        assert np.allclose(f["w"], res.weights, rtol=1e-9) and close(f["b"], res.bias)
        assert close(f["norm"], float(np.linalg.norm(res.weights)))
        assert close(f["nll"], logreg.objective(res.weights, res.bias, X, y))


def test_regularisation_slider_by_keyboard(reader):
    page = reader.open("/separable/")
    data = exported(page, REGULARISATION)
    X, y = r.separable()
    control = f"{REGULARISATION}-l2"
    s = state(page, REGULARISATION)
    assert s["l2"]["value"] == data["fits"][data["start"]]["l2"] and s["l2"]["text"] == "0.1"
    press(page, control, "Home")
    seen = []
    for i in range(len(data["fits"])):
        if i:
            before = s
            press(page, control, "ArrowRight")
        s = state(page, REGULARISATION)
        fit = data["fits"][i]
        if i:
            assert s["drawing"] != before["drawing"], f"step {i} did not redraw"
            assert s["norm"]["text"] != before["norm"]["text"] and s["l2"]["text"] != before["l2"]["text"]
        assert s["sliders"]["l2"]["value"] == str(i)
        assert s["l2"]["value"] == fit["l2"] and s["sliders"]["l2"]["valuetext"] == f"λ = {s['l2']['text']}"
        w = np.array([s["w1"]["value"], s["w2"]["value"]])
        assert list(w) == fit["w"] and s["b"]["value"] == fit["b"]
        assert s["norm"]["value"] == fit["norm"]
        res = logreg.fit(X, y, l2=s["l2"]["value"], max_iter=1000)
        assert close(s["norm"]["value"], float(np.linalg.norm(res.weights)))
        assert s["norm"]["text"] == f"{np.linalg.norm(res.weights):.3f}"
        assert close(s["loss"]["value"], logreg.objective(w, s["b"]["value"], X, y))
        seen.append(s["norm"]["value"])
    assert all(a > b for a, b in itertools.pairwise(seen)), "‖w‖ should fall as λ grows"
    assert s["l2"]["text"] == "100"
    press(page, control, "PageDown")
    assert state(page, REGULARISATION)["l2"]["value"] < data["fits"][-1]["l2"]
    press(page, control, "End")
    assert state(page, REGULARISATION)["l2"]["text"] == "100"


# --------------------------------------------------------------------------------------------
# Both: labels, announcements, phone width, palettes, pages without an explorer
# --------------------------------------------------------------------------------------------

LAYOUT_JS = """root => {
  const vw = document.documentElement.clientWidth;
  const labelled = [...root.querySelectorAll('input, button')].map(el => {
    if (el.tagName === 'BUTTON') return el.textContent.trim().length > 0;
    const label = document.querySelector(`label[for="${el.id}"]`);
    return !!(label && label.textContent.trim());
  });
  const lives = root.querySelectorAll('[aria-live]');
  const live = lives.length === 1 ? lives[0] : null;
  const ranges = [...root.querySelectorAll('input[type=range]')].map(el => el.getBoundingClientRect());
  const boxes = [...root.querySelectorAll('svg.explorer-plot, input, button, output')]
      .map(el => el.getBoundingClientRect());
  return {
    labelled,
    live: live ? live.getAttribute('aria-live') : null,
    liveCount: lives.length,
    liveText: live ? live.textContent : null,
    readoutLive: root.querySelector('.explorer-readout').hasAttribute('aria-live'),
    sliderHeights: ranges.map(b => b.height),
    sliderWidths: ranges.map(b => Math.round(b.width)),
    scrollWidth: document.documentElement.scrollWidth, clientWidth: vw,
    outside: boxes.filter(b => b.left < -0.5 || b.right > vw + 0.5).length,
    plotWidth: root.querySelector('svg.explorer-plot').getBoundingClientRect().width,
    ink: getComputedStyle(root.querySelector('svg.explorer-plot')).color,
    scheme: document.body.getAttribute('data-md-color-scheme'),
  };
}"""


def _luminance(css: str) -> float:
    rgb = [float(v) / 255 for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


@pytest.mark.parametrize(
    "reader",
    [("light", PHONE), ("dark", PHONE), ("dark", DESKTOP)],
    ids=["light-390px", "dark-390px", "dark-desktop"],
    indirect=True,
)
@pytest.mark.parametrize("path,selector", [("/sigmoid/", SIGMOID), ("/separable/", REGULARISATION)])
def test_layout_labels_and_palette(reader, path, selector):
    page = reader.open(path)
    scheme = "slate" if reader.scheme == "dark" else "default"
    info = page.eval_on_selector(selector, LAYOUT_JS)
    assert info["labelled"] and all(info["labelled"]), "every slider has a <label for>, every button text"
    assert info["liveCount"] == 1 and info["live"] == "polite" and not info["readoutLive"], (
        "one polite live region, and not the readout (it changes on every step of a drag)"
    )
    assert info["liveText"] == "", "nothing is announced when the page loads"
    assert min(info["sliderHeights"]) >= 24, f"slider heights {info['sliderHeights']} (WCAG 2.5.8: 24 px)"
    assert len(set(info["sliderWidths"])) == 1, f"sliders of unequal widths {info['sliderWidths']}"
    assert info["scrollWidth"] <= info["clientWidth"], "the page scrolls sideways"
    assert info["outside"] == 0, "a control or the figure sticks out of the viewport"
    assert info["plotWidth"] >= min(300, info["clientWidth"] - 80)
    assert info["scheme"] == scheme
    ink = _luminance(info["ink"])
    assert (ink > 0.6) if scheme == "slate" else (ink < 0.4), f"ink {info['ink']} in the {scheme} palette"
    # The explorer still answers the keyboard at this size and in this palette.
    control = f"{selector}-{'w1' if selector == SIGMOID else 'l2'}"
    before = state(page, selector)["drawing"]
    press(page, control, "ArrowRight")
    assert state(page, selector)["drawing"] != before
    # A visible focus ring on the focused slider (WCAG 2.4.7).
    ring = page.eval_on_selector(
        control, "el => { const s = getComputedStyle(el); return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert ring[0] != "none" and ring[1] >= 2, f"focused slider outline {ring}"
    # The numbers are announced once the slider has been still a moment, not on every step.
    live = f"{selector} [aria-live]"
    assert page.eval_on_selector(live, "el => el.textContent") == "", "announced on the step itself"
    page.wait_for_function(f"document.querySelector('{live}').textContent.length > 0", timeout=3000)
    assert "negative log-likelihood" in page.eval_on_selector(live, "el => el.textContent")


@pytest.mark.parametrize("path", ["/", "/data/", "/separable/"])
def test_the_script_is_quiet_on_every_kind_of_page(reader, path):
    """The explorer scripts load only on a page with an explorer (book/hooks.py leaves them out
    elsewhere) and set up every explorer there, quietly."""
    page = reader.open(path)
    page.wait_for_load_state("networkidle")
    count = page.evaluate("document.querySelectorAll('div.explorer').length")
    ready = page.evaluate("document.querySelectorAll('div.explorer[data-ready]').length")
    scripts = page.evaluate("document.querySelectorAll('script[src*=\"javascripts/explorer\"]').length")
    assert ready == count  # and the reader fixture checks: no console error, no outside request
    assert scripts == (2 if count else 0), f"{path}: {count} explorers, {scripts} explorer scripts"


# --------------------------------------------------------------------------------------------
# Colours and contour levels: defined once, in logreg.plotting, and sent with the data
# --------------------------------------------------------------------------------------------

JAVASCRIPTS = Path(__file__).resolve().parents[2] / "docs" / "assets" / "javascripts"


def test_the_scripts_type_no_colour_or_level():
    """explorers.js and explorer-predictive.js take the class colours, the accent and the contour
    levels from the data book/explorers.py writes, which takes them from logreg.plotting."""
    import re

    from book import explorers
    from logreg import plotting

    for name in ("explorers.js", "explorer-predictive.js"):
        text = (JAVASCRIPTS / name).read_text(encoding="utf-8")
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)  # comments may name them
        assert not re.findall(r"#[0-9A-Fa-f]{6}\b", code), f"{name} types a colour"
        assert "LEVELS" not in code and not re.search(r"\b(?:1|7) / 8\b|0\.1, 0\.5, 0\.9", code), (
            f"{name} types contour levels"
        )
    style = explorers.STYLE
    assert style["class_a"] == plotting.CLASS_A["color"] and style["class_b"] == plotting.CLASS_B["color"]
    assert style["accent"] == plotting.ACCENTS[0]
    assert style["levels"] == list(plotting.CONTOUR_LEVELS)


@pytest.mark.parametrize("reader", [("light", DESKTOP)], indirect=True)
def test_the_figures_draw_with_the_packages_colours_and_levels(reader):
    from book.explorers import PREDICTIVE_LEVELS
    from logreg import plotting

    page = reader.open("/sigmoid/")
    drawn = page.eval_on_selector(
        SIGMOID,
        """root => ({
        a: root.querySelector('.explorer-points circle').getAttribute('fill'),
        b: root.querySelector('.explorer-points path').getAttribute('fill'),
        lines: root.querySelectorAll('.explorer-field line').length,
        bands: root.querySelectorAll('.explorer-field polygon').length})""",
    )
    assert (drawn["a"], drawn["b"]) == (plotting.CLASS_A["color"], plotting.CLASS_B["color"])
    # The level lines, and the dashed line of the maximum-likelihood boundary.
    assert drawn["lines"] == len(plotting.CONTOUR_LEVELS) + 1
    assert drawn["bands"] == len(plotting.CONTOUR_LEVELS) + 1
    page = reader.open("/bayesian/")
    levels = page.evaluate(
        "[...document.querySelectorAll('#explorer-predictive .explorer-level')]"
        ".map(el => Number(el.getAttribute('data-level')))"
    )
    assert levels == list(PREDICTIVE_LEVELS)
