"""The artifact store: journal before create, encryption, shredding, recovery —
and a journal that cannot be turned against files outside ikou's scratch."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ikou.audit.artifacts import JOURNAL, ArtifactStore, Journal, Tampered, recover_artifacts
from ikou.audit.chain import ChainBroken, ChainWriter, audit_key, key_folder
from ikou.audit.platform import ProcessLock, ram_scratch_root
from ikou.audit.shredding import NotOurs, shred_file, shred_tree
from ikou.pipeline.session import StageRecorder
from tests.conftest import chain_events, run_ikou

SECRET = "雀野カナリア 090-8765-4321".encode()
POSIX = pytest.mark.skipif(os.name != "posix", reason="links and dir_fd are POSIX here")


def _store(workspace: Path, run_id: str | None = None) -> tuple[ArtifactStore, ChainWriter]:
    run_id = run_id or f"run-{secrets.token_hex(4)}"  # /dev/shm is shared by every test
    key = audit_key(create=True)
    assert key is not None
    writer = ChainWriter(workspace / "audit.log", key=key, key_dir=key_folder())
    journal = Journal(workspace, key, key_folder())
    recorder = StageRecorder(writer, run_id=run_id, mode="rehearsal", actor="test")
    store = ArtifactStore(workspace, run_id, "rehearsal", recorder.note, journal)
    store.start()
    return store, writer


def _finish(store: ArtifactStore, outcome: str = "ok") -> None:
    store.shred_all()
    store.close(outcome)


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
    _finish(store)


def test_plaintext_artifact_only_when_asked(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    with store.create("libreoffice.input", encrypted=False, suffix=".doc") as writer:
        writer.write(SECRET)
    assert Path(writer.record.path).read_bytes() == SECRET
    _finish(store)


def test_shred_all_shreds_every_artifact_with_an_event_per_step(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    records = []
    for purpose in ("one", "two"):
        with store.create(purpose) as writer:
            writer.write(SECRET)
        records.append(writer.record)
    _finish(store, "reconciled")
    assert all(r.shredded and r.verified for r in records)
    assert not any(Path(r.path).exists() for r in records)
    assert not store.scratch.exists()
    steps = [
        (e["stage"], e["artifact"], e["output_sha256"])
        for e in chain_events(tmp_path / "audit.log")
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
    kinds = [e["event"] for e in chain_events(tmp_path / JOURNAL)]
    assert kinds[0] == "run.start" and kinds[-1] == "run.end"
    assert kinds.count("artifact.registered") == 2 and kinds.count("artifact.shredded") == 2
    summary = store.summary()
    assert len(summary["artifacts"]) == len(records)
    assert all("path" not in a and "inode" not in a for a in summary["artifacts"])


def test_shred_file_overwrites_before_unlinking(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(SECRET * 100)
    steps: list[tuple[str, bool]] = []
    assert shred_file(path, emit=lambda step, ok: steps.append((step, ok)))
    assert steps == [("overwrite", True), ("rename", True), ("unlink", True), ("verify", True)]
    assert list(tmp_path.iterdir()) == []


def test_scratch_is_ram_backed_where_the_os_has_a_tmpfs() -> None:
    from ikou.audit.platform import _tmpfs_mounts

    root, note = ram_scratch_root()
    if sys.platform.startswith("linux") and "/dev/shm" in _tmpfs_mounts():
        assert root == Path("/dev/shm"), note
    elif sys.platform.startswith("linux"):
        assert root is None and "scratch is on disk" in note
    else:
        assert root is None and "not available on this OS" in note


# ---------------------------------------------------------------- attacks


def _outside(tmp_path: Path) -> tuple[Path, bytes]:
    """A file that is not ikou's: the target of every attack below."""
    victim = tmp_path / "elsewhere" / "important.txt"
    victim.parent.mkdir()
    content = "他課の大切な文書\n".encode() * 50
    victim.write_bytes(content)
    return victim, content


@POSIX
def test_a_link_in_place_of_an_artifact_is_not_followed(tmp_path: Path) -> None:
    victim, content = _outside(tmp_path)
    store, _ = _store(tmp_path / "ws")
    with store.create("one") as writer:
        writer.write(SECRET)
    artifact = Path(writer.record.path)
    artifact.unlink()
    artifact.symlink_to(victim)
    with pytest.raises(Tampered, match="nothing was touched"):
        store.shred_all()
    assert victim.read_bytes() == content


@POSIX
def test_another_file_in_place_of_an_artifact_is_not_touched(tmp_path: Path) -> None:
    store, _ = _store(tmp_path / "ws")
    with store.create("one") as writer:
        writer.write(SECRET)
    artifact = Path(writer.record.path)
    artifact.unlink()
    artifact.write_bytes(b"x" * 10)  # same name, another file (another inode)
    with pytest.raises(Tampered, match="not the file ikou created"):
        store.shred_all()
    assert artifact.read_bytes() == b"x" * 10


@POSIX
def test_a_link_in_place_of_the_scratch_folder_is_not_followed(tmp_path: Path) -> None:
    victim, content = _outside(tmp_path)
    store, _ = _store(tmp_path / "ws")
    with store.create("one") as writer:
        writer.write(SECRET)
    store.shred(writer.record)
    scratch = store.scratch
    scratch.rmdir()
    scratch.symlink_to(victim.parent)
    try:
        with pytest.raises(Tampered):
            store.shred_all()
        assert victim.read_bytes() == content
    finally:
        scratch.unlink()


@POSIX
def test_shred_tree_removes_links_not_what_they_point_to(tmp_path: Path) -> None:
    victim, content = _outside(tmp_path)
    folder = tmp_path / "scratch"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.bin").write_bytes(SECRET)
    (folder / "link-to-file").symlink_to(victim)
    (folder / "link-to-folder").symlink_to(victim.parent)
    assert shred_tree(folder) == 1
    assert not folder.exists() and victim.read_bytes() == content
    with pytest.raises(NotOurs):
        os.symlink(victim.parent, tmp_path / "alias")
        shred_tree(tmp_path / "alias")
    assert victim.read_bytes() == content


def _forged_journal_line(journal: Path, entry: dict[str, object]) -> bytes:
    """Append a line as an insider without the key would: the right sequence
    number, link and SHA-256, and a tag made up."""
    last = json.loads(journal.read_bytes().splitlines()[-1])
    body = {**entry, "seq": last["seq"] + 1, "prev": last["hash"], "kid": last["kid"]}
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    digest = hashlib.sha256(data).hexdigest()
    return data[:-1] + f',"hash":"{digest}","tag":"{"1" * 64}"}}\n'.encode()


def test_a_forged_journal_line_deletes_nothing(housing_plan: Path, tmp_path: Path) -> None:
    """The attack of issue 14: a journal entry naming a file outside the workspace
    for a dead run. Every command refuses the journal; the file stays."""
    victim, content = _outside(tmp_path)
    assert run_ikou("rehearse", str(housing_plan)).returncode == 0
    journal = housing_plan.parent / "ikou-work" / JOURNAL
    run = "20260101T000000Z-dead00"
    for entry in (
        {"event": "run.start", "run_id": run, "mode": "rehearsal", "pid": 1,
         "scratch": str(victim.parent), "ram_backed": False},
        {"event": "artifact.registered", "run_id": run, "id": "a001", "purpose": "x",
         "path": str(victim), "encrypted": False},
    ):  # fmt: skip
        with journal.open("ab") as handle:
            handle.write(_forged_journal_line(journal, entry))
    for args in (
        ["rehearse", str(housing_plan)],
        ["shred", str(housing_plan), "--certificate"],
        ["sweep", str(tmp_path / "elsewhere"), "--plan", str(housing_plan)],
    ):
        done = run_ikou(*args)
        assert done.returncode == 1, (args, done.stderr)
        assert "custody.journal does not verify" in done.stderr and "Traceback" not in done.stderr
        assert victim.read_bytes() == content
    verify = run_ikou("audit", "verify", str(journal))
    assert verify.returncode == 1 and "authentication tag does not match" in verify.stderr
    assert victim.read_bytes() == content


def test_a_genuine_journal_never_reaches_outside_its_runs_scratch(tmp_path: Path) -> None:
    """Even a line ikou wrote is checked again: a path outside the run's scratch
    folder (or through ``..``) is refused as tampering."""
    victim, content = _outside(tmp_path)
    # named as ikou names an artifact: only where it is can give it away
    victim = victim.rename(victim.with_name("a001-0123456789ab.bin"))
    workspace = tmp_path / "ws"
    key = audit_key(create=True)
    assert key is not None
    journal = Journal(workspace, key, key_folder())
    run = "run-2"
    scratch = workspace / "scratch" / f"ikou-{run}"
    for path in (str(victim), str(scratch / ".." / ".." / ".." / "elsewhere" / victim.name)):
        journal.append({"event": "run.start", "run_id": run, "scratch": str(scratch)})
        journal.append(
            {"event": "artifact.registered", "run_id": run, "id": "a001", "purpose": "x",
             "path": path, "encrypted": False}
        )  # fmt: skip
        with pytest.raises(Tampered, match="not a file ikou makes in its run's scratch folder"):
            recover_artifacts(workspace, journal, run, lambda *a, **k: None)
        assert victim.read_bytes() == content
    journal.append({"event": "run.start", "run_id": "run-3", "scratch": str(victim.parent)})
    with pytest.raises(Tampered, match="scratch folder"):
        recover_artifacts(workspace, journal, "run-3", lambda *a, **k: None)
    assert victim.read_bytes() == content


def test_a_journal_from_another_installation_is_refused(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    _finish(store)
    other = audit_key(tmp_path / "other-keys", create=True)
    assert other is not None
    with pytest.raises(ChainBroken, match="another installation"):
        Journal(tmp_path, other, tmp_path / "other-keys")


# ---------------------------------------------------------------- recovery


def test_a_live_run_is_left_alone(housing_plan: Path) -> None:
    from ikou.pipeline.plan import load_plan
    from ikou.pipeline.session import open_chain, recover

    plan = load_plan(housing_plan)
    store, _ = _store(plan.workspace, "alive")
    with store.create("kept") as artifact:
        artifact.write(SECRET)
    lock = ProcessLock(plan.workspace / "locks" / "alive.lock")
    assert not lock.acquire()  # this process holds it
    writer, journal = open_chain(plan.workspace)
    assert recover(plan, writer, journal, current="other") == []
    assert Path(artifact.record.path).exists()
    _finish(store)


_CRASHER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ikou.pipeline.plan import load_plan
    from ikou.pipeline.session import open_session

    session = open_session(load_plan(Path(sys.argv[1])), "rehearsal")
    session.recorder.note("run", "started")
    with session.store.create("first") as first:
        first.write(b"x" * 4096)
    with session.store.create("second") as second:
        second.write("雀野カナリア".encode() * 100)
    session.store.shred_all()
    session.end("ok")
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
    housing_plan: Path, point: str, left_on_disk: int
) -> None:
    env = {**os.environ, "IKOU_FAULT": point}
    done = subprocess.run(
        [sys.executable, "-c", _CRASHER, str(housing_plan)],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == -9, done.stderr
    workspace = housing_plan.parent / "ikou-work"
    journal = chain_events(workspace / JOURNAL)
    dead = journal[0]["run_id"]
    registered = [e for e in journal if e["event"] == "artifact.registered"]
    assert len(registered) == 1
    path = Path(str(registered[0]["path"]))
    assert path.exists() == bool(left_on_disk)
    scratch = path.parent

    verify = run_ikou("audit", "verify", str(workspace / "audit.log"))
    assert verify.returncode == 0 and "recovered" not in verify.stderr  # verify writes nothing
    assert path.exists() == bool(left_on_disk)

    result = run_ikou("rehearse", str(housing_plan))
    assert result.returncode == 0, result.stderr
    assert f"recovered interrupted run {dead}: 1 artifact(s) shredded" in result.stderr
    assert not path.exists() and not scratch.exists()
    events = chain_events(workspace / "audit.log")
    mine = [e for e in events if e["run_id"] == dead]
    assert [e["stage"] for e in mine][-2:] == ["result", "seal"]
    assert mine[-1]["outcome"] == "interrupted"
    if left_on_disk:
        assert [e["stage"] for e in mine if e.get("artifact") == "a001"][-4:] == [
            "artifact.overwrite",
            "artifact.rename",
            "artifact.unlink",
            "artifact.verify",
        ]
    ends = [e for e in chain_events(workspace / JOURNAL) if e["event"] == "run.end"]
    assert (ends[0]["run_id"], ends[0]["outcome"]) == (dead, "interrupted")
    again = run_ikou("rehearse", str(housing_plan))
    assert again.returncode == 0 and "recovered" not in again.stderr  # recovered once
