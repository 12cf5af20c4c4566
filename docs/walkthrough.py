# %% [markdown]
# # The whole post as a notebook
#
# This notebook retraces the post the book follows, from the data to the separable case, in one
# run from top to bottom, using the `logreg` package for everything the book derives. It was
# executed when the book was built, so the outputs below are real. Download it as
# [walkthrough.ipynb](walkthrough.ipynb) and run it anywhere: it needs only
# `pip install "logreg[plot]"` (NumPy, SciPy, Matplotlib and the package), not the book's
# repository. The chapters explain each step: this is the story without the explanations.
#
# The figures are drawn by `logreg.plotting`, the same functions that draw the chapters'
# figures; each takes a Matplotlib `Axes`, so they compose into figures of your own.

# %%
import textwrap
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import minimize

import logreg
from logreg import plotting

# %% [markdown]
# ## The data
#
# Two classes of {{ n_points }} points in all: class A (label 1) drawn from a Gaussian around $(-1, -1)$ and
# class B (label 0) around $(1, 1)$, both with identity covariance. Unlike the post, the generator
# takes a seed, so every run gives the same points. `X` has one row per point.

# %%
X, y = logreg.make_blobs({{ n_points }}, seed={{ seed }})
print("X:", X.shape, " y:", y.shape)
print("class A:", int(y.sum()), " class B:", int((1 - y).sum()))

# %% [markdown]
# ## The sigmoid, and a terrible boundary
#
# The model says $p(y = 1 \mid \mathbf x) = \sigma(\mathbf w^\top \mathbf x + b)$ with
# $\sigma(a) = 1/(1 + e^{-a})$. The post's first guess, $\mathbf w = (3/2, -2)$ and $b = 2$, puts
# the boundary across both classes.

# %% figures=["sigmoid", "terrible-boundary"]
w_terrible, b_terrible = np.array({{ terrible_w_code }}), {{ terrible_b_code }}

fig, ax = plt.subplots(figsize=(5.0, 3.2))
plotting.plot_sigmoid(ax)
plt.show()

fig, ax = plt.subplots(figsize=(5.0, 4.8), layout="constrained")
plotting.plot_sigmoid_contours(ax, w_terrible, b_terrible, X, y)
fig.legend(loc="outside upper center", ncols=2)
plt.show()

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
l2 = {{ blobs_l2_code }}


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

# %% figures=["loss-slice", "fitted-contours"]
fig, ax = plt.subplots(figsize=(5.0, 3.4))
plotting.plot_loss_slice(ax, X, y, result.weights, result.bias, index=0, l2=l2)
plt.show()

fig, ax = plt.subplots(figsize=(5.0, 4.8), layout="constrained")
plotting.plot_sigmoid_contours(ax, result.weights, result.bias, X, y)
fig.legend(loc="outside upper center", ncols=2)
plt.show()

print("training accuracy:", np.mean(result.predict(X) == y))

# %% [markdown]
# ## Linearly separable data
#
# Class A uniform on the square $[-4, 0]^2$, class B on $[0, 4]^2$. Without a penalty the
# likelihood has no maximum; `fit` says so with a `SeparationWarning` rather than returning
# meaningless weights silently. With a penalty the optimum is finite and unique.

# %%
X_sep, y_sep = logreg.make_separable({{ n_points }}, seed={{ seed }})
fits = {}
for penalty in {{ separable_l2_code }}:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fits[penalty] = logreg.fit(X_sep, y_sep, l2=penalty, method="newton")
    for warning in caught:
        text = f"l2 = {penalty}: {warning.category.__name__}: {warning.message}"
        print(textwrap.fill(text, 84))
    print(f"l2 = {penalty}: |w| = {np.linalg.norm(fits[penalty].weights):.3f}, "
          f"converged: {fits[penalty].converged}")

# %% figures=["separable-boundaries"]
fig, axes = plt.subplots(1, 3, figsize=(10.0, 3.8), sharey=True, layout="constrained")
for ax, (penalty, fit) in zip(axes, fits.items(), strict=True):
    plotting.plot_sigmoid_contours(ax, fit.weights, fit.bias, X_sep, y_sep, resolution=150)
    ax.set_title(rf"$\lambda = {penalty:g}$")
    if ax is not axes[0]:
        ax.set_ylabel("")
plt.show()
