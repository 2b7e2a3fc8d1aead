"""`manage.py check_documents`, and the backup and restore drill on PostgreSQL: real data dumped
with `python -m portal.backup`, restored into a new database and media folder, and shown whole
there by `verify_audit` and `check_documents` in the restored deployment's own processes."""

import base64
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from filings.models import AuditChainHead, Document, Filing
from filings.services import review
from filings.services.anchoring import audit_anchor
from filings.services.documents import Upload, document_upload
from portal.backup import BackupError, pg_tool
from tests.builders import complete_filing, image
from tests.conftest import skip_unless_available

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRES = connection.vendor == "postgresql"
pytestmark = pytest.mark.usefixtures("volc_settings")  # approving checks the credentials are set


def filing_with_history(preparer: User, reviewer: User) -> Filing:
    """Six documents, one of them replaced (the old version stays stored), then approved."""
    filing = complete_filing(preparer)
    document_upload(
        actor=preparer, filing=filing, kind="businessLicense", upload=Upload("新.jpg", image(9))
    )
    review.filing_submit(actor=preparer, filing=filing)
    review.filing_approve(actor=reviewer, filing=filing)
    filing.refresh_from_db()
    assert filing.status == Filing.Status.APPROVED
    assert filing.documents.count() == 7
    return filing


def check_fails() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("check_documents", stdout=out, stderr=err)
    assert caught.value.returncode == 1
    return str(caught.value), err.getvalue()


# --- check_documents, on any database


@pytest.mark.django_db
def test_check_documents_reads_every_stored_version(preparer: User, reviewer: User) -> None:
    filing_with_history(preparer, reviewer)
    out = StringIO()
    call_command("check_documents", stdout=out)
    assert out.getvalue() == "7 documents read back with their recorded SHA-256\n"


@pytest.mark.django_db
def test_check_documents_names_a_missing_object(preparer: User, reviewer: User) -> None:
    filing = filing_with_history(preparer, reviewer)
    gone = filing.documents.get(kind="operatorIdcard")
    default_storage.delete(gone.storage_key)

    message, named = check_fails()

    assert message == "1 of 7 documents failed the check"
    assert named == f"document {gone.uuid} (operatorIdcard, filing #{filing.pk}): missing\n"
    assert "operatorIdcard.jpg" not in named  # no file names: they may be personal data


@pytest.mark.django_db
def test_check_documents_names_other_content_and_damaged_files(
    preparer: User, reviewer: User
) -> None:
    filing = filing_with_history(preparer, reviewer)
    swapped = filing.documents.get(kind="proprietorIdcard")
    default_storage.delete(swapped.storage_key)
    assert default_storage.save(swapped.storage_key, ContentFile(image(50))) == swapped.storage_key
    damaged = filing.documents.get(kind="networkaccessCommitmentletter")
    path = Path(default_storage.path(damaged.storage_key))
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))

    message, named = check_fails()

    assert message == "2 of 7 documents failed the check"
    assert (
        f"document {swapped.uuid} (proprietorIdcard, filing #{filing.pk}): SHA-256 mismatch\n"
        in (named)
    )
    assert (
        f"document {damaged.uuid} (networkaccessCommitmentletter, filing #{filing.pk}): " in named
    )
    assert "unreadable: the encrypted file was altered or the key is wrong" in named


@pytest.mark.django_db
def test_check_documents_reads_through_s3(preparer: User, s3_storage: Any, settings: Any) -> None:
    filing = complete_filing(preparer)
    bucket = settings.STORAGES["default"]["OPTIONS"]["bucket_name"]
    call_command("check_documents", stdout=StringIO())
    gone = filing.documents.get(kind="businessLicense")
    s3_storage.delete_object(Bucket=bucket, Key=gone.storage_key)

    message, named = check_fails()

    assert message == "1 of 6 documents failed the check"
    assert f"document {gone.uuid} (businessLicense, filing #{filing.pk}): missing" in named


# --- the drill, on PostgreSQL


def database_url(name: str) -> str:
    db = connection.settings_dict
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(str(db['USER']), safe='')}{password}@{db['HOST']}:{db['PORT']}/{name}"
    )


def admin_connection() -> Any:
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )


@pytest.fixture
def restored_database() -> Iterator[str]:
    """A new, empty database on the test cluster; dropped afterwards."""
    name = f"portal_restored_{secrets.token_hex(4)}"
    with admin_connection() as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with admin_connection() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Deployment:
    """One deployment's environment: database, var folder (media, anchors) and keys."""

    def __init__(self, database: str, var: Path, keys: dict[str, str]) -> None:
        self.database = database
        self.var = var
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "DJANGO_", "PORTAL_", "DATABASE_", "AUDIT_"))
        }
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "portal.settings",
                "DEBUG": "true",
                "DATABASE_URL": database_url(database),
                "PORTAL_VAR_DIR": str(var),
                "PORTAL_ANCHOR_FILE": str(var / "anchors" / "audit.jsonl"),
                **keys,
            }
        )

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's rows, in a stable order."""
        import psycopg

        db = connection.settings_dict
        with psycopg.connect(
            host=db["HOST"],
            port=db["PORT"],
            user=db["USER"],
            password=db["PASSWORD"] or None,
            dbname=self.database,
        ) as session:
            tables = [
                name
                for (name,) in session.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                )
            ]
            return {
                table: sorted(
                    session.execute(f'SELECT * FROM "{table}"').fetchall(),  # noqa: S608
                    key=repr,
                )
                for table in tables
            }

    def media(self) -> dict[str, bytes]:
        folder = self.var / "media"
        return {
            str(path.relative_to(folder)): path.read_bytes()
            for path in folder.rglob("*")
            if path.is_file()
        }


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the backup covers PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_lose_nothing(
    preparer: User, reviewer: User, settings: Any, tmp_path: Path, restored_database: str
) -> None:
    try:
        pg_tool("pg_dump")
        pg_tool("pg_restore")
    except BackupError as exc:
        skip_unless_available(str(exc))
    media_key = base64.b64encode(secrets.token_bytes(32)).decode()
    keys = {"AUDIT_CHAIN_KEY": secrets.token_urlsafe(32), "PORTAL_MEDIA_KEYS": f"drill:{media_key}"}
    settings.AUDIT_CHAIN_KEY = keys["AUDIT_CHAIN_KEY"]
    settings.PORTAL_MEDIA_KEYS = keys["PORTAL_MEDIA_KEYS"]
    # conftest keeps this test's media in tmp_path/media and its anchors in tmp_path/anchors.
    live = Deployment(str(connection.settings_dict["NAME"]), tmp_path, keys)
    filing_with_history(preparer, reviewer)
    anchor = audit_anchor()
    assert anchor is not None
    head = AuditChainHead.objects.get()
    backup = tmp_path / "backup"

    dumped = live.ok("-m", "portal.backup", "dump", str(backup))

    assert sorted(p.name for p in backup.iterdir()) == [
        "anchors.jsonl",
        "database.dump",
        "manifest.json",
        "media.tar",
    ]
    assert "wrote" in dumped
    assert backup.stat().st_mode & 0o077 == 0
    restored = Deployment(restored_database, tmp_path / "restored", keys)

    lines = restored.ok("-m", "portal.backup", "restore", str(backup)).splitlines()

    assert lines == [
        f"restored database {restored_database}",
        f"restored media {restored.var / 'media'}",
        f"restored anchors {restored.var / 'anchors' / 'audit.jsonl'}",
    ]
    # Nothing lost: every row of every table, every stored file, the anchors.
    assert restored.rows() == live.rows()
    assert restored.media() == live.media()
    assert len(restored.media()) == Document.objects.count() == 7
    # The restored deployment's own processes agree: chain, anchor, every document.
    verified = restored.ok("manage.py", "verify_audit")
    assert f"head #{head.seq} {head.hash}; agrees with 1 anchor" in verified
    checked = restored.ok("manage.py", "check_documents")
    assert checked == "7 documents read back with their recorded SHA-256\n"

    # The checks read the restored copies: losing one there is found and named.
    lost = Document.objects.get(kind="operatorIdcardInhand")
    (restored.var / "media" / lost.storage_key).unlink()
    failed = restored.run("manage.py", "check_documents")
    assert failed.returncode == 1
    assert f"document {lost.uuid} (operatorIdcardInhand, filing #{lost.filing_id}): missing" in (
        failed.stderr
    )


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the backup covers PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_before_anything_is_restored(
    preparer: User, tmp_path: Path, restored_database: str, settings: Any
) -> None:
    try:
        pg_tool("pg_dump")
    except BackupError as exc:
        skip_unless_available(str(exc))
    keys = {"AUDIT_CHAIN_KEY": settings.AUDIT_CHAIN_KEY, "PORTAL_MEDIA_KEYS": ""}
    live = Deployment(str(connection.settings_dict["NAME"]), tmp_path, keys)
    complete_filing(preparer)
    backup = tmp_path / "backup"
    live.ok("-m", "portal.backup", "dump", str(backup))
    with (backup / "media.tar").open("ab") as handle:
        handle.write(b"\0")
    restored = Deployment(restored_database, tmp_path / "restored", keys)

    result = restored.run("-m", "portal.backup", "restore", str(backup))

    assert result.returncode == 1
    assert "media.tar does not match the manifest: damaged backup" in result.stderr
    assert restored.rows() == {}
    assert not (restored.var / "media").exists()
