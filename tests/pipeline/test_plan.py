"""Plan, mapping and contract are checked before anything is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ikou.errors import ConfigError
from ikou.pipeline.examples import example_files
from ikou.pipeline.plan import load_plan
from tests.conftest import write_files


def _variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    files = example_files()
    assert old in files[name], old
    files[name] = files[name].replace(old, new, 1)
    write_files(tmp_path, files)
    return tmp_path / "plan.yaml"


def test_example_plan_loads_with_a_stable_hash(tmp_path: Path) -> None:
    write_files(tmp_path, example_files())
    first = load_plan(tmp_path / "plan.yaml")
    again = load_plan(tmp_path / "plan.yaml")
    assert first.sha256 == again.sha256 and len(first.sha256) == 64
    (tmp_path / "mapping.yaml").write_text(
        example_files()["mapping.yaml"] + "\n# reviewed\n", encoding="utf-8"
    )
    assert load_plan(tmp_path / "plan.yaml").sha256 != first.sha256


@pytest.mark.parametrize(
    ("file", "old", "new", "where"),
    [
        (
            "plan.yaml",
            "header_row: auto",
            "header_rows: auto",
            r"plan.yaml: sources.ledger: unknown key 'header_rows'",
        ),
        (
            "plan.yaml",
            "header_row: auto",
            "header_row: 0",
            r"sources.ledger.header_row: header_row counts from 1",
        ),
        (
            "plan.yaml",
            "header_row: auto",
            "encoding: shift_jis",
            r"use encoding: cp932 instead of shift_jis",
        ),
        (
            "mapping.yaml",
            "[yen]",
            "[yen, wareki]",
            r"tables.tenants.columns.rent.transforms\[1\]: unknown transform 'wareki'",
        ),
        (
            "mapping.yaml",
            "{zero_pad: {width: 6}}",
            "{zero_pad: {widht: 6}}",
            r"transforms\[4\]: transform 'zero_pad' has no argument 'widht'",
        ),
        (
            "mapping.yaml",
            "{zero_pad: {width: 6}}",
            "zero_pad",
            r"transform 'zero_pad' needs argument 'width'",
        ),
        (
            "mapping.yaml",
            "      note:",
            "      memo:",
            r"mapping.yaml: tables.tenants.columns.memo: the contract's table 'tenants' has no column 'memo'",
        ),
        (
            "mapping.yaml",
            "source: ledger",
            "source: ledgers",
            r"tables.tenants.source: the plan plan.yaml has no source 'ledgers'",
        ),
        (
            "mapping.yaml",
            "- count_by: estate",
            "- count_by: room",
            r"controls\[2\]: count_by\(room\) needs a column with 'allowed'",
        ),
        (
            "mapping.yaml",
            "- sum: rent",
            "- sum: name",
            r"controls\[1\]: sum\(name\) needs an integer or decimal",
        ),
        (
            "contract.yaml",
            "        max_length: 200\n",
            "        max_length: 200\n        colour: red\n",
            r"contract.yaml: tables.tenants.columns.note: unknown key 'colour'",
        ),
        (
            "contract.yaml",
            "type: integer\n        description: 月額家賃（円）",
            "type: money\n        description: 月額家賃（円）",
            r"tables.tenants.columns.rent.type: input should be",
        ),
        (
            "contract.yaml",
            "pattern: '[0-9]{6}'",
            "pattern: '[0-9'",
            r"tables.tenants.columns.tenant_id.pattern: the pattern is not a valid regular expression",
        ),
        (
            "contract.yaml",
            "      household_size:\n        label: 世帯人数\n        type: integer\n",
            "      household_size:\n        label: 世帯人数\n        type: integer\n"
            "        required: true\n",
            r"contract.yaml: tables.tenants.columns.household_size: this column is required, but",
        ),
    ],
)
def test_config_errors_name_file_and_key_path(
    tmp_path: Path, file: str, old: str, new: str, where: str
) -> None:
    if "household_size" in old:
        files = example_files()
        files["mapping.yaml"] = files["mapping.yaml"].replace(
            "      household_size:\n        from: 世帯人数\n        transforms: [integer]\n", ""
        )
        write_files(tmp_path, files)
        files["contract.yaml"] = files["contract.yaml"].replace(old, new)
        write_files(tmp_path, files)
        plan = tmp_path / "plan.yaml"
    else:
        plan = _variant(tmp_path, file, old, new)
    with pytest.raises(ConfigError, match=where):
        load_plan(plan)


def test_duplicate_yaml_keys_are_errors(tmp_path: Path) -> None:
    plan = _variant(tmp_path, "plan.yaml", "workspace: ikou-work", "workspace: a\nworkspace: b")
    with pytest.raises(ConfigError, match="written twice"):
        load_plan(plan)


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"plan file .*nothing\.yaml does not exist"):
        load_plan(tmp_path / "nothing.yaml")
    plan = _variant(tmp_path, "plan.yaml", "mapping: mapping.yaml", "mapping: other.yaml")
    with pytest.raises(ConfigError, match=r"mapping file .*other\.yaml does not exist"):
        load_plan(plan)
