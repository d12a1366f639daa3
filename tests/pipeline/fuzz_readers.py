"""Fuzzing the readers: mutated legacy files must be read or refused with a typed error.

Seeds are small well-formed files made by code (the synthetic housing
ledger as .xls, .xlsx, .ods, Excel 2003 XML, CSV and a Word table) and a few
files of ``../shared/corpus``. Hypothesis mutates them — byte flips,
insertions, deletions and truncation of the file, or of one part inside a
zip package which is then zipped again, so the mutation reaches the XML
parsers behind the zip's checksums — and every mutant goes through
:func:`pipeline.extract.read_grids`, the same dispatch a rehearsal uses, in
a guarded child process. A mutant may be read or refused with an ikou error;
anything else — an untyped exception, a crash of the process, a timeout — is
a finding.

The test suite runs a bounded, derandomised number of cases
(``tests/pipeline/test_fuzz.py``). Run it longer with::

    IKOU_FUZZ_EXAMPLES=20000 python -m pytest tests/pipeline/test_fuzz.py -q

or, for a random (not derandomised) search, also set ``IKOU_FUZZ_RANDOM=1``.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ikou.audit.platform import GuardTripped, guarded
from ikou.errors import IkouError
from ikou.pipeline.examples.formats import write_ods, write_spreadsheetml
from ikou.pipeline.examples.housing import ledger_sheet, make_ledger, write_xls, write_xlsx
from ikou.pipeline.plan import SourceLimits, SourceSpec
from ikou.pipeline.stages.extract import read_grids

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
CORPUS_SEEDS = (
    "xls/calamine__merge_cells.xls",
    "xls/phpspreadsheet__1904_Calendar.xls",
    "xlsx/calamine__date_1904.xlsb",
    "xlsx/calamine__errors.xlsx",
    "xlsx/excelize__MergeCell.xlsx",
    "ods/calamine__merged_cells.ods",
    "docx/python-docx__tbl-2x2-table.docx",
)
SPEC = SourceSpec(
    rehearsal="fuzz",
    limits=SourceLimits(cells=2_000_000, unpacked_mb=64, seconds=20, memory_mb=1024),
)
CASE_SECONDS = 30
CASE_MEMORY = 2 << 30


@dataclass(frozen=True)
class Seed:
    name: str
    data: bytes


def _members_docx() -> bytes:
    import docx

    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate(
        [["入居者番号", "続柄番号", "続柄"], ["000001", "1", "妻"], ["", "2", "子"]]
    ):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(1, 0).merge(table.cell(2, 0))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@cache
def seeds(folder: Path) -> tuple[Seed, ...]:
    """The files mutants are made from: synthetic ones always, corpus ones when present."""
    ledger = make_ledger(12, 3)
    made = [
        write_xls(ledger, folder / "ledger.xls"),
        write_xlsx(ledger, folder / "ledger.xlsx"),
        write_ods([ledger_sheet(ledger)], folder / "ledger.ods"),
        write_spreadsheetml([ledger_sheet(ledger)], folder / "ledger.xml"),
    ]
    out = [Seed(path.name, path.read_bytes()) for path in made]
    text = io.StringIO()
    csv.writer(text).writerows([[v if v is not None else "" for v in r] for r in ledger.rows])
    out.append(Seed("ledger.csv", text.getvalue().encode("cp932")))
    out.append(Seed("members.docx", _members_docx()))
    out.extend(
        Seed(Path(name).name, (CORPUS / name).read_bytes())
        for name in CORPUS_SEEDS
        if (CORPUS / name).is_file()
    )
    return tuple(out)


def mutate_bytes(data: bytes, ops: list[tuple[str, float, bytes]]) -> bytes:
    """Apply flips, insertions, deletions and a truncation at relative positions."""
    buffer = bytearray(data)
    for op, where, payload in ops:
        at = min(len(buffer), int(where * len(buffer)))
        if op == "flip" and buffer:
            at = min(at, len(buffer) - 1)
            buffer[at] ^= payload[0] if payload and payload[0] else 0xFF
        elif op == "insert":
            buffer[at:at] = payload
        elif op == "delete":
            del buffer[at : at + max(1, len(payload))]
        elif op == "truncate":
            del buffer[at:]
    return bytes(buffer)


def mutate_part(data: bytes, part: float, ops: list[tuple[str, float, bytes]]) -> bytes:
    """Mutate one part inside a zip package and zip it again (checksums made valid)."""
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        names = [i.filename for i in source.infolist() if not i.is_dir()]
    except zipfile.BadZipFile:
        return mutate_bytes(data, ops)
    chosen = names[min(len(names) - 1, int(part * len(names)))]
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in names:
            body = source.read(name)
            target.writestr(name, mutate_bytes(body, ops) if name == chosen else body)
    return out.getvalue()


def read_outcome(data: bytes, name: str) -> str:
    """``read``, ``refused:<slug>`` or ``untyped:<exception>`` for one mutant, computed
    in a guarded child; a child that crashes or overruns is ``crashed:<reason>``."""
    declared = {
        ".xls": "xls",
        ".xlsx": "xlsx",
        ".xlsb": "xlsb",
        ".ods": "ods",
        ".xml": "xml",
        ".docx": "docx",
    }.get(Path(name).suffix, "csv")

    def attempt() -> str:
        try:
            read_grids(data, name, SPEC, declared, None)
        except IkouError as exc:
            return f"refused:{exc.slug}"
        except Exception as exc:
            return f"untyped:{type(exc).__name__}"
        return "read"

    try:
        return guarded(attempt, seconds=CASE_SECONDS, memory_bytes=CASE_MEMORY)
    except GuardTripped as exc:
        return f"crashed:{exc.reason}"


def describe(seed: Seed, where: str, ops: list[tuple[str, float, bytes]]) -> dict[str, Any]:
    """A reproducible description of one mutant (for a failing test's message)."""
    return {
        "seed": seed.name,
        "where": where,
        "ops": [(o, round(p, 6), b.hex()) for o, p, b in ops],
    }


def examples() -> int:
    """How many mutants the test suite tries (``IKOU_FUZZ_EXAMPLES``, default 120)."""
    return int(os.environ.get("IKOU_FUZZ_EXAMPLES", "120"))
