"""The audit chain: appends verify; every kind of tampering is named by line."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from audit.chain import GENESIS, ChainWriteError, ChainWriter, event_hash, verify


def _log(tmp_path: Path, events: int = 5) -> Path:
    path = tmp_path / "audit.log"
    writer = ChainWriter(path)
    for n in range(events):
        writer.append(
            {
                "time": "2026-01-01T00:00:00Z",
                "run_id": "r1",
                "stage": f"s{n}",
                "counts": {"rows": n},
            }
        )
    return path


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_intact_chain_verifies_and_reports_head(tmp_path: Path) -> None:
    path = _log(tmp_path)
    result = verify(path)
    assert result.ok and result.events == 5
    last = json.loads(_lines(path)[-1])
    assert result.head == last["hash"] == event_hash(last)
    assert json.loads(_lines(path)[0])["prev"] == GENESIS


def test_writer_resumes_an_existing_log(tmp_path: Path) -> None:
    path = _log(tmp_path, 3)
    ChainWriter(path).append({"time": "t", "stage": "later"})
    assert verify(path).events == 4


def test_edited_line_is_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    lines[2] = lines[2].replace('"rows":2', '"rows":7')
    path.write_text("".join(lines), encoding="utf-8")
    result = verify(path)
    assert not result.ok and result.bad_line == 3 and "edited" in (result.problem or "")


def test_inserted_line_is_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    forged = {
        "time": "t",
        "run_id": "r1",
        "stage": "forged",
        "seq": 2,
        "prev": json.loads(lines[0])["hash"],
    }
    forged["hash"] = event_hash(forged)
    lines.insert(1, json.dumps(forged) + "\n")  # self-consistent: only its successor breaks
    path.write_text("".join(lines), encoding="utf-8")
    result = verify(path)
    assert not result.ok and result.bad_line == 3


def test_deleted_line_is_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    del lines[1]
    path.write_text("".join(lines), encoding="utf-8")
    result = verify(path)
    assert not result.ok and result.bad_line == 2


def test_reordered_lines_are_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_text("".join(lines), encoding="utf-8")
    result = verify(path)
    assert not result.ok and result.bad_line == 2


def test_truncated_log_fails_against_the_signed_head(tmp_path: Path) -> None:
    path = _log(tmp_path)
    head = verify(path).head
    assert head is not None
    lines = _lines(path)
    path.write_text("".join(lines[:-2]), encoding="utf-8")
    assert verify(path).ok  # the log alone cannot see lost tail lines…
    result = verify(path, head=head[:16])
    assert not result.ok and "not in this chain" in (result.problem or "")  # …the paper can


def test_head_in_short_form_is_found(tmp_path: Path) -> None:
    path = _log(tmp_path)
    third = json.loads(_lines(path)[2])["hash"]
    short = "-".join(third[i : i + 4] for i in range(0, 16, 4))
    result = verify(path, head=short)
    assert result.ok and result.head_found_at == 3
    assert "2 event(s) appended after it" in result.sentence()


def test_torn_last_line_is_reported_as_such(tmp_path: Path) -> None:
    path = _log(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-30])
    result = verify(path)
    assert not result.ok and result.torn and result.bad_line == 5
    assert "torn last line" in result.sentence()
    with pytest.raises(ChainWriteError, match="torn"):
        ChainWriter(path)


def test_garbage_in_the_middle_is_not_called_torn(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    lines[1] = "{not json\n"
    path.write_text("".join(lines), encoding="utf-8")
    result = verify(path)
    assert not result.ok and not result.torn and result.bad_line == 2


def test_chain_module_uses_only_the_standard_library() -> None:
    source = Path(sys.modules["audit.chain"].__file__ or "").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def _append_many(path: str, tag: str, count: int) -> None:
    writer = ChainWriter(path)
    for n in range(count):
        writer.append({"time": "t", "run_id": tag, "stage": f"s{n}"})


def test_two_writers_at_once_keep_the_chain_valid(tmp_path: Path) -> None:
    import multiprocessing

    path = str(tmp_path / "audit.log")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(path, tag, 40)) for tag in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    result = verify(path)
    assert result.ok and result.events == 80 and set(result.runs) == {"a", "b"}


def test_last_line_is_found_across_block_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    writer = ChainWriter(path)
    for n in range(3):
        writer.append({"time": "t", "stage": "x" * (3000 + n * 1500)})
    assert ChainWriter(path).head == writer.head == verify(path).head
