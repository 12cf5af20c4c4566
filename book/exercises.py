r"""Exercises: numbered per chapter, linkable, with a difficulty, and solutions the build checks.

How to write an exercise
========================

Put the exercises of a chapter at its end, under ``## Exercises``. Each is one block:

.. code-block:: markdown

    !!! exercise "Where is the 0.9 contour?" {#contour-09 stars=1}

        The question, in Markdown and LaTeX, indented four spaces like any admonition.

        ??? success "Solution"

            The worked solution. A number it quotes is computed by the code below and put
            in with {{ answer: x2_at_0 }}, never typed.

            ```python exercise
            import numpy as np
            from logreg import sigmoid

            x2_at_0 = (2 - np.log(9)) / 2
            assert np.isclose(sigmoid(1.5 * 0 - 2 * x2_at_0 + 2), 0.9)
            ```

The pieces:

* ``{#name stars=N}``: ``name`` (lower case, digits, ``-``) is unique in the book and makes the
  anchor ``#ex-name``; ``stars`` is the difficulty, 1 (a few lines: apply a formula), 2 (a short
  derivation or program) or 3 (a longer argument, or a result the chapter did not state). The
  title becomes "Exercise *C.k*", numbered per chapter in reading order like the equations
  (``C`` is the chapter's place in the nav, ``k`` counts the exercises on the page), followed by
  the stars and the title.
* ``??? success "Solution"``: exactly one per exercise, collapsed (``???``, not ``???+``).
* ```` ```python exercise ```` blocks: run by the build, in order, in one fresh namespace per
  exercise (so a later block sees an earlier one's names), with ``logreg`` importable. They are
  shown as ordinary Python listings with what they print below them. Together they must contain
  at least one ``assert``: the code checks the claim it illustrates. A block that raises (a
  failing ``assert`` above all) stops the build with the chapter, the exercise and the error.
  Code here must not import ``book``: a reader copies it into a session of their own.
* ``{{ answer: name }}``: inside an exercise, the value of ``name`` after its code ran; a
  float with four significant digits (``book.results.fmt``), an int or a str as is. Format
  anything else into a str in the code. Write it outside ``$...$``, like every computed number.
* ``{{ exercise: name }}``, anywhere in the book: a link "Exercise *C.k*" to that exercise.

Anything malformed (a header that does not parse, a duplicate name, a missing or open solution,
code without an ``assert``, an unknown answer or exercise) raises :class:`ExerciseError`, which
stops ``mkdocs build --strict`` with a message naming the page and the exercise.

Wired from ``book/hooks.py``: :func:`scan` runs in ``on_files`` over every page in nav order,
:func:`render` in ``on_page_markdown``, after the ``{{ name }}`` values are filled in and before
the math is taken out.
"""

from __future__ import annotations

import ast
import contextlib
import io
import linecache
import re
import traceback
from dataclasses import dataclass, field

from mkdocs.utils import get_relative_url

from book import listings

HEADER = re.compile(r'^!!! exercise "(?P<title>[^"]+)" \{#(?P<name>[a-z0-9][a-z0-9-]*) stars=(?P<stars>[123])\}[ \t]*$')
HEADER_START = re.compile(r"^[ \t]*!!!\s*exercise\b")
SOLUTION = re.compile(r'^(?P<indent>[ \t]*)\?\?\?(?P<open>\+?) success "Solution"[ \t]*$')
CODE_START = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})python exercise[ \t]*$")
ANSWER = re.compile(r"\{\{\s*answer:\s*(?P<name>[A-Za-z_]\w*)\s*\}\}")
REFERENCE = re.compile(r"\{\{\s*exercise:\s*(?P<name>[a-z0-9][a-z0-9-]*)\s*\}\}")
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
MAX_STARS = 3


class ExerciseError(Exception):
    """A malformed exercise, or a solution whose code fails."""


@dataclass
class Exercise:
    name: str
    number: str
    stars: int
    title: str
    page: str  # src_uri of the page that holds it
    url: str  # that page's URL in the site

    @property
    def anchor(self) -> str:
        return f"ex-{self.name}"


@dataclass
class ExerciseIndex:
    """Every exercise in the book, by name, numbered per chapter in reading order."""

    exercises: dict[str, Exercise] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)  # page URL by src_uri

    def on_page(self, src_uri: str) -> list[Exercise]:
        return [e for e in self.exercises.values() if e.page == src_uri]

    def link(self, name: str, from_uri: str) -> str:
        if name not in self.exercises:
            raise ExerciseError(
                f"{from_uri}: {{{{ exercise: {name} }}}} names no exercise "
                f"(known: {', '.join(sorted(self.exercises)) or 'none'})"
            )
        ex = self.exercises[name]
        target = "" if ex.page == from_uri else get_relative_url(ex.url, self.urls[from_uri])
        return f'<a class="exref" href="{target}#{ex.anchor}">Exercise {ex.number}</a>'


def _outside_fences(lines: list[str]):
    """``(i, line)`` for every line that is not inside a fenced code block."""
    fence = None
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
                continue
            yield i, line
        elif m and line.strip() == m.group(1) and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
            fence = None


def _headers(markdown: str, src_uri: str):
    lines = markdown.split("\n")
    for i, line in _outside_fences(lines):
        if not HEADER_START.match(line):
            continue
        m = HEADER.match(line)
        if m is None:
            raise ExerciseError(
                f"{src_uri}, line {i + 1}: an exercise header must read "
                f'!!! exercise "Title" {{#name stars=N}} (N from 1 to {MAX_STARS}, '
                f"name in lower case, digits and '-', not indented), not: {line.strip()!r}"
            )
        yield i, m


def scan(index: ExerciseIndex, chapter: int, src_uri: str, url: str, markdown: str) -> None:
    """Number the exercises of one page (chapter ``chapter`` of the nav) into ``index``."""
    index.urls[src_uri] = url
    for k, (_, m) in enumerate(_headers(markdown, src_uri), start=1):
        name = m["name"]
        if name in index.exercises:
            raise ExerciseError(f"{src_uri}: exercise name {name!r} is also used in {index.exercises[name].page}")
        index.exercises[name] = Exercise(name, f"{chapter}.{k}", int(m["stars"]), m["title"], src_uri, url)


def stars(n: int) -> str:
    label = f"difficulty {n} of {MAX_STARS}"
    return (
        f'<span class="exercise-stars" role="img" aria-label="{label}" title="{label}">'
        f"{'★' * n}{'☆' * (MAX_STARS - n)}</span>"
    )


def render(markdown: str, src_uri: str, index: ExerciseIndex) -> str:
    """Number, check and run the exercises of a page; resolve ``{{ exercise: name }}`` links."""
    lines = markdown.split("\n")
    starts = [i for i, _ in _headers(markdown, src_uri)]
    known = {e.name: e for e in index.on_page(src_uri)}
    out: list[str] = []
    last = 0
    for i in starts:
        name = HEADER.match(lines[i])["name"]
        if name not in known:  # the page changed since on_files scanned it
            raise ExerciseError(f"{src_uri}: exercise {name!r} was not numbered when the build started")
        end = _block_end(lines, i)
        out.extend(lines[last:i])
        out.extend(_exercise(lines[i:end], known[name], src_uri))
        last = end
    out.extend(lines[last:])
    text = "\n".join(out)
    stray = ANSWER.search(text)
    if stray:
        raise ExerciseError(f"{src_uri}: {stray.group(0)} outside an exercise; an answer belongs to one")
    return REFERENCE.sub(lambda m: index.link(m["name"], src_uri), text)


def _block_end(lines: list[str], start: int) -> int:
    """The index after the last line of the indented block that starts at ``lines[start]``."""
    end = start + 1
    for j in range(start + 1, len(lines)):
        if lines[j].strip() and not lines[j].startswith((" ", "\t")):
            break
        end = j + 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _exercise(block: list[str], ex: Exercise, src_uri: str) -> list[str]:
    where = f"{src_uri}: exercise {ex.number} ({ex.name})"
    body = block[1:]
    solutions = [m for line in body if (m := SOLUTION.match(line))]
    if len(solutions) != 1:
        raise ExerciseError(f'{where}: needs exactly one ??? success "Solution" block, found {len(solutions)}')
    if solutions[0]["open"]:
        raise ExerciseError(f'{where}: the solution must be collapsed: "???", not "???+"')
    if not solutions[0]["indent"]:
        raise ExerciseError(f"{where}: the solution must be indented inside the exercise")
    body, namespace = _run_code(body, where, f"exercise:{ex.name}")
    text = "\n".join(body)

    def answer(m: re.Match[str]) -> str:
        key = m["name"]
        if key not in namespace:
            raise ExerciseError(f"{where}: {{{{ answer: {key} }}}}, but its code defines no {key!r}")
        return _format(namespace[key], key, where)

    text = ANSWER.sub(answer, text)
    title = f"Exercise {ex.number} {stars(ex.stars)} {ex.title}"
    return [f'<div class="exercise-anchor" id="{ex.anchor}"></div>', "", f'!!! exercise "{title}"', *text.split("\n")]


def _format(value, key: str, where: str) -> str:
    import numbers

    from book.results import fmt

    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    if isinstance(value, numbers.Real):
        return fmt(float(value))
    raise ExerciseError(f"{where}: answer {key!r} is a {type(value).__name__}; format it as a str in the code")


def _run_code(body: list[str], where: str, group: str = "exercise") -> tuple[list[str], dict]:
    """Execute the ``python exercise`` blocks; return the body with them as listings + output,
    each listing marked as one of the program ``group`` (:mod:`book.listings`)."""
    namespace: dict = {"__name__": "__exercise__"}
    out: list[str] = []
    asserts = 0
    blocks = 0
    i = 0
    while i < len(body):
        m = CODE_START.match(body[i])
        if m is None:
            out.append(body[i])
            i += 1
            continue
        indent, fence = m["indent"], m["fence"]
        close = next(
            (j for j in range(i + 1, len(body)) if body[j].strip() == fence and body[j].startswith(indent)), None
        )
        if close is None:
            raise ExerciseError(f"{where}: a python exercise block that is never closed")
        code = "\n".join(line[len(indent) :] for line in body[i + 1 : close])
        blocks += 1
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            raise ExerciseError(f"{where}: code block {blocks} does not parse: {exc}") from None
        asserts += sum(isinstance(node, ast.Assert) for node in ast.walk(tree))
        if any(isinstance(node, (ast.Import, ast.ImportFrom)) and _imports_book(node) for node in ast.walk(tree)):
            raise ExerciseError(f"{where}: code block {blocks} imports book; use logreg, as a reader would")
        printed = io.StringIO()
        filename = f"<{where}, block {blocks}>"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)  # shown in tracebacks
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(tree, filename, "exec"), namespace)
        except Exception as exc:  # any failure of a solution fails the build
            trace = "".join(traceback.format_exception(exc)[1:])
            raise ExerciseError(f"{where}: code block {blocks} failed, so the solution is wrong:\n{trace}") from None
        out += [
            indent + listings.comment("run", group),
            "",
            f"{indent}{fence}python",
            *body[i + 1 : close],
            f"{indent}{fence}",
        ]
        if printed.getvalue().strip():
            out += [
                "",
                f"{indent}{fence}text",
                *(indent + line if line else line for line in printed.getvalue().rstrip("\n").split("\n")),
                f"{indent}{fence}",
            ]
        i = close + 1
    if blocks and not asserts:
        raise ExerciseError(f"{where}: its code has no assert; a code solution checks its own claim")
    return out, namespace


def _imports_book(node: ast.Import | ast.ImportFrom) -> bool:
    names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    return any(n == "book" or n.startswith("book.") for n in names)
