"""The layout a newcomer can read: one import name, imports one way, small modules.

DESIGN.md: ``pipeline`` may import the other three; ``validation`` may import
``mappings``; ``audit`` imports none of them; every part may import the root
package (the exception tree, the finding catalog); nothing imports the
command line but ``python -m ikou``. The wheel installs exactly one top-level
name, ``ikou``, and lists every subpackage.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PARTS = ("pipeline", "validation", "mappings", "audit")
MAY_IMPORT = {
    "pipeline": {"pipeline", "validation", "mappings", "audit"},
    "validation": {"validation", "mappings"},
    "mappings": {"mappings"},
    "audit": {"audit"},
    "ikou": set(),  # the root: the version, the exception tree, the finding catalog
}
ENTRY = Path("ikou/__main__.py")  # python -m ikou: the one door into the CLI
LINES = 500
REASON = "Longer than 500 lines"


def _modules() -> list[tuple[str, Path]]:
    found = [("ikou", p) for p in sorted((REPO / "ikou").glob("*.py"))]
    for part in PARTS:
        found += [(part, p) for p in sorted((REPO / part).rglob("*.py"))]
    return found


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module an import names, at any depth (lazy imports too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


@pytest.mark.parametrize(("part", "path"), _modules(), ids=lambda v: str(v))
def test_imports_run_one_way(part: str, path: Path) -> None:
    where = path.relative_to(REPO)
    for line, name in _imports(path):
        top, *rest = name.split(".")
        assert top not in PARTS, f"{where}:{line}: import {name} (write ikou.{name})"
        if top != "ikou" or not rest:
            continue
        if rest[0] in PARTS and where != ENTRY:
            assert rest[0] in MAY_IMPORT[part], f"{where}:{line}: {part} may not import {name}"
        is_cli = name.startswith("ikou.pipeline.cli")
        inside_cli = where.parts[:2] == ("pipeline", "cli") or where == ENTRY
        assert not is_cli or inside_cli, f"{where}:{line}: only python -m ikou imports the CLI"


@pytest.mark.parametrize(("part", "path"), _modules(), ids=lambda v: str(v))
def test_modules_are_small_or_say_why(part: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if text.count("\n") > LINES:
        doc = ast.get_docstring(ast.parse(text)) or ""
        assert REASON in doc, f"{path.relative_to(REPO)} is over {LINES} lines with no reason"


def test_the_wheel_lists_every_package_under_one_name() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    mapped = config["tool"]["setuptools"]["package-dir"]
    assert {name.split(".")[0] for name in listed} == {"ikou"}
    on_disk = {"ikou"}
    for part in PARTS:
        assert mapped[f"ikou.{part}"] == part
        for init in (REPO / part).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO).parts
            on_disk.add(".".join(("ikou", *relative)))
    assert listed == on_disk


def test_the_chain_verifier_stays_one_stdlib_module() -> None:
    import sys

    for _, name in _imports(REPO / "audit" / "chain.py"):
        assert name.split(".")[0] in sys.stdlib_module_names | {"__future__"}, name
