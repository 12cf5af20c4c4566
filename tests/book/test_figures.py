"""Image comparison: every figure in the registry, in both palettes, against its reviewed baseline.

The registry (``book/figures.py``) is the one list of the figures the book shows. The build renders
it to SVG for the site; these tests render the same entries to PNG with pytest-mpl and compare
them with ``tests/baseline/<name>-<palette>.png``. ``--mpl`` is on by default (``addopts`` in
``pyproject.toml``), so the plain ``pytest`` runs them.

When a comparison fails, pytest-mpl's message names the baseline, the new image and their
difference (under ``test-results/mpl/<test>/``), and at the end of the run it prints the path of
``test-results/mpl/fig_comparison.html``, which shows all three side by side for every figure.
To accept an intended change: ``make baselines``, then look at every image that ``git status``
shows as changed before committing it (see README.md, "Figures and their baselines").

The other tests here keep the registry and the chapters honest: every ``{{ figure: name }}`` in a
chapter names a registered figure, every registered figure is shown by some chapter, and no
chapter shows an image behind the registry's back.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import matplotlib
import pytest

from book.figures import PALETTES, REGISTRY
from book.style import book_style

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BASELINE = ROOT / "tests" / "baseline"


VERSION_FILE = BASELINE / "MATPLOTLIB_VERSION"
DOCS = ROOT / "docs"

# The page colour each palette's figure sits on in the site: Material's --md-default-bg-color for
# the "default" scheme (white) and the "slate" scheme (hsl(225deg 15% 14%)). The figures are
# transparent; the PNGs are composited onto the page colour so that a reviewer sees each baseline
# as a reader sees the figure (the dark palette's light ink would be invisible on a white or
# checkered image viewer). Every drawn pixel still counts in the comparison.
PAGE_BACKGROUND = {"light": "#ffffff", "dark": "#1e2129"}

# pytest-mpl's tolerance is the RMS of the per-channel difference (0-255) over the whole image,
# and a comparison fails when the RMS is larger. The baselines are made with the pinned Matplotlib
# (which bundles its FreeType, see test_matplotlib_is_the_baseline_version), and with it two
# renders are pixel-identical: the RMS between repeated renders, and between renders whose data
# differ by 1e-9, measured 0.0. So the tolerance only has to absorb last-bit floating-point noise
# from another CPU or BLAS (a few antialiased edge pixels off by a level or two: RMS well under
# 0.1). What it must NOT absorb are small real changes, and on these figures those are small in RMS
# because the change is a few pixels in a large image. Measured on the registry (light/dark):
#   a dashed reference line drawn dotted (sigmoid)        1.19 / 1.13
#   one of the 100 data points moved by 0.05 (data)       1.98 / 1.48
#   the legend's "class A" relabelled "class X" (data)    2.15 / 1.89
#   lines.linewidth 2.0 -> 2.5                            2.2 to 6.8
#   class A's colour #D55E00 -> #E69F00 (data)            3.20 / 3.18
#   an imperceptible colour shift #009E73 -> #00A070      0.18 / 0.18
# pytest-mpl's default of 2 would pass the first three, so it is too loose here. 0.5 sits a factor
# of ~2 under the smallest visible change measured and several times above rendering noise; it
# lets through only changes nobody could see (like the last row).
TOLERANCE = 0.5


def _case(name: str, palette: str):
    """One comparison, with its own marker: the style and background depend on the palette."""
    compare = pytest.mark.mpl_image_compare(
        baseline_dir=str(BASELINE),
        filename=f"{name}-{palette}.png",
        tolerance=TOLERANCE,
        # pytest-mpl resets rcParams to Matplotlib's defaults and applies this style around the
        # test and the savefig, as the build does (BookFigure.svg saves inside the book style).
        # Its default, "classic", would change every rcParam the book style does not set.
        style=book_style(palette),
        savefig_kwargs={"facecolor": PAGE_BACKGROUND[palette], "dpi": 100},
    )
    return pytest.param(name, palette, id=f"{name}-{palette}", marks=compare)


CASES = [_case(name, palette) for name in REGISTRY for palette in PALETTES]


@pytest.mark.parametrize(("name", "palette"), CASES)
def test_figure(name, palette):
    return REGISTRY[name].render(palette)


def test_every_figure_has_a_baseline():
    """A registered figure without a baseline, or a baseline of a figure no longer registered."""
    expected = {f"{name}-{palette}.png" for name in REGISTRY for palette in PALETTES}
    present = {p.name for p in BASELINE.glob("*.png")}
    missing, stale = sorted(expected - present), sorted(present - expected)
    assert not missing, f"no baseline for {missing}: run `make baselines` and look at the new images"
    assert not stale, f"baselines for figures not in book/figures.py: {stale}; delete them"


def test_matplotlib_is_the_baseline_version():
    """The baselines are only comparable under the Matplotlib (and bundled FreeType) that made them."""
    made_with = VERSION_FILE.read_text(encoding="utf-8").strip()
    assert matplotlib.__version__ == made_with, (
        f"the image baselines were made with Matplotlib {made_with}, this is {matplotlib.__version__}: "
        "text and antialiasing differ between versions, so the image comparisons mean nothing here. "
        "Run the tests in the pinned environment (`make test`, which installs requirements.lock); "
        "if the pin itself was raised on purpose, run `make baselines` and review every image."
    )


def test_baselines_match_the_pin():
    """Raising the Matplotlib pin in pyproject.toml without regenerating the baselines fails here."""
    test_deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]["test"]
    pins = [d.split("==", 1)[1].strip() for d in test_deps if re.match(r"matplotlib\s*==", d)]
    assert pins, "pyproject.toml's [test] extra must pin matplotlib exactly (matplotlib==X.Y.Z)"
    made_with = VERSION_FILE.read_text(encoding="utf-8").strip()
    assert pins[0] == made_with, (
        f"pyproject.toml pins matplotlib=={pins[0]} but the baselines were made with {made_with}: "
        "run `make baselines` in the pinned environment and review every image"
    )


# --------------------------------------------------------------------------------------------
# The registry and the chapters agree
# --------------------------------------------------------------------------------------------

# Anything that looks like a figure placeholder, however malformed; the hook's own pattern then
# decides whether it would really be replaced (a placeholder it does not match would be published
# as literal text).
FIGURE_REF = re.compile(r"\{\{\s*figure\s*:\s*(?P<name>[^}]*?)\s*\}\}")
# Images put in a chapter by hand: Markdown images and raw <img> tags (code blocks are removed
# first, so a chapter may show the syntax).
MD_IMAGE = re.compile(r"!\[[^\]]*\]\s*[(\[]")
HTML_IMG = re.compile(r"<img\b", re.IGNORECASE)
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}).*?^(?P=indent)(?P=fence)[ \t]*$", re.M | re.S)
INLINE_CODE = re.compile(r"(`+).+?\1", re.S)


def _chapters() -> dict[str, str]:
    """Every Markdown source of the site (``assets/`` holds maintainers' notes, not pages)."""
    return {
        p.relative_to(DOCS).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(DOCS.rglob("*.md"))
        if "assets" not in p.relative_to(DOCS).parts
    }


def _notebook_markdown(source: str) -> str:
    """The Markdown cells of a jupytext percent-format notebook, other lines blanked."""
    out, markdown = [], False
    for line in source.splitlines():
        if line.startswith("# %%"):
            markdown = "[markdown]" in line
            out.append("")
        elif markdown:
            out.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
        else:
            out.append("")
    return "\n".join(out)


def _placeholder_pattern() -> re.Pattern[str]:
    from book.hooks import PLACEHOLDER  # the build's own syntax, so the two cannot drift

    return PLACEHOLDER


def test_chapters_name_only_registered_figures():
    pattern = _placeholder_pattern()
    problems = []
    for uri, text in _chapters().items():
        for m in FIGURE_REF.finditer(text):
            if not pattern.fullmatch(m.group(0)):
                problems.append(f"{uri}: {m.group(0)!r} is not a placeholder the build replaces")
            elif m["name"] not in REGISTRY:
                problems.append(f"{uri}: figure {m['name']!r} is not in book/figures.py")
    assert not problems, "\n".join(problems) + f"\nregistered figures: {', '.join(REGISTRY)}"


def test_every_registered_figure_is_shown():
    """A registered figure no chapter shows is dead weight in the tests and the build."""
    from book.figures import NARROW_SUFFIX

    used = {m["name"] for text in _chapters().values() for m in FIGURE_REF.finditer(text)}
    # A narrow variant is shown with its figure, where the column is narrow (book/hooks.py).
    used |= {name + NARROW_SUFFIX for name in used}
    unused = [name for name in REGISTRY if name not in used]
    assert not unused, (
        f"registered but shown by no chapter: {unused}; put {{{{ figure: name }}}} in a chapter "
        "or remove the entry (and its baselines) from book/figures.py"
    )


def test_chapters_show_no_image_outside_the_registry():
    """Every figure reaches the site through the registry, so every figure is compared."""
    problems = []
    sources = dict(_chapters())
    notebook = DOCS / "walkthrough.py"
    if notebook.exists():
        sources[notebook.name] = _notebook_markdown(notebook.read_text(encoding="utf-8"))
    for uri, text in sources.items():
        blank = lambda m: "\n" * m.group(0).count("\n")
        prose = INLINE_CODE.sub(blank, FENCE.sub(blank, text))
        for pattern in (MD_IMAGE, HTML_IMG):
            for m in pattern.finditer(prose):
                line = prose[: m.start()].count("\n") + 1
                snippet = prose[m.start() : m.start() + 60].splitlines()[0]
                problems.append(f"{uri} (~line {line}): {snippet!r}")
    assert not problems, (
        "images put in a page by hand, which no image test compares; register them in "
        "book/figures.py and use {{ figure: name }}:\n" + "\n".join(problems)
    )


def test_narrow_variant_constants_agree_with_the_build():
    """book/hooks.py keeps copies (a cached build does not import Matplotlib); they must match."""
    from book import figures, hooks

    assert (hooks.NARROW_MEDIA, hooks.NARROW_SUFFIX) == (figures.NARROW_MEDIA, figures.NARROW_SUFFIX)


@pytest.mark.parametrize("name", ["separable-boundaries", "separable-boundaries-narrow"])
def test_separable_contour_labels_do_not_touch(name):
    """In each panel of the separable figure no contour label touches another (their rotated
    boxes, with book.figures.LABEL_ROOM_PT around each): the λ = 0.1 panel's narrow band had
    four labels running into each other on the desktop figure. The outer levels stay labelled."""
    import matplotlib.pyplot as plt

    from book.figures import LABEL_ROOM_PT, _label_corners, _rectangles_meet

    fig = REGISTRY[name].render("light")
    try:
        fig.draw_without_rendering()
        room = 0.9 * LABEL_ROOM_PT * fig.dpi / 72
        for ax in fig.axes:
            labels = [t for t in ax.texts if re.fullmatch(r"0\.\d+", t.get_text())]
            boxes = [(t.get_text(), _label_corners(t, room)) for t in labels]
            touching = [
                (a, b) for i, (a, qa) in enumerate(boxes) for b, qb in boxes[i + 1 :] if _rectangles_meet(qa, qb)
            ]
            assert not touching, f"{name}, {ax.get_title()}: labels touching: {touching}"
            if labels:
                assert {"0.125", "0.875"} <= {t.get_text() for t in labels}, ax.get_title()
    finally:
        plt.close(fig)
