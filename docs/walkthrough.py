# %% [markdown]
# # The whole post as a notebook
#
# This notebook retraces the post the book follows, from the data to the separable case, in one
# run from top to bottom, using the `logreg` package for everything the book derives. It was
# executed when the book was built, so the outputs below are real. Download it as
# [walkthrough.ipynb](walkthrough.ipynb) and run it yourself from the root of a clone of the
# book's repository (it imports the book's figure registry). The chapters explain each step:
# this is the story without the explanations.
#
# The figures are the book's own: `show(name)` draws an entry of the figure registry,
# `book/figures.py`, which the test suite compares with reviewed baselines. Each figure cell
# first checks that the registry draws exactly what this notebook computed.

# %%
import textwrap
import warnings

import numpy as np
from scipy.optimize import minimize

import base64
import html

from IPython.display import HTML, display

import book.results as r
import logreg
from book.figures import REGISTRY


def show(name):
    """Display a figure of the book's registry, on white so it reads in any viewer."""
    figure = REGISTRY[name]
    png = base64.b64encode(figure.png("light", background="white")).decode()
    # An <img> with the registry's alt text: the figure is described, not only drawn.
    alt = html.escape(figure.alt)
    src = f"data:image/png;base64,{png}"
    display(HTML(f'<img src="{src}" alt="{alt}" data-figure="{name}">'))

# %% [markdown]
# ## The data
#
# Two classes of 100 points in all: class A (label 1) drawn from a Gaussian around $(-1, -1)$ and
# class B (label 0) around $(1, 1)$, both with identity covariance. Unlike the post, the generator
# takes a seed, so every run gives the same points. `X` has one row per point.

# %%
X, y = logreg.make_blobs(100, seed=0)
print("X:", X.shape, " y:", y.shape)
print("class A:", int(y.sum()), " class B:", int((1 - y).sum()))

# %% [markdown]
# ## The sigmoid, and a terrible boundary
#
# The model says $p(y = 1 \mid \mathbf x) = \sigma(\mathbf w^\top \mathbf x + b)$ with
# $\sigma(a) = 1/(1 + e^{-a})$. The post's first guess, $\mathbf w = (3/2, -2)$ and $b = 2$, puts
# the boundary across both classes.

# %%
w_terrible, b_terrible = np.array([1.5, -2.0]), 2.0

np.testing.assert_array_equal(X, r.blobs()[0])  # the registry draws these very points
np.testing.assert_array_equal(w_terrible, r.TERRIBLE_W)
assert b_terrible == r.TERRIBLE_B
show("sigmoid")
show("terrible-boundary")

terrible_nll = logreg.objective(w_terrible, b_terrible, X, y)
print("negative log-likelihood of the terrible boundary:", terrible_nll)

# %% [markdown]
# ## Optimisers: the post's toy example
#
# Before fitting anything, the post tries SciPy's BFGS on $f(x) = x^2 - 2x$, whose minimum is at
# $x = 1$, after checking the gradient $f'(x) = 2x - 2$ numerically. Here the check is
# `logreg.check_gradient`, whose tolerance is derived rather than picked.

# %%
def f(x):
    return float(x[0] ** 2 - 2 * x[0])


def grad_f(x):
    return np.array([2 * x[0] - 2])


check = logreg.check_gradient(f, grad_f, np.array([3.0]))
print("gradient check passed:", check.passed)
print("error:", check.error, " tolerance:", check.tolerance)

toy = minimize(f, x0=np.array([3.0]), jac=grad_f, method="BFGS")
print("minimum at x =", toy.x, " after", toy.nit, "iterations")

# %% [markdown]
# ## The objective and its gradient
#
# The objective $E_\lambda$ is the negative log-likelihood $E$ plus $\lambda \lVert \mathbf w \rVert^2$,
# computed with an exact log-sigmoid instead of the post's offset $\delta$ (`epsilon` in its code;
# the book keeps $\epsilon$ for the machine epsilon). Its gradient is
# $\mathbf X^\top(\boldsymbol\sigma - \mathbf y) + 2\lambda \mathbf w$ for the weights and
# $\sum_n (\sigma_n - y_n)$ for the bias. Check it at a random point, with the parameters packed
# into one vector $(w_1, w_2, b)$:

# %%
l2 = 0.1


def E_lambda(theta):
    return logreg.objective(theta[:2], theta[2], X, y, l2=l2)


def grad_E_lambda(theta):
    gw, gb = logreg.gradient(theta[:2], theta[2], X, y, l2=l2)
    return np.append(gw, gb)


theta0 = np.random.default_rng(1).standard_normal(3)
check = logreg.check_gradient(E_lambda, grad_E_lambda, theta0)
print("passed:", check.passed, "  largest error / tolerance:", check.worst_ratio)

# %% [markdown]
# ## Fitting
#
# First with BFGS, as the post does, then with Newton's method, which the book derives. The post
# prints SciPy's result; here are the same fields: the objective, the gradient there, the number
# of iterations and the parameters.

# %%
for method in ("bfgs", "newton"):
    result = logreg.fit(X, y, l2=l2, method=method)
    gw, gb = logreg.gradient(result.weights, result.bias, X, y, l2=l2)
    print(f"--- {method}")
    print("      fun:", result.objective)
    print("      jac:", np.append(gw, gb))
    print("      nit:", result.n_iter)
    print("converged:", result.converged)
    print("        x: weights", result.weights, "bias", result.bias)

# %% [markdown]
# The loss along $w_1$ with the other parameters at the optimum, and the fitted sigmoid over the
# data:

# %%
assert l2 == r.BLOBS_L2
np.testing.assert_allclose(result.weights, r.blobs_fit().weights, rtol=1e-12)
show("loss-slice")
show("fitted-contours")

print("training accuracy:", np.mean(result.predict(X) == y))

# %% [markdown]
# ## Linearly separable data
#
# Class A uniform on the square $[-4, 0]^2$, class B on $[0, 4]^2$. Without a penalty the
# likelihood has no maximum; `fit` says so with a `SeparationWarning` rather than returning
# meaningless weights silently. With a penalty the optimum is finite and unique.

# %%
X_sep, y_sep = logreg.make_separable(100, seed=0)
fits = {}
for penalty in (0.0, 0.1, 10.0):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fits[penalty] = logreg.fit(X_sep, y_sep, l2=penalty, method="newton")
    for warning in caught:
        text = f"l2 = {penalty}: {warning.category.__name__}: {warning.message}"
        print(textwrap.fill(text, 84))
    print(f"l2 = {penalty}: |w| = {np.linalg.norm(fits[penalty].weights):.3f}, "
          f"converged: {fits[penalty].converged}")

# %%
assert tuple(fits) == r.SEPARABLE_L2
for penalty, fit in fits.items():
    if penalty > 0:  # with l2 = 0 the weights depend on where the iterations stop
        book_fit = r.separable_fit(penalty)
        np.testing.assert_allclose(fit.weights, book_fit.weights, rtol=1e-9)
show("separable-boundaries")
