"""Input checks shared by the public functions (the teaching path's and the engine's alike).

Plain, single-threaded NumPy, importing nothing from the engine: `logreg.model` uses these
checks, and `logreg.fit` passes its multi-core block map where a check reads all of ``X``.
Every check runs before any arithmetic, so a caller sees an error that names the problem rather
than one from deep inside NumPy ("operands could not be broadcast ..."). Inputs are converted,
never modified: a caller's array is not written to.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def _describe_sparse(value: object) -> str | None:
    """The name of a ``scipy.sparse`` matrix or array type, or ``None`` for anything else.

    Asked of the object itself, without importing SciPy's sparse module for every call."""
    module = type(value).__module__ or ""
    if module.startswith("scipy.sparse") and hasattr(value, "toarray"):
        return type(value).__name__
    return None


def _from_pandas(value: object, name: str) -> object:
    """A pandas DataFrame or Series as a float array, if its dtype is a nullable one.

    ``np.asarray`` turns a frame with a nullable ``Int64``/``Float64``/``boolean`` column into an
    array of Python objects, which would be refused as "dtype object" although every value is a
    number; missing values (``pd.NA``) are reported as missing instead. Anything else is passed
    on unchanged (a plain float frame converts without this).
    """
    if not (hasattr(value, "isna") and hasattr(value, "to_numpy") and hasattr(value, "dtypes")):
        return value
    dtypes = list(value.dtypes) if hasattr(value.dtypes, "__iter__") else [value.dtypes]
    nullable = [
        dt
        for dt in dtypes
        if type(dt).__module__.startswith("pandas")
        and getattr(dt, "kind", "O") in "iufb"
        and getattr(dt, "na_value", None) is not None
    ]
    if not nullable:
        return value
    missing = value.isna()
    if bool(missing.to_numpy().any()):
        count = int(missing.to_numpy().sum())
        raise ValueError(f"{name} contains {count} missing value(s) (pd.NA); remove or impute them first")
    return value.to_numpy(dtype=np.float64)


def as_float_array(value: ArrayLike, name: str) -> Array:
    """Convert ``value`` to a float64 array, refusing what is not real-valued numeric data."""
    return as_real_array(value, name).astype(np.float64, copy=False)


def as_real_array(value: ArrayLike, name: str) -> NDArray:
    """``value`` as an array of real numbers in its own dtype (float32, integers and bools are
    kept, not converted), refusing what is not real-valued numeric data. `logreg.fit` takes
    ``X`` this way: its passes convert one block of rows at a time (`_passes.as_float64`)."""
    sparse = _describe_sparse(value)
    if sparse is not None:
        raise TypeError(
            f"{name} is a scipy.sparse {sparse}, which this function does not accept: pass a dense "
            f"array ({name}.toarray()) if it fits in memory. (fit, predict, predict_proba, objective, "
            "gradient, hessian and LogisticRegression accept scipy.sparse input.)"
        )
    if isinstance(value, np.ma.MaskedArray):
        if np.ma.count_masked(value):
            raise ValueError(
                f"{name} is a masked array with {np.ma.count_masked(value)} masked value(s); their "
                f"hidden values would be used. Remove or impute them, or pass {name}.filled(...)"
            )
        value = np.asarray(np.ma.getdata(value))
    plain = _from_pandas(value, name)
    try:
        arr = np.asarray(plain)
    except (ValueError, TypeError) as exc:  # ragged nested lists, for instance
        raise ValueError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)):
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got complex values")
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:  # long double: no BLAS; float64 it is
        return arr.astype(np.float64)
    return arr


def check_finite(arr: Array, name: str, map_rows: Callable[..., list[float]] | None = None) -> None:
    """Raise ``ValueError`` if ``arr`` holds NaN or infinite values.

    A sum is NaN or infinite whenever an element is, and costs one read with no temporary; only
    when it is not finite (or overflowed) is the element-wise test needed. ``map_rows(func,
    arr)``, if given, sums blocks of rows (`logreg.fit` passes its multi-core
    `logreg._passes.map_row_blocks`); by default one ``np.sum``.
    """

    def block_sum(part: Array) -> float:
        with np.errstate(over="ignore", invalid="ignore"):  # huge but finite values may overflow
            return float(np.sum(part))

    if map_rows is not None and arr.ndim == 2:
        sums = map_rows(lambda rows: block_sum(arr[rows]), arr)
    else:
        sums = [block_sum(arr)]
    if all(math.isfinite(part) for part in sums) and math.isfinite(sum(sums)):
        return
    check_finite_elements(arr, name)


def check_finite_elements(arr: Array, name: str) -> None:
    """The element-wise test behind `check_finite`, for when a sum was not finite: raises if an
    element is NaN or infinite, and passes if the sum only overflowed."""
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.any(np.isnan(arr)) else "infinite"
        raise ValueError(f"{name} contains {bad} values; remove or impute them first")


def check_X(
    X: ArrayLike,
    name: str = "X",
    *,
    finite: bool = True,
    n_features: int | None = None,
    keep_dtype: bool = False,
    sparse: bool = False,
) -> Array:
    """``X`` as a finite float array of shape ``(n_samples, n_features)``.

    With ``sparse=True`` a ``scipy.sparse`` ``X`` is accepted and returned as a float64 CSR or
    CSC matrix (`check_sparse_X`); otherwise it is refused with a message that
    says so.

    With ``finite=False`` the caller checks finiteness itself (`logreg.fit` does it in the same
    read of ``X`` as its first gradient). ``n_features``, when the model's is known (prediction),
    picks the right hint for a 1-D ``X``: one sample of several features, or several samples of one.
    With ``keep_dtype``, a real ``X`` that is not float64 (float32, integers, bools) is returned
    as it is, not copied to float64 (`as_real_array`).
    """
    if sparse and _describe_sparse(X) is not None:
        return check_sparse_X(X, name, finite=finite)
    arr = as_real_array(X, name) if keep_dtype else as_float_array(X, name)
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            if n_features is None or n_features == 1:
                hint = f"; use {name}.reshape(-1, 1) for one feature"
            elif arr.shape[0] == n_features:
                hint = f"; use {name}.reshape(1, -1) for one sample of {n_features} features"
            else:
                hint = f"; the model has {n_features} features, so {name} needs {n_features} columns"
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_features), got {arr.ndim}-D with shape {arr.shape}" + hint
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has no samples (shape {arr.shape})")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {arr.shape})")
    if finite:
        check_finite(arr, name)
    return arr


def check_y(y: ArrayLike, n_samples: int) -> Array:
    """``y`` as a float array of 0.0/1.0 of shape ``(n_samples,)``."""
    arr = as_float_array(y, "y")
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-D with shape (n_samples,), got {arr.ndim}-D with shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"X and y have different numbers of samples: X has {n_samples}, y has {arr.shape[0]}")
    check_finite(arr, "y")
    bad = (arr != 0.0) & (arr != 1.0)
    if np.any(bad):
        examples = np.unique(arr[bad])[:3].tolist()
        raise ValueError(f"y must hold only the labels 0 and 1, found {examples}")
    return arr


def check_sample_weight(sample_weight: ArrayLike | None, n_samples: int) -> Array | None:
    """``sample_weight`` as a float array of shape ``(n_samples,)``, finite and non-negative, a
    copy of the caller's; ``None`` stays ``None`` (every weight 1)."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, (numbers.Number, np.generic)) or np.ndim(sample_weight) == 0:
        raise TypeError(
            f"sample_weight must be an array with one weight per row ({n_samples}), got the scalar {sample_weight!r}"
        )
    arr = as_float_array(sample_weight, "sample_weight")
    if arr.ndim != 1 or arr.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per row of X, got shape {arr.shape}"
        )
    check_finite_elements(arr, "sample_weight")
    if np.any(arr < 0):
        raise ValueError(f"sample_weight must be >= 0, found {np.unique(arr[arr < 0])[:3].tolist()}")
    if arr is sample_weight:  # never hold on to (or let anything write to) the caller's array
        arr = arr.copy()
    return arr


def check_Xy(X: ArrayLike, y: ArrayLike, *, sparse: bool = False) -> tuple[Array, Array]:
    Xa = check_X(X, sparse=sparse)
    return Xa, check_y(y, Xa.shape[0])


def real_scalar(value: object, name: str) -> float:
    """``value`` as a float, if it is one real number: a Python or NumPy int or float of any
    width, or a 0-d array of one. Bools are refused (``l2=True`` is more likely a slip than a
    penalty of 1), and so are strings, ``None``, complex numbers and arrays with more elements."""
    if isinstance(value, np.ndarray) and value.shape == ():
        if value.dtype == object:
            value = value.item()
        elif (
            np.issubdtype(value.dtype, np.bool_)
            or not np.issubdtype(value.dtype, np.number)
            or np.issubdtype(value.dtype, np.complexfloating)
        ):
            raise TypeError(f"{name} must be a real number, got a 0-d array of dtype {value.dtype}")
        else:
            return float(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        what = f"an array of shape {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__
        raise TypeError(f"{name} must be a real number, got {what}")
    return float(value)


def check_l2(l2: float) -> float:
    value = real_scalar(l2, "l2")
    if math.isnan(value) or value < 0 or math.isinf(value):
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    if math.isinf(2.0 * value):
        # The penalty's curvature 2 l2 must be a float; any l2 above ~1e300 already gives
        # w = 0 to double precision.
        raise ValueError(
            f"l2 is too large: 2 * l2 overflows for l2={l2!r}; any l2 >= 1e300 "
            "already gives weights of 0 to double precision"
        )
    return value


def check_tol(tol: float) -> float:
    value = real_scalar(tol, "tol")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"tol must be a positive finite number, got {tol!r}")
    return value


def check_threshold(threshold: float) -> float:
    value = real_scalar(threshold, "threshold")
    if not 0.0 < value < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold!r}")
    return value


def check_weights(weights: ArrayLike, bias: float, n_features: int) -> tuple[Array, float]:
    w = as_float_array(weights, "weights")
    if w.ndim != 1 or w.shape[0] != n_features:
        raise ValueError(f"weights must have shape ({n_features},) to match X, got shape {w.shape}")
    check_finite(w, "weights")
    b = real_scalar(bias, "bias")
    if not math.isfinite(b):
        raise ValueError(f"bias must be finite, got {bias!r}")
    return w, b


def check_problem(
    weights: ArrayLike,
    bias: float,
    X: ArrayLike,
    y: ArrayLike,
    l2: float,
    sample_weight: ArrayLike | None = None,
) -> tuple[Array, float, Array, Array, float, Array | None]:
    Xa, ya = check_Xy(X, y, sparse=True)  # the model functions accept scipy.sparse X
    w, b = check_weights(weights, bias, Xa.shape[1])
    return w, b, Xa, ya, check_l2(l2), check_sample_weight(sample_weight, ya.shape[0])


# --- scipy.sparse input ----------------------------------------------------------------
#: The formats used as they are; every other sparse format is converted to CSR.
NATIVE_FORMATS = ("csr", "csc")


def issparse(value: object) -> bool:
    """Whether ``value`` is a ``scipy.sparse`` matrix or array."""
    return sp.issparse(value)


def check_sparse_X(X, name: str = "X", *, finite: bool = True) -> sp.csr_matrix | sp.csc_matrix:
    """A sparse ``X`` as a float64 CSR or CSC matrix (or array), canonical (no duplicate
    entries), 2-D with at least one sample and one feature, its stored values finite.

    The caller's matrix is never modified: a conversion, a dtype change or a summing of
    duplicates works on a copy.
    """
    fmt = X.format
    if X.ndim != 2:  # sparse arrays can be 1-D
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_features), got a {X.ndim}-D "
            f"scipy.sparse {type(X).__name__} with shape {X.shape}"
        )
    dtype = X.dtype
    if np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got a scipy.sparse {type(X).__name__} of complex values")
    if dtype.kind == "O" or not (np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.bool_)):
        raise TypeError(f"{name} must hold real numbers, got a scipy.sparse {type(X).__name__} of dtype {dtype}")
    if fmt not in NATIVE_FORMATS:
        try:
            X = X.tocsr()  # a new matrix: COO, BSR, DIA, LIL and DOK all convert
        except Exception as exc:  # pragma: no cover - every scipy format converts
            raise TypeError(
                f"{name} is a scipy.sparse {type(X).__name__} ({fmt}), which could not be "
                f"converted to CSR ({exc}); pass {name}.tocsr()"
            ) from None
        copied = True
    else:
        copied = False
    if X.dtype != np.float64:
        X = X.astype(np.float64)  # copies the stored values (and the index arrays) only
        copied = True
    if not X.has_canonical_format:
        if not copied:
            X = X.copy()
        X.sum_duplicates()
    n, d = X.shape
    if n == 0:
        raise ValueError(f"{name} is empty: it has no samples (shape {X.shape})")
    if d == 0:
        raise ValueError(f"{name} has no features (shape {X.shape})")
    if finite:
        check_sparse_finite(X, name)
    return X


def check_sparse_finite(X, name: str = "X") -> None:
    """Raise if a stored value of the sparse ``X`` is NaN or infinite (the others are 0)."""
    data = X.data
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sum(data))
    if math.isfinite(total):
        return
    if not np.all(np.isfinite(data)):
        bad = "NaN" if np.any(np.isnan(data)) else "infinite"
        raise ValueError(f"{name} contains {bad} values; remove or impute them first")
