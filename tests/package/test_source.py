"""Hygiene of the package source that no other test would notice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "logreg"


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_control_characters_in_the_source(path):
    r"""A LaTeX command such as ``\tilde`` or ``\top`` written into a docstring that is not a raw
    string becomes a tab and a word ("ilde", "op"), and the API reference shows it so. Twice
    written and caught in review; now a test."""
    text = path.read_text(encoding="utf-8")
    bad = [
        (text.count("\n", 0, m.start()) + 1, repr(m.group())) for m in re.finditer(r"[\x00-\x09\x0b-\x1f\x7f]", text)
    ]
    assert not bad, f"control characters at (line, char): {bad}"


def _imported_modules(path: Path) -> set[str]:
    """The modules a source file imports, relative ones written as ``logreg.<name>``."""
    import ast

    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "logreg." * (node.level > 0) + (node.module or "")
            names |= {base} if node.module else {f"logreg.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("name", ["model.py", "newton.py", "checks.py"])
def test_the_teaching_path_imports_nothing_private(name):
    """The formulas the book prints (`model.py`), the Newton loop it prints (`newton.py`) and the
    input checks they share import no private module: no engine, no thread pool. The engine may
    import them, never the reverse (DESIGN.md: arrows point one way)."""
    private = {m for m in _imported_modules(PACKAGE / name) if any(p.startswith("_") for p in m.split(".")[1:])}
    assert not private, f"{name} imports private modules: {sorted(private)}"
    assert not {m for m in _imported_modules(PACKAGE / name) if m.split(".")[0] in ("book", "tests")}


def test_the_package_imports_neither_the_book_nor_the_tests():
    for path in sorted(PACKAGE.glob("*.py")):
        assert not {m for m in _imported_modules(path) if m.split(".")[0] in ("book", "tests")}, path.name
