r"""LaTeX in the chapters becomes MathML at build time, with numbered equations and links.

Why server-side MathML: the page then needs no JavaScript and no CDN to show mathematics, it is
exact at any zoom, screen readers read it, and a broken formula fails the build instead of
showing red text to a reader. ``math-core`` converts LaTeX to MathML Core, which Chromium,
Firefox and Safari render natively; the vendored Latin Modern Math font gives the browser the
OpenType MATH table it needs to typeset like TeX.

Syntax in a chapter:

* ``$...$`` inline, ``$$...$$`` display (the ``$$`` starts a line).
* ``\label{eq:name}`` inside a display block numbers it, as *(chapter.k)*.
* ``\eqref{eq:name}`` in the prose becomes a link to that equation, on any page.

Markdown must not touch the MathML (``_`` and ``*`` mean something to it), so
:func:`protect` swaps each formula for an inert token before Markdown runs and :func:`restore`
puts the MathML back afterwards.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

from math_core import LatexError, LatexToMathML
from mkdocs.utils import get_relative_url

#: Shorthands available in every formula.
MACROS = {
    "vw": r"\mathbf{w}",
    "vx": r"\mathbf{x}",
    "vy": r"\mathbf{y}",
    "vX": r"\mathbf{X}",
    "tX": r"\tilde{\mathbf{X}}",
    "R": r"\mathbb{R}",
    "T": r"\top",
}

_converter = LatexToMathML(macros=MACROS)

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}).*?$\n(?:.*\n)*?(?P=indent)(?P=fence)[ \t]*$", re.M)
INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
DISPLAY = re.compile(r"^(?P<indent>[ \t]*)\$\$(?P<tex>.+?)\$\$[ \t]*$", re.M | re.S)
INLINE = re.compile(r"(?<![\\$\w])\$(?!\s)(?P<tex>(?:\\\$|[^$\n])+?)(?<![\s\\])\$(?![\w$])")
LABEL = re.compile(r"\\label\{(?P<name>[^}]+)\}")
EQREF = re.compile(r"\\eqref\{(?P<name>[^}]+)\}")
TOKEN = "LRMATH{:05d}X"
TOKEN_RE = re.compile(r"(?:<p>)?LRMATH(\d{5})X(?:</p>)?")


class MathError(Exception):
    """A formula that does not convert, or a reference to an equation that does not exist."""


@dataclass
class Equation:
    label: str
    number: str
    page: str  # src_uri of the page that defines it
    url: str  # that page's URL in the site, e.g. "likelihood/"


@dataclass
class EquationIndex:
    """Every labelled equation in the book, numbered per chapter in reading order."""

    equations: dict[str, Equation] = field(default_factory=dict)

    #: Every page's URL by its src_uri, so a link can be written relative to the page it is on.
    urls: dict[str, str] = field(default_factory=dict)

    def scan(self, chapter: int, src_uri: str, url: str, markdown: str) -> None:
        k = 0
        for m in DISPLAY.finditer(_blank_code(markdown)):
            labels = LABEL.findall(m["tex"])
            if len(labels) > 1:
                raise MathError(f"{src_uri}: one \\label per display block, found {labels}")
            if labels:
                k += 1
                name = labels[0]
                if name in self.equations:
                    raise MathError(
                        f"{src_uri}: equation label {name!r} is also defined in {self.equations[name].page}"
                    )
                self.equations[name] = Equation(name, f"{chapter}.{k}", src_uri, url)

    def link(self, name: str, from_uri: str) -> str:
        if name not in self.equations:
            raise MathError(f"{from_uri}: \\eqref{{{name}}} names no labelled equation")
        eq = self.equations[name]
        # The link goes into HTML after MkDocs has rewritten Markdown links, so it must already
        # be the site URL (likelihood/#eq-grad), relative to the page it sits on.
        target = "" if eq.page == from_uri else get_relative_url(eq.url, self.urls[from_uri])
        return f'<a class="eqref" href="{target}#{anchor(name)}">({eq.number})</a>'


def anchor(label: str) -> str:
    return "eq-" + re.sub(r"[^A-Za-z0-9_-]+", "-", label.removeprefix("eq:"))


def _blank_code(markdown: str) -> str:
    """The markdown with code blocks and spans blanked (same length), so math inside is ignored."""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))
    return INLINE_CODE.sub(blank, FENCE.sub(blank, markdown))


def convert(tex: str, display: bool, where: str) -> str:
    try:
        mathml = _converter.convert_with_local_state(tex.strip(), displaystyle=display)
    except LatexError as exc:
        raise MathError(f"{where}: cannot convert ${tex.strip()}$:\n{exc}") from None
    return searchable(tidy(mathml))


@dataclass
class PageMath:
    """The formulas taken out of one page, waiting to be put back as MathML."""

    src_uri: str
    pieces: list[str] = field(default_factory=list)

    def stash(self, fragment: str) -> str:
        self.pieces.append(fragment)
        return TOKEN.format(len(self.pieces) - 1)


def protect(markdown: str, src_uri: str, index: EquationIndex) -> tuple[str, PageMath]:
    """Swap formulas and equation references for tokens; return the new markdown and the stash."""
    page = PageMath(src_uri)
    blanked = _blank_code(markdown)
    spans: list[tuple[int, int, str]] = []
    for m in DISPLAY.finditer(blanked):
        tex = markdown[m.start("tex") : m.end("tex")]
        spans.append((m.start() + len(m["indent"]), m.end(), _display(tex, src_uri, index, page)))
    taken = [(s, e) for s, e, _ in spans]
    for m in INLINE.finditer(blanked):
        if any(s <= m.start() < e for s, e in taken):
            continue
        tex = markdown[m.start("tex") : m.end("tex")]
        spans.append((m.start(), m.end(), page.stash(convert(tex, False, src_uri))))
    for m in EQREF.finditer(blanked):
        if any(s <= m.start() < e for s, e, _ in spans):
            continue
        spans.append((m.start(), m.end(), page.stash(index.link(m["name"], src_uri))))
    out, last = [], 0
    for s, e, token in sorted(spans):
        out.append(markdown[last:s])
        out.append(token)
        last = e
    out.append(markdown[last:])
    return "".join(out), page


def _display(tex: str, src_uri: str, index: EquationIndex, page: PageMath) -> str:
    if EQREF.search(tex):
        raise MathError(f"{src_uri}: put \\eqref in the prose, not inside a formula: {tex.strip()[:60]}")
    labels = LABEL.findall(tex)
    body = LABEL.sub("", tex)
    mathml = "".join(convert(part, True, src_uri) for part in split_qquad(body))
    if not labels:
        return page.stash(display_html(mathml))
    eq = index.equations[labels[0]]
    return page.stash(display_html(mathml, anchor(eq.label), eq.number))


QQUAD_OR_GROUP = re.compile(r"\\qquad(?![A-Za-z])|\\begin\{|\\end\{|\\left(?![A-Za-z])|\\right(?![A-Za-z])|[{}]")


def split_qquad(tex: str) -> list[str]:
    r"""The parts of a display formula between its top-level ``\qquad`` gaps.

    A formula such as ``E = \dots, \qquad a_n = \dots`` is two statements side by side; each
    part becomes its own ``<math>``, and the parts wrap onto separate lines when the column is
    too narrow for them side by side (on a phone), instead of scrolling. A ``\qquad`` inside
    braces, an environment or ``\left...\right`` is part of a formula and stays.

    >>> split_qquad(r"a = 1, \qquad b = 2")
    ['a = 1,', 'b = 2']
    >>> split_qquad(r"x \qquad\text{and}\qquad y")
    ['x', '\\text{and}', 'y']
    >>> split_qquad(r"\begin{aligned} a &= 1 \qquad b \end{aligned}")
    ['\\begin{aligned} a &= 1 \\qquad b \\end{aligned}']
    """
    # Depth counts braces and open environments: ``\begin{`` opens the environment and its
    # name's brace (the brace closes at the name's end), ``\end{`` closes the environment and
    # opens its name's brace.
    steps = {"{": 1, "}": -1, "\\left": 1, "\\right": -1, "\\begin{": 2, "\\end{": 0}
    parts, depth, last = [], 0, 0
    for m in QQUAD_OR_GROUP.finditer(tex):
        token = m.group(0)
        if token in steps:
            depth += steps[token]
        elif depth == 0:
            parts.append(tex[last : m.start()])
            last = m.end()
    parts.append(tex[last:])
    return [p.strip() for p in parts if p.strip()]


def display_html(mathml: str, id: str | None = None, number: str | None = None) -> str:
    """A display equation: the formula in its own sideways scroller, the number outside it.

    The number sits beside the scroller, not in it, so a formula wider than the column scrolls
    without taking its number out of view; when the two do not fit on one line the number wraps
    to a line of its own (``book.css``). ``book.js`` makes a scroller that overflows focusable,
    so it can be scrolled from the keyboard.
    """
    attrs = f' id="{id}"' if id else ""
    eqno = f'<span class="eqno">({number})</span>' if number else ""
    if mathml.count("<math") > 1:  # parts of one display (split_qquad): side by side, or wrapped
        mathml = f'<div class="equation-parts">{mathml}</div>'
    return f'<div class="equation"{attrs}><div class="equation-body">{mathml}</div>{eqno}</div>'


def restore(content: str, page: PageMath) -> str:
    """Put the MathML back into the page's HTML."""

    def put(m: re.Match[str]) -> str:
        return page.pieces[int(m.group(1))]

    return TOKEN_RE.sub(put, content)


PRE_OR_CODE = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>|<script\b.*?</script>|<style\b.*?</style>)", re.S)
HTML_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
HTML_INLINE = re.compile(r"(?<![\\$\w])\$(?!\s)((?:\\\$|[^$\n<])+?)(?<![\s\\])\$(?![\w$])")


def render_html_math(content: str, where: str) -> str:
    """Convert ``$...$`` and ``$$...$$`` left as text in HTML (notebook markdown cells)."""
    parts = PRE_OR_CODE.split(content)
    for i in range(0, len(parts), 2):  # even indices are outside code
        text = HTML_DISPLAY.sub(
            lambda m: display_html(convert(html.unescape(m.group(1)), True, where)),
            parts[i],
        )
        parts[i] = HTML_INLINE.sub(lambda m: convert(html.unescape(m.group(1)), False, where), text)
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# Docstrings (the API page): math protected from Markdown, equation labels as linked numbers
# --------------------------------------------------------------------------------------------

from markdown.extensions import Extension  # noqa: E402
from markdown.inlinepatterns import InlineProcessor  # noqa: E402

DOC_INLINE = r"(?<![\\$\w])\$(?!\s)((?:\\\$|[^$])+?)(?<![\s\\])\$(?![\w$])"


class _MathInline(InlineProcessor):
    """``$$...$$`` or ``$...$`` in Markdown that :func:`protect` never saw (docstrings rendered
    by mkdocstrings): converted to MathML and stashed before emphasis can read its ``_`` and
    ``*`` (``}_{`` pairs in an ``\\underbrace`` used to come out as ``<em>``)."""

    def __init__(self, pattern: str, md, display: bool):
        super().__init__(pattern, md)
        self.display = display

    def handleMatch(self, m, data):
        if self.display:  # the chapters' layout: its own scroller, focusable when it overflows,
            # and statements side by side (a top-level \qquad) wrap one under the other
            mathml = display_html("".join(convert(part, True, "a docstring") for part in split_qquad(m.group(1))))
        else:
            mathml = convert(m.group(1), False, "a docstring")
        return self.md.htmlStash.store(mathml), m.start(0), m.end(0)


class MathExtension(Extension):
    """Registered by ``book/hooks.py`` (``on_config``) for every Markdown the build renders."""

    def extendMarkdown(self, md):
        # After code spans (190) and before escapes (180) and emphasis (below 100).
        md.inlinePatterns.register(_MathInline(r"\$\$(.+?)\$\$", md, True), "book_display_math", 186)
        # Docstrings wrap their lines, so inline math may run over a line break (not a paragraph).
        md.inlinePatterns.register(_MathInline(DOC_INLINE, md, False), "book_inline_math", 185)


EMPHASIS_IN_MATH = re.compile(r"\$(?!\s)[^$]*?<(em|strong)>[^$]*\$")
DOC_EQREF = re.compile(r"(?:the book's |book )?(eqs?)\. <code>([\w-]+)</code>((?: and <code>[\w-]+</code>)*)")
PRE_BLOCK = re.compile(r"(<pre\b.*?</pre>|<script\b.*?</script>|<style\b.*?</style>)", re.S)
CODE_EQREF = re.compile(r"(#\s*eqs?\.\s+)([\w-]+)")


def check_no_emphasis_in_math(content: str, where: str) -> None:
    """Fail the build if Markdown's emphasis ran inside a formula: ``$ ... <em>``."""
    for i, part in enumerate(PRE_OR_CODE.split(content)):
        if i % 2 == 0 and (m := EMPHASIS_IN_MATH.search(part)):
            raise MathError(
                f"{where}: Markdown emphasis inside a formula, the LaTeX was corrupted "
                f"before conversion: ...{part[m.start() : m.end() + 60]}..."
            )


def link_label_mentions(content: str, where: str, index: EquationIndex) -> str:
    """Docstrings name equations by label (``book eq. ``obj````); on the page they become the
    equation's number, linked ("eq. (5.1)"); in listings, a comment ``# eq. loglik`` likewise.
    Labels no chapter defines are left as they are (``book/pagecheck.py`` then fails the build)."""

    def number(label: str) -> str | None:
        eq = index.equations.get(f"eq:{label}")
        return None if eq is None else eq.number

    def doc(m: re.Match[str]) -> str:
        labels = [m[2], *re.findall(r"<code>([\w-]+)</code>", m[3] or "")]
        if any(number(lab) is None for lab in labels):
            return m.group(0)
        links = " and ".join(index.link(f"eq:{lab}", where) for lab in labels)
        return f"{m[1]}. {links}"

    parts = PRE_BLOCK.split(content)  # not PRE_OR_CODE: the labels themselves are <code>
    for i, part in enumerate(parts):
        if i % 2 == 0:
            parts[i] = DOC_EQREF.sub(doc, part)
        else:
            parts[i] = CODE_EQREF.sub(
                lambda m: m[1] + (index.link(f"eq:{m[2]}", where) if number(m[2]) else m[2]), part
            )
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# Typography: what math-core emits, rearranged so that MathML Core lays it out like TeX
# --------------------------------------------------------------------------------------------

import xml.etree.ElementTree as ET  # noqa: E402

PRIMES = "′″‴⁗"
OPEN_FENCES, CLOSE_FENCES = "([{⟨⌊⌈", ")]}⟩⌋⌉"
BARS = "|‖"
#: Elements whose children are laid out as one row (an inferred ``mrow``).
ROWS = {"math", "mrow", "mtd", "msqrt", "mstyle", "mpadded", "mphantom", "menclose"}
SCRIPTS = {"msup", "msub", "msubsup"}
ENTITIES = {"&ApplyFunction;": "&#x2061;", "&InvisibleTimes;": "&#x2062;", "&nbsp;": "&#xa0;", "&NoBreak;": "&#x2060;"}


def _fence(el: ET.Element) -> str | None:
    """ "open" or "close" for an ``<mo>`` that is a bracket (or a ``\\lvert``-style bar)."""
    if el.tag != "mo" or not el.text or len(el.text) != 1:
        return None
    if el.text in OPEN_FENCES:
        return "open"
    if el.text in CLOSE_FENCES:
        return "close"
    if el.text in BARS:  # only \lvert ... \rvert say which side they are on
        return {"prefix": "open", "postfix": "close"}.get(el.get("form", ""))
    return None


def _lift_trailing_open(row: ET.Element) -> None:
    """``\\exp\\Bigl(`` comes out as ``<mrow>exp ⁡ (</mrow>``: the fence belongs to the row
    it opens, so it moves out, just after that ``mrow``."""
    kids = list(row)
    for kid in kids:
        if kid.tag == "mrow" and len(kid) and _fence(kid[-1]) == "open":
            fence = kid[-1]
            kid.remove(fence)
            row.insert(list(row).index(kid) + 1, fence)


def _group_scripted_fences(row: ET.Element) -> None:
    """``(1 + e^{-a})^{-1}``: math-core puts the exponent on the closing bracket alone, so it
    is set beside a bracket that is small and low. The base becomes the whole fenced group."""
    i = 0
    while i < len(row):
        kid = row[i]
        if kid.tag in SCRIPTS and len(kid) and _fence(kid[0]) == "close":
            depth, j = 1, i - 1
            while j >= 0:
                side = _fence(row[j])
                if side == "close":
                    depth += 1
                elif side == "open":
                    depth -= 1
                    if depth == 0:
                        break
                j -= 1
            if j >= 0:
                group = ET.Element("mrow")
                for el in list(row)[j:i]:
                    row.remove(el)
                    group.append(el)
                group.append(kid[0])
                kid.remove(kid[0])
                kid.insert(0, group)
                i = j
        i += 1


def _prime_row(el: ET.Element) -> ET.Element | None:
    """``f'`` is ``<msup><mi>f</mi><mo>′</mo></msup>``: the prime, already a raised glyph, is
    then shrunk to script size and raised again, a tiny detached tick. As an operator after its
    base it is drawn at full size where the font puts it."""
    if el.tag == "msup" and len(el) == 2 and el[1].tag == "mo" and el[1].text and all(c in PRIMES for c in el[1].text):
        row = ET.Element("mrow")
        row.append(el[0])
        prime = el[1]
        prime.attrib = {"lspace": "0", "rspace": "0"}
        row.append(prime)
        row.tail = el.tail
        return row
    return None


#: Signs that are binary operators when they open a continued row of an aligned display.
ROW_SIGNS = "+−-±∓"
#: TeX's medium math space, around a binary operator.
MEDIUM_SPACE = "0.2222em"


def _binary_sign_in_aligned_cell(cell: ET.Element) -> None:
    r"""``b = &-\tfrac12\dots`` and ``&\quad + \lambda\dots``: amsmath's ``aligned`` starts
    each left-aligned cell with ``{}``, so a sign there is a binary operator, set apart from
    what follows and from the ``=`` before it. math-core writes it as a prefix sign, glued to
    its neighbours ("=−½", "+λ"); here it gets the binary operator's space on each side."""
    if cell.tag != "mtd" or "justify-items: start" not in cell.get("style", ""):
        return
    # What opens a formula (``&-\log p`` on the first row, nothing to its left) is a sign.
    if cell.get("data-row") == "0" and cell.get("data-after-empty") == "1":
        return
    first = next((k for k in cell if k.tag != "mspace"), None)
    if first is not None and first.tag == "mo" and (first.text or "").strip() in tuple(ROW_SIGNS):
        first.set("lspace", MEDIUM_SPACE)
        first.set("rspace", MEDIUM_SPACE)


def _mark_aligned_cells(table: ET.Element) -> None:
    """Note on each cell of an ``mtable`` whether it is on the first row with an empty cell
    before it (removed again by :func:`_tidy`): there a sign opens the formula, and stays one."""
    for r, row in enumerate(kid for kid in table if kid.tag == "mtr"):
        before = None
        for cell in row:
            cell.set("data-row", str(r))
            cell.set("data-after-empty", "1" if before is not None and len(before) == 0 else "0")
            before = cell


def _tidy(el: ET.Element) -> None:
    if el.tag == "mtable":
        _mark_aligned_cells(el)
    _binary_sign_in_aligned_cell(el)
    el.attrib.pop("data-row", None)
    el.attrib.pop("data-after-empty", None)
    for i, kid in enumerate(list(el)):
        if (row := _prime_row(kid)) is not None:
            el.remove(kid)
            el.insert(i, row)
    for kid in el:
        _tidy(kid)
    if el.tag in ROWS:
        _lift_trailing_open(el)
        _group_scripted_fences(el)
    if _fence(el):  # a fence is set tight against what it encloses (TeX's open/close atoms)
        el.set("lspace", "0")
        el.set("rspace", "0")


#: \bigl( and \Bigl( (math-core: ``minsize = maxsize``) are drawn as the fence's ordinary glyph
#: scaled by this much at most; larger sizes keep their stretchy variants.
SCALED_FENCE_MAX = 1.7
#: Where the font's ordinary brackets have their middle, in em above the baseline: the math
#: axis of Latin Modern Math, around which TeX centres a \big bracket.
FENCE_CENTRE_EM = 0.25


#: Latin Modern Math's vertical variants of each bracket (from its OpenType MATH table): the
#: variants' heights and advances in em, smallest first; past the last one the font builds the
#: bracket from parts, as wide as the widest variant. ``book.js`` holds the same table.
FENCE_VARIANTS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "()": (
        (0.997, 1.095, 1.195, 1.445, 1.793, 2.093, 2.393, 2.991),
        (0.389, 0.422, 0.458, 0.523, 0.597, 0.663, 0.736, 0.875),
    ),
    "[]": (
        (1.001, 1.101, 1.201, 1.451, 1.801, 2.101, 2.401, 3.001),
        (0.278, 0.340, 0.417, 0.444, 0.472, 0.499, 0.528, 0.667),
    ),
    "{}": (
        (1.001, 1.101, 1.201, 1.451, 1.801, 2.101, 2.401, 3.001),
        (0.500, 0.540, 0.583, 0.624, 0.667, 0.707, 0.750, 0.902),
    ),
    "⟨⟩": (
        (1.001, 1.101, 1.201, 1.451, 1.801, 2.101, 2.401, 3.001),
        (0.389, 0.428, 0.472, 0.537, 0.611, 0.677, 0.750, 0.908),
    ),
    "⌊⌋⌈⌉": (
        (1.001, 1.101, 1.201, 1.451, 1.801, 2.101, 2.401, 3.001),
        (0.444, 0.458, 0.472, 0.499, 0.528, 0.555, 0.583, 0.667),
    ),
    "‖": (
        (1.001, 1.203, 1.445, 1.735, 2.085, 2.503, 3.005, 3.607),
        (0.398, 0.354, 0.364, 0.372, 0.386, 0.396, 0.410, 0.424),
    ),
}


def fence_trim(char: str, size: float) -> float:
    r"""How much of a stretchy bracket's box, on each side, is empty, in em, at ``size`` em.

    Chromium gives a stretchy bracket a box as wide as the widest variant the font has of it
    (0.875 em for a parenthesis) and centres the variant it draws there, so ``\left( ... \right)``
    and ``\biggl(`` stood apart from what they enclose. The variant drawn is the first one at
    least ``size`` tall; a negative margin of this much on each side leaves its own advance.

    >>> fence_trim("(", 2.047), fence_trim(")", 2.3), fence_trim("(", 5.0), fence_trim("x", 2)
    (0.106, 0.0695, 0.0, 0.0)
    """
    for chars, (heights, advances) in FENCE_VARIANTS.items():
        if char in chars:
            widest = max(advances)
            advance = next((a for h, a in zip(heights, advances, strict=True) if h >= size - 0.02), widest)
            return round((widest - advance) / 2, 4)
    return 0.0


def _size_fences(el: ET.Element) -> None:
    """A sized bracket (``\bigl(``) as the ordinary glyph scaled, centred on the axis.

    Chromium lays a stretchy bracket out in a box as wide as the font's widest variant of it
    (0.875 em for Latin Modern's parenthesis), whatever size it is drawn at, so ``\bigl(x\bigr)``
    came out as ``( x )`` with a gap on each side. The ordinary glyph at ``mathsize`` has its
    own, tight advance; ``mpadded`` moves it down so that it stays centred on the math axis.
    """
    for i, kid in enumerate(list(el)):
        size = kid.get("minsize", "")
        if (
            _fence(kid)
            and size.endswith("em")
            and size == kid.get("maxsize")
            and 1 < float(size[:-2]) <= SCALED_FENCE_MAX
        ):
            scale = float(size[:-2])
            mo = ET.Element("mo", {"stretchy": "false", "lspace": "0", "rspace": "0", "mathsize": f"{scale:g}em"})
            if kid.get("form"):
                mo.set("form", kid.get("form"))
            mo.text = kid.text
            pad = ET.Element("mpadded", {"voffset": f"{-FENCE_CENTRE_EM * (scale - 1):.3f}em"})
            pad.append(mo)
            pad.tail = kid.tail
            el.remove(kid)
            el.insert(i, pad)
        elif _fence(kid) and size.endswith("em") and size == kid.get("maxsize"):
            # \biggl( and up: the stretchy variant, with the empty sides of its box taken off
            # (book.js does the same, in the browser, for \left...\right and matrices, whose
            # size depends on what they enclose).
            trim = fence_trim(kid.text or "", float(size[:-2]))
            if trim:
                kid.set("style", f"margin:0 -{trim:g}em")
        else:
            _size_fences(kid)


def searchable(mathml: str) -> str:
    """The formula for the page, and for search a plain-text copy of it.

    Search (Material's index) would read the MathML's text as a run of glued symbols
    (``p(𝐲∣𝐗,𝐰˜)=∏n=1Nσnyn``), show that in its snippets and never find "λ" in it. The
    ``<math>`` is left out of the index (``data-search-exclude``) and a hidden text line,
    :func:`plain_text`, which the page never shows, is indexed instead.
    """
    text = plain_text(mathml)
    head = mathml.index(">")
    return mathml[:head] + " data-search-exclude" + mathml[head:] + f'<span class="math-text" hidden>{text}</span>'


def tidy(mathml: str) -> str:
    """The MathML of one ``<math>`` with primes, fences and their scripts set as TeX sets them.

    >>> tidy('<math><msup><mi>f</mi><mo>′</mo></msup></math>')
    '<math><mrow><mi>f</mi><mo lspace="0" rspace="0">′</mo></mrow></math>'
    >>> squared = tidy('<math><mo>(</mo><mi>x</mi><msup><mo>)</mo><mn>2</mn></msup></math>')
    >>> squared == ('<math><msup><mrow><mo lspace="0" rspace="0">(</mo><mi>x</mi><mo lspace="0" rspace="0">)</mo>'
    ...             '</mrow><mn>2</mn></msup></math>')
    True
    """
    for name, ref in ENTITIES.items():
        mathml = mathml.replace(name, ref)
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError as exc:
        raise MathError(f"math-core wrote MathML that does not parse ({exc}): {mathml[:200]}") from None
    _tidy(root)
    _size_fences(root)
    return (
        ET.tostring(root, encoding="unicode", short_empty_elements=True)
        .replace("\u2061", "&#x2061;")
        .replace("\u2062", "&#x2062;")
    )


# --------------------------------------------------------------------------------------------
# Computed numbers that belong to a formula are set inside it, in the math font
# --------------------------------------------------------------------------------------------

NUMBER = re.compile(r"^(?P<sign>[−-]?)(?P<digits>\d[\d.]*)(?: × 10<sup>(?P<exp>[−-]?\d+)</sup>)?$")
#: ``$\lambda =$ {{ name }}``: a formula that ends in a relation, then a number from the build.
RELATION_THEN_VALUE = re.compile(
    r"(?<![\\$\w])\$(?!\s)(?P<tex>(?:\\\$|[^$\n])+?(?:=|\\approx|\\le|\\ge|<|>|\\sim|\+|-))\$"
    r"(?P<gap>[ \t]*\n?[ \t]*)(?P<ph>\{\{\s*(?P<name>\w[\w.-]*)\s*\}\})"
)


def value_tex(value: str) -> str | None:
    """A number as the build prints it (``2.2 × 10<sup>−16</sup>``) as LaTeX, or None.

    >>> value_tex("2.2 × 10<sup>−16</sup>"), value_tex("−1.6"), value_tex("98 %")
    ('2.2 \\\\times 10^{-16}', '-1.6', None)
    """
    m = NUMBER.match(value)
    if m is None:
        return None
    tex = ("-" if m["sign"] else "") + m["digits"]
    if m["exp"] is not None:
        tex += r" \times 10^{" + m["exp"].replace("−", "-") + "}"
    return tex


def numbers_into_math(markdown: str, values: dict[str, str]) -> str:
    """``$\\lambda =$ {{ l2 }}`` becomes ``$\\lambda = {{ l2 }}$`` when the value is a number, so
    the number is typeset with the formula (and cannot break away from its ``=``)."""
    blanked = _blank_code(markdown)

    def join(m: re.Match[str]) -> str:
        if blanked[m.start() : m.end()] != m.group(0):  # in code: as it is
            return m.group(0)
        value = values.get(m["name"])
        if value is None or value_tex(value) is None:
            return m.group(0)
        return f"${m['tex']} {m['ph']}$" + "\n" * m["gap"].count("\n")  # lines keep their numbers

    return RELATION_THEN_VALUE.sub(join, markdown)


def math_spans(markdown: str) -> list[tuple[int, int]]:
    """Where the formulas are in ``markdown`` (code blocks and spans excluded)."""
    blanked = _blank_code(markdown)
    spans = [(m.start(), m.end()) for m in DISPLAY.finditer(blanked)]
    spans += [(m.start(), m.end()) for m in INLINE.finditer(blanked) if not any(s <= m.start() < e for s, e in spans)]
    return spans


# --------------------------------------------------------------------------------------------
# Search: the formula as a line of text, for the index and its snippets
# --------------------------------------------------------------------------------------------

#: Operators written with a space on each side in the plain text of a formula.
_SPACED = set("=<>≤≥≈≠∼∝∈→↦+−±×·⋅∣") | {"\u2061"}
_ACCENTS = {
    "˜": "\u0303",
    "~": "\u0303",
    "^": "\u0302",
    "ˆ": "\u0302",
    "¯": "\u0304",
    "‾": "\u0304",
    "˙": "\u0307",
    "→": "\u20d7",
}


def _plain(el: ET.Element) -> str:
    tag = el.tag
    kids = list(el)
    if tag in ("mi", "mn", "mtext", "ms"):
        return (el.text or "").replace("\ufe00", "")
    if tag == "mo":
        text = el.text or ""
        if text == "\u2061" or text == "\u2062":
            return " "
        return f" {text} " if text in _SPACED else (text + " " if text == "," else text)
    if tag == "mspace":
        return " "
    if tag in ("msup", "msub", "msubsup", "munder", "mover", "munderover") and kids:
        base = _plain(kids[0]).strip()
        if tag == "mover" and el.get("accent") == "true" and len(kids) == 2:
            mark = _ACCENTS.get((kids[1].text or "").strip())
            return base + mark if mark and len(base) == 1 else base
        scripts = [_plain(k).strip().replace(" ", "") for k in kids[1:]]
        if tag in ("msub", "munder"):
            return f"{base}<sub>{scripts[0]}</sub>"
        if tag in ("msup", "mover"):
            return f"{base}<sup>{scripts[0]}</sup>"
        return f"{base}<sub>{scripts[0]}</sub><sup>{scripts[1]}</sup>"
    if tag == "mfrac" and len(kids) == 2:
        num, den = (_plain(k).strip() for k in kids)
        wrap = lambda t: f"({t})" if " " in t else t
        return f"{wrap(num)}/{wrap(den)}"
    if tag == "msqrt":
        return "√(" + "".join(_plain(k) for k in kids).strip() + ")"
    if tag == "mtr":
        return " ".join(_plain(k).strip() for k in kids) + "; "
    return "".join(_plain(k) for k in kids)


def plain_text(mathml: str) -> str:
    """A formula as one line of text with ``<sub>``/``<sup>``, what search indexes and shows.

    >>> plain_text(tidy(_converter.convert_with_local_state(
    ...     r"E_\\lambda = \\frac{1}{2}\\lVert\\vw\\rVert^2", displaystyle=False
    ... )))
    'E<sub>λ</sub> = 1/2‖w‖<sup>2</sup>'
    """
    root = ET.fromstring(mathml.replace("&#x2061;", "\u2061").replace("&#x2062;", "\u2062"))
    # NFKC: the mathematical alphabets (bold 𝐰, calligraphic 𝒩) as the letters a reader types.
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", _plain(root))).strip()
