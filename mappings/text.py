"""Text transforms: width, kana, hyphens, spaces, names and blank markers.

The rule that governs this module: **kanji are never normalised.** NFC and
NFKC both rewrite CJK compatibility ideographs (塚 U+FA10 becomes U+585A),
which changes the way a person's name is written. So width folding here is
a table over the characters it means to touch — full-width ASCII, the
ideographic space, half-width katakana — and everything else passes through
as the ledger had it (see docs/transforms.md for what NFKC would have broken).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from ikou.mappings.registry import Noted, Reject, register

__all__ = ["STRIP_CHARS", "as_text", "fold_width", "nfkc_keep_kanji", "squeeze_spaces"]

STRIP_CHARS = " \t\r\n\u3000\u00a0\ufeff"

_CJK_COMPAT = re.compile(r"([\uF900-\uFAFF\U0002F800-\U0002FA1F]+)")
_HALFWIDTH_KANA = re.compile(r"[\uFF61-\uFF9F]+")
_NON_DIGITS = re.compile(r"[^0-9]+")
_SPACE_RUN = re.compile(r"\s+")

# Full-width ASCII ！ (U+FF01) … ｝ (U+FF5D) to ASCII, and the ideographic space
# to a space. ～ (U+FF5E) is left: in CP932 files it *is* the wave dash 〜.
_WIDTH_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5E)} | {0x3000: 0x20}
_COMBINING_MARKS = re.compile(r"[\u3041-\u30ff]?[\u3099\u309a]")
_SPACING_MARKS = str.maketrans({"\u3099": "\u309b", "\u309a": "\u309c"})
_CIRCLED = re.compile(r"[\u2460-\u2473\u3251-\u325f\u32b1-\u32bf]")


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


def _compose_mark(match: re.Match[str]) -> str:
    """A kana and a combining voiced mark as one character (カ + ゙ → ガ); a mark
    that composes with nothing becomes the spacing ゛/゜."""
    pair = unicodedata.normalize("NFC", match.group())  # kana only: no kanji here
    return pair.translate(_SPACING_MARKS)


def _kana_fullwidth(text: str) -> str:
    text = _HALFWIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return (
        _COMBINING_MARKS.sub(_compose_mark, text)
        if "\u3099" in text or ("\u309a" in text)
        else text
    )


def fold_width(text: str, *, circled: bool = False) -> str:
    """Full-width ASCII and the ideographic space to half-width, half-width
    katakana to full-width with voiced marks composed; nothing else."""
    if text.isascii():
        return text
    text = _kana_fullwidth(text.translate(_WIDTH_TABLE))
    if circled:
        text = _CIRCLED.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return text


def squeeze_spaces(text: str, to: str = " ") -> str:
    """Every run of white space (the ideographic space too) as ``to``; ends stripped."""
    return _SPACE_RUN.sub(to, text).strip(STRIP_CHARS)


# ------------------------------------------------------------- the transforms


@register("strip")
def strip(value: Any) -> Any:
    """Remove leading and trailing spaces (including the full-width space U+3000);
    text left empty becomes null. Non-text cells pass unchanged."""
    if not isinstance(value, str):
        return value
    out = value.strip(STRIP_CHARS)
    return out if out else None


@register("text", reasons=("not_text",))
def text(value: Any) -> str:
    """Turn a number cell into text as it was typed (``1234.0`` → ``"1234"``)."""
    return as_text(value)


@register("width", reasons=("not_text",))
def width(value: Any, *, circled: bool = False) -> str:
    """Full-width letters, digits, punctuation and spaces to half-width; half-width
    katakana to full-width (ﾀﾞ → ダ). Kanji, 〜/～, ー and ① stay as they are
    (``circled: true`` folds ① → 1)."""
    return fold_width(as_text(value), circled=circled)


@register("nfkc", reasons=("not_text",))
def nfkc(value: Any) -> str:
    """Unicode NFKC, but keeping CJK compatibility ideographs (塚 U+FA10, 﨑).
    Prefer ``width``: NFKC also turns ① into 1, ㈱ into (株) and ～ into ~."""
    return nfkc_keep_kanji(as_text(value))


@register("katakana_fullwidth", reasons=("not_text",))
def katakana_fullwidth(value: Any) -> str:
    """Half-width katakana to full-width, voiced marks composed (ﾀﾞ → ダ);
    nothing else is touched."""
    return _kana_fullwidth(as_text(value))


_DIGIT = "0-9\uff10-\uff19"
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2500\u2501\ufe63\uff0d\uff70\u30fc"
_DASH_BETWEEN_DIGITS = re.compile(rf"(?<=[{_DIGIT}])[{_DASHES}](?=[{_DIGIT}])")


@register("hyphen", reasons=("not_text",))
def hyphen(value: Any) -> str:
    """Any dash between two digits as ``-`` (１－２－３, 1ー2ー3, 1―2 → 1-2-3 with
    ``width``); a ー between kana is the long-vowel mark and stays."""
    return _DASH_BETWEEN_DIGITS.sub("-", as_text(value))


_TO_KATAKANA = {code: code + 0x60 for code in range(0x3041, 0x3097)} | {
    0x309D: 0x30FD,
    0x309E: 0x30FE,
}
_TO_HIRAGANA = {kata: hira for hira, kata in _TO_KATAKANA.items()}
_KATAKANA_ONLY = re.compile(r"[\u30a1-\u30fa\u30fc-\u30fe\u30fb \u3000]*")
_HIRAGANA_ONLY = re.compile(r"[\u3041-\u3096\u309d\u309e\u30fc\u30fb \u3000]*")


@register("katakana", reasons=("not_kana", "not_text"))
def katakana(value: Any, *, strict: bool = False) -> str:
    """Hiragana to katakana (and half-width katakana to full-width) for furigana
    columns: やまだ → ヤマダ. ``strict: true`` rejects anything but kana, ー, ・
    and spaces."""
    out = _kana_fullwidth(as_text(value)).translate(_TO_KATAKANA)
    if strict and not _KATAKANA_ONLY.fullmatch(out):
        raise Reject("not_kana")
    return out


@register("hiragana", reasons=("not_kana", "not_text"))
def hiragana(value: Any, *, strict: bool = False) -> str:
    """Katakana (either width) to hiragana: ヤマダ → やまだ. ヷ–ヺ, which have no
    hiragana, stay. ``strict: true`` rejects anything but kana, ー, ・ and spaces."""
    out = _kana_fullwidth(as_text(value)).translate(_TO_HIRAGANA)
    if strict and not _HIRAGANA_ONLY.fullmatch(out):
        raise Reject("not_kana")
    return out


def _check_spaces(args: dict[str, Any]) -> None:
    if args["to"] not in (" ", "\u3000", ""):
        raise ValueError(
            "transform 'spaces' argument 'to' must be ' ', '\u3000' (full-width) or '' (none)"
        )


@register("spaces", reasons=("not_text",), check=_check_spaces)
def spaces(value: Any, *, to: str = " ") -> Any:
    """Every run of spaces, tabs, line breaks and full-width spaces as one space
    (or ``to``); ends stripped; text left empty becomes null."""
    out = squeeze_spaces(as_text(value), to)
    return out if out else None


_DIVIDABLE = re.compile(r"[\u3005\u3041-\u30ff\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]{2,}")


@lru_cache(maxsize=1)
def _divider() -> Any:
    """namedivider-python's statistical divider, loaded once. It reads the kanji
    statistics shipped inside the package (``namedivider/assets/kanji.csv``)
    and never the network; the GBDT divider, which downloads its model, is not used."""
    from namedivider import BasicNameDivider

    return BasicNameDivider()


@lru_cache(maxsize=65536)
def divide_name(full: str) -> tuple[str, str, float] | None:
    """Family name, given name and the divider's score for a name typed without
    a space (山田太郎 → 山田, 太郎), or ``None`` for text it cannot take (not
    kanji or kana, a single character)."""
    if not _DIVIDABLE.fullmatch(full):
        return None
    try:
        found = _divider().divide_name(full)
    except Exception:  # the divider's own limits (odd lengths, unknown characters)
        return None
    cut = len(found.family)  # the divider may read 髙 as 高: cut the name as typed
    if not found.family or not found.given or cut + len(found.given) != len(full):
        return None
    return full[:cut], full[cut:], float(found.score)


def _check_name(args: dict[str, Any]) -> None:
    if not 0 <= args["min_score"] <= 1:
        raise ValueError("transform 'name' argument 'min_score' must be between 0 and 1")


@register("name", reasons=("unsplit", "not_text"), notes=("unsplit", "divided"), check=_check_name)
def name(
    value: Any,
    *,
    part: Literal["family", "given"],
    required: bool = False,
    divide: bool = True,
    min_score: float = 0.3,
) -> Any:
    """One part of a full name split at its first space of any kind
    (``山田　太郎`` → 山田 / 太郎). With no space, a name in kanji or kana is
    divided by namedivider-python (山田太郎 → 山田 / 太郎), noted ``name.divided``,
    when its score reaches ``min_score``; otherwise (or with ``divide: false``)
    the whole goes to the family name, noted ``name.unsplit`` — rejected
    instead if ``required``."""
    full = as_text(value).strip(STRIP_CHARS)
    if not full:
        return None
    pieces = _SPACE_RUN.split(full, maxsplit=1)
    if len(pieces) == 2:
        return pieces[0] if part == "family" else pieces[1]
    found = divide_name(full) if divide else None
    if found is not None and found[2] >= min_score:
        return Noted(found[0] if part == "family" else found[1], "divided")
    if required:
        raise Reject("unsplit")
    return Noted(full if part == "family" else None, "unsplit")


def _check_blank(args: dict[str, Any]) -> None:
    if not args["values"]:
        raise ValueError("transform 'blank' argument 'values' must list at least one marker")


@register("blank", notes=("marker",), check=_check_blank)
def blank(value: Any, *, values: tuple[str, ...]) -> Any:
    """Values that mean "nothing here" (``－``, ``なし``, ``不明``…) as null, noted
    ``blank.marker`` so the report counts them apart from cells left empty.
    Compared after stripping spaces, width as listed."""
    if isinstance(value, str) and value.strip(STRIP_CHARS) in values:
        return Noted(None, "marker")
    return value


@register("digits_only", reasons=("no_digits", "not_text"))
def digits_only(value: Any) -> str:
    """Keep only the digits (full-width digits count), e.g. ``０９０-１２３４`` → ``0901234``."""
    digits = _NON_DIGITS.sub("", fold_width(as_text(value)))
    if not digits:
        raise Reject("no_digits")
    return digits


@register("zero_pad", reasons=("too_long", "not_digits", "not_text"))
def zero_pad(value: Any, *, width: int) -> str:
    """Left-pad a digit string with zeros to ``width`` (longer ones are rejected);
    a number cell ``103.0`` becomes ``000103``."""
    digits = as_text(value)
    if not digits.isascii() or not digits.isdigit():
        raise Reject("not_digits")
    if len(digits) > width:
        raise Reject("too_long")
    return digits.zfill(width)


@register("upper", reasons=("not_text",))
def upper(value: Any) -> str:
    """Upper-case letters (after nothing else; combine with ``width`` for full-width)."""
    return as_text(value).upper()
