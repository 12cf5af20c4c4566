r"""The post's epsilon-offset loss, kept only to show why the book does not use it.

The post computes ``np.log(sigma + epsilon)`` with ``epsilon = 1e-9``; the book writes that
offset $\delta$ (keeping $\epsilon$ for the machine epsilon) and, in "Beyond the post", plots it
against the exact loss. The package never uses an offset, so this lives with the build, not in
``logreg``.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from logreg.model import log_sigmoid, sigmoid
from logreg.plotting import ACCENTS

#: The offset the post adds inside its logarithms (its code names it ``epsilon``).
POST_OFFSET = 1e-9


def offset_log_loss(a: ArrayLike, offset: float = POST_OFFSET) -> np.ndarray:
    r"""The post's per-point loss for a class-1 point, $-\log(\sigma(a) + \delta)$.

    $\delta$ is the post's offset, ``1e-9`` (written $\delta$ in the book, where $\epsilon$ is
    the machine epsilon). Shown only to explain why the offset is wrong.
    """
    if not offset > 0:
        raise ValueError(f"offset must be positive, got {offset!r}")
    return -np.log(sigmoid(a) + offset)


def plot_offset_loss(ax: Axes, *, offset: float = POST_OFFSET, a: ArrayLike | None = None) -> list[Any]:
    r"""The exact loss $-\log\sigma(a)$ of a class-1 point against the post's offset version.

    The offset $\delta$ caps the loss of a confidently wrong point at $-\log\delta$ and flattens
    its gradient to zero there, so such a point stops pulling on the weights.

    Returns:
        The two curves and the cap line.
    """
    a = np.linspace(-40, 8, 481) if a is None else np.asarray(a, dtype=float)
    (exact,) = ax.plot(a, -log_sigmoid(a), color=ACCENTS[0], label=r"exact: $-\log\sigma(a)$")
    (shifted,) = ax.plot(
        a,
        offset_log_loss(a, offset),
        color=ACCENTS[1],
        ls="--",
        label=rf"offset: $-\log(\sigma(a) + \delta)$, $\delta = {_latex_number(offset)}$",
    )
    cap = ax.axhline(
        -np.log(offset),
        color=mpl.rcParams["grid.color"],
        lw=1,
        ls=":",
        label=rf"cap $-\log\delta \approx {-np.log(offset):.1f}$",
    )
    ax.set_xlabel("activation $a$ of a point with $y = 1$")
    ax.set_ylabel("loss of that point")
    ax.legend(loc="upper right")
    return [exact, shifted, cap]


def _latex_number(x: float) -> str:
    """``1e-09`` as ``10^{-9}``, ``2.5e-06`` as ``2.5 \\times 10^{-6}``, for a legend."""
    mant, exp = f"{x:.3g}e".split("e")[:2] if "e" in f"{x:.3g}" else (f"{x:.3g}", "")
    if not exp:
        return mant
    return f"10^{{{int(exp)}}}" if mant == "1" else rf"{mant} \times 10^{{{int(exp)}}}"
