"""The artifact store: journal before create, encryption, shredding, recovery."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from audit.artifacts import JOURNAL, ArtifactStore, Journal, shred_file
from audit.chain import ChainWriter, verify
from audit.platform import ProcessLock, ram_scratch_root
from pipeline.run import recover
from pipeline.stage import StageRecorder

SECRET = "雀野カナリア 090-8765-4321".encode()


def _store(workspace: Path, run_id: str = "run-1") -> tuple[ArtifactStore, ChainWriter]:
    writer = ChainWriter(workspace / "audit.log")
    recorder = StageRecorder(writer, run_id=run_id, mode="rehearsal", actor="test")
    store = ArtifactStore(workspace, run_id, "rehearsal", recorder.note)
    store.start()
    return store, writer


def _events(workspace: Path) -> list[dict[str, object]]:
    lines = (workspace / "audit.log").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_encrypted_artifact_round_trips_and_never_holds_plaintext(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    with store.create("test.decrypted-source") as writer:
        writer.write(SECRET * 1000)
    record = writer.record
    on_disk = Path(record.path).read_bytes()
    assert SECRET not in on_disk
    assert store.read(record) == SECRET * 1000
    assert record.size == len(on_disk) and record.sha256 is not None
    assert Path(record.path).parent == store.scratch
    if os.name == "posix":
        assert (store.scratch.stat().st_mode & 0o777) == 0o700
        assert (Path(record.path).stat().st_mode & 0o777) == 0o600


def test_plaintext_artifact_only_when_asked(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    with store.create("libreoffice.input", encrypted=False, suffix=".doc") as writer:
        writer.write(SECRET)
    assert Path(writer.record.path).read_bytes() == SECRET
    store.finish("ok")


def test_finish_shreds_every_artifact_with_an_event_per_step(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    records = []
    for purpose in ("one", "two"):
        with store.create(purpose) as writer:
            writer.write(SECRET)
        records.append(writer.record)
    store.finish("reconciled")
    assert all(r.shredded and r.verified for r in records)
    assert not any(Path(r.path).exists() for r in records)
    assert not store.scratch.exists()
    steps = [
        (e["stage"], e["artifact"], e["output_sha256"])
        for e in _events(tmp_path)
        if str(e["stage"]).startswith("artifact.")
    ]
    for record in records:
        mine = [s for s, a, h in steps if a == record.id and h == record.sha256]
        assert mine == [
            "artifact.closed",
            "artifact.overwrite",
            "artifact.rename",
            "artifact.unlink",
            "artifact.verify",
        ]
    kinds = [e["event"] for e in Journal(tmp_path / JOURNAL).entries()]
    assert kinds[0] == "run.start" and kinds[-1] == "run.end"
    assert kinds.count("artifact.registered") == 2 and kinds.count("artifact.shredded") == 2
    assert verify(tmp_path / "audit.log").ok
    summary = store.summary()
    assert all("path" not in a for a in summary["artifacts"])


def test_shred_file_overwrites_before_unlinking(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(SECRET * 100)
    steps: list[tuple[str, bool]] = []
    assert shred_file(path, lambda step, ok: steps.append((step, ok)))
    assert steps == [("overwrite", True), ("rename", True), ("unlink", True), ("verify", True)]
    assert list(tmp_path.iterdir()) == []


def test_scratch_is_ram_backed_where_the_os_has_a_tmpfs() -> None:
    from audit.platform import _tmpfs_mounts

    root, note = ram_scratch_root()
    if sys.platform.startswith("linux") and "/dev/shm" in _tmpfs_mounts():
        assert root == Path("/dev/shm"), note
    elif sys.platform.startswith("linux"):
        assert root is None and "scratch is on disk" in note
    else:
        assert root is None and "not available on this OS" in note


def test_a_live_run_is_left_alone(tmp_path: Path) -> None:
    store, writer = _store(tmp_path, "alive")
    with store.create("kept") as artifact:
        artifact.write(SECRET)
    lock = ProcessLock(tmp_path / "locks" / "alive.lock")
    assert not lock.acquire()  # this process holds it
    assert recover(tmp_path, writer, current="other") == []
    assert Path(artifact.record.path).exists()
    store.finish("ok")


_CRASHER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from audit.artifacts import ArtifactStore
    from audit.chain import ChainWriter
    from pipeline.stage import StageRecorder

    workspace = Path(sys.argv[1])
    recorder = StageRecorder(ChainWriter(workspace / "audit.log"), run_id="dead",
                             mode="rehearsal", actor="test")
    store = ArtifactStore(workspace, "dead", "rehearsal", recorder.note)
    store.start()
    recorder.note("run", "started")
    with store.create("first") as first:
        first.write(b"x" * 4096)
    with store.create("second") as second:
        second.write("雀野カナリア".encode() * 100)
    store.finish("ok")
    """
)


@pytest.mark.parametrize(
    ("point", "left_on_disk"),
    [
        ("artifact.registered", 0),  # killed between registration and creation
        ("artifact.written", 1),  # killed between creation and shredding
    ],
)
def test_a_killed_run_is_cleaned_up_by_the_next_command(
    tmp_path: Path, point: str, left_on_disk: int
) -> None:
    env = {**os.environ, "IKOU_FAULT": point}
    done = subprocess.run(
        [sys.executable, "-c", _CRASHER, str(tmp_path)], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == -9, done.stderr
    journal = Journal(tmp_path / JOURNAL).entries()
    registered = [e for e in journal if e["event"] == "artifact.registered"]
    assert len(registered) == 1
    path = Path(str(registered[0]["path"]))
    assert path.exists() == bool(left_on_disk)
    scratch = path.parent

    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "audit", "verify", str(tmp_path / "audit.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "recovered interrupted run dead: 1 artifact(s) shredded" in result.stderr
    assert not path.exists() and not scratch.exists()
    events = _events(tmp_path)
    assert events[-1]["stage"] == "run" and events[-1]["outcome"] == "aborted"
    assert events[-1]["run_id"] == "dead"
    if left_on_disk:
        assert [e["stage"] for e in events if e.get("artifact") == "a001"][-4:] == [
            "artifact.overwrite",
            "artifact.rename",
            "artifact.unlink",
            "artifact.verify",
        ]
    assert Journal(tmp_path / JOURNAL).entries()[-1] == {
        "event": "run.end",
        "outcome": "aborted",
        "run_id": "dead",
    }
    again = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "audit", "verify", str(tmp_path / "audit.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0 and "recovered" not in again.stderr  # recovered once
