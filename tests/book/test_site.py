"""The site test: a strict, clean build of the book, then checks on the HTML a reader gets.

``mkdocs build --strict`` already fails on warnings, broken links and anchors, a raising cell or
figure. These tests check what the build cannot see: every chapter and figure actually arrived
(in both palettes, with alt text), nothing broken was published (a traceback, unconverted LaTeX,
a leftover placeholder), the notebook download is a real notebook, equation links land on an
equation, the site fetches nothing from another host, and two clean builds agree byte for byte.

The build runs once per session from a snapshot of the working tree (see ``tests/book/_site.py``);
a second, parallel build of the same snapshot is only compared with the first.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

# built_site, built_source, second_site, warm_site and site_builds come from conftest.py (shared builds).
from tests.book._site import (  # noqa: F401 - site_pages is a fixture, used by name
    ROOT,
    dest_path,
    load_config,
    nav_pages,
    python_digest,
    resolve,
    site_pages,
    tree_state,
)

FIGURE_PLACEHOLDER = re.compile(r"\{\{\s*figure\s*:\s*(?P<name>[\w.-]+)\s*\}\}")
NOTEBOOK_PAGE = "walkthrough/index.html"
NOTEBOOK_DOWNLOAD = "walkthrough/walkthrough.ipynb"
TRACEBACK = "Traceback (most recent call last)"
# Link relations that do not make the browser fetch anything.
INERT_RELS = {"canonical", "alternate", "next", "prev", "author", "license", "me", "help"}
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)  # http://, https://, //host
CSS_URL = re.compile(r"""url\(\s*['"]?\s*(?:https?:)?//[^)'"]*""", re.I)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?['"]?\s*(?:https?:)?//[^;'")]*""", re.I)
# What mkdocs-jupyter writes when a notebook output has no alt text: not a description.
PLACEHOLDER_ALT = {"no description has been provided for this image"}


def _nav(source: Path) -> list[tuple[str, str, str]]:
    """(title, source path, built path) of every nav page of the built snapshot."""
    config = load_config(source)
    directory_urls = config.get("use_directory_urls", True)
    return [(t, src, dest_path(src, directory_urls)) for t, src in nav_pages(config)]


def _registry():
    from book.figures import PALETTES, REGISTRY

    return REGISTRY, PALETTES


def _listing(problems: list[str], limit: int = 40) -> str:
    shown = problems[:limit]
    more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
    return "\n".join(shown) + more


def test_figure_svgs_do_not_depend_on_the_process(built_site, built_source):
    """A figure rendered here, in the test process, is the same SVG the build wrote.

    The two builds compare two fresh processes; this compares a fresh process with one that has
    run other tests (and rendered the image tests' PNGs) first, so a render that depends on
    state left behind (rcParams, a mutated cached result) fails here. If the working tree's
    ``logreg/`` or ``book/`` changed since the snapshot was built, each figure is instead rendered
    twice here and the two compared.
    """
    registry, palettes = _registry()
    order = [(name, palette) for name in registry for palette in palettes]
    if python_digest(ROOT) == python_digest(built_source):
        differ = [
            f"{n}-{p}.svg"
            for n, p in reversed(order)
            if registry[n].svg(p) != (built_site / "figures" / f"{n}-{p}.svg").read_bytes()
        ]
        assert not differ, f"rendered in the test process, these differ from the build's: {differ}"
    else:
        first = {key: registry[key[0]].svg(key[1]) for key in order}
        differ = [f"{n}-{p}" for n, p in reversed(order) if registry[n].svg(p) != first[(n, p)]]
        assert not differ, f"a second render in the same process differs: {differ}"


# --------------------------------------------------------------------------------------------
# The build and its pages
# --------------------------------------------------------------------------------------------


def test_strict_build_succeeds(site_builds, built_site):
    build = site_builds[0]
    assert (built_site / "index.html").is_file()
    print(f"clean strict build: {build.seconds:.1f} s")


def test_every_chapter_in_the_nav_is_built(built_site, built_source):
    pages = _nav(built_source)
    assert pages, "mkdocs.yml has no nav"
    missing = [f"{title} ({src}): no {dest}" for title, src, dest in pages if not (built_site / dest).is_file()]
    assert not missing, "\n".join(missing)


def test_every_figure_placeholder_became_a_light_and_a_dark_image(built_site, built_source, site_pages):
    problems = []
    for _, src, dest in _nav(built_source):
        source = built_source / "docs" / src
        if not src.endswith(".md") or not source.is_file():
            continue
        names = [m["name"] for m in FIGURE_PLACEHOLDER.finditer(source.read_text(encoding="utf-8"))]
        page = site_pages.get(dest)
        if page is None:
            problems += [f"{src}: figure {n!r}, but the page {dest} was not built" for n in names]
            continue
        for name in names:
            imgs = page.figures.get(f"fig-{name}")
            if imgs is None:
                problems.append(f'{dest}: no <figure id="fig-{name}"> for {{{{ figure: {name} }}}}')
                continue
            for palette in ("light", "dark"):
                found = [
                    img
                    for img in imgs
                    if (img.get("src") or "").split("#")[0].endswith(f"figures/{name}-{palette}.svg")
                ]
                if not found:
                    problems.append(f"{dest}: figure {name!r} has no {palette} image")
                    continue
                img = found[0]
                if not img["src"].endswith(f"#only-{palette}"):
                    problems.append(f"{dest}: {img['src']} lacks #only-{palette} (shown in both palettes)")
                target = resolve(built_site, dest, img["src"])
                file = target[0] if target else None
                if file is None or not file.is_file():
                    problems.append(f"{dest}: {img['src']} points to no file")
                elif file.stat().st_size == 0 or b"<svg" not in file.read_bytes()[:2000]:
                    problems.append(f"{dest}: {img['src']} is empty or not an SVG")
                if not (img.get("alt") or "").strip():
                    problems.append(f"{dest}: {img['src']} has no alt text")
    assert not problems, _listing(problems)


def test_every_image_has_alt_text(site_pages):
    problems = [
        f"{uri}: <img src={(img.get('src') or '')[:60]!r}...> has no alt text"
        + (f" (only {img['alt']!r})" if (img.get("alt") or "").strip() else "")
        for uri, page in site_pages.items()
        for img in page.find("img")
        if (img.get("alt") or "").strip().lower() in PLACEHOLDER_ALT | {""}
    ]
    assert not problems, _listing(problems)


def test_site_shows_only_registered_figures(built_site, site_pages):
    """A figure on the site that no image test compares cannot exist (docs/DESIGN: Figures)."""
    registry, palettes = _registry()
    expected = {f"{name}-{palette}.svg" for name in registry for palette in palettes}
    problems = []
    for uri, page in site_pages.items():
        for img in page.find("img"):
            src = img.get("src") or ""
            if src.startswith("data:image/png;base64,") and img.get("data-figure") in registry:
                # The notebook embeds registry figures (on white); it must be exactly that render.
                embedded = base64.b64decode(src.split(",", 1)[1].split("#")[0])  # less #only-light
                if embedded != registry[img["data-figure"]].png("light", background="white"):
                    problems.append(f"{uri}: embedded {img['data-figure']!r} differs from the registry's")
                continue
            target = resolve(built_site, uri, src)
            if target is None:
                shown = src if not src.startswith("data:") else src[:40] + "..."
                problems.append(f"{uri}: <img src={shown!r}> is not a registered figure")
            elif target[0].parent != built_site / "figures" or target[0].name not in expected:
                problems.append(f"{uri}: <img src={src!r}> is not a registered figure")
    built = {p.name for p in (built_site / "figures").glob("*")}
    if built - expected:
        problems.append(f"figures/ holds files the registry does not list: {sorted(built - expected)}")
    if expected - built:
        problems.append(f"figures/ lacks registered figures: {sorted(expected - built)}")
    assert not problems, (
        "images on the site that book/figures.py does not list, so no image test compares them:\n" + _listing(problems)
    )


# --------------------------------------------------------------------------------------------
# Nothing broken is published
# --------------------------------------------------------------------------------------------


def test_no_traceback_is_published(site_pages):
    """An exception's traceback (a markdown-exec error block, a notebook error) on any page.

    A traceback inside a doctest (a code block with ``>>>`` prompts, e.g. a docstring example of
    the ValueError that bad input raises) is documentation, not an error, and is allowed.
    """
    problems = []
    for uri, page in site_pages.items():
        if TRACEBACK in page.prose:
            problems.append(f"{uri}: a traceback in the page text")
        for block in page.blocks:
            if TRACEBACK in block and ">>>" not in block:
                last = [line for line in block.strip().splitlines() if line.strip()][-1]
                problems.append(f"{uri}: a published traceback ending {last.strip()[:120]!r}")
    assert not problems, _listing(problems)


RAW_TEX = [
    (re.compile(r"\$\$"), "display-math delimiters $$"),
    (re.compile(r"LRMATH\d*X?"), "a math placeholder token of book/mathml.py"),
    (re.compile(r"\\(?:eqref|label|ref|begin|end)\{"), "a LaTeX command"),
    (re.compile(r"\$[^$\n]*\\(?:[A-Za-z]+|[,;:!])[^$\n]*\$"), "inline $...$ math"),
    (re.compile(r"\\\(|\\\["), "\\( or \\[ math delimiters"),
    (re.compile(r"\{\{\s*[\w.:\s-]+\}\}"), "a {{ placeholder }} the build did not replace"),
]


def test_no_raw_tex_or_placeholder_in_page_text(built_site, site_pages):
    """Unconverted math or a leftover token in what the reader reads (code and <pre> excluded)."""
    problems = []
    for uri, page in site_pages.items():
        for pattern, what in RAW_TEX:
            for m in pattern.finditer(page.prose):
                context = page.prose[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
                problems.append(f"{uri}: {what}: ...{context.strip()}...")
    index = built_site / "search" / "search_index.json"
    if index.is_file() and "LRMATH" in index.read_text(encoding="utf-8"):
        problems.append("search/search_index.json: math placeholder tokens (LRMATH) in the search index")
    assert not problems, _listing(problems)


# --------------------------------------------------------------------------------------------
# The notebook
# --------------------------------------------------------------------------------------------


def test_notebook_page_and_download(built_site, built_source):
    nav_dests = [dest for _, src, dest in _nav(built_source) if src.endswith(".ipynb")]
    assert NOTEBOOK_PAGE in nav_dests, f"the nav has no walkthrough notebook page (has {nav_dests})"
    assert (built_site / NOTEBOOK_PAGE).is_file(), f"{NOTEBOOK_PAGE} was not built"
    download = built_site / NOTEBOOK_DOWNLOAD
    assert download.is_file(), f"the notebook download {NOTEBOOK_DOWNLOAD} was not written"
    nb = json.loads(download.read_text(encoding="utf-8"))
    assert nb.get("nbformat") == 4, f"{NOTEBOOK_DOWNLOAD} is nbformat {nb.get('nbformat')!r}, not 4"
    import nbformat

    nbformat.validate(nbformat.from_dict(nb))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert any(c.get("outputs") for c in code), f"{NOTEBOOK_DOWNLOAD} has no code cell with outputs (not executed?)"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{NOTEBOOK_DOWNLOAD} holds error outputs: {[e.get('ename') for e in errors]}"


def test_some_page_links_to_the_notebook_download(built_site, site_pages):
    """The executed notebook is "offered for download": a reader can only get it through a link."""
    target = built_site / NOTEBOOK_DOWNLOAD
    linking = [
        uri
        for uri, page in site_pages.items()
        for a in page.find("a")
        if (r := resolve(built_site, uri, a.get("href") or "")) is not None and r[0] == target
    ]
    assert linking, f"no page links to {NOTEBOOK_DOWNLOAD}, so readers cannot download the notebook"


# --------------------------------------------------------------------------------------------
# Links and requests
# --------------------------------------------------------------------------------------------


def test_equation_links_land_on_an_equation(built_site, site_pages):
    problems, count = [], 0
    for uri, page in site_pages.items():
        for a in page.find("a"):
            if "eqref" not in (a.get("class") or "").split():
                continue
            count += 1
            href = a.get("href") or ""
            target = resolve(built_site, uri, href)
            if target is None:
                problems.append(f"{uri}: equation link {href!r} leaves the site")
                continue
            file, fragment = target
            rel = file.relative_to(built_site).as_posix() if file.is_relative_to(built_site) else str(file)
            if not fragment.startswith("eq-"):
                problems.append(f"{uri}: equation link {href!r} has no #eq-... fragment")
            elif rel not in site_pages:
                problems.append(f"{uri}: equation link {href!r} points to no page ({rel})")
            elif fragment not in site_pages[rel].ids:
                problems.append(f"{uri}: equation link {href!r}: {rel} has no id {fragment!r}")
    assert not problems, f"{len(problems)} of {count} equation links are broken:\n" + _listing(problems)


EXERCISE = re.compile(
    r'<div class="exercise-anchor" id="ex-(?P<name>[a-z0-9-]+)"></div>\s*'
    r'<div class="admonition exercise"(?: data-search-exclude)?>\s*'
    r'<p class="admonition-title">Exercise (?P<number>\d+\.\d+) '
    r'<span class="exercise-stars" role="img" aria-label="difficulty (?P<stars>[123]) of 3"[^>]*>[★☆]{3}</span>'
)


def test_every_chapter_has_exercises_with_collapsed_solutions(built_source, site_pages):
    """3-6 exercises per chapter (book/exercises.py), numbered in order, each with a difficulty
    and one solution, folded until the reader opens it."""
    from book.hooks import chapter_numbers
    from tests.book.test_exercises import MAX_EXERCISES, MIN_EXERCISES, NOT_CHAPTERS, PENDING

    chapters = chapter_numbers(load_config(built_source))  # 1, 2, ... skipping extra.unnumbered
    problems = []
    for _, src, dest in _nav(built_source):
        if not src.endswith(".md") or src in NOT_CHAPTERS or src in PENDING:
            continue
        chapter = chapters[src]
        html = site_pages[dest].path.read_text(encoding="utf-8")
        found = list(EXERCISE.finditer(html))
        if not MIN_EXERCISES <= len(found) <= MAX_EXERCISES:
            problems.append(f"{dest}: {len(found)} exercises, not {MIN_EXERCISES} to {MAX_EXERCISES}")
        numbers = [m["number"] for m in found]
        if numbers != [f"{chapter}.{k}" for k in range(1, len(found) + 1)]:
            problems.append(f"{dest}: exercises numbered {numbers}")
        for m, after in zip(found, [*found[1:], None], strict=False):
            box = html[m.end() : after.start() if after else len(html)]
            solutions = re.findall(r'<details class="success"( open)?>\s*<summary>Solution</summary>', box)
            if solutions != [""]:
                problems.append(f"{dest}: exercise {m['number']} has solutions {solutions} (want one, collapsed)")
            if m["name"] and f"ex-{m['name']}" not in site_pages[dest].ids:
                problems.append(f"{dest}: exercise {m['number']} has no anchor")
    assert not problems, _listing(problems)


def test_exercise_links_land_on_an_exercise(built_site, site_pages):
    problems, count = [], 0
    for uri, page in site_pages.items():
        for a in page.find("a"):
            if "exref" not in (a.get("class") or "").split():
                continue
            count += 1
            target = resolve(built_site, uri, a.get("href") or "")
            if target is None:
                problems.append(f"{uri}: exercise link {a.get('href')!r} leaves the site")
                continue
            file, fragment = target
            rel = file.relative_to(built_site).as_posix() if file.is_relative_to(built_site) else str(file)
            if not fragment.startswith("ex-") or rel not in site_pages or fragment not in site_pages[rel].ids:
                problems.append(f"{uri}: exercise link {a.get('href')!r} lands on no exercise")
    assert count, "no page links to an exercise with {{ exercise: name }}"
    assert not problems, f"{len(problems)} of {count} exercise links are broken:\n" + _listing(problems)


def test_nothing_is_fetched_from_another_host(built_site, site_pages):
    """The book works offline: no script, stylesheet, font or image from a third-party host."""
    problems = []
    for uri, page in site_pages.items():
        for tag, attrs in page.tags:
            urls = []
            if tag in ("script", "img", "iframe", "source", "audio", "video", "embed", "track", "input"):
                urls.append(attrs.get("src") or "")
            if tag in ("img", "source"):
                urls += [part.split()[0] for part in (attrs.get("srcset") or "").split(",") if part.strip()]
            if tag == "link" and not set((attrs.get("rel") or "").lower().split()) <= INERT_RELS:
                urls.append(attrs.get("href") or "")
            if tag == "object":
                urls.append(attrs.get("data") or "")
            problems += [f"{uri}: <{tag}> loads {u}" for u in urls if EXTERNAL.match(u)]
    for css in sorted(built_site.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        for m in CSS_URL.finditer(text):
            problems.append(f"{css.relative_to(built_site)}: {m.group(0)}")
        for m in CSS_IMPORT.finditer(text):
            # An @import inside a rule block is invalid CSS and ignored by browsers (markdown-exec's
            # pyodide stylesheet has two); only a top-level one is fetched.
            if text.count("{", 0, m.start()) == text.count("}", 0, m.start()):
                problems.append(f"{css.relative_to(built_site)}: {m.group(0)}")
    assert not problems, _listing(problems)


def test_no_script_with_an_empty_src(site_pages):
    """``<script src="">`` is a broken include; book/hooks.py means to remove mkdocs-jupyter's."""
    problems = [
        f'{uri}: <script src="">'
        for uri, page in site_pages.items()
        for attrs in page.find("script")
        if "src" in attrs and not attrs["src"].strip()
    ]
    assert not problems, _listing(problems)


# --------------------------------------------------------------------------------------------
# Reproducibility
# --------------------------------------------------------------------------------------------

NOT_REPRODUCIBLE = {"sitemap.xml", "sitemap.xml.gz"}  # carry the build date, by design
#: Wall-clock times the build measures (book/part2_eval.py `measured`): the one kind of number
#: that differs between two builds, by nature. Blanked before two clean builds are compared;
#: everything around them must still be the same bytes.
MEASURED = re.compile(rb'<span class="measured" data-search-exclude>[^<]*</span>')


def _differences(a: Path, b: Path, files: list[str], *, blank_measured: bool = False) -> list[str]:
    out = []
    for rel in files:
        fa, fb = a / rel, b / rel
        if not fb.exists():
            out.append(f"{rel}: only in the first build")
            continue
        da, db = fa.read_bytes(), fb.read_bytes()
        if blank_measured:
            da, db = MEASURED.sub(b"<measured>", da), MEASURED.sub(b"<measured>", db)
        if da == db:
            continue
        la, lb = da.decode("utf-8", "replace").splitlines(), db.decode("utf-8", "replace").splitlines()
        first = next((i for i, (x, y) in enumerate(zip(la, lb, strict=False)) if x != y), min(len(la), len(lb)))
        x = la[first] if first < len(la) else ""
        y = lb[first] if first < len(lb) else ""
        col = next((i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), min(len(x), len(y)))
        lo = max(0, col - 60)
        out.append(f"{rel}, line {first + 1}:\n    1st: {x[lo : col + 80]!r}\n    2nd: {y[lo : col + 80]!r}")
    return out


def _files(site: Path, suffixes: tuple[str, ...] | None = None, exclude: tuple[str, ...] = ()) -> list[str]:
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*")
        if p.is_file()
        and p.name not in NOT_REPRODUCIBLE
        and (suffixes is None or p.suffix in suffixes)
        and p.suffix not in exclude
    )


def test_two_clean_builds_give_the_same_figures(built_site, second_site):
    """docs/DESIGN: "Two clean builds give the same bytes for every figure"."""
    a, b = _files(built_site / "figures"), _files(second_site / "figures")
    assert a and a == b, f"the two builds rendered different figure sets: {a} vs {b}"
    problems = _differences(built_site / "figures", second_site / "figures", a)
    assert not problems, "figure SVGs differ between two clean builds:\n" + _listing(problems)


def test_two_clean_builds_give_the_same_html(built_site, second_site):
    """Every page is the same bytes from two clean builds of one tree (at two different paths)."""
    a, b = _files(built_site, (".html",)), _files(second_site, (".html",))
    assert a == b, f"the two builds made different pages: {sorted(set(a) ^ set(b))}"
    problems = _differences(built_site, second_site, a, blank_measured=True)
    assert not problems, "pages differ between two clean builds of the same sources:\n" + _listing(problems)


def test_two_clean_builds_give_the_same_other_files(built_site, second_site):
    """Everything else the site ships (notebook, search index, assets), except the sitemap's date."""
    a, b = _files(built_site, exclude=(".html",)), _files(second_site, exclude=(".html",))
    assert a == b, f"the two builds wrote different files: {sorted(set(a) ^ set(b))}"
    problems = _differences(built_site, second_site, [f for f in a if not f.startswith("figures/")])
    assert not problems, "files differ between two clean builds of the same sources:\n" + _listing(problems)


# The cache entries book/hooks.py logs, one line each: "book cache: <kind> computed|hit".
CACHE_KINDS = ("figures", "values", "explorers", "notebook")


def _cache_log(build) -> dict[str, str]:
    found = dict(re.findall(r"book cache: (\w+) (computed|hit)", build.output))
    return {kind: found.get(kind, "not logged") for kind in CACHE_KINDS}


def test_a_warm_build_gives_the_same_files_as_a_cold_one(site_builds, built_site, warm_site):
    """A cache hit must give what a miss gave: every file, HTML and the rest, the same bytes
    (the explorers' data is embedded in two pages, the figures and notebook are served from it)."""
    cold, warm = _cache_log(site_builds.clean), _cache_log(site_builds.warm)
    assert set(cold.values()) == {"computed"}, f"the first build did not start cold: {cold}"
    assert set(warm.values()) == {"hit"}, f"the second build of the same tree was not warm: {warm}"
    a, b = _files(built_site), _files(warm_site)
    assert a == b, f"the cold and the warm build wrote different files: {sorted(set(a) ^ set(b))}"
    problems = _differences(built_site, warm_site, a)
    assert not problems, "files differ between a cold and a warm build:\n" + _listing(problems)
    print(
        f"cold build {site_builds.clean.seconds:.1f} s; warm build {site_builds.warm.seconds:.1f} s "
        "(including its wait for the lock)"
    )


def test_two_builds_at_once_in_one_tree_take_turns(site_builds, built_site, warm_site):
    """Two `make site` in one tree: the second waits for the lock instead of pruning and renaming
    what the first is writing (which crashed one of them with a FileNotFoundError)."""
    assert "another build is using" in site_builds.warm.output, (
        "the build started while another held the lock did not wait for it"
    )


def test_a_read_only_tree_builds_with_its_cache_elsewhere(site_builds, second_site):
    """LOGREG_CACHE_DIR outside a read-only checkout: the build succeeds (second_site) and writes
    nothing into the tree, and the cache is where the variable says."""
    build = site_builds.read_only
    after = tree_state(build.src)
    before = site_builds.read_only_before
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"the build wrote into the read-only tree: {changed[:20]}"
    assert not (build.src / ".cache").exists()
    assert build.cache is not None and set(_cache_log(build).values()) == {"computed"}
    for kind in (*CACHE_KINDS, "mkdocs-jupyter"):
        assert (build.cache / kind).is_dir(), f"no {kind}/ in {build.cache}"
    if not site_builds.read_only_enforced:
        pytest.skip(
            "running as root without setpriv: the permissions were not enforced "
            "(the tree was still checked for writes above)"
        )


def test_measured_times_are_marked_and_kept_out_of_search(built_site):
    """The build's wall-clock measurements (choosing-lambda) are on the page, marked, and left
    out of the search index, so that they are the only bytes two clean builds may differ in."""
    page = (built_site / "choosing-lambda" / "index.html").read_bytes()
    spans = [m.decode() for m in MEASURED.findall(page)]
    assert len(spans) >= 6, f"expected the path and CV timings to be marked, found {spans}"
    index = (built_site / "search" / "search_index.json").read_text("utf-8")
    assert 'class="measured' not in index and "data-search-exclude" not in index
    for span in spans:
        value = re.sub(r"<[^>]+>", "", span)
        assert f"{value} ms" not in index, f"a measured time ({value} ms) reached the search index"


# --------------------------------------------------------------------------------------------
# Erratum 12: the API pages as built
# --------------------------------------------------------------------------------------------


def test_docstrings_and_listings_cite_equation_numbers_not_labels(built_site, site_pages):
    """A docstring's ``eq. ``obj``` and a listing's ``# eq. loglik`` reach the reader as linked
    numbers; the gradcheck formula keeps both underbrace labels and has no Markdown in it."""
    problems, linked = [], {}
    for uri in site_pages:
        text = (built_site / uri).read_text(encoding="utf-8")
        linked[uri] = text.count('class="eqref"')
        for m in re.finditer(r"\beqs?\. <code>[\w-]+</code>|#\s*eqs?\.\s+[A-Za-z][\w-]*", text):
            problems.append(f"{uri}: an internal equation label: {m.group(0)!r}")
        if re.search(r"<math\b(?:(?!</math>).)*?<(?:em|strong)>", text, re.S):
            problems.append(f"{uri}: Markdown emphasis inside MathML")
    assert not problems, _listing(problems)
    api = (built_site / "api" / "index.html").read_text(encoding="utf-8")
    gradcheck = api[api.index('id="logreg.gradcheck"') :][:20000]
    assert "<mtext>truncation</mtext>" in gradcheck and "<mtext>rounding</mtext>" in gradcheck
    assert 'href="../optimisation/#eq-fderr"' in gradcheck
    assert linked["api/index.html"] >= 10 and '# eq. <a class="eqref"' in (
        built_site / "likelihood" / "index.html"
    ).read_text(encoding="utf-8")
