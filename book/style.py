"""The book's own look for its figures: Matplotlib settings for the light and the dark page.

``logreg.plotting`` draws (its functions take an ``ax`` and choose colours a reader of the
package would want too); how the book renders those drawings into SVG for its two palettes is
the build's business, so it lives here, beside the figure registry that uses it
(:mod:`book.figures`).
"""

from __future__ import annotations

from typing import Any, Literal

Palette = Literal["light", "dark"]


def book_style(palette: Palette = "light") -> dict[str, Any]:
    """Matplotlib rcParams for the book's figures, for the light or the dark palette.

    Transparent backgrounds let one figure sit on either page colour; only the ink (text, axes,
    grid) changes. The font is Matplotlib's bundled DejaVu Sans, so output does not depend on the
    fonts of the machine, and the SVG settings make two renders byte-identical.

    Examples:
        >>> import matplotlib as mpl
        >>> from book.style import book_style
        >>> with mpl.rc_context(book_style("dark")):
        ...     mpl.rcParams["text.color"]
        '#e6e6e6'
    """
    if palette not in ("light", "dark"):
        raise ValueError(f"palette must be 'light' or 'dark', got {palette!r}")
    ink = "#222222" if palette == "light" else "#e6e6e6"
    grid = "#d0d0d0" if palette == "light" else "#4a4d55"
    return {
        "font.family": "DejaVu Sans",
        "font.size": 10.0,
        "mathtext.fontset": "dejavusans",
        "figure.facecolor": "none",
        "axes.facecolor": "none",
        "savefig.facecolor": "none",
        "savefig.transparent": True,
        "text.color": ink,
        "axes.labelcolor": ink,
        "axes.edgecolor": ink,
        "xtick.color": ink,
        "ytick.color": ink,
        "grid.color": grid,
        "grid.linewidth": 0.6,
        "axes.grid": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "lines.linewidth": 2.0,
        "svg.fonttype": "path",
        "svg.hashsalt": "logreg-book",
        "image.interpolation": "nearest",
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "path.simplify": True,
    }
