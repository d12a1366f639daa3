"""Strict YAML loading for plans, mappings and contracts.

Two things a careful reviewer expects and plain ``yaml.safe_load`` does not
give: a key written twice is an error (YAML silently keeps the last one), and
a schema failure names the file and the key path, as in
``mapping.yaml: tables.tenants.columns.rent.transforms[1]: unknown key 'widht'``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from ikou.errors import ConfigError

__all__ = ["Names", "Strict", "key_path", "load_model", "read_yaml"]

M = TypeVar("M", bound=BaseModel)

Names = Annotated[
    tuple[str, ...], BeforeValidator(lambda value: (value,) if isinstance(value, str) else value)
]
"""One name or a list of names (``key: tenant_id`` or ``key: [ward, number]``)."""


class Strict(BaseModel):
    """A model of a plan, mapping or contract: unknown keys are errors, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is written twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, what: str) -> Any:
    """Parse ``path`` as YAML; any problem is a :class:`ConfigError` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} file {path} does not exist.", file=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"{what} file {path} is not UTF-8 text; save it as UTF-8.", file=str(path)
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read {what} file {path}: {exc.strerror}.", file=str(path)
        ) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{path}{where}: {problem}.", file=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a {what} file must be a YAML mapping of keys.", file=str(path))
    return data


def key_path(loc: tuple[Any, ...]) -> str:
    """``('tables', 'tenants', 'columns', 'rent', 'transforms', 1)`` → dotted path."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not out:
            out = str(part)
        else:
            out += f".{part}"
    return out or "(top level)"


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = error["type"]
    if kind == "extra_forbidden":
        return key_path(loc[:-1]), f"unknown key {loc[-1]!r}"
    if kind == "missing":
        return key_path(loc[:-1]), f"missing required key {loc[-1]!r}"
    message = error["msg"]
    message = message.removeprefix("Value error, ")
    where = key_path(loc)
    index = re.match(r"^(\[\d+\]): ", message)
    if index:  # a list validator named the item: fold it into the key path
        where += index.group(1)
        message = message[index.end() :]
    return where, message[:1].lower() + message[1:]


def load_model(path: Path, model: type[M], what: str, data: Any | None = None) -> M:
    """Read ``path`` and build ``model`` from it, or raise a precise ConfigError."""
    raw = read_yaml(path, what) if data is None else data
    try:
        return model.model_validate(raw, context={"folder": path.parent})
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where, message = _describe(first)
        more = exc.error_count() - 1
        tail = f" ({more} more problem(s) after this one)" if more else ""
        raise ConfigError(f"{path}: {where}: {message}{tail}.", file=str(path), key=where) from None
