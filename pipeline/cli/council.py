"""``ikou council record``: the privacy council's decision on a plan, chained
against the plan's exact files (docs/council.md)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from ikou.pipeline.cli.common import out
from ikou.pipeline.cli.lang import say

__all__ = ["council"]


@click.group()
def council() -> None:
    """The privacy council's decision on a plan: record."""


@council.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--body", required=True, help="The council, as its records name it.")
@click.option("--item", required=True, help="The agenda item it decided (諮問第6号).")
@click.option("--date", "day", required=True, help="The day it decided, YYYY-MM-DD.")
@click.option(
    "--decision",
    type=click.Choice(["approved", "conditional", "rejected"]),
    required=True,
    help="What it decided.",
)
@click.option(
    "--conditions",
    type=click.Path(path_type=Path),
    default=None,
    help="A UTF-8 text file of the council's conditions, one per line.",
)
def record(
    plan: Path, body: str, item: str, day: str, decision: str, conditions: Path | None
) -> None:
    """Record the council's decision on PLAN.

    It is chained in the plan's workspace audit log with the plan's SHA-256
    and every plan file's (plan, mapping, contract, lookup tables)."""
    from ikou.pipeline.production.council import record_decision

    found = record_decision(
        plan, body=body, item=item, date=day, decision=decision, conditions_file=conditions
    )
    out().print(
        escape(
            say(
                "council.recorded",
                body=found.body,
                item=found.item,
                date=found.date,
                decision=say(f"decision.{found.decision}"),
                conditions=len(found.conditions),
                plan=found.plan,
                sha=found.plan_sha256[:16],
                files=len(found.files),
            )
        )
    )
