"""A PostgreSQL server for the target tests: a fresh database for each test.

``.ci/run`` starts one (Debian's ``postgresql``, a cluster on 127.0.0.1) and
names it in ``IKOU_TEST_POSTGRES`` (``postgresql://user:pw@127.0.0.1:5432/postgres``,
a role that may create databases and roles). Without it the tests are skipped
with the reason, and fail when ``CI=true``. Imported by ``conftest.py``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

SERVER = "IKOU_TEST_POSTGRES"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}, and CI=true requires it")
    pytest.skip(reason)


def libpq(url: str) -> str:
    """``url`` as psycopg's ``connect`` takes it (no ``+driver`` in the scheme)."""
    parsed = sa.engine.make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def connect(url: str, **kwargs: Any) -> Any:
    """A psycopg connection to ``url``, outside ikou (autocommit unless told)."""
    import psycopg

    kwargs.setdefault("autocommit", True)
    return psycopg.connect(libpq(url), connect_timeout=10, **kwargs)


def with_database(url: str, database: str, user: str | None = None, pw: str | None = None) -> str:
    """``url`` naming another database (and another role, when given)."""
    parsed = sa.engine.make_url(url).set(database=database)
    if user is not None:
        parsed = parsed.set(username=user, password=pw)
    return parsed.render_as_string(hide_password=False)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a database made for this test (``ikou_test_<random>``), dropped
    after it with everything in it."""
    server = os.environ.get(SERVER, "")
    if not server:
        _unavailable(f"no PostgreSQL server to test against ({SERVER} is not set; .ci/run sets it)")
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        _unavailable('psycopg is not installed (pip install -e ".[test]")')
    try:
        admin = connect(server)
    except psycopg.OperationalError as exc:
        _unavailable(f"the PostgreSQL server of {SERVER} cannot be reached ({type(exc).__name__})")
    name = f"ikou_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(server, name)
    finally:
        with connect(server) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
