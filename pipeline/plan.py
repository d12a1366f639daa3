"""The plan: which sources, which mapping and contract, which target, where to keep runs.

:func:`load_plan` reads the plan, its mapping and its contract, checks each
file's keys and then checks them against each other — all before a single
source byte is read — and fixes the plan's identity: the SHA-256 over the three
files, which later decides whether a production run may use a rehearsed plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ikou.errors import ConfigError
from ikou.mappings.spec import Mapping, load_mapping
from ikou.mappings.yamlfile import Names, Strict, load_model
from ikou.pipeline.importspec import ImportFile, check_import_files, gaiji_files
from ikou.validation.contract import Contract, load_contract

__all__ = [
    "Certification",
    "LoadedPlan",
    "People",
    "Plan",
    "RehearsalRule",
    "SourceLimits",
    "SourceSpec",
    "TargetSpec",
    "Vendor",
    "load_plan",
]

_REFUSED_ENCODINGS = {
    "shift_jis": "shift_jis cannot decode 髙 or ①",
    "shift-jis": "shift_jis cannot decode 髙 or ①",
    "sjis": "shift_jis cannot decode 髙 or ①",
    "s_jis": "shift_jis cannot decode 髙 or ①",
    "shift_jisx0213": "shift_jisx0213 silently turns 髙 and 﨑 into other kanji",
    "shift_jis_2004": "shift_jis_2004 silently turns 髙 and 﨑 into other kanji",
}
_ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp932", "utf-16")


class SourceLimits(Strict):
    """How much of one source file ikou reads before refusing it (defaults fit a city ledger)."""

    cells: int = Field(default=25_000_000, gt=0)
    unpacked_mb: int = Field(default=2048, gt=0)
    seconds: int = Field(default=600, gt=0)
    memory_mb: int = Field(default=4096, gt=0)


class SourceSpec(Strict):
    """One legacy source: the files a rehearsal reads and how to read them."""

    rehearsal: str
    production: str | None = None
    format: Literal["auto", "xls", "xlsx", "xlsm", "xlsb", "ods", "xml", "csv", "docx", "doc"] = (
        "auto"
    )
    limits: SourceLimits = SourceLimits()
    tables: tuple[int, ...] | None = None
    sheets: Names | None = None
    header_row: int | tuple[int, ...] | Literal["auto"] = "auto"
    """The header's row (1-based), its consecutive rows when it spans two or
    three (``[3, 4]``: group cells over names; each column is named by its
    path, ``学級数/計``), or ``auto``: the first that names every mapped column."""
    title: str | None = None
    """One of several tables stacked in a sheet, by its title: ``auto`` looks
    for the header under the first row holding a cell that contains these
    words (compared as header names are: NFKC, no spaces)."""
    encoding: str = "auto"
    delimiter: str = ","
    password_env: str | None = None

    @field_validator("password_env")
    @classmethod
    def _variable_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(
                "password_env names an environment variable (letters, digits, _), "
                "never the password itself"
            )
        return value

    @field_validator("header_row")
    @classmethod
    def _positive(cls, value: int | tuple[int, ...] | str) -> int | tuple[int, ...] | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("header_row counts from 1 (the first row of the sheet), or is 'auto'")
        if isinstance(value, tuple):
            first = value[0] if value else 0
            if (
                not 1 <= len(value) <= 3
                or first < 1
                or list(value) != list(range(first, first + len(value)))
            ):
                raise ValueError(
                    "header_row lists one to three consecutive rows from the top, "
                    "counting from 1 (e.g. [3, 4])"
                )
        return value

    @model_validator(mode="after")
    def _title_with_auto(self) -> SourceSpec:
        if self.title is not None and self.header_row != "auto":
            raise ValueError(
                "title: picks a table for header_row: auto; with a header_row the row "
                "already says which table"
            )
        return self

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        lowered = value.lower()
        if lowered in _REFUSED_ENCODINGS:
            raise ValueError(
                f"use encoding: cp932 instead of {value} ({_REFUSED_ENCODINGS[lowered]})"
            )
        lowered = lowered.replace("_", "-")
        if lowered in ("utf8",):
            lowered = "utf-8"
        if lowered in ("windows-31j", "ms932", "mskanji"):
            lowered = "cp932"
        if lowered not in _ENCODINGS:
            raise ValueError(f"encoding must be one of {', '.join(_ENCODINGS)}")
        return lowered

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("delimiter must be a single character, e.g. ',' or '\\t'")
        return value


class TargetSpec(Strict):
    """The new system's database (SQLAlchemy URLs), and the tables written instead to
    the vendor's import files (``files``: table → :class:`~.importspec.ImportFile`)."""

    url: str | None = None
    rehearsal_url: str | None = None
    files: dict[str, ImportFile] = Field(default_factory=dict)
    if_exists: Literal["fail", "append"] = "fail"
    """A target table that already holds rows: refused (``fail``), or this run's
    rows added beside them and reconciled alone (``append``; docs/targets.md)."""


class People(Strict):
    """Who owns, operates, witnesses and approves the production run.

    Every approval role lists the people who may sign for it — a substitute
    must be named here beforehand, never chosen on the day.
    """

    owner: str
    operator: str
    witnesses: tuple[str, ...]
    approvals: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("witnesses")
    @classmethod
    def _some_witness(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or any(not name.strip() for name in value):
            raise ValueError("name at least one eligible witness")
        return value

    @field_validator("approvals")
    @classmethod
    def _named(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for role, names in value.items():
            if not names or any(not name.strip() for name in names):
                raise ValueError(f"approval role {role!r} needs the names of who may sign for it")
        return value


class Certification(Strict):
    """A certification of the operator's company (ISMS, Privacy Mark …)."""

    name: str
    number: str
    expires: dt.date


class Vendor(Strict):
    """The operator's company."""

    company: str
    certifications: tuple[Certification, ...] = ()


class RehearsalRule(Strict):
    """How recent the passing rehearsal of the exact plan must be, what it leaves
    behind, and how many rejected rows a run may have and still pass."""

    max_age_days: int = 30
    keep_target: bool = False
    """Keep the rehearsal's SQLite target in its run folder (for inspection)
    instead of shredding it before the report; ``ikou shred`` destroys it later."""
    max_rejected: float | None = None
    """The largest share of a table's source rows, in percent (0–100, ``2.5``
    allowed), that a run may reject and still pass — a rehearsal and a
    production run alike. A table rejecting more fails the run
    (``too_many_rejected``, exit 1) and nothing is committed, as a table that
    loads no row always does (``nothing_loaded``). ``None``: no limit."""

    @field_validator("max_age_days")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("max_age_days must be at least 1")
        return value

    @field_validator("max_rejected", mode="before")
    @classmethod
    def _percentage(cls, value: object) -> object:
        if value is None:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(
                "max_rejected is a percentage: a number from 0 to 100 (5 or 2.5, without %)"
            )
        if not 0 <= value <= 100:  # NaN fails this too
            raise ValueError("max_rejected is a percentage from 0 to 100")
        return float(value)


class MediaRule(Strict):
    """What the council allows of removable media during a run (docs/media.md)."""

    watch: Literal["required", "optional"] = "optional"
    """``required``: a production run needs ``ikou media watch`` running on the
    PC from its preflight to its commit; every insertion in its window is in the
    report, an unregistered medium marked."""


class Site(Strict):
    """Where the work happens, for the council's brief (作業場所)."""

    place: str
    """The room and building (情報政策課 作業室、本庁舎3階)."""
    pc: str
    """The PC the migration runs on, as the office knows it (its asset number)."""
    network: str | None = None
    """What network the PC is on during the work, in the office's words
    (「作業中は庁内ネットワークから切り離す」)."""


class CouncilRule(Strict):
    """Whether a production run needs the privacy council's approval of this exact
    plan (``ikou council record``, docs/council.md): required unless the plan
    says ``required: false`` with the reason, which every report prints."""

    required: bool = True
    reason: str | None = None

    @model_validator(mode="after")
    def _reason_when_not_required(self) -> CouncilRule:
        if not self.required and not (self.reason or "").strip():
            raise ValueError("council: {required: false} needs the reason, which reports print")
        return self


class Plan(Strict):
    """The plan file."""

    plan: str
    description: str | None = None
    section: str | None = None
    """The section that owns the data and the migration (所管課), for the brief."""
    mapping: str
    contract: str
    workspace: str = "ikou-work"
    sources: dict[str, SourceSpec]
    target: TargetSpec = Field(default_factory=TargetSpec)
    people: People | None = None
    vendor: Vendor | None = None
    rehearsal: RehearsalRule = Field(default_factory=RehearsalRule)
    media: Literal["none"] | MediaRule | None = None
    """``none``: no removable medium may be inserted during a production run
    (which then needs ``ikou media watch`` running to prove it); or the rule."""
    site: Site | None = None
    council: CouncilRule = Field(default_factory=CouncilRule)

    @field_validator("sources")
    @classmethod
    def _not_empty(cls, value: dict[str, SourceSpec]) -> dict[str, SourceSpec]:
        if not value:
            raise ValueError("a plan needs at least one source")
        return value


@dataclass(frozen=True)
class LoadedPlan:
    """A plan with its mapping and contract, checked against each other."""

    path: Path
    plan: Plan
    mapping_path: Path
    mapping: Mapping
    contract_path: Path
    contract: Contract
    file_sha256: dict[str, str]
    sha256: str

    @property
    def base(self) -> Path:
        """The folder the plan's relative paths start from."""
        return self.path.parent

    @property
    def workspace(self) -> Path:
        """Where runs, reports and the audit log live."""
        return (self.base / self.plan.workspace).resolve()

    def target_url(self, which: str) -> str | None:
        """The target's URL for a ``production`` or ``rehearsal`` run; a relative
        SQLite path is taken from the plan's folder, like every path in a plan
        (not from wherever ikou happens to be started)."""
        target = self.plan.target
        url = target.url if which == "production" else target.rehearsal_url
        return None if url is None else _anchored(url, self.base)


def _anchored(url: str, base: Path) -> str:
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return url  # open_target says what is wrong with it
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return url
    if database.startswith("file:") or Path(database).is_absolute():
        return url
    absolute = (base / database).resolve().as_posix()
    return parsed.set(database=absolute).render_as_string(hide_password=False)


def _relative(path: Path, folder: Path) -> str:
    """``path`` as written from ``folder`` (its name alone across Windows drives)."""
    try:
        return Path(os.path.relpath(path, folder)).as_posix()
    except ValueError:
        return path.name


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cross_check(loaded: LoadedPlan) -> None:
    mapping, contract = loaded.mapping, loaded.contract
    mfile, cfile = loaded.mapping_path, loaded.contract_path

    def fail(file: Path, key: str, message: str) -> None:
        raise ConfigError(f"{file}: {key}: {message}.", file=str(file), key=key)

    for table_name, table in mapping.tables.items():
        where = f"tables.{table_name}"
        if table_name not in contract.tables:
            fail(mfile, where, f"the contract {cfile.name} has no table {table_name!r}")
        target = contract.tables[table_name]
        if table.source not in loaded.plan.sources:
            fail(
                mfile,
                f"{where}.source",
                f"the plan {loaded.path.name} has no source {table.source!r}",
            )
        for column in table.columns:
            if column not in target.columns:
                fail(
                    mfile,
                    f"{where}.columns.{column}",
                    f"the contract's table {table_name!r} has no column {column!r}",
                )
        for column, spec in target.columns.items():
            if spec.generated is not None:
                if column in table.columns:
                    fail(
                        mfile,
                        f"{where}.columns.{column}",
                        f"the contract generates {column} ({spec.generated}); do not map it",
                    )
                continue
            needed = spec.required or column in target.primary_key
            if needed and column in table.columns and table.columns[column].on_error == "null":
                fail(
                    mfile,
                    f"{where}.columns.{column}.on_error",
                    "null empties a failed cell, but the contract requires this column "
                    f"({'primary key' if column in target.primary_key else 'required'}); "
                    "use on_error: reject",
                )
            if needed and column not in table.columns:
                fail(
                    cfile,
                    f"tables.{table_name}.columns.{column}",
                    f"this column is required, but the mapping {mfile.name} does not feed it",
                )
        for index, total in enumerate(table.totals):
            for column in total.columns:
                if target.columns[column].type not in ("integer", "decimal"):
                    fail(
                        mfile,
                        f"{where}.totals[{index}].columns",
                        f"{column} is not an integer or decimal column of the contract",
                    )
        for index, control in enumerate(table.controls):
            key = f"{where}.controls[{index}]"
            if control.column is None:
                continue
            if control.column not in table.columns:
                fail(mfile, key, f"{control.label} names a column the mapping does not feed")
            spec = target.columns[control.column]
            if control.kind == "sum" and spec.type not in ("integer", "decimal"):
                fail(mfile, key, f"{control.label} needs an integer or decimal column")
            if control.kind == "count_by" and spec.allowed is None:
                fail(
                    mfile,
                    key,
                    f"{control.label} needs a column with 'allowed' values in the contract, "
                    "so that its categories come from the contract and never from the data",
                )


def run_cross_controls(loaded: LoadedPlan) -> None:
    mfile = loaded.mapping_path
    for index, control in enumerate(loaded.mapping.cross_controls):
        for side in (control.left, control.right):
            table, column = control.parse(side)
            key = f"cross_controls[{index}]"
            if table not in loaded.mapping.tables:
                raise ConfigError(
                    f"{mfile}: {key}: {side} names a table the mapping does not fill.",
                    file=str(mfile),
                    key=key,
                )
            if column is not None:
                spec = loaded.contract.tables[table].columns.get(column)
                if spec is None or spec.type != "integer":
                    raise ConfigError(
                        f"{mfile}: {key}: {side} needs an integer column of {table}.",
                        file=str(mfile),
                        key=key,
                    )


def load_plan(path: str | Path) -> LoadedPlan:
    """Load and check a plan, its mapping and its contract (ConfigError → exit 2)."""
    plan_path = Path(path).resolve()
    plan = load_model(plan_path, Plan, "plan")
    mapping_path = (plan_path.parent / plan.mapping).resolve()
    contract_path = (plan_path.parent / plan.contract).resolve()
    mapping = load_mapping(mapping_path)
    contract = load_contract(contract_path)
    hashes = {
        "plan": _sha256(plan_path),
        "mapping": _sha256(mapping_path),
        "contract": _sha256(contract_path),
    }
    for file, digest in sorted(mapping.files().items()):  # lookup tables
        hashes[f"lookup:{_relative(Path(file), mapping_path.parent)}"] = digest
    for table, path in gaiji_files(plan.target.files, plan_path.parent).items():  # 外字表
        if path.is_file():  # a missing one: check_import_files names it
            hashes[f"gaiji:{table}"] = _sha256(path)
    combined = "\n".join(f"{name}:{digest}" for name, digest in hashes.items())
    loaded = LoadedPlan(
        path=plan_path,
        plan=plan,
        mapping_path=mapping_path,
        mapping=mapping,
        contract_path=contract_path,
        contract=contract,
        file_sha256=hashes,
        sha256=hashlib.sha256(combined.encode("ascii")).hexdigest(),
    )
    _cross_check(loaded)
    run_cross_controls(loaded)
    check_import_files(plan.target.files, contract, mapping, plan_path)
    return loaded
