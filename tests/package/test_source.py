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
