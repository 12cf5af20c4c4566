"""logreg: binary logistic regression, derived and explained in the book it builds.

Everything a programmer needs to fit and predict is imported here; plotting lives in
`logreg.plotting`, which imports Matplotlib only when used, and the scikit-learn estimator
`logreg.LogisticRegression` in `logreg.estimator`, imported (with scikit-learn) only when first
used, so that ``import logreg`` needs neither.

Examples:
    >>> from logreg import fit, make_blobs
    >>> X, y = make_blobs(200, seed=1)
    >>> model = fit(X, y, l2=0.5)
    >>> model.predict([[-2.0, -2.0], [2.0, 2.0]]).tolist()
    [1.0, 0.0]
"""

from . import inference, selection
from .data import make_blobs, make_separable
from .fitting import METHODS, FitResult, fit, is_separable, predict, predict_proba
from .gradcheck import GradientCheck, check_gradient
from .model import gradient, hessian, log_sigmoid, objective, sigmoid, sigmoid_derivative
from .warnings import ConvergenceWarning, LogregWarning, SeparationWarning

__version__ = "0.1.0"

__all__ = [
    "METHODS",
    "ConvergenceWarning",
    "FitResult",
    "GradientCheck",
    "LogisticRegression",
    "LogregWarning",
    "SeparationWarning",
    "check_gradient",
    "fit",
    "gradient",
    "hessian",
    "inference",
    "is_separable",
    "log_sigmoid",
    "make_blobs",
    "make_separable",
    "objective",
    "predict",
    "predict_proba",
    "selection",
    "sigmoid",
    "sigmoid_derivative",
]


def __getattr__(name: str):
    # PEP 562: `logreg.LogisticRegression` imports scikit-learn on first use, not with `logreg`.
    if name == "LogisticRegression":
        try:
            from .estimator import LogisticRegression
        except ModuleNotFoundError as exc:
            if exc.name is None or not exc.name.startswith("sklearn"):
                raise
            raise ImportError("logreg.LogisticRegression needs scikit-learn: pip install 'logreg[sklearn]'") from exc
        return LogisticRegression
    raise AttributeError(f"module 'logreg' has no attribute {name!r}")
