"""Package source for the chapters' listings: one helper, and every listing names its function.

A chapter that prints code from `logreg` calls `source` with the function itself, so a listing is
chosen by explicit name (never by discovering functions whose names share a prefix, which would
let any new helper join the book silently) and cannot drift from the package.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable


def source(func: Callable, *, docstring: bool = True) -> str:
    """The source of ``func`` as it is in the package; without its docstring if ``docstring`` is
    false (the API reference has it)."""
    lines = inspect.getsource(func).splitlines()
    if not docstring:
        body = ast.parse(textwrap.dedent("\n".join(lines))).body[0]
        first = body.body[0] if isinstance(body, (ast.FunctionDef, ast.ClassDef)) else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str):
            del lines[first.lineno - 1 : first.end_lineno]
    return "\n".join(lines)
