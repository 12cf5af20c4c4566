"""Hard cases of the book's typeset mathematics, rendered in Chromium and compared with PNGs.

``book/mathml.py`` rearranges what math-core writes (primes, fenced groups with an exponent,
fence spacing, numbers in formulas); whether that looks right is a question for the renderer.
Each case below is converted by the build's own :func:`book.mathml.convert`, set in a page with
the site's stylesheet (``book.css``) and its math font, and rendered by the system's Chromium at
device scale factor 2. Two kinds of check:

* geometry, from the layout: an opening and closing sized fence are the same height, an
  exponent on a fenced group sits above the closing fence and not beside a shrunken one, a
  prime is drawn at full size (not as a script-size tick);
* pixels: each case's screenshot against its reviewed baseline in ``tests/baseline-math/``,
  with a tolerance (an RMS difference of grey levels), so a change to the conversion that
  moves a glyph shows up. ``LOGREG_MATH_BASELINES=1`` writes the baselines instead; LOOK at
  each one before committing it.
"""

from __future__ import annotations

import base64
import io
import math
import os
from pathlib import Path

import pytest

from book.mathml import FENCE_VARIANTS, convert, display_html

ROOT = Path(__file__).resolve().parents[2]
BASELINES = ROOT / "tests" / "baseline-math"
FONT = ROOT / "docs" / "assets" / "fonts" / "latinmodern-math.woff2"
CSS = ROOT / "docs" / "assets" / "stylesheets" / "book.css"
#: The site's book.js: it trims the sides of stretchy brackets sized by their contents.
JS = ROOT / "docs" / "assets" / "javascripts" / "book.js"
#: RMS of the grey-level difference (0-255) a screenshot may show against its baseline: well
#: below what a glyph that moves by a pixel, or changes size, gives (tens), above anti-aliasing.
TOLERANCE = 6.0

CASES = {
    "prime": r"\sigma'(a) = \sigma(a)\bigl(1 - \sigma(a)\bigr)",
    "primes": r"f''(x) \approx \frac{f(x + h) - 2f(x) + f(x - h)}{h^2}, \quad \lvert f'''\rvert",
    "fenced-exponent": r"\frac{d}{da}\bigl(1 + e^{-a}\bigr)^{-1} = \frac{e^{-a}}{\bigl(1 + e^{-a}\bigr)^2}",
    "fenced-square": r"\sum_{n=1}^{N} s_n\,\bigl(\tilde\vx_n^\T\mathbf v\bigr)^2 \;\ge\; 0",
    "exp-fence": r"\exp\Bigl(-\frac{\alpha}{2}\lVert\vw\rVert^2\Bigr)",
    "left-right": r"h_\star = \left(\frac{3\epsilon\,\lvert f\rvert}{\lvert f'''\rvert}\right)^{1/3}",
    "nested-fences": r"\mathcal N\bigl(\mathbf 0,\ (2\lambda)^{-1}\mathbf I\bigr)",
    "bracket-square": r"\bigl[-4, 0\bigr]^2 \times \{x\}^2",
    "number": r"\epsilon = 2^{-52} \approx 2.22 \times 10^{-16}",
    # Stretchy brackets larger than \Bigl: their box was as wide as the font's widest variant.
    "left-fraction": (
        r"\left(\frac{\alpha}{2\pi}\right)^{D/2}"
        r" \exp\Bigl(-\frac{\alpha}{2}\lVert\vw\rVert^2\Bigr)"
    ),
    "bigg": r"\biggl(\sum_{n=1}^{N} x_n\biggr)^2 + \Biggl[\frac{a}{b}\Biggr]",
    "column-vectors": (
        r"\tilde\vx_n = \begin{pmatrix} \vx_n \\ 1 \end{pmatrix}, \quad"
        r" \tilde\vw = \begin{pmatrix} \vw \\ b \end{pmatrix}"
    ),
    # A sign opening an aligned row's cell is a binary operator (amsmath's {}), not glued on.
    "aligned-signs": (
        r"\begin{aligned} b = &-\tfrac12\boldsymbol\mu^\T\boldsymbol\mu \\"
        r" &+ \log\frac{\pi}{1 - \pi}, \\ E_\lambda &= -\ell \\"
        r" &\quad + \lambda\lVert\vw\rVert^2 \end{aligned}"
    ),
    "block-matrix": (
        r"2\lambda\begin{pmatrix} \mathbf I_D & \mathbf 0 \\ \mathbf 0^\T & 0 \end{pmatrix}"
        r" + \begin{bmatrix} a \\ b \\ c \end{bmatrix}"
    ),
}

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
@font-face {{ font-family: "Latin Modern Math"; src: url(data:font/woff2;base64,{font}) format("woff2"); }}
{css}
body {{ margin: 0; background: #fff; color: #000; font: 16px/1.6 sans-serif; }}
.md-typeset {{ width: 640px; padding: 8px 16px; }}
.case {{ display: inline-block; padding: 4px 8px; }}
</style></head><body><div class="md-typeset">{cases}</div><script>{js}</script></body></html>"""


@pytest.fixture(scope="module")
def gallery(browser):
    css = CSS.read_text(encoding="utf-8").split("}", 1)[1]  # without its own @font-face (relative URL)
    cases = "".join(
        f'<div class="case" id="{name}">{display_html(convert(tex, True, name))}</div>' for name, tex in CASES.items()
    )
    html = PAGE.format(
        font=base64.b64encode(FONT.read_bytes()).decode(), css=css, cases=cases, js=JS.read_text(encoding="utf-8")
    )
    context = browser.new_context(viewport={"width": 680, "height": 900}, device_scale_factor=2)
    page = context.new_page()
    page.set_content(html, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => document.fonts.check('16px \"Latin Modern Math\"'))")
    assert page.evaluate("document.fonts.check('16px \"Latin Modern Math\"')"), "the math font did not load"
    # book.js trims stretchy brackets once the fonts are in; let it run before measuring.
    page.evaluate("document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => r())))")
    yield page
    context.close()


BOXES_JS = """name => {
  const root = document.getElementById(name);
  // The room an element takes: its box with its margins (book.js trims stretchy brackets so).
  const box = el => { const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    return {top: r.top, bottom: r.bottom, height: r.height,
            left: r.left - parseFloat(cs.marginLeft), right: r.right + parseFloat(cs.marginRight)}; };
  const sized = el => el && (el.hasAttribute('minsize') || el.hasAttribute('mathsize')
      || (el.tagName.toLowerCase() === 'mpadded' && sized(el.firstElementChild)));
  const fences = [...root.querySelectorAll('mo')].filter(sized).map(el => ({text: el.textContent, ...box(el)}));
  const scripted = [...root.querySelectorAll('msup')].filter(s => s.firstElementChild.tagName.toLowerCase() === 'mrow'
      && sized(s.firstElementChild.lastElementChild))
    .map(s => ({close: box(s.firstElementChild.lastElementChild), script: box(s.children[1])}));
  const primes = [...root.querySelectorAll('mo')].filter(el => /^[\u2032\u2033\u2034]$/.test(el.textContent))
    .map(el => ({prime: box(el), base: box(el.previousElementSibling || el.parentElement)}));
  const scriptPrimes = [...root.querySelectorAll('msup > mo:last-child, msubsup > mo:last-child')]
    .filter(el => /^[\u2032\u2033\u2034]$/.test(el.textContent)).length;
  // The space between a sized fence and its neighbour inside the fences (ink aside: boxes).
  const gaps = [];
  for (const mo of [...root.querySelectorAll('mo')].filter(sized)) {
    const open = '([{\u27e8'.includes(mo.textContent);
    const me = mo.parentElement.tagName.toLowerCase() === 'mpadded' ? mo.parentElement : mo;
    const next = open ? me.nextElementSibling : me.previousElementSibling;
    if (!next) continue;
    const a = box(me), b = box(next);
    gaps.push(open ? b.left - a.right : a.left - b.right);
  }
  return {fences, scripted, primes, scriptPrimes, gaps};
}"""


@pytest.mark.parametrize("name", list(CASES))
def test_math_geometry(gallery, name):
    g = gallery.evaluate(BOXES_JS, name)
    problems = []
    # Sized fences come in pairs of one size (\bigl( ... \bigr)^2: the closing one was small and low).
    by_height = {}
    for f in g["fences"]:
        by_height.setdefault(round(f["height"]), []).append(f["text"])
    for height, texts in by_height.items():
        opens = sum(t in "([{⟨" for t in texts)
        if opens * 2 != len(texts):
            problems.append(f"fences of height {height} px do not pair up: {texts}")
    for s in g["scripted"]:
        if not s["script"]["top"] < s["close"]["top"] + 0.25 * s["close"]["height"]:
            problems.append(f"the exponent of a fenced group is not at the top of its closing fence: {s}")
        if s["script"]["left"] < s["close"]["right"] - 1:
            problems.append(f"the exponent overlaps its closing fence: {s}")
    for gap in g["gaps"]:
        if gap > 0.12 * 16 * 1.1:
            problems.append(f"{gap:.1f} px of space between a sized fence and what it encloses")
    for f in g["fences"]:  # a bracket's box is narrow; Chromium's stretchy ones were 0.875 em wide
        if f["right"] - f["left"] > 0.6 * f["height"]:
            problems.append(
                f"a sized {f['text']} {f['right'] - f['left']:.0f} px wide and "
                f"{f['height']:.0f} px tall: space on both sides of it"
            )
    if g["scriptPrimes"]:
        problems.append(f"{g['scriptPrimes']} prime(s) set as a superscript (a tiny tick)")
    for p in g["primes"]:
        if p["prime"]["height"] < 0.5 * p["base"]["height"]:
            problems.append(
                f"a prime {p['prime']['height']:.1f} px tall beside a base {p['base']['height']:.1f} px tall"
            )
    assert not problems, f"{name}: {CASES[name]}\n" + "\n".join(f"  - {x}" for x in problems)


@pytest.mark.parametrize("name", list(CASES))
def test_math_looks_as_reviewed(gallery, name):
    from PIL import Image, ImageChops

    shot = Image.open(io.BytesIO(gallery.locator(f"#{name}").screenshot())).convert("L")
    baseline = BASELINES / f"{name}.png"
    if os.environ.get("LOGREG_MATH_BASELINES"):
        BASELINES.mkdir(exist_ok=True)
        shot.save(baseline, optimize=True)
        pytest.skip(f"wrote {baseline}; look at it before committing")
    assert baseline.exists(), f"no baseline {baseline}; make it with LOGREG_MATH_BASELINES=1"
    want = Image.open(baseline).convert("L")
    assert shot.size == want.size, f"{name}: rendered {shot.size}, baseline {want.size} (a layout change)"
    hist = ImageChops.difference(shot, want).histogram()
    rms = math.sqrt(sum(count * level**2 for level, count in enumerate(hist)) / (shot.size[0] * shot.size[1]))
    if rms > TOLERANCE:
        out = Path(os.environ.get("LOGREG_TEST_RESULTS", "test-results")) / "math"
        out.mkdir(parents=True, exist_ok=True)
        shot.save(out / f"{name}.png")
        pytest.fail(
            f"{name}: RMS difference {rms:.1f} > {TOLERANCE} against {baseline} "
            f"(the rendering is in {out / (name + '.png')})",
            pytrace=False,
        )


#: The fences whose box may be too wide: sized (\biggl) or stretched by their contents.
STRETCHY_FENCES_JS = r"""name => {
  const out = [];
  for (const mo of document.getElementById(name).querySelectorAll('mo')) {
    const fence = /^[()\[\]{}\u27e8\u27e9\u2016]$/.test(mo.textContent.trim());
    if (mo.getAttribute('stretchy') === 'false' || !fence) continue;
    const r = mo.getBoundingClientRect(), cs = getComputedStyle(mo);
    const left = r.left - parseFloat(cs.marginLeft), right = r.right + parseFloat(cs.marginRight);
    out.push({text: mo.textContent.trim(), x: left, y: r.top, width: right - left, height: r.height,
              em: parseFloat(cs.fontSize)});
  }
  return out;
}"""


@pytest.mark.parametrize("name", ["left-right", "left-fraction", "bigg", "column-vectors", "block-matrix"])
def test_stretchy_fences_are_as_wide_as_their_glyph(gallery, name):
    r"""A stretchy bracket (\left, \biggl, a matrix's) takes the room of the glyph drawn, the
    font's variant for its height (book/mathml.py: FENCE_VARIANTS), margins included; not the
    width of the font's widest variant that Chromium gives its box; and its ink is in view."""
    from PIL import Image

    fences = gallery.evaluate(STRETCHY_FENCES_JS, name)
    assert fences, f"{name}: no stretchy bracket found"
    problems = []
    for f in fences:
        tall = f["height"] / f["em"]
        want = next(
            adv
            for chars, (heights, advances) in FENCE_VARIANTS.items()
            if f["text"] in chars
            for h, adv in [*zip(heights, advances, strict=True), (math.inf, max(advances))]
            if h >= tall - 0.02
        )
        if f["width"] / f["em"] > want + 0.02:
            problems.append(
                f"{f['text']} {tall:.2f} em tall takes {f['width'] / f['em']:.3f} em, its glyph {want:.3f} em"
            )
        clip = {k: f[k] for k in ("x", "y", "width", "height")}
        shot = Image.open(io.BytesIO(gallery.screenshot(clip=clip))).convert("L")
        if shot.getextrema()[0] > 128:
            problems.append(f"{f['text']} {tall:.2f} em tall: no ink in its box")
    assert not problems, f"{name}: {CASES[name]}\n" + "\n".join(f"  - {x}" for x in problems)


def test_book_js_holds_the_same_bracket_variants_as_mathml_py():
    """book.js trims the brackets sized in the browser with its own copy of FENCE_VARIANTS."""
    import json
    import re

    block = re.search(r"var VARIANTS = (\{.*?\n  \});", JS.read_text(encoding="utf-8"), re.S)
    assert block, "no VARIANTS table in book.js"
    text = re.sub(r"//[^\n]*", "", block[1])
    in_js = {k: (tuple(v[0]), tuple(v[1])) for k, v in json.loads(text).items()}
    assert in_js == FENCE_VARIANTS


def test_signs_opening_an_aligned_row_are_binary(gallery):
    r"""``b = &-\tfrac12...`` and ``&+ \log...``: the sign stands apart from the ``=`` before it
    and from what follows (a medium space, 0.22 em, each side), as in TeX, not "=−½" or "+log"."""
    gaps = gallery.evaluate("""() => {
      const em = parseFloat(getComputedStyle(document.querySelector('#aligned-signs math')).fontSize);
      const out = [];
      for (const td of document.querySelectorAll('#aligned-signs mtd')) {
        const sign = [...td.children].find(k => k.tagName.toLowerCase() !== 'mspace');
        if (!sign || !/^[+\u2212]$/.test(sign.textContent.trim())) continue;
        const s = sign.getBoundingClientRect(), next = sign.nextElementSibling.getBoundingClientRect();
        const prev = td.previousElementSibling.lastElementChild;
        out.push({sign: sign.textContent.trim(), after: (next.left - s.right) / em,
                  before: prev ? (s.left - prev.getBoundingClientRect().right) / em : null});
      }
      return out;
    }""")
    assert len(gaps) == 3, gaps
    for g in gaps:
        assert g["after"] > 0.15, f"{g['sign']} glued to what follows it: {g}"
        if g["before"] is not None:
            assert g["before"] > 0.15, f"{g['sign']} glued to the = before it: {g}"


def test_a_sign_that_opens_an_aligned_formula_stays_a_sign():
    r"""``&-\log p \\ &= \dots``: on the first row, with nothing to its left, the minus is the
    formula's sign and keeps to its operand; only continued rows get the binary space."""
    mathml = convert(r"\begin{aligned} &-\log p \\ &\quad= -x \\ &\qquad + y \end{aligned}", True, "t")
    assert "<mo>−</mo><mo" in mathml, mathml
    assert mathml.count('lspace="0.2222em"') == 1, mathml
    assert "data-row" not in mathml and "data-after-empty" not in mathml
