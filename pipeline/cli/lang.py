"""The console's language, and every line the commands print, in both languages.

City-office staff read ikou's console on Japanese Windows; a vendor engineer
may read it in English. One rule decides (docs/commands.md, "Console
language"), first match wins:

1. ``--lang ja|en`` given on the command line — it sets the console *and*
   the report or certificate the command writes;
2. ``IKOU_LANG=ja|en``;
3. the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set: ``ja…``
   is Japanese, anything else (``C``, ``en_US.UTF-8``) English;
4. on Windows, the user's display language (Japanese → Japanese);
5. English.

Without ``--lang`` a report is Japanese as documented, whatever the console
speaks: the two are chosen apart on purpose, so that an English-speaking
operator still hands the office a Japanese record.

Every line is here (:data:`CONSOLE`), not scattered as literals through the
commands, so that a reviewer sees both languages side by side and a test
holds them to the same fields. Errors are said from the finding catalog
(:func:`error_lines`). Fields are paths, counts, names of tables, media and
people — never a cell's value, in either language.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

from ikou.errors import IkouError, Where
from ikou.findings import CATALOG

__all__ = [
    "CONSOLE",
    "choose",
    "console_lang",
    "error_lines",
    "say",
    "speaking",
    "windows_ui_is_japanese",
    "words",
]

Lang = Literal["ja", "en"]

_CHOSEN: ContextVar[Lang | None] = ContextVar("ikou_console_lang", default=None)


def windows_ui_is_japanese() -> bool:
    """Whether Windows shows this user its interface in Japanese (primary
    language 0x11 of ``GetUserDefaultUILanguage``); False elsewhere, or when
    the call is unavailable."""
    if sys.platform != "win32":
        return False
    try:
        import ctypes

        langid = int(ctypes.windll.kernel32.GetUserDefaultUILanguage())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False
    return langid & 0x3FF == 0x11


def console_lang(environ: Mapping[str, str] | None = None) -> Lang:
    """The console's language by the rule of this module's docstring."""
    chosen = _CHOSEN.get()
    if chosen is not None:
        return chosen
    env = os.environ if environ is None else environ
    asked = env.get("IKOU_LANG", "").strip().lower()
    if asked[:2] in ("ja", "en"):
        return "ja" if asked.startswith("ja") else "en"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:  # POSIX: the first one set decides
            return "ja" if value.lower().startswith("ja") else "en"
    return "ja" if windows_ui_is_japanese() else "en"


def choose(lang: str) -> None:
    """``--lang`` was given on the command line: the console speaks ``lang``
    until the end of the :func:`speaking` block."""
    _CHOSEN.set("ja" if lang == "ja" else "en")


@contextmanager
def speaking() -> Iterator[None]:
    """One command's span: a ``--lang`` chosen within it is forgotten after."""
    token = _CHOSEN.set(None)
    try:
        yield
    finally:
        _CHOSEN.reset(token)


def say(key: str, /, **fields: object) -> str:
    """The line ``key`` in the console's language, its fields filled in."""
    return words(key).format(**fields)


def words(key: str) -> str:
    """The line ``key`` in the console's language, unfilled (a template another
    formatter fills: rich's progress columns)."""
    en, ja = CONSOLE[key]
    return ja if console_lang() == "ja" else en


def error_lines(error: IkouError) -> list[str]:
    """What the console says of an error ikou raised on purpose, after ``ikou: ``.

    In English, the error's own sentence (unchanged). In Japanese, the
    catalog's title of its slug, where it happened (file, sheet, row, column,
    key) and the slug; then the English sentence, marked as the detail, so
    nothing specific is lost. Neither holds a value: the sentence names
    places, the catalog names kinds.
    """
    if console_lang() != "ja":
        return [error.message]
    slug = error.slug
    finding = CATALOG.get(slug)
    if finding is None:  # a slug the catalog lacks (a test forbids it): the nearest family
        family = (getattr(k, "slug", None) for k in type(error).__mro__)
        slug = next((s for s in family if s in CATALOG), slug)
        finding = CATALOG.get(slug)
    if finding is None:
        return [error.message]
    where = _where_ja(error.where)
    return [
        say("error", title=finding.ja, where=f"（{where}）" if where else "", slug=slug),
        say("error.detail", message=error.message),
    ]


def _where_ja(where: Where) -> str:
    parts = [where.file] if where.file else []
    for key, value in (
        ("where.sheet", where.sheet),
        ("where.row", where.row),
        ("where.column", where.column),
        ("where.key", where.key),
    ):
        if value is not None and value != "":
            parts.append(CONSOLE[key][1].format(value=value))
    return " ".join(parts)


CONSOLE: dict[str, tuple[str, str]] = {
    # ---------------------------------------------- errors and endings (cli/__init__)
    "error": ("{title}{where} [{slug}]", "{title}{where}[{slug}]"),
    "error.detail": ("  detail: {message}", "  詳細: {message}"),
    "where.sheet": ("sheet {value}", "シート {value}"),
    "where.row": ("row {value}", "行 {value}"),
    "where.column": ("column {value}", "列 {value}"),
    "where.key": ("key {value}", "キー {value}"),
    "usage.help": ("  help: {command} -h", "  使い方: {command} -h"),
    "aborted": ("ikou: aborted.", "ikou: 中止しました。"),
    "interrupted": ("ikou: interrupted.", "ikou: 中断しました。"),
    "internal.said": ("ikou: {said}.", "ikou: {said}。"),
    "internal": (
        "ikou: an internal error occurred (a bug, not your input); run again with "
        "--debug to see the traceback, and check it for personal data before sharing.",
        "ikou: 内部エラーが発生しました（ikou の不具合で、入力の誤りではありません）"
        "[internal.error]。--debug を付けて再実行するとトレースバックが表示されます。"
        "共有する前に、個人データが含まれていないか確認してください。",
    ),
    "sealed": (
        "the run {run_id} was sealed{written}; this error happened after that, while "
        "printing its summary ({what}): the run and its record stand",
        "実行 {run_id} は封印済みです{written}。このエラーはその後、結果の表示中に"
        "起きました（{what}）。実行とその記録は有効です",
    ),
    "sealed.written": (" and its report written at {report}", "（報告書: {report}）"),
    # ---------------------------------------------- a dead run ended (cli/common)
    "recovered": (
        "recovered interrupted run {run_id}: {artifacts} artifact(s) shredded{rolled}{ending}.",
        "中断していた実行 {run_id} を終了しました。中間ファイル {artifacts} 件を消去{rolled}"
        "{ending}。",
    ),
    "recovered.rolled": (
        ", its target's unfinished load rolled back",
        "、移行先への未完了の登録を取り消しました",
    ),
    "recovered.reconciled": (
        ", its committed load verified against its manifest and sealed",
        "。確定済みの登録をマニフェストと照合して封印しました",
    ),
    "recovered.rolled_back": (
        ", its committed load rolled back",
        "。確定済みの登録を取り消しました",
    ),
    "recovered.pending": (
        "; it stopped after its production load was prepared: finish it with ikou migrate "
        "and the plan it ran",
        "。本番の登録を準備した後で止まっています。同じ計画で ikou migrate を実行して"
        "完了してください",
    ),
    "recovered.other": (", ended as {outcome}", "。終了状態: {outcome}"),
    # ---------------------------------------------- prompts (cli/common, cli/production)
    "password": ("password for {file} (empty to stop)", "{file} のパスワード（空欄で中止）"),
    "signon.code": (
        "[bold]{role}[/]: code [bold]{code}[/]",
        "[bold]{role}[/]: 確認コード [bold]{code}[/]",
    ),
    "signon.name": ("{role} — name", "{role}：氏名"),
    "signon.typed": ("{role} — code shown above", "{role}：上に表示された確認コード"),
    # ---------------------------------------------- the progress bar (cli/common)
    "stage.extract": ("extract", "読み込み"),
    "stage.map": ("map", "変換"),
    "stage.validate": ("validate", "検証"),
    "stage.load": ("load", "登録"),
    "stage.reconcile": ("reconcile", "照合"),
    "stage.report": ("report", "報告書"),
    "stage.done": ("done", "完了"),
    "sweep.files": ("{task.completed:,} files", "{task.completed:,} ファイル"),
    # ---------------------------------------------- a run's summary (cli/run)
    "counts": ("Row counts", "件数の内訳"),
    "counts.table": ("table", "テーブル"),
    "counts.source": ("source", "移行元"),
    "counts.skipped": ("skipped", "除外"),
    "counts.rejected": ("rejected", "不採用"),
    "counts.loaded": ("loaded", "登録"),
    "counts.balanced": ("balanced", "一致"),
    "status": ("status: {status}", "結果: {status}"),
    "status.reconciled": ("reconciled", "照合一致（reconciled）"),
    "status.unbalanced": ("unbalanced", "照合不一致（unbalanced）"),
    "status.expectations_failed": ("expectations_failed", "期待値不適合（expectations_failed）"),
    "status.refused": ("refused", "実行せず（refused）"),
    "status.failed": ("failed", "失敗（failed）"),
    "status.nothing_loaded": (
        "nothing_loaded (failed: a table loaded no row; nothing was kept)",
        "不合格・登録 0 件（nothing_loaded）：1 行も登録できなかったテーブルがあります。"
        "移行先への登録は取り消しました",
    ),
    "status.too_many_rejected": (
        "too_many_rejected (failed: a table rejected more than rehearsal.max_rejected; "
        "nothing was kept)",
        "不合格・不採用が上限超過（too_many_rejected）：移行先への登録は取り消しました",
    ),
    "shortfall.nothing_loaded": (
        "  table {table}: no row loaded of {source:,} ({rejected:,} rejected, {skipped:,} skipped)",
        "  テーブル {table}: 移行元 {source:,} 行のうち登録 0 行（不採用 {rejected:,} 行、"
        "除外 {skipped:,} 行）",
    ),
    "shortfall.too_many_rejected": (
        "  table {table}: {rejected:,} of {source:,} rows rejected ({share} %), more than "
        "rehearsal.max_rejected ({limit} %)",
        "  テーブル {table}: 移行元 {source:,} 行のうち不採用 {rejected:,} 行（{share} %）。"
        "計画の上限 rehearsal.max_rejected（{limit} %）を超えています",
    ),
    "report": ("report: {path}", "報告書: {path}"),
    "json": ("json:   {path}", "JSON:   {path}"),
    "audit": ("audit:  {log}  head {head}", "監査ログ: {log}  先頭 {head}"),
    "brief.warning": ("warning: {text}", "注意: {text}"),
    "brief.html": ("brief:  {path}", "説明書: {path}"),
    "brief.plan": ("plan:   {short}  warnings {count}", "計画:   {short}  注意事項 {count} 件"),
    "council.recorded": (
        "recorded: {body} {item} of {date}, {decision}, {conditions} condition(s), for the plan "
        "{plan} (SHA-256 {sha}…, {files} file(s))",
        "記録しました: {body} {item}（{date}）{decision}、条件 {conditions} 件、計画 {plan}"
        "（SHA-256 {sha}…、ファイル {files} 個）",
    ),
    "decision.approved": ("approved", "承認"),
    "decision.conditional": ("conditional", "条件付き承認"),
    "decision.rejected": ("rejected", "不承認"),
    "demo.housing": (
        "synthetic ledger, members and plan: {folder}",
        "合成した台帳・世帯員と計画: {folder}",
    ),
    "demo.tax": ("synthetic overdue list and plan: {folder}", "合成した滞納者一覧と計画: {folder}"),
    "demo.stick": (
        "call list goes to the registered medium at {path}",
        "架電リストの書き込み先（登録済みの外部記録媒体）: {path}",
    ),
    # ---------------------------------------------- migrate, reconcile, shred (cli/production)
    "preflight": ("Preflight", "事前確認"),
    "preflight.item": ("item", "項目"),
    "preflight.reason": ("reason", "理由"),
    "reconciled": (
        "{rows:,} row(s) in the target{others}; changed {changed}, added {added}, "
        "removed {removed}",
        "移行先の行数 {rows:,}{others}：変更 {changed}、追加 {added}、削除 {removed}",
    ),
    "reconciled.others": (
        " (and {rows:,} of other batches, not compared)",
        "（ほかのバッチの {rows:,} 行は比較していません）",
    ),
    "import_file": ("import file {file}: {state}", "移行先ファイル {file}: {state}"),
    "import_file.unchanged": ("unchanged", "変更なし"),
    "import_file.changed": ("changed", "変更あり"),
    "import_file.absent": ("absent", "ありません（移動または削除）"),
    "import_file.shredded": ("shredded", "消去済み"),
    "shredded": (
        "shredded {count} file(s); certificate: {certificate}",
        "{count} 件のファイルを消去しました。消去証明書: {certificate}",
    ),
    # ---------------------------------------------- profile, synth (cli/twin)
    "profiled": (
        "profiled {files} file(s), {sheets} sheet(s): {output}",
        "{files} ファイル・{sheets} シートの構造を書き出しました: {output}",
    ),
    "wrote": ("wrote {path}", "書き出しました: {path}"),
    # ---------------------------------------------- audit verify (cli/audit)
    "verified.ok": (
        "{checked}: {events} event(s), head {head}{tail}.{note}",
        "{checked}：イベント {events} 件、先頭 {head}{tail}。{note}",
    ),
    "verified.authenticated": ("authenticated", "認証済み"),
    "verified.intact": ("links and hashes intact", "リンクとハッシュは正常"),
    "verified.head_at": ("; the signed head is event {at}", "。署名された先頭はイベント {at}"),
    "verified.after": (" ({after} event(s) appended after it)", "（その後に {after} 件追加）"),
    "verified.last": (" (the last one)", "（最後のイベント）"),
    "verified.unchecked": (" Not checked: {what}.", "未確認: {what}。"),
    # ---------------------------------------------- sweep (cli/sweep)
    "sweep.key_missing": (
        "ikou: the key of this workspace's record fingerprints is not in {folder}; only "
        "exact copies can be found (set IKOU_KEY_DIR to the folder that holds it).",
        "ikou: このワークスペースのレコード指紋の鍵が {folder} にありません。完全な複製"
        "しか見つけられません（鍵のあるフォルダーを IKOU_KEY_DIR に指定してください）。",
    ),
    "sweep.unauthenticated": (
        "ikou: no audit key in {folder}: the audit log's links and hashes verify, but it "
        "could not be authenticated on this machine.",
        "ikou: {folder} に監査鍵がありません。監査ログのリンクとハッシュは正常ですが、"
        "この PC では認証できませんでした。",
    ),
    "sweep.found": ("copies found ({count:,}):", "複製が見つかりました（{count:,} 件）:"),
    "sweep.copy": (
        "  {path}: {kind} copy of {what}{where} ({size:,} bytes, modified {modified})",
        "  {path}: {what}の{kind}複製{where}（{size:,} バイト、更新 {modified}）",
    ),
    "sweep.exact": ("exact", "完全な"),
    "sweep.derived": ("derived", "派生した"),
    "sweep.records": ("{records:,} record(s)", "レコード {records:,} 件"),
    "sweep.a": ("a {what}", "{what}"),
    "sweep.source file": ("source file", "移行元ファイル"),
    "sweep.artifact": ("artifact", "中間ファイル"),
    "sweep.place": ("; {place}", "、{place}"),
    "sweep.table_rows": ("table {table}, rows {rows}", "テーブル {table} の {rows} 行目"),
    "sweep.searched": (
        "searched {files:,} file(s), {mb:,.1f} MB{kinds}, for {hashes} known file hash(es) "
        "and {records:,} record(s); found {found}.{passed}",
        "{files:,} ファイル（{mb:,.1f} MB{kinds}）を、既知のファイルハッシュ {hashes} 件と"
        "レコード {records:,} 件について検索しました。見つかったもの {found} 件。{passed}",
    ),
    "sweep.kinds": (" ({kinds})", "：{kinds}"),
    "sweep.kinds.join": (", ", "、"),
    "sweep.kind": ("{count:,} {label}", "{label} {count:,}"),
    "sweep.spreadsheet": ("spreadsheet(s)", "表計算ファイル"),
    "sweep.word": ("Word document(s)", "Word 文書"),
    "sweep.text": ("CSV or text file(s)", "CSV・テキスト"),
    "sweep.sqlite": ("SQLite database(s)", "SQLite データベース"),
    "sweep.other": ("other file(s), compared by hash only", "その他（ハッシュのみで比較）"),
    "sweep.links": (
        "{count:,} symbolic link(s) not followed",
        "シンボリックリンク {count:,} 件はたどっていません",
    ),
    "sweep.special": (
        "{count:,} pipe(s), socket(s) or device(s) passed over",
        "パイプ・ソケット・デバイス {count:,} 件は対象外です",
    ),
    "sweep.passed": (" {passed}.", "{passed}。"),
    "sweep.passed.join": ("; ", "。"),
    "sweep.missed": ("could not be searched ({count:,}):", "検索できなかったもの（{count:,} 件）:"),
    "sweep.more": (
        "  … and {count:,} more (see --json).",
        "  …ほか {count:,} 件（--json で一覧）。",
    ),
    # ---------------------------------------------- media (cli/media)
    "media.registered": (
        "registered {id}: holder {holder}, {model}",
        "登録しました: {id}（所有者 {holder}、{model}）",
    ),
    "media.none": (
        "no medium is registered on this PC",
        "この PC に登録された外部記録媒体はありません",
    ),
    "media.line": (
        "{id}  {holder}  {label}  …{serial}  registered {registered}  {state}",
        "{id}  {holder}  {label}  …{serial}  登録 {registered}  {state}",
    ),
    "media.retired_on": ("retired {date}", "廃止 {date}"),
    "media.in_use": ("in use", "使用中"),
    "media.retired": ("retired {id} (holder {holder})", "廃止しました: {id}（所有者 {holder}）"),
    "media.watching": (
        "watching for removable media; Ctrl-C stops",
        "外部記録媒体の挿入と取り外しを記録しています。Ctrl-C で終了します",
    ),
    "media.heard": ("{at}  {outcome}  {node}  {who}", "{at}  {outcome}  {node}  {who}"),
    "media.inserted": ("inserted", "挿入"),
    "media.removed": ("removed", "取り外し"),
    "media.unregistered": ("NOT REGISTERED", "未登録"),
    "media.stopped": (
        "stopped; {count} event(s) recorded",
        "終了しました。{count} 件を記録しました",
    ),
    "media.destroyed": ("{file}: destroyed", "{file}: 消去済み"),
    "media.not_destroyed": (
        "{file}: NOT destroyed: {problem}",
        "{file}: 消去できていません: {problem}",
    ),
    "media.certificate": ("certificate: {certificate}", "消去証明書: {certificate}"),
}
"""Each console line as (English, Japanese), by key; both hold the same fields."""
