"""Bundled examples: their plans and the code that makes their synthetic data.

``housing``, a public-housing tenant ledger (.xls) with its household members
(Word) and waiting list (.ods), rehearsed into a database and the vendor's
import file; ``tax``, a tax section's list of overdue taxpayers (a CP932 CSV)
rehearsed into the call list a telephone-reminder dialer imports. Each
example's contract ships in ``validation/contracts``, its mapping in
``mappings/examples`` and its plan here, as package data, so ``ikou demo``
works from an installed wheel as well as from a checkout.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ikou.errors import OutputExistsError
from ikou.pipeline.examples.applicants import make_applicants, write_applicants
from ikou.pipeline.examples.housing import make_ledger, make_members, write_members_docx, write_xls
from ikou.pipeline.examples.tax import make_overdue, write_overdue_csv
from ikou.pipeline.twin.marker import mark_synthetic

__all__ = [
    "DEFAULT_ROWS",
    "EXAMPLES",
    "bundled_profile",
    "demo_files",
    "demo_medium",
    "example_files",
    "write_demo",
]

EXAMPLES = ("housing", "tax")
DEFAULT_ROWS = {"housing": 300, "tax": 200}  # tenants; taxpayers

# Each example's files as the demo writes them: name → (package, resource).
_FILES = {
    "housing": {
        "plan.yaml": ("ikou.pipeline.examples", "housing-plan.yaml"),
        "mapping.yaml": ("ikou.mappings.examples", "housing.yaml"),
        "contract.yaml": ("ikou.validation.contracts", "housing.yaml"),
        "estates.csv": ("ikou.mappings.examples", "estates.csv"),
    },
    "tax": {
        "plan.yaml": ("ikou.pipeline.examples", "tax-plan.yaml"),
        "mapping.yaml": ("ikou.mappings.examples", "tax.yaml"),
        "contract.yaml": ("ikou.validation.contracts", "tax.yaml"),
    },
}


def _known(example: str) -> None:
    if example not in EXAMPLES:
        raise ValueError(f"no example {example!r}; the examples are {', '.join(EXAMPLES)}")


def example_files(example: str = "housing") -> dict[str, str]:
    """An example's plan, mapping, contract (and lookup table) texts, by file name."""
    _known(example)
    return {
        name: resources.files(package).joinpath(resource).read_text("utf-8")
        for name, (package, resource) in _FILES[example].items()
    }


def bundled_profile() -> dict[str, Any]:
    """The structure-only profile the demo's ledger is synthesised from."""
    text = (
        resources.files("ikou.pipeline.examples")
        .joinpath("housing-profile.yaml")
        .read_text("utf-8")
    )
    return yaml.safe_load(text)


def demo_files(folder: Path, *, twin: bool = False, example: str = "housing") -> list[Path]:
    """Every file :func:`write_demo` writes into ``folder``: the plan and its files
    first, then the data — for housing the ledger(s), the members document and
    the waiting list; for tax the overdue list."""
    from ikou.pipeline.twin.synth import twin_paths

    _known(example)
    data = folder / "data"
    files = [folder / name for name in example_files(example)]
    if example == "tax":
        return [*files, data / "overdue.csv"]
    return [
        *files,
        *(twin_paths(bundled_profile(), data) if twin else [data / "ledger.xls"]),
        data / "members.docx",
        data / "applicants.ods",
    ]


def write_demo(
    folder: Path | None = None,
    *,
    example: str = "housing",
    rows: int | None = None,
    seed: int = 2026,
    twin: bool = False,
    force: bool = False,
) -> Path:
    """Write an example's synthetic data and plan files; return the plan's path.

    ``housing`` (the default): a synthetic ``ledger.xls``, its household
    members as ``members.docx`` (a Word table, made by code) and the waiting
    list as ``applicants.ods`` (one sheet per estate); ``rows`` tenants
    (default 300). ``twin`` synthesises the ledger from the bundled profile
    (what ``ikou demo`` does, as an office would from a profile of its live
    files); otherwise it is :func:`~pipeline.examples.housing.make_ledger`'s,
    whose planted faults the tests know row by row.

    ``tax``: the overdue taxpayers as ``overdue.csv`` (CP932, CRLF), from
    :func:`~pipeline.examples.tax.make_overdue` with ``rows`` taxpayers
    (default 200), its planted faults known row by row; it has no profile,
    so ``twin`` is refused.

    A ``folder`` that already holds one of :func:`demo_files` is refused with
    :class:`~ikou.errors.OutputExistsError` naming the first, before anything
    is written, unless ``force``.
    """
    _known(example)
    if twin and example != "housing":
        raise ValueError(f"the {example} example has no profile to synthesise a twin from")
    rows = DEFAULT_ROWS[example] if rows is None else rows
    if folder is not None and not force:
        for path in demo_files(folder, twin=twin, example=example):
            if path.exists() or path.is_symlink():
                raise OutputExistsError(
                    f"{path} already exists and the demo would overwrite it; choose another "
                    "--dir, or give --force to overwrite the demo's files.",
                    file=str(path),
                )
    target = Path(tempfile.mkdtemp(prefix="ikou-demo-")) if folder is None else folder
    target.mkdir(parents=True, exist_ok=True)
    (target / "data").mkdir(exist_ok=True)
    for path in demo_files(target, twin=twin, example=example):
        if path.is_symlink():  # forced: replaced, never written through to where it points
            path.unlink()
    if example == "tax":
        _write_tax_data(target / "data", rows, seed)
    else:
        _write_housing_data(target / "data", rows, seed, twin=twin, force=force)
    for name, text in example_files(example).items():
        (target / name).write_text(text, encoding="utf-8")
    return target / "plan.yaml"


def _write_housing_data(data: Path, rows: int, seed: int, *, twin: bool, force: bool) -> None:
    if twin:  # the twin's own refusal agrees: its files were checked above
        from ikou.pipeline.twin import synthesize

        synthesize(bundled_profile(), data, rows=rows, seed=seed, force=force)
    else:
        write_xls(make_ledger(rows, seed), data / "ledger.xls")
    write_members_docx(make_members(rows, seed), data / "members.docx")
    write_applicants(make_applicants(seed=seed), data / "applicants.ods")
    mark_synthetic(
        [data / name for name in ("members.docx", "applicants.ods")]
        + ([] if twin else [data / "ledger.xls"]),
        "ikou demo",
    )


def _write_tax_data(data: Path, rows: int, seed: int) -> None:
    write_overdue_csv(make_overdue(rows, seed), data / "overdue.csv")
    mark_synthetic([data / "overdue.csv"], "ikou demo")


DEMO_HOLDER = "デモ 花子"
"""Who the tax demo's simulated stick is registered to."""
CALL_LIST = "call_list.csv"


@contextmanager
def demo_medium(folder: Path, holder: str = DEMO_HOLDER) -> Iterator[Path]:
    """The tax demo's registered USB stick, simulated in ``folder``; yields the
    plan-relative folder its call list goes to.

    While the block runs, ``$IKOU_MEDIA_BAY`` names ``folder/usb`` (whose
    subfolders are the simulated sticks, docs/media.md) and ``$IKOU_MEDIA_DIR``
    ``folder/media`` (the demo's own media log, so a demo never touches the PC's
    real register); both are restored after. The stick is the first
    ``usb/stick-N`` that holds no call list yet — a forced rerun gets a fresh
    stick, and the earlier one keeps its call list until ``ikou media erase``,
    as a real one would — made and registered to ``holder`` when it is new."""
    from ikou.pipeline.media.devices import BAY_VARIABLE, devices, make_folder_medium
    from ikou.pipeline.media.register import MEDIA_DIR_VARIABLE, register, registered

    folder = Path(os.path.abspath(folder))
    bay, media = folder / "usb", folder / "media"
    saved = {name: os.environ.get(name) for name in (BAY_VARIABLE, MEDIA_DIR_VARIABLE)}
    bay.mkdir(parents=True, exist_ok=True)
    media.mkdir(exist_ok=True)
    os.environ[BAY_VARIABLE], os.environ[MEDIA_DIR_VARIABLE] = str(bay), str(media)
    try:
        number = 1
        while os.path.lexists(bay / f"stick-{number}" / CALL_LIST):
            number += 1
        name = f"stick-{number}"
        if not (bay / name).exists():
            make_folder_medium(bay, name, label="DEMO", model="ikou demo stick (simulation)")
        root = bay / name
        device = devices().medium_of(root)
        identity = None if device is None else device.identity()
        if not any(m.retired is None and m.device == identity for m in registered().values()):
            register(root, holder)
        yield Path("usb") / name
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
