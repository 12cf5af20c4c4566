"""What every benchmark script shares: fresh-process workers, their memory, the machine's load,
medians and tables. Each ``bench_*.py`` keeps only what it measures.

How a timed run works. The parent saves the data to a temporary directory and starts the same
script again as a *worker* (``python bench_x.py --worker ARG ...``), one fresh Python process per
timed fit, so no run inherits another's caches, thread pools or heap. The worker loads the data,
imports its solver, times only the call it measures with ``time.perf_counter``, and ends by
printing one JSON line (:func:`emit`), to which it adds its resident memory before the call and
its peak. The parent (:func:`run_worker`) times the whole process, start to exit, and parses
that line. :func:`alternate` runs the workers for several labels in turn, the order rotated every
repetition, so a burst of load elsewhere on the machine spreads over all of them.

Peak memory is the kernel's high-water mark ``VmHWM`` of the worker (Linux), which an ``exec``
resets. ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is not used on Linux: it carries the
parent's peak across ``fork``/``exec`` (every worker of ``bench_fit.py`` once reported its parent's
489 MB). Elsewhere ``ru_maxrss`` is the fallback, with that caveat.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def use_repo_logreg() -> None:
    """Import ``logreg`` from this checkout (before an installed copy)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


# --- data ------------------------------------------------------------------------------------


def gaussian_classes(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian classes, identity covariance, means at +-0.5 along a random unit direction:
    dense float64 ``X`` (n x d) and 0/1 float ``y``, the same for the same seed."""
    if n < 2 or d < 1:
        raise ValueError(f"a benchmark size needs n >= 2 rows and d >= 1 features, got {n} x {d}")
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    y = rng.integers(0, 2, n).astype(np.float64)
    X = rng.standard_normal((n, d))
    X += np.outer(2.0 * y - 1.0, 0.5 * u)
    return X, y


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """``"1000000x20,100000x200"`` -> ``[(1000000, 20), (100000, 200)]``, with a clear error."""
    sizes = []
    for item in text.split(","):
        parts = item.strip().lower().split("x")
        try:
            n, d = (int(p.replace("_", "")) for p in parts)
        except ValueError:
            raise SystemExit(f"error: size {item.strip()!r} is not NxD (two integers, e.g. 100000x200)") from None
        if n < 2 or d < 1:
            raise SystemExit(f"error: size {item.strip()!r} needs N >= 2 and D >= 1")
        sizes.append((n, d))
    return sizes


def relative_gap(E: float, E_star: float) -> float:
    """``(E - E*) / |E*|``: how far above the optimum a fit stopped, relative to it."""
    return (E - E_star) / abs(E_star)


# --- inside a worker --------------------------------------------------------------------------


def rss_bytes() -> float:
    """This process's resident memory now (Linux ``/proc/self/statm``; else nan)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return float("nan")


def peak_rss_bytes() -> float:
    """This process's peak resident memory since its ``exec`` (``VmHWM``; see the module
    docstring for why not ``ru_maxrss`` on Linux)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return float(peak if sys.platform == "darwin" else peak * 1024)  # bytes on macOS, KiB elsewhere


class Timer:
    """Times a block and records the memory around it::

    with Timer() as t:
        fit(...)
    emit({"fit_seconds": t.seconds, **t.memory})
    """

    def __enter__(self) -> Timer:
        self.rss_before = rss_bytes()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._t0
        self.peak = peak_rss_bytes()

    @property
    def memory(self) -> dict[str, float]:
        return {"rss_before": self.rss_before, "peak_rss": self.peak}


def emit(result: dict) -> None:
    """A worker's last word: its result as one JSON line on stdout (what :func:`run_worker` reads)."""
    print(json.dumps(result), flush=True)


# --- in the parent ----------------------------------------------------------------------------


def run_worker(script: str | Path, *args: str) -> dict:
    """Run ``script --worker *args`` in a fresh Python process; its JSON result, plus
    ``process_seconds`` (the whole process, timed here) and ``stderr``."""
    cmd = [sys.executable, str(Path(script).resolve()), "--worker", *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"worker {' '.join(args)!r} failed (exit {proc.returncode}):\n{proc.stderr}")
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"worker {' '.join(args)!r} printed no result:\n{proc.stderr}")
    result = json.loads(lines[-1])
    if isinstance(result, dict):
        result.update(process_seconds=wall, stderr=proc.stderr.strip())
    return result


def alternate(labels: Sequence[str], repeats: int, run: Callable[[str], dict]) -> dict[str, list[dict]]:
    """``run(label)`` ``repeats`` times for every label, the labels in turn and their order rotated
    every repetition; the results by label."""
    runs: dict[str, list[dict]] = {label: [] for label in labels}
    for rep in range(repeats):
        k = rep % len(labels)
        for label in list(labels[k:]) + list(labels[:k]):
            runs[label].append(run(label))
    return runs


def median(results: Iterable[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def warnings_in(results: Iterable[dict]) -> set[str]:
    """The distinct warning lines the workers wrote to stderr."""
    return {line.strip() for r in results for line in r.get("stderr", "").splitlines() if "Warning" in line}


class Load:
    """CPU time other processes used while the block ran, and the load average at its end: on a
    small machine anything else running distorts the timings, and the notes must say how much.

    ::

        with Load() as load:
            ...
        print(load.summary())
    """

    @staticmethod
    def _other_cpu_seconds() -> float:
        """CPU time of the whole machine minus this process and its children (Linux; else nan)."""
        try:
            with open("/proc/stat") as f:
                ticks = [int(x) for x in f.readline().split()[1:]]
        except OSError:
            return float("nan")
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle, iowait
        me = os.times()
        return busy - (me.user + me.system + me.children_user + me.children_system)

    def __enter__(self) -> Load:
        self._other0, self._wall0 = self._other_cpu_seconds(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.other = self._other_cpu_seconds() - self._other0
        self.wall = time.perf_counter() - self._wall0
        self.loadavg = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3

    def summary(self) -> str:
        cores = os.cpu_count() or 1
        return (
            f"other processes used {self.other:.1f} CPU-seconds during the {self.wall:.0f} s of timed runs "
            f"({self.other / max(self.wall, 1e-9):.2f} of {cores} cores; load average "
            f"{self.loadavg[0]:.1f} at the end; more than a few CPU-seconds makes the timings noisy)"
        )


# --- output -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a table: its title, width and how a value is written (a format spec and a
    suffix such as ``"s"`` or ``" MiB"``); the first column is the row's label, left-aligned."""

    title: str
    width: int
    spec: str = ""
    suffix: str = ""

    def cell(self, value: object) -> str:
        text = value if isinstance(value, str) else format(value, self.spec) + self.suffix
        return f"{text:>{self.width}}"


def table(label_title: str, label_width: int, columns: Sequence[Column], rows: dict[str, Sequence[object]]) -> str:
    """A fixed-width text table: a header, a rule, one line per ``label -> values``."""
    header = f"{label_title:<{label_width}}" + "".join(f"{c.title:>{c.width}}" for c in columns)
    lines = [header, "-" * len(header)]
    for label, values in rows.items():
        if len(values) != len(columns):
            raise ValueError(f"row {label!r} has {len(values)} values for {len(columns)} columns")
        lines.append(
            (f"{label:<{label_width}}" + "".join(c.cell(v) for c, v in zip(columns, values, strict=True))).rstrip()
        )
    return "\n".join(lines)


MIB = 2.0**20


def print_environment(extra: Sequence[str] = ()) -> None:
    """The date, the machine, its load and the versions of everything timed."""
    import scipy
    import sklearn

    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        from importlib.metadata import version

        glum = version("glum")
    except Exception:  # not installed: the scripts say so where they would time it
        glum = "not installed"
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"date:     {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"machine:  {cpu}; os.cpu_count() = {os.cpu_count()}; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(
        f"versions: python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, glum {glum}"
    )
    try:
        git = ["git", "-C", str(REPO)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "logreg"], capture_output=True, text=True).stdout.strip()
        print(f"logreg:   commit {commit}{' + uncommitted changes in logreg/' if dirty else ''}")
    except OSError:
        pass
    for line in extra:
        print(line)
