"""MkDocs hooks: how the chapters get their figures, numbers, formulas and the notebook.

Listed under ``hooks:`` in ``mkdocs.yml``. In build order:

1. ``on_files``: render every figure in :mod:`book.figures` (light and dark SVG), compute the
   numbers in :mod:`book.results` and the data of the interactive figures in
   :mod:`book.explorers`, execute the walk-through notebook, and add all of it to the
   site as generated files. Nothing is written into ``docs/``. Each is cached under ``.cache/``
   by a hash of everything it depends on (the ``logreg`` and ``book`` sources, the notebook,
   the Matplotlib version), so an unchanged tree rebuilds fast and any change re-renders.
2. ``on_page_markdown``: replace ``{{ name }}`` with a computed number, ``{{ figure: name }}``
   with the figure, ``{{ explorer: name }}`` with an interactive figure and its data (drawn by
   ``docs/assets/javascripts/explorers.js``), and take the LaTeX out (see :mod:`book.mathml`).
3. ``on_page_content``: put MathML back where the LaTeX was.

Anything wrong (an unknown name, a failing figure, a formula that does not convert, a cell that
raises) raises here, and ``mkdocs build --strict`` stops.
"""

from __future__ import annotations

import hashlib
import json
import logging
import posixpath
import re
import shutil
import sys
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from book import mathml  # noqa: E402

log = logging.getLogger("mkdocs.book")
CACHE = ROOT / ".cache"
NOTEBOOK_SOURCE = "walkthrough.py"  # jupytext (percent format), in docs/
NOTEBOOK = "walkthrough.ipynb"  # executed, with outputs: rendered and offered for download
PLACEHOLDER = re.compile(r"\{\{\s*(?:(?P<kind>figure|explorer):\s*)?(?P<name>[\w.-]+)\s*\}\}")

_state: dict = {}


def source_hash(*extra: Path) -> str:
    """A hash of everything generated content depends on."""
    from importlib.metadata import version  # not `import matplotlib`: a cache hit needs no plotting

    h = hashlib.sha256(f"matplotlib={version('matplotlib')}".encode())
    for folder in ("logreg", "book"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            h.update(path.relative_to(ROOT).as_posix().encode())
            h.update(path.read_bytes())
    for path in extra:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _fresh_dir(kind: str, key: str) -> Path:
    """``.cache/<kind>/<key>``, with stale siblings removed."""
    parent = CACHE / kind
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.iterdir():
        if old.name != key:
            shutil.rmtree(old, ignore_errors=True)
    return parent / key


def _figures(key: str) -> tuple[dict[str, Path], dict[str, dict]]:
    """Render the registry (or reuse the cache): files by site path, and each figure's text.

    The alt text, caption and size are cached beside the SVGs, so an unchanged tree rebuilds
    without importing Matplotlib at all.
    """
    folder = _fresh_dir("figures", key)
    index = folder / "index.json"
    if not index.exists():
        from book.figures import PALETTES, REGISTRY

        folder.mkdir(parents=True, exist_ok=True)
        for name, figure in REGISTRY.items():
            for palette in PALETTES:
                tmp = folder / f"{name}-{palette}.tmp"
                tmp.write_bytes(figure.svg(palette))
                tmp.replace(folder / f"{name}-{palette}.svg")
        meta = {name: {"alt": f.alt, "caption": f.caption, "width": int(f.size[0] * 100)}
                for name, f in REGISTRY.items()}
        index.write_text(json.dumps(meta, indent=1, sort_keys=True))  # written last: marks complete
    meta = json.loads(index.read_text())
    files = {f"figures/{p.name}": p for p in sorted(folder.glob("*.svg"))}
    return files, meta


def _cached_json(kind: str, key: str, compute):
    """``compute()`` once per key, kept as JSON in ``.cache/<kind>/<key>`` (floats round-trip)."""
    folder = _fresh_dir(kind, key)
    path = folder / f"{kind}.json"
    if path.exists():
        return json.loads(path.read_text())
    data = compute()
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, sort_keys=True))
    return data


def _values(key: str) -> dict[str, str]:
    from book.results import values  # imported here: a cache hit need not load logreg

    return _cached_json("values", key, values)


def _explorers(key: str) -> dict[str, dict]:
    from book.explorers import data

    return _cached_json("explorers", key, data)


def _notebook(key: str, source: Path) -> Path:
    """Execute the jupytext source once per key; a raising cell fails the build."""
    folder = _fresh_dir("notebook", key)
    path = folder / NOTEBOOK
    if path.exists():
        return path
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    nb = jupytext.read(source)
    for i, cell in enumerate(nb.cells):  # fixed ids (jupytext makes random ones): same bytes each build
        cell["id"] = f"cell-{i}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, kernel_name="python3", allow_errors=False, timeout=300, record_timing=False,
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)
    return path


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
    executed = _notebook(source_hash(source), source)
    # A plain File rooted in the cache folder (not File.generated): mkdocs-jupyter's wrapper
    # reads the source path through attributes that only a plain File sets.
    files.append(File(NOTEBOOK, src_dir=str(executed.parent), dest_dir=config["site_dir"],
                      use_directory_urls=config["use_directory_urls"]))
    _state["index"] = _equation_index(config, files)
    _state["math"] = {}
    return files


def _equation_index(config, files: Files) -> mathml.EquationIndex:
    """Number labelled equations per chapter, chapters numbered in nav order."""
    index = mathml.EquationIndex()
    index.urls = {f.src_uri: f.url for f in files.documentation_pages()}
    order = [p for p in _nav_paths(config["nav"] or [])]
    for chapter, src_uri in enumerate(order):
        f = files.get_file_from_path(src_uri)
        if f is not None and f.abs_src_path and src_uri.endswith(".md"):
            index.scan(chapter, src_uri, f.url, Path(f.abs_src_path).read_text(encoding="utf-8"))
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


def _figure_html(name: str, page_uri: str) -> str:
    meta = _state["figure_meta"]
    if name not in meta:
        raise KeyError(f"{page_uri}: figure {name!r} is not in book/figures.py (known: {', '.join(meta)})")
    fig = meta[name]
    base = posixpath.relpath("figures", posixpath.dirname(page_uri) or ".")
    alt = fig["alt"].replace('"', "&quot;")
    # The height, from the SVG's own viewBox, reserves the figure's box before the lazy image
    # arrives, so the text below does not jump down when it does (cumulative layout shift).
    height = _svg_height(_state["figures"][f"figures/{name}-light.svg"], fig["width"])
    imgs = "".join(
        f'<img src="{base}/{name}-{palette}.svg#only-{palette}" alt="{alt}" width="{fig["width"]}" '
        f'height="{height}" loading="lazy" decoding="async">'
        for palette in ("light", "dark")
    )
    return (
        f'<figure class="book-figure" id="fig-{name}">{imgs}'
        f'<figcaption markdown="span">{fig["caption"]}</figcaption></figure>'
    )


VIEWBOX = re.compile(rb'viewBox="\s*[-\d.]+[\s,]+[-\d.]+[\s,]+(?P<w>[\d.]+)[\s,]+(?P<h>[\d.]+)\s*"')


def _svg_height(path: Path, width: int) -> int:
    """The height in CSS pixels of an SVG shown ``width`` pixels wide, from its viewBox."""
    m = VIEWBOX.search(path.read_bytes()[:2000])
    if m is None:
        raise ValueError(f"{path.name}: no viewBox in the SVG, so its height cannot be reserved")
    return round(width * float(m["h"]) / float(m["w"]))


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri == NOTEBOOK:  # rendered by mkdocs-jupyter; its math is done in on_page_content
        # It retells the chapters; leaving it out of the search index keeps results pointing
        # at the explanations (and the index, which every page downloads, smaller).
        page.meta["search"] = {"exclude": True}
        return markdown
    values = _state["values"]
    dest = page.file.dest_uri

    def put(m: re.Match[str]) -> str:
        if m["kind"] == "figure":
            return _figure_html(m["name"], dest)
        if m["kind"] == "explorer":
            from book.explorers import html

            return html(m["name"], _state["explorers"], page.file.src_uri)
        if m["name"] not in values:
            raise KeyError(f"{page.file.src_uri}: no computed value named {m['name']!r} in book/results.py")
        return values[m["name"]]

    markdown = PLACEHOLDER.sub(put, markdown)
    markdown, stash = mathml.protect(markdown, page.file.src_uri, _state["index"])
    _state["math"][page.file.src_uri] = stash
    return markdown


def on_page_content(html: str, page, config, files) -> str:
    stash = _state["math"].pop(page.file.src_uri, None)
    if stash is not None:
        # Docstrings rendered by mkdocstrings (the API page) carry $...$ that never passed
        # through the Markdown hook; convert whatever is left, outside code.
        return mathml.render_html_math(mathml.restore(html, stash), page.file.src_uri)
    if page.file.src_uri == NOTEBOOK:
        # The notebook's markdown cells keep their $...$ as text; mkdocs-jupyter would load
        # MathJax for them (from an empty URL unless configured). Convert them here instead.
        return mathml.render_html_math(_lighten_notebook(html), page.file.src_uri)
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


def on_post_page(output: str, page, config) -> str:
    # Preload the math font, so formulas are laid out once, in their own font, instead of in a
    # fallback first and again when the font arrives (a layout shift on every page with math).
    # Fonts are fetched in CORS mode, hence `crossorigin`; without it the preload is wasted.
    if page.file.src_uri == "404.html":  # served at any depth: no relative URL is right for it
        return output
    href = get_relative_url(MATH_FONT, page.url)
    link = f'<link rel="preload" href="{href}" as="font" type="font/woff2" crossorigin>\n    '
    m = FIRST_STYLESHEET.search(output)
    if m is None:
        raise ValueError(f"{page.file.src_uri}: no stylesheet link in the page to put the font preload before")
    return output[: m.start()] + link + output[m.start() :]


def on_post_build(config) -> None:
    # mkdocs-jupyter (include_source) copies the executed notebook next to its page for download.
    target = Path(config["site_dir"]) / Path(NOTEBOOK).stem / NOTEBOOK
    if not target.exists():
        raise FileNotFoundError(f"the notebook download {target} was not written")
