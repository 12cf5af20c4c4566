"""The exercise mechanism (``book/exercises.py``) and the exercises of every chapter.

Every chapter's exercises are rendered here exactly as the build renders them, so their solution
code runs and asserts its claims without a site build; and a solution made wrong on purpose must
stop the render (and so the build) with a message naming the exercise.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from book import exercises as ex
from tests.book._site import ROOT, load_config, nav_pages

#: Pages of the nav that are not chapters, and so have no exercises.
NOT_CHAPTERS = {"index.md", "api.md", "api-part2.md", "references.md", "changelog.md"}
MIN_EXERCISES, MAX_EXERCISES = 3, 6
#: Chapters whose exercises are still being written (issue 12). Strict: a chapter that gets its
#: exercises fails here until it is taken off this list.
PENDING: set[str] = set()


def chapters() -> list[tuple[int, str]]:
    """(chapter number, src path) of every Markdown chapter, numbered in nav order."""
    pages = [src for _, src in nav_pages(load_config(ROOT))]
    return [(k, src) for k, src in enumerate(pages) if src.endswith(".md") and src not in NOT_CHAPTERS]


def chapter_params():
    """:func:`chapters` as test parameters, the pending ones expected to fail."""
    return [
        pytest.param(k, src, marks=pytest.mark.xfail(strict=True, reason="exercises not written yet"))
        if src in PENDING
        else pytest.param(k, src)
        for k, src in chapters()
    ]


@cache
def book_index() -> ex.ExerciseIndex:
    index = ex.ExerciseIndex()
    for k, src in enumerate(src for _, src in nav_pages(load_config(ROOT))):
        if src.endswith(".md"):
            ex.scan(index, k, src, src.removesuffix(".md") + "/", (ROOT / "docs" / src).read_text("utf-8"))
    index.urls["index.md"] = ""
    return index


@cache
def values() -> dict[str, str]:
    from book.results import values

    return values()


def filled(src: str) -> str:
    """The chapter's Markdown with ``{{ name }}`` values filled in, as the hook does first."""
    from book.hooks import PLACEHOLDER

    text = (ROOT / "docs" / src).read_text("utf-8")
    return PLACEHOLDER.sub(lambda m: m.group(0) if m["kind"] else values()[m["name"]], text)


def one_page(markdown: str, src: str = "chapter.md", chapter: int = 3) -> str:
    index = ex.ExerciseIndex()
    ex.scan(index, chapter, src, "chapter/", markdown)
    return ex.render(markdown, src, index)


GOOD = """# A chapter

!!! exercise "Square it" {#square stars=2}

    What is $3^2$?

    ??? success "Solution"

        It is {{ answer: nine }}, and {{ answer: text }}.

        ```python exercise
        nine = 3**2
        text = "checked"
        print("nine:", nine)
        assert nine == 9
        ```

See {{ exercise: square }}.
"""


# --------------------------------------------------------------------------------------------
# The mechanism
# --------------------------------------------------------------------------------------------


def test_an_exercise_is_numbered_starred_run_and_linkable():
    out = one_page(GOOD)
    assert '<div class="exercise-anchor" id="ex-square"></div>' in out
    assert '!!! exercise "Exercise 3.1 <span class="exercise-stars" role="img" aria-label="difficulty 2 of 3"' in out
    assert "★★☆</span> Square it" in out
    assert "It is 9, and checked." in out
    assert "```python\n        nine = 3**2" in out  # shown as an ordinary listing
    assert "```text\n        nine: 9\n        ```" in out  # with what it printed
    assert 'See <a class="exref" href="#ex-square">Exercise 3.1</a>.' in out
    assert "{{" not in out


def test_exercises_are_numbered_per_chapter_and_linked_across_pages():
    index = ex.ExerciseIndex()
    other = GOOD.replace("#square", "#cube").replace("See {{ exercise: square }}.", "")
    ex.scan(index, 4, "likelihood.md", "likelihood/", GOOD + "\n" + other)
    ex.scan(index, 6, "fitting.md", "fitting/", "See {{ exercise: cube }}.")
    assert [e.number for e in index.exercises.values()] == ["4.1", "4.2"]
    link = ex.render("See {{ exercise: cube }}.", "fitting.md", index)
    assert link == 'See <a class="exref" href="../likelihood/#ex-cube">Exercise 4.2</a>.'


def test_a_failing_assertion_fails_with_the_exercise_named():
    wrong = GOOD.replace("assert nine == 9", "assert nine == 10, 'three squared is not ten'")
    with pytest.raises(
        ex.ExerciseError,
        match=r"chapter\.md: exercise 3\.1 \(square\): code block 1 failed"
        r"(?s:.*)AssertionError: three squared is not ten",
    ):
        one_page(wrong)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('??? success "Solution"', '??? note "Hint"'), r'exactly one \?\?\? success "Solution" block, found 0'),
        (('??? success "Solution"', '???+ success "Solution"'), r'must be collapsed: "\?\?\?", not "\?\?\?\+"'),
        (("        assert nine == 9\n", ""), r"its code has no assert"),
        (("{{ answer: nine }}", "{{ answer: ten }}"), r"\{\{ answer: ten \}\}, but its code defines no 'ten'"),
        (("{{ exercise: square }}", "{{ exercise: cube }}"), r"names no exercise \(known: square\)"),
        (("stars=2", "stars=4"), r'must read !!! exercise "Title" \{#name stars=N\}'),
        (("#square stars", "#Square stars"), r"name in lower case"),
        (('text = "checked"', "text = [1, 2]"), r"answer 'text' is a list; format it as a str"),
        (("nine = 3**2\n", "import book.results\n        nine = 3**2\n"), r"imports book"),
        (("nine = 3**2", "nine = 3**"), r"code block 1 does not parse"),
        (("See {{ exercise: square }}.", "It is {{ answer: nine }}."), r"outside an exercise"),
    ],
)
def test_a_malformed_exercise_is_an_error_naming_the_problem(change, message):
    old, new = change
    assert old in GOOD
    with pytest.raises(ex.ExerciseError, match=message):
        one_page(GOOD.replace(old, new))


def test_an_exercise_name_is_unique_in_the_book():
    index = ex.ExerciseIndex()
    ex.scan(index, 1, "data.md", "data/", GOOD)
    with pytest.raises(ex.ExerciseError, match=r"sigmoid\.md: exercise name 'square' is also used in data\.md"):
        ex.scan(index, 2, "sigmoid.md", "sigmoid/", GOOD)


def test_a_header_inside_a_code_block_is_not_an_exercise():
    text = '```markdown\n!!! exercise "Not one" {#nope stars=1}\n```\n'
    assert one_page(text) == text


def test_solutions_run_in_a_fresh_namespace_per_exercise():
    second = GOOD.replace("#square", "#again").replace("nine = 3**2", "assert 'nine' not in dir()\n        nine = 9")
    one_page(GOOD + "\n" + second)


# --------------------------------------------------------------------------------------------
# The book's exercises
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("chapter", "src"), chapter_params())
def test_every_chapter_has_exercises_whose_solutions_hold(chapter, src):
    """3-6 exercises per chapter, numbered C.1, C.2, ...; rendering runs their solutions."""
    index = book_index()
    found = index.on_page(src)
    assert MIN_EXERCISES <= len(found) <= MAX_EXERCISES, (
        f"{src} has {len(found)} exercises; a chapter has {MIN_EXERCISES} to {MAX_EXERCISES}"
    )
    assert [e.number for e in found] == [f"{chapter}.{k}" for k in range(1, len(found) + 1)]
    out = ex.render(filled(src), src, index)
    assert out.count('!!! exercise "Exercise ') == len(found)
    assert "{{ answer:" not in out and "python exercise" not in out


def test_a_wrong_solution_in_a_real_chapter_fails_the_render():
    """The guard the build relies on, shown on a real chapter: turn one claim into its negation."""
    src = "sigmoid.md"
    text = filled(src)
    first = book_index().on_page(src)[0]
    assert "    assert " in text
    broken = re.sub(r"^(\s+)assert ", r"\1assert not ", text, count=1, flags=re.M)
    with pytest.raises(
        ex.ExerciseError,
        match=rf"exercise {re.escape(first.number)} \({first.name}\)"
        r"(?s:.*)AssertionError",
    ):
        ex.render(broken, src, book_index())
