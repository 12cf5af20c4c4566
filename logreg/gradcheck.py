r"""A gradient check whose tolerance is derived, not picked.

The post checks its gradient with ``scipy.optimize.check_grad`` and an arbitrary threshold. Here the
threshold comes from the two errors of a central difference (book chapter *Optimisation*,
eq. ``fderr``):

$$
\frac{f(x + h e_j) - f(x - h e_j)}{2h} - \partial_j f(x)
  = \underbrace{\tfrac{h^2}{6} \partial_j^3 f(\xi)}_{\text{truncation}}
  + \underbrace{O(r_f / h)}_{\text{rounding}},
$$

where $r_f \approx \epsilon\,|f|$ is the rounding error in one evaluation of ``f``
($\epsilon = 2^{-52}$). The step $h = \epsilon^{1/3}\max(1, |x_j|)$ balances the two,
so a correct gradient is off by about $\epsilon^{2/3} \approx 4\times 10^{-11}$ in relative
terms, and a wrong one by far more. The truncation term is measured rather than guessed: a second
difference with step $2h$ has four times the truncation error, so the two estimates differ by
about three truncation errors (Richardson).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["GradientCheck", "check_gradient"]

EPS = float(np.finfo(np.float64).eps)
#: Headroom over the error estimate: the estimate is of the right size, not a strict bound.
SAFETY = 10.0
#: A check is conclusive only if every tolerance is below this fraction of the gradient's size
#: (its largest component, analytic or numeric): otherwise a gradient wrong by that much could
#: pass, because the differences of ``f`` do not resolve it.
RESOLUTION = 1e-2


@dataclass(frozen=True)
class GradientCheck:
    """What `check_gradient` found.

    Attributes:
        analytic: the gradient under test.
        numeric: the central-difference estimate.
        error: ``|numeric - analytic|`` per component.
        tolerance: the derived error budget per component.
        verdict: ``"failed"`` if some component is outside its tolerance; otherwise
            ``"inconclusive"`` if some tolerance exceeds `RESOLUTION` times the gradient's
            size (the finite differences of ``f`` cannot tell a 1 % error, for instance when
            rounding in ``f`` swamps its change over the step); otherwise ``"passed"``.
        passed: ``verdict == "passed"``.
    """

    analytic: NDArray[np.float64]
    numeric: NDArray[np.float64]
    error: NDArray[np.float64]
    tolerance: NDArray[np.float64]

    @property
    def conclusive(self) -> bool:
        """Whether every tolerance is small next to the gradient (see ``verdict``)."""
        size = max(float(np.max(np.abs(self.analytic))), float(np.max(np.abs(self.numeric))))
        return bool(np.all(self.tolerance <= RESOLUTION * size))

    @property
    def verdict(self) -> str:
        if not np.all(self.error <= self.tolerance):
            return "failed"
        return "passed" if self.conclusive else "inconclusive"

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"

    @property
    def worst_ratio(self) -> float:
        """The largest ``error / tolerance``; below 1 passes."""
        return float(np.max(self.error / self.tolerance))


def check_gradient(
    fun: Callable[[NDArray[np.float64]], float],
    grad: Callable[[NDArray[np.float64]], ArrayLike],
    x: ArrayLike,
) -> GradientCheck:
    r"""Compare ``grad(x)`` with central differences of ``fun`` under a derived tolerance.

    Args:
        fun: scalar function of a 1-D array.
        grad: its claimed gradient, returning an array of the same shape as ``x``.
        x: the point, shape ``(n,)``.

    Returns:
        A `GradientCheck`; ``.passed`` says whether every component is within budget and the
        budget is small enough to mean something (``.verdict`` tells "failed" from
        "inconclusive").

    Raises:
        ValueError: ``x`` is empty or not 1-D, or ``grad`` returns the wrong shape.
        TypeError: ``fun`` does not return one real number, or ``grad`` not real numbers.

    Examples:
        >>> import numpy as np
        >>> from logreg import check_gradient
        >>> check_gradient(lambda x: float(x @ x - 2 * x[0]), lambda x: 2 * x - [2, 0], np.array([3.0, 1.0])).passed
        True
        >>> check_gradient(lambda x: float(x @ x), lambda x: 2.001 * x, np.array([3.0, 1.0])).passed
        False
    """
    from .checks import as_float_array

    x = np.array(as_float_array(x, "x"), dtype=np.float64)  # a copy: the caller's is never perturbed
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D, got shape {x.shape}")
    if x.size == 0:
        raise ValueError("x is empty: there is no gradient component to check")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinite values")
    analytic = as_float_array(grad(x.copy()), "the value grad returned")
    if analytic.shape != x.shape:
        raise ValueError(f"grad returned shape {analytic.shape}, expected {x.shape}")

    def value(at: NDArray[np.float64]) -> float:
        out = fun(at)
        arr = as_float_array(out, "the value fun returned")
        if arr.size != 1:
            raise TypeError(f"fun must return one real number, got an array of shape {arr.shape}")
        return float(arr.reshape(()))

    f0 = value(x.copy())
    numeric = np.empty_like(x)
    numeric_2h = np.empty_like(x)
    rounding = np.empty_like(x)
    for j in range(x.size):
        h = EPS ** (1 / 3) * max(1.0, abs(x[j]))
        e = np.zeros_like(x)
        e[j] = h
        fp, fm = value(x + e), value(x - e)
        fp2, fm2 = value(x + 2 * e), value(x - 2 * e)
        numeric[j] = (fp - fm) / (2 * h)
        numeric_2h[j] = (fp2 - fm2) / (4 * h)
        # Each evaluation is off by about eps * |f|; the difference quotient divides that by h.
        delta_f = EPS * max(abs(f0), abs(fp), abs(fm), np.finfo(float).tiny)
        rounding[j] = delta_f / h
    truncation = np.abs(numeric_2h - numeric) / 3.0
    tolerance = SAFETY * (truncation + rounding + EPS * np.abs(analytic))
    return GradientCheck(analytic, numeric, np.abs(numeric - analytic), tolerance)
