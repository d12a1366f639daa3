"""Verifying a 100,000-event audit log, as an office's log looks after years.

    python benchmarks/audit_verify.py               # 100,000 events
    python benchmarks/audit_verify.py --events 20000

Writes (into a temporary key store and folder) a log of 5,000 runs of 20
events each — stage events with counts and hashes like a rehearsal's, each run
ending in its seal — authenticated under a fresh audit key, exactly as
:class:`audit.chain.ChainWriter` writes them but in one go. Then times, best
of three, side by side in this run:

- ``verify()`` with the key: every link, hash, tag and seal;
- ``verify()`` without the key: links, hashes, seals and canonical form;
- ``ikou audit verify LOG``: the command, interpreter start-up included;
- ``python -m ikou.audit.chain LOG --key-dir``: the auditor's stand-alone check.

The issue's target is the command under 2 s for 100,000 events.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ikou.audit.chain import GENESIS, SEAL, audit_key, encode_line, verify

PER_RUN = 20
TARGET_SECONDS = 2.0


def build(log: Path, keys: Path, events: int) -> None:
    key = audit_key(keys, create=True)
    assert key is not None
    prev, last_seal, lines = GENESIS, GENESIS, []
    for seq in range(1, events + 1):
        run, step = divmod(seq - 1, PER_RUN)
        body = {
            "actor": "作業 太郎",
            "counts": {"rows": 200_000, "skipped": 12, "rejected": 3},
            "duration_ms": 1234,
            "input_sha256": hashlib.sha256(b"in%d" % seq).hexdigest(),
            "kid": key.kid,
            "mode": "rehearsal",
            "outcome": "ok",
            "output_sha256": hashlib.sha256(b"out%d" % seq).hexdigest(),
            "prev": prev,
            "run_id": f"20261203T{run:06d}Z-abcdef",
            "seq": seq,
            "stage": SEAL if step == PER_RUN - 1 else "extract",
            "time": "2026-12-03T14:42:00Z",
        }
        if step == PER_RUN - 1:
            body.update(run_events=PER_RUN, previous_seal=last_seal)
        line = encode_line(body, key)
        lines.append(line)
        prev = hashlib.sha256(line[:-149] + b"}").hexdigest()  # the body: line less suffix
        if step == PER_RUN - 1:
            last_seal = prev
    log.write_bytes(b"".join(lines))


def best(run: object, times: int = 3) -> float:
    took = []
    for _ in range(times):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        took.append(time.perf_counter() - started)
    return min(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        log, keys = Path(folder) / "audit.log", Path(folder) / "keys"
        build(log, keys, args.events - args.events % PER_RUN)
        key = audit_key(keys)
        assert verify(log, key=key).ok
        env = {**os.environ, "IKOU_KEY_DIR": str(keys)}
        ikou = Path(sys.executable).with_name("ikou")
        rows = [
            ("verify() with the key", best(lambda: verify(log, key=key))),
            ("verify() without the key", best(lambda: verify(log))),
            (
                "ikou audit verify (wall)",
                best(lambda: subprocess.run([str(ikou), "audit", "verify", str(log)], env=env,
                                            check=True, capture_output=True)),
            ),
            (
                "python -m ikou.audit.chain --key-dir (wall)",
                best(lambda: subprocess.run(
                    [sys.executable, "-m", "ikou.audit.chain", str(log), "--key-dir", str(keys)],
                    check=True, capture_output=True)),
            ),
        ]  # fmt: skip
        size = log.stat().st_size / 1e6
    events = args.events - args.events % PER_RUN
    print(f"{events:,} events, {size:,.1f} MB")
    print(f"{'step':<40}{'seconds':>9}{'events/s':>12}")
    for name, seconds in rows:
        print(f"{name:<40}{seconds:>9.2f}{events / seconds:>12,.0f}")
    command = rows[2][1] * 100_000 / events
    verdict = "meets" if command < TARGET_SECONDS else "MISSES"
    print(
        f"ikou audit verify at 100,000 events: {command:.2f} s "
        f"({verdict} the {TARGET_SECONDS} s target)"
    )


if __name__ == "__main__":
    main()
