"""The audit chain: appends verify; every kind of tampering is named by line; the
verifier is byte-exact, read-only and never crashes; no line verifies without
the key; a log from another installation or rolled back is refused."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ikou.audit.chain import (
    GENESIS,
    MAX_LINE,
    SEAL,
    AuditKey,
    ChainBroken,
    ChainWriteError,
    ChainWriter,
    audit_key,
    verify,
)

RUNS = 3
PER_RUN = 4  # three events and a seal


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def key(keys: Path) -> AuditKey:
    made = audit_key(keys, create=True)
    assert made is not None
    return made


def _log(tmp_path: Path, key: AuditKey, keys: Path | None, runs: str = "r") -> Path:
    path = tmp_path / "audit.log"
    writer = ChainWriter(path, key=key, key_dir=keys)
    for run in range(RUNS):
        for n in range(PER_RUN - 1):
            writer.append(
                {"time": "2026-01-01T00:00:00Z", "run_id": f"{runs}{run}", "stage": f"s{n}",
                 "actor": "作業 太郎", "counts": {"rows": n}}
            )  # fmt: skip
        writer.append(
            {"time": "2026-01-01T00:00:00Z", "run_id": f"{runs}{run}", "stage": SEAL,
             "outcome": "ok"}
        )  # fmt: skip
    return path


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _write(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def _forge(body: dict[str, object]) -> bytes:
    """A line as someone without the key would write it: a correct SHA-256,
    canonical JSON, and a tag made up."""
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    digest = hashlib.sha256(data).hexdigest()
    return data[:-1] + f',"hash":"{digest}","tag":"{"0" * 64}"}}\n'.encode()


def test_intact_chain_verifies_authenticated_with_its_head(
    tmp_path: Path, key: AuditKey, keys: Path
) -> None:
    path = _log(tmp_path, key, keys)
    result = verify(path, key=key, key_dir=keys)
    assert result.ok and result.authenticated and result.unchecked == ()
    assert result.events == RUNS * PER_RUN and result.open_runs == ()
    last = json.loads(_lines(path)[-1])
    assert result.head == last["hash"] and last["run_events"] == PER_RUN
    assert json.loads(_lines(path)[0])["prev"] == GENESIS
    seals = [json.loads(line) for line in _lines(path) if b'"stage":"seal"' in line]
    assert seals[1]["previous_seal"] == seals[0]["hash"]  # the seals chain too


def test_without_the_key_the_verifier_says_what_it_could_not_check(
    tmp_path: Path, key: AuditKey, keys: Path
) -> None:
    result = verify(_log(tmp_path, key, keys))
    assert result.ok and not result.authenticated
    assert "Not checked: authentication tags" in result.sentence()


def test_writer_resumes_an_existing_log(tmp_path: Path, key: AuditKey, keys: Path) -> None:
    path = _log(tmp_path, key, keys)
    ChainWriter(path, key=key, key_dir=keys).append({"time": "t", "run_id": "r9", "stage": "x"})
    assert verify(path, key=key, key_dir=keys).events == RUNS * PER_RUN + 1


def _edit(lines: list[bytes]) -> list[bytes]:
    lines[2] = lines[2].replace(b'"rows":2', b'"rows":7')
    return lines


def _insert(lines: list[bytes]) -> list[bytes]:
    return [*lines[:3], lines[1], *lines[3:]]


def _delete(lines: list[bytes]) -> list[bytes]:
    return [*lines[:2], *lines[3:]]


def _reorder(lines: list[bytes]) -> list[bytes]:
    lines[1], lines[2] = lines[2], lines[1]
    return lines


def _reencode(lines: list[bytes]) -> list[bytes]:  # the same JSON, written another way
    body, suffix = lines[2][:-149] + b"}", lines[2][-149:]
    event = json.loads(body)
    lines[2] = json.dumps(event, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    lines[2] = lines[2].encode()[:-1] + suffix
    return lines


def _reencode_whole(lines: list[bytes]) -> list[bytes]:
    lines[2] = json.dumps(json.loads(lines[2]), ensure_ascii=True).encode() + b"\n"
    return lines


def _crlf(lines: list[bytes]) -> list[bytes]:
    lines[2] = lines[2].replace(b"\n", b"\r\n")
    return lines


def _spaces(lines: list[bytes]) -> list[bytes]:
    lines[2] = lines[2].replace(b'"rows":', b'"rows": ')
    return lines


def _duplicate_key(lines: list[bytes]) -> list[bytes]:
    lines[2] = lines[2].replace(b'"counts":', b'"stage":"s9","counts":', 1)
    return lines


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (_edit, 3, "edited"),
        (_insert, 4, "sequence number"),
        (_delete, 3, "sequence number"),
        (_reorder, 2, "sequence number"),
        (_reencode, 3, "edited"),
        (_reencode_whole, 3, "not an ikou chain line"),
        (_crlf, 3, "not an ikou chain line"),
        (_spaces, 3, "edited"),
        (_duplicate_key, 3, "edited"),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_every_change_to_a_line_is_named_with_its_number(
    tmp_path: Path, key: AuditKey, keys: Path, change: object, line: int, words: str
) -> None:
    path = _log(tmp_path, key, keys)
    _write(path, change(_lines(path)))  # type: ignore[operator]
    for checked in (verify(path, key=key, key_dir=keys), verify(path)):
        assert not checked.ok and checked.bad_line == line, checked.sentence()
        assert words in checked.sentence()
    with pytest.raises(ChainBroken, match=f"line {line}"):
        ChainWriter(path, key=key, key_dir=keys)  # nothing is appended to a broken chain


def test_a_torn_last_line_is_named(tmp_path: Path, key: AuditKey, keys: Path) -> None:
    path = _log(tmp_path, key, keys)
    path.write_bytes(path.read_bytes()[:-40])
    result = verify(path, key=key)
    assert not result.ok and result.torn and result.bad_line == RUNS * PER_RUN


def test_a_line_forged_with_a_correct_hash_fails_authentication(
    tmp_path: Path, key: AuditKey, keys: Path
) -> None:
    """What an insider who can write the workspace can do: append a well-formed
    "rehearsal reconciled" run for any plan, with every hash and link right."""
    path = _log(tmp_path, key, keys)
    head = verify(path).head
    body = {
        "seq": RUNS * PER_RUN + 1, "prev": head, "kid": key.kid, "time": "2026-01-02T00:00:00Z",
        "run_id": "forged", "mode": "rehearsal", "stage": SEAL, "outcome": "reconciled",
        "plan_sha256": "f" * 64, "run_events": 1, "previous_seal": "0" * 64,
    }  # fmt: skip
    _write(path, [*_lines(path), _forge(body)])
    result = verify(path, key=key, key_dir=keys)
    assert not result.ok and result.bad_line == RUNS * PER_RUN + 1
    assert "authentication tag does not match" in result.sentence()


def test_a_log_from_another_installation_is_refused(
    tmp_path: Path, key: AuditKey, keys: Path
) -> None:
    path = _log(tmp_path, key, keys)
    other = audit_key(tmp_path / "other-keys", create=True)
    assert other is not None
    result = verify(path, key=other)
    assert not result.ok and result.bad_line == 1
    assert "another installation" in result.sentence()
    with pytest.raises(ChainBroken, match="another installation"):
        ChainWriter(path, key=other, key_dir=tmp_path / "other-keys")


def test_a_log_rolled_back_to_an_earlier_valid_state_is_refused(
    tmp_path: Path, key: AuditKey, keys: Path
) -> None:
    path = _log(tmp_path, key, keys)
    _write(path, _lines(path)[:PER_RUN])  # one run left: every line of it genuine
    result = verify(path, key=key, key_dir=keys)
    assert not result.ok and "removed from its end" in result.sentence()
    assert verify(path, key=key).ok  # without the key store's record it cannot be seen
    with pytest.raises(ChainBroken, match="removed from its end"):
        ChainWriter(path, key=key, key_dir=keys)
    path.unlink()  # and a log removed altogether
    assert "removed from its end" in verify(path, key=key, key_dir=keys).sentence()


def test_a_log_replaced_by_another_genuine_one_is_refused(
    tmp_path: Path, key: AuditKey, keys: Path
) -> None:
    path = _log(tmp_path, key, keys)
    elsewhere = _log(tmp_path / "b", key, None, runs="x")  # genuine, same key, same length
    path.write_bytes(elsewhere.read_bytes())
    result = verify(path, key=key, key_dir=keys)
    assert not result.ok and "replaced" in result.sentence()


def test_the_signed_head_must_be_followed_by_its_runs_seal(
    tmp_path: Path, key: AuditKey, keys: Path
) -> None:
    path = _log(tmp_path, key, None)
    lines = _lines(path)
    head = json.loads(lines[PER_RUN + 1])["hash"]  # an event of the second run
    assert verify(path, head[:16], key=key).head_found_at == PER_RUN + 2
    _write(path, lines[: PER_RUN + 2])  # the log cut after the signed head
    result = verify(path, head[:16], key=key)
    assert not result.ok and "has no seal after it" in result.sentence()
    assert "not in this chain" in verify(path, "deadbeefdeadbeef", key=key).sentence()


def test_a_run_whose_events_were_removed_no_longer_matches_its_seal(
    tmp_path: Path, key: AuditKey
) -> None:
    """Without the key the verifier still sees a seal counting other events,
    even after the links and hashes were mended."""
    path = tmp_path / "audit.log"
    _write(path, [])
    bodies = [
        {"time": "t", "run_id": "r0", "stage": "a"},
        {"time": "t", "run_id": "r0", "stage": SEAL, "outcome": "ok", "run_events": 3,
         "previous_seal": GENESIS},
    ]  # fmt: skip
    prev, lines = GENESIS, []
    for seq, body in enumerate(bodies, start=1):
        line = _forge({**body, "seq": seq, "prev": prev, "kid": key.kid})
        lines.append(line)
        prev = json.loads(line)["hash"]
    _write(path, lines)
    result = verify(path)
    assert not result.ok and result.bad_line == 2
    assert "does not count the 2 event(s) its run has here" in result.sentence()


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b'{"a":NaN}', "non-finite number NaN"),
        (b'{"a":1.5}', "non-integer number"),
        (b'{"a":1,"a":2}', "appears twice"),
        # past the parser's recursion limit, inside an object so that it reaches the parser
        (b'{"a":' + b"[" * 10_000 + b"]" * 10_000 + b"}", "nested deeper"),
        (b'{"a":' + b"[" * 40 + b"]" * 40 + b"}", "nested deeper"),
        (b'{"a":"\xff"}', "not UTF-8"),
        # a line that does not open an object is refused before any parser sees it
        (b"[1,2]", "not an ikou chain line"),
    ],
    ids=["nan", "float", "duplicate", "deep", "deep-object", "utf8", "array"],
)
def test_hostile_lines_are_one_sentence_and_exit_1(
    tmp_path: Path, payload: bytes, words: str
) -> None:
    """Lines with a correct SHA-256 (anyone can compute one) that a JSON parser
    would choke on or read two ways: named, never a traceback."""
    digest = hashlib.sha256(payload).hexdigest()
    body = payload[:-1] if payload.endswith(b"}") else payload  # an array: the suffix anyway
    line = body + f',"hash":"{digest}","tag":"{"0" * 64}"}}\n'.encode()
    path = tmp_path / "audit.log"
    path.write_bytes(line)
    for argv in (
        [sys.executable, "-m", "ikou.audit.chain", str(path)],
        [sys.executable, "-m", "ikou", "audit", "verify", str(path)],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, done.stderr
        said = done.stdout + done.stderr
        assert "Traceback" not in said and "line 1:" in said
        assert words in said, said
    direct = verify(path)
    assert not direct.ok and direct.bad_line == 1
    assert words in direct.sentence()


MARKER = "TANAKA-Taro-0312345678"
"""Stands for a cell value on a forged line; a console control sequence goes with it."""
HOSTILE = f"\x1b[2J{MARKER}\x07"
QUOTED = json.dumps(HOSTILE)  # as a JSON string, its control characters escaped


def _raw(body: bytes) -> bytes:
    """A line around ``body`` exactly as given (keys twice, say), its hash right."""
    digest = hashlib.sha256(body).hexdigest()
    return body[:-1] + f',"hash":"{digest}","tag":"{"0" * 64}"}}\n'.encode()


def _chained(bodies: list[dict[str, object]]) -> list[bytes]:
    """Forged lines, each with ``seq`` and ``prev`` right unless the body sets them."""
    prev, lines = GENESIS, []
    for seq, body in enumerate(bodies, start=1):
        line = _forge({"seq": seq, "prev": prev, "kid": "0" * 16, **body})
        lines.append(line)
        prev = json.loads(line)["hash"]
    return lines


_EVENT = {"time": "t", "run_id": HOSTILE, "stage": "a"}
_SEAL = {"time": "t", "run_id": HOSTILE, "stage": SEAL, "run_events": 2, "previous_seal": GENESIS}


@pytest.mark.parametrize(
    ("lines", "words", "with_key", "head"),
    [
        (
            [_raw(f'{{"kid":"k",{QUOTED}:1,{QUOTED}:2,"prev":"{GENESIS}","seq":1}}'.encode())],
            "a key appears twice", False, False,
        ),
        (_chained([{"seq": HOSTILE}]), "sequence number is not 1", False, False),
        (_chained([{"seq": 10**40}]), "sequence number is not 1", False, False),
        (_chained([{"kid": HOSTILE, **_EVENT}]), "another audit key", True, False),
        (_chained([{"kid": 7, **_EVENT}]), "names no key", False, False),
        (_chained([_EVENT, _SEAL, _EVENT]), "after that run's seal", False, False),
        (_chained([_EVENT, {**_SEAL, "run_events": HOSTILE}]), "does not count", False, False),
        (_chained([_EVENT, {**_SEAL, "previous_seal": HOSTILE}]), "does not follow the seal",
         False, False),
        (_chained([{"time": HOSTILE, "stage": "a"}]), "has no 'run_id'", False, False),
        (_chained([_EVENT]), "has no seal after it", False, True),
        ([_raw(f'{{"a":{QUOTED} "b":1}}'.encode())], "is not valid JSON (Expecting", False,
         False),
        ([_raw(f'{{"a":"{HOSTILE}"}}'.encode())], "is not valid JSON (Invalid control", False,
         False),
        ([_raw(b'{"a":' + b"9" * 5000 + b"}")], "integer too long", False, False),
    ],
    ids=["duplicate-key", "seq", "seq-huge", "kid", "kid-type", "after-seal", "seal-count",
         "seal-order", "no-run", "head-run", "json", "json-control", "json-int"],
)  # fmt: skip
def test_the_verifiers_sentence_never_quotes_the_line(
    tmp_path: Path,
    key: AuditKey,
    keys: Path,
    lines: list[bytes],
    words: str,
    with_key: bool,
    head: bool,
) -> None:
    """A forged line can carry a cell value or console control characters in any
    key or value: the sentence names the line and the kind of fault only — from
    verify(), from the writer's refusal and from the auditor's command."""
    path = tmp_path / "audit.log"
    path.write_bytes(b"".join(lines))
    wanted = json.loads(lines[-1])["hash"][:16] if head else None
    result = verify(path, wanted, key=key if with_key else None)
    sentence = result.sentence()
    assert not result.ok and words in sentence, sentence
    assert head or f"line {len(lines)}: " in sentence
    said = [sentence]
    if not head:
        with pytest.raises(ChainBroken) as raised:
            ChainWriter(path, key=key)
        said.append(str(raised.value))
    done = subprocess.run(
        [sys.executable, "-m", "ikou.audit.chain", str(path), *([wanted] if head else []),
         "--key-dir", str(keys if with_key else tmp_path / "no-keys")],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    said.append(done.stdout + done.stderr)
    for text in said:
        assert MARKER not in text and "\x1b" not in text and "\x07" not in text, text
        assert "TANAKA" not in text and "9999" not in text


def test_an_overlong_line_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(b'{"a":"' + b"x" * MAX_LINE + b'"}\n')
    result = verify(path)
    assert not result.ok and "longer than" in result.sentence()


def test_verifying_writes_nothing(tmp_path: Path, key: AuditKey, keys: Path) -> None:
    path = _log(tmp_path, key, keys)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.rglob("*") if p.is_file()}
    verify(path, key=key, key_dir=keys)
    subprocess.run(
        [sys.executable, "-m", "ikou.audit.chain", str(path), "--key-dir", str(keys)],
        capture_output=True,
        timeout=60,
        check=True,
    )
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


def test_the_auditors_command_checks_tags_with_the_key_store(
    tmp_path: Path, key: AuditKey, keys: Path
) -> None:
    path = _log(tmp_path, key, keys)
    env = {k: v for k, v in os.environ.items() if k != "IKOU_KEY_DIR"}
    keyless = subprocess.run(
        [sys.executable, "-m", "ikou.audit.chain", str(path)],
        capture_output=True, text=True, timeout=60, env={**env, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert keyless.returncode == 0 and "Not checked: authentication tags" in keyless.stdout
    keyed = subprocess.run(
        [sys.executable, "-m", "ikou.audit.chain", str(path), "--key-dir", str(keys)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert keyed.returncode == 0 and "authenticated: 12 event(s)" in keyed.stdout


def test_chain_module_uses_only_the_standard_library() -> None:
    source = Path(sys.modules["ikou.audit.chain"].__file__ or "").read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_two_writers_at_once_keep_the_chain_valid(
    tmp_path: Path, key: AuditKey, keys: Path
) -> None:
    path = tmp_path / "audit.log"
    first = ChainWriter(path, key=key, key_dir=keys)
    second = ChainWriter(path, key=key, key_dir=keys)
    for n in range(5):
        first.append({"time": "t", "run_id": "a", "stage": f"a{n}"})
        second.append({"time": "t", "run_id": "b", "stage": f"b{n}"})
    first.append({"time": "t", "run_id": "a", "stage": SEAL, "outcome": "ok"})
    second.append({"time": "t", "run_id": "b", "stage": SEAL, "outcome": "ok"})
    result = verify(path, key=key, key_dir=keys)
    assert result.ok and result.events == 12 and result.open_runs == ()


def test_an_event_after_its_runs_seal_is_refused(tmp_path: Path, key: AuditKey, keys: Path) -> None:
    path = _log(tmp_path, key, keys)
    writer = ChainWriter(path, key=key, key_dir=keys)
    with pytest.raises(ChainWriteError, match="sealed"):
        writer.append({"time": "t", "run_id": "r0", "stage": "late"})
    assert verify(path, key=key, key_dir=keys).ok  # the refused line is not in it


def _plant_link(link: Path, target: Path) -> None:
    try:
        link.symlink_to(target)
    except OSError:  # pragma: no cover - Windows without symlink rights
        pytest.skip("this account cannot make symlinks")


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "to-nothing-yet"])
def test_a_lock_file_replaced_by_a_link_is_refused_and_its_target_untouched(
    tmp_path: Path, key: AuditKey, keys: Path, dangling: bool
) -> None:
    """A link planted as ``audit.log.lock`` to a file outside the workspace: opening
    it would create that file, or lock it; ikou opens neither and says so."""
    path = _log(tmp_path, key, keys)
    writer = ChainWriter(path, key=key, key_dir=keys)
    outside = tmp_path / "outside" / "theirs.txt"
    outside.parent.mkdir()
    if not dangling:
        outside.write_bytes(b"not ikou's\n")
        os.chmod(outside, 0o644)
        before = (outside.read_bytes(), os.stat(outside).st_mtime_ns, os.stat(outside).st_mode)
    lock = path.with_name(path.name + ".lock")
    lock.unlink()
    _plant_link(lock, outside)
    log_before = path.read_bytes()
    for attempt in (
        lambda: ChainWriter(path, key=key, key_dir=keys),
        lambda: writer.append({"time": "t", "run_id": "late", "stage": "s"}),
        writer.refresh,
    ):
        with pytest.raises(ChainWriteError) as raised:
            attempt()
        said = str(raised.value)
        assert "symbolic link" in said and str(lock) in said and "Traceback" not in said
        assert not isinstance(raised.value, ChainBroken)
    assert path.read_bytes() == log_before  # nothing appended
    if dangling:
        assert not os.path.lexists(outside)  # never created through the link
    else:
        after = (outside.read_bytes(), os.stat(outside).st_mtime_ns, os.stat(outside).st_mode)
        assert after == before


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="O_NOFOLLOW is POSIX")
def test_an_audit_log_replaced_by_a_link_is_never_written_through(
    tmp_path: Path, key: AuditKey, keys: Path
) -> None:
    """An insider swaps audit.log for a link to another file (the same bytes,
    so it still verifies): ikou refuses to append rather than write there."""
    path = _log(tmp_path, key, keys)
    elsewhere = tmp_path / "elsewhere.log"
    elsewhere.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    writer = ChainWriter(path, key=key, key_dir=keys)
    with pytest.raises(ChainWriteError, match="it is a link"):
        writer.append({"time": "2026-01-01T00:00:00Z", "run_id": "r9", "stage": "s0"})
    assert elsewhere.read_bytes() == before
