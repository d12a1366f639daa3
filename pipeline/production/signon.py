"""Sign-on: the witness and each approval role confirm, at the terminal or by a sign-off file."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ikou.errors import ConfigError
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.production.preflight import Check
from ikou.pipeline.session import utc_now

__all__ = ["Ask", "Confirmation", "normalise_name", "read_signoff", "sign_on"]

Ask = Callable[[str, str], tuple[str, str]]
"""``ask(role, code)`` → (the name the person typed, the code they typed)."""


def normalise_name(name: str) -> str:
    """A name as it is compared: NFKC (full-width letters and the ideographic
    space U+3000 become their plain forms), runs of whitespace one space, none
    at either end — ``承認\u3000一郎`` and `` 承認  一郎`` are ``承認 一郎``."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def _listed(name: str, eligible: tuple[str, ...]) -> str | None:
    """The plan's spelling of ``name`` when it is among ``eligible``, compared normalised."""
    wanted = normalise_name(name)
    return next((e for e in eligible if normalise_name(e) == wanted), None)


@dataclass(frozen=True)
class Confirmation:
    """One person's sign-on: role, name, how it came, when."""

    role: str
    name: str
    method: str  # "terminal" or "file"
    time: str


def read_signoff(path: Path) -> dict[str, str]:
    """A sign-off file: ``witness: name`` and ``approvals: {role: name}``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the sign-off file {path}: {exc}.", file=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("witness"), str):
        raise ConfigError(
            f"{path}: a sign-off file holds 'witness: name' and 'approvals: {{role: name}}'.",
            file=str(path),
        )
    approvals = data.get("approvals") or {}
    if not isinstance(approvals, dict):
        raise ConfigError(f"{path}: approvals must map each role to a name.", file=str(path))
    return {"witness": data["witness"], **{str(k): str(v) for k, v in approvals.items()}}


def sign_on(
    plan: LoadedPlan, signoff: dict[str, str] | None, ask: Ask | None
) -> tuple[list[Confirmation], list[Check]]:
    """The witness and each approval role confirm; each is checked against the plan.

    Names are compared normalised (:func:`normalise_name`) on both sides; a
    confirmation records the plan's spelling of the name."""
    people = plan.plan.people
    assert people is not None
    roles: list[tuple[str, tuple[str, ...]]] = [("witness", people.witnesses)]
    roles += list(people.approvals.items())
    confirmations, checks = [], []
    for role, eligible in roles:
        if signoff is not None:
            name, method = signoff.get(role), "file"
            present = name is not None
        elif ask is not None:
            code = secrets.token_hex(2).upper()
            name, typed = ask(role, code)
            method = "terminal"
            present = normalise_name(typed).upper() == code  # a code typed full-width too
        else:
            name, method, present = None, "none", False
        item = f"sign-on {role}"
        name = normalise_name(name) if name is not None else None
        if not name or not present:
            checks.append(Check(item, "fail", "signon_code" if name else "signon_nobody"))
            continue
        listed = _listed(name, eligible)
        if listed is None:
            checks.append(Check(item, "fail", "signon_not_listed", {"name": name, "role": role}))
            continue
        name = listed
        confirmations.append(Confirmation(role, name, method, utc_now()))
        how = "signon_terminal" if method == "terminal" else "signon_file"
        checks.append(Check(item, "ok", how, {"name": name}))
    return confirmations, checks
