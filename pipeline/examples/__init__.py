"""Bundled examples: the housing-ledger plan and the code that makes its synthetic data.

The example's contract ships in ``validation/contracts``, its mapping in
``mappings/examples`` and its plan here, as package data, so ``ikou demo``
works from an installed wheel as well as from a checkout.
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ikou.errors import OutputExistsError
from ikou.pipeline.examples.applicants import make_applicants, write_applicants
from ikou.pipeline.examples.housing import make_ledger, make_members, write_members_docx, write_xls
from ikou.pipeline.twin.marker import mark_synthetic

__all__ = ["bundled_profile", "demo_files", "example_files", "write_demo"]


def example_files() -> dict[str, str]:
    """The housing example's plan, mapping, contract and lookup table texts, by file name."""
    return {
        "plan.yaml": resources.files("ikou.pipeline.examples")
        .joinpath("housing-plan.yaml")
        .read_text("utf-8"),
        "mapping.yaml": resources.files("ikou.mappings.examples")
        .joinpath("housing.yaml")
        .read_text("utf-8"),
        "contract.yaml": resources.files("ikou.validation.contracts")
        .joinpath("housing.yaml")
        .read_text("utf-8"),
        "estates.csv": resources.files("ikou.mappings.examples")
        .joinpath("estates.csv")
        .read_text("utf-8"),
    }


def bundled_profile() -> dict[str, Any]:
    """The structure-only profile the demo's ledger is synthesised from."""
    text = (
        resources.files("ikou.pipeline.examples")
        .joinpath("housing-profile.yaml")
        .read_text("utf-8")
    )
    return yaml.safe_load(text)


def demo_files(folder: Path, *, twin: bool = False) -> list[Path]:
    """Every file :func:`write_demo` writes into ``folder``: the plan and its files
    first, then the ledger(s), the members document and the waiting list."""
    from ikou.pipeline.twin.synth import twin_paths

    data = folder / "data"
    return [
        *(folder / name for name in example_files()),
        *(twin_paths(bundled_profile(), data) if twin else [data / "ledger.xls"]),
        data / "members.docx",
        data / "applicants.ods",
    ]


def write_demo(
    folder: Path | None = None,
    *,
    rows: int = 300,
    seed: int = 2026,
    twin: bool = False,
    force: bool = False,
) -> Path:
    """Write a synthetic ``ledger.xls``, its household members as ``members.docx``
    (a Word table, made by code), the waiting list as ``applicants.ods`` (one
    sheet per estate) and the example plan files; return the plan's path.

    ``twin`` synthesises the ledger from the bundled profile (what ``ikou
    demo`` does, as an office would from a profile of its live files);
    otherwise it is :func:`~pipeline.examples.housing.make_ledger`'s, whose
    planted faults the tests know row by row.

    A ``folder`` that already holds one of :func:`demo_files` is refused with
    :class:`~ikou.errors.OutputExistsError` naming the first, before anything
    is written, unless ``force``.
    """
    if folder is not None and not force:
        for path in demo_files(folder, twin=twin):
            if path.exists() or path.is_symlink():
                raise OutputExistsError(
                    f"{path} already exists and the demo would overwrite it; choose another "
                    "--dir, or give --force to overwrite the demo's files.",
                    file=str(path),
                )
    target = Path(tempfile.mkdtemp(prefix="ikou-demo-")) if folder is None else folder
    target.mkdir(parents=True, exist_ok=True)
    (target / "data").mkdir(exist_ok=True)
    for path in demo_files(target, twin=twin):
        if path.is_symlink():  # forced: replaced, never written through to where it points
            path.unlink()
    if twin:  # the twin's own refusal agrees: its files were checked above
        from ikou.pipeline.twin import synthesize

        synthesize(bundled_profile(), target / "data", rows=rows, seed=seed, force=force)
    else:
        write_xls(make_ledger(rows, seed), target / "data" / "ledger.xls")
    write_members_docx(make_members(rows, seed), target / "data" / "members.docx")
    write_applicants(make_applicants(seed=seed), target / "data" / "applicants.ods")
    mark_synthetic(
        [target / "data" / name for name in ("members.docx", "applicants.ods")]
        + ([] if twin else [target / "data" / "ledger.xls"]),
        "ikou demo",
    )
    for name, text in example_files().items():
        (target / name).write_text(text, encoding="utf-8")
    return target / "plan.yaml"
