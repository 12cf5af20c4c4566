"""The build's toolchain stays inside the versions it was tested with (issue 15).

MkDocs 2.0 drops plugins and hooks and Material for MkDocs is in maintenance mode, so
``pyproject.toml`` bounds both from above; the pinned set in ``requirements.lock`` must satisfy
those bounds, and ``book/README.md`` says what would move if the engine changed.
"""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.version import Version

from tests.book._site import ROOT

DOCS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]["docs"]
LOCK = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)", (ROOT / "requirements.lock").read_text(), re.M))


def requirement(name: str) -> Requirement:
    [req] = [Requirement(r) for r in DOCS if Requirement(r).name == name]
    return req


def test_engine_and_theme_have_upper_bounds_the_lock_satisfies():
    for name, below in (("mkdocs", "2"), ("mkdocs-material", "10")):
        req = requirement(name)
        uppers = [s for s in req.specifier if s.operator in ("<", "<=", "~=")]
        assert uppers, f"{name} has no upper bound in pyproject.toml: {req}"
        assert not req.specifier.contains(below), f"{name} would accept {below}: {req}"
        locked = LOCK.get(name)
        assert locked, f"{name} is not pinned in requirements.lock"
        assert req.specifier.contains(Version(locked)), f"requirements.lock pins {name}=={locked} outside {req}"


def test_book_readme_names_every_hook_the_build_uses():
    readme = (ROOT / "book" / "README.md").read_text(encoding="utf-8")
    hooks = (ROOT / "book" / "hooks.py").read_text(encoding="utf-8")
    used = set(re.findall(r"^def (on_\w+)\(", hooks, re.M))
    assert used, "book/hooks.py defines no hook"
    missing = sorted(h for h in used if f"`{h}`" not in readme)
    assert not missing, f"book/README.md does not name the hooks {missing}"
    for module in sorted(p.name for p in (ROOT / "book").glob("*.py") if p.name != "__init__.py"):
        assert f"`{module}`" in readme, f"book/README.md does not say what {module} depends on"
