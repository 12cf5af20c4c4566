r"""`LogisticRegression`: `logreg.fit` as a scikit-learn estimator.

For programmers who want scikit-learn's tools (`Pipeline`, `cross_val_score`, `GridSearchCV`,
`clone`, pickling) around the book's objective. It needs scikit-learn (``pip install
logreg[sklearn]``); ``import logreg`` does not import this module until
``logreg.LogisticRegression`` is first used, so the package stays light without it.

The estimator only translates: scikit-learn's conventions in, `logreg.fit` underneath, its
`FitResult` kept as ``result_``. The translation is:

* **labels**: any two labels (strings, -1/+1, 1/2, ...); ``classes_`` holds them sorted, as
  scikit-learn sorts them, and the second, ``classes_[1]``, is the class whose probability the
  model states ($y = 1$ in the book).
* **shapes**: ``coef_`` is ``(1, n_features)`` and ``intercept_`` ``(1,)``, ``predict_proba``
  ``(n_samples, 2)``, as for scikit-learn's binary classifiers.
* **the penalty**: ``l2`` is the book's $\lambda$ on the *summed* loss; scikit-learn's ``C``
  (an inverse strength on the summed loss, $\lVert w\rVert^2 / 2$ penalty) is
  ``C = 1 / (2 * l2)``, so the default ``l2 = 0.5`` is scikit-learn's default ``C = 1``.
* **sparse input**: ``scipy.sparse`` matrices and arrays are fitted and predicted without a
  dense copy (CSR and CSC as they are, other formats converted to CSR); see `logreg.fit`.
* **feature names**: a pandas ``DataFrame`` sets ``feature_names_in_``; predicting on a frame
  with other columns, or the same columns in another order, is an error naming them.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .fitting import METHODS, Method, fit

__all__ = ["LogisticRegression"]

#: scipy.sparse formats used as they are; scikit-learn's validation converts any other to the first.
_SPARSE_FORMATS = ["csr", "csc"]


class LogisticRegression(ClassifierMixin, BaseEstimator):
    r"""Binary logistic regression with the book's objective, as a scikit-learn classifier.

    Minimises, with `logreg.fit`, the book's objective (eq. ``obj``) with sample weights $s_n$
    (1 by default): the weighted loss $-\sum_n s_n [y_n \log\sigma(a_n) + (1 - y_n)\log\sigma(-a_n)]$
    plus the penalty $\lambda\lVert w\rVert^2$.

    Parameters:
        l2: the penalty strength $\lambda \ge 0$ on the summed loss. scikit-learn's ``C``
            maps to ``l2 = 1 / (2 * C)``; the default 0.5 is ``C = 1``, scikit-learn's default.
            ``l2 = 0`` is unpenalised maximum likelihood (with a `SeparationWarning` on
            separable data).
        penalize_bias: also penalise the bias (``False``, as in scikit-learn).
        method: ``"auto"`` (Newton on small dense data, L-BFGS otherwise), ``"newton"``,
            ``"lbfgs"`` or ``"bfgs"`` (see `logreg.fit`).
        tol: the convergence tolerance of `logreg.fit`.
        max_iter: the iteration limit of `logreg.fit`.
        n_threads: the threads `logreg.fit` runs its passes on: ``None`` (the default) follows
            the limits the environment sets (``OMP_NUM_THREADS``, ``threadpool_limits``, the CPU
            affinity and quota), so that inside ``GridSearchCV(n_jobs=...)`` each fit takes its
            share of the machine; ``1`` starts no thread. (A float32 ``X`` is kept as it is,
            not copied to float64: `logreg.fit` converts one block of rows at a time.)

    Attributes:
        classes_: the two labels, sorted; ``classes_[1]`` is the "positive" class.
        coef_: shape ``(1, n_features)``, the weights $w$.
        intercept_: shape ``(1,)``, the bias $b$.
        n_features_in_: the number of features seen in `fit`.
        feature_names_in_: the column names of a ``DataFrame`` passed to `fit` (only then).
        n_iter_: shape ``(1,)``, the iterations the solver took.
        result_: the `logreg.FitResult` of the fit: objective, convergence, history, ...

    Examples:
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import StandardScaler
        >>> from logreg import LogisticRegression
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> model = make_pipeline(StandardScaler(), LogisticRegression(l2=0.5)).fit(X, y)
        >>> model.predict_proba(X[:2]).shape, round(model.score(X, y), 3)
        ((2, 2), 0.988)

        ``scipy.sparse`` input works the same way, without a dense copy:

        >>> import scipy.sparse as sp
        >>> X_sparse = sp.csr_matrix(X > X.mean(axis=0))  # 0/1 features, 51 % stored
        >>> LogisticRegression().fit(X_sparse, y).predict_proba(X_sparse[:2]).shape
        (2, 2)
    """

    def __init__(
        self,
        l2: float = 0.5,
        *,
        penalize_bias: bool = False,
        method: str = "auto",
        tol: float = 1e-8,
        max_iter: int = 200,
        n_threads: int | None = None,
    ):
        self.l2 = l2
        self.penalize_bias = penalize_bias
        self.method = method
        self.tol = tol
        self.max_iter = max_iter
        self.n_threads = n_threads

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # binary: the book's model, by design
        tags.input_tags.sparse = True  # scipy.sparse CSR/CSC (others converted), never densified
        return tags

    def fit(self, X, y, sample_weight=None) -> LogisticRegression:
        """Fit the model to ``X`` (shape ``(n_samples, n_features)``) and any two labels ``y``.

        ``sample_weight``: one non-negative, finite weight per row; an integer weight counts
        the row that many times. Returns ``self``.
        """
        if self.method != "auto" and self.method not in METHODS:
            choices = ", ".join(map(repr, ("auto", *METHODS)))
            raise ValueError(f"unknown method {self.method!r}; choose one of {choices}")
        X, y = validate_data(self, X, y, accept_sparse=_SPARSE_FORMATS, dtype=[np.float64, np.float32], y_numeric=False)
        check_classification_targets(y)
        kind = type_of_target(y, input_name="y", raise_unknown=True)
        if kind != "binary":
            raise ValueError(
                f"Only binary classification is supported. The type of the target is {kind} "
                f"(labels {np.unique(y)[:5].tolist()}{', ...' if len(np.unique(y)) > 5 else ''})."
            )
        classes, encoded = np.unique(y, return_inverse=True)
        if classes.shape[0] != 2:
            raise ValueError(f"y holds only one class ({classes.tolist()}); LogisticRegression needs two")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        result = fit(
            X,
            encoded.astype(np.float64),
            l2=self.l2,
            penalize_bias=self.penalize_bias,
            method=cast(Method, self.method),  # checked above
            tol=self.tol,
            max_iter=self.max_iter,
            sample_weight=sample_weight,
            n_threads=self.n_threads,
        )
        self.classes_ = classes
        self.coef_ = result.weights[None, :].copy()
        self.intercept_ = np.array([result.bias])
        self.n_iter_ = np.array([result.n_iter])
        self.result_ = result
        return self

    def decision_function(self, X) -> np.ndarray:
        r"""The activation $a = Xw + b$ for each row, shape ``(n_samples,)``: positive means
        ``classes_[1]``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=_SPARSE_FORMATS, dtype=[np.float64, np.float32])
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X) -> np.ndarray:
        r"""Shape ``(n_samples, 2)``: $\sigma(-a)$ and $\sigma(a)$, the probabilities of
        ``classes_[0]`` and ``classes_[1]`` (each computed directly, so neither loses digits
        to ``1 - p``)."""
        a = self.decision_function(X)
        return np.column_stack([expit(-a), expit(a)])

    def predict_log_proba(self, X) -> np.ndarray:
        r"""The log of `predict_proba`, $\log\sigma(-a)$ and $\log\sigma(a)$, exact at any
        activation (no ``log(0)``)."""
        a = self.decision_function(X)
        return np.column_stack([log_expit(-a), log_expit(a)])

    def predict(self, X) -> np.ndarray:
        """The more probable label of each row, from ``classes_``."""
        positive = self.decision_function(X) > 0  # first: it raises NotFittedError before fit
        return self.classes_[positive.astype(np.intp)]
