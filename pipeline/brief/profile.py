"""What the brief takes from a structure-only profile: counts, never a value.

A profile (``ikou profile``) describes the live files' sheets and columns. The
brief needs only how many records each source holds, so it reads the profile's
``data_rows`` per sheet and nothing else of a sheet. Names are printed only
where the plan already prints them: a sheet is named when the plan's
``sheets:`` names it exactly, otherwise by its position (offices name sheets
after people); a file is counted, not named. The distinct values a profile
keeps for its ``keep_values`` columns are never read into the brief; the
brief only checks that no such column feeds a personal column.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from ikou.errors import BadInput
from ikou.pipeline.plan import LoadedPlan, SourceSpec

__all__ = ["Profile", "kept_value_columns", "load_profile", "source_counts"]


@dataclass(frozen=True)
class Profile:
    """A profile as the brief sees it: where it is, its files, its kept columns."""

    path: Path
    files: tuple[dict[str, Any], ...]
    keep_values: tuple[str, ...]


def load_profile(path: Path) -> Profile:
    """Read an ``ikou profile`` file; a file that is not one is bad input (exit 2).

    The message names the file and the line, never what the line holds."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"the profile {path} does not exist.", file=str(path)) from None
    except (OSError, UnicodeDecodeError):
        raise BadInput(
            f"the profile {path} cannot be read as UTF-8 text.", file=str(path)
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise BadInput(
            f"the profile {path} is not valid YAML{line}; write it again with ikou profile.",
            file=str(path),
        ) from None
    if not isinstance(data, dict) or data.get("ikou_profile") != 1:
        raise BadInput(
            f"{path} is not an ikou profile (ikou_profile: 1); give --profile the file "
            "ikou profile wrote.",
            file=str(path),
        )
    files = data.get("files")
    keep = data.get("keep_values") or []
    if not isinstance(files, list) or not isinstance(keep, list):
        raise BadInput(
            f"the profile {path} has no list of files; write it again with ikou profile."
        )
    return Profile(
        path=path,
        files=tuple(f for f in files if isinstance(f, dict)),
        keep_values=tuple(str(k) for k in keep),
    )


def _matches(name: str, spec: SourceSpec) -> bool:
    """Whether a profiled file's name fits the source's production or rehearsal
    path (by the last part of the path: a profile holds names, not folders)."""
    patterns = [spec.production, spec.rehearsal]
    return any(
        pattern is not None and fnmatch.fnmatchcase(name, PurePosixPath(pattern).name)
        for pattern in patterns
    )


def _read_sheets(sheets: list[dict[str, Any]], wanted: tuple[str, ...] | None) -> list[int]:
    """Positions (0-based) of the sheets a source reads, as extraction picks them:
    the visible ones, or those ``sheets:`` names (a hidden one only by its exact name)."""
    chosen = []
    for index, sheet in enumerate(sheets):
        name, hidden = str(sheet.get("name") or ""), bool(sheet.get("hidden"))
        if wanted is None:
            keep = not hidden
        else:
            keep = name in wanted or (
                not hidden and any(fnmatch.fnmatchcase(name, w) for w in wanted)
            )
        if keep:
            chosen.append(index)
    return chosen


def _rows(sheet: dict[str, Any]) -> int:
    value = sheet.get("data_rows")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def source_counts(plan: LoadedPlan, profile: Profile) -> dict[str, Any]:
    """Per source of the plan: the profiled files it would read, the sheets and
    their records (``data_rows``); and how many profiled files no source reads."""
    sources: dict[str, Any] = {}
    unmatched = 0
    for file in profile.files:
        name = str(file.get("name") or "")
        source = next((s for s, spec in plan.plan.sources.items() if _matches(name, spec)), None)
        if source is None:
            unmatched += 1
            continue
        wanted = plan.plan.sources[source].sheets
        entry = sources.setdefault(source, {"files": 0, "sheets": [], "records": 0})
        entry["files"] += 1
        sheets = [s for s in file.get("sheets") or [] if isinstance(s, dict)]
        for index in _read_sheets(sheets, wanted):
            sheet = sheets[index]
            name_in_plan = str(sheet.get("name") or "")
            rows = _rows(sheet)
            entry["sheets"].append(
                {
                    "file": entry["files"],
                    "position": index + 1,
                    "name": name_in_plan if wanted and name_in_plan in wanted else None,
                    "records": rows,
                }
            )
            entry["records"] += rows
    return {"path": profile.path.name, "sources": sources, "unmatched_files": unmatched}


def kept_value_columns(
    plan: LoadedPlan, profile: Profile, personal: dict[str, dict[str, bool]]
) -> list[dict[str, Any]]:
    """Each column whose values the profile keeps, with the target columns it
    feeds and whether any of them is personal (``personal``: table → column →
    personal). The values themselves are not read."""
    found = []
    for kept in profile.keep_values:
        feeds = []
        for table, mapping in plan.mapping.tables.items():
            for column, spec in mapping.columns.items():
                if kept in spec.source:
                    feeds.append({"table": table, "column": column})
        is_personal = any(personal.get(f["table"], {}).get(f["column"], True) for f in feeds)
        found.append({"column": kept, "feeds": feeds, "personal": is_personal})
    return found
