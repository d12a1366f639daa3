"""The native Word 97-2003 table reader (doc97): corpus files, a LibreOffice-made
.doc of synthetic Japanese data, and damaged copies."""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
from pathlib import Path

import olefile
import pytest

from ikou.errors import EncryptedFileError, UnreadableFileError
from ikou.pipeline.stages.extract.doc97 import read_doc_tables
from tests.conftest import corpus_file


def _read(name: str) -> list[list[list[str]]]:
    path = corpus_file(f"doc/{name}")
    return read_doc_tables(path.read_bytes(), path.name)


def test_simple_tables() -> None:
    assert _read("poi__simple-table.doc") == [
        [["Cell 1,1", "Cell 1,2", "Cell 1,3"], ["Cell 2,1", "Cell 2,2", "Cell 2,3"]]
    ]
    assert _read("poi__simple-table2.doc") == [
        [[f"Row {r}/Cell {c}" for c in (1, 2, 3)] for r in (1, 2, 3)]
    ]


def test_merged_cells_repeat_like_python_docx() -> None:
    # What LibreOffice 7.4 → .docx → python-docx gives for this file, computed once.
    assert _read("poi__table-merges.doc") == [
        [
            ["A", "A", "A", "B", "B"],
            ["C", "D", "E", "E", "F"],
            ["", "G", "H", "H", "I\nJ"],
            ["K", "K", "K", "K", "K"],
        ]
    ]


def test_cyrillic_text() -> None:
    tables = _read("poi__Bug33519.doc")
    assert [(len(t), len(t[0])) for t in tables] == [(21, 5), (5, 5), (3, 5)]
    assert tables[0][1] == ["Янтра", "8,9,10 април", "Каранци", " Кривина", "40 лв."]
    assert tables[1][0] == ["планина", "дати", "начална точка", "крайна точка", "цена"]


def test_nested_table_becomes_text_of_its_cell() -> None:
    assert _read("poi__innertable.doc") == [
        [["A", "B", "C"], ["D", "E\n1\t2\n3\t4\nF", "G"], ["H", "I", "J"]]
    ]


def test_seven_empty_columns() -> None:
    assert _read("poi__57603-seven_columns.doc") == [[[""] * 7]]


def test_tap_with_odd_cells() -> None:
    tables = _read("poi__AIOOB-Tap.doc")
    assert [(len(t), len(t[0])) for t in tables] == [
        (5, 4),
        (3, 3),
        (15, 3),
        (7, 4),
        (4, 5),
        (40, 3),
    ]
    assert tables[0][0] == [
        "Versie\nnummer",
        "Datum",
        "Omschrijving wijziging (incl verwijzing naar CR)",
        "Wie",
    ]
    assert tables[0][1] == ["2.0", "09-07-07", "", "RvH"]


def test_large_document() -> None:
    tables = _read("poi__ProblemExtracting.doc")
    assert len(tables) == 30
    assert sum(len(t) for t in tables) == 554
    assert all(len({len(row) for row in t}) == 1 for t in tables)  # every table rectangular
    assert tables[3][0] == [
        "",
        "A. Gebühren des Deutschen Patent- und Markenamts",
        "A. Gebühren des Deutschen Patent- und Markenamts",
    ]


def test_tracked_deletions_are_left_out() -> None:
    tables = _read("poi__53446.doc")
    assert tables[0][1] == ["January", "11,485", "13,444", "37,071", "62,000"]
    # revised table: deleted "13,444" gone, inserted "30,000" kept
    assert tables[1][1] == ["January", "11,485", "30,000", "30,515", "72,000"]


@pytest.mark.parametrize("name", ["poi__Word6.doc", "poi__Word95.doc"])
def test_word6_and_95_are_refused(name: str) -> None:
    with pytest.raises(UnreadableFileError, match=r"Word 6\.0/95 document.*\.docx"):
        _read(name)


def test_not_ole_is_refused() -> None:
    with pytest.raises(UnreadableFileError, match="not an OLE2 compound file"):
        _read("poi__word2.doc")


@pytest.mark.parametrize(
    "name",
    [
        "msoffcrypto__rc4cryptoapi_password.doc",
        "poi__PasswordProtected.doc",
        "poi__password_password_cryptoapi.doc",
        "poi__password_tika_binaryrc4.doc",
    ],
)
def test_encrypted_is_refused(name: str) -> None:
    path = corpus_file(f"encrypted/{name}")
    with pytest.raises(EncryptedFileError, match="password-protected"):
        read_doc_tables(path.read_bytes(), path.name)


def test_decrypted_msoffcrypto_sample_reads() -> None:
    # msoffcrypto's *_plain.doc is the decrypted twin of an encrypted sample
    assert _read("msoffcrypto__rc4cryptoapi_password_plain.doc") == []


def test_every_corpus_doc_reads_or_is_refused() -> None:
    folder = corpus_file("doc")
    files = sorted(folder.iterdir())
    assert len(files) >= 40
    outcomes: dict[str, str] = {}
    for path in files:
        try:
            tables = read_doc_tables(path.read_bytes(), path.name)
        except (UnreadableFileError, EncryptedFileError) as exc:
            assert path.name in str(exc)
            outcomes[path.name] = type(exc).__name__
        else:
            assert all(isinstance(cell, str) for t in tables for row in t for cell in row)
            outcomes[path.name] = "read"
    assert outcomes["poi__Word6.doc"] == outcomes["poi__Word95.doc"] == "UnreadableFileError"
    assert list(outcomes.values()).count("read") >= 35


def _set_word_stream(path: Path, change: bytes, at: int) -> None:
    """Overwrite bytes of the WordDocument stream of an OLE file in place."""
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        word = bytearray(ole.openstream("WordDocument").read())
        word[at : at + len(change)] = change
        ole.write_stream("WordDocument", bytes(word))


def test_encrypted_flag_in_fib(tmp_path: Path) -> None:
    path = tmp_path / "flagged.doc"
    shutil.copy(corpus_file("doc/poi__simple-table.doc"), path)
    flags = struct.unpack_from(
        "<H", olefile.OleFileIO(str(path)).openstream("WordDocument").read(), 10
    )[0]
    _set_word_stream(path, struct.pack("<H", flags | 0x0100), 10)
    with pytest.raises(EncryptedFileError):
        read_doc_tables(path.read_bytes(), path.name)


@pytest.mark.parametrize(
    ("at", "value", "reason"),
    [
        (0x1A2, struct.pack("<II", 0x7FFFFFF0, 0x100), "piece table"),  # fcClx far away
        (0x102, struct.pack("<II", 0, 7), "paragraph property table"),  # lcbPlcfBtePapx odd
        (0, b"\x00\x00", "Word signature"),
    ],
)
def test_damaged_fib_fields(tmp_path: Path, at: int, value: bytes, reason: str) -> None:
    path = tmp_path / "damaged.doc"
    shutil.copy(corpus_file("doc/poi__simple-table2.doc"), path)
    _set_word_stream(path, value, at)
    with pytest.raises(UnreadableFileError, match=reason) as caught:
        read_doc_tables(path.read_bytes(), path.name)
    assert "Cell" not in str(caught.value)  # never a value of the document
    assert str(caught.value).startswith("damaged.doc is not a readable Word 97-2003 document (")


@pytest.mark.parametrize("name", ["poi__table-merges.doc", "poi__innertable.doc"])
def test_flipped_and_truncated_bytes(name: str) -> None:
    data = corpus_file(f"doc/{name}").read_bytes()
    rng = random.Random(20240601)
    for _ in range(120):
        damaged = bytearray(data)
        kind = rng.randrange(3)
        if kind == 0:
            damaged = damaged[: rng.randrange(len(data))]
        else:
            at = rng.randrange(512, len(data))  # past the OLE header: the streams
            for i in range(rng.choice((1, 4, 16))):
                if at + i < len(damaged):
                    damaged[at + i] = rng.randrange(256) if kind == 1 else 0xFF
        try:
            tables = read_doc_tables(bytes(damaged), name)
        except UnreadableFileError as exc:
            assert str(exc).startswith(name)
        else:
            assert isinstance(tables, list)


# --- LibreOffice-made .doc --------------------------------------------------------------


def _synthetic_docx(path: Path) -> list[list[list[str]]]:
    """A .docx of synthetic data (Faker ja_JP, seeded); the grids python-docx reads back."""
    import docx
    from faker import Faker

    fake = Faker("ja_JP")
    fake.seed_instance(1997)
    document = docx.Document()
    document.add_paragraph("入居者一覧（テスト用の架空データ）")
    people = document.add_table(rows=201, cols=4)
    for c, name in enumerate(["氏名", "フリガナ", "住所", "電話番号"]):
        people.cell(0, c).text = name
    for r in range(1, 201):
        values = [fake.name(), fake.kana_name(), fake.address(), fake.phone_number()]
        for c, value in enumerate(values):
            people.cell(r, c).text = value
    document.add_paragraph("備考")
    merged = document.add_table(rows=2, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "世帯"
    merged.cell(0, 2).merge(merged.cell(1, 2)).text = "契約\n更新済"
    merged.cell(1, 0).text = "山田"
    merged.cell(1, 1).text = "花子"
    document.add_paragraph("以上")
    document.save(str(path))
    return [[[cell.text for cell in row.cells] for row in t.rows] for t in document.tables]


def test_libreoffice_made_doc(tmp_path: Path, libreoffice: str) -> None:
    program = libreoffice
    source = tmp_path / "people.docx"
    expected = _synthetic_docx(source)
    assert expected[1] == [["世帯", "世帯", "契約\n更新済"], ["山田", "花子", "契約\n更新済"]]
    out = tmp_path / "out"
    subprocess.run(
        [
            program,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--convert-to",
            "doc",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    converted = out / "people.doc"
    tables = read_doc_tables(converted.read_bytes(), converted.name)
    assert [len(t) for t in tables] == [201, 2]
    assert tables == expected
