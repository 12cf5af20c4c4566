"""Guards for the first edition's errata (issue 12): what the book says about the post and its
numbers stays true to the post and to the package.

The post itself is not part of the repository; the few facts about it that the book depends on
are stated here once, each beside the test that keeps the book consistent with it.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

#: The post's ``epsilon`` inside its logarithms.
THE_POSTS_OFFSET = 1e-9


def chapter(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_the_posts_offset_is_used_everywhere():
    import inspect

    import book.post
    import book.results as r

    assert r.POST_EPSILON == THE_POSTS_OFFSET
    assert book.post.POST_OFFSET == THE_POSTS_OFFSET
    for func in (book.post.offset_log_loss, book.post.plot_offset_loss):
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
            if line.startswith("!!! note \"The post's doubt"):
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
        f"{page}: {title}: the first mention of the post, {first.group(0)!r}, is not a link to references.md#the-post"
    )


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

    import logreg.gradcheck
    from book import mathml

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
        "<pre><span># eq. obj</span></pre>",
        "api.md",
        index,
    )
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
    wrong = [
        f"{where}: {tex.strip()[:90]}"
        for where, text in _texts()
        for tex in _formulas(text)
        if PENALTY.search(tex) and BARE_E.search(tex) and "E_\\lambda" not in tex
    ]
    assert not wrong, "\n".join(wrong)


def test_the_posts_offset_is_delta_never_epsilon():
    wrong = [
        f"{where}: {tex.strip()[:90]}"
        for where, text in _texts()
        for tex in _formulas(text)
        if OFFSET_AS_EPSILON.search(tex)
    ]
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


# --------------------------------------------------------------------------------------------
# Errata 2-5 and 8-11: what the book says about the post, and the smaller claims, stay true
# --------------------------------------------------------------------------------------------

#: Where the post's toy minimisation starts (its ``x0``).
THE_POSTS_TOY_START = 3.0


@functools.cache
def _values() -> dict[str, str]:
    import book.results as r

    return r.values()


def _prose(name: str) -> str:
    """A chapter without its code blocks (what the reader reads as prose)."""
    return re.sub(r"^(\s*)(`{3,}).*?^\1\2", "", chapter(name), flags=re.S | re.M)


def test_the_naive_logs_failure_thresholds_are_computed_not_typed():
    """Erratum 2: 36.7 (1 - sigma rounds to 0) and -709.8 (sigma does) come from book/results.py."""
    for name in sorted(p.name for p in DOCS.glob("*.md")):
        text = _prose(name)
        assert not re.search(r"36\.7|709", text), f"{name} types a threshold of the naive log by hand"
    box = chapter("fitting.md").split("The post's doubt: the `epsilon` offset", 1)[1].split("\n## ", 1)[0]
    assert "{{ one_minus_sigma_zero_above }}" in box and "{{ sigma_zero_below }}" in box
    # The post's "log overflows" is quoted, never said in the book's own voice.
    for name in sorted(p.name for p in DOCS.glob("*.md")):
        for m in re.finditer(r"log\w* overflows", _prose(name)):
            assert _prose(name)[max(0, m.start() - 2) : m.start()].endswith('"'), name


def test_nothing_says_the_post_loops_over_its_grid():
    """Erratum 3: the post evaluates its grid with meshgrid, reshape and one call."""
    from logreg import plotting

    texts = {name: _prose(name) for name in ("sigmoid.md", "index.md")}
    texts["plot_sigmoid_contours"] = plotting.plot_sigmoid_contours.__doc__
    for where, text in texts.items():
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            assert not ("post" in sentence and re.search(r"\bloop(?:s|ing)? over", sentence)), (where, sentence)
    assert "meshgrid" in texts["plot_sigmoid_contours"] and "meshgrid" in texts["sigmoid.md"]


def test_the_posts_bias_first_order_is_named_where_its_numbers_are_compared():
    """Erratum 4: the post prepends the ones and prints (bias, w1, w2)."""
    for name in ("likelihood.md", "fitting.md"):
        assert "(b, w_1, w_2)" in chapter(name), name
    assert "prepend" in chapter("likelihood.md") and "prepend" in chapter("regularisation.md")


def test_the_references_cite_murphy_and_the_library_documentation():
    """Erratum 5: what the chapters use is listed."""
    text = chapter("references.md")
    assert "{#murphy}" in text and "*Probabilistic Machine Learning: An Introduction*" in text and "2022" in text
    docs = text.split("{#library-docs}", 1)[1].split("\n## ", 1)[0]
    for what in ("check_grad", "minimize", "LogisticRegression", "Logit"):
        assert what in docs, what


def test_no_page_gives_the_post_an_author_it_does_not_name():
    """Erratum 5: the seed text names no author; the book must not describe one."""
    for name in sorted(p.name for p in DOCS.glob("*.md")):
        for sentence in re.split(r"(?<=[.!?])\s+", _prose(name)):
            if re.search(r"\bpost\b", sentence):
                assert not re.search(r"\b(?:student|professor|researcher|he|she|his|her)\b", sentence, re.I), (
                    name,
                    sentence,
                )


def test_the_worked_2d_example_is_computed():
    """Erratum 8: w = (3/2, -2), b = 2: boundary x2 = 0.75 x1 + 1, distance 0.8, sigma(2)."""
    values = _values()
    assert (values["terrible_slope"], values["terrible_intercept"], values["terrible_distance"]) == ("0.75", "1", "0.8")
    assert float(values["terrible_sigma_origin"]) == pytest.approx(1 / (1 + math.exp(-2)), abs=5e-4)
    text = chapter("sigmoid.md")
    assert "$x_2 = {{ terrible_slope }}\\,x_1 + {{ terrible_intercept }}$" in text
    for name in ("terrible_distance", "terrible_sigma_origin", "exercise: contour-09"):
        assert "{{ " + name + " }}" in text, name
    assert "logit" in text


def test_what_the_post_printed_is_explained():
    """Erratum 9: hess_inv, nfev, njev, status, and SciPy's default gtol on the infinity norm."""
    import inspect

    import numpy as np
    from scipy.optimize._optimize import _minimize_bfgs

    section = chapter("fitting.md").split("## What the post printed", 1)[1].split("\n## ", 1)[0]
    for field in ("`hess_inv`", "`nfev`", "`njev`", "`status`", "{{ scipy_bfgs_gtol }}", "infinity norm"):
        assert field in section, field
    defaults = inspect.signature(_minimize_bfgs).parameters
    assert defaults["gtol"].default == 1e-5 and defaults["norm"].default == np.inf
    assert _values()["scipy_bfgs_norm"] == "np.inf"


def test_the_scikit_learn_recipes_are_all_given():
    """Erratum 10: lambda = 0, the default C = 1 (lambda = 0.5), the post's penalised bias."""
    text = chapter("regularisation.md")
    assert "C=np.inf" in text or "penalty=None" in text
    assert "{{ sklearn_default_l2 }}" in text and _values()["sklearn_default_l2"] == "0.5"
    assert "fit_intercept=False" in text and "penalize_bias=True" in text


def test_the_smaller_claims_stay_corrected():
    """Erratum 11, the parts a test can hold."""
    import tomllib

    import book.results as r
    from book.figures import REGISTRY

    # lambda -> infinity: w -> 0 and sigma -> the base rate is stated.
    assert "base rate" in _prose("regularisation.md")
    # No closed form is *known*; nothing claims that none exists, apart from the post's own words.
    for name in sorted(p.name for p in DOCS.glob("*.md")):
        for m in re.finditer(r"there is no closed[- ]form|no sequence of algebraic", _prose(name), re.I):
            raise AssertionError(f"{name}: {m.group(0)!r}")
    assert "no closed-form solution of them is known" in _prose("optimisation.md")
    # The separable figure's alt text: the lambda = 0 boundary has slope about -0.57, not vertical.
    slope = -r.separable_fit(0.0).weights[0] / r.separable_fit(0.0).weights[1]
    assert -1 < slope < 0 and "vertical" not in REGISTRY["separable-boundaries"].alt
    assert "upper left to lower right" in REGISTRY["separable-boundaries"].alt
    # The explorer: with lambda = 0 on separable data there is no minimiser (not one "at infinity").
    explorers = (ROOT / "book" / "explorers.py").read_text(encoding="utf-8")
    assert "at infinity" not in explorers and "no minimiser" in explorers
    # The likelihood chapter's intro states the rank condition with "exactly one".
    intro = _prose("likelihood.md").split("\n## ", 1)[0]
    assert "exactly one" in intro and "linear combination" in intro
    # "H Delta = -g is well-posed" only with lambda > 0.
    well_posed = _prose("beyond.md").split("well-posed", 1)[1][:200]
    assert "\\lambda > 0" in well_posed
    # The toy example starts where the post starts.
    assert f"x0 = np.array([{THE_POSTS_TOY_START}])  # where the post starts" in chapter("optimisation.md")
    # The convergence figure states its tolerance, and 1/L is defined beside it.
    assert f"tol = {r.CONVERGENCE_TOL:g}" in REGISTRY["convergence"].caption
    before = chapter("beyond.md").split("{{ figure: convergence }}", 1)[0][-1500:]
    assert "1/L" in before and "{{ gd_lipschitz }}" in before
    # `pip install .` brings what pyproject.toml says, threadpoolctl among it.
    needs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = [re.split(r"[<>=!~ \[]", d, maxsplit=1)[0] for d in needs]
    assert "threadpoolctl" in names
    line = next(
        line
        for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("pip install .  ")
    )
    for package in names:
        assert package.replace("-", "") in line.replace("-", "").lower(), (package, line)
