"""Writing a brief: ``brief.html`` and ``brief.json`` into a folder of their own.

By default the folder is new, in the plan's workspace
(``WORKSPACE/briefs/<UTC time>-<plan hash>``); ``--out`` names another. A
brief never replaces one already written — the council may hold it — so an
existing file is refused (exit 2) and the files are created exclusively.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ikou.errors import BadInput, OutputExistsError
from ikou.pipeline.brief.model import build_brief, default_folder
from ikou.pipeline.brief.profile import load_profile
from ikou.pipeline.brief.render import render_brief
from ikou.pipeline.plan import load_plan

__all__ = ["BriefResult", "write_brief"]


@dataclass(frozen=True)
class BriefResult:
    """Where the brief went, and its data (what ``brief.json`` holds)."""

    folder: Path
    html: Path
    json: Path
    data: dict[str, Any]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return list(self.data["warnings"])


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _folder(folder: Path, chosen: bool) -> None:
    """Make the brief's folder: a new one by default; ``--out`` may name one that exists."""
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"{folder} is a file; give --out a folder for the brief.", file=str(folder))
    if chosen:
        folder.mkdir(parents=True, exist_ok=True)
        return
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        raise OutputExistsError(
            f"{folder} already exists and ikou brief never replaces a brief; run it again in "
            "a second, or give --out another folder.",
            file=str(folder),
        ) from None


def _create(path: Path, text: str) -> None:
    """Write a new file; one already there (or a link by that name) is refused."""
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise OutputExistsError(
            f"{path} already exists and ikou brief never replaces a brief the council may "
            "hold; give --out another folder.",
            file=str(path),
        ) from None


def write_brief(
    plan_path: str | Path,
    *,
    profile: Path | None = None,
    lang: str = "ja",
    out: Path | None = None,
    production_date: dt.date | None = None,
) -> BriefResult:
    """Load the plan (and the profile), build the brief and write both files.

    Nothing but the plan, its mapping and contract and the profile is read;
    no source file is opened."""
    loaded = load_plan(plan_path)
    shape = load_profile(profile) if profile is not None else None
    generated = _utc_now()
    data = build_brief(
        loaded,
        profile=shape,
        production_date=production_date or dt.date.today(),
        generated=generated,
        lang=lang,
    )
    folder = out if out is not None else default_folder(loaded, generated)
    html_path, json_path = folder / "brief.html", folder / "brief.json"
    for path in (html_path, json_path):
        if path.exists() or path.is_symlink():
            raise OutputExistsError(
                f"{path} already exists and ikou brief never replaces a brief the council may "
                "hold; give --out another folder.",
                file=str(path),
            )
    html = render_brief(data, lang)
    _folder(folder, out is not None)
    _create(json_path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    _create(html_path, html)
    return BriefResult(folder=folder, html=html_path, json=json_path, data=data)
