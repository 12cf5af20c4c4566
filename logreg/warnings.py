"""The package's own warning classes, so callers can filter or escalate them precisely.

Examples:
    >>> import warnings
    >>> from logreg import SeparationWarning
    >>> warnings.simplefilter("error", SeparationWarning)  # make separation an error
"""

from __future__ import annotations

__all__ = ["ConvergenceWarning", "LogregWarning", "SeparationWarning"]


class LogregWarning(UserWarning):
    """Base class of every warning `logreg` issues."""


class SeparationWarning(LogregWarning):
    """The classes are linearly separable and ``l2 = 0``: the likelihood has no finite maximum.

    Along a separating direction every point's loss keeps falling as the weights grow, so an
    optimiser can only stop at its tolerance, with weights whose size depends on that tolerance.
    Any ``l2 > 0`` makes the optimum finite and unique.
    """


class ConvergenceWarning(LogregWarning):
    """The solver reached ``max_iter`` before its convergence test passed."""
