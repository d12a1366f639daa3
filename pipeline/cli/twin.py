"""``ikou profile`` and ``ikou synth``: structure-only profiles and synthetic twins.

Neither overwrites what exists without ``--force`` (exit 2 naming the file).
"""

from __future__ import annotations

from pathlib import Path

import click

from ikou.errors import BadInput, OutputExistsError, position
from ikou.pipeline.cli.common import out
from ikou.pipeline.cli.lang import say

__all__ = ["profile", "synth"]


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
@click.option("--header-row", type=int, default=None, help="The header's row, if not the guess.")
@click.option("--force", is_flag=True, help="Overwrite the output if it exists.")
def profile(
    files: tuple[Path, ...], output: Path, keep_values: str, header_row: int | None, force: bool
) -> None:
    """Write a structure-only profile of legacy FILES (no cell values) for ikou synth."""
    import yaml

    from ikou.pipeline.twin import profile_files

    if output.is_dir():
        raise BadInput(f"{output} is a folder; give -o the profile's file name.", file=str(output))
    if any(output.exists() and output.samefile(f) for f in files if f.exists()):
        raise BadInput(f"{output} is one of the files to profile; give -o another name.")
    if not force and (output.exists() or output.is_symlink()):
        raise OutputExistsError(
            f"{output} already exists and ikou profile would overwrite it; choose another "
            "-o, or give --force to overwrite it.",
            file=str(output),
        )
    keep = tuple(name.strip() for name in keep_values.split(",") if name.strip())
    data = profile_files(list(files), keep_values=keep, header_row=header_row)
    head = (
        "# ikou profile: the structure of legacy files, without their values\n"
        "# (except the distinct values of keep_values columns). Review it before it leaves\n"
        "# the office; then: ikou synth THIS_FILE -o twin/\n"
    )
    if output.is_symlink():  # replaced, never written through to where it points
        output.unlink()
    output.write_text(
        head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    sheets = sum(len(f["sheets"]) for f in data["files"])
    for file in data["files"]:
        for sheet in file["sheets"]:
            if sheet.get("header_note"):
                where = position(file["name"], sheet["name"] or None)
                out().print(f"{where}: {sheet['header_note']}", markup=False)
    out().print(say("profiled", files=len(files), sheets=sheets, output=output), markup=False)


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
