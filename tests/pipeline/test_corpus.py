"""Every real legacy file in ../shared/corpus is read or refused with a typed error."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import shared_folder
from tests.pipeline.corpus_harness import CORPUS, manifest, run


@pytest.mark.skipif(sys.platform == "win32", reason="the guard uses SIGALRM and RLIMIT_AS")
def test_every_corpus_file_is_read_or_refused_with_a_typed_error() -> None:
    shared_folder(CORPUS)
    entries = manifest()
    results = run([CORPUS / e["path"] for e in entries])
    assert len(results) == len(entries)
    wrong = {p: r for p, r in results.items() if r["outcome"] not in ("read", "refused")}
    assert wrong == {}  # no untyped exception, no timeout, no crashed process
    for entry in entries:
        outcome = results[str(CORPUS / entry["path"])]
        if entry["kind"].startswith("csv Shift_JIS") and entry["expected"] == "readable":
            assert outcome["outcome"] == "read", entry["path"]
        if entry["expected"] == "encrypted" and outcome["outcome"] == "refused":
            assert outcome["detail"] in ("source.encrypted", "source.unreadable"), entry["path"]
