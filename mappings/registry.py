"""The transform registry: what a transform is, and how its arguments are checked.

A transform is a pure per-value function ``func(value, *, arg=…)`` registered
under a name. It returns the canonical value, ``None`` for "no value", a
:class:`Noted` value (accepted, but the report counts it), or raises
:class:`Reject` with a stable reason. :mod:`mappings.transforms` vectorises
them; the modules that define them (:mod:`mappings.text`,
:mod:`mappings.numbers`, :mod:`mappings.dates`, :mod:`mappings.contact`,
:mod:`mappings.lookup`) only register.

Arguments are checked when the mapping is loaded, long before any file is
read: :func:`check_args` builds a pydantic model from the function's
keyword-only parameters, so an unknown or mistyped argument is a ConfigError
naming the key path. A transform that needs more than its arguments — a
lookup table in the mapping's folder — declares a *binder* that turns the
checked arguments into what the function receives, and names the files it
read so that the plan's hash covers them.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ConfigDict, ValidationError, create_model

__all__ = [
    "REGISTRY",
    "Bound",
    "Noted",
    "Reject",
    "Transform",
    "bind_args",
    "check_args",
    "register",
    "slug_part",
]


class Reject(Exception):
    """A value this transform cannot accept; ``reason`` is a stable slug part.

    A plain reason (``invalid``) is reported under the transform's name
    (``<column>.date.invalid``); a dotted one (``wareki.out_of_era``) names its
    own group (``<column>.wareki.out_of_era``).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Noted(NamedTuple):
    """A value accepted with a note: the row is loaded and the note counted in
    the report (``reason`` is named like :class:`Reject`'s)."""

    value: Any
    reason: str


@dataclass(frozen=True)
class Bound:
    """A transform ready to run on one value, and the files its arguments were
    read from (path → SHA-256)."""

    func: Callable[[Any], Any]
    files: dict[str, str] = field(default_factory=dict)


Checker = Callable[[dict[str, Any]], None]
Binder = Callable[[dict[str, Any], Path], Bound]


@dataclass(frozen=True)
class Transform:
    """A registered transform: its per-value function, reasons and documentation.

    ``reasons`` are rejections, ``notes`` are values accepted but counted;
    both are slug parts (see :func:`slug_part`).
    """

    name: str
    func: Callable[..., Any]
    reasons: tuple[str, ...]
    notes: tuple[str, ...]
    summary: str
    check: Checker | None
    bind: Binder | None


REGISTRY: dict[str, Transform] = {}


def register(
    name: str,
    *,
    reasons: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
    check: Checker | None = None,
    bind: Binder | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func(value, *, arg=…)`` as transform ``name``."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        summary = (inspect.getdoc(func) or "").split("\n\n")[0].replace("\n", " ")
        REGISTRY[name] = Transform(name, func, reasons, notes, summary, check, bind)
        return func

    return decorator


def slug_part(transform: str, reason: str) -> str:
    """The finding slug after ``<column>.``: ``date`` + ``invalid`` →
    ``date.invalid``; a dotted reason names its own group (``wareki.out_of_era``)."""
    return reason if "." in reason else f"{transform}.{reason}"


_ARG_MODELS: dict[str, type] = {}


def _arg_model(name: str) -> type:
    if name not in _ARG_MODELS:
        sig = inspect.signature(REGISTRY[name].func, eval_str=True)
        fields: dict[str, Any] = {}
        for param in list(sig.parameters.values())[1:]:
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[param.name] = (param.annotation, default)
        _ARG_MODELS[name] = create_model(
            f"{name}_args",
            __config__=ConfigDict(extra="forbid", strict=False),
            **fields,
        )
    return _ARG_MODELS[name]


def check_args(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Validate ``args`` for transform ``name``; raise ValueError naming the problem."""
    if name not in REGISTRY:
        close = difflib.get_close_matches(name, list(REGISTRY), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"unknown transform {name!r} ({hint}known: {known})")
    try:
        model = _arg_model(name).model_validate(args)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        first = sorted(errors, key=lambda e: e["type"] != "extra_forbidden")[0]
        arg = ".".join(str(p) for p in first["loc"]) or "(arguments)"
        if first["type"] == "extra_forbidden":
            known = list(inspect.signature(REGISTRY[name].func).parameters)[1:]
            close = difflib.get_close_matches(arg, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"transform {name!r} has no argument {arg!r}{hint}") from None
        if first["type"] == "missing":
            raise ValueError(f"transform {name!r} needs argument {arg!r}") from None
        msg = first["msg"].removeprefix("Value error, ")
        raise ValueError(f"transform {name!r} argument {arg!r}: {msg}") from None
    checked = model.model_dump()
    check = REGISTRY[name].check
    if check is not None:
        check(checked)
    return checked


def bind_args(name: str, checked: dict[str, Any], folder: Path) -> Bound:
    """Transform ``name`` with its checked arguments, ready to run; ``folder`` is
    the mapping file's, where a binder finds its files (raises ValueError for a
    missing or bad file)."""
    transform = REGISTRY[name]
    if transform.bind is not None:
        return transform.bind(checked, folder)
    return Bound(partial(transform.func, **checked))
