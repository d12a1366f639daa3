"""The run report: ``report.json`` for machines, ``report.html`` for people and paper.

Both come from one dictionary built here, so they cannot disagree. It holds
counts, rule names, finding slugs, positions (file, sheet, row) and hashes —
never a cell value. The HTML is printable (A4, print CSS) with Japanese labels
by default and English with ``lang="en"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pandas as pd
import sqlalchemy as sa

from ikou import __version__
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.session import StageEvent, utc_now
from ikou.pipeline.stages.extract import RawTable
from ikou.validation.reconcile import TableReconciliation
from ikou.validation.schema import ValidatedTable

__all__ = [
    "HTML_REJECT_LIMIT",
    "LABELS",
    "RunReport",
    "build_report",
    "redact",
    "render_html",
    "write_report",
]

HTML_REJECT_LIMIT = 500  # rows listed on paper per table; report.json lists all

LABELS: dict[str, dict[str, str]] = {
    "ja": {
        "title": "移行リハーサル報告書",
        "title_production": "本番移行報告書",
        "refused": "実行せず",
        "unchanged": "変更なし",
        "changed": "変更あり",
        "preflight": "事前確認",
        "cross_controls": "テーブル間の管理合計",
        "expectations": "データセット全体の期待値（great-expectations）",
        "expectation": "期待値",
        "column": "列",
        "gate_failed": "期待値を満たさないため、移行先には何も登録していません",
        "expectations_failed": "期待値不適合",
        "detail": "内容",
        "check_ok": "合格",
        "check_warn": "注意",
        "check_fail": "不合格",
        "item_rehearsal": "リハーサル",
        "item_scratch": "一時領域",
        "item_swap": "スワップ",
        "item_target": "移行先",
        "item_sources": "移行元ファイル",
        "item_sources unchanged": "移行元ファイルの不変",
        "item_certification": "認証 ",
        "item_signon": "本人確認 ",
        "reason_no_rehearsal": (
            "この計画・マッピング・契約と同一のリハーサルで照合一致したものがありません"
        ),
        "reason_rehearsal_version": (
            "リハーサル {run} は ikou {version} で実行されました（現在は {current}）"
        ),
        "reason_rehearsal_old": "リハーサル {run} は {age} 日前のものです（上限 {limit} 日）",
        "reason_rehearsal_ok": "リハーサル {run}（{age} 日前）",
        "reason_cert_expired": "{date} に有効期限切れ",
        "reason_cert_expiring": "あと {left} 日で有効期限切れ（{date}）",
        "reason_cert_ok": "{date} まで有効",
        "reason_scratch_ram": (
            "一時ファイルはメモリ上の tmpfs（{path}）に置かれ、ディスクには書かれません"
        ),
        "reason_scratch_disk": (
            "メモリ上の一時領域を使えません（{note}）。一時ファイルはすべて暗号化して書きます"
        ),
        "reason_swap_on": "スワップが有効です。メモリの内容がディスクに書かれることがあります",
        "reason_swap_unknown": "この OS ではスワップの有無を確認できません",
        "reason_swap_off": "スワップなし",
        "reason_target_none": "計画に target.url がありません",
        "reason_target_error": "{message}",
        "reason_target_not_empty": "テーブル {table} に {count} 行があります",
        "reason_target_unreachable": "移行先に接続できません（{error}）",
        "reason_target_ok": "接続可能。テーブルは未作成または空です",
        "reason_sources_unreadable": "{problems}",
        "reason_sources_ok": "{count} 個のファイルがあり、読めます",
        "reason_signon_code": "表示された確認コードで確認されていません",
        "reason_signon_nobody": "署名者がいません",
        "reason_signon_not_listed": "{name} はこの計画で {role} として署名できません",
        "reason_signon_terminal": "{name}（端末で入力）",
        "reason_signon_file": "{name}（署名ファイル）",
        "reason_sources_changed": "事前確認の間に移行元ファイルが変わりました",
        "reason_sources_same": "事前確認の開始時と同じ SHA-256 です",
        "purpose_Word .doc handed to LibreOffice": "LibreOffice に渡した Word 文書（.doc）",
        "purpose_LibreOffice conversion to .docx": "LibreOffice による .docx への変換結果",
        "check": "項目",
        "warn": "注意",
        "signon": "立会い・承認の確認",
        "role": "役割",
        "name": "氏名",
        "method": "確認方法",
        "time": "時刻",
        "by_terminal": "端末で入力",
        "by_file": "確認ファイル",
        "signoff": "移行完了確認書",
        "signoff_intro": (
            "上記のとおり本番移行を実施し、移行元と移行先の件数・管理合計・行ハッシュが一致したことを確認しました。"
            ""
        ),
        "artifacts_destroyed": "中間ファイルの消去",
        "date": "日付",
        "seal": "印",
        "witness": "立会人",
        "operator": "作業者",
        "owner": "所管課",
        "reconcile_title": "移行後照合報告書",
        "sealed_run": "照合対象の本番移行",
        "manifest": "封印された行ハッシュ一覧（SHA-256）",
        "rows_now": "移行先の行数",
        "differences": "相違",
        "source_differences": "移行元を読み直した結果と封印時の相違",
        "change": "種別",
        "key_digest": "キーの鍵付きハッシュ",
        "columns": "列",
        "origin": "移行元の位置",
        "added": "追加",
        "removed": "削除",
        "certificate_title": "データ消去証明書",
        "certificate_intro": (
            "本移行作業で作成された下記のデータを、記載の方法で消去したことを証明します。"
        ),
        "what": "対象",
        "file_name": "ファイル",
        "how": "消去方法",
        "verified": "消去確認",
        "shred_artifact": "中間ファイル",
        "shred_rehearsal_target": "リハーサルの移行先データベース",
        "shred_fingerprints": "レコード指紋（鍵付きハッシュ）",
        "shred_manifest": "封印された行ハッシュ一覧（鍵付きハッシュ）",
        "shred_key": "指紋・行ハッシュの鍵（暗号学的消去）",
        "shred_method": "乱数で上書き・同期・改名・削除",
        "run_id": "実行ID",
        "mode": "区分",
        "status": "結果",
        "plan": "計画",
        "plan_sha256": "計画のハッシュ (SHA-256)",
        "generated": "作成日時 (UTC)",
        "target": "移行先",
        "version": "ikou バージョン",
        "rehearsal": "リハーサル",
        "production": "本番",
        "reconcile": "照合",
        "reconciled": "照合一致",
        "unbalanced": "不一致",
        "failed": "失敗",
        "sources": "移行元ファイル",
        "file": "ファイル",
        "sheet": "シート",
        "row": "行",
        "size": "サイズ (バイト)",
        "sha256": "SHA-256",
        "rows": "行数",
        "funnel": "件数の内訳",
        "table": "テーブル",
        "source_rows": "移行元の行数",
        "skipped": "除外",
        "rejected": "不採用",
        "loaded": "登録",
        "balance": "内訳の一致",
        "funnel_rule": (
            "移行元の行数 ＝ 除外 ＋ 不採用 ＋ 登録。登録件数は移行先から読み戻して数えています。"
        ),
        "ok": "一致",
        "ng": "不一致",
        "skipped_by_rule": "除外の内訳（規則別）",
        "rule": "規則",
        "count": "件数",
        "rejects_by_reason": "不採用の内訳（理由別）",
        "reason": "理由コード",
        "rejects": "不採用の行（位置）",
        "reasons": "理由",
        "rejects_more": "ほか {n} 行は report.json に全件あります。",
        "notes_by_reason": "注記つきで登録（理由別）",
        "notes_rule": (
            "登録はしたが、変換に注意を要した件数です"
            "（元号の範囲外の日付を換算した、氏名を姓と名に分けられなかった、空欄の表記を空にした等）。"
        ),
        "notes": "注記つきで登録した行（位置）",
        "controls": "管理合計",
        "control": "項目",
        "source_side": "移行元",
        "target_side": "移行先",
        "result": "結果",
        "findings": "照合の相違",
        "none": "なし",
        "stages": "処理段階とハッシュ",
        "stage": "段階",
        "outcome": "結果",
        "input": "入力ハッシュ",
        "output": "出力ハッシュ",
        "duration": "所要 (ms)",
        "artifacts": "中間ファイル",
        "no_artifacts": "この実行は中間ファイルを作成していません。",
        "recovered_note": "この本番移行は登録の確定（コミット）直後に中断されました。"
        "次に ikou を起動した際、移行先の内容を確定前に封印した照合台帳と突き合わせて"
        "一致を確認し、完了として封印しました。行ごとの不採用の位置は中断により失われ、"
        "件数のみを記載しています。",
        "scratch_ram": "一時領域はメモリ上（RAM ディスク）にあり、ディスクには書き込まれません。",
        "scratch_disk": (
            "この OS ではメモリ上の一時領域を使えないため、"
            "一時領域はディスク上にあり、暗号化して書き込みます。"
        ),
        "purpose": "用途",
        "encrypted": "暗号化",
        "shredded": "消去",
        "shredded_ok": "消去・確認済",
        "shredded_ng": "未確認",
        "yes": "あり",
        "no": "なし",
        "chain": "監査ログ",
        "chain_head": "監査チェーンの先頭ハッシュ",
        "chain_short": "読み上げ用の短縮形",
        "audit_log": "監査ログのファイル",
        "verify_hint": "確認: ikou audit verify {log} --head {short}",
        "note_values": (
            "この報告書にはセルの値を一切記載していません（位置・規則・件数・ハッシュのみ）。"
        ),
        "error": "中断の理由",
        "error_note": "移行先には何も登録していません。",
    },
    "en": {
        "title": "Migration rehearsal report",
        "title_production": "Production migration report",
        "refused": "refused",
        "unchanged": "unchanged",
        "changed": "changed",
        "preflight": "Preflight",
        "cross_controls": "Control totals across tables",
        "expectations": "Dataset expectations (great-expectations)",
        "expectation": "Expectation",
        "column": "Column",
        "gate_failed": "Expectations not met: nothing was loaded into the target",
        "expectations_failed": "expectations failed",
        "detail": "Detail",
        "check_ok": "passed",
        "check_warn": "warning",
        "check_fail": "failed",
        "item_rehearsal": "rehearsal",
        "item_scratch": "scratch",
        "item_swap": "swap",
        "item_target": "target",
        "item_sources": "sources",
        "item_sources unchanged": "sources unchanged",
        "item_certification": "certification ",
        "item_signon": "sign-on ",
        "check": "Item",
        "warn": "warning",
        "signon": "Witness and approvals",
        "role": "Role",
        "name": "Name",
        "method": "Confirmed by",
        "time": "Time",
        "by_terminal": "typed at the terminal",
        "by_file": "sign-off file",
        "signoff": "Migration sign-off",
        "signoff_intro": (
            "The production migration above was carried out; the counts,"
            " control totals and row hashes of source and target agree."
        ),
        "artifacts_destroyed": "Artifacts destroyed",
        "date": "Date",
        "seal": "Seal",
        "witness": "Witness",
        "operator": "Operator",
        "owner": "Owner",
        "reconcile_title": "Post-migration reconciliation report",
        "sealed_run": "Sealed production run",
        "manifest": "Sealed manifest (SHA-256)",
        "rows_now": "Rows in the target",
        "differences": "Differences",
        "source_differences": "The sources read again, against the seal",
        "change": "Change",
        "key_digest": "Keyed digest of the key",
        "columns": "Columns",
        "origin": "Source position",
        "added": "added",
        "removed": "removed",
        "certificate_title": "Data destruction certificate",
        "certificate_intro": (
            "The data below, created during this migration, was destroyed as described."
        ),
        "what": "What",
        "file_name": "File",
        "how": "How",
        "verified": "Verified",
        "shred_artifact": "artifact",
        "shred_rehearsal_target": "rehearsal target database",
        "shred_fingerprints": "record fingerprints (keyed digests)",
        "shred_manifest": "sealed manifest (keyed digests)",
        "shred_key": "fingerprint and manifest key (cryptographic erase)",
        "shred_method": "overwritten with random bytes, fsynced, renamed, unlinked",
        "run_id": "Run ID",
        "mode": "Mode",
        "status": "Status",
        "plan": "Plan",
        "plan_sha256": "Plan hash (SHA-256)",
        "generated": "Generated (UTC)",
        "target": "Target",
        "version": "ikou version",
        "rehearsal": "rehearsal",
        "production": "production",
        "reconcile": "reconcile",
        "reconciled": "reconciled",
        "unbalanced": "unbalanced",
        "failed": "failed",
        "sources": "Source files",
        "file": "File",
        "sheet": "Sheet",
        "row": "Row",
        "size": "Size (bytes)",
        "sha256": "SHA-256",
        "rows": "Rows",
        "funnel": "Row counts",
        "table": "Table",
        "source_rows": "Source rows",
        "skipped": "Skipped",
        "rejected": "Rejected",
        "loaded": "Loaded",
        "balance": "Balances",
        "funnel_rule": (
            "Source rows = skipped + rejected + loaded; "
            "loaded rows are counted by reading the target back."
        ),
        "ok": "yes",
        "ng": "NO",
        "skipped_by_rule": "Skipped, by rule",
        "rule": "Rule",
        "count": "Count",
        "rejects_by_reason": "Rejected, by reason",
        "reason": "Reason",
        "rejects": "Rejected rows (positions)",
        "reasons": "Reasons",
        "rejects_more": "{n} more rows are listed in report.json.",
        "notes_by_reason": "Loaded with a note, by reason",
        "notes_rule": (
            "Rows loaded, but converted under a rule worth checking (a date outside its era "
            "converted, a name that could not be split, a blank marker made empty)."
        ),
        "notes": "Rows loaded with a note (positions)",
        "controls": "Control totals",
        "control": "Control",
        "source_side": "Source",
        "target_side": "Target",
        "result": "Result",
        "findings": "Reconciliation differences",
        "none": "none",
        "stages": "Stages and hashes",
        "stage": "Stage",
        "outcome": "Outcome",
        "input": "Input hash",
        "output": "Output hash",
        "duration": "Time (ms)",
        "artifacts": "Artifacts",
        "no_artifacts": "This run created no artifacts.",
        "recovered_note": "This production run was interrupted right after its load was committed. "
        "The next time ikou started, it compared the target with the manifest sealed before the "
        "commit, found them identical, and sealed the run as complete. The positions of rejected "
        "rows were lost with the interruption; only the counts are shown.",
        "scratch_ram": "Scratch was on a RAM-backed filesystem: nothing reached the disk.",
        "scratch_disk": (
            "RAM-backed scratch is not available on this OS: scratch was on disk, encrypted."
        ),
        "purpose": "Purpose",
        "encrypted": "Encrypted",
        "shredded": "Destroyed",
        "shredded_ok": "shredded, verified",
        "shredded_ng": "not verified",
        "yes": "yes",
        "no": "no",
        "chain": "Audit log",
        "chain_head": "Audit chain head",
        "chain_short": "Short form for reading aloud",
        "audit_log": "Audit log file",
        "verify_hint": "Check: ikou audit verify {log} --head {short}",
        "note_values": (
            "This report contains no cell values: only positions, rules, counts and hashes."
        ),
        "error": "Why the run stopped",
        "error_note": "Nothing was loaded into the target.",
    },
}


@dataclass(frozen=True)
class RunReport:
    """The report's data (JSON-ready) and the status that decides the exit code."""

    data: dict[str, Any]

    @property
    def status(self) -> str:
        """``reconciled``, ``unbalanced`` or ``failed``."""
        return str(self.data["status"])


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def short_head(head: str) -> str:
    """First 16 hex digits in groups of four, for reading aloud (``1a2b-3c4d-…``)."""
    return "-".join(head[i : i + 4] for i in range(0, 16, 4))


def _positions(findings: pd.DataFrame, raw: RawTable) -> list[dict[str, Any]]:
    """Each row with findings: file, sheet, row and its slugs (never a value)."""
    if findings.empty:
        return []
    grouped = findings.groupby("row", sort=True)["slug"].apply(list)
    positions = raw.positions.loc[grouped.index]
    return [
        {"file": str(f), "sheet": str(s), "row": int(r), "reasons": reasons}
        for f, s, r, reasons in zip(
            positions["file"], positions["sheet"], positions["row"], grouped.tolist(), strict=True
        )
    ]


def redact(url: str) -> str:
    """A target URL without its password, for reports and the chain."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(unparseable URL)"


def _identity(run_id: str, mode: str, plan: LoadedPlan) -> dict[str, Any]:
    """The keys every report opens with: which run, which plan."""
    return {
        "ikou_version": __version__,
        "run_id": run_id,
        "mode": mode,
        "generated": utc_now(),
        "plan": {"name": plan.plan.plan, "path": plan.path.name, "files": plan.file_sha256},
        "plan_sha256": plan.sha256,
    }


def _record(
    events: list[StageEvent], chain_head: str, run_dir: Path, custody: dict[str, Any]
) -> dict[str, Any]:
    """The keys every report closes with: stages, artifacts and the chain head."""
    return {
        "stages": [
            {
                "stage": e.stage,
                "outcome": e.outcome,
                "input_sha256": e.input_sha256,
                "output_sha256": e.output_sha256,
                "counts": e.counts,
                "duration_ms": e.duration_ms,
                "event_hash": e.event_hash,
                "error": e.error_slug,
            }
            for e in events
        ],
        "artifacts": custody["artifacts"],
        "scratch": custody["scratch"],
        "chain_head": chain_head,
        "chain_head_short": short_head(chain_head),
        "audit_log": str(run_dir.parent.parent / "audit.log"),
    }


def build_report(
    *,
    run_id: str,
    mode: str,
    plan: LoadedPlan,
    status: str,
    raws: dict[str, RawTable],
    validated: dict[str, ValidatedTable],
    reconciled: dict[str, TableReconciliation],
    events: list[StageEvent],
    chain_head: str,
    target_url: str,
    run_dir: Path,
    custody: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> RunReport:
    """Assemble the report dictionary (no values: counts, positions, hashes).

    ``extra`` adds keys (a production run's preflight, sign-on and seal).
    """
    tables: dict[str, Any] = {}
    for name, table in validated.items():
        rec = reconciled[name]
        reasons = table.rejects["slug"].value_counts().sort_index()
        notes = table.notes["slug"].value_counts().sort_index()
        skipped = table.skipped.value_counts().sort_index()
        tables[name] = {
            "source": table.source,
            "source_rows": rec.source_rows,
            "skipped": rec.skipped,
            "rejected": rec.rejected,
            "loaded": rec.loaded,
            "balanced": rec.balanced,
            "skipped_by_rule": {str(k): int(v) for k, v in skipped.items()},
            "rejects_by_reason": {str(k): int(v) for k, v in reasons.items()},
            "rejects": _positions(table.rejects, raws[table.source]),
            "notes_by_reason": {str(k): int(v) for k, v in notes.items()},
            "notes": _positions(table.notes, raws[table.source]),
            "controls": [
                {"name": c.name, "source": c.source, "target": c.target, "ok": c.ok}
                for c in rec.controls
            ],
            "findings": dict(rec.finding_counts),
        }
    data = {
        **_identity(run_id, mode, plan),
        "status": status,
        "target": redact(target_url),
        "sources": {
            name: {
                "rows": len(raw.frame),
                "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in raw.files],
            }
            for name, raw in raws.items()
        },
        "tables": tables,
        **(extra or {}),
        **_record(events, chain_head, run_dir, custody),
    }
    return RunReport(_jsonable(data))


def build_failed_report(
    *,
    run_id: str,
    mode: str,
    plan: LoadedPlan,
    error: Any,
    events: list[StageEvent],
    chain_head: str,
    run_dir: Path,
    custody: dict[str, Any],
    status: str = "failed",
    extra: dict[str, Any] | None = None,
) -> RunReport:
    """The record of a run stopped by bad input: which stage, which finding, no tables.

    ``error`` is an :class:`~mappings.errors.IkouError`, whose message names
    files, sheets, rows and keys — never a cell's value.
    """
    data = {
        **_identity(run_id, mode, plan),
        "status": status,
        **({"error": {"slug": error.slug, "message": error.message}} if error is not None else {}),
        "target": "—",
        "sources": {},
        "tables": {},
        **(extra or {}),
        **_record(events, chain_head, run_dir, custody),
    }
    return RunReport(_jsonable(data))


def _environment() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: resources.files("ikou.pipeline.templates").joinpath(name).read_text("utf-8")
    )
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def render_html(report: RunReport, lang: str = "ja", template_name: str = "report.html") -> str:
    """The printable HTML report in ``lang`` (``ja`` or ``en``)."""
    labels = LABELS[lang]
    template = _environment().get_template(template_name)
    return template.render(
        r=report.data,
        L=labels,
        lang=lang,
        limit=HTML_REJECT_LIMIT,
        fmt=_fmt,
        reason=lambda check: _reason(check, labels),
    )


def _reason(check: dict[str, Any], labels: dict[str, str]) -> str:
    """A preflight check's reason in the report's language (English if none is known)."""
    text = labels.get(f"reason_{check.get('code')}")
    if text is None:
        return str(check.get("reason", ""))
    return text.format(**check.get("params", {}))


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "✔" if value else "✘"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return (
            markupsafe.Markup("<br>").join(f"{k}: {_fmt(v)}" for k, v in sorted(value.items()))
            or "—"
        )
    if value is None:
        return "—"
    return str(value)


def write_report(
    report: RunReport, run_dir: Path, *, lang: str = "ja", template: str = "report.html"
) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` (from ``template``) into ``run_dir``."""
    json_path = run_dir / "report.json"
    html_path = run_dir / "report.html"
    json_path.write_text(
        json.dumps(report.data, ensure_ascii=False, indent=2, sort_keys=False) + "\n",
        encoding="utf-8",
    )
    html_path.write_text(render_html(report, lang, template), encoding="utf-8")
    return json_path, html_path
