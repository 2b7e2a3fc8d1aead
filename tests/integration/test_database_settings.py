"""The database connection settings start-up makes of the environment."""

from pathlib import Path

from tests.integration.test_fail_closed import probe

DATABASE_PROBE = """
import json
from django.conf import settings
database = settings.DATABASES["default"]
print(json.dumps({"max_age": database["CONN_MAX_AGE"], "checks": database["CONN_HEALTH_CHECKS"]}))
"""
POSTGRES = {"DEBUG": "true", "DATABASE_URL": "postgres://portal_app:secret@db.internal:5432/portal"}


def test_connections_are_kept_between_requests_and_tasks_and_checked_before_reuse(
    tmp_path: Path,
) -> None:
    """A task worker or server process keeps its connection for a minute instead of opening one
    for every task or request (a new PostgreSQL backend each time); a connection the server has
    dropped is noticed before it is reused."""
    assert probe(DATABASE_PROBE, POSTGRES, tmp_path) == {"max_age": 60, "checks": True}


def test_the_connection_age_is_configurable(tmp_path: Path) -> None:
    chosen = {**POSTGRES, "DATABASE_CONN_MAX_AGE": "0"}
    assert probe(DATABASE_PROBE, chosen, tmp_path) == {"max_age": 0, "checks": True}
