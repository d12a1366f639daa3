"""Tables of Word 97-2003 ``.doc`` files, read natively from the binary format.

A pure-Python reader over :mod:`olefile` that follows [MS-DOC] (the Word 97-2003
binary file format): the FIB of the ``WordDocument`` stream picks the table stream
(``0Table``/``1Table``) and gives ``ccpText``; the piece table (the Clx's PlcPcd)
gives the main document text, each piece 8-bit or UTF-16LE (§2.4.1; 8-bit pieces
decode as cp1252, bytes cp1252 leaves undefined as Latin-1); the PAPX FKPs
(PlcBtePapx, §2.9.177) give each paragraph's table properties — sprmPFInTable,
sprmPFTtp, sprmPItap, sprmPFInnerTableCell, sprmPFInnerTtp, plus the piece's Prm
and a sprmPHugePapx in the ``Data`` stream — and the row-end paragraph's
sprmTDefTable gives the row's cell boundaries and merge flags. Paragraph styles
are not read: Word writes table membership in the paragraph's own PAPX.

Choices, made to match what LibreOffice → ``.docx`` → python-docx gives:

- every top-level table in document order; consecutive depth-1 rows form one
  table, and a paragraph outside a table ends it;
- a cell's paragraphs are joined by ``"\\n"``; field codes are dropped and their
  results kept; pictures, drawn objects, note and annotation marks and other
  control characters are dropped; a manual line break becomes ``"\\n"``, a
  non-breaking hyphen ``"-"``, an optional hyphen nothing;
- a nested table (depth 2 or more) becomes text of the cell holding it: its cells
  joined by tabs, its rows by newlines, as one paragraph of that cell (python-docx
  would leave a nested table out of ``cell.text``);
- merged cells repeat their top-left text in every grid cell they cover, like
  python-docx: the table's grid is the union of all rows' cell boundaries; a wide
  cell, a legacy horizontal merge (fFirstMerged/fMerged) and a vertical merge
  (fVertMerge without fVertRestart) repeat text; a row without a usable
  sprmTDefTable keeps its cells as they are; every row is padded with ``""`` to
  the table's width (python-docx would leave the rows ragged).

Damaged structures raise :class:`UnreadableFileError` naming the structure,
never a cell's text; Word 6.0/95 files and encrypted files are refused.

Longer than 500 lines: one reader of one binary format (FIB, piece table, FKPs,
table properties, tracked changes), whose parts only make sense together.
"""

from __future__ import annotations

import bisect
import io
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

import olefile

from ikou.errors import EncryptedFileError, UnreadableFileError

__all__ = ["read_doc_tables"]

WORD97_IDENT = 0xA5EC
WORD6_IDENT = 0xA5DC
FIRST_WORD97_NFIB = 106  # Word 6.0 writes 101, Word 95 104, Word 97 and later 193+
FKP_SIZE = 512
MAX_COLUMNS = 64
MAX_DEPTH = 64  # nesting depth is capped, so a damaged sprmPItap cannot run away
FC_CLX, FC_BTE_PAPX, FC_BTE_CHPX = 33, 13, 12  # pair numbers in FibRgFcLcb97
SNAP_TWIPS = 5  # cell edges this close are one grid line (LibreOffice keeps 14 apart)

SPRM_IN_TABLE, SPRM_TTP, SPRM_ITAP, SPRM_DTAP = 0x2416, 0x2417, 0x6649, 0x664A
SPRM_INNER_CELL, SPRM_INNER_TTP, SPRM_HUGE_PAPX = 0x244B, 0x244C, 0x6646
SPRM_DEF_TABLE, SPRM_CHG_TABS = 0xD608, 0xC615
SPRM_MERGE, SPRM_SPLIT, SPRM_VERT_MERGE = 0x5624, 0x5625, 0xD62B
SPRM_JC90, SPRM_JC, SPRM_RMARK_DEL = 0x5400, 0x548A, 0x0800
PRM0_SPRMS = {0x18: SPRM_IN_TABLE, 0x19: SPRM_TTP}  # Prm0 isprm → sprm ([MS-DOC] 2.2.6)
OPERAND_SIZE = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}  # by spra; 6 is variable

FIRST_MERGED, MERGED, VERT_MERGE, VERT_RESTART = 0x01, 0x02, 0x20, 0x40

CELL_MARK, SECTION_MARK = "\x07", "\x0c"
_ENDS = re.compile("[\r\x07\x0c]")
_FIELD_CHARS = re.compile("[\x13\x14\x15]")
_CLEAN = {c: None for c in range(0x20) if c != 0x09} | {0x0B: "\n", 0x1E: "-"}


_CP1252 = "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in range(256))


class _Damaged(Exception):
    """A structural reason (never content) why the document cannot be read."""


@dataclass(frozen=True)
class _Props:
    """The table properties of one paragraph."""

    in_table: bool = False
    ttp: bool = False
    itap: int = 0
    inner_cell: bool = False
    inner_ttp: bool = False
    table_sprms: tuple[tuple[int, bytes], ...] = ()

    @property
    def depth(self) -> int:
        return max(self.itap, 1) if self.in_table else max(self.itap, 0)


@dataclass
class _Row:
    cells: list[str]
    table_sprms: tuple[tuple[int, bytes], ...] = ()


@dataclass
class _Level:
    """A table being read at one nesting depth."""

    rows: list[_Row] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    paras: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Piece:
    cp: int
    fc: int
    width: int
    prm: int


def read_doc_tables(data: bytes, file: str) -> list[list[list[str]]]:
    """Every top-level table of a Word 97-2003 document, in document order:
    a table is a list of rows, a row a list of cell texts."""
    try:
        return _read(data, file)
    except _Damaged as exc:
        reason = str(exc)
    except (IndexError, struct.error, ValueError, KeyError, OverflowError):
        reason = "a structure points outside its stream"
    raise UnreadableFileError(
        f"{file} is not a readable Word 97-2003 document ({reason}).", file=file
    )


def _read(data: bytes, file: str) -> list[list[list[str]]]:
    word, table, data_stream = _streams(data)
    fib = _fib(word, file)
    grpprls, plc = _clx(_fc_lcb(word, table, fib, FC_CLX, "piece table"))
    deleted = _deleted_runs(word, table, fib)
    text, pieces = _text(word, plc, fib.ccp_text, deleted)
    runs = _papx_runs(word, table, fib)
    props = _PropsLookup(pieces, runs, grpprls, data_stream)
    return [_grid(rows) for rows in _tables(_paragraphs(text, props))]


def _streams(data: bytes) -> tuple[bytes, bytes, bytes]:
    if not olefile.isOleFile(data):
        raise _Damaged("it is not an OLE2 compound file")
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if not ole.exists("WordDocument"):
                raise _Damaged("it has no WordDocument stream")
            word = ole.openstream("WordDocument").read()
            flags = _u16(word, 10) if len(word) >= 12 else 0
            name = "1Table" if flags & 0x0200 else "0Table"
            table = ole.openstream(name).read() if ole.exists(name) else b""
            data_stream = ole.openstream("Data").read() if ole.exists("Data") else b""
    except _Damaged:
        raise
    except Exception:  # olefile raises OSError, struct.error, its own errors on damage
        raise _Damaged("its compound-file structure is damaged") from None
    return word, table, data_stream


@dataclass(frozen=True)
class _Fib:
    ccp_text: int
    fclcb: int  # offset of FibRgFcLcb in the WordDocument stream


def _fib(word: bytes, file: str) -> _Fib:
    if len(word) < 34:
        raise _Damaged("its file information block is truncated")
    ident, nfib = _u16(word, 0), _u16(word, 2)
    if ident == WORD6_IDENT or (ident == WORD97_IDENT and nfib < FIRST_WORD97_NFIB):
        raise UnreadableFileError(
            f"{file} is a Word 6.0/95 document, which ikou does not read; open it in Word "
            "and save it as Word 97-2003 (.doc) or .docx.",
            file=file,
        )
    if ident != WORD97_IDENT:
        raise _Damaged("its file information block has no Word signature")
    if _u16(word, 10) & 0x8100:  # fEncrypted, fObfuscated
        raise EncryptedFileError(
            f"{file} is password-protected; remove the password in Word and save it again.",
            file=file,
        )
    pos = 32 + 2 + 2 * _u16(word, 32)  # past csw and fibRgW
    cslw = _u16(word, pos)
    if cslw < 4:
        raise _Damaged("its file information block is truncated")
    ccp_text = _u32(word, pos + 2 + 12)
    pos += 2 + 4 * cslw
    pairs = _u16(word, pos)
    if pairs <= FC_CLX or pos + 2 + 8 * pairs > len(word):
        raise _Damaged("its file information block is truncated")
    return _Fib(ccp_text, pos + 2)


def _fc_lcb(word: bytes, table: bytes, fib: _Fib, number: int, what: str) -> bytes:
    fc, lcb = struct.unpack_from("<II", word, fib.fclcb + 8 * number)
    if lcb == 0 or fc + lcb > len(table):
        raise _Damaged(f"its {what} is missing or outside the table stream")
    return table[fc : fc + lcb]


def _clx(clx: bytes) -> tuple[list[bytes], bytes]:
    """The Prc grpprls and the PlcPcd of the Clx."""
    grpprls: list[bytes] = []
    pos = 0
    while pos < len(clx):
        if clx[pos] == 0x01:
            size = struct.unpack_from("<h", clx, pos + 1)[0]
            if size < 0:
                raise _Damaged("its piece table is damaged")
            grpprls.append(clx[pos + 3 : pos + 3 + size])
            pos += 3 + size
        elif clx[pos] == 0x02:
            size = _u32(clx, pos + 1)
            return grpprls, clx[pos + 5 : pos + 5 + size]
        else:
            break
    raise _Damaged("its piece table is damaged")


def _text(
    word: bytes, plc: bytes, ccp_text: int, deleted: list[tuple[int, int]]
) -> tuple[str, list[_Piece]]:
    """The main document text and its pieces, tracked deletions blanked out."""
    count, rest = divmod(len(plc) - 4, 12)
    if count <= 0 or rest:
        raise _Damaged("its piece table is damaged")
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    if cps[0] != 0:
        raise _Damaged("its piece table is damaged")
    parts: list[str] = []
    pieces: list[_Piece] = []
    for i in range(count):
        start, end = cps[i], min(cps[i + 1], ccp_text)
        if start >= ccp_text:
            break
        if end < start:
            raise _Damaged("its piece table is damaged")
        raw, prm = struct.unpack_from("<IH", plc, 4 * (count + 1) + 8 * i + 2)
        fc, compressed = raw & 0x3FFFFFFF, raw & 0x40000000
        width = 1 if compressed else 2
        offset = fc // 2 if compressed else fc
        if offset + width * (end - start) > len(word):
            raise _Damaged("a text piece lies outside the WordDocument stream")
        chunk = word[offset : offset + width * (end - start)]
        piece = chunk.decode("latin-1") if compressed else chunk.decode("utf-16-le", "replace")
        piece = piece.translate(_CP1252) if compressed else piece
        parts.append(_blank_deleted(piece, offset, width, deleted))
        pieces.append(_Piece(start, offset, width, prm))
    return "".join(parts), pieces


def _blank_deleted(piece: str, offset: int, width: int, deleted: list[tuple[int, int]]) -> str:
    """The piece with characters of tracked deletions as NULs (dropped later);
    paragraph, cell and section marks stay so the table keeps its shape."""
    end = offset + width * len(piece)
    i = max(bisect.bisect_right(deleted, (offset, offset)) - 1, 0)
    chars = None
    for first, limit in deleted[i:]:
        if first >= end:
            break
        lo, hi = (
            (max(first, offset) - offset + width - 1) // width,
            (min(limit, end) - offset) // width,
        )
        if lo < hi:
            chars = chars or list(piece)
            chars[lo:hi] = [c if c in "\r\x07\x0c" else "\0" for c in chars[lo:hi]]
    return "".join(chars) if chars else piece


def _fkp_pages(word: bytes, table: bytes, fib: _Fib, number: int, what: str) -> Iterator[bytes]:
    """The distinct 512-byte FKP pages a PlcBte (PAPX or CHPX) points to."""
    plc = _fc_lcb(word, table, fib, number, what)
    count, rest = divmod(len(plc) - 4, 8)
    if count <= 0 or rest:
        raise _Damaged(f"its {what} is damaged")
    pages = struct.unpack_from(f"<{count}I", plc, 4 * (count + 1))
    for pn in dict.fromkeys(p & 0x3FFFFF for p in pages):
        page = word[pn * FKP_SIZE : (pn + 1) * FKP_SIZE]
        if len(page) < FKP_SIZE or not 0 < page[511] <= 101:
            raise _Damaged(f"a page of its {what} is damaged")
        yield page


def _deleted_runs(word: bytes, table: bytes, fib: _Fib) -> list[tuple[int, int]]:
    """FC ranges of text marked deleted (sprmCFRMarkDel), sorted."""
    runs = []
    for page in _fkp_pages(word, table, fib, FC_BTE_CHPX, "character property table"):
        crun = page[511]
        fcs = struct.unpack_from(f"<{crun + 1}I", page, 0)
        for j in range(crun):
            offset = 2 * page[4 * (crun + 1) + j]
            chpx = page[offset + 1 : offset + 1 + page[offset]] if offset else b""
            if any(s == SPRM_RMARK_DEL and op[:1] in (b"\x01", b"\x81") for s, op in _sprms(chpx)):
                runs.append((fcs[j], fcs[j + 1]))
    return sorted(runs)


def _papx_runs(word: bytes, table: bytes, fib: _Fib) -> list[tuple[int, int, bytes | None]]:
    """(first FC, limit FC, grpprl with istd or None) of every PAPX run, sorted."""
    runs: list[tuple[int, int, bytes | None]] = []
    for page in _fkp_pages(word, table, fib, FC_BTE_PAPX, "paragraph property table"):
        runs.extend(_papx_fkp(page))
    runs.sort(key=lambda run: run[0])
    return runs


def _papx_fkp(page: bytes) -> Iterator[tuple[int, int, bytes | None]]:
    crun = page[511]
    fcs = struct.unpack_from(f"<{crun + 1}I", page, 0)
    for j in range(crun):
        offset = 2 * page[4 * (crun + 1) + 13 * j]
        if offset == 0:
            yield fcs[j], fcs[j + 1], None
            continue
        cb = page[offset]
        start, size = (offset + 1, 2 * cb - 1) if cb else (offset + 2, 2 * page[offset + 1])
        if start + size > 511 or size < 2:
            raise _Damaged("a paragraph property page is damaged")
        yield fcs[j], fcs[j + 1], page[start : start + size]


def _sprms(grpprl: bytes) -> Iterator[tuple[int, bytes]]:
    """(sprm, operand) of a grpprl; a truncated last sprm ends it."""
    pos = 0
    while pos + 2 <= len(grpprl):
        sprm = _u16(grpprl, pos)
        pos += 2
        size = OPERAND_SIZE.get(sprm >> 13, 0)
        if sprm >> 13 == 6:
            if pos >= len(grpprl):
                return
            if sprm == SPRM_DEF_TABLE and pos + 2 <= len(grpprl):
                size, pos = _u16(grpprl, pos) - 1, pos + 2
            elif sprm == SPRM_CHG_TABS and grpprl[pos] == 255 and pos + 2 < len(grpprl):
                deleted = grpprl[pos + 1]
                added = grpprl[min(pos + 2 + 4 * deleted, len(grpprl) - 1)]
                size = 2 + 4 * deleted + 3 * added  # operand kept with its length byte
            else:
                size, pos = grpprl[pos], pos + 1
        if size < 0 or pos + size > len(grpprl):
            return
        yield sprm, grpprl[pos : pos + size]
        pos += size


class _PropsLookup:
    """The table properties of the paragraph ending at a character position."""

    def __init__(
        self,
        pieces: list[_Piece],
        runs: list[tuple[int, int, bytes | None]],
        grpprls: list[bytes],
        data_stream: bytes,
    ) -> None:
        self.pieces, self.piece_cps = pieces, [p.cp for p in pieces]
        self.runs, self.run_fcs = runs, [r[0] for r in runs]
        self.grpprls, self.data = grpprls, data_stream
        self.cache: dict[tuple[int, int], _Props] = {}

    def __call__(self, cp: int) -> _Props:
        piece = self.pieces[bisect.bisect_right(self.piece_cps, cp) - 1]
        fc = piece.fc + piece.width * (cp - piece.cp)
        i = bisect.bisect_right(self.run_fcs, fc) - 1
        run = i if i >= 0 and fc < self.runs[i][1] else -1
        key = (run, piece.prm)
        if key not in self.cache:
            self.cache[key] = self._props(self.runs[run][2] if run >= 0 else None, piece.prm)
        return self.cache[key]

    def _props(self, papx: bytes | None, prm: int) -> _Props:
        sprms = list(self._expand(_sprms(papx[2:]))) if papx else []
        if prm & 1:
            igrpprl = prm >> 1
            if igrpprl < len(self.grpprls):
                sprms.extend(self._expand(_sprms(self.grpprls[igrpprl])))
        elif (prm >> 1) & 0x7F in PRM0_SPRMS:
            sprms.append((PRM0_SPRMS[(prm >> 1) & 0x7F], bytes([prm >> 8])))
        values: dict[int, bytes] = {}
        itap = 0
        for sprm, operand in sprms:
            values[sprm] = operand
            if sprm == SPRM_ITAP and len(operand) == 4:
                itap = _u32(operand, 0)
            elif sprm == SPRM_DTAP and len(operand) == 4:
                itap += struct.unpack("<i", operand)[0]

        def flag(sprm: int) -> bool:
            return bool(values.get(sprm, b"\0")[:1] != b"\0")

        return _Props(
            in_table=flag(SPRM_IN_TABLE),
            ttp=flag(SPRM_TTP),
            itap=min(max(itap, 0), MAX_DEPTH),
            inner_cell=flag(SPRM_INNER_CELL),
            inner_ttp=flag(SPRM_INNER_TTP),
            table_sprms=tuple(s for s in sprms if (s[0] >> 10) & 7 == 5),
        )

    def _expand(self, sprms: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
        """The sprms, with a sprmPHugePapx replaced by the grpprl it points to."""
        for sprm, operand in sprms:
            if sprm != SPRM_HUGE_PAPX:
                yield sprm, operand
            elif len(operand) == 4 and (at := _u32(operand, 0)) + 2 <= len(self.data):
                size = _u16(self.data, at)
                yield from _sprms(self.data[at + 2 : at + 2 + size])  # unsupported if absent


def _paragraphs(text: str, props: _PropsLookup) -> Iterator[tuple[str, str, _Props]]:
    """(clean text, end mark, properties) of each paragraph of the main text."""
    start = 0
    fields: list[bool] = []  # open fields: True once past the separator
    for match in _ENDS.finditer(text):
        cp, mark = match.start(), match.group()
        found = props(cp)
        if mark == SECTION_MARK and found.depth:
            continue  # a page break inside a table cell: dropped as a character
        body = text[start:cp]
        start = cp + 1
        if fields or _FIELD_CHARS.search(body):
            body = _strip_fields(body, fields)
        if mark == CELL_MARK:
            fields.clear()  # a field never crosses a cell boundary
        yield body.translate(_CLEAN), mark, found


def _strip_fields(body: str, fields: list[bool]) -> str:
    kept = []
    for char in body:
        if char == "\x13":
            fields.append(False)
        elif char == "\x14":
            if fields:
                fields[-1] = True
        elif char == "\x15":
            if fields:
                fields.pop()
        elif all(fields):
            kept.append(char)
    return "".join(kept)


def _tables(paragraphs: Iterator[tuple[str, str, _Props]]) -> Iterator[list[_Row]]:
    """The rows of each top-level table, nested tables folded into their cells."""
    stack: list[_Level] = []
    for text, mark, props in paragraphs:
        depth = props.depth
        _fold(stack, max(depth, 1))
        if depth == 0:
            if stack and (rows := _finish(stack[0])):
                yield rows
            stack = []
            continue
        while len(stack) < depth:
            stack.append(_Level())
        level = stack[-1]
        row_end = props.ttp if depth == 1 else props.inner_ttp
        cell_end = mark == CELL_MARK or (depth > 1 and props.inner_cell)
        if row_end:
            level.rows.append(_Row(level.cells, props.table_sprms))
            level.cells, level.paras = [], []
        elif cell_end:
            level.cells.append("\n".join([*level.paras, text]))
            level.paras = []
        else:
            level.paras.append(text)
    _fold(stack, 1)
    if stack and (rows := _finish(stack[0])):
        yield rows


def _fold(stack: list[_Level], depth: int) -> None:
    """Close the nested tables deeper than ``depth`` into their cells' text."""
    while len(stack) > depth:
        rows = [row.cells for row in _finish(stack.pop())]
        stack[-1].paras.append("\n".join("\t".join(cells) for cells in rows))


def _finish(level: _Level) -> list[_Row]:
    """The level's rows, a row without its row end (damage) kept as it is."""
    if level.paras:
        level.cells.append("\n".join(level.paras))
    if level.cells:
        level.rows.append(_Row(level.cells))
    return level.rows


@dataclass
class _Tap:
    centers: list[int]
    flags: list[int]
    jc: int = 0  # 0 left, 1 centred, 2 right


def _tap(row: _Row) -> _Tap | None:
    """The row's cell boundaries and merge flags, if its TAP fits its cells."""
    tap: _Tap | None = None
    jc = 0
    for sprm, op in row.table_sprms:
        if sprm == SPRM_DEF_TABLE and op and 0 < op[0] <= MAX_COLUMNS:
            n = op[0]
            if len(op) < 1 + 2 * (n + 1):
                return None
            centers = list(struct.unpack_from(f"<{n + 1}h", op, 1))
            at = 1 + 2 * (n + 1)
            flags = [_u16(op, at + 20 * i) if at + 20 * i + 2 <= len(op) else 0 for i in range(n)]
            tap = _Tap(centers, flags)
        elif tap and sprm in (SPRM_MERGE, SPRM_SPLIT) and len(op) == 2:
            for i in range(op[0], min(op[1], len(tap.flags))):
                tap.flags[i] &= ~(FIRST_MERGED | MERGED)
                if sprm == SPRM_MERGE:
                    tap.flags[i] |= FIRST_MERGED if i == op[0] else MERGED
        elif sprm in (SPRM_JC90, SPRM_JC) and len(op) == 2:
            jc = _u16(op, 0)
        elif tap and sprm == SPRM_VERT_MERGE and len(op) == 2 and op[0] < len(tap.flags):
            tap.flags[op[0]] = tap.flags[op[0]] & ~0x60 | (op[1] & 3) << 5
    if tap is None or len(tap.flags) != len(row.cells):
        return None
    tap.jc = jc
    if any(b <= a for a, b in zip(tap.centers, tap.centers[1:], strict=False)):
        return None
    return tap


def _grid(rows: list[_Row]) -> list[list[str]]:
    """The rows on one grid, merged cells repeating their text."""
    taps = [_tap(row) for row in rows]
    _align(taps)
    bounds: list[int] = []
    for x in sorted({x for tap in taps if tap for x in tap.centers}):
        if not bounds or x - bounds[-1] > SNAP_TWIPS:
            bounds.append(x)
    width = max(
        [len(bounds) - 1] + [len(r.cells) for r, t in zip(rows, taps, strict=True) if not t]
    )
    grid: list[list[str]] = []
    for row, tap in zip(rows, taps, strict=True):
        out = [""] * width
        if tap is None:
            out[: len(row.cells)] = row.cells
            grid.append(out)
            continue
        text = ""
        for i, cell in enumerate(row.cells):
            first, last = _column(bounds, tap.centers[i]), _column(bounds, tap.centers[i + 1])
            flags = tap.flags[i]
            if not (flags & MERGED and i):  # a legacy merge repeats the first cell's text
                text = cell
            for column in range(first, last):
                above = grid[-1][column] if grid else ""
                vertical = flags & (VERT_MERGE | VERT_RESTART) == VERT_MERGE
                out[column] = above if vertical else text
        grid.append(out)
    return grid


def _align(taps: list[_Tap | None]) -> None:
    """Shift centred and right-aligned rows to their place beside the widest row."""
    known = [tap for tap in taps if tap]
    if not any(tap.jc for tap in known):
        return
    widest = max(known, key=lambda tap: tap.centers[-1] - tap.centers[0])
    for tap in known:
        if tap.jc in (1, 2):
            right = widest.centers[-1] - tap.centers[-1]
            left = widest.centers[0] - tap.centers[0]
            shift = right if tap.jc == 2 else (left + right) // 2
            tap.centers = [x + shift for x in tap.centers]


def _column(bounds: list[int], x: int) -> int:
    """The grid line nearest to a cell edge."""
    i = bisect.bisect_left(bounds, x)
    return i - 1 if i == len(bounds) or (i and x - bounds[i - 1] < bounds[i] - x) else i


def _u16(buf: bytes, at: int) -> int:
    return struct.unpack_from("<H", buf, at)[0]


def _u32(buf: bytes, at: int) -> int:
    return struct.unpack_from("<I", buf, at)[0]
