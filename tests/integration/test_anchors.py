"""Audit anchors: the head written outside the database catches what the chain alone cannot,
a truncated tail with the head moved back and a chain rewritten with the key."""

import hmac
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from filings.audit import canonical_bytes, verify_chain
from filings.audit.anchors import Anchor, FileAnchorStore, S3AnchorStore, make_anchor
from filings.models import AuditChainHead, AuditEvent, Filing
from filings.services import editing
from filings.services.anchoring import audit_anchor
from tests.builders import VALID_CODES, complete_filing

pytestmark = pytest.mark.django_db

TABLE = AuditEvent._meta.db_table
HEAD_TABLE = AuditChainHead._meta.db_table


@pytest.fixture
def anchors(settings: Any) -> FileAnchorStore:
    return FileAnchorStore(Path(settings.PORTAL_ANCHOR_FILE))


@contextmanager
def as_database_owner() -> Iterator[None]:
    """An attacker who owns the table: on PostgreSQL the append-only trigger is switched off."""
    postgres = connection.vendor == "postgresql"
    if postgres:
        execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        if postgres:
            execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")


def execute(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def verify_fails(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        verify(*args)
    assert caught.value.returncode == 1
    return str(caught.value)


def some_history(preparer: User, rounds: int = 3) -> None:
    filing = Filing.objects.first() or complete_filing(preparer, code=VALID_CODES[0])
    for index in range(rounds):
        editing.filing_update(actor=preparer, filing=filing, callee_source=f"网站 {index}")


def anchored_history(preparer: User) -> Anchor:
    """Some history, an anchor of it, then newer events after the anchor."""
    some_history(preparer)
    anchor = audit_anchor()
    assert anchor is not None
    some_history(preparer, rounds=2)
    return anchor


def truncate_after(seq: int) -> None:
    """Delete every event after `seq` and move the head back to it, as a table owner can."""
    kept = AuditEvent.objects.get(seq=seq)
    with as_database_owner():
        execute(f"DELETE FROM {TABLE} WHERE seq > %s", [seq])  # noqa: S608
        execute(f"UPDATE {HEAD_TABLE} SET seq = %s, hash = %s", [seq, kept.hash])  # noqa: S608


def test_anchor_audit_writes_the_head_and_records_it(
    anchors: FileAnchorStore, preparer: User
) -> None:
    some_history(preparer)
    head = AuditChainHead.objects.get()
    out = io.StringIO()

    call_command("anchor_audit", stdout=out)

    [anchor] = anchors.read_all()
    assert (anchor.seq, anchor.hash) == (head.seq, head.hash)
    assert anchor.authentic
    assert out.getvalue() == f"anchored #{head.seq} {head.hash} in {anchors.description}\n"
    event = AuditEvent.objects.get(kind="audit.anchored")
    assert event.seq == head.seq + 1
    assert event.data == {"seq": head.seq, "hash": head.hash, "store": anchors.description}
    assert "1 anchor" in verify()


def test_an_empty_chain_is_not_anchored(anchors: FileAnchorStore) -> None:
    assert audit_anchor() is None
    assert anchors.read_all() == []


def test_truncation_with_the_head_moved_back_passes_the_chain_but_not_the_anchor(
    anchors: FileAnchorStore, preparer: User
) -> None:
    anchor = anchored_history(preparer)
    truncate_after(anchor.seq - 3)

    assert verify_chain().ok  # the chain alone cannot tell
    message = verify_fails()
    assert message.startswith(f"truncation at #{anchor.seq}:")
    assert "no longer exists" in message


def test_a_chain_rewritten_with_the_key_passes_the_chain_but_not_the_anchor(
    anchors: FileAnchorStore, preparer: User, settings: Any
) -> None:
    some_history(preparer)
    anchor = audit_anchor()
    assert anchor is not None
    start = anchor.seq - 5
    rows = list(AuditEvent.objects.filter(seq__gte=start).order_by("seq").values())
    prev = AuditEvent.objects.get(seq=start - 1).hash
    with as_database_owner():
        for row in rows:
            data = {**row["data"], "rewritten": True}
            fields = {
                name: row[name]
                for name in (
                    "seq",
                    "created_at",
                    "actor_id",
                    "actor_username",
                    "kind",
                    "target_type",
                    "target_id",
                    "filing_id",
                )
            }
            digest = hmac.new(
                settings.AUDIT_CHAIN_KEY.encode(),
                canonical_bytes(**fields, data=data) + prev.encode(),
                "sha256",
            ).hexdigest()
            execute(
                f"UPDATE {TABLE} SET data = %s, prev_hash = %s, hash = %s WHERE seq = %s",  # noqa: S608
                [json.dumps(data), prev, digest, row["seq"]],
            )
            prev = digest
        execute(f"UPDATE {HEAD_TABLE} SET hash = %s", [prev])  # noqa: S608

    assert verify_chain().ok  # every link and HMAC agrees: the key was used
    message = verify_fails()
    assert message.startswith(f"rewrite at #{anchor.seq}:")


def test_a_forged_anchor_is_named(anchors: FileAnchorStore, preparer: User) -> None:
    some_history(preparer)
    head = AuditChainHead.objects.get()
    good = make_anchor(head.seq, head.hash, timezone.now())
    anchors.append(Anchor(good.seq, good.hash, good.at, "0" * 64))

    assert verify_fails().startswith(f"forged anchor at #{head.seq}:")


def test_since_last_anchor_verifies_only_the_newer_events(
    anchors: FileAnchorStore, preparer: User
) -> None:
    anchor = anchored_history(preparer)
    newer = AuditEvent.objects.filter(seq__gt=anchor.seq).count()

    out = verify("--since-last-anchor")

    assert f"{newer} events after anchor #{anchor.seq}" in out


def test_since_last_anchor_still_finds_tampering_after_the_anchor(
    anchors: FileAnchorStore, preparer: User
) -> None:
    anchored_history(preparer)
    last = AuditChainHead.objects.get().seq
    with as_database_owner():
        execute(f"UPDATE {TABLE} SET actor_username = 'mallory' WHERE seq = %s", [last])  # noqa: S608

    message = verify_fails("--since-last-anchor")
    assert message.startswith(f"audit chain broken at event #{last}: hash mismatch")


# --- the production store: S3 Object Lock in compliance mode, on the moto server


@pytest.fixture
def locked_bucket(s3_server: str) -> Any:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing-access",
        aws_secret_access_key="testing-secret",
    )
    client.create_bucket(Bucket="portal-anchors", ObjectLockEnabledForBucket=True)
    return client


def test_s3_anchors_cannot_be_deleted_or_overwritten_before_retention_ends(
    locked_bucket: Any, preparer: User
) -> None:
    from botocore.exceptions import ClientError

    some_history(preparer)
    head = AuditChainHead.objects.get()
    store = S3AnchorStore(locked_bucket, "portal-anchors", "audit/", timedelta(days=30))
    anchor = make_anchor(head.seq, head.hash, timezone.now())

    store.append(anchor)

    assert store.read_all() == [anchor]
    [listed] = locked_bucket.list_object_versions(Bucket="portal-anchors")["Versions"]
    head = locked_bucket.head_object(Bucket="portal-anchors", Key=listed["Key"])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > anchor.at + timedelta(days=29)
    with pytest.raises(ClientError, match="AccessDenied"):
        locked_bucket.delete_object(
            Bucket="portal-anchors", Key=listed["Key"], VersionId=listed["VersionId"]
        )
    assert store.read_all() == [anchor]


# --- exports anchor the trail and state the anchor


def export_meta(user: User) -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("admin:filings_auditevent_export", args=["jsonl"]))
    first = b"".join(response.streaming_content).decode().splitlines()[0]
    return dict(json.loads(first)["export"])


def test_every_export_writes_an_anchor_and_states_it(
    anchors: FileAnchorStore, preparer: User, auditor: User
) -> None:
    some_history(preparer)

    meta = export_meta(auditor)

    [anchor] = anchors.read_all()
    exported = AuditEvent.objects.get(kind="audit.exported")
    assert (anchor.seq, anchor.hash) == (exported.seq, exported.hash)
    assert (meta["anchor_seq"], meta["anchor_hash"]) == (anchor.seq, anchor.hash)
    assert meta["chain_verified"] is True
    assert meta["anchors_checked"] == 0  # checked before this export's own anchor
    assert export_meta(auditor)["anchors_checked"] == 1


def test_an_export_after_truncation_says_the_trail_is_broken(
    anchors: FileAnchorStore, preparer: User, auditor: User
) -> None:
    some_history(preparer)
    anchor = audit_anchor()
    assert anchor is not None
    truncate_after(anchor.seq - 2)

    meta = export_meta(auditor)

    assert meta["chain_verified"] is False
    assert meta["chain_problem"].startswith(f"truncation at #{anchor.seq}")
