"""The print edition: the whole built book as one PDF, printed by Chromium (``make pdf``).

    python -m book.pdf [SITE_DIR] [OUTPUT]       # defaults: site/ and site/logreg-book.pdf

(``BOOK_PDF_SCREENSHOT=shot.png`` also saves the top of the assembled document as an image.)

The built site (``make site``) is served on 127.0.0.1 and opened in the same headless Chromium
the browser tests use (Playwright). Every page of the nav, in reading order, is fetched and its
``<article>`` put into one document after a table of contents: element ids get the page's name
as a prefix so they stay unique, and every link to a page of the book (an equation, an exercise,
a section) becomes a link inside the PDF. Figures are the light palette's, interactive figures
are replaced by a pointer to the web edition, exercise solutions are printed open. Chromium
prints it with an outline (bookmarks) of the headings. The contents give each chapter's and
section's page: Chromium has no ``target-counter``, so a first print is read with ``pypdf``
(where each entry's link lands) and the numbers are written in before the final print.

Strict, like the build: any console error, failed request, image that does not decode, link to
a place that is not in the document, or formula that did not render stops it with an error, and
no PDF is written.
"""

from __future__ import annotations

import functools
import http.server
import os
import posixpath
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PDF_NAME = "logreg-book.pdf"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class PrintError(Exception):
    """Something the PDF would show wrongly; no PDF is written."""


def nav_urls(config_file: Path = ROOT / "mkdocs.yml") -> list[tuple[str, str]]:
    """(title, site path) of every page of the nav, in reading order (directory URLs)."""
    from mkdocs.config import load_config

    from book.hooks import _nav_paths

    config = load_config(str(config_file))
    titles = {}

    def walk(items):
        for item in items:
            if isinstance(item, dict):
                for title, value in item.items():
                    if isinstance(value, list):
                        walk(value)
                    else:
                        titles[value] = title

    walk(config["nav"])
    out = []
    for src in _nav_paths(config["nav"]):
        stem = posixpath.splitext(src)[0]
        path = "" if stem == "index" else (stem[: -len("/index")] + "/" if stem.endswith("/index") else stem + "/")
        out.append((titles.get(src, stem), path))
    return out


# Runs in the page: build the one document from every chapter's <article>.
ASSEMBLE_JS = r"""
async (pages) => {
  const slug = (path) => (path.replace(/\/$/, "") || "index").replace(/[^A-Za-z0-9_-]/g, "-");
  const known = new Map(pages.map(p => [new URL(p.path, location.origin + "/").pathname, slug(p.path)]));
  const book = document.createElement("div");
  book.className = "book-print";
  const toc = document.createElement("nav");
  toc.className = "book-print-toc";
  toc.innerHTML = "<h1 id='contents'>Contents</h1><ol></ol>";
  book.appendChild(toc);
  for (const p of pages) {
    const url = new URL(p.path, location.origin + "/").href;
    const resp = await fetch(url);
    if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
    const doc = new DOMParser().parseFromString(
      `<base href="${url}">` + await resp.text(), "text/html");
    const article = doc.querySelector("article.md-content__inner");
    if (!article) throw new Error(`${url}: no <article>`);
    const s = slug(p.path);
    article.querySelectorAll(
      "a.headerlink, a.anchor-link, .md-content__button, template, script:not([type='application/json'])"
    ).forEach(el => el.remove());
    article.querySelectorAll(".explorer").forEach(el => {
      const note = doc.createElement("p");
      note.className = "book-print-note";
      note.textContent = "An interactive figure is here in the web edition.";
      if (el.id) note.id = el.id;  // links to the explorer land on the note
      el.replaceWith(note);
    });
    article.querySelectorAll("img").forEach(img => {
      img.src = img.src;  // absolute, resolved against the page's own URL
      img.loading = "eager";
      if (img.src.includes("#only-dark")) img.remove();
    });
    article.querySelectorAll("details").forEach(d => d.open = true);
    article.querySelectorAll("[id]").forEach(el => el.id = `${s}--${el.id}`);
    article.querySelectorAll("a[href]").forEach(a => {
      const target = new URL(a.href);
      const page = known.get(target.pathname);
      if (page && target.origin === location.origin) {
        a.setAttribute("href", "#" + (target.hash ? `${page}--${decodeURIComponent(target.hash.slice(1))}` : page));
      } else {
        a.setAttribute("href", target.href);
      }
    });
    const chapter = doc.createElement("section");
    chapter.className = "book-print-chapter";
    chapter.id = s;
    chapter.append(...article.childNodes);
    book.appendChild(chapter);
    const h1 = chapter.querySelector("h1");
    // An entry of the contents: the title, a dotted leader and the page number, which
    // book/pdf.py fills in once a first print has said where each target starts.
    const entry = (target, text) => {
      const row = document.createElement("div");
      row.className = "book-print-entry";
      const a = document.createElement("a");
      a.href = "#" + target;
      a.textContent = text;
      const leader = document.createElement("span");
      leader.className = "book-print-leader";
      const number = document.createElement("span");
      number.className = "book-print-page";
      number.dataset.target = target;
      row.append(a, leader, number);
      return row;
    };
    const li = document.createElement("li");
    li.appendChild(entry(s, h1 ? h1.textContent.trim() : p.title));
    const sub = document.createElement("ol");
    chapter.querySelectorAll("h2[id]").forEach(h2 => {
      const item = document.createElement("li");
      item.appendChild(entry(h2.id, h2.textContent.trim()));
      sub.appendChild(item);
    });
    if (sub.children.length) li.appendChild(sub);
    toc.querySelector("ol").appendChild(li);
  }
  const main = document.querySelector("article.md-content__inner");
  main.replaceChildren(book);
  document.title = document.title.replace(/^.*? - /, "");
  // Strict: every internal link lands somewhere, every image decodes, every formula rendered.
  const problems = [];
  book.querySelectorAll("a[href^='#']").forEach(a => {
    const id = decodeURIComponent(a.getAttribute("href").slice(1));
    if (!document.getElementById(id)) problems.push(`link to #${id} (${a.textContent.trim()}) has no target`);
  });
  await Promise.all([...book.querySelectorAll("img")].map(img =>
    img.decode().catch(() => problems.push(`image ${img.src} does not decode`))));
  book.querySelectorAll("merror").forEach(e => problems.push(`formula error: ${e.textContent}`));
  await document.fonts.ready;
  if (!document.fonts.check('16px "Latin Modern Math"')) problems.push("the math font did not load");
  return {problems, chapters: book.querySelectorAll(".book-print-chapter").length,
          links: book.querySelectorAll("a[href^='#']").length};
}
"""

PRINT_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm; }
.md-header, .md-tabs, .md-sidebar, .md-footer, .md-search, .book-pdf-link { display: none !important; }
.md-main__inner { margin: 0 !important; }
.md-content { max-width: none !important; margin: 0 !important; }
.book-print-chapter { break-before: page; }
.md-typeset .book-print-toc ol { list-style: none; padding-left: 0; margin-left: 0; }
.md-typeset .book-print-toc ol ol { padding-left: 1.5em; font-size: 0.9em; }
.md-typeset .book-print-toc li { margin: 0.1em 0; }
.md-typeset .book-print-entry { display: flex; align-items: baseline; gap: 0.4em; }
.md-typeset .book-print-leader { flex: 1 1 auto; border-bottom: 0.1em dotted currentColor; opacity: 0.5; }
/* Wide enough for any page number from the start, so filling them in moves nothing. */
.md-typeset .book-print-page { flex: 0 0 2.2em; text-align: right; font-variant-numeric: tabular-nums; }
.md-typeset .equation > .equation-body { overflow: visible !important; background: none !important; }
.md-typeset pre > code { white-space: pre-wrap !important; overflow: visible !important; }
.md-typeset h1, .md-typeset h2, .md-typeset h3 { break-after: avoid; }
.md-typeset figure, .md-typeset .equation, .md-typeset table { break-inside: avoid; }
.book-print-note { font-style: italic; }
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


PDF_OPTIONS = dict(
    format="A4",
    print_background=True,
    outline=True,
    tagged=True,
    display_header_footer=True,
    header_template="<span></span>",
    footer_template='<div style="font-size:8px;width:100%;text-align:center">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>',
)

#: Prints at most this many times until the contents' page numbers agree with the pages.
MAX_PRINTS = 4


def target_pages(pdf: Path, targets: list[str]) -> dict[str, int]:
    """The page (1-based, as the footer counts) of each element id in ``targets``, read from the
    PDF's named destinations: Chromium writes one for every target of an internal link, and
    every entry of the contents is such a link."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    # Chromium writes the names as PDF name objects: "/likelihood--eq-grad".
    dests = {name.removeprefix("/"): dest for name, dest in reader.named_destinations.items()}
    missing = [t for t in targets if t not in dests]
    if missing:
        raise PrintError(f"no destination in the PDF for {len(missing)} entries of the contents: {missing[:5]}")
    return {t: reader.get_destination_page_number(dests[t]) + 1 for t in targets}


FILL_PAGES_JS = """numbers => document.querySelectorAll('.book-print-page').forEach(
  span => { span.textContent = String(numbers[span.dataset.target]); })"""


def _print_with_page_numbers(page, path: Path) -> dict[str, int]:
    """Print to ``path`` with the contents' page numbers right. Chromium cannot count pages in
    CSS (no ``target-counter``), so: print, read where each entry's target landed, write the
    numbers into the contents, print again, until a print agrees with the numbers it shows
    (the number column has a fixed width, so the second print normally does)."""
    targets = page.evaluate("() => [...document.querySelectorAll('.book-print-page')].map(s => s.dataset.target)")
    shown: dict[str, int] = {}
    for _ in range(MAX_PRINTS):
        page.pdf(path=str(path), **PDF_OPTIONS)
        found = target_pages(path, targets)
        if found == shown:
            return found
        page.evaluate(FILL_PAGES_JS, found)
        shown = found
    raise PrintError(f"the contents' page numbers did not settle after {MAX_PRINTS} prints")


def build_pdf(site: Path, output: Path, screenshot: Path | None = None) -> dict:
    """Print ``site`` to ``output``; ``screenshot`` also saves the assembled document's first
    screens as a PNG (to look at the print layout without a PDF viewer)."""
    from playwright.sync_api import sync_playwright

    site = site.resolve()
    if not (site / "index.html").is_file():
        raise PrintError(f"{site}: no built site (run `make site` first)")
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_port}"
    problems: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(
                color_scheme="light", viewport={"width": 1000, "height": 1400}, service_workers="block"
            )
            context.route(
                "**/*",
                lambda r: (
                    r.continue_()
                    if r.request.url.startswith(origin) or r.request.url.startswith("data:")
                    else (problems.append(f"request to {r.request.url}"), r.abort())[-1]
                ),
            )
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
            page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} ({r.failure})"))
            page.goto(origin + "/", wait_until="load")
            pages = [{"title": t, "path": path} for t, path in nav_urls()]
            result = page.evaluate(ASSEMBLE_JS, pages)
            problems += result["problems"]
            page.add_style_tag(content=PRINT_CSS)
            page.emulate_media(media="print", color_scheme="light")
            if screenshot is not None:
                page.screenshot(
                    path=str(screenshot), clip={"x": 0, "y": 0, "width": 1000, "height": 6000}, full_page=True
                )
            if problems:
                raise PrintError("the print edition is not right:\n  " + "\n  ".join(problems[:40]))
            output.parent.mkdir(parents=True, exist_ok=True)
            tmp = output.with_name(output.name + ".part")
            result["pages"] = _print_with_page_numbers(page, tmp)
            tmp.replace(output)
            browser.close()
    finally:
        server.shutdown()
    return result


def main(argv: list[str]) -> int:
    site = Path(argv[1]) if len(argv) > 1 else ROOT / "site"
    output = Path(argv[2]) if len(argv) > 2 else site / PDF_NAME
    try:
        shot = os.environ.get("BOOK_PDF_SCREENSHOT")
        result = build_pdf(site, output, Path(shot) if shot else None)
    except PrintError as error:
        print(f"book.pdf: {error}", file=sys.stderr)
        return 1
    size = output.stat().st_size
    print(
        f"book.pdf: {output} ({size / 1e6:.1f} MB, {result['chapters']} pages of the nav, "
        f"{result['links']} internal links)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
