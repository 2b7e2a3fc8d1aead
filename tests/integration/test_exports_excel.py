"""Exports as people and programs read them: CSV for Excel (UTF-8 with BOM, the header first, in
words of the user's language), JSON Lines for programs (first line: the verification), the
verification in the file name and a header, and every time in the configured zone with its
offset."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from filings import audit
from filings.audit import canonical_bytes, event_hash
from filings.audit.exports import HEADER, column_name, csv_columns
from filings.models import AuditChainHead, AuditEvent, Submission
from filings.services import sending
from tests import builders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]

ROOT = Path(__file__).resolve().parents[2]
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")


@pytest.fixture
def history(preparer: User, reviewer: User) -> Submission:
    filing = builders.approved_filing(preparer, reviewer)
    submission = sending.filing_send(actor=reviewer, filing=filing)  # nowhere to send: NOT_SENT
    assert submission.outcome == Submission.Outcome.NOT_SENT
    return submission


def download(user: User, what: str, fmt: str, language: str = "zh-hans") -> tuple[Any, bytes]:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(reverse(f"admin:filings_{what}_export", args=[fmt]))
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def test_csv_opens_in_excel_header_first_in_the_users_words(
    history: Submission, auditor: User
) -> None:
    for language in ("zh-hans", "en"):
        for what, model, name in (
            ("auditevent", AuditEvent, "audit"),
            ("submission", Submission, "submissions"),
        ):
            _response, body = download(auditor, what, "csv", language)

            assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
            header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
            with translation.override(language):
                assert header == [column_name(model, field) for field in csv_columns(name)]
            assert not header[0].startswith("#")
            assert rows
            assert all(len(row) == len(header) for row in rows)

    _response, body = download(auditor, "auditevent", "csv")
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header[:6] == ["序号", "时间", "操作人 ID", "操作人", "类型", "事件"]
    assert "actor__username" not in body.decode("utf-8-sig")


def test_each_audit_csv_cell_is_the_events_value_of_its_column(
    history: Submission, auditor: User
) -> None:
    """The audit CSV converts its cells column by column, in the exported fields' order: each
    cell holds the event's own value of the column its header names."""
    _response, body = download(auditor, "auditevent", "csv", "en")
    _header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    events = {event.seq: event for event in AuditEvent.objects.all()}
    assert len(rows) == len(events) - 1  # all but the export's own event, written after them
    for row in rows:
        cells = dict(zip(csv_columns("audit"), row, strict=True))
        event = events[int(cells["seq"])]
        assert (cells["actor_id"], cells["actor_username"]) == (
            str(event.actor_id or ""),
            event.actor_username,
        )
        assert (cells["kind"], cells["target_type"], cells["target_id"]) == (
            event.kind,
            event.target_type,
            event.target_id,
        )
        assert cells["filing_id"] == str(event.filing_id or "")
        assert (cells["prev_hash"], cells["hash"]) == (event.prev_hash, event.hash)
        assert isinstance(json.loads(cells["data"]), dict)


def test_the_verification_is_in_the_file_name_and_a_header_and_first_in_json_lines(
    history: Submission, auditor: User
) -> None:
    csv_response, _body = download(auditor, "auditevent", "csv")
    head = AuditChainHead.objects.get(pk=audit.HEAD_PK)  # the export's own events included
    jsonl_response, jsonl = download(auditor, "auditevent", "jsonl")

    disposition = csv_response["Content-Disposition"]
    # the head when the CSV was verified: its export event, before the anchor's event
    exported_at = head.seq - 1
    hashes = dict(AuditEvent.objects.values_list("seq", "hash"))
    assert re.fullmatch(
        rf'attachment; filename="audit-\d{{8}}T\d{{6}}\+0800-verified-seq{exported_at}-'
        rf'{hashes[exported_at][:12]}\.csv"',
        disposition,
    ), disposition
    statement = csv_response[HEADER]
    assert statement.startswith(
        f"chain verified up to seq {exported_at} hash {hashes[exported_at]}; anchors checked "
    )
    assert f"anchor written seq {exported_at} hash {hashes[exported_at]}" in statement
    assert statement.isascii()

    first, *records = [json.loads(line) for line in jsonl.decode().splitlines()]
    meta = first["export"]
    assert meta["chain_verified"] is True
    assert meta["what"] == "audit"
    assert meta["head_seq"] == head.seq + 1 == exported_at + 2
    assert OFFSET.match(meta["exported_at"])
    assert jsonl_response[HEADER].startswith(f"chain verified up to seq {head.seq + 1} ")
    assert len(records) == head.seq + 1


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="on PostgreSQL the append-only trigger refuses the raw UPDATE that breaks the chain",
)
def test_a_broken_chain_is_named_in_the_file_name_and_the_header(
    history: Submission, auditor: User
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET actor_username = %s WHERE seq = 3",  # noqa: S608
            ["mallory"],
        )

    response, body = download(auditor, "submission", "csv")

    assert "-NOT-VERIFIED-" in response["Content-Disposition"]
    assert response[HEADER].startswith("chain NOT verified")
    assert "problem #3: hash mismatch" in response[HEADER]
    assert body.decode("utf-8-sig").splitlines()[0].startswith("提交记录,")  # still the header


def test_exported_times_carry_the_configured_zones_offset_and_still_verify(
    history: Submission, superuser: User, settings: Any
) -> None:
    # (a superuser: nothing in the data is redacted, so every event recomputes to its hash)
    auditor = superuser
    _response, body = download(auditor, "auditevent", "jsonl")
    _meta, *records = [json.loads(line) for line in body.decode().splitlines()]
    _response, csv_body = download(auditor, "submission", "csv")
    _header, *rows = list(csv.reader(io.StringIO(csv_body.decode("utf-8-sig"))))

    assert all(OFFSET.match(record["created_at"]) for record in records)
    started = csv_columns("submissions").index("started_at")
    assert OFFSET.match(rows[0][started])
    # An exported event recomputes to its hash: the offset names the same instant.
    for record in records:
        fields = {name: record[name] for name in ("seq", "actor_id", "actor_username", "kind")}
        canonical = canonical_bytes(
            **fields,
            created_at=datetime.fromisoformat(record["created_at"]),
            target_type=record["target_type"],
            target_id=record["target_id"],
            filing_id=record["filing_id"],
            data=record["data"],
        )
        assert event_hash(canonical, record["prev_hash"]) == record["hash"]

    settings.TIME_ZONE = "Europe/Berlin"
    _response, body = download(auditor, "auditevent", "jsonl")
    created = json.loads(body.decode().splitlines()[1])["created_at"]
    assert created.endswith(("+01:00", "+02:00"))


def settings_time_zone(**env: str) -> str:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.TIME_ZONE)"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_one_time_zone_setting_from_the_environment_default_shanghai() -> None:
    assert settings_time_zone() == "Asia/Shanghai"
    assert settings_time_zone(TIME_ZONE="UTC") == "UTC"
