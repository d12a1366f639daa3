"""Contact data: Japanese phone numbers (via ``phonenumbers``) and postal codes."""

from __future__ import annotations

import re
from typing import Any, Literal

import phonenumbers

from ikou.mappings.registry import Reject, register
from ikou.mappings.text import as_text, fold_width

__all__ = ["phone", "postal_code"]

__all__: list[str] = []

# What may stand between a phone number's digits: spaces, dashes, dots,
# parentheses (042(393)5111), and a leading + for an international number.
_PHONE_CHARS = re.compile(r"\+?[0-9\s\-\u2010-\u2015\u2212\u30fc().・/]+")
_NOT_DIGIT = re.compile(r"[^0-9]")


def _phone_digits(value: Any, restore_zero: bool) -> str:
    number_cell = isinstance(value, int | float) and not isinstance(value, bool)
    text = fold_width(as_text(value)).strip()
    if not _PHONE_CHARS.fullmatch(text):
        raise Reject("invalid")
    digits = _NOT_DIGIT.sub("", text)
    if text.startswith("+"):
        return "+" + digits
    if number_cell and restore_zero and not digits.startswith("0"):
        digits = "0" + digits  # a number cell cannot keep the trunk prefix 0
    if not digits.startswith("0"):  # phonenumbers would guess the 0; a ledger must not
        raise Reject("invalid")
    return digits


@register("phone", reasons=("invalid", "not_text"))
def phone(
    value: Any,
    *,
    format: Literal["national", "e164"] = "national",  # noqa: A002  (the YAML key)
    restore_zero: bool = False,
) -> str:
    """A Japanese phone number checked against the numbering plan and written
    with the hyphens its area code takes: ``０４２（３９３）５１１１`` →
    ``042-393-5111``. ``restore_zero: true`` puts back the leading 0 a number
    cell lost."""
    digits = _phone_digits(value, restore_zero)
    try:
        number = phonenumbers.parse(digits, "JP")
    except phonenumbers.NumberParseException:
        raise Reject("invalid") from None
    if not phonenumbers.is_valid_number(number):
        raise Reject("invalid")
    style = (
        phonenumbers.PhoneNumberFormat.E164
        if format == "e164"
        else phonenumbers.PhoneNumberFormat.NATIONAL
    )
    return phonenumbers.format_number(number, style)


_POSTAL = re.compile(r"(?:〒|〶)?\s*([0-9]{3})\s*[\-\u2010-\u2015\u2212\u30fc]?\s*([0-9]{4})")


@register("postal_code", reasons=("invalid", "not_text"))
def postal_code(value: Any) -> str:
    """A Japanese postal code as ``189-0014`` from ``〒189-0014``, ``1890014``,
    ``１８９－００１４``; a number cell that lost its leading zero (``600001``)
    gets it back."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = as_text(value)
        if not digits.isdigit() or len(digits) not in (6, 7):
            raise Reject("invalid")
        digits = digits.zfill(7)
        return f"{digits[:3]}-{digits[3:]}"
    match = _POSTAL.fullmatch(fold_width(as_text(value)).strip())
    if match is None:
        raise Reject("invalid")
    return f"{match[1]}-{match[2]}"
