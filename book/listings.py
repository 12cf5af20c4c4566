"""Which code blocks of a page are listings a reader can run, and which belong together.

A reader copies the Python listings of a chapter and runs them: each must work as shown, in a
fresh process with only ``pip install logreg[plot]`` (``tests/book/test_standalone.py`` runs
every one from the built site). For that test, and for anyone reading the HTML, the build marks
each Python code block it shows with what it is:

``data-listing="run"``
    Code a reader runs. ``data-listing-group`` says which listings form one program, in page
    order: ``session:NAME`` for the executed blocks of one markdown-exec ``session`` (they run
    in one namespace, so a later block uses an earlier one's names, exactly as a reader who
    copies them in order), ``block:FILE:LINE`` for an executed block on its own, and
    ``exercise:NAME`` for the code of one exercise's solution (:mod:`book.exercises` runs those
    blocks in one namespace too).
``data-listing="printed"``
    Code that is shown, not run: the package's own source, printed by an executed block whose
    fence says so, ``result="python"`` with no ``source`` (the block's code, which prints it, is
    not shown). Such a block's output is Python to read, not a program.

Executed blocks with their source hidden and a text result show no Python, so they get no mark.
The marks are made in two steps: :func:`mark` puts an HTML comment before each fence in the
Markdown (``on_page_markdown``), and :func:`attributes` moves it onto the ``<div
class="highlight">`` that the fence became (``on_page_content``).

The package source that chapters print is taken with :func:`source`, which names its function
explicitly (never by discovering functions whose names share a prefix, which would let any new
helper join the book silently), so a printed listing cannot drift from the package.
"""

from __future__ import annotations

import ast
import html
import inspect
import re
import textwrap
from collections.abc import Callable

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
OPTION = re.compile(r'(?P<key>[\w-]+)="(?P<value>[^"]*)"')
COMMENT = re.compile(r"<!-- book-listing (?P<kind>run|printed) (?P<group>[^ ]+) -->")
MARKED = re.compile(COMMENT.pattern + r'\s*<div class="highlight">')
KINDS = ("run", "printed")


class ListingError(ValueError):
    """A marked listing that the page did not render as a code block."""


def comment(kind: str, group: str) -> str:
    """The Markdown line that marks the next code block (``group`` is quoted for HTML)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return f"<!-- book-listing {kind} {html.escape(group.replace(' ', '_'), quote=True)} -->"


def _is_on(value: str) -> bool:
    return value.lower() not in {"", "no", "off", "false", "0"}


def mark(markdown: str, page: str) -> str:
    """Put a mark before every executed Python fence that shows Python (see the module).

    ``page`` names the page in the groups (``session:NAME`` is per page). Executed fences are
    expected to carry an ``id`` (``book.hooks.name_executed_blocks`` gives them one).

    >>> print(mark('```python exec="on" id="a.md:1" source="above"\\nx = 1\\n```', "a.md"))
    <!-- book-listing run block:a.md:1 -->
    <BLANKLINE>
    ```python exec="on" id="a.md:1" source="above"
    x = 1
    ```
    """
    lines = markdown.split("\n")
    out: list[str] = []
    fence = None
    for line in lines:
        m = FENCE.match(line)
        if fence is not None:
            if m and m["fence"][0] == fence[0] and len(m["fence"]) >= len(fence) and not m["info"].strip():
                fence = None
            out.append(line)
            continue
        if m is None:
            out.append(line)
            continue
        fence = m["fence"]
        info = m["info"].strip().lstrip("{").rstrip("}").strip()
        language = info.split(" ", 1)[0].lstrip(".")
        options = {o["key"]: o["value"] for o in OPTION.finditer(info)}
        if language == "python" and _is_on(options.get("exec", "")):
            ident = options.get("id") or f"{page}:?"
            if options.get("source"):
                session = options.get("session")
                group = f"session:{page}:{session}" if session else f"block:{ident}"
                out += [m["indent"] + comment("run", group), ""]
            elif options.get("result") == "python":
                out += [m["indent"] + comment("printed", f"printed:{ident}"), ""]
        out.append(line)
    return "\n".join(out)


def attributes(page_html: str, page: str) -> str:
    """Move each mark onto the code block that follows it; a mark without one is an error.

    >>> attributes('<!-- book-listing run block:a.md:1 -->\\n<div class="highlight"><pre>', "a.md")
    '<div class="highlight" data-listing="run" data-listing-group="block:a.md:1"><pre>'
    """
    out = MARKED.sub(
        lambda m: f'<div class="highlight" data-listing="{m["kind"]}" data-listing-group="{m["group"]}">', page_html
    )
    stray = COMMENT.search(out)
    if stray:
        raise ListingError(f"{page}: {stray.group(0)} is not followed by a code block")
    return out


def source(func: Callable, *, docstring: bool = True) -> str:
    """The source of ``func`` as it is in the package; without its docstring if ``docstring`` is
    false (the API reference has it)."""
    lines = inspect.getsource(func).splitlines()
    if not docstring:
        body = ast.parse(textwrap.dedent("\n".join(lines))).body[0]
        first = body.body[0] if isinstance(body, (ast.FunctionDef, ast.ClassDef)) else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            del lines[first.lineno - 1 : first.end_lineno]
    return "\n".join(lines)
