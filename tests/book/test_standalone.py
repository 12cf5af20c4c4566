"""Every Python listing on the site, and the downloadable notebook, run as a reader gets them.

Issue 11, item 4: a reader copies a listing from a chapter (or downloads ``walkthrough.ipynb``)
and runs it with nothing but ``pip install logreg[plot]`` (and scikit-learn or statsmodels where
the listing compares with them). So this test reads the listings from the BUILT site, not from
the Markdown: what is shown is what runs, and hidden setup code cannot make a listing work.

Which code blocks are listings, and which belong to one program, the build writes into the HTML
(:mod:`book.listings`): ``data-listing="run"`` with a ``data-listing-group`` (one markdown-exec
session, one executed block, or one exercise's solution: the listings of a group run in page
order as one script, as a reader who copies them in order would run them), and
``data-listing="printed"`` for the package source a chapter prints to be read, not run.

How a listing is run: its group is written to a temporary folder outside the repository and run
with this environment's Python (``sys.executable``, so the same NumPy, SciPy, scikit-learn, ...
as the build), with that folder as the working directory and ``PYTHONPATH`` holding only one
more temporary folder, which contains nothing but a symlink ``logreg -> <repository>/logreg``.
Why the symlink and not the repository's root: the test environment has ``logreg`` installed
editable (possibly from another checkout), so the symlink makes the subprocess import *this*
tree's ``logreg``; putting the root on the path would also expose ``book/`` (and ``tests/``),
which is exactly what a reader does not have. ``test_the_environment_is_a_strangers`` checks
that: ``logreg`` comes from this tree and ``import book`` fails.
"""

from __future__ import annotations

import ast
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.book._site import ROOT, dest_path, load_config, nav_pages

#: Seconds one listing group (or the notebook) may take; the slowest takes a few seconds.
TIMEOUT = 300
#: The notebook the walk-through page offers for download.
NOTEBOOK_DOWNLOAD = "walkthrough/walkthrough.ipynb"
#: A Python listing imports something: a highlighted ``import``/``from`` (Pygments' ``kn``).
PYTHON_IMPORT = re.compile(r'<span class="kn">(?:import|from)</span>')
#: The fence of an executed block that prints Python (package source) instead of showing its own.
PRINTED_FENCE = re.compile(
    r"^[ \t]*`{3,}python\b(?=[^\n]*\bexec=\"on\")(?=[^\n]*\bresult=\"python\")"
    r"(?![^\n]*\bsource=)[^\n]*$",
    re.M,
)


@dataclass
class Listing:
    page: str  # the source page, e.g. fitting.md
    kind: str  # run or printed
    group: str
    code: str


@dataclass
class _Block:
    attrs: dict[str, str]
    depth: int
    text: list[str] = field(default_factory=list)
    html_imports: bool = False


class _ListingReader(HTMLParser):
    """The text of every ``<div class="highlight">`` of a page, with its ``data-listing`` marks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # open <div>s
        self.block: _Block | None = None
        self.blocks: list[_Block] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "div":
            self.depth += 1
            if self.block is None and "highlight" in a.get("class", "").split():
                self.block = _Block(a, self.depth)
        if self.block is not None and tag == "span" and a.get("class") == "kn":
            self.block.html_imports = True

    def handle_endtag(self, tag):
        if tag == "div":
            if self.block is not None and self.block.depth == self.depth:
                self.blocks.append(self.block)
                self.block = None
            self.depth -= 1

    def handle_data(self, data):
        if self.block is not None:
            self.block.text.append(data)


def chapter_pages(site: Path, source: Path) -> list[tuple[str, Path]]:
    """``(source page, built HTML)`` of every page of the nav that is a chapter (not the notebook,
    not the API reference, whose code blocks are the package's docstrings and source)."""
    config = load_config(source)
    urls = config.get("use_directory_urls", True)
    return [
        (src, site / dest_path(src, urls))
        for _, src in nav_pages(config)
        if src.endswith(".md") and not src.startswith("api")
    ]


def read_listings(site: Path, source: Path) -> tuple[list[Listing], list[str]]:
    """Every marked listing of the chapters in reading order, and the unmarked Python blocks."""
    listings, unmarked = [], []
    for page, path in chapter_pages(site, source):
        reader = _ListingReader()
        reader.feed(path.read_text(encoding="utf-8"))
        reader.close()
        for block in reader.blocks:
            code = "".join(block.text)
            kind = block.attrs.get("data-listing")
            if kind is None:
                if block.html_imports:
                    unmarked.append(f"{page}: {code.strip().splitlines()[0]!r}")
                continue
            listings.append(Listing(page, kind, block.attrs.get("data-listing-group", ""), code))
    return listings, unmarked


def programs(listings: list[Listing]) -> dict[str, str]:
    """The runnable listings joined into one script per group, in page order."""
    out: dict[str, list[str]] = {}
    for listing in listings:
        if listing.kind == "run":
            out.setdefault(listing.group, []).append(listing.code.rstrip() + "\n")
    return {group: "\n\n".join(parts) for group, parts in out.items()}


def strangers_env(tmp: Path) -> dict[str, str]:
    """The environment of a reader's process: this Python, this tree's ``logreg``, no ``book``."""
    path = tmp / "path"
    path.mkdir(exist_ok=True)
    link = path / "logreg"
    if not link.exists():
        link.symlink_to(ROOT / "logreg", target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "LOGREG_"))}
    env.update(PYTHONPATH=str(path), PYTHONDONTWRITEBYTECODE="1")
    return env


def run_script(code: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "listing.py"
    script.write_text(code, encoding="utf-8")
    return subprocess.run(
        [sys.executable, script.name], cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )


@pytest.fixture(scope="session")
def listing_site(request) -> tuple[Path, Path]:
    """The built site and the sources it was built from: a fresh strict build, or
    ``$LOGREG_SITE_DIR`` (built from this tree) if set, as for the browser tests."""
    given = os.environ.get("LOGREG_SITE_DIR")
    if given:
        return Path(given).resolve(), ROOT
    return request.getfixturevalue("built_site"), request.getfixturevalue("built_source")


@pytest.fixture(scope="session")
def site_listings(listing_site) -> list[Listing]:
    listings, unmarked = read_listings(*listing_site)
    assert not unmarked, (
        "Python code blocks in chapters that the build did not mark as a listing (book/listings.py):"
        "\n" + "\n".join(unmarked)
    )
    return listings


@pytest.fixture(scope="session")
def outside(tmp_path_factory) -> Path:
    """A temporary folder; asserted to be outside the repository."""
    folder = tmp_path_factory.mktemp("stranger")
    assert ROOT not in folder.resolve().parents, f"{folder} is inside the repository {ROOT}"
    return folder


def test_the_environment_is_a_strangers(outside):
    """The subprocess imports this tree's logreg, and book is not importable (see the module)."""
    probe = textwrap.dedent("""\
        import importlib.util, pathlib, logreg
        print(pathlib.Path(logreg.__file__).resolve().parent)
        print(importlib.util.find_spec("book"))
    """)
    done = run_script(probe, outside / "probe", strangers_env(outside))
    assert done.returncode == 0, done.stderr
    where, book = done.stdout.split("\n")[:2]
    assert Path(where) == (ROOT / "logreg").resolve()
    assert book == "None", f"book is importable in the reader's environment: {book}"


def test_listings_are_marked_and_counted(site_listings, listing_site):
    """The build marked every Python listing of the chapters (run, or printed to be read), and
    the printed ones are exactly the chapters' ``result="python"`` blocks without ``source``."""
    site, source = listing_site
    run = [x for x in site_listings if x.kind == "run"]
    printed = [x for x in site_listings if x.kind == "printed"]
    groups = programs(site_listings)
    print(f"\n{len(run)} listings in {len(groups)} programs run; {len(printed)} printed, not run:")
    for x in printed:
        print(f"  {x.group}: {x.code.strip().splitlines()[0]}")
    fences = sum(
        len(PRINTED_FENCE.findall((source / "docs" / page).read_text(encoding="utf-8")))
        for page, _ in chapter_pages(site, source)
    )
    assert len(printed) == fences, f"{fences} printing blocks in the chapters, {len(printed)} marked in the HTML"
    for x in printed:
        ast.parse(x.code)  # what a chapter prints as Python is Python
    # Every chapter has listings or exercises: a handful of groups would mean the marks were lost.
    assert len(run) >= 60 and len(groups) >= 40, (len(run), len(groups))


def test_no_listing_imports_book(site_listings):
    problems = []
    for x in site_listings:
        for node in ast.walk(ast.parse(x.code)):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            problems += [f"{x.page} ({x.group}): imports {n}" for n in names if n == "book" or n.startswith("book.")]
    assert not problems, "\n".join(problems)


def test_every_listing_runs_outside_the_tree(site_listings, outside):
    """Each program (a session, a block, an exercise) runs as shown in a fresh process."""
    env = strangers_env(outside)
    groups = programs(site_listings)

    def run(item: tuple[int, tuple[str, str]]) -> str | None:
        k, (group, code) = item
        done = run_script(code, outside / f"listing-{k:03d}", env)
        if done.returncode == 0:
            return None
        return f"--- {group} (exit {done.returncode}):\n{done.stderr.strip()[-1500:]}"

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(run, enumerate(groups.items())) if f]
    assert not failures, f"{len(failures)} of {len(groups)} programs fail:\n" + "\n".join(failures)


def test_the_downloaded_notebook_runs_outside_the_tree(listing_site, outside):
    """``walkthrough.ipynb`` as downloaded from the site executes top to bottom (nbclient) in a
    temporary folder, in the reader's environment."""
    site, _ = listing_site
    notebook = site / NOTEBOOK_DOWNLOAD
    assert notebook.is_file(), f"{NOTEBOOK_DOWNLOAD} is not in the built site"
    folder = outside / "notebook"
    folder.mkdir()
    (folder / "walkthrough.ipynb").write_bytes(notebook.read_bytes())
    runner = textwrap.dedent("""\
        import nbformat
        from nbclient import NotebookClient

        nb = nbformat.read("walkthrough.ipynb", as_version=4)
        NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=False,
                       resources={"metadata": {"path": "."}}).execute()
        print(sum(cell.cell_type == "code" for cell in nb.cells), "code cells ran")
    """)
    done = run_script(runner, folder, strangers_env(outside))
    assert done.returncode == 0, f"the downloaded notebook fails:\n{done.stderr.strip()[-3000:]}"
    assert "code cells ran" in done.stdout
    text = json.loads(notebook.read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in text["cells"] if c["cell_type"] == "code"]
    assert not [s for s in sources if re.search(r"^\s*(?:import|from)\s+book\b", s, re.M)], "the notebook imports book"
