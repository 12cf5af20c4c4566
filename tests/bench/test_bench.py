"""The benchmark script runs as the README says, end to end (on a tiny size; the timings
themselves are not tested, they belong in the closing notes of the stops that measure them)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_fit.py"


def test_the_benchmark_runs_and_reports_every_solver():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "3000x5", "--repeats", "1", "--memory-size", "3000x5"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    # The default's label names the method it ran: Newton at 3000 x 5 (logreg.fitting.auto_method).
    for label in ("logreg default (newton)", "logreg newton", "sklearn lbfgs", "sklearn newton-cholesky", "glum irls"):
        assert re.search(rf"^{re.escape(label)}\s+\d+\.\d+s", out, re.M), label
    assert re.search(r"^(NOT )?FASTEST 3000x5: ", out, re.M), out
    # Each fit's peak resident memory and what the fit added, in the main table too.
    assert re.search(r"^logreg newton\s+\d+\.\d+s.*\s\d+ MiB\s+-?\d+ MiB\s+\d+$", out, re.M), out
    verdict = re.search(r"^(PASS|FAIL) 3000x5: logreg default fit = [\d.]+x .* gap (\S+) ", out, re.M)
    assert verdict, out
    assert abs(float(verdict.group(2))) <= 1e-10  # the accuracy half of the target, which is not noisy
    # The float32 peak-memory table: every solver, with its memory before, peak and added.
    assert "=== peak memory, float32 X of 3,000 x 5" in out
    for label in ("logreg default", "logreg newton", "sklearn lbfgs", "sklearn newton-cholesky", "glum irls"):
        assert re.search(rf"^{re.escape(label)}\s+\d+ MiB\s+\d+ MiB\s+-?\d+ MiB\s+\d+\.\d+s", out, re.M), label


def test_the_separation_benchmark_runs_and_finds_overlap():
    script = SCRIPT.parent / "bench_separation.py"
    out = subprocess.run(
        [sys.executable, str(script), "--sizes", "5000x3", "--repeats", "1", "--no-full-lp"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert re.search(r"^fit l2=0\s+\d+\.\d+\s+\d+\.\d+\s+\d+\.\d+\s+\d+\s+False$", out, re.M), out
    for case in ("fit l2=0, no check", "fit l2=1", "sklearn lbfgs"):
        assert re.search(rf"^{re.escape(case)}\s+\d+\.\d+", out, re.M), case


def test_the_default_benchmark_runs_and_prints_a_crossover():
    script = SCRIPT.parent / "bench_default.py"
    out = subprocess.run(
        [sys.executable, str(script), "--rows", "500,2000", "--features", "2,5", "--repeats", "1", "--no-real"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    # The ratio table: one row per N, one ratio per D.
    for n in ("500", "2,000"):
        assert re.search(rf"^{n}\s+\d+\.\d+!?\s+\d+\.\d+!?$", out, re.M), out
        assert re.search(rf"^CROSSOVER N={n}: (Newton|L-BFGS) ", out, re.M), out
    assert re.search(r"^RULE newton where N\*D\^2 <= \S+, synthetic \(medians\): inside ", out, re.M), out
    gaps = re.search(r"^largest gaps: newton (\S+), lbfgs (\S+)$", out, re.M)
    assert gaps, out
    assert max(float(gaps.group(1)), float(gaps.group(2))) <= 1e-10  # both methods reach the target
