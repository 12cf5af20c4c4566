r"""What a reader must never see on a built page, checked as each page is rendered.

``book/hooks.py`` (``on_page_content``) calls :func:`check_formulas` on every page's HTML before
the formulas left as text (docstrings, notebook cells) are converted, and :func:`check_page`
after, when its equation labels are linked; the build stops on any of these:

* **TeX left as text**: a ``\command`` or a ``$...$`` with TeX in it outside code and MathML
  (a formula the converter never saw, such as one glued to a number: ``0.75$\,x_1$``).
* **Markdown left as text**: a backtick outside code (a code span Markdown did not close, such
  as a docstring's ````...```` broken over two lines of a Returns section).
* **Markdown inside a formula**: ``<em>`` or ``<strong>`` between ``$`` or ``$$`` (emphasis ran on the
  ``_``/``*`` of a docstring's LaTeX before it was converted; the ``\underbrace`` labels of
  ``logreg.gradcheck`` once came out that way).
* **An internal equation label**: a docstring's ``eq. ``obj``` left as code, or a listing comment
  ``# eq. loglik`` left as a name. :func:`book.mathml.link_label_mentions` turns every one that
  names a labelled equation into its linked number; what is left names none.

Docstrings may cite an equation of a Part II chapter that is not in the book yet: such a label
is listed in :data:`PENDING` with the chapter that is to define it. While that chapter is absent,
:func:`drop_pending` removes the citation, parentheses and all, so the reader sees no label; once
the chapter is in ``docs/``, the label must resolve like any other, or the build fails.
"""

from __future__ import annotations

import html
import re

from book.mathml import EMPHASIS_IN_MATH, EquationIndex, MathError

#: Equation labels that docstrings cite before their chapter exists: label -> that chapter.
PENDING: dict[str, str] = {}  # every chapter that docstrings cite is in the book (second edition)

OUTSIDE = re.compile(
    r"(<pre\b.*?</pre>|<code\b.*?</code>|<script\b.*?</script>|<style\b.*?</style>"
    r"|<math\b.*?</math>|<svg\b.*?</svg>)",
    re.S,
)
PRE = re.compile(r"(<pre\b.*?</pre>|<script\b.*?</script>|<style\b.*?</style>)", re.S)
TAG = re.compile(r"<[^>]+>")
EMPHASIS_IN_DISPLAY = re.compile(r"\$\$(?:(?!\$\$).)*?<(?:em|strong)>(?:(?!\$\$).)*?\$\$", re.S)
TEX_COMMAND = re.compile(r"\\(?:[A-Za-z]+|[,;:!])")
TEX_IN_DOLLARS = re.compile(r"\$[^$\n]*[\\_^{}][^$\n]*\$")
CITED_LABEL = re.compile(r"\beqs?\. <code>([\w-]+)</code>")
LISTING_LABEL = re.compile(r"#\s*eqs?\.\s+([A-Za-z][\w-]*)")
_CITE = r"(?:the book's |book )?eqs?\. <code>{label}</code>"


def _pending(index: EquationIndex) -> list[str]:
    """The PENDING labels whose chapter is not in the book and that no page defines."""
    return [label for label, page in PENDING.items() if page not in index.urls and f"eq:{label}" not in index.equations]


def drop_pending(content: str, index: EquationIndex) -> str:
    """Remove citations of :data:`PENDING` labels whose chapter is not in the book yet:
    ``(eq. ``actvar``)`` and ``, eq. ``laplace``)``, outside listings."""
    labels = _pending(index)
    if not labels:
        return content
    one = "|".join(map(re.escape, labels))
    cite = _CITE.format(label=f"(?:{one})")
    citation = re.compile(rf"\s*\({cite}\)|,\s*{cite}(?=\))")
    parts = PRE.split(content)
    parts[::2] = [citation.sub("", part) for part in parts[::2]]
    return "".join(parts)


def check_formulas(content: str, where: str) -> None:
    """Fail if Markdown's emphasis ran inside a ``$$...$$`` or ``$...$`` still waiting to be
    converted (once converted, the ``<em>`` would be typeset as the relations < and >)."""
    parts = OUTSIDE.split(content)
    for i in range(0, len(parts), 2):
        for pattern in (EMPHASIS_IN_DISPLAY, EMPHASIS_IN_MATH):
            if m := pattern.search(parts[i]):
                raise MathError(
                    f"{where}: Markdown emphasis inside a formula, its LaTeX was corrupted "
                    f"before conversion: ...{parts[i][m.start() : m.end()][:200]}..."
                )


def check_page(content: str, where: str, index: EquationIndex) -> None:
    """Raise :class:`~book.mathml.MathError` listing every defect above on the page's HTML."""
    problems: list[str] = []
    parts = OUTSIDE.split(content)
    for i in range(0, len(parts), 2):
        m = EMPHASIS_IN_MATH.search(parts[i])
        if m:
            problems.append(
                f"Markdown emphasis inside a formula (its LaTeX was corrupted before "
                f"conversion): ...{parts[i][m.start() : m.end() + 40]}..."
            )
        text = html.unescape(TAG.sub("", parts[i]))
        if "`" in text:
            at = text.index("`")
            context = text[max(0, at - 40) : at + 40].replace("\n", " ").strip()
            problems.append(f"a Markdown code marker left as text: ...{context}...")
        for pattern in (TEX_IN_DOLLARS, TEX_COMMAND):
            for m in pattern.finditer(text):
                context = text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ").strip()
                problems.append(f"TeX left as text, {m.group(0)!r}: ...{context}...")
    for i, part in enumerate(PRE.split(content)):
        if i % 2 == 0:
            for m in CITED_LABEL.finditer(part):
                problems.append(_unresolved(m.group(1), "a docstring cites", index))
        else:
            for m in LISTING_LABEL.finditer(TAG.sub("", part)):
                problems.append(_unresolved(m.group(1), "a listing comment names", index))
    if problems:
        raise MathError(f"{where}: " + "\n  ".join(dict.fromkeys(problems)))


def _unresolved(label: str, who: str, index: EquationIndex) -> str:
    page = PENDING.get(label)
    if page is not None and page in index.urls:
        return (
            f"{who} equation label {label!r}, which {page} was to define; it is in the book "
            f"but has no \\label{{eq:{label}}} (label the equation, or cite the one it has)"
        )
    return (
        f"{who} equation label {label!r}, which no chapter defines (so the reader would see "
        f"the internal name, not an equation number)"
    )
