"""The marker of synthetic files: ``ikou-twin.json`` beside them.

``ikou synth`` (and ``ikou demo``) record each file they write there, by name
and SHA-256. A rehearsal names a source file found in its folder's marker
with the same bytes a *synthetic twin*; any other file is *test data declared
by the operator*. The marker is a label for the report, not a gate: anyone
can write a JSON file. What keeps live data out of a rehearsal is the check
against the plan's production sources (:mod:`ikou.pipeline.rehearsal`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ikou.audit.hashing import file_sha256

__all__ = ["MARKER", "made_by", "mark_synthetic", "marked_files"]

MARKER = "ikou-twin.json"


def marked_files(folder: Path) -> dict[str, dict[str, str]]:
    """The files ``folder``'s marker lists, by name (empty when it has none or
    it cannot be read)."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, dict) else {}


def mark_synthetic(paths: Iterable[Path], made_by: str) -> None:
    """Record ``paths`` (files just written) as synthetic, made by ``made_by``
    (``ikou synth``, ``ikou demo``), in the marker of each one's folder."""
    by_folder: dict[Path, list[Path]] = {}
    for path in paths:
        by_folder.setdefault(path.parent, []).append(path)
    for folder, written in by_folder.items():
        files = marked_files(folder)
        for path in written:
            files[path.name] = {"sha256": file_sha256(path), "made_by": made_by}
        text = json.dumps({"ikou_twin": 1, "files": files}, ensure_ascii=False, indent=2)
        (folder / MARKER).write_text(text + "\n", encoding="utf-8")


def made_by(path: Path, sha256: str) -> str | None:
    """Which ikou command made the file with these bytes at ``path``, by its
    folder's marker; ``None`` when the marker does not list it as it is."""
    entry = marked_files(path.parent).get(path.name)
    if not isinstance(entry, dict) or entry.get("sha256") != sha256:
        return None
    return str(entry.get("made_by") or "ikou synth")
