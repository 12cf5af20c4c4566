"""The engine's tunables, in one frozen object passed explicitly to every solver.

`fit` takes ``options=`` (keyword-only; ``None`` means `DEFAULT_OPTIONS`); tests and the book
pass ``dataclasses.replace(DEFAULT_OPTIONS, ...)`` instead of patching module globals. None of
these changes the optimum `fit` converges to, only the work spent reaching it (and, for
``certified_gap_per_tol`` and ``rounding_level``, how close to it "converged" means).

The measurements behind the values are in ``benchmarks/NOTES.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_OPTIONS", "SolverOptions"]


@dataclass(frozen=True)
class SolverOptions:
    """Every tunable of `logreg.fit`'s solvers, each with the reason for its value."""

    # --- the default method ------------------------------------------------------------
    #: ``method="auto"`` runs Newton when rows x features^2 is at most this, L-BFGS above:
    #: Newton's Hessian costs N D^2 per iteration, and below this it was as fast as L-BFGS or
    #: faster, on every real data set tried (``benchmarks/bench_default.py``, NOTES.md section 4).
    auto_newton_max_work: float = 2e6

    # --- warm start on a subsample (Newton and L-BFGS) ---------------------------------
    #: Above this many rows, solve on a subsample first: most iterations are spent far from the
    #: optimum, where a step from a fraction of the rows is as good as one from all of them.
    warm_start_min_samples: int = 100_000
    #: The subsample is every this-many-th row (a power of two, so the Hessian estimates'
    #: strided rows include it).
    subsample_stride: int = 16
    #: The warm start stops at this tolerance: it only needs to land near the optimum.
    warm_start_tol: float = 1e-6
    #: L-BFGS warm-starts only with at least this many subsample rows per parameter: with fewer,
    #: the subsample's optimum is too far off to save a full iteration.
    warm_start_rows_per_parameter: int = 256
    #: L-BFGS's warm start gets at most this many iterations; not converging within them is
    #: taken as ill-conditioning (the full run is then preconditioned).
    warm_start_max_iter: int = 50

    # --- convergence -------------------------------------------------------------------
    #: Every solver's certificate: the predicted remaining decrease of E (half the Newton
    #: decrement) at most this times ``tol * max(|E|, 1)``; a small gradient alone can leave E
    #: measurably above its minimum on ill-conditioned data.
    certified_gap_per_tol: float = 1e-5
    #: A predicted decrease below this times ``max(|E|, 1)`` is below E's rounding error: no step
    #: can improve E measurably, so the point is optimal to working precision.
    rounding_level: float = 64 * float(np.finfo(float).eps)

    # --- Newton ------------------------------------------------------------------------
    #: A kept Hessian is formed anew when the gradient's largest component shrank by less than
    #: this factor in the last step (near the optimum the Hessian hardly changes).
    hessian_reuse_shrink: float = 0.5

    # --- line search (all solvers but scipy's BFGS) ----------------------------------------
    #: Armijo's sufficient-decrease constant (Nocedal & Wright's usual 1e-4).
    armijo: float = 1e-4
    #: The shortest step tried; below it no step decreases E measurably.
    min_step: float = 1e-10

    # --- L-BFGS ------------------------------------------------------------------------
    #: How many recent steps L-BFGS remembers (scipy's and scikit-learn's default too).
    lbfgs_memory: int = 10
    #: Above this ratio of the largest to the smallest Cholesky pivot of the Hessian estimate
    #: (standardised coordinates), L-BFGS is preconditioned; the ratio underestimates the
    #: condition number 10-70 times on correlated and polynomial features.
    well_conditioned: float = 10.0
    #: The start's conditioning test reads about this many rows per parameter: a column nearly a
    #: combination of others is nearly one on any rows.
    condition_test_rows_per_parameter: int = 8
    #: The start's conditioning test is made only if it costs at most this many passes over the
    #: data (it forms a (D+1) x (D+1) matrix).
    condition_test_max_passes: float = 4
    #: ... and, either way, again at this iteration if L-BFGS has not converged by then
    #: (well-conditioned fits take 5-15); a preconditioner in use is then refreshed every
    #: this many iterations (or more, where an estimate costs more passes).
    condition_test_iter: int = 25
    #: Hessian estimates (certificate, preconditioner) read every k-th row, k chosen for about
    #: this many rows per parameter (the estimate is then within a factor 0.25-2.25 of the
    #: Hessian in every direction: ample for a certificate and a preconditioner) ...
    hessian_rows_per_parameter: int = 4
    #: ... but at least this many rows (the exact Hessian of fewer costs little).
    hessian_min_rows: int = 5_000

    #: A multiply-add of conjugate gradients' matrix-vector products on dense rows costs about
    #: this many of the dense Hessian estimate's (BLAS's matrix-matrix products run faster) ...
    cg_cost_per_multiply_add: float = 5
    #: ... and L-BFGS certifies dense X by CG (`_hessians.HessianOperator`) where the dense
    #: estimate would cost at least this many CG iterations: a certificate takes ~4-20 ...
    matrix_free_certificate_min_iterations: float = 30
    #: ... and CG gives up (the dense estimate is formed instead) after this share of the
    #: estimate's cost: a proof that would take longer is cheaper from the estimate.
    cg_share_of_estimate: float = 0.5

    # --- sparse X ----------------------------------------------------------------------
    #: Newton and BFGS accept sparse X with at most this many features: they need a dense
    #: (D+1) x (D+1) matrix (4,097^2 float64 is 134 MB, its Cholesky ~2e10 multiply-adds).
    dense_hessian_max_features: int = 4096
    #: L-BFGS forms dense Hessian estimates of sparse X only if one costs at most this many
    #: passes over the stored values; otherwise it uses Hessian-vector products.
    dense_hessian_max_passes: float = 50
    #: Conjugate gradients (sparse Hessian operator) stop at this relative residual ...
    cg_rtol: float = 1e-4
    #: ... or when the Newton decrement they build up grows by less than this of itself: the
    #: certificate needs the decrement to a few per cent, not H^-1 g to many digits ...
    cg_decrement_rtol: float = 1e-4
    #: ... or after this many Hessian-vector products.
    cg_max_iter: int = 500

    # --- separability check (l2 = 0) -----------------------------------------------------
    #: The linear program is first tried on the rows nearest the fitted boundary, at least this
    #: many: a subset that no hyperplane separates proves that none separates them all ...
    separation_subset_min: int = 500
    #: ... and at least this many per parameter.
    separation_subset_per_parameter: int = 20

    def __post_init__(self) -> None:
        for name in (
            "warm_start_min_samples",
            "subsample_stride",
            "warm_start_rows_per_parameter",
            "warm_start_max_iter",
            "lbfgs_memory",
            "condition_test_rows_per_parameter",
            "condition_test_iter",
            "hessian_rows_per_parameter",
            "hessian_min_rows",
            "dense_hessian_max_features",
            "cg_max_iter",
            "separation_subset_min",
            "separation_subset_per_parameter",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"SolverOptions.{name} must be a positive integer, got {value!r}")
        stride = self.subsample_stride
        if stride & (stride - 1):
            raise ValueError(f"SolverOptions.subsample_stride must be a power of two, got {stride!r}")
        for name in (
            "auto_newton_max_work",
            "warm_start_tol",
            "certified_gap_per_tol",
            "rounding_level",
            "hessian_reuse_shrink",
            "armijo",
            "min_step",
            "well_conditioned",
            "condition_test_max_passes",
            "dense_hessian_max_passes",
            "cg_cost_per_multiply_add",
            "matrix_free_certificate_min_iterations",
            "cg_share_of_estimate",
            "cg_rtol",
            "cg_decrement_rtol",
        ):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float, np.floating, np.integer))
                or not value >= 0
            ):
                raise ValueError(f"SolverOptions.{name} must be a non-negative number, got {value!r}")


#: The options `fit` uses unless given others.
DEFAULT_OPTIONS = SolverOptions()
