"""MkDocs hooks: how the chapters get their figures, numbers, formulas and the notebook.

Listed under ``hooks:`` in ``mkdocs.yml``. In build order:

1. ``on_files``: render every figure in :mod:`book.figures` (light and dark SVG), compute the
   numbers in :mod:`book.results` and the data of the interactive figures in
   :mod:`book.explorers`, execute the walk-through notebook, and add all of it to the
   site as generated files. Nothing is written into ``docs/``. Each is cached under ``.cache/``
   (or ``$LOGREG_CACHE_DIR``) by a hash of everything it depends on (the ``logreg`` and ``book``
   sources, the notebook, the installed packages' versions), so an unchanged tree rebuilds fast
   and any change re-renders; :mod:`book.cache` says how entries are keyed, written and read.
2. ``on_page_markdown``: replace ``{{ name }}`` with a computed number, ``{{ figure: name }}``
   with the figure, ``{{ explorer: name }}`` with an interactive figure and its data (drawn by
   ``docs/assets/javascripts/explorers.js``), number the exercises and run their solutions'
   code (see :mod:`book.exercises`), mark which code blocks are runnable listings and which
   program each belongs to (see :mod:`book.listings`), and take the LaTeX out (see
   :mod:`book.mathml`).
   Placeholders are filled in code too (an executed listing may show the book's numbers);
   ``\\{{ name }}`` is the escape that leaves ``{{ name }}`` as it is.
3. ``on_page_content``: put MathML back where the LaTeX was, link the equation labels that
   docstrings and listing comments cite, check the page (:mod:`book.pagecheck`), and move the
   listings' marks onto their code blocks as ``data-listing`` attributes.

Anything wrong (an unknown name, a failing figure, a formula that does not convert, a cell that
raises) raises here, naming the chapter's source file and line where there is one, and
``mkdocs build --strict`` stops. From ``on_pre_build`` to the end of the build a lock
(:class:`book.cache.BuildLock`) keeps a second build sharing the cache waiting.
"""

from __future__ import annotations

import base64
import json
import logging
import posixpath
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from book import cache, exercises, listings, mathml, pagecheck  # noqa: E402

log = logging.getLogger("mkdocs.book")
NOTEBOOK_SOURCE = "walkthrough.py"  # jupytext (percent format), in docs/
NOTEBOOK = "walkthrough.ipynb"  # executed, with outputs: rendered and offered for download
# A backslash before the braces (group "escape") keeps the placeholder as literal text.
PLACEHOLDER = re.compile(r"(?P<escape>\\)?\{\{\s*(?:(?P<kind>figure|explorer):\s*)?(?P<name>[\w.-]+)\s*\}\}")
ESCAPE_HINT = "(to show the braces as they are, write \\{{ ... }})"

_state: dict = {}
_lock = cache.BuildLock()

source_hash = cache.key  # the cache key: sources, notebook, installed versions (book/cache.py)
_fresh_dir = cache.fresh_dir


def _figures(key: str) -> tuple[dict[str, Path], dict[str, dict]]:
    """Render the registry (or reuse the cache): files by site path, and each figure's text.

    The alt text, caption and size are cached beside the SVGs, so an unchanged tree rebuilds
    without importing Matplotlib at all.
    """
    folder = _fresh_dir("figures", key)
    index = folder / "index.json"
    meta = cache.read_json(index)
    svgs = [f"{name}-{palette}.svg" for name in meta or () for palette in ("light", "dark")]
    if not isinstance(meta, dict) or not all((folder / svg).is_file() for svg in svgs):
        from book.figures import PALETTES, REGISTRY

        for name, figure in REGISTRY.items():
            for palette in PALETTES:
                cache.write_atomic(folder / f"{name}-{palette}.svg", figure.svg(palette))
        meta = {
            name: {"alt": f.alt, "caption": f.caption, "width": int(f.size[0] * 100)} for name, f in REGISTRY.items()
        }
        text = json.dumps(meta, indent=1, sort_keys=True)
        cache.write_atomic(index, text.encode())  # written last: marks the folder complete
        meta = json.loads(text)
        log.info("book cache: figures computed (%d)", len(meta))
    else:
        log.info("book cache: figures hit (%d)", len(meta))
    files = {f"figures/{p.name}": p for p in sorted(folder.glob("*.svg"))}
    return files, meta


def _cached_json(kind: str, key: str, compute):
    """``compute()`` once per key, kept as JSON in ``<cache>/<kind>/<key>`` (floats round-trip).

    A miss returns what a hit will read back (the written JSON, parsed), so a cold and a warm
    build see the same data, key order included.
    """
    folder = _fresh_dir(kind, key)
    path = folder / f"{kind}.json"
    data = cache.read_json(path)
    if data is not None:
        log.info("book cache: %s hit", kind)
        return data
    text = cache.dumps(compute())
    cache.write_atomic(path, text.encode())
    log.info("book cache: %s computed", kind)
    return json.loads(text)


def _values(key: str) -> dict[str, str]:
    from book.results import values  # imported here: a cache hit need not load logreg

    return _cached_json("values", key, values)


def _explorers(key: str) -> dict[str, dict]:
    from book.explorers import data

    return _cached_json("explorers", key, data)


def _notebook(key: str, source: Path, values: dict[str, str] | None = None) -> Path:
    """Execute the jupytext source once per key; a raising cell fails the build.

    ``{{ name }}`` in its cells is filled from ``values`` first (:func:`fill_notebook`), so the
    notebook a reader downloads holds the book's numbers as plain literals. It runs in a
    temporary folder, not the repository: it is meant to run anywhere with only ``logreg``
    installed (``tests/book/test_standalone.py`` runs the downloaded file so).
    """
    folder = _fresh_dir("notebook", key)
    path = folder / NOTEBOOK
    stored = cache.read_json(path)
    if isinstance(stored, dict) and isinstance(stored.get("cells"), list):
        log.info("book cache: notebook hit")
        return path
    import tempfile

    import jupytext
    import nbformat
    from nbclient import NotebookClient

    nb = jupytext.read(source)
    fill_notebook(nb, values or {})
    for i, cell in enumerate(nb.cells):  # fixed ids (jupytext makes random ones): same bytes each build
        cell["id"] = f"cell-{i}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    with tempfile.TemporaryDirectory(prefix="logreg-notebook-") as cwd:
        NotebookClient(
            nb,
            kernel_name="python3",
            allow_errors=False,
            timeout=300,
            record_timing=False,
            resources={"metadata": {"path": cwd}},
        ).execute()
    merge_streams(nb)
    cache.write_atomic(path, nbformat.writes(nb).encode())
    log.info("book cache: notebook computed")
    return path


def _notebook_pngs(folder: Path, names: list[str]) -> dict[str, Path]:
    """The registry's light render, on white, of each figure the notebook draws: what its page
    shows in the light palette (a few tens of kB each, where the SVG would take the page over
    1 MB). Cached beside the executed notebook, under the same key."""
    out = {name: folder / f"{name}-light.png" for name in names}
    missing = [name for name, path in out.items() if not path.is_file()]
    if missing:
        from book.figures import REGISTRY

        for name in missing:
            cache.write_atomic(out[name], REGISTRY[name].png("light", background="white"))
    return out


IMPORTS_BOOK = re.compile(r"^[ \t]*(?:import|from)[ \t]+book\b", re.M)


def fill_notebook(nb, values: dict[str, str]) -> None:
    """Fill the ``{{ name }}`` placeholders of every cell, in place, as in the chapters; refuse a
    code cell that imports ``book`` (a reader who downloads the notebook does not have it)."""
    for i, cell in enumerate(nb.cells, start=1):
        where = f"{NOTEBOOK_SOURCE}, cell {i}"

        def put(m: re.Match[str], where: str = where) -> str:
            if m["escape"]:
                return m[0][1:]
            if m["kind"]:
                raise PluginError(
                    f"{where}: {m[0]} is for the chapters; the notebook draws its figures with logreg.plotting"
                )
            if m["name"] not in values:
                raise PluginError(f"{where}: no computed value named {m['name']!r} in book/results.py {ESCAPE_HINT}")
            return values[m["name"]]

        cell["source"] = PLACEHOLDER.sub(put, cell["source"])
        if cell["cell_type"] == "code" and IMPORTS_BOOK.search(cell["source"]):
            raise PluginError(f"{where} imports book: the downloadable notebook must run with only logreg installed")


def notebook_figures(nb: dict) -> list[str]:
    """Which registry figure each image of the executed notebook is, in order.

    A code cell that draws names its figures in its metadata, ``# %% figures=["a", "b"]`` in the
    jupytext source, one registry name per image it outputs, in order. The notebook draws them
    with ``logreg.plotting`` (Matplotlib's default style, on white); its page shows the registry's
    light and dark renders of the same figures instead (:func:`_notebook_figures`), which the
    image tests compare.
    """
    names: list[str] = []
    for i, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        images = sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
        named = list(cell.get("metadata", {}).get("figures", []))
        if images != len(named):
            raise PluginError(
                f"{NOTEBOOK_SOURCE}, cell {i}: draws {images} figure(s) but names "
                f"{len(named)} ({named}); write # %% figures=[...] with the registry "
                "name of each figure it draws, in order"
            )
        names += named
    return names


def merge_streams(nb) -> None:
    """Join consecutive stream outputs of one name (stdout, stderr) in every cell, in place.

    The kernel sends a cell's prints as one stream message or several, depending on how far
    apart in time they come (its buffer is flushed about every 0.2 s), and nbclient stores one
    output per message; merged, the notebook's bytes do not depend on the machine's load.
    """
    for cell in nb.cells:
        merged: list = []
        for out in cell.get("outputs", []):
            prev = merged[-1] if merged else None
            if (
                out.get("output_type") == "stream"
                and prev is not None
                and prev.get("output_type") == "stream"
                and prev.get("name") == out.get("name")
            ):
                prev["text"] = _text(prev["text"]) + _text(out["text"])
            else:
                merged.append(out)
        if "outputs" in cell:
            cell["outputs"] = merged


def _text(text) -> str:
    return "".join(text) if isinstance(text, list) else text


@event_priority(100)  # before mkdocstrings' on_config, which copies the Markdown extensions
def on_config(config):
    # LaTeX in docstrings is protected from Markdown's emphasis (see mathml.MathExtension).
    if "markdown_extensions" in config:  # (a test may pass a bare dict)
        config["markdown_extensions"].append(mathml.MathExtension())
    # The offline edition (mkdocs-offline.yml) links files, not folders; Material's offline plugin
    # then inlines the search index as a script, which a page opened from disk may load.
    offline = config["plugins"].get("material/offline")
    if offline is not None:
        offline.config.enabled = not config.get("use_directory_urls", True)
    # mkdocs-jupyter's own cache (the rendered notebook page) moves with the book's cache.
    jupyter = config["plugins"].get("mkdocs-jupyter")
    if jupyter is not None and jupyter.config.get("cache"):
        jupyter.config["cache_dir"] = str(cache.root() / "mkdocs-jupyter")
    return config


@event_priority(100)  # first: before any other build step touches the cache or the site folder
def on_pre_build(config) -> None:
    _lock.acquire()
    jupyter = config["plugins"].get("mkdocs-jupyter")
    if jupyter is not None and jupyter.config.get("cache"):
        # It writes its entries in place and fails on one it cannot parse: drop those first.
        for entry in Path(jupyter.config["cache_dir"]).glob("*.json"):
            if cache.read_json(entry) is None:
                entry.unlink(missing_ok=True)


def on_build_error(error) -> None:
    _lock.release()


@event_priority(100)  # before mkdocs-jupyter's on_files, so it sees the executed notebook
def on_files(files: Files, config) -> Files:
    docs = Path(config["docs_dir"])
    key = source_hash()
    _state["figures"], _state["figure_meta"] = _figures(key)
    _state["values"] = _values(key)
    _state["explorers"] = _explorers(key)
    for uri, path in _state["figures"].items():
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    source = docs / NOTEBOOK_SOURCE
    executed = _notebook(source_hash(source), source, _state["values"])
    _state["notebook_figures"] = notebook_figures(json.loads(executed.read_text(encoding="utf-8")))
    unknown = [name for name in _state["notebook_figures"] if name not in _state["figure_meta"]]
    if unknown:
        raise PluginError(f"{NOTEBOOK_SOURCE}: figures {unknown} are not in book/figures.py")
    _state["notebook_pngs"] = _notebook_pngs(executed.parent, _state["notebook_figures"])
    # A plain File rooted in the cache folder (not File.generated): mkdocs-jupyter's wrapper
    # reads the source path through attributes that only a plain File sets.
    files.append(
        File(
            NOTEBOOK,
            src_dir=str(executed.parent),
            dest_dir=config["site_dir"],
            use_directory_urls=config.get("use_directory_urls", True),
        )
    )
    _state["index"] = _equation_index(config, files)
    _state["exercises"] = _exercise_index(config, files)
    _state["math"] = {}
    return files


def _equation_index(config, files: Files) -> mathml.EquationIndex:
    """Number labelled equations per chapter (:func:`chapter_numbers`)."""
    index = mathml.EquationIndex()
    index.urls = {f.src_uri: f.url for f in files.documentation_pages()}
    for chapter, src_uri, f, text in _numbered_pages(config, files):
        index.scan(chapter, src_uri, f.url, text)
    return index


def _exercise_index(config, files: Files) -> exercises.ExerciseIndex:
    """Number the exercises per chapter, like the equations."""
    index = exercises.ExerciseIndex()
    index.urls = {f.src_uri: f.url for f in files.documentation_pages()}
    for chapter, src_uri, f, text in _numbered_pages(config, files):
        exercises.scan(index, chapter, src_uri, f.url, text)
    return index


def _nav_paths(nav) -> list[str]:
    out: list[str] = []
    for item in nav:
        value = item if isinstance(item, str) else next(iter(item.values()))
        if isinstance(value, list):
            out.extend(_nav_paths(value))
        elif isinstance(value, str) and not value.startswith(("http:", "https:")):
            out.append(value)
    return out


EXERCISE = re.compile(r"^[ \t]*!!!\s*exercise\b", re.M)  # as book/exercises.py starts one


def chapter_numbers(config) -> dict[str, int]:
    """Each chapter's number by its source path: 1, 2, ... in nav order, skipping the pages that
    ``extra.unnumbered`` lists (the introduction, the notebook, the reference pages). Equations
    and exercises are numbered with it: chapter 2's are (2.1), (2.2), ... and Exercise 2.1."""
    unnumbered = set((config.get("extra") or {}).get("unnumbered") or ())
    chapters = [src for src in _nav_paths(config["nav"] or []) if src not in unnumbered]
    return {src: k for k, src in enumerate(chapters, start=1)}


def _numbered_pages(config, files: Files):
    """(chapter number, src_uri, File, Markdown) of each numbered chapter written in Markdown; a
    page left unnumbered may not label an equation or hold exercises (they would have no number)."""
    numbers = chapter_numbers(config)
    for src_uri in _nav_paths(config["nav"] or []):
        f = files.get_file_from_path(src_uri)
        if f is None or not f.abs_src_path or not src_uri.endswith(".md"):
            continue
        text = Path(f.abs_src_path).read_text(encoding="utf-8")
        if src_uri not in numbers:
            if mathml.LABEL.search(text) or EXERCISE.search(text):
                raise PluginError(
                    f"{src_uri}: numbered equations or exercises on a page that "
                    f"mkdocs.yml's extra.unnumbered lists; number the page or drop them"
                )
            continue
        yield numbers[src_uri], src_uri, f, text


def on_nav(nav, config, files):
    """Number the chapters in the nav, and so in each page's title, header and footer links."""
    numbers = chapter_numbers(config)
    _state["chapters"] = numbers
    for page in nav.pages:
        n = numbers.get(page.file.src_uri)
        if n is not None and page.title:
            page.title = f"{n}. {page.title}"
    return nav


H1 = re.compile(r"<h1\b[^>]*>")


def number_heading(html: str, number: int | None) -> str:
    """Put the chapter's number before the text of the page's first ``<h1>``.

    >>> number_heading('<h1 id="x">Maximum likelihood</h1>', 4)
    '<h1 id="x"><span class="chapter-number">4</span> Maximum likelihood</h1>'
    """
    if number is None:
        return html
    m = H1.search(html)
    if m is None:
        return html
    return f'{html[: m.end()]}<span class="chapter-number">{number}</span> {html[m.end() :]}'


def _figure_html(name: str, page_uri: str, where: str = "") -> str:
    """The ``<figure>`` for ``{{ figure: name }}`` on the page built to ``page_uri``; ``where``
    (source file and line) is what an error names."""
    meta = _state["figure_meta"]
    if name not in meta:
        raise PluginError(
            f"{where or page_uri}: figure {name!r} is not in book/figures.py (known: {', '.join(meta)}) {ESCAPE_HINT}"
        )
    fig = meta[name]
    base = posixpath.relpath("figures", posixpath.dirname(page_uri) or ".")
    alt = fig["alt"].replace('"', "&quot;")
    # The height, from the SVG's own viewBox, reserves the figure's box before the lazy image
    # arrives, so the text below does not jump down when it does (cumulative layout shift).
    height = _svg_height(_state["figures"][f"figures/{name}-light.svg"], fig["width"])
    narrow = name + NARROW_SUFFIX
    imgs = ""
    for palette in ("light", "dark"):
        img = (
            f'<img src="{base}/{name}-{palette}.svg#only-{palette}" alt="{alt}" width="{fig["width"]}" '
            f'height="{height}" loading="lazy" decoding="async">'
        )
        if narrow in meta:  # a variant laid out for a narrow column (book/figures.py)
            n_width = meta[narrow]["width"]
            n_height = _svg_height(_state["figures"][f"figures/{narrow}-{palette}.svg"], n_width)
            img = (
                f'<picture><source media="{NARROW_MEDIA}" srcset="{base}/{narrow}-{palette}.svg" '
                f'width="{n_width}" height="{n_height}">{img}</picture>'
            )
        imgs += img
    return (
        f'<figure class="book-figure" id="fig-{name}">{imgs}'
        f'<figcaption markdown="span">{fig["caption"]}</figcaption></figure>'
    )


#: Kept in step with book/figures.py (NARROW_MEDIA, NARROW_SUFFIX), which a cached build need not import.
NARROW_MEDIA = "(max-width: 44.9375em)"
NARROW_SUFFIX = "-narrow"

VIEWBOX = re.compile(rb'viewBox="\s*[-\d.]+[\s,]+[-\d.]+[\s,]+(?P<w>[\d.]+)[\s,]+(?P<h>[\d.]+)\s*"')


def _svg_height(path: Path, width: int) -> int:
    """The height in CSS pixels of an SVG shown ``width`` pixels wide, from its viewBox."""
    m = VIEWBOX.search(path.read_bytes()[:2000])
    if m is None:
        raise PluginError(f"{path.name}: no viewBox in the SVG, so its height cannot be reserved")
    return round(width * float(m["h"]) / float(m["w"]))


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri == NOTEBOOK:  # rendered by mkdocs-jupyter; its math is done in on_page_content
        # It retells the chapters; leaving it out of the search index keeps results pointing
        # at the explanations (and the index, which every page downloads, smaller).
        page.meta["search"] = {"exclude": True}
        return markdown
    values = _state["values"]
    dest = page.file.dest_uri
    source, first_line = source_location(page, markdown)
    markdown = name_executed_blocks(markdown, source, first_line)
    # A number after a formula's "=" goes inside the formula; inside, it is written as LaTeX.
    markdown = mathml.numbers_into_math(markdown, values)
    in_math = mathml.math_spans(markdown)

    def put(m: re.Match[str]) -> str:
        if m["escape"]:
            return m[0][1:]
        where = f"{source}:{first_line + m.string.count(chr(10), 0, m.start())}"
        if m["kind"] == "figure":
            return _figure_html(m["name"], dest, where)
        if m["kind"] == "explorer":
            from book.explorers import html

            try:
                return html(m["name"], _state["explorers"], where)
            except KeyError as error:
                raise PluginError(f"{error.args[0]} {ESCAPE_HINT}") from None
        if m["name"] not in values:
            raise PluginError(f"{where}: no computed value named {m['name']!r} in book/results.py {ESCAPE_HINT}")
        if any(s <= m.start() < e for s, e in in_math):
            tex = mathml.value_tex(values[m["name"]])
            if tex is None:
                raise PluginError(
                    f"{where}: {{{{ {m['name']} }}}} is inside a formula but its value "
                    f"{values[m['name']]!r} is not a number"
                )
            return tex
        return values[m["name"]]

    markdown = PLACEHOLDER.sub(put, markdown)
    # Mark which blocks are runnable listings and which program each belongs to (after the
    # placeholders, whose error messages count lines; the exercises mark their own).
    markdown = listings.mark(markdown, page.file.src_uri)
    index = _state.get("exercises") or exercises.ExerciseIndex()
    markdown = exercises.render(markdown, page.file.src_uri, index)  # runs their code
    markdown, stash = mathml.protect(markdown, page.file.src_uri, _state["index"])
    _state["math"][page.file.src_uri] = stash
    return markdown


def source_location(page, markdown: str) -> tuple[str, int]:
    """The page's source file (relative to the project when it is inside it) and the line of
    that file on which ``markdown`` starts (MkDocs has removed any YAML front matter)."""
    path = Path(page.file.abs_src_path or page.file.src_uri)
    try:
        name = path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return name, 1
    head = len(text) - len(markdown)
    return name, (text.count("\n", 0, head) + 1 if head >= 0 and text.endswith(markdown) else 1)


FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def name_executed_blocks(markdown: str, source: str, first_line: int = 1) -> str:
    """Give every executed code block (``exec="on"``, markdown-exec) without an ``id`` the id
    ``<source>:<line of its opening fence>``, which markdown-exec names when the block fails."""
    lines = markdown.split("\n")
    fence = None  # the opening fence while inside a code block
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if fence is not None:
            if m and m["fence"][0] == fence[0] and len(m["fence"]) >= len(fence) and not m["info"].strip():
                fence = None
            continue
        if m is None:
            continue
        fence = m["fence"]
        info = m["info"]
        if re.search(r"\bexec=", info) and not re.search(r"(?:^|[\s{])id=", info):
            ident = f' id="{source}:{first_line + i}"'
            braced = info.rstrip().endswith("}")
            info = info.rstrip()[:-1] + ident + "}" if braced else info.rstrip() + ident
            lines[i] = m["indent"] + m["fence"] + info
    return "\n".join(lines)


def on_page_content(html: str, page, config, files) -> str:
    html = number_heading(html, _state.get("chapters", {}).get(page.file.src_uri))
    html = _page_content(html, page)
    html = unique_line_anchors(html)
    html = keep_permalink_with_last_word(html)
    if getattr(page, "toc", None) is not None:
        qualify_duplicate_toc_titles(page.toc)
    # MkDocs renders every page's content before any page's template (on_post_page), so by then
    # every numbered equation of the book is here, for the previews of links to other pages.
    _state.setdefault("equation_html", {}).update(numbered_equations(html))
    return html


PRE = re.compile(r"<pre\b.*?</pre>", re.S)
LINE_ANCHOR = re.compile(r"__codelineno-\d+-")


def unique_line_anchors(html: str) -> str:
    """Number the code blocks' line anchors (``__codelineno-B-L``) once per page.

    pymdownx.highlight counts blocks per Markdown conversion, and markdown-exec's outputs and
    mkdocstrings' docstrings are each converted on their own, so every one restarts at block 0:
    the API page had ``__codelineno-0-1`` 55 times (duplicate ids; links to the wrong line).

    >>> unique_line_anchors('<pre><a id="__codelineno-0-1"></a></pre><pre><a id="__codelineno-0-1"></a></pre>')
    '<pre><a id="__codelineno-0-1"></a></pre><pre><a id="__codelineno-1-1"></a></pre>'
    """
    count = iter(range(1 << 30))

    def block(m: re.Match[str]) -> str:
        if "__codelineno-" not in m.group(0):
            return m.group(0)
        k = next(count)
        return LINE_ANCHOR.sub(f"__codelineno-{k}-", m.group(0))

    return PRE.sub(block, html)


HEADERLINK = re.compile(
    r"(?P<word>[^\s<>]+|<(?P<tag>code|em|strong)>[^<]*</(?P=tag)>)"
    r'(?P<link><a class="headerlink"[^>]*>[^<]*</a>)'
)


def keep_permalink_with_last_word(html: str) -> str:
    """Glue each heading's permalink symbol to the heading's last word, so that on a phone the
    symbol never wraps onto a line of its own.

    >>> keep_permalink_with_last_word('<h2 id="a">The data<a class="headerlink" href="#a">¶</a></h2>')
    '<h2 id="a">The <span class="book-nowrap">data<a class="headerlink" href="#a">¶</a></span></h2>'
    """
    return HEADERLINK.sub(lambda m: f'<span class="book-nowrap">{m["word"]}{m["link"]}</span>', html)


def qualify_duplicate_toc_titles(toc) -> None:
    """Tell apart entries of a page's contents that read the same. Two with one title
    (``predict`` of two classes) get their owner's name (``FitResult.predict``), and a module
    listed under a section that already ends with its name ("The model", then "model") gets its
    full name (``logreg.model``); both come from the anchor, which mkdocstrings makes the
    object's full path (``logreg.fitting.FitResult.predict``)."""
    entries: list = []

    def walk(items, parent):
        for item in items:
            entries.append((item, parent))
            walk(item.children, item)

    walk(toc, None)
    titles = [e.title for e, _ in entries]
    for i, (e, _) in enumerate(entries):
        if "." not in e.id:
            continue
        before = entries[i - 1][0] if i else None  # the section just above: parent or sibling
        if before is not None and before.title.lower().endswith(" " + e.title.lower()):
            e.title = e.id
        elif titles.count(e.title) > 1:
            e.title = ".".join(e.id.split(".")[-2:])


NUMBERED_EQUATION = re.compile(
    r'<div class="equation" id="(?P<id>eq-[\w-]+)">(?P<inner>.*?<span class="eqno">[^<]*</span>)</div>', re.S
)
EQREF_HREF = re.compile(r'<a class="eqref" href="(?P<page>[^"#]*)#(?P<id>eq-[\w-]+)"')


def numbered_equations(html: str) -> dict[str, str]:
    """The inner HTML of each numbered display equation of a page, by its anchor."""
    return {m["id"]: m["inner"] for m in NUMBERED_EQUATION.finditer(html)}


def preview_template(html: str, equations: dict[str, str]) -> str:
    """A ``<template>`` with a copy of each equation on another page that ``html`` links to.

    ``book.js`` shows the target equation when the pointer rests on (or the keyboard focuses) an
    equation link; for one on the same page it copies the equation itself, for the others it
    needs them here, since a page opened from disk cannot fetch another. A ``<template>`` is
    neither shown, nor read by screen readers, nor indexed by search.
    """
    wanted = sorted({m["id"] for m in EQREF_HREF.finditer(html) if m["page"]})
    missing = [w for w in wanted if w not in equations]
    if missing:
        raise PluginError(f"equation links to {missing} have no numbered equation to preview")
    if not wanted:
        return ""
    body = "".join(f'<div class="equation" data-preview="{w}">{equations[w]}</div>' for w in wanted)
    return f'<template id="book-equation-previews">{body}</template>'


def _page_content(html: str, page) -> str:
    stash = _state["math"].pop(page.file.src_uri, None)
    if stash is not None:
        # Docstrings rendered by mkdocstrings (the API page) carry $...$ that never passed
        # through the Markdown hook; convert whatever is left, outside code.
        html = mathml.restore(html, stash)
        pagecheck.check_formulas(html, page.file.src_uri)
        html = pagecheck.drop_pending(html, _state["index"])
        html = mathml.link_label_mentions(html, page.file.src_uri, _state["index"])
        html = mathml.render_html_math(html, page.file.src_uri)
    elif page.file.src_uri == NOTEBOOK:
        # The notebook's markdown cells keep their $...$ as text; mkdocs-jupyter would load
        # MathJax for them (from an empty URL unless configured). Convert them here instead.
        html = _notebook_figures(_lighten_notebook(html), page.file.dest_uri)
        pagecheck.check_formulas(html, page.file.src_uri)
        html = mathml.render_html_math(html, page.file.src_uri)
    # No TeX left as text, no emphasis inside a formula, no internal equation label (pagecheck).
    pagecheck.check_page(html, page.file.src_uri, _state["index"])
    try:
        html = listings.attributes(html, page.file.src_uri)
    except listings.ListingError as error:
        raise PluginError(str(error)) from None
    return _listings_out_of_search(html)


def _listings_out_of_search(html: str) -> str:
    """Code listings and their outputs, and the exercises, are left out of the search index
    (``data-search-exclude``): they were more than a third of the index, which every page
    downloads, and noise in the results; the prose around a listing names what it does, and
    inline code stays searchable."""
    html = re.sub(r"<pre\b(?![^>]*data-search-exclude)", "<pre data-search-exclude", html)
    # The exercises too, statements and worked solutions: they restate the chapter, and a reader
    # searching for a term wants the chapter's own explanation first (the exercises are linked
    # from the chapter's text and numbered, so they are found by reading).
    return re.sub(
        r'<div class="admonition exercise"(?![^>]*data-search-exclude)',
        '<div class="admonition exercise" data-search-exclude',
        html,
    )


NOTEBOOK_IMAGE = re.compile(r'<img\b[^>]*\bsrc="data:image/png;base64,[^"]*"[^>]*>')


def _notebook_figures(html: str, page_uri: str) -> str:
    """The notebook's figures as the chapters show them: the registry's light (PNG, embedded) and
    dark (SVG) renders, with its alt text and caption, in place of each image the notebook drew.

    The downloaded ``.ipynb`` keeps its own PNGs (drawn by ``logreg.plotting`` on white, so it
    shows them in any viewer); on the page a white block would glare from the dark palette, and a
    figure that no image test compares must not be published. :func:`notebook_figures` says
    which registry figure each image is.
    """
    names = iter(_state.get("notebook_figures", []))

    def figure(m: re.Match[str]) -> str:
        name = next(names, None)
        if name is None:
            raise PluginError(
                f"{NOTEBOOK_SOURCE}: the page shows more images than the cells name in their figures=[...] metadata"
            )
        html = _figure_html(name, page_uri, NOTEBOOK_SOURCE).replace(' markdown="span"', "")
        # The light palette gets the registry's PNG on white, embedded (see _notebook_pngs); only
        # the dark palette fetches an SVG.
        png = base64.b64encode(_state["notebook_pngs"][name].read_bytes()).decode()
        light = re.search(r'<img src="[^"]*-light\.svg#only-light"', html)
        if light is None:
            raise PluginError(f"{NOTEBOOK_SOURCE}: figure {name!r} has no light variant")
        return html.replace(
            light.group(0), f'<img src="data:image/png;base64,{png}#only-light" data-figure="{name}"', 1
        )

    html = NOTEBOOK_IMAGE.sub(figure, html)
    left = list(names)
    if left:
        raise PluginError(f"{NOTEBOOK_SOURCE}: figures {left} are named but the page shows no image for them")
    return html


def _lighten_notebook(html: str) -> str:
    """Drop what mkdocs-jupyter inlines into the notebook page but the book does not need.

    It inlines about 580 KB of JupyterLab CSS (Material's whole colour palette among it), a
    MathJax configuration, a Mermaid loader that would fetch from a CDN, and a clipboard helper.
    Material already styles code, tables and copy buttons; the few notebook-specific rules are in
    ``assets/stylesheets/book.css``. This keeps the page well under a megabyte and offline.
    """
    html = re.sub(r"<style\b[^>]*>.*?</style>", "", html, flags=re.S)
    return re.sub(r"<script\b(?![^>]*application/json)[^>]*>.*?</script>", "", html, flags=re.S)


MATH_FONT = "assets/fonts/latinmodern-math.woff2"
FIRST_STYLESHEET = re.compile(r'<link\b[^>]*rel="stylesheet"')


PRINT_EDITION = "logreg-book.pdf"  # written by `make pdf` (book/pdf.py) beside index.html


def print_edition_link(output: str, page, config) -> str:
    """Every page's footer links the print edition, at one stable path for the whole book."""
    if page.file.src_uri == "404.html":  # served at any depth: a link from the site's root
        href = posixpath.join(urlsplit(config.get("site_url") or "/").path or "/", PRINT_EDITION)
    else:
        href = get_relative_url(PRINT_EDITION, page.url)
    link = (
        f'<div class="book-pdf-link"><a href="{href}" type="application/pdf">The whole book as '
        f"one PDF</a> (the print edition: every chapter, printed from this site by Chromium "
        f"with <code>make pdf</code>)</div>"
    )
    marker = '<div class="md-copyright">'
    if marker not in output:
        raise PluginError(f"{page.file.src_uri}: no footer ({marker}) to link the print edition from")
    return output.replace(marker, marker + link, 1)


#: The explorer scripts (mkdocs.yml's extra_javascript): a page without an explorer does not
#: download them (31 KB on every page otherwise; pages are held under 1 MB).
EXPLORER_SCRIPTS = ("explorers.js", "explorer-predictive.js")


def _scripts_where_used(output: str) -> str:
    """Drop the explorer scripts from a page that has no explorer (``data-explorer``)."""
    if re.search(r'<div class="explorer"[^>]*\bdata-explorer=', output):
        return output
    for script in EXPLORER_SCRIPTS:
        output, n = re.subn(rf'<script src="[^"]*/javascripts/{re.escape(script)}"></script>\s*', "", output)
        if n != 1:
            raise PluginError(f"no <script> of {script} in the page to leave out: is it still in extra_javascript?")
    return output


def on_post_page(output: str, page, config) -> str:
    output = _scripts_where_used(output)
    template = preview_template(output, _state.get("equation_html", {}))
    if template:
        output = output.replace("</body>", template + "\n</body>", 1)
    output = print_edition_link(output, page, config)
    # Preload the math font, so formulas are laid out once, in their own font, instead of in a
    # fallback first and again when the font arrives (a layout shift on every page with math).
    # Fonts are fetched in CORS mode, hence `crossorigin`; without it the preload is wasted.
    if page.file.src_uri == "404.html":  # served at any depth: no relative URL is right for it
        return output
    if not config.get("use_directory_urls", True):  # the offline edition: the font is inlined (on_post_build)
        return output
    href = get_relative_url(MATH_FONT, page.url)
    link = f'<link rel="preload" href="{href}" as="font" type="font/woff2" crossorigin>\n    '
    m = FIRST_STYLESHEET.search(output)
    if m is None:
        raise PluginError(f"{page.file.src_uri}: no stylesheet link in the page to put the font preload before")
    return output[: m.start()] + link + output[m.start() :]


#: British spellings the book uses and the US ones a reader may type (search finds either).
BRITISH = re.compile(
    r"\b(\w{3,}?)is(ation|ations|e|es|ed|ing|er|ers)\b|\b(\w*?(?:col|behavi|neighb|fav|hon))our(s|ed|ing)?\b"
    r"|\b(analy)s(e|es|ed|ing)\b|\b(cent|met|lit)re(s)?\b|\b(model|label|travel|cancel)l(ed|ing)\b",
    re.I,
)
#: Stems of the -ise verbs in the book (``precise``, ``noise`` or ``otherwise`` are not verbs).
ISE_STEMS = {
    "regular",
    "standard",
    "minim",
    "maxim",
    "optim",
    "penal",
    "normal",
    "initial",
    "recogn",
    "summar",
    "parametr",
    "organ",
    "emphas",
    "real",
    "visual",
    "general",
    "vector",
    "central",
    "linear",
    "characteris",
    "character",
    "special",
    "util",
    "categor",
    "random",
    "serial",
    "stabil",
    "synthes",
    "local",
    "discret",
    "factor",
    "author",
    "apolog",
}


def us_spellings(text: str) -> set[str]:
    """The US spellings of the British words in ``text`` (lower case), for the search index.

    >>> sorted(us_spellings("Regularisation standardises; the colour of a modelled centre"))
    ['center', 'color', 'modeled', 'regularization', 'standardizes']
    """
    out = set()
    for m in BRITISH.finditer(text):
        if m[1] is not None and m[1].lower() in ISE_STEMS:
            out.add(f"{m[1]}iz{m[2]}".lower())
        elif m[3] is not None:
            out.add(f"{m[3]}or{m[4] or ''}".lower())
        elif m[5] is not None:
            out.add(f"{m[5]}z{m[6]}".lower())
        elif m[7] is not None:
            out.add(f"{m[7]}er{m[8] or ''}".lower())
        elif m[9] is not None:
            out.add(f"{m[9]}{m[10]}".lower())
    return out


#: Symbols by the names a reader types for them ("lambda" finds the sections that use λ). The
#: search index gets the names; book.js searches a symbol typed alone ("λ") as its name.
SYMBOL_NAMES = {
    "λ": "lambda",
    "σ": "sigma",
    "θ": "theta",
    "ε": "epsilon",
    "ϵ": "epsilon",
    "μ": "mu",
    "α": "alpha",
    "β": "beta",
    "δ": "delta",
    "ℓ": "ell",
    "∇": "nabla",
    "π": "pi",
}


def add_us_spellings(index_path: Path) -> None:
    """Give every entry of the built search index a ``spellings`` field (mkdocs.yml lists it):
    the US spelling of each British word in it, so "regularization" finds "regularisation".
    The field is searched but not shown; the snippets keep the book's spelling."""
    data = json.loads(index_path.read_text(encoding="utf-8"))
    for doc in data["docs"]:
        text = re.sub(r"<[^>]+>", " ", f"{doc.get('title', '')} {doc.get('text', '')}")
        words = us_spellings(text) | {name for sym, name in SYMBOL_NAMES.items() if sym in text}
        if words:
            doc["spellings"] = " ".join(sorted(words))
    index_path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    # The offline edition reads the same index as a script (Material's offline plugin writes it
    # from the JSON before this hook runs): it gets the spellings too, or "regularization",
    # "lambda" and "λ" find nothing in a page opened from disk.
    script = index_path.with_name("search_index.js")
    if script.exists():
        script.write_text("var __index = " + json.dumps(data, separators=(",", ":")), encoding="utf-8")


@event_priority(-100)  # last, after mkdocs-jupyter has pruned its cache: then release the lock
def on_post_build(config) -> None:
    try:
        index = Path(config["site_dir"]) / "search" / "search_index.json"
        if index.exists():  # written by the search plugin's on_post_build, which ran before
            add_us_spellings(index)
        # mkdocs-jupyter (include_source) copies the executed notebook next to its page for download.
        folder = Path(NOTEBOOK).stem if config.get("use_directory_urls", True) else ""  # walkthrough/ or the root
        target = Path(config["site_dir"]) / folder / NOTEBOOK
        if not target.exists():
            raise PluginError(f"the notebook download {target} was not written")
        if not config.get("use_directory_urls", True):
            inline_math_font(Path(config["site_dir"]))
    finally:
        _lock.release()


FONT_URL = 'url("../fonts/latinmodern-math.woff2")'


def inline_math_font(site: Path) -> None:
    """The offline edition's stylesheet carries the math font as a ``data:`` URL.

    A page opened from disk (file://) may load scripts and images from beside it but not fonts:
    Chromium fetches fonts in CORS mode, which file:// URLs fail, and the formulas would fall
    back to a font without an OpenType MATH table. Inlined (about 270 KB), the font comes with
    the stylesheet, which every page loads once and the browser keeps.
    """
    import base64

    css = site / "assets" / "stylesheets" / "book.css"
    text = css.read_text(encoding="utf-8")
    if FONT_URL not in text:
        raise PluginError(f"{css}: no {FONT_URL} to inline for the offline edition")
    font = (site / MATH_FONT).read_bytes()
    data = 'url("data:font/woff2;base64,' + base64.b64encode(font).decode("ascii") + '")'
    css.write_text(text.replace(FONT_URL, data), encoding="utf-8")
