"""The transform registry: named, pure, vectorised cell transforms.

A transform is declared as a per-value function and registered under a name;
:func:`apply_transform` vectorises it over a pandas Series, calling it once per
*distinct* value (ledger columns repeat heavily) and mapping the results back.
A transform never raises on any input: a value it cannot accept becomes a
per-row reason (the ``reason`` part of ``<column>.<transform>.<reason>``) and
a null result. Nulls pass through untouched, so a transform only ever sees a
real value.

Arguments are checked when the mapping is loaded, long before any file is
read: :func:`check_args` builds a pydantic model from the function's
keyword-only parameters, so an unknown or mistyped argument is a ConfigError
naming the key path.
"""

from __future__ import annotations

import difflib
import inspect
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ConfigDict, ValidationError, create_model

from mappings.dates import Reject, check_era_name, parse_date

__all__ = [
    "REGISTRY",
    "Reject",
    "Transform",
    "TransformResult",
    "apply_distinct",
    "apply_transform",
    "as_text",
    "check_args",
    "distinct_apply",
    "typed_factorize",
]


@dataclass(frozen=True)
class Transform:
    """A registered transform: its per-value function, reasons and documentation."""

    name: str
    func: Callable[..., Any]
    reasons: tuple[str, ...]
    summary: str


@dataclass(frozen=True)
class TransformResult:
    """Values (nulls where rejected) and reasons (``None`` where accepted)."""

    values: pd.Series
    reasons: pd.Series


REGISTRY: dict[str, Transform] = {}


def register(
    name: str, *, reasons: tuple[str, ...] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func(value, *, arg=…)`` as transform ``name``."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        summary = (inspect.getdoc(func) or "").split("\n\n")[0].replace("\n", " ")
        REGISTRY[name] = Transform(name, func, reasons, summary)
        return func

    return decorator


_ARG_MODELS: dict[str, type] = {}


def _arg_model(name: str) -> type:
    if name not in _ARG_MODELS:
        sig = inspect.signature(REGISTRY[name].func)
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
    extra = _EXTRA_CHECKS.get(name)
    if extra is not None:
        extra(checked)
    return checked


_NUMERIC = (bool, int, float, Decimal)


def typed_factorize(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Codes and distinct values of an object array, nulls coded -1, type-exact.

    ``pd.factorize`` (C speed) treats ``True``, ``1``, ``1.0`` and ``Decimal(1)``
    as one value, and a ``str`` subclass as its text; that is only safe while a
    column holds at most one numeric and one text type, which is the common
    case. Otherwise the values are keyed by (type, value) in Python.
    """
    types = set(map(type, values))
    numeric = sum(1 for t in types if issubclass(t, _NUMERIC))
    text = sum(1 for t in types if issubclass(t, str))
    if numeric <= 1 and text <= 1:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return np.asarray(codes, dtype=np.intp), list(uniques)
    index: dict[Any, int] = {}
    found: list[Any] = []
    codes = np.empty(len(values), dtype=np.intp)
    for position, value in enumerate(values):
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            codes[position] = -1
            continue
        key = (value.__class__, value)
        code = index.get(key)
        if code is None:
            code = index[key] = len(found)
            found.append(value)
        codes[position] = code
    return codes, found


def apply_distinct(
    codes: np.ndarray, uniques: list[Any], fn: Callable[[Any], Any], index: pd.Index
) -> TransformResult:
    """Run ``fn`` once per distinct value and spread the results over ``codes``.

    ``Reject`` becomes a reason; any other exception becomes the reason
    ``unexpected`` (a transform never raises on input). Code -1 (null) stays
    null with no reason.
    """
    values = np.empty(len(uniques) + 1, dtype=object)  # the last slot answers code -1
    reasons = np.empty(len(uniques) + 1, dtype=object)
    for position, value in enumerate(uniques):
        try:
            values[position] = fn(value)
        except Reject as rejection:
            reasons[position] = rejection.reason
        except Exception:  # never raise on input: a bug becomes a visible reason
            reasons[position] = "unexpected"
    return TransformResult(
        pd.Series(values[codes], index=index, dtype=object),
        pd.Series(reasons[codes], index=index, dtype=object),
    )


def distinct_apply(series: pd.Series, fn: Callable[[Any], Any]) -> TransformResult:
    """Run ``fn`` once per distinct non-null value of ``series`` (type-exact, see
    :func:`typed_factorize`, so ``True``, ``1`` and ``1.0`` never share a result)."""
    codes, uniques = typed_factorize(series.to_numpy(dtype=object))
    return apply_distinct(codes, uniques, fn, series.index)


def apply_transform(name: str, series: pd.Series, args: dict[str, Any]) -> TransformResult:
    """Vectorised application of a registered transform with checked ``args``."""
    func = REGISTRY[name].func
    return distinct_apply(series, lambda value: func(value, **args))


# --------------------------------------------------------------------- text

_CJK_COMPAT = re.compile(r"([\uF900-\uFAFF\U0002F800-\U0002FA1F]+)")
_HALFWIDTH_KANA = re.compile(r"[\uFF61-\uFF9F]+")
_NON_DIGITS = re.compile(r"[^0-9]+")
_STRIP_CHARS = " \t\r\n\u3000\u00a0\ufeff"


def as_text(value: Any) -> str:
    """A cell as text: integral floats lose their ``.0`` (Excel stores numbers as floats)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise Reject("not_text")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | Decimal):
        return str(value)
    raise Reject("not_text")


def nfkc_keep_kanji(text: str) -> str:
    """NFKC everywhere except CJK compatibility ideographs, which NFKC would
    rewrite into other code points (塚 U+FA10 → U+585A) and so change names."""
    if text.isascii():
        return text
    if _CJK_COMPAT.search(text) is None:
        return unicodedata.normalize("NFKC", text)
    parts = _CJK_COMPAT.split(text)
    return "".join(
        part if index % 2 else unicodedata.normalize("NFKC", part)
        for index, part in enumerate(parts)
    )


@register("strip")
def strip(value: Any) -> Any:
    """Remove leading and trailing spaces (including the full-width space U+3000);
    text left empty becomes null. Non-text cells pass unchanged."""
    if not isinstance(value, str):
        return value
    out = value.strip(_STRIP_CHARS)
    return out if out else None


@register("text", reasons=("not_text",))
def text(value: Any) -> str:
    """Turn a number cell into text as it was typed (``1234.0`` → ``"1234"``)."""
    return as_text(value)


@register("nfkc", reasons=("not_text",))
def nfkc(value: Any) -> str:
    """Unicode NFKC: full-width ASCII and digits to half-width, half-width kana to
    full-width — but CJK compatibility ideographs (塚 U+FA10, 﨑) are kept."""
    return nfkc_keep_kanji(as_text(value))


@register("katakana_fullwidth", reasons=("not_text",))
def katakana_fullwidth(value: Any) -> str:
    """Half-width katakana to full-width, voiced marks composed (ﾀﾞ → ダ);
    nothing else is touched."""
    return _HALFWIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), as_text(value))


@register("digits_only", reasons=("no_digits", "not_text"))
def digits_only(value: Any) -> str:
    """Keep only the digits (full-width digits count), e.g. ``０９０-１２３４`` → ``0901234``."""
    digits = _NON_DIGITS.sub("", unicodedata.normalize("NFKC", as_text(value)))
    if not digits:
        raise Reject("no_digits")
    return digits


@register("zero_pad", reasons=("too_long", "not_digits", "not_text"))
def zero_pad(value: Any, *, width: int) -> str:
    """Left-pad a digit string with zeros to ``width`` (longer ones are rejected)."""
    digits = as_text(value)
    if not digits.isascii() or not digits.isdigit():
        raise Reject("not_digits")
    if len(digits) > width:
        raise Reject("too_long")
    return digits.zfill(width)


@register("upper", reasons=("not_text",))
def upper(value: Any) -> str:
    """Upper-case letters (after nothing else; combine with ``nfkc`` for full-width)."""
    return as_text(value).upper()


# ------------------------------------------------------------------ numbers

_MINUS = "-\u2212\u2010\u2012\u2013\u2014\uff0d"
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$")


def _number(value: Any, *, yen: bool) -> Decimal:
    if isinstance(value, bool):
        raise Reject("not_a_number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Reject("not_a_number")
        return Decimal(repr(value)) if not value.is_integer() else Decimal(int(value))
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise Reject("not_a_number")
    text = unicodedata.normalize("NFKC", value)
    text = "".join(text.split())
    negative = False
    if yen:
        text = text.replace("¥", "").replace("\\", "").removesuffix("円")
        if text[:1] in ("△", "▲"):  # Japanese accounting minus
            negative, text = True, text[1:]
    if text[:1] in _MINUS:
        negative, text = not negative, text[1:]
    elif text[:1] == "+":
        text = text[1:]
    if _GROUPED.match(text):
        text = text.replace(",", "")
    elif not _PLAIN.match(text):
        raise Reject("not_a_number")
    number = Decimal(text)
    return -number if negative else number


@register("integer", reasons=("not_a_number", "not_integral"))
def integer(value: Any) -> int:
    """A whole number from a number cell or text: commas grouped by thousands,
    full-width digits, a leading sign; ``45,000`` → 45000."""
    number = _number(value, yen=False)
    if number != number.to_integral_value():
        raise Reject("not_integral")
    return int(number)


@register("yen", reasons=("not_a_number", "not_integral"))
def yen(value: Any) -> int:
    """A yen amount: like ``integer`` and also ``¥``/``￥``, a trailing ``円`` and
    the accounting minus ``△``/``▲`` (``△1,200円`` → -1200)."""
    number = _number(value, yen=True)
    if number != number.to_integral_value():
        raise Reject("not_integral")
    return int(number)


@register("decimal", reasons=("not_a_number", "too_precise"))
def decimal(value: Any, *, scale: int | None = None) -> Decimal:
    """A decimal number from a cell or text; with ``scale``, more decimal places
    than that are rejected rather than rounded."""
    number = _number(value, yen=False)
    if scale is not None:
        try:
            quantised = number.quantize(Decimal(1).scaleb(-scale))
        except InvalidOperation:
            raise Reject("too_precise") from None
        if quantised != number:
            raise Reject("too_precise")
        return quantised
    return number


# -------------------------------------------------------------------- codes


@register("code_map", reasons=("unmapped",))
def code_map(value: Any, *, codes: dict[str, str | int | bool]) -> Any:
    """Replace a legacy code by the new system's (``codes: {"1": 男性, "2": 女性}``);
    a value not listed is rejected. Matching is on the text after NFKC and strip."""
    key = nfkc_keep_kanji(as_text(value)).strip()
    if key not in codes:
        raise Reject("unmapped")
    return codes[key]


_TRUE = ("1", "true", "yes", "y", "はい", "有", "有り", "あり", "○", "〇", "◯", "済")
_FALSE = ("0", "false", "no", "n", "いいえ", "無", "無し", "なし", "×", "-", "未")


@register("boolean", reasons=("not_boolean",))
def boolean(
    value: Any,
    *,
    true: tuple[str, ...] = _TRUE,
    false: tuple[str, ...] = _FALSE,
) -> bool:
    """True/false from a boolean cell or the text a ledger uses (○/×, 有/無, 1/0)."""
    if isinstance(value, bool):
        return value
    key = nfkc_keep_kanji(as_text(value)).strip().lower()
    if key in true:
        return True
    if key in false:
        return False
    raise Reject("not_boolean")


# -------------------------------------------------------------------- dates


@register("date", reasons=("unparseable", "invalid", "out_of_era", "pre_gregorian", "partial"))
def date(
    value: Any,
    *,
    default_era: str | None = None,
    excel_serial: int | None = None,
    precision: str = "day",
    lenient_era: bool = False,
) -> Any:
    """A calendar date from an Excel date cell, a Japanese era date (平成22年10月7日,
    H22.10.7, 平22/10/7, 元年) or a Gregorian one (2010/10/7, 2010年10月7日, 20101007)."""
    return parse_date(
        value,
        default_era=default_era,
        excel_serial=excel_serial,
        precision=precision,
        lenient_era=lenient_era,
    )


def validate_date_args(args: dict[str, Any]) -> None:
    """Extra checks on ``date``'s arguments that a type alone cannot express."""
    if args.get("default_era") is not None:
        check_era_name(args["default_era"])
    if args.get("excel_serial") not in (None, 1900, 1904):
        raise ValueError("transform 'date' argument 'excel_serial' must be 1900 or 1904")
    if args.get("precision", "day") not in ("day", "month", "year"):
        raise ValueError("transform 'date' argument 'precision' must be day, month or year")


_EXTRA_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {"date": validate_date_args}
