"""The build glue on its own (``book/hooks.py``, ``book/cache.py``), without building the site.

What a full build cannot show quickly, or at all: that a cache miss and a hit give the same data,
that a half-written or garbled entry is recomputed, that the cache key changes with the installed
packages, that the cache moves with ``LOGREG_CACHE_DIR``, that the build lock makes a second
build wait, that the notebook's prints land in one output however far apart they come, and that
a build error names the chapter's file and line. (The site test builds the book three times,
cold, warm and read-only, and compares them: ``tests/book/test_site.py``.)
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from book import cache, exercises, hooks, mathml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """A fresh, empty cache for one test, through the environment variable the build reads."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV, str(folder))
    return folder


# --------------------------------------------------------------------------------------------
# Where the cache is, and what its key hashes
# --------------------------------------------------------------------------------------------


def test_the_cache_lives_where_the_environment_says(cache_dir, monkeypatch):
    assert cache.root() == cache_dir.resolve()
    hooks._cached_json("values", "k1", lambda: {"x": 1})
    assert (cache_dir / "values" / "k1" / "values.json").is_file()
    monkeypatch.setenv(cache.ENV, "")  # empty means unset: the tree's own .cache/
    assert cache.root() == ROOT / ".cache"


def test_mkdocs_jupyter_cache_moves_with_the_books(cache_dir):
    jupyter = SimpleNamespace(config={"cache": True, "cache_dir": ".cache/mkdocs-jupyter"})
    hooks.on_config({"plugins": {"mkdocs-jupyter": jupyter}})
    assert jupyter.config["cache_dir"] == str(cache_dir.resolve() / "mkdocs-jupyter")


def _fake_distributions(real, changed: str):
    out = []
    for dist in real:
        name = (dist.metadata["Name"] or "").lower()
        version = "0.0.0.fake" if name == changed else dist.version
        out.append(SimpleNamespace(metadata={"Name": dist.metadata["Name"]}, version=version))
    return out


@pytest.mark.parametrize("package", ["numpy", "scipy", "scikit-learn", "statsmodels", "matplotlib"])
def test_cache_key_changes_with_a_dependencys_version(package, monkeypatch):
    """After a requirements.lock change the numbers are recomputed, not served stale."""
    import importlib.metadata

    real = list(importlib.metadata.distributions())
    assert any((d.metadata["Name"] or "").lower() == package for d in real), f"{package} is not installed"
    before = cache.key()
    assert cache.key() == before, "the key is not stable for an unchanged environment"
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: _fake_distributions(real, package))
    assert cache.key() != before, f"the cache key ignores {package}'s version"


def test_cache_key_changes_with_the_package_and_extra_sources(tmp_path):
    extra = tmp_path / "nb.py"
    extra.write_text("print(1)\n")
    first = cache.key(extra)
    extra.write_text("print(2)\n")
    assert cache.key(extra) != first


# --------------------------------------------------------------------------------------------
# Entries: cold and warm agree, writes are atomic, unreadable entries are misses
# --------------------------------------------------------------------------------------------


def test_a_miss_returns_what_a_hit_reads_back(cache_dir):
    """Cold and warm builds see the same data, key order included (the explorers' JSON is
    embedded in pages as it comes)."""
    calls = []

    def compute():
        calls.append(1)
        return {"zeta": [1.0, 0.1 + 0.2], "alpha": {"b": 1, "a": 2}}

    cold = hooks._cached_json("explorers", "k", compute)
    warm = hooks._cached_json("explorers", "k", compute)
    assert len(calls) == 1, "the second call did not come from the cache"
    assert json.dumps(cold) == json.dumps(warm)
    assert list(cold) == list(warm) and list(cold["alpha"]) == list(warm["alpha"])


@pytest.mark.parametrize("garbage", [b"", b'{"half": [1, 2', b"\xff\xfe not text", b"null"])
def test_an_unreadable_json_entry_is_recomputed(cache_dir, garbage):
    path = cache_dir / "values" / "k" / "values.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(garbage)
    assert hooks._cached_json("values", "k", lambda: {"n": "5"}) == {"n": "5"}
    assert json.loads(path.read_text()) == {"n": "5"}, "the recomputed entry was not written back"


def test_a_failed_write_leaves_the_old_entry_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "values.json"
    path.write_text('{"old": 1}')

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        cache.write_atomic(path, b'{"new": 2, "and much more": "...')
    assert path.read_text() == '{"old": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["values.json"]


class _Figure:
    """Stands in for an entry of book/figures.py: draws a labelled SVG, counts its renders."""

    renders = 0

    def __init__(self, name):
        self.name, self.alt, self.caption, self.size = name, f"{name} alt", f"{name} caption", (6.0, 4.0)

    def svg(self, palette):
        type(self).renders += 1
        return f'<svg xmlns="http://www.w3.org/2000/svg"><title>{self.name} {palette}</title></svg>'.encode()


@pytest.fixture
def fake_registry(monkeypatch):
    import book.figures

    _Figure.renders = 0
    monkeypatch.setattr(book.figures, "REGISTRY", {"one": _Figure("one"), "two": _Figure("two")})
    monkeypatch.setattr(book.figures, "PALETTES", ("light", "dark"))
    return book.figures.REGISTRY


@pytest.mark.parametrize("damage", ["truncate index", "garble index", "delete an svg"])
def test_damaged_figure_cache_is_rendered_again(cache_dir, fake_registry, damage):
    files, meta = hooks._figures("k")
    assert sorted(files) == [
        "figures/one-dark.svg",
        "figures/one-light.svg",
        "figures/two-dark.svg",
        "figures/two-light.svg",
    ]
    assert _Figure.renders == 4
    hooks._figures("k")
    assert _Figure.renders == 4, "an intact cache was rendered again"
    folder = cache_dir / "figures" / "k"
    index = folder / "index.json"
    if damage == "truncate index":
        index.write_bytes(index.read_bytes()[:10])
    elif damage == "garble index":
        index.write_bytes(b"\x00" * 40)
    else:
        (folder / "two-dark.svg").unlink()
    files_again, meta_again = hooks._figures("k")
    assert _Figure.renders == 8
    assert files_again == files and meta_again == meta


# --------------------------------------------------------------------------------------------
# The lock
# --------------------------------------------------------------------------------------------


def test_a_second_build_waits_for_the_lock_until_the_first_ends(cache_dir):
    """Two `make site` in one tree: the second waits (and the lock dies with its process)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; sys.path.insert(0, sys.argv[1]); from book.cache import BuildLock; "
            "lock = BuildLock(); lock.acquire(); print('held', flush=True); time.sleep(600)",
            str(ROOT),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        lock = cache.BuildLock()
        waiter = threading.Thread(target=lock.acquire, daemon=True)
        waiter.start()
        waiter.join(1.0)
        assert waiter.is_alive() and not lock.held, "the lock was taken while another build held it"
        holder.kill()  # a build that dies releases the lock
        holder.wait()
        waiter.join(30)
        assert lock.held, "the lock was not free after the holding process died"
        lock.release()
        assert not lock.held
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_build_hooks_take_and_release_the_lock(cache_dir, monkeypatch):
    monkeypatch.setattr(hooks, "_lock", cache.BuildLock())
    config = {"plugins": {}, "site_dir": str(cache_dir / "site")}
    hooks.on_pre_build(config)
    assert hooks._lock.held
    hooks.on_build_error(RuntimeError("a cell raised"))
    assert not hooks._lock.held
    hooks.on_pre_build(config)
    with pytest.raises(Exception, match="notebook download"):
        hooks.on_post_build(config)  # no site was built: it fails, and still lets go of the lock
    assert not hooks._lock.held


def test_garbled_mkdocs_jupyter_entries_are_dropped_before_the_build(cache_dir, monkeypatch):
    monkeypatch.setattr(hooks, "_lock", cache.BuildLock())
    folder = cache_dir / "mkdocs-jupyter"
    folder.mkdir(parents=True)
    (folder / "good.json").write_text('{"content": "<p>x</p>", "toc_tokens": [], "title": null}')
    (folder / "half.json").write_text('{"content": "<p>')
    jupyter = SimpleNamespace(config={"cache": True, "cache_dir": str(folder)})
    try:
        hooks.on_pre_build({"plugins": {"mkdocs-jupyter": jupyter}})
    finally:
        hooks._lock.release()
    assert sorted(p.name for p in folder.iterdir()) == ["good.json"]


# --------------------------------------------------------------------------------------------
# The notebook's outputs
# --------------------------------------------------------------------------------------------


def test_merge_streams_joins_consecutive_outputs_of_one_stream():
    import nbformat

    out = nbformat.v4.new_output
    cell = nbformat.v4.new_code_cell(
        "...",
        outputs=[
            out("stream", name="stdout", text="a\n"),
            out("stream", name="stdout", text=["b\n", "c\n"]),
            out("stream", name="stderr", text="warn\n"),
            out("stream", name="stdout", text="d\n"),
            out("execute_result", data={"text/plain": "1"}, execution_count=1),
            out("stream", name="stdout", text="e\n"),
            out("stream", name="stdout", text="f\n"),
        ],
    )
    nb = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_markdown_cell("text")])
    hooks.merge_streams(nb)
    assert [(o["output_type"], o.get("name"), o.get("text")) for o in nb.cells[0].outputs] == [
        ("stream", "stdout", "a\nb\nc\n"),
        ("stream", "stderr", "warn\n"),
        ("stream", "stdout", "d\n"),
        ("execute_result", None, None),
        ("stream", "stdout", "e\nf\n"),
    ]
    nbformat.validate(nb)


def test_prints_far_apart_in_time_make_one_output(cache_dir, tmp_path):
    """The kernel splits a cell's prints into several messages when they come >~0.2 s apart;
    the executed notebook must not show how loaded the machine was."""
    source = tmp_path / "timing.py"
    source.write_text("# %%\nimport time\nprint('first', flush=True)\ntime.sleep(0.6)\nprint('second')\n")
    path = hooks._notebook("k", source)
    nb = json.loads(path.read_text())
    outputs = nb["cells"][0]["outputs"]
    assert [o["output_type"] for o in outputs] == ["stream"], outputs
    assert "".join(outputs[0]["text"]) == "first\nsecond\n"
    # A half-written notebook in the cache is executed again, not handed to mkdocs-jupyter.
    path.write_text(path.read_text()[:50])
    again = hooks._notebook("k", source)
    assert json.loads(again.read_text())["cells"][0]["outputs"] == outputs


# --------------------------------------------------------------------------------------------
# Placeholders: errors name the file and line; code may keep its braces
# --------------------------------------------------------------------------------------------


@pytest.fixture
def chapter(tmp_path, monkeypatch):
    """Run a chapter's Markdown through on_page_markdown, as MkDocs would (front matter removed)."""
    monkeypatch.setattr(
        hooks,
        "_state",
        {
            "values": {"n_points": "100", "seed": "0"},
            "figure_meta": {"data": {"alt": "the data", "caption": "The data.", "width": 600}},
            "explorers": {},
            "index": mathml.EquationIndex(),
            "exercises": exercises.ExerciseIndex(),
            "math": {},
        },
    )

    def run(text: str, name: str = "chapter.md") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        body = text
        if text.startswith("---\n"):
            body = text[text.index("\n---\n", 4) + 5 :].lstrip("\n")
        page = SimpleNamespace(
            file=SimpleNamespace(src_uri=name, dest_uri=name.replace(".md", "/index.html"), abs_src_path=str(path)),
            meta={},
        )
        return hooks.on_page_markdown(body, page, {}, None)

    run.folder = tmp_path
    return run


@pytest.mark.parametrize(
    "placeholder, what",
    [
        ("{{ figure: nosuch }}", "figure 'nosuch' is not in book/figures.py"),
        ("{{ explorer: nosuch }}", "no explorer named 'nosuch'"),
        ("{{ nosuch }}", "no computed value named 'nosuch'"),
    ],
)
def test_an_unknown_placeholder_names_the_source_file_and_line(chapter, placeholder, what):
    from mkdocs.exceptions import PluginError

    text = (
        "---\ntitle: A chapter\n---\n\n# Heading\n\nSome prose, {{ n_points }} points.\n\nThen " + placeholder + ".\n"
    )
    with pytest.raises(PluginError) as error:
        chapter(text)
    message = str(error.value)
    assert message.startswith(f"{chapter.folder / 'chapter.md'}:9: "), message
    assert what in message and "\\{{" in message


def test_a_chapter_in_the_project_is_named_relative_to_it():
    page = SimpleNamespace(file=SimpleNamespace(src_uri="data.md", abs_src_path=str(ROOT / "docs" / "data.md")))
    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    assert hooks.source_location(page, text) == ("docs/data.md", 1)


def test_a_failing_executed_block_names_the_file_and_line(chapter, caplog):
    """markdown-exec reports a failing block as '<code block: n7>' unless it has an id."""
    import markdown
    from markdown_exec import formatter, validator

    text = (
        "# Heading\n\nProse.\n\n```python exec=\"on\"\nprint('fine')\n```\n\n"
        '!!! note\n\n    ```python exec="on" result="text"\n    x = 1\n    raise ValueError(\'boom\')\n    ```\n'
    )
    out = chapter(text)
    where = chapter.folder / "chapter.md"
    assert f'```python exec="on" id="{where}:5"' in out
    assert f'    ```python exec="on" result="text" id="{where}:11"' in out
    md = markdown.Markdown(
        extensions=["admonition", "pymdownx.superfences"],
        extension_configs={
            "pymdownx.superfences": {
                "custom_fences": [{"name": "python", "class": "python", "validator": validator, "format": formatter}]
            }
        },
    )
    with caplog.at_level(logging.WARNING):
        md.convert(out)
    failures = [r.getMessage() for r in caplog.records if "exited with errors" in r.getMessage()]
    assert len(failures) == 1, [r.getMessage() for r in caplog.records]
    assert f"'{where}:11'" in failures[0] and "boom" in failures[0]


def test_a_block_with_its_own_id_keeps_it_and_other_fences_are_untouched():
    text = (
        '```python exec="on" id="mine"\n1\n```\n\n````markdown\n```python exec="on"\n2\n```\n````\n'
        "\n~~~python\n3\n~~~\n"
    )
    assert hooks.name_executed_blocks(text, "c.md") == text


def test_an_escaped_placeholder_is_left_as_written_in_code_and_prose(chapter):
    text = (
        "Write `\\{{ name }}` in a chapter to get a number; here there are {{ n_points }}.\n\n"
        '```python\ntemplate = f"\\{{ seed }}"  # a literal placeholder\n'
        "X, y = make_blobs({{ n_points }}, seed={{ seed }})\n```\n"
    )
    out = chapter(text)
    assert "Write `{{ name }}` in a chapter" in out and "here there are 100." in out
    assert 'template = f"{{ seed }}"' in out
    assert "make_blobs(100, seed=0)" in out, "an executed listing no longer shows the book's numbers"


# --------------------------------------------------------------------------------------------
# A built page may show no TeX, no Markdown inside a formula and no internal equation label
# (erratum 12): the hook fails the build on each, planted here once
# --------------------------------------------------------------------------------------------


@pytest.fixture
def rendered(monkeypatch):
    """Run a page's HTML through on_page_content, as MkDocs would after Markdown, with the book's
    Part I chapters as the equation index (``api.md`` beside them)."""
    from book.hooks import _nav_paths

    index = mathml.EquationIndex()
    pages = [p for p in _nav_paths(hooks_config()["nav"]) if p.endswith(".md")]
    index.urls = {p: p.removesuffix(".md") + "/" for p in pages} | {"api.md": "api/"}
    for number, page in enumerate(pages):
        index.scan(number, page, index.urls[page], (ROOT / "docs" / page).read_text(encoding="utf-8"))
    monkeypatch.setattr(hooks, "_state", {"index": index, "math": {}})

    def run(content: str, src_uri: str = "api.md") -> str:
        hooks._state["math"][src_uri] = mathml.PageMath(src_uri)
        page = SimpleNamespace(file=SimpleNamespace(src_uri=src_uri))
        return hooks.on_page_content(content, page, {}, None)

    run.index = index
    return run


def hooks_config() -> dict:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)  # !!python/name: tags
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)


def test_the_gradcheck_docstring_renders_with_its_underbrace_labels_and_linked_equation(rendered):
    import markdown

    import logreg.gradcheck

    md = markdown.Markdown(extensions=[mathml.MathExtension()])
    out = rendered(md.convert(logreg.gradcheck.__doc__))
    assert out.count("<munder") >= 2 and "<mtext>truncation</mtext>" in out and "<mtext>rounding</mtext>" in out
    assert 'eq. <a class="eqref" href="../optimisation/#eq-fderr">(' in out
    assert "<code>fderr</code>" not in out and "$" not in out


def test_docstring_display_math_wraps_at_its_qquad_like_a_chapter():
    r"""A docstring's ``$$a = \dots, \qquad b = \dots$$`` becomes two formulas that wrap one
    under the other where the column is narrow (the API page's gradient was 701 px in 688)."""
    import markdown

    out = markdown.Markdown(extensions=[mathml.MathExtension()]).convert(
        r"$$\nabla_w E = X^\top(\sigma - y), \qquad \frac{\partial E}{\partial b} = \sum_n (\sigma_n - y_n)$$"
    )
    assert '<div class="equation-parts">' in out and out.count("<math") == 2, out


def test_docstring_latex_that_markdown_corrupted_fails_the_build(rendered):
    """Without the MathExtension, Markdown's emphasis eats the underbraces' ``}_{``: planted."""
    import markdown

    import logreg.gradcheck

    corrupted = markdown.Markdown().convert(logreg.gradcheck.__doc__)
    assert "<em>" in corrupted  # the corruption erratum 12 was about
    with pytest.raises(mathml.MathError, match="emphasis inside a formula"):
        rendered(corrupted)


@pytest.mark.parametrize(
    "content, what",
    [
        ("<p>The objective (book eq. <code>nosuch</code>).</p>", "a docstring cites equation label 'nosuch'"),
        (
            '<pre><code><span class="n">E</span> <span class="c1"># eq. nosuch</span></code></pre>',
            "a listing comment names equation label 'nosuch'",
        ),
        ("<p>that is <em>x</em> = 0.75$\\,x_1 +$ 1</p>", "TeX left as text"),
        ("<p>the rate \\lambda of the penalty</p>", "TeX left as text, '\\\\lambda'"),
        ("<p>$\\underbrace{a}<em>{b} + c</em>$</p>", "emphasis inside a formula"),
        (
            '<td><p>``{"filled": QuadContourSet,</p><p>"points": [...]}``.</p></td>',
            "a Markdown code marker left as text",
        ),
    ],
)
def test_a_planted_defect_on_a_page_fails_the_build(rendered, content, what):
    with pytest.raises(mathml.MathError) as error:
        rendered(f"<h1>A page</h1>\n{content}\n<p>More prose.</p>")
    assert str(error.value).startswith("api.md: ") and what in str(error.value), error.value


def test_labels_become_linked_numbers_and_clean_pages_pass(rendered):
    content = (
        "<p>Minimises the objective (book eq. <code>obj</code>); costs $5 or <em>more</em>.</p>"
        '<pre><code><span class="c1"># eq. loglik</span> <span class="s">"\\lambda $x_1$"</span></code></pre>'
        '<p><code>r"\\lambda"</code></p>'
    )
    out = rendered(content)
    assert '(eq. <a class="eqref" href="../regularisation/#eq-obj">(5.1)</a>)' in out
    assert '# eq. <a class="eqref" href="../likelihood/#eq-loglik">(4.1)</a></span>' in out


def test_a_pending_label_is_dropped_until_its_chapter_arrives_and_then_must_resolve(rendered, monkeypatch):
    from book import pagecheck

    label, chapter = "later", "later.md"  # a chapter not written yet, and a label it will define
    monkeypatch.setattr(pagecheck, "PENDING", {label: chapter})
    content = (
        f"<p>The activation (chapter <em>Later</em>, eq. <code>{label}</code>), and its "
        f"variance (eq. <code>{label}</code>).</p>"
    )
    assert rendered(content) == "<p>The activation (chapter <em>Later</em>), and its variance.</p>"
    rendered.index.urls[chapter] = chapter.removesuffix(".md") + "/"  # the chapter is written ...
    with pytest.raises(mathml.MathError, match=rf"which {chapter} was to define; it is in the book but"):
        rendered(content)  # ... but labels no such equation


def test_explorer_scripts_only_where_an_explorer_is():
    scripts = (
        '<script src="../assets/javascripts/explorers.js"></script>\n'
        '<script src="../assets/javascripts/book.js"></script>\n'
        '<script src="../assets/javascripts/explorer-predictive.js"></script>'
    )
    plain = hooks._scripts_where_used(f"<p>text</p>{scripts}")
    assert "explorer" not in plain and "book.js" in plain
    page = f'<div class="explorer" id="e" data-explorer="sigmoid"></div>{scripts}'
    assert hooks._scripts_where_used(page) == page
    with pytest.raises(hooks.PluginError, match=r"explorers\.js"):
        hooks._scripts_where_used("<p>no scripts at all</p>")
