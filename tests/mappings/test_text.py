"""Text: width without NFKC's traps, kanji untouched, hyphens, kana, names, blanks."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.mappings.support import notes, one, reason, run

KANJI_AS_WRITTEN = ["髙橋", "山﨑", "\ufa10本", "𠮷野", "①", "渡邊", "齋藤"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),
        ("ａｂｃ！＃＄％＆（）", "abc!#$%&()"),
        ("山田\u3000太郎", "山田 太郎"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),
        ("ﾊﾟｰｸﾊｲﾂ", "パークハイツ"),
        ("ｳﾞｨﾗ", "ヴィラ"),
        ("ｶﾞ", "ガ"),
        ("ｶ\uff9e", "ガ"),
        ("カ\u3099", "ガ"),  # decomposed kana (from macOS) composed
        ("ｱﾞ", "ア゛"),  # a mark that composes with nothing stays visible
        ("｢ｱ｣､｡･", "「ア」、。・"),
        ("１－２－３", "1-2-3"),
        ("10時〜12時", "10時〜12時"),  # wave dash kept
        ("10時～12時", "10時～12時"),  # CP932's wave dash (U+FF5E) kept, not ~
        ("コーポ", "コーポ"),
        ("①", "①"),
        ("㈱", "㈱"),
        ("㍻", "㍻"),
    ],
)
def test_width(text: str, expected: str) -> None:
    assert one("width", text) == expected


def test_kanji_are_never_normalised() -> None:
    for name in ("width", "hyphen", "spaces", "strip", "nfkc"):
        values, _ = run(name, KANJI_AS_WRITTEN[:4] + KANJI_AS_WRITTEN[5:])
        assert values == KANJI_AS_WRITTEN[:4] + KANJI_AS_WRITTEN[5:], name
    assert one("width", "①") == "①"
    assert unicodedata.normalize("NFKC", "\ufa10") != "\ufa10"  # the trap being avoided


def test_circled_digits_fold_only_when_asked() -> None:
    assert one("width", "①②⑳", circled=True) == "1220"
    assert one("width", "①②⑳") == "①②⑳"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1－2－3", "1-2-3"),
        ("１－２－３", "１-２-３"),  # digits are `width`'s job
        ("1ー2ー3", "1-2-3"),
        ("1ｰ2", "1-2"),
        ("1―2", "1-2"),
        ("1‐2", "1-2"),
        ("1−2", "1-2"),
        ("1–2—3", "1-2-3"),
        ("コーポ1ー2", "コーポ1-2"),
        ("ハイツー", "ハイツー"),
        ("ー1", "ー1"),
        ("1ーA", "1ーA"),
    ],
)
def test_hyphen(text: str, expected: str) -> None:
    assert one("hyphen", text) == expected


def test_kana() -> None:
    assert one("katakana", "やまだ たろう") == "ヤマダ タロウ"
    assert one("katakana", "ﾔﾏﾀﾞ") == "ヤマダ"
    assert one("katakana", "ゔぁいおりん") == "ヴァイオリン"
    assert one("katakana", "さゝき") == "サヽキ"
    assert one("katakana", "山田") == "山田"
    assert reason("katakana", "山田", strict=True) == "katakana.not_kana"
    assert one("katakana", "ヤマダ　タロウ・ジュニア", strict=True) == "ヤマダ　タロウ・ジュニア"
    assert one("hiragana", "ヤマダ") == "やまだ"
    assert one("hiragana", "ｶﾞｯｺｳ") == "がっこう"
    assert one("hiragana", "ヴ") == "ゔ"
    assert one("hiragana", "ヷ") == "ヷ"  # no hiragana for it
    assert one("hiragana", "ラーメン") == "らーめん"
    assert reason("hiragana", "ラーメン屋", strict=True) == "hiragana.not_kana"


def test_spaces() -> None:
    assert run("spaces", [" a\u3000 b\tc ", "\u3000", "山田\u3000\u3000太郎"])[0] == [
        "a b c",
        None,
        "山田 太郎",
    ]
    assert one("spaces", "山田 太郎", to="\u3000") == "山田\u3000太郎"
    assert one("spaces", "1 2 3", to="") == "123"


def test_name_split() -> None:
    full = ["山田\u3000太郎", "山田 太郎", "山田\t太郎", "  山田  太郎 ", "山田太郎", None]
    assert run("name", full, part="family", divide=False) == (
        ["山田", "山田", "山田", "山田", "山田太郎", None],
        [None] * 6,
    )
    assert run("name", full, part="given", divide=False)[0] == ["太郎"] * 4 + [None, None]
    assert notes("name", full, part="family", divide=False) == [None] * 4 + ["name.unsplit", None]
    assert reason("name", "山田太郎", part="family", required=True, divide=False) == (
        "name.unsplit"
    )
    assert one("name", "マイケル ジョン スミス", part="given") == "ジョン スミス"


def test_unspaced_names_are_divided_by_the_model_above_its_score() -> None:
    names = ["山田太郎", "佐々木小次郎", "中村あゆみ", "やまだたろう", "John", "山", None]
    assert run("name", names, part="family")[0] == [
        "山田", "佐々木", "中村", "やまだたろう", "John", "山", None,
    ]  # fmt: skip
    assert run("name", names, part="given")[0] == [
        "太郎",
        "小次郎",
        "あゆみ",
        None,
        None,
        None,
        None,
    ]
    assert notes("name", names, part="given") == ["name.divided"] * 3 + ["name.unsplit"] * 3 + [
        None
    ]
    # above the default score but below a stricter one: kept whole, or rejected
    assert one("name", "山田太郎", part="family", min_score=0.5) == "山田太郎"
    assert reason("name", "山田太郎", part="given", min_score=0.5, required=True) == (
        "name.unsplit"
    )
    assert one("name", "髙橋一郎", part="family") == "髙橋"  # cut as typed, never normalised


def test_the_name_model_loads_from_the_package_without_a_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """namedivider's statistical divider reads only the kanji table shipped in its
    wheel; a socket opened while it loads fails the test."""
    import socket
    from pathlib import Path

    import namedivider

    from ikou.mappings import text

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the name model reached for the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    text._divider.cache_clear()
    text.divide_name.cache_clear()
    assert text.divide_name("鈴木花子") == ("鈴木", "花子", pytest.approx(0.4688, abs=1e-3))
    assert (Path(namedivider.__file__).parent / "assets" / "kanji.csv").is_file()


def test_blank_markers() -> None:
    markers = ["－", "-", "なし", "不明", "＊"]
    values = ["なし", " 不明 ", "＊", "-", "", "なしです", "山田", None]
    assert run("blank", values, values=markers)[0] == [
        None,
        None,
        None,
        None,
        "",
        "なしです",
        "山田",
        None,
    ]
    assert notes("blank", values, values=markers) == ["blank.marker"] * 4 + [None] * 4


def test_strip_digits_zero_pad_text() -> None:
    assert run("strip", ["\u3000山田 太郎 ", "   "])[0] == ["山田 太郎", None]
    assert run("digits_only", ["０９０-１２３４-５６７８", "なし"]) == (
        ["09012345678", None],
        [None, "digits_only.no_digits"],
    )
    assert run("zero_pad", ["123", 103.0, "1234567"], width=6) == (
        ["000123", "000103", None],
        [None, None, "zero_pad.too_long"],
    )
    assert run("text", [123.0, 1.5])[0] == ["123", "1.5"]
    assert one("katakana_fullwidth", "ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ タロウ"
    assert one("upper", "abc") == "ABC"


def test_nfkc_keeps_compatibility_ideographs() -> None:
    assert one("nfkc", "\ufa10田") == "\ufa10田"
    assert one("nfkc", "ＡＢＣ①") == "ABC1"  # what `width` would not do


_SAMPLE = "ｱｲｳｶｷﾀﾞﾊﾟﾞﾟｰ･｢｣ＡＢ１２－ー―‐−～〜①㈱\u3000 \tあいうがぱアイウガパヴゝヽ山田髙﨑𠮷"
japanese_text = st.text(
    alphabet=st.sampled_from([*_SAMPLE, "\ufa10", "\u3099", "\u309a", "-", "1", "a"]),
    max_size=20,
)
IDEMPOTENT = [
    ("width", {}),
    ("width", {"circled": True}),
    ("hyphen", {}),
    ("katakana", {}),
    ("hiragana", {}),
    ("katakana_fullwidth", {}),
    ("spaces", {}),
    ("strip", {}),
    ("nfkc", {}),
    ("digits_only", {}),
    ("upper", {}),
]


@pytest.mark.parametrize(("name", "args"), IDEMPOTENT, ids=[f"{n}{a}" for n, a in IDEMPOTENT])
@given(text=st.one_of(japanese_text, st.text(max_size=20)))
def test_normalisers_are_idempotent(name: str, args: dict[str, object], text: str) -> None:
    once, reasons = run(name, [text], **args)
    if reasons != [None] or once == [None]:
        return
    assert run(name, once, **args)[0] == once


@given(text=japanese_text)
def test_width_touches_no_kanji(text: str) -> None:
    out = one("width", text)
    kanji = [c for c in text if unicodedata.name(c, "").startswith("CJK")]
    assert [c for c in str(out) if unicodedata.name(c, "").startswith("CJK")] == kanji
