"""The build's cache: where it lives, what its key hashes, how entries are written and read.

:mod:`book.hooks` keeps what it computes (figures, the prose's numbers, the explorers' data, the
executed notebook) under one folder, ``.cache/`` in the tree, or ``$LOGREG_CACHE_DIR`` if that is
set (a read-only checkout builds with the cache elsewhere). Four rules keep it correct:

* **The key hashes everything the content depends on**: the sources of ``logreg/`` and
  ``book/``, any extra file (the notebook), the Python version and every installed
  distribution's version. NumPy, SciPy, scikit-learn, statsmodels and Matplotlib all compute
  cached content, and so may their own dependencies; hashing them all costs a few milliseconds
  and means a ``requirements.lock`` change can never leave stale numbers in the book.
* **Writes are atomic**: an entry is written to a temporary file in its folder and renamed into
  place, so a build killed mid-write leaves no half-written entry.
* **An unreadable entry is a miss**: whatever is in the folder, a build recomputes what it cannot
  read instead of failing until someone runs ``make clean``.
* **One build at a time per cache**: :class:`BuildLock` serialises builds that share the cache
  (two ``make site`` in one tree), so neither prunes or renames what the other is writing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = "LOGREG_CACHE_DIR"
#: The folders whose Python sources every cached entry depends on.
SOURCES = ("logreg", "book")

log = logging.getLogger("mkdocs.book")


def root() -> Path:
    """The cache folder: ``$LOGREG_CACHE_DIR`` if set (and not empty), else ``.cache/`` in the tree."""
    given = os.environ.get(ENV, "").strip()
    return Path(given).expanduser().resolve() if given else ROOT / ".cache"


def installed_versions() -> list[str]:
    """``name==version`` of every installed distribution, sorted: what the key knows of the
    environment (Python's own version is hashed beside it)."""
    from importlib.metadata import distributions

    seen = set()
    for dist in distributions():
        name = (dist.metadata["Name"] or "").strip().lower().replace("_", "-")
        if name:
            seen.add(f"{name}=={dist.version}")
    return sorted(seen)


def key(*extra: Path) -> str:
    """A hash of everything generated content depends on (see the module docstring)."""
    h = hashlib.sha256()
    h.update(f"python={sys.implementation.name}-{sys.version}\0".encode())
    for line in installed_versions():
        h.update(line.encode() + b"\0")
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            h.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
            h.update(path.read_bytes())
    for path in extra:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def fresh_dir(kind: str, key: str) -> Path:
    """``<cache>/<kind>/<key>`` (not created), with stale siblings removed."""
    parent = root() / kind
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.iterdir():
        if old.name != key:
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
    return parent / key


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file, or all of the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(data) -> str:
    """The one JSON spelling of an entry (sorted keys: the same text for the same data)."""
    return json.dumps(data, sort_keys=True, allow_nan=False)


def read_json(path: Path):
    """The JSON in ``path``, or None if it is missing or cannot be read (a miss, logged)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        log.info("book cache: %s is unreadable (%s); recomputing it", path, error)
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        log.info("book cache: %s is not valid JSON (%s); recomputing it", path, error)
        return None


class BuildLock:
    """An exclusive lock on ``<cache>/build.lock``, held from the start of a build to its end.

    ``flock`` locks belong to the open file, so the operating system releases this one when the
    build's process ends, however it ends: a killed build never leaves the next one waiting.
    Where ``fcntl`` does not exist (Windows) builds are not serialised.
    """

    def __init__(self) -> None:
        self._file = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> None:
        if self._file is not None:
            return
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX
            return
        path = root() / "build.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        file = path.open("a+b")
        try:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.info("book cache: another build is using %s; waiting for it to finish", path.parent)
                fcntl.flock(file, fcntl.LOCK_EX)
        except BaseException:
            file.close()
            raise
        self._file = file

    def release(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.close()  # closing the file releases its flock
