"""Mutated legacy files are read or refused with a typed error — never a crash (see fuzz_readers)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikou.audit.platform import GUARD_AVAILABLE
from tests.pipeline.fuzz_readers import (
    describe,
    examples,
    mutate_bytes,
    mutate_part,
    read_outcome,
    seeds,
)

pytestmark = pytest.mark.skipif(not GUARD_AVAILABLE, reason="mutants run in the Linux guard")

OPS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "flip", "insert", "delete", "truncate"]),
        st.floats(min_value=0, max_value=1),
        st.binary(min_size=1, max_size=12)
        | st.sampled_from(
            [b'"', b"<", b">", b"999999", b"XFD1048576", b"\x00\x00\xff\xff", b"&#0;"]
        ),
    ),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def seed_files(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    return seeds(tmp_path_factory.mktemp("fuzz-seeds"))


def test_mutated_files_are_read_or_refused_with_a_typed_error(seed_files: tuple) -> None:
    findings: list[dict] = []

    @settings(
        max_examples=examples(),
        derandomize=not os.environ.get("IKOU_FUZZ_RANDOM"),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        seed=st.sampled_from(seed_files),
        inside=st.booleans(),
        part=st.floats(min_value=0, max_value=0.999),
        ops=OPS,
    )
    def one(seed, inside: bool, part: float, ops) -> None:
        zipped = seed.data[:4] == b"PK\x03\x04"
        data = (
            mutate_part(seed.data, part, ops) if inside and zipped else mutate_bytes(seed.data, ops)
        )
        outcome = read_outcome(data, seed.name)
        if not outcome.startswith(("read", "refused:")):
            findings.append(
                {
                    "outcome": outcome,
                    **describe(seed, f"part {part:.3f}" if inside else "file", ops),
                }
            )

    one()
    assert findings == []
