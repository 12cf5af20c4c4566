"""Helpers and fixtures for the site test (``tests/book/test_site.py``): build the book, read its HTML.

The site test builds the book the way ``make site`` does (``mkdocs build --strict``), but from a
snapshot of the working tree copied into a temporary folder, with no ``.cache/``:

* the build is clean, so a stale cache cannot hide a problem, and it neither reads nor prunes the
  ``.cache/`` of a build running in the working tree at the same time;
* the chapters checked against the HTML are the ones that were built, even while someone edits;
* two snapshots of the same tree build to two sites that must be byte-identical where the design
  says so (``test_two_clean_builds_are_identical``). Both builds run at once, in parallel.

Three builds run, two of them at once:

1. the first snapshot, clean (``site-1``);
2. the second snapshot, made read-only, with ``LOGREG_CACHE_DIR`` outside it (``site-2``): what a
   read-only checkout does. Where the tests run as root, the build runs under ``setpriv`` without
   the capability that lets root write anyway, so the permissions hold;
3. the first snapshot again, started while build 1 holds the build lock (``site-3``): like two
   ``make site`` in one tree, it must wait for build 1 and then build warm, from build 1's cache,
   and give the same bytes as the cold build.

The fixtures are defined here and imported by the test module (pytest only auto-loads
``conftest.py``, which belongs to the whole suite).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Where a test run leaves what it writes (image differences, the browser summary, pytest's own
#: cache): ``test-results/`` in the tree, or this environment variable's folder (a read-only
#: checkout sets it, with ``LOGREG_CACHE_DIR`` for the build's cache).
RESULTS_ENV = "LOGREG_TEST_RESULTS"


def results_dir() -> Path:
    given = os.environ.get(RESULTS_ENV, "").strip()
    return Path(given).expanduser().resolve() if given else ROOT / "test-results"


# Top-level entries of the working tree that are not sources of the book.
NOT_SOURCES = {".git", ".venv", ".cache", "site", "test-results", ".hypothesis", ".pytest_cache", "build"}
BUILD_TIMEOUT = 900  # seconds; a build takes ~15 s on a laptop


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


def snapshot(src: Path, dest: Path) -> Path:
    """Copy the book's sources (not .git, caches, build output) from ``src`` to ``dest``."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        out = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
        if Path(folder) == src:
            out |= NOT_SOURCES & set(names)
        return out

    shutil.copytree(src, dest, ignore=ignore, symlinks=True)
    return dest


def python_digest(root: Path) -> str:
    """A hash of the Python sources the figures are made from (``logreg/`` and ``book/``)."""
    h = hashlib.sha256()
    for folder in ("logreg", "book"):
        for path in sorted((root / folder).rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


CACHE_ENV = "LOGREG_CACHE_DIR"  # book/cache.py's; the builds here choose their own


@dataclass
class Build:
    """One ``mkdocs build --strict`` of the sources in ``src`` into ``site``, with its cache in
    ``src/.cache`` or, if given, in ``cache`` (through ``$LOGREG_CACHE_DIR``)."""

    src: Path
    site: Path
    log: Path
    cache: Path | None = None
    read_only: bool = False  # run without the capability that lets root ignore permissions
    process: subprocess.Popen | None = None
    started: float = 0.0
    seconds: float = 0.0
    returncode: int | None = None

    @property
    def command(self) -> list[str]:
        build = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(self.site)]
        return (_without_root_override() or []) + build if self.read_only else build

    def start(self) -> Build:
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
        env.pop(CACHE_ENV, None)
        if self.cache is not None:
            env[CACHE_ENV] = str(self.cache)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(self.command, cwd=self.src, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.started = time.perf_counter()
        return self

    def wait(self) -> Build:
        if self.returncode is None:
            assert self.process is not None, "start() the build first"
            try:
                self.returncode = self.process.wait(timeout=BUILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.returncode = self.process.wait()
            self.seconds = time.perf_counter() - self.started
        return self

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def require_success(self) -> Path:
        """The site folder, or a failed test carrying the build's own output.

        Every test that needs the site reports the failure, so the message keeps what matters:
        the warnings and errors (INFO lines left out), at most the last 80 lines; the full log
        stays in the file it names.
        """
        self.wait()
        if self.returncode != 0:
            lines = [
                line
                for line in self.output.splitlines()
                if not line.startswith("INFO") and "Kernel is running over TCP" not in line
            ]
            shown = lines if len(lines) <= 80 else ["[...]", *lines[-80:]]
            pytest.fail(
                f"`mkdocs build --strict` failed (exit {self.returncode}, {self.seconds:.0f} s) in a "
                f"snapshot of the working tree; full log: {self.log}\n" + "\n".join(shown),
                pytrace=False,
            )
        return self.site


def _without_root_override() -> list[str] | None:
    """A command prefix that makes root obey file permissions (``setpriv`` dropping
    CAP_DAC_OVERRIDE and friends), or None when not root or it cannot be done here."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None:
        return None
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]
    try:
        done = subprocess.run([*prefix, "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return prefix if done.returncode == 0 else None


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root``: (size, mtime in ns), to see that nothing was written."""
    out = {".": (0, root.stat().st_mtime_ns)}
    for path in root.rglob("*"):
        st = path.lstat()
        out[path.relative_to(root).as_posix()] = (st.st_size if path.is_file() else 0, st.st_mtime_ns)
    return out


def _set_writable(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode | 0o200 if writable else mode & ~0o222)


def _wait_for_line(build: Build, text: str, timeout: float = BUILD_TIMEOUT) -> None:
    """Wait until ``build``'s log has ``text`` (or the build ended)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and build.process is not None and build.process.poll() is None:
        if text in build.output:
            return
        time.sleep(0.2)


@dataclass
class SiteBuilds:
    """The three builds of one snapshot (see the module docstring)."""

    clean: Build  # 1: the first snapshot, clean
    read_only: Build  # 2: the second snapshot, read-only, its cache elsewhere
    warm: Build  # 3: the first snapshot again, while build 1 holds the lock
    read_only_before: dict[str, tuple[int, int]]
    read_only_enforced: bool

    def __iter__(self):
        return iter((self.clean, self.read_only, self.warm))

    def __getitem__(self, i: int) -> Build:
        return (self.clean, self.read_only, self.warm)[i]


@pytest.fixture(scope="session")
def site_builds(tmp_path_factory) -> SiteBuilds:
    """Three builds of one snapshot of the working tree: two clean ones in parallel (one of
    them from a read-only copy), and a warm one queued behind the first by the build lock."""
    base = tmp_path_factory.mktemp("book")
    first = snapshot(ROOT, base / "src-1")
    second = snapshot(first, base / "src-2")  # the same bytes, at a different path
    _set_writable(second, False)
    clean = Build(first, base / "site-1", base / "build-1.log").start()
    read_only = Build(second, base / "site-2", base / "build-2.log", cache=base / "cache-2", read_only=True)
    builds = SiteBuilds(
        clean,
        read_only,
        Build(first, base / "site-3", base / "build-3.log"),
        tree_state(second),
        _without_root_override() is not None or os.geteuid() != 0,
    )
    read_only.start()
    # Build 1 takes the lock in on_pre_build, just before MkDocs cleans the site folder.
    _wait_for_line(clean, "Cleaning site directory")
    builds.warm.start()
    yield builds
    for build in builds:
        if build.process is not None and build.process.poll() is None:
            build.process.kill()
            build.process.wait()
    _set_writable(second, True)  # so that pytest can remove it


@pytest.fixture(scope="session")
def built_site(site_builds) -> Path:
    """The site folder of a strict, clean build (fails every test that uses it if the build fails)."""
    return site_builds[0].require_success()


@pytest.fixture(scope="session")
def built_source(site_builds, built_site) -> Path:
    """The snapshot of the sources ``built_site`` was built from."""
    return site_builds[0].src


@pytest.fixture(scope="session")
def second_site(site_builds) -> Path:
    """The site built from the read-only snapshot (its cache outside it)."""
    return site_builds.read_only.require_success()


@pytest.fixture(scope="session")
def warm_site(site_builds, built_site) -> Path:
    """The site built from ``built_site``'s snapshot again, once build 1 had let go of the lock."""
    return site_builds.warm.require_success()


# --------------------------------------------------------------------------------------------
# The configuration: nav and URLs
# --------------------------------------------------------------------------------------------


def load_config(src: Path) -> dict:
    """``mkdocs.yml`` as plain data; tags (``!ENV``, ``!!python/name:``) load as None."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    return yaml.load((src / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader) or {}


def nav_pages(config: dict) -> list[tuple[str, str]]:
    """``(title, source path)`` of every page in the nav, in reading order; links left out."""
    out: list[tuple[str, str]] = []

    def walk(items, title=None):
        for item in items or []:
            if isinstance(item, str):
                out.append((title or item, item))
            elif isinstance(item, dict):
                for key, value in item.items():
                    if isinstance(value, list):
                        walk(value)
                    elif isinstance(value, str):
                        out.append((key, value))

    walk(config.get("nav"))
    return [(t, p) for t, p in out if not p.startswith(("http:", "https:", "/"))]


def dest_path(src_uri: str, use_directory_urls: bool = True) -> str:
    """The built HTML file of a page source, as MkDocs names it (``data.md`` -> ``data/index.html``)."""
    stem, _ = posixpath.splitext(src_uri)
    folder, name = posixpath.split(stem)
    if name in ("index", "README"):
        return posixpath.join(folder, "index.html")
    if use_directory_urls:
        return posixpath.join(stem, "index.html")
    return stem + ".html"


def resolve(site: Path, page: str, url: str) -> tuple[Path, str] | None:
    """The file and fragment a relative ``url`` on ``page`` (site-relative path) points to.

    None for URLs that leave the site (a scheme, a host, ``mailto:``, ``data:``).
    """
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    if not path:
        target = page
    elif path.startswith("/"):
        target = path.lstrip("/")
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    if target in ("", ".") or path.endswith("/"):
        target = posixpath.join(target, "index.html") if target not in ("", ".") else "index.html"
    elif (site / target).is_dir():
        target = posixpath.join(target, "index.html")
    return site / target, unquote(parts.fragment)


# --------------------------------------------------------------------------------------------
# Reading the HTML (the standard library's parser: no test-only dependency)
# --------------------------------------------------------------------------------------------

# Elements whose text is not prose a reader sees as such: code, scripts, styles, the TeX
# annotation that MathML may carry, and anything hidden (mkdocs-jupyter keeps a hidden copy of each
# code cell for its copy button in <div class="clipboard-copy-txt">).
NOT_PROSE = {"code", "pre", "script", "style", "annotation", "annotation-xml", "textarea", "template"}
HIDDEN_CLASSES = {"clipboard-copy-txt"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Html:
    """What the site test needs from one HTML file."""

    path: Path
    tags: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # every start tag
    ids: set[str] = field(default_factory=set)
    prose: str = ""  # visible text outside code (see NOT_PROSE)
    blocks: list[str] = field(default_factory=list)  # text of each outermost <pre> / <code>
    figures: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # <figure id> -> <img>s

    def find(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]


class _Reader(HTMLParser):
    """Keeps a stack of open elements; an end tag closes everything opened after its start tag."""

    def __init__(self, html: Html):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.stack: list[tuple[str, bool, str | None]] = []  # (tag, hides its text, figure id)
        self.block: list[str] | None = None
        self.prose: list[str] = []

    def _hidden(self) -> bool:
        return any(hides for _, hides, _ in self.stack)

    def _in(self, tags: set[str]) -> bool:
        return any(tag in tags for tag, _, _ in self.stack)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        self.html.tags.append((tag, a))
        if "id" in a:
            self.html.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.html.ids.add(a["name"])
        if tag == "img":
            figure = next((f for _, _, f in reversed(self.stack) if f is not None), None)
            if figure is not None:
                self.html.figures[figure].append(a)
        if tag in VOID:
            return
        hides = (
            tag in NOT_PROSE
            or "hidden" in a
            or a.get("aria-hidden") == "true"
            or bool(HIDDEN_CLASSES & set(a.get("class", "").split()))
        )
        figure = None
        if tag == "figure":
            figure = a.get("id", "")
            self.html.figures.setdefault(figure, [])
        if tag in ("pre", "code") and not self._in({"pre", "code"}):
            self.block = []
        self.stack.append((tag, hides, figure))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID or all(t != tag for t, _, _ in self.stack):
            return  # a stray end tag
        while self.stack:
            closed, _, _ = self.stack.pop()
            if closed == tag:
                break
        if self.block is not None and not self._in({"pre", "code"}):
            self.html.blocks.append("".join(self.block))
            self.block = None

    def handle_data(self, data):
        if self.block is not None:
            self.block.append(data)
        if not self._hidden():
            self.prose.append(data)


def read_html(path: Path) -> Html:
    html = Html(path)
    reader = _Reader(html)
    reader.feed(path.read_text(encoding="utf-8"))
    reader.close()
    html.prose = "".join(reader.prose)
    return html


@pytest.fixture(scope="session")
def site_pages(built_site) -> dict[str, Html]:
    """Every HTML file of the built site, parsed once, by site-relative path."""
    return {p.relative_to(built_site).as_posix(): read_html(p) for p in sorted(built_site.rglob("*.html"))}
