r"""Newton's method (IRLS): the loop the book prints, and the loop ``fit(method="newton")`` runs.

The loop is a template in the shape of scikit-learn's ``_newton_solver.py``: {gradient and
Hessian, inner solve, line search, convergence check}. It never sees a formula or a speed-up;
those come in as arguments:

* ``problem``, the objective as a function of the parameters: ``evaluate(w, b)`` returns a point
  with its objective ``f`` (and what the other methods need), ``gradient(point)`` the gradient as
  a vector, ``line_search(point, step, slope)`` the accepted point (or ``None``) and the step
  length, ``gtol(tol)`` the gradient tolerance. `logreg.fit` passes one that works in
  standardised coordinates and searches along the activations (`logreg._coordinates._Problem`).
* ``hessians``, where the Hessian comes from: ``at(point, g_norm)`` returns a solver
  ``v -> H^{-1} v`` and whether it was formed at this point; ``kept`` is the last solver (or
  ``None``) and ``forget()`` drops it. `logreg.fit` passes one that keeps a Hessian while the
  gradient keeps halving (`logreg.fitting._NewtonHessians`).
* the starting point ``(w, b)``: on large data, `logreg.fit` first runs this same loop on a
  subsample and starts from its answer.
"""

from __future__ import annotations

import numpy as np

__all__ = ["newton"]


def newton(problem, w, b, *, tol: float, max_iter: int, hessians, options):
    r"""Minimise ``problem``'s objective from ``(w, b)`` by Newton's method with a line search.

    Converged when the gradient is small, $\lVert g\rVert_\infty \le$ ``problem.gtol(tol)``, and
    the Newton decrement $g^\top H^{-1} g$ (twice the decrease of $E$ the quadratic model still
    predicts) is at most ``2 * options.certified_gap_per_tol * tol`` times $\max(|E|, 1)$; or when
    a freshly formed Hessian predicts a decrease below the rounding error of $E$
    (``options.rounding_level``), which no tolerance can ask to beat.

    Returns:
        ``(point, n_iter, converged, history)``, with the objective at each iterate in ``history``.
    """
    point = problem.evaluate(w, b)
    history = [point.f]
    gtol, level = problem.gtol(tol), 2 * options.certified_gap_per_tol * tol

    def certified(g_norm: float, decrement: float, f: float) -> bool:
        return g_norm <= gtol and decrement <= level * max(abs(f), 1.0)

    for it in range(1, max_iter + 1):
        g = problem.gradient(point)
        g_norm = float(np.max(np.abs(g)))
        if hessians.kept is not None and certified(g_norm, float(g @ hessians.kept(g)), point.f):
            return point, it - 1, True, history  # certified by the Hessian at hand
        solve, fresh = hessians.at(point, g_norm)  # H^-1: formed here, or kept while it works
        step = solve(-g)  # the inner solve, H step = -g
        slope = float(g @ step)  # -(Newton decrement): < 0 for a descent direction
        if not slope < 0:
            return point, it - 1, False, history
        at_rounding = fresh and -slope <= options.rounding_level * max(abs(point.f), 1.0)
        if certified(g_norm, -slope, point.f) or at_rounding:
            return point, it - 1, True, history  # certified, or at working precision
        accepted, _ = problem.line_search(point, step, slope)
        if accepted is None:  # no step decreases E measurably
            if not fresh:  # a kept Hessian may have gone stale: retry with a new one
                hessians.forget()
                continue
            return point, it - 1, g_norm <= 10 * gtol, history  # rounding error stops every step
        point = accepted
        history.append(point.f)
    return point, max_iter, float(np.max(np.abs(problem.gradient(point)))) <= gtol, history
