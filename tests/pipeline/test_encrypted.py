"""Password-protected sources: decrypted in memory, passwords from the environment."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ikou.errors import EncryptedFileError, WrongPasswordError
from ikou.pipeline.examples.housing import make_ledger, write_xlsx
from ikou.pipeline.plan import SourceSpec
from ikou.pipeline.stages.extract.decrypt import decrypt
from ikou.pipeline.stages.extract.readers import read_xls, read_xlsx
from tests.conftest import corpus_file, run_ikou


def _encrypt(plain: bytes, password: str) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt(password, out)
    return out.getvalue()


def _ikou(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_ikou(*args, env={**os.environ, **env})


@pytest.fixture
def encrypted_plan(housing_plan: Path) -> Path:
    """The housing example with its ledger as a password-protected .xlsx."""
    folder = housing_plan.parent
    plain = folder / "data" / "plain.xlsx"
    write_xlsx(make_ledger(120, 7), plain)
    (folder / "data" / "ledger.xlsx").write_bytes(_encrypt(plain.read_bytes(), "秘密-2026"))
    plain.unlink()
    (folder / "data" / "ledger.xls").unlink()
    text = housing_plan.read_text(encoding="utf-8")
    text = text.replace("rehearsal: data/ledger*.xls", "rehearsal: data/ledger.xlsx")
    text = text.replace(
        "    header_row: auto\n", "    header_row: auto\n    password_env: LEDGER_PW\n"
    )
    housing_plan.write_text(text, encoding="utf-8")
    return housing_plan


def test_encrypted_xlsx_rehearses_with_the_password_from_the_environment(
    encrypted_plan: Path,
) -> None:
    done = _ikou("rehearse", str(encrypted_plan), "--json", env={"LEDGER_PW": "秘密-2026"})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "reconciled"
    assert report["sources"]["ledger"]["files"][0]["name"] == "data/ledger.xlsx"
    ledger = make_ledger(120, 7)
    assert report["tables"]["tenants"]["loaded"] == 120 - ledger.planted_rejects
    assert "秘密-2026" not in done.stdout + done.stderr
    # no decrypted copy anywhere: no file but the target holds the workbook's parts
    for path in encrypted_plan.parent.rglob("*"):
        if path.is_file() and path.name != "target.sqlite":
            data = path.read_bytes()
            assert b"xl/worksheets" not in data, path
            assert "秘密-2026".encode() not in data, path


def test_wrong_or_missing_password_is_exit_2_in_one_sentence(encrypted_plan: Path) -> None:
    wrong = _ikou("rehearse", str(encrypted_plan), env={"LEDGER_PW": "nope"})
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == (
        "ikou: wrong password for data/ledger.xlsx; check it with the file's owner and try again."
    )
    env = {k: v for k, v in os.environ.items() if k != "LEDGER_PW"}
    missing = subprocess.run(
        [sys.executable, "-m", "ikou", "rehearse", str(encrypted_plan)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert missing.returncode == 2
    assert "environment variable LEDGER_PW named by password_env: is not set" in missing.stderr
    assert "Traceback" not in missing.stderr + wrong.stderr


def test_password_env_must_be_a_variable_name() -> None:
    with pytest.raises(ValueError, match="never the password itself"):
        SourceSpec.model_validate({"rehearsal": "x.xls", "password_env": "Pass word!"})


@pytest.mark.parametrize(
    ("name", "password", "plain"),
    [
        (
            "msoffcrypto__rc4cryptoapi_password.xls",
            "Password1234_",
            "xls/msoffcrypto__rc4cryptoapi_password_plain.xls",
        ),
        (
            "msoffcrypto__xor_password_123456789012345.xls",
            "123456789012345",
            "xls/msoffcrypto__xor_password_123456789012345_plain.xls",
        ),
        ("msoffcrypto__example_password.xlsx", "Password1234_", "xlsx/msoffcrypto__example.xlsx"),
    ],
)
def test_corpus_files_decrypt_to_their_plain_counterparts(
    name: str, password: str, plain: str
) -> None:
    data = decrypt(corpus_file(f"encrypted/{name}").read_bytes(), name, password)
    expected_bytes = corpus_file(plain).read_bytes()
    reader = read_xls if plain.endswith(".xls") else read_xlsx
    assert reader(data, name, None) == reader(expected_bytes, plain, None)
    with pytest.raises(WrongPasswordError, match=f"wrong password for {name}"):
        decrypt(corpus_file(f"encrypted/{name}").read_bytes(), name, "wrong")


def test_excels_builtin_password_opens_without_asking(tmp_path: Path) -> None:
    from ikou.pipeline.stages.extract.decrypt import unlock

    data = corpus_file("encrypted/poi__50833.xls").read_bytes()  # saved with VelvetSweatshop
    plain, how = unlock(data, "poi__50833.xls", lambda: pytest.fail("asked for a password"))
    assert how == "default"
    assert read_xls(plain, "poi__50833.xls", None)
    with pytest.raises(EncryptedFileError, match="password_env"):
        unlock(
            corpus_file("encrypted/poi__password.xls").read_bytes(),
            "poi__password.xls",
            lambda: None,
        )


def test_encrypted_word_document_decrypts_in_memory_and_is_seen_as_word() -> None:
    from ikou.pipeline.stages.extract.readers import detect_format

    data = decrypt(
        corpus_file("encrypted/msoffcrypto__rc4cryptoapi_password.doc").read_bytes(),
        "x.doc",
        "Password1234_",
    )
    assert data == corpus_file("doc/msoffcrypto__rc4cryptoapi_password_plain.doc").read_bytes()
    assert detect_format(data, "xls", "x.doc") == "doc"  # then LibreOffice, within a run
    with pytest.raises(EncryptedFileError):
        detect_format(
            corpus_file("encrypted/msoffcrypto__rc4cryptoapi_password.doc").read_bytes(),
            "xls",
            "x.doc",
        )
