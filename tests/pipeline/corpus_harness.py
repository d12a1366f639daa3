"""Extraction over every file of ../shared/corpus, in a guarded child process.

A child reads the files one by one and prints one JSON line per file; each
file has a time limit (SIGALRM) and the child a memory limit (RLIMIT_AS). If
the child dies — a native reader that aborts the process, the memory limit —
the parent records that file as ``crashed`` and starts a new child on the
rest, so one bad file cannot hide the others' outcomes.

``python tests/pipeline/corpus_harness.py`` prints the outcome table that
docs/formats.md quotes.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
PER_FILE_SECONDS = 30
MEMORY_BYTES = 3 << 30

_CHILD = r"""
import json, resource, signal, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from ikou.errors import IkouError
from ikou.pipeline.stages.extract import read_grids
from ikou.pipeline.plan import SourceSpec

EXTENSIONS = {".xls": "xls", ".xlsx": "xlsx", ".xlsm": "xlsm", ".xlsb": "xlsb", ".ods": "ods",
              ".xml": "xml", ".docx": "docx", ".doc": "doc"}
spec = SourceSpec(rehearsal="corpus")

class Timeout(BaseException):
    pass

def alarm(signum, frame):
    raise Timeout()

signal.signal(signal.SIGALRM, alarm)
seconds = int(sys.argv[2])
for line in sys.stdin:
    path = Path(line.rstrip("\n"))
    print(json.dumps({"path": str(path), "outcome": "started"}), flush=True)
    signal.alarm(seconds)
    try:
        data = path.read_bytes()
        declared = EXTENSIONS.get(path.suffix.lower(), "csv")
        # outside a run a .doc is read by ikou's own Word reader alone (no store for LibreOffice)
        grids, _ = read_grids(data, path.name, spec, declared, None)
        result = {"outcome": "read", "detail": f"{len(grids)} sheet(s)"}
    except IkouError as exc:
        result = {"outcome": "refused", "detail": exc.slug}
    except Timeout:
        result = {"outcome": "timeout", "detail": f"over {seconds} s"}
    except MemoryError:
        result = {"outcome": "refused", "detail": "memory limit"}
    except BaseException as exc:
        result = {"outcome": "untyped", "detail": type(exc).__name__}
    finally:
        signal.alarm(0)
    print(json.dumps({"path": str(path), **result}), flush=True)
"""


def manifest() -> list[dict[str, str]]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def run(paths: list[Path]) -> dict[str, dict[str, str]]:
    """Outcome per file: read, refused (with the ikou slug), untyped, timeout, crashed."""
    results: dict[str, dict[str, str]] = {}
    left = [str(p) for p in paths]
    while left:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(MEMORY_BYTES), str(PER_FILE_SECONDS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=REPO,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        )
        out, _ = child.communicate(
            "\n".join(left) + "\n", timeout=len(left) * PER_FILE_SECONDS + 60
        )
        current = None
        for line in out.splitlines():
            event = json.loads(line)
            if event["outcome"] == "started":
                current = event["path"]
            else:
                results[event["path"]] = {"outcome": event["outcome"], "detail": event["detail"]}
                current = None
        if current is not None:  # the child died on this file
            results[current] = {"outcome": "crashed", "detail": f"exit {child.returncode}"}
        left = [p for p in left if p not in results]
    return results


def table(results: dict[str, dict[str, str]]) -> str:
    """Markdown: per corpus kind, how many files were read and why others were refused."""
    rows: dict[str, Counter[str]] = {}
    for entry in manifest():
        kind = entry["kind"].split(" encrypted")[0].split(" (")[0]
        outcome = results[str(CORPUS / entry["path"])]
        label = outcome["outcome"] if outcome["outcome"] == "read" else outcome["detail"]
        rows.setdefault(kind, Counter())[label] += 1
    lines = ["| kind | files | read | refused (slug: files) |", "|---|---:|---:|---|"]
    for kind in sorted(rows):
        counts = rows[kind]
        refused = ", ".join(f"`{k}`: {v}" for k, v in sorted(counts.items()) if k != "read")
        lines.append(f"| {kind} | {sum(counts.values())} | {counts['read']} | {refused or '—'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    outcome = run([CORPUS / e["path"] for e in manifest()])
    print(table(outcome))
