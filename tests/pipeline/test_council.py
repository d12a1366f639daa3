"""The privacy council's decision, bound to the exact plan: ``ikou council record``,
the preflight's ``council`` item, and what the production report prints of it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ikou.audit.chain import AuditKey, audit_key, encode_line
from ikou.pipeline.plan import load_plan
from ikou.pipeline.production.preflight import council_check
from tests.conftest import chain_events
from tests.pipeline.conftest import ikou, target_of

BODY, ITEM, DAY = "個人情報保護運営審議会", "諮問第6号", "2010-10-07"
CONDITIONS = (
    "データ移行時は必ず職員が立ち会うこと\n\n移行後、中間ファイルを消去し証明書を提出すること\n"
)
EN = {"IKOU_LANG": "en", "COLUMNS": "400"}  # the console in English, a checklist reason a line


def _required(plan: Path) -> Path:
    """The production plan with the council's approval required (the default)."""
    text = plan.read_text("utf-8")
    kept = [line for line in text.splitlines(keepends=True) if not line.startswith("council:")]
    plan.write_text("".join(kept), "utf-8")
    return plan


def _record(plan: Path, decision: str = "approved", *more: str, **env: str) -> str:
    done = ikou(
        "council", "record", str(plan), "--body", BODY, "--item", ITEM,
        "--date", DAY, "--decision", decision, *more, env={**EN, **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _rehearse(plan: Path) -> None:
    done = ikou("rehearse", str(plan), env=EN)
    assert done.returncode == 0, done.stdout + done.stderr


def _migrate(plan: Path) -> tuple[int, str, dict[str, Any], str]:
    """Run ``ikou migrate`` with the sign-off file: exit code, what it said, and
    the production run's report.json and report.html."""
    done = ikou("migrate", str(plan), "--signoff", str(plan.parent / "signoff.yaml"), env=EN)
    run = next(
        p.parent
        for p in sorted((plan.parent / "ikou-work" / "runs").glob("*/report.json"))
        if json.loads(p.read_text("utf-8"))["mode"] == "production"
    )
    report = json.loads((run / "report.json").read_text("utf-8"))
    return done.returncode, done.stdout + done.stderr, report, (run / "report.html").read_text()


def _council(report: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in report["preflight"] if c["item"] == "council")


def _first_page(html: str) -> str:
    return html.split('<p class="note">', 1)[0]


def test_migrate_without_an_approval_is_refused(production_plan: Path) -> None:
    plan = _required(production_plan)
    _rehearse(plan)
    code, said, report, html = _migrate(plan)
    assert code == 1 and "Traceback" not in said
    check = _council(report)
    assert (check["status"], check["code"]) == ("fail", "council_missing")
    assert "no decision of the privacy council is recorded" in said
    assert report["status"] == "refused" and report["council"] == {
        "required": True,
        "decision": None,
    }
    assert "審議会の決定</th><td>記録がありません" in _first_page(html)
    assert not target_of(plan).exists()  # nothing was loaded, the target not even created


def test_an_approval_on_conditions_runs_and_is_printed(production_plan: Path) -> None:
    plan = _required(production_plan)
    conditions = plan.parent / "条件.txt"
    conditions.write_text(CONDITIONS, "utf-8")
    said = _record(plan, "conditional", "--conditions", str(conditions))
    assert said.count("\n") == 1 and said.startswith(f"recorded: {BODY} {ITEM} of {DAY}")
    assert "2 condition(s)" in said
    (event,) = [
        e for e in chain_events(plan.parent / "ikou-work" / "audit.log") if e["stage"] == "council"
    ]
    loaded = load_plan(plan)
    assert event["outcome"] == "conditional" and event["plan_sha256"] == loaded.sha256
    assert event["plan"] == loaded.plan.plan and event["date"] == DAY
    assert set(event["files"]) == {"plan.yaml", "mapping.yaml", "contract.yaml", "estates.csv"}
    assert event["conditions"] == [line for line in CONDITIONS.splitlines() if line]

    _rehearse(plan)
    code, said, report, html = _migrate(plan)
    assert code == 0, said
    assert _council(report)["code"] == "council_conditional"
    facts = report["council"]
    assert (facts["body"], facts["item"], facts["date"], facts["decision"]) == (
        BODY,
        ITEM,
        DAY,
        "conditional",
    )
    assert facts["conditions"] == event["conditions"] and facts["this_plan"] is True
    assert f"{BODY} {ITEM}（平成22年10月7日（木））：条件付き承認" in _first_page(html)
    sheet = html.split('<section class="signoff">', 1)[1]
    for condition in facts["conditions"]:
        assert f'<td class="tick">☐</td><td>{condition}</td>' in sheet


def test_a_byte_changed_after_the_approval_is_refused_by_file(production_plan: Path) -> None:
    plan = _required(production_plan)
    _record(plan)
    mapping = plan.parent / "mapping.yaml"
    mapping.write_bytes(mapping.read_bytes() + b"\n")
    _rehearse(plan)  # a passing rehearsal of the plan as it is now
    code, said, report, _ = _migrate(plan)
    assert code == 1
    check = _council(report)
    assert check["code"] == "council_changed" and check["params"]["files"] == "mapping.yaml"
    assert check["reason"].startswith(
        f"mapping.yaml changed after the approval of {DAY} ({ITEM}); "
    )
    assert f"mapping.yaml changed after the approval of {DAY} ({ITEM})" in said
    assert report["council"]["this_plan"] is False
    assert not target_of(plan).exists()


def test_a_changed_lookup_table_is_named_too(production_plan: Path) -> None:
    plan = _required(production_plan)
    _record(plan)
    estates = plan.parent / "estates.csv"
    estates.write_bytes(estates.read_bytes() + b"\n")
    events = chain_events(plan.parent / "ikou-work" / "audit.log")
    check = council_check(load_plan(plan), events)
    assert (check.status, check.params["files"]) == ("fail", "estates.csv")


def test_an_approval_copied_from_another_installation_is_refused(
    production_plan: Path, tmp_path: Path
) -> None:
    """Genuine ikou elsewhere, with its own key store, approves the same plan
    files; its event, linked into this log, carries no tag this installation made."""
    plan = _required(production_plan)
    other = tmp_path / "other-office"
    shutil.copytree(plan.parent, other, ignore=shutil.ignore_patterns("ikou-work"))
    other_keys = tmp_path / "other-keys"
    _record(other / plan.name, IKOU_KEY_DIR=str(other_keys))
    foreign = next(
        json.loads(line)
        for line in (other / "ikou-work" / "audit.log").read_bytes().splitlines()
        if b'"stage":"council"' in line
    )
    _rehearse(plan)  # this installation's log: genuine, with a passing rehearsal
    log = plan.parent / "ikou-work" / "audit.log"
    last = json.loads(log.read_bytes().splitlines()[-1])
    body = {k: v for k, v in foreign.items() if k not in ("hash", "tag")}
    here = audit_key()
    assert here is not None and body["plan_sha256"] == load_plan(plan).sha256
    body.update(seq=last["seq"] + 1, prev=last["hash"], kid=here.kid)  # claims this key
    theirs = audit_key(other_keys)
    assert theirs is not None
    with log.open("ab") as handle:
        handle.write(encode_line(body, AuditKey(here.kid, theirs.secret)))
    done = ikou("migrate", str(plan), "--signoff", str(plan.parent / "signoff.yaml"), env=EN)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "authentication tag does not match" in done.stderr and "Traceback" not in done.stderr
    assert not target_of(plan).exists()


def test_a_rejection_after_an_approval_refuses(production_plan: Path) -> None:
    plan = _required(production_plan)
    _record(plan)
    done = ikou(
        "council", "record", str(plan), "--body", BODY, "--item", "諮問第7号",
        "--date", "2010-11-04", "--decision", "rejected", env=EN,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    _rehearse(plan)
    code, _, report, html = _migrate(plan)
    assert code == 1
    check = _council(report)
    assert check["code"] == "council_rejected"
    assert check["reason"] == f"{BODY} rejected the plan on 2010-11-04 (諮問第7号)"
    assert "不承認" in _first_page(html)
    assert not target_of(plan).exists()


def test_not_required_runs_and_the_report_prints_the_reason(production_plan: Path) -> None:
    _rehearse(production_plan)
    code, said, report, html = _migrate(production_plan)
    assert code == 0, said
    check = _council(report)
    assert (check["status"], check["reason"]) == (
        "warn",
        "not required by the plan: テスト: 合成データのみ",
    )
    assert report["council"] == {"required": False, "reason": "テスト: 合成データのみ"}
    assert "不要（テスト: 合成データのみ）" in _first_page(html)
    assert "計画により不要：テスト: 合成データのみ" in html  # the checklist, in Japanese


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"--date": "2010/10/07"}, "is not a day written YYYY-MM-DD"),
        ({"--date": "2999-01-01"}, "is after today"),
        ({"--conditions": "missing.txt"}, "cannot read the conditions file"),
        ({"--conditions": "cp932.txt"}, "is not UTF-8 text"),
        ({"--decision": "conditional"}, "a conditional decision needs its conditions"),
        ({"plan": "no-such-plan.yaml"}, "no-such-plan.yaml"),
    ],
)
def test_bad_input_is_exit_2_in_one_sentence_and_writes_nothing(
    production_plan: Path, change: dict[str, str], expected: str
) -> None:
    folder = production_plan.parent
    (folder / "cp932.txt").write_bytes("職員が立ち会うこと\n".encode("cp932"))
    given = {"--body": BODY, "--item": ITEM, "--date": DAY, "--decision": "approved", **change}
    plan = str(folder / given.pop("plan", production_plan.name))
    if "--conditions" in given:
        given["--conditions"] = str(folder / given["--conditions"])
    args = (part for pair in given.items() for part in pair)
    done = ikou("council", "record", plan, *args, env=EN)
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not (folder / "ikou-work").exists()
