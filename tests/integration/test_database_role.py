"""PostgreSQL: README's "Database roles", run as written on a new database of the test cluster.

The owner role migrates; the app role writes, anchors and verifies audit events through the real
commands, yet is refused UPDATE, DELETE and TRUNCATE of events (DELETE and TRUNCATE of the head)
by privileges alone: the owner has switched the triggers off first.
"""

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from filings.models import AuditChainHead, AuditEvent
from tests.builders import VALID_CODES
from tests.conftest import skip_unless_available

ON_POSTGRES = connection.vendor == "postgresql"
ROOT = Path(__file__).resolve().parents[2]
TABLE = AuditEvent._meta.db_table
HEAD_TABLE = AuditChainHead._meta.db_table
WRITE_EVENTS = f"""
import django
django.setup()
from django.contrib.auth.models import Group, User
from filings.services import editing
user = User.objects.create_user("role-check", is_staff=True)
user.groups.add(Group.objects.get(name="Preparer"))
editing.company_create(actor=user, name="角色检查有限公司", credit_code="{VALID_CODES[0]}")
"""


def readme_sql_blocks() -> list[str]:
    """The SQL blocks of README's "Database roles" section, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Database roles\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


@dataclass(frozen=True)
class Cluster:
    """The test cluster's address, with a superuser's credentials."""

    host: str
    port: str
    user: str
    password: str
    maintenance_db: str

    def connect(self, *, user: str = "", password: str = "", dbname: str = "") -> Any:
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=user or self.user,
            password=(password if user else self.password) or None,
            dbname=dbname or self.maintenance_db,
            autocommit=True,
        )

    def url(self, user: str, password: str, dbname: str) -> str:
        return f"postgres://{user}:{password}@{self.host}:{self.port}/{dbname}"


@dataclass(frozen=True)
class Deployment:
    cluster: Cluster
    database: str
    owner: str
    owner_password: str
    app: str
    app_password: str

    def sql(self, block: str) -> list[str]:
        """README's statements with this deployment's names and passwords."""
        block = re.sub(r"\bportal_owner\b", self.owner, block)
        block = re.sub(r"\bportal_app\b", self.app, block)
        block = block.replace("'owner-password'", f"'{self.owner_password}'")
        block = block.replace("'app-password'", f"'{self.app_password}'")
        block = re.sub(r"\bDATABASE portal\b", f"DATABASE {self.database}", block)
        return [statement.strip() for statement in block.split(";") if statement.strip()]

    def as_owner(self) -> Any:
        return self.cluster.connect(
            user=self.owner, password=self.owner_password, dbname=self.database
        )

    def as_app(self) -> Any:
        return self.cluster.connect(user=self.app, password=self.app_password, dbname=self.database)


def run_portal(deployment: Deployment, user: str, password: str, tmp_path: Path, *args: str) -> str:
    """A portal command (development mode) connected as `user`; its output."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "DJANGO_", "PORTAL_", "DATABASE_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DEBUG": "true",
            "PORTAL_VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": deployment.cluster.url(user, password, deployment.database),
        }
    )
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def cluster() -> Cluster:
    db = connection.settings_dict
    found = Cluster(
        str(db["HOST"]), str(db["PORT"]), str(db["USER"]), str(db["PASSWORD"]), str(db["NAME"])
    )
    with found.connect() as admin:
        row = admin.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if not row or not row[0]:
        skip_unless_available("creating roles and databases needs a superuser on the cluster")
    return found


@pytest.fixture
def deployment(cluster: Cluster, tmp_path: Path) -> Iterator[Deployment]:
    """README's steps 1 to 3 on a new database; dropped again afterwards with its two roles."""
    suffix = secrets.token_hex(4)
    made = Deployment(
        cluster,
        f"portal_roles_{suffix}",
        f"portal_owner_{suffix}",
        secrets.token_urlsafe(16),
        f"portal_app_{suffix}",
        secrets.token_urlsafe(16),
    )
    create, before_migrate, after_migrate = readme_sql_blocks()
    try:
        with cluster.connect() as admin:
            for statement in made.sql(create):
                admin.execute(statement)
        with made.as_owner() as owner:
            for statement in made.sql(before_migrate):
                owner.execute(statement)
        run_portal(made, made.owner, made.owner_password, tmp_path, "manage.py", "migrate", "-v0")
        with made.as_owner() as owner:
            for statement in made.sql(after_migrate):
                owner.execute(statement)
        yield made
    finally:
        with cluster.connect() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {made.database} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {made.app}")
            admin.execute(f"DROP ROLE IF EXISTS {made.owner}")


def test_the_readme_has_the_three_blocks_of_sql() -> None:
    create, before_migrate, after_migrate = readme_sql_blocks()
    assert "CREATE DATABASE portal OWNER portal_owner" in create
    assert "ALTER DEFAULT PRIVILEGES" in before_migrate
    assert f"REVOKE UPDATE, DELETE, TRUNCATE ON {TABLE} FROM portal_app" in after_migrate


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="database roles are PostgreSQL's")
def test_the_app_role_appends_but_privileges_alone_refuse_changes(
    deployment: Deployment, tmp_path: Path
) -> None:
    import psycopg

    def portal(*args: str) -> str:
        return run_portal(deployment, deployment.app, deployment.app_password, tmp_path, *args)

    # The app role writes events (INSERT, and UPDATE of the head under its row lock) and anchors.
    portal("-c", WRITE_EVENTS)
    assert "anchored #" in portal("manage.py", "anchor_audit")
    assert "agrees with 1 anchor" in portal("manage.py", "verify_audit")

    with deployment.as_owner() as owner:
        events = owner.execute(f"SELECT seq FROM {TABLE} ORDER BY seq").fetchall()  # noqa: S608
        assert len(events) == 2  # the company created, the anchor written
        owner.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        owner.execute(f"ALTER TABLE {HEAD_TABLE} DISABLE TRIGGER USER")
        # With the triggers off, the owner could now delete events (rolled back here).
        with owner.transaction():
            assert owner.execute(f"DELETE FROM {TABLE}").rowcount == 2  # noqa: S608
            raise psycopg.Rollback
    refused = [
        f"UPDATE {TABLE} SET kind = 'forged'",  # noqa: S608
        f"DELETE FROM {TABLE} WHERE seq = 1",  # noqa: S608
        f"TRUNCATE {TABLE}",
        f"DELETE FROM {HEAD_TABLE}",  # noqa: S608
        f"TRUNCATE {HEAD_TABLE}",
    ]
    with deployment.as_app() as app:
        app.execute("SET portal.allow_audit_truncate = on")
        for sql in refused:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                app.execute(sql)
        for sql in [f"ALTER TABLE {TABLE} ENABLE TRIGGER USER", f"DROP TABLE {TABLE}"]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"):
                app.execute(sql)
        after = app.execute(f"SELECT seq FROM {TABLE} ORDER BY seq").fetchall()  # noqa: S608
    assert after == events
    assert "agrees with 1 anchor" in portal("manage.py", "verify_audit")
