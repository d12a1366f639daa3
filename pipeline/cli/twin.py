"""``ikou profile`` and ``ikou synth``: structure-only profiles and synthetic twins.

Neither overwrites what exists without ``--force`` (exit 2 naming the file).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import click

from ikou.errors import BadInput, OutputExistsError, position
from ikou.pipeline.cli.common import out
from ikou.pipeline.cli.lang import say

__all__ = ["header_rows", "profile", "synth"]


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="The profile to write."
)
@click.option(
    "--keep-values",
    default="",
    help="Comma-separated columns that are not personal (団地名,税目): their values are copied.",
)
@click.option(
    "--header-row",
    default=None,
    metavar="N[,N]",
    help="The header's row (3), or its rows (3,4: up to three in a row), if not the guess.",
)
@click.option("--force", is_flag=True, help="Overwrite the output if it exists.")
def profile(
    files: tuple[Path, ...], output: Path, keep_values: str, header_row: str | None, force: bool
) -> None:
    """Write a structure-only profile of legacy FILES (no cell values) for ikou synth."""
    import yaml

    from ikou.pipeline.twin import profile_files

    rows = None if header_row is None else header_rows(header_row)
    if output.is_dir():
        raise BadInput(f"{output} is a folder; give -o the profile's file name.", file=str(output))
    if not output.parent.is_dir():
        raise BadInput(
            f"the folder {output.parent} for the profile does not exist; create it, or give -o "
            "a file in an existing folder.",
            file=str(output),
        )
    if any(output.exists() and output.samefile(f) for f in files if f.exists()):
        raise BadInput(f"{output} is one of the files to profile; give -o another name.")
    if not force and (output.exists() or output.is_symlink()):
        raise OutputExistsError(
            f"{output} already exists and ikou profile would overwrite it; choose another "
            "-o, or give --force to overwrite it.",
            file=str(output),
        )
    keep = tuple(name.strip() for name in keep_values.split(",") if name.strip())
    data = profile_files(list(files), keep_values=keep, header_row=rows)
    head = (
        "# ikou profile: the structure of legacy files, without their values\n"
        "# (except the distinct values of keep_values columns). Review it before it leaves\n"
        "# the office; then: ikou synth THIS_FILE -o twin/\n"
    )
    try:
        if output.is_symlink():  # replaced, never written through to where it points
            output.unlink()
        output.write_text(
            head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    except OSError as exc:
        raise BadInput(
            f"cannot write the profile {output} ({exc.strerror or type(exc).__name__}); give -o "
            "a file in a folder you can write to.",
            file=str(output),
        ) from None
    sheets = sum(len(f["sheets"]) for f in data["files"])
    for file in data["files"]:
        for sheet in file["sheets"]:
            if sheet.get("header_note"):
                where = position(file["name"], sheet["name"] or None)
                out().print(f"{where}: {sheet['header_note']}", markup=False)
    out().print(say("profiled", files=len(files), sheets=sheets, output=output), markup=False)


def header_rows(text: str) -> int | list[int]:
    """``--header-row``: one row (``3``), or one to three rows in a row, comma
    separated (``3,4``), 1-based; anything else is :class:`BadInput`."""
    parts = [part.strip() for part in unicodedata.normalize("NFKC", text).split(",")]
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise BadInput(
            f"--header-row '{text}' is not a row number; give one (3), or the header's rows "
            "separated by commas (3,4)."
        )
    rows = [int(part) for part in parts]
    if min(rows) < 1 or len(rows) > 3 or rows != list(range(rows[0], rows[0] + len(rows))):
        raise BadInput(
            f"--header-row '{text}' is not one to three rows in a row from row 1 on; give one "
            "(3), or consecutive rows separated by commas (3,4 or 2,3,4)."
        )
    return rows[0] if len(rows) == 1 else rows


@click.command()
@click.argument("profile_file", metavar="PROFILE", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="Folder for the twin."
)
@click.option("--rows", type=int, default=None, help="Data rows per sheet (default: as profiled).")
@click.option("--seed", type=int, default=2026, show_default=True, help="Faker and layout seed.")
@click.option("--force", is_flag=True, help="Overwrite twin files already in the folder.")
def synth(profile_file: Path, output: Path, rows: int | None, seed: int, force: bool) -> None:
    """Write synthetic twins of the files a PROFILE describes (Faker ja_JP data)."""
    import yaml

    from ikou.pipeline.twin import synthesize

    try:
        data = yaml.safe_load(profile_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise click.UsageError(f"cannot read the profile {profile_file}: {exc}") from None
    if not isinstance(data, dict) or data.get("ikou_profile") != 1:
        raise click.UsageError(f"{profile_file} is not an ikou profile (ikou_profile: 1).")
    for path in synthesize(data, output, rows=rows, seed=seed, force=force):
        out().print(say("wrote", path=path), markup=False)
