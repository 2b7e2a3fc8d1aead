"""The audit trail's costs that grow with its length (docs/PERFORMANCE.md, bench/bench_scale.py):
a walk reads the chain key once, and an export walks the chain only after the newest anchor."""

import csv
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from filings import audit
from filings.audit import anchors, verify_chain
from filings.audit.exports import history_export
from filings.models import AuditChainHead, AuditEvent, Filing
from filings.services import editing
from filings.services.anchoring import audit_anchor
from tests.builders import VALID_CODES, complete_filing

pytestmark = pytest.mark.django_db


def some_history(preparer: User, rounds: int) -> None:
    filing = Filing.objects.first() or complete_filing(preparer, code=VALID_CODES[0])
    for index in range(rounds):
        editing.filing_update(actor=preparer, filing=filing, callee_source=f"网站 {index}")


def download(user: User, fmt: str) -> tuple[Any, str]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("admin:filings_auditevent_export", args=[fmt]))
    return response, b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]


def walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The `after_seq` of every chain walk the export makes."""
    seen: list[int] = []
    walk = verify_chain

    def recording(**kwargs: Any) -> Any:
        seen.append(kwargs.get("after_seq", 0))
        return walk(**kwargs)

    monkeypatch.setattr(anchors, "verify_chain", recording)
    return seen


def test_an_export_walks_the_chain_only_after_the_newest_anchor(
    preparer: User, auditor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    some_history(preparer, rounds=3)
    anchor = audit_anchor()
    assert anchor is not None
    some_history(preparer, rounds=2)
    seen = walks(monkeypatch)

    response, body = download(auditor, "jsonl")

    assert seen == [anchor.seq]
    meta = json.loads(body.splitlines()[0])["export"]
    assert meta["chain_verified"] is True
    assert meta["verified_after_seq"] == anchor.seq
    assert meta["anchors_checked"] == 1
    assert f"events walked after anchor seq {anchor.seq}" in response["X-Audit-Verification"]


def test_without_an_anchor_the_export_walks_the_whole_chain(
    preparer: User, auditor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    some_history(preparer, rounds=2)
    seen = walks(monkeypatch)

    response, body = download(auditor, "jsonl")

    assert seen == [0]
    assert json.loads(body.splitlines()[0])["export"]["verified_after_seq"] == 0
    assert "walked after anchor" not in response["X-Audit-Verification"]


def test_an_event_altered_after_the_anchor_still_fails_the_export(
    preparer: User, auditor: User
) -> None:
    some_history(preparer, rounds=2)
    assert audit_anchor() is not None
    some_history(preparer, rounds=2)
    last = AuditChainHead.objects.get().seq
    with connection.cursor() as cursor:  # SQLite: no append-only trigger to switch off
        if connection.vendor != "sqlite":
            pytest.skip("altering an event needs the table owner's trigger switch on PostgreSQL")
        table = AuditEvent._meta.db_table
        cursor.execute(f"UPDATE {table} SET actor_username = 'mallory' WHERE seq = %s", [last])  # noqa: S608

    _, body = download(auditor, "jsonl")

    meta = json.loads(body.splitlines()[0])["export"]
    assert meta["chain_verified"] is False
    assert meta["chain_problem"].startswith(f"#{last}: hash mismatch")


def test_csv_cells_keep_their_form(preparer: User, auditor: User) -> None:
    """Times in the active zone with their offset, formulas neutralised, data as sorted JSON."""
    some_history(preparer, rounds=1)
    hostile = User.objects.create_user("=HYPERLINK(1)")
    with transaction.atomic():
        audit.record(actor=hostile, kind="filing.updated", target=hostile)
    export = history_export(
        actor=auditor, what="audit", fmt="csv", queryset=AuditEvent.objects.all(), filters={}
    )

    rows = list(csv.reader(io.StringIO("".join(export).lstrip("\ufeff"))))[1:]

    first = AuditEvent.objects.get(seq=1)
    assert rows[0][1] == timezone.localtime(first.created_at).isoformat()
    assert rows[0][1].endswith("+08:00")
    assert rows[0][-3] == json.dumps(first.data, ensure_ascii=False, sort_keys=True)
    assert "'=HYPERLINK(1)" in [row[3] for row in rows]


class CountingKey(str):
    """A chain key that counts how often it is turned into bytes."""

    encodes = 0

    def encode(self, *args: Any, **kwargs: Any) -> bytes:
        type(self).encodes += 1
        return super().encode(*args, **kwargs)


def test_a_walk_reads_the_chain_key_once_not_once_an_event(preparer: User, settings: Any) -> None:
    some_history(preparer, rounds=10)
    settings.AUDIT_CHAIN_KEY = CountingKey(settings.AUDIT_CHAIN_KEY)
    CountingKey.encodes = 0

    report = verify_chain()

    assert report.ok
    assert report.count > 10
    assert CountingKey.encodes == 1
