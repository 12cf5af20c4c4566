"""Guards for the first edition's errata (issue 12): what the book says about the post and its
numbers stays true to the post and to the package.

The post itself is not part of the repository; the few facts about it that the book depends on
are stated here once, each beside the test that keeps the book consistent with it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: The post's ``epsilon`` inside its logarithms.
THE_POSTS_OFFSET = 1e-9


def chapter(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_the_posts_offset_is_used_everywhere():
    import book.results as r
    from logreg import plotting

    assert r.POST_EPSILON == THE_POSTS_OFFSET
    assert plotting.POST_OFFSET == THE_POSTS_OFFSET
    import inspect

    for func in (plotting.offset_log_loss, plotting.plot_offset_loss):
        assert inspect.signature(func).parameters["offset"].default == THE_POSTS_OFFSET, func.__name__


def test_the_offset_figure_describes_the_cap_it_draws():
    import book.results as r
    from book.figures import REGISTRY

    cap = -math.log(r.POST_EPSILON)
    alt = REGISTRY["offset-loss"].alt
    assert f"about {cap:.1f}" in alt, alt
    assert r.values()["offset_cap"] == r.fmt(cap, 3)


def test_where_the_posts_logarithms_fail_is_computed_not_typed():
    import numpy as np

    import book.results as r

    above = r.one_minus_sigma_rounds_to_zero_above()
    assert 1 - 1 / (1 + np.exp(-above)) == 0 and 1 - 1 / (1 + np.exp(-np.nextafter(above, 0))) > 0
    assert math.isclose(above, 53 * math.log(2), rel_tol=1e-12)
    below = r.sigma_rounds_to_zero_below()
    with np.errstate(over="ignore"):
        assert 1 / (1 + np.exp(-below)) == 0 and 1 / (1 + np.exp(-np.nextafter(below, 0))) > 0


def _doubt_boxes():
    for path in sorted(DOCS.glob("*.md")):
        lines = path.read_text(encoding="utf-8").split("\n")
        for i, line in enumerate(lines):
            if line.startswith('!!! note "The post\'s doubt'):
                body = []
                for later in lines[i + 1 :]:
                    if later.strip() and not later.startswith("    "):
                        break
                    body.append(later)
                yield path.name, line, "\n".join(body)


@pytest.mark.parametrize(("page", "title", "body"), list(_doubt_boxes()), ids=lambda v: str(v)[:40])
def test_every_doubt_box_credits_the_post_at_its_first_mention(page, title, body):
    first = re.search(r"\[?\b[Tt]he post\b(?:'s)?\]?(?:\([^)]*\))?", body)
    assert first, f"{page}: {title} never mentions the post in its text"
    assert first.group(0).endswith("(references.md#the-post)"), (
        f"{page}: {title}: the first mention of the post, {first.group(0)!r}, is not a link to "
        "references.md#the-post")


def test_the_references_describe_the_post_without_inventing_an_author():
    text = chapter("references.md")
    entry = text.split("{#the-post}", 1)[1].split("\n## ", 1)[0]
    assert "names no author, date or address" in entry
    assert "http" not in entry


def test_contour_lines_are_at_eighths_and_labelled_exactly_inside_the_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import book.results as r
    from logreg.plotting import plot_sigmoid_contours

    fig, ax = plt.subplots()
    drawn = plot_sigmoid_contours(ax, r.TERRIBLE_W, r.TERRIBLE_B, *r.blobs())
    assert np.allclose(drawn["lines"].levels, np.arange(1, 8) / 8)  # no empty level at 0 or 1
    texts = sorted(t.get_text() for t in drawn["labels"])
    assert texts == ["0.125", "0.375", "0.625", "0.875"], texts
    fig.canvas.draw()
    frame = ax.get_window_extent()
    for t in drawn["labels"]:
        box = t.get_window_extent()
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, t
    plt.close(fig)


def test_crowded_contours_get_no_labels():
    """The unpenalised fit on separable data squeezes the lines together: labels would overlap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import book.results as r
    from logreg.plotting import plot_sigmoid_contours

    fig, ax = plt.subplots()
    fit = r.separable_fit(0.0)
    assert plot_sigmoid_contours(ax, fit.weights, fit.bias, *r.separable())["labels"] == []
    plt.close(fig)


@pytest.mark.parametrize("levels", [[0.0, 0.5], [0.5, 1.0], [0.6, 0.4], [[0.5]]])
def test_bad_contour_levels_are_refused(levels):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import book.results as r
    from logreg.plotting import plot_sigmoid_contours

    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="levels"):
        plot_sigmoid_contours(ax, r.TERRIBLE_W, r.TERRIBLE_B, *r.blobs(), levels=levels)
    plt.close(fig)


def test_no_caption_promises_levels_0_to_1():
    from book.figures import REGISTRY

    for name, figure in REGISTRY.items():
        assert "0.125" not in figure.caption and "0 to 1" not in figure.caption, name


def test_docstring_math_is_protected_from_emphasis():
    """The gradcheck docstring's underbraces used to come out with literal <em> (erratum 12)."""
    import markdown

    from book import mathml
    import logreg.gradcheck

    html = markdown.Markdown(extensions=[mathml.MathExtension()]).convert(logreg.gradcheck.__doc__)
    mathml.check_no_emphasis_in_math(html, "logreg.gradcheck")
    assert "$" not in html
    assert html.count("<munder") >= 2 and "truncation" in html and "rounding" in html


def test_emphasis_inside_math_fails_the_build():
    from book import mathml

    with pytest.raises(mathml.MathError, match="emphasis inside a formula"):
        mathml.check_no_emphasis_in_math("<p>$\\underbrace{a}<em>{b} + c</em>$</p>", "api.md")
    mathml.check_no_emphasis_in_math("<p>costs $5 and <em>more</em></p>", "api.md")


def test_docstring_labels_become_linked_equation_numbers():
    from book import mathml

    index = mathml.EquationIndex()
    index.urls = {"api.md": "api/", "regularisation.md": "regularisation/"}
    index.scan(5, "regularisation.md", "regularisation/", chapter("regularisation.md"))
    out = mathml.link_label_mentions(
        "(book eqs. <code>obj</code> and <code>gradpen</code>), eq. <code>nowhere</code>"
        "<pre><span># eq. obj</span></pre>", "api.md", index)
    assert '(eqs. <a class="eqref" href="../regularisation/#eq-obj">(5.1)</a> and ' in out
    assert "eq. <code>nowhere</code>" in out  # left for book/pagecheck.py to fail the build on
    assert '# eq. <a class="eqref" href="../regularisation/#eq-obj">(5.1)</a></span>' in out


# --------------------------------------------------------------------------------------------
# Erratum 6: one symbol, one meaning. E is the negative log-likelihood, E_lambda the penalised
# objective, delta the post's offset, epsilon the machine epsilon: in the chapters, the
# notebook and every docstring the API pages render
# --------------------------------------------------------------------------------------------

FORMULA = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$((?:\\\$|[^$])+?)\$", re.S)
BARE_E = re.compile(r"(?<![\\A-Za-z{])E(?![_A-Za-z])")  # E, not E_\lambda, \mathbb E or \mathcal{E}
PENALTY = re.compile(r"\\lambda\s*\\lVert|2\s*\\lambda|\\lambda\s*b\^2")
OFFSET_AS_EPSILON = re.compile(r"\+\s*\\(?:var)?epsilon\s*\)|\\log\s*\\(?:var)?epsilon\b")


def _texts():
    """Every chapter, the notebook's markdown cells and every docstring in logreg/."""
    import ast

    for path in sorted(DOCS.glob("*.md")):
        yield path.name, path.read_text(encoding="utf-8")
    notebook = (DOCS / "walkthrough.py").read_text(encoding="utf-8")
    yield "walkthrough.py", "\n".join(line[2:] for line in notebook.splitlines() if line.startswith("# "))
    for path in sorted((ROOT / "logreg").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in [tree, *ast.walk(tree)]:
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node, clean=False)
                if doc:
                    yield f"logreg/{path.name}:{getattr(node, 'name', 'module')}", doc


def _formulas(text: str):
    for m in FORMULA.finditer(re.sub(r"```.*?```", "", text, flags=re.S)):
        yield m.group(1) or m.group(2)


def test_a_formula_with_the_penalty_names_the_penalised_objective():
    """A formula that has the penalty term in it and writes the objective as bare E (the old
    gradient and Hessian docstrings: nabla_w E = X^T(sigma - y) + 2 lambda w) uses the NLL's
    symbol for the penalised objective."""
    wrong = [f"{where}: {tex.strip()[:90]}" for where, text in _texts() for tex in _formulas(text)
             if PENALTY.search(tex) and BARE_E.search(tex) and "E_\\lambda" not in tex]
    assert not wrong, "\n".join(wrong)


def test_the_posts_offset_is_delta_never_epsilon():
    wrong = [f"{where}: {tex.strip()[:90]}" for where, text in _texts() for tex in _formulas(text)
             if OFFSET_AS_EPSILON.search(tex)]
    assert not wrong, "\n".join(wrong)


def test_the_symbol_guards_catch_the_old_spellings():
    old_gradient = r"\nabla_w E = \sum_n (\sigma(a_n) - y_n)\, x_n + 2\lambda w"
    assert PENALTY.search(old_gradient) and BARE_E.search(old_gradient)
    for fine in (r"\mathbb E_{\vy}", r"E_\lambda(\vw, b)", r"\mathcal{E}", r"\Exp"):
        assert not BARE_E.search(fine), fine
    assert OFFSET_AS_EPSILON.search(r"-\log(\sigma(a) + \epsilon)") and OFFSET_AS_EPSILON.search(r"-\log\epsilon")
    assert not OFFSET_AS_EPSILON.search(r"-\log(\sigma(a) + \delta)")


def test_the_summary_names_the_objective_it_prints():
    import logreg

    X, y = logreg.make_blobs(60, seed=3)
    assert "\nE(w, b) = " in logreg.fit(X, y).summary()
    assert "\nE_lambda(w, b) = " in logreg.fit(X, y, l2=1.0).summary()
