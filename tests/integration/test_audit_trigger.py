"""PostgreSQL: triggers refuse TRUNCATE of the audit events and of the chain head, DELETE of the
head, and (still) UPDATE and DELETE of events; the test suite's sessions alone may TRUNCATE."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction

from filings.audit import verify_chain
from filings.models import AuditChainHead, AuditEvent
from tests.builders import complete_filing

ON_POSTGRES = connection.vendor == "postgresql"
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not ON_POSTGRES, reason="the audit triggers exist only on PostgreSQL"),
]
TABLE = AuditEvent._meta.db_table
HEAD_TABLE = AuditChainHead._meta.db_table
SETTING = "portal.allow_audit_truncate"


def execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def snapshot() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return list(AuditEvent.objects.values()), list(AuditChainHead.objects.values())


@pytest.fixture
def plain_session() -> Iterator[Any]:
    """A second connection to the test database without the test suite's option: as any other
    client of the real database connects."""
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"],
        autocommit=True,
    ) as session:
        session.execute("SET lock_timeout = '10s'")
        yield session


@pytest.mark.django_db
def test_the_test_suite_sessions_say_truncate_is_allowed() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT current_setting('{SETTING}', true)")
        assert cursor.fetchone() == ("on",)


@pytest.mark.django_db
@pytest.mark.parametrize("table", [TABLE, HEAD_TABLE])
def test_truncate_passes_only_while_the_session_setting_is_on(preparer: User, table: str) -> None:
    complete_filing(preparer)
    before = snapshot()
    with transaction.atomic():
        execute(f"TRUNCATE {table}")  # the test suite's own setting: on
        assert snapshot() != before
        transaction.set_rollback(True)
    assert snapshot() == before

    with transaction.atomic():
        execute(f"SET LOCAL {SETTING} = off")
        with pytest.raises(DatabaseError, match=r"append-only \(TRUNCATE of .* refused\)"):
            execute(f"TRUNCATE {table}")
        transaction.set_rollback(True)

    assert snapshot() == before
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("table", [TABLE, HEAD_TABLE])
def test_a_session_without_the_option_cannot_truncate(
    preparer: User, plain_session: Any, table: str
) -> None:
    import psycopg

    complete_filing(preparer)
    before = snapshot()
    assert plain_session.execute(f"SELECT current_setting('{SETTING}', true)").fetchone() in {
        (None,),
        ("",),
    }

    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="TRUNCATE of"):
        plain_session.execute(f"TRUNCATE {table}")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="TRUNCATE of"):
        plain_session.execute(f"TRUNCATE {TABLE}, {HEAD_TABLE}")

    assert snapshot() == before
    assert verify_chain().ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        f"DELETE FROM {HEAD_TABLE}",  # noqa: S608
        f"DELETE FROM {HEAD_TABLE} WHERE id = 1",  # noqa: S608
    ],
)
def test_the_chain_head_cannot_be_deleted(preparer: User, sql: str) -> None:
    complete_filing(preparer)
    before = snapshot()

    with pytest.raises(DatabaseError, match="chain head cannot be deleted"), transaction.atomic():
        execute(sql)

    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET data = '{{}}' WHERE seq = 2",  # noqa: S608
        f"DELETE FROM {TABLE} WHERE seq = 2",  # noqa: S608
        f"DELETE FROM {TABLE}",  # noqa: S608
    ],
)
def test_the_truncate_setting_does_not_open_update_or_delete(preparer: User, sql: str) -> None:
    complete_filing(preparer)
    before = snapshot()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT current_setting('{SETTING}', true)")
        assert cursor.fetchone() == ("on",)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(sql)

    assert snapshot() == before
