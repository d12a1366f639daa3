"""Number transforms: integers, yen amounts and decimals as ledgers write them.

Text in a numeric cell is rejected, never read as zero. Accepted: digits of
either width, thousands grouped by ``,`` or ``，``, and negatives written
``-``/``−``, ``▲``/``△`` (the accounting minus) or in parentheses.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ikou.mappings.registry import Reject, register
from ikou.mappings.text import fold_width

__all__ = ["parse_number"]

_MINUS = "-\u2212\u2010\u2012\u2013\u2014"
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$")
_BLANKS = re.compile(r"\s+")


def parse_number(value: Any, *, yen: bool = False) -> Decimal:
    """A number cell or numeric text as an exact Decimal, or :class:`Reject`
    ``not_a_number``. With ``yen``, also ``¥``/``￥``/``\\`` and a trailing ``円``."""
    if isinstance(value, bool):
        raise Reject("not_a_number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Reject("not_a_number")
        return Decimal(repr(value)) if not value.is_integer() else Decimal(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise Reject("not_a_number")
        return value
    if not isinstance(value, str):
        raise Reject("not_a_number")
    text = _BLANKS.sub("", fold_width(value))
    negative = False
    if text[:1] == "(" and text[-1:] == ")":
        negative, text = True, text[1:-1]
    if yen:
        text = text.replace("¥", "").replace("￥", "").replace("\\", "").removesuffix("円")
    if text[:1] in ("△", "▲"):
        negative, text = not negative, text[1:]
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


def _whole(number: Decimal) -> int:
    if number != number.to_integral_value():
        raise Reject("not_integral")
    return int(number)


@register("integer", reasons=("not_a_number", "not_integral"))
def integer(value: Any) -> int:
    """A whole number from a number cell or text: ``45,000``, ``４５，０００``,
    ``-3``, ``▲3``, ``(3)``."""
    return _whole(parse_number(value))


@register("yen", reasons=("not_a_number", "not_integral"))
def yen(value: Any) -> int:
    """A yen amount: like ``integer`` and also ``¥``/``￥``, a trailing ``円``
    (``△1,200円`` → -1200)."""
    return _whole(parse_number(value, yen=True))


@register("decimal", reasons=("not_a_number", "too_precise"))
def decimal(value: Any, *, scale: int | None = None) -> Decimal:
    """A decimal number from a cell or text; with ``scale``, more decimal places
    than that are rejected rather than rounded."""
    number = parse_number(value)
    if scale is None:
        return number
    try:
        quantised = number.quantize(Decimal(1).scaleb(-scale))
    except InvalidOperation:
        raise Reject("too_precise") from None
    if quantised != number:
        raise Reject("too_precise")
    return quantised
