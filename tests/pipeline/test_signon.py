"""Sign-on: names compared as people write them, and nobody asked before the preflight passed."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ikou.pipeline.production import migrate
from ikou.pipeline.production.signon import normalise_name
from ikou.pipeline.run import rehearse
from tests.conftest import chain_events
from tests.pipeline.conftest import ikou, target_of


def _production_report(plan: Path) -> dict[str, object]:
    runs = (plan.parent / "ikou-work" / "runs").iterdir()
    reports = [json.loads((r / "report.json").read_text("utf-8")) for r in runs]
    return next(r for r in reports if r["mode"] == "production")


def _production_events(plan: Path) -> list[dict[str, object]]:
    events = chain_events(plan.parent / "ikou-work" / "audit.log")
    production = {e["run_id"] for e in events if e["mode"] == "production"}
    return [e for e in events if e["run_id"] in production]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("承認\u3000一郎", "承認 一郎"),  # the ideographic (full-width) space
        ("  承認   一郎 ", "承認 一郎"),
        ("承認\t\u3000 一郎", "承認 一郎"),
        ("ｼｮｳﾆﾝ　ｲﾁﾛｳ", "ショウニン イチロウ"),  # half-width kana
        ("Ｓａｔｏ　Ｉｃｈｉｒｏ", "Sato Ichiro"),
    ],
)
def test_a_name_is_compared_after_nfkc_and_whitespace(typed: str, expected: str) -> None:
    assert normalise_name(typed) == expected


@given(st.lists(st.text(min_size=1).map(normalise_name).filter(bool), min_size=1, max_size=4))
def test_normalising_is_idempotent_and_blind_to_the_spaces_between(parts: list[str]) -> None:
    name = " ".join(parts)
    assert normalise_name(normalise_name(name)) == normalise_name(name)
    assert normalise_name("\u3000" + "\u3000 \t".join(parts) + "  ") == normalise_name(name)


def test_a_sign_off_file_with_a_full_width_space_is_the_same_person(
    production_plan: Path,
) -> None:
    assert rehearse(production_plan).report.status == "reconciled"
    signoff = production_plan.parent / "signoff.yaml"
    signoff.write_text(
        "witness: 立会\u3000花子\napprovals:\n  係長: '  承認\u3000\u3000一郎 '\n  課長: 承認 四郎\n",
        "utf-8",
    )
    done = ikou("migrate", str(production_plan), "--signoff", str(signoff))
    assert done.returncode == 0, done.stdout + done.stderr
    report = _production_report(production_plan)
    assert report["status"] == "reconciled"
    assert {p["role"]: p["name"] for p in report["signon"]} == {  # the plan's spelling
        "witness": "立会 花子",
        "係長": "承認 一郎",
        "課長": "承認 四郎",
    }
    assert report["signon_started"] is True


def test_a_name_typed_at_the_terminal_full_width_is_recorded_as_the_plan_spells_it(
    production_plan: Path,
) -> None:
    rehearse(production_plan)
    full_width = str.maketrans("0123456789ABCDEF", "０１２３４５６７８９ＡＢＣＤＥＦ")
    names = {"witness": "立会\u3000次郎", "係長": "代理\u3000三郎", "課長": "誰か"}

    def ask(role: str, code: str) -> tuple[str, str]:
        return names[role], code.translate(full_width)  # an IME left in full-width mode

    result = migrate(production_plan, ask=ask)
    assert result.status == "refused"  # 課長's name is not listed: no run, but …
    assert [(c.role, c.name) for c in result.confirmations] == [  # … the others signed
        ("witness", "立会 次郎"),
        ("係長", "代理 三郎"),
    ]
    fails = [f"{c.item}: {c.reason}" for c in result.checks if c.status == "fail"]
    assert fails == ["sign-on 課長: 誰か may not sign as 課長 under this plan"]
    stages = [(e["stage"], e["outcome"]) for e in _production_events(production_plan)]
    assert stages[:3] == [
        ("preflight", "passed"),
        ("sign-on", "incomplete"),
        ("sources", "unchanged"),
    ]


def test_a_failed_preflight_asks_nobody(production_plan: Path) -> None:
    asked: list[str] = []

    def ask(role: str, code: str) -> tuple[str, str]:
        asked.append(role)
        return "立会 花子", code

    result = migrate(production_plan, ask=ask)  # no rehearsal: the preflight fails
    assert asked == []
    assert result.status == "refused" and result.confirmations == []
    assert result.refusal == "1 preflight check(s) failed; nobody was asked to sign on"
    assert not any(c.item.startswith(("sign-on", "sources unchanged")) for c in result.checks)
    events = _production_events(production_plan)
    assert [(e["stage"], e["outcome"]) for e in events][:2] == [
        ("preflight", "failed"),
        ("sign-on", "not started"),
    ]
    report = _production_report(production_plan)
    assert report["signon_started"] is False and report["signon"] == []
    assert [c["code"] for c in report["preflight"] if c["status"] == "fail"] == ["no_rehearsal"]
    assert not target_of(production_plan).exists()


@pytest.mark.skipif(sys.platform == "win32", reason="pexpect drives a POSIX terminal")
def test_a_failed_preflight_shows_no_sign_on_prompt_at_a_terminal(production_plan: Path) -> None:
    import pexpect

    child = pexpect.spawn(  # a terminal: ikou would ask there if it asked at all
        sys.executable,
        ["-m", "ikou", "migrate", str(production_plan), "--lang", "en"],
        env={**os.environ, "COLUMNS": "200"},
        encoding="utf-8",
        timeout=120,
    )
    child.expect(pexpect.EOF)
    child.close()
    said = child.before or ""
    assert child.exitstatus == 1, said
    assert "— name" not in said and "code shown above" not in said and ": code" not in said
    assert "nobody was asked to sign on" in said
    assert "no reconciled rehearsal" in said
