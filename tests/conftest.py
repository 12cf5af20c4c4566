"""Shared configuration for the logreg test suite.

* A Hypothesis profile, ``ci``, that is reproducible (``derandomize=True``) and fast (modest
  ``max_examples``, no deadline, since the first call of a SciPy routine can be slow). It is loaded
  by default; set ``HYPOTHESIS_PROFILE=dev`` for a longer, randomised local run.
* Small, seeded data sets used by several test modules.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import logreg

settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=500,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """The book's fuzzy two-class data: overlapping, so the unpenalised optimum is finite."""
    X, y = logreg.make_blobs(200, seed=1)
    X.setflags(write=False)  # shared between tests: nobody may write to it
    y.setflags(write=False)
    return X, y


@pytest.fixture(scope="session")
def separable() -> tuple[np.ndarray, np.ndarray]:
    """The book's linearly separable data: no finite unpenalised optimum."""
    X, y = logreg.make_separable(100, seed=0)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


@pytest.fixture(params=logreg.METHODS)
def method(request) -> str:
    """Every solver the package offers."""
    return request.param
