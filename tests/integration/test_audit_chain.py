"""The audit trail's hash chain: it verifies over a real history, and every kind of tampering
(raw SQL edit, delete, reorder, forged insert, truncated tail) is found and named."""

import hmac
import itertools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from filings import audit
from filings.audit import GENESIS_HASH, canonical_bytes, verify_chain
from filings.models import AppendOnlyError, AuditChainHead, AuditEvent, Filing, Submission
from filings.services import editing, review
from filings.services.documents import Upload, document_upload
from filings.services.sending import filing_send
from tests.builders import VALID_CODES, approved_filing, complete_filing, image

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]
# Committed data (threads, the live server); the roles come back through conftest's role().
TRANSACTIONAL = pytest.mark.django_db(transaction=True)

ON_POSTGRES = connection.vendor == "postgresql"
TRIGGER_REFUSES = pytest.mark.skipif(
    ON_POSTGRES,
    reason="on PostgreSQL the append-only trigger refuses raw UPDATE/DELETE of audit events "
    "(test_raw_update_and_delete_are_refused_by_the_trigger covers that instead)",
)
TABLE = AuditEvent._meta.db_table
HEAD_TABLE = AuditChainHead._meta.db_table


def build_history(preparer: User, preparer2: User, reviewer: User, reviewer2: User) -> int:
    """Three filings taken through many real edits, reviews and approvals; returns the count."""
    for index, code in enumerate(VALID_CODES):
        filing = complete_filing(preparer, code=code)
        for round_ in range(5):
            editing.filing_update(actor=preparer2, filing=filing, callee_source=f"网站 {round_}")
            editing.script_add(
                actor=preparer, filing=filing, scene=f"场景{round_}", content=f"话术 “{round_}”"
            )
            review.filing_submit(actor=preparer, filing=filing)
            review.filing_request_changes(
                actor=reviewer, filing=filing, comment=f"第 {round_} 轮：请修改"
            )
        document_upload(
            actor=preparer2,
            filing=filing,
            kind="businessLicense",
            upload=Upload("新执照.jpg", image(40 + index)),
        )
        review.filing_submit(actor=preparer, filing=filing)
        review.filing_approve(actor=reviewer2, filing=filing)
        script = filing.scripts.last()
        assert script is not None
        editing.script_update(actor=preparer, script=script, content="改过 \U0001f600")
        review.filing_submit(actor=preparer, filing=filing)
        review.filing_approve(actor=reviewer, filing=filing)
        editing.company_update(
            actor=preparer2, company=filing.company, name=f"公司 {index}", credit_code=code
        )
    return AuditEvent.objects.count()


@pytest.fixture
def history(preparer: User, preparer2: User, reviewer: User, reviewer2: User) -> int:
    count = build_history(preparer, preparer2, reviewer, reviewer2)
    assert count >= 100
    return count


def execute(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def event_row(seq: int) -> dict[str, Any]:
    return AuditEvent.objects.values().get(seq=seq)


def assert_broken(report: audit.ChainReport, seq: int, reason: str) -> None:
    assert not report.ok
    assert (report.bad_seq, report.reason.split(":")[0]) == (seq, reason), report
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit", stdout=StringIO())
    assert caught.value.returncode == 1
    assert str(caught.value) == f"audit chain broken at event #{seq}: {report.reason}"


def forge(
    *, seq: int, prev_hash: str, key: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An event row as an attacker with database access would write it, hashed with `key`."""
    fields = {
        "seq": seq,
        "created_at": datetime.now(UTC).replace(microsecond=0),
        "actor_id": None,
        "actor_username": "mallory",
        "kind": "filing.approved",
        "target_type": "filing",
        "target_id": "1",
        "filing_id": 1,
        "data": data if data is not None else {"content_hash": "f" * 64},
    }
    digest = hmac.new(
        key.encode(), canonical_bytes(**fields) + prev_hash.encode(), "sha256"
    ).hexdigest()
    return {**fields, "prev_hash": prev_hash, "hash": digest}


def insert_raw(row: dict[str, Any]) -> None:
    columns = list(row)
    values = [
        json.dumps(row[c])
        if c == "data"
        else connection.ops.adapt_datetimefield_value(row[c])
        if c == "created_at"
        else row[c]
        for c in columns
    ]
    placeholders = ", ".join("%s" for _ in columns)
    execute(f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES ({placeholders})", values)  # noqa: S608


# --- a long real history verifies


def test_a_long_real_history_verifies(history: int) -> None:
    last = AuditEvent.objects.order_by("seq").last()
    assert last is not None

    report = verify_chain()

    assert report == audit.ChainReport(True, history, history, last.hash)
    assert verify_chain(chunk_size=7) == report  # walking in small chunks changes nothing


def test_the_history_is_one_unbroken_chain(history: int) -> None:
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [seq for seq, _, _ in rows] == list(range(1, history + 1))
    assert rows[0][1] == GENESIS_HASH
    for (_, _, previous), (_, prev_hash, _) in itertools.pairwise(rows):
        assert prev_hash == previous
    assert len({digest for _, _, digest in rows}) == history
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (history, rows[-1][2])


def test_the_history_records_every_kind_of_change(history: int) -> None:
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert kinds == {
        "company.created",
        "company.updated",
        "filing.created",
        "filing.updated",
        "script.created",
        "script.updated",
        "document.uploaded",
        "document.replaced",
        "filing.submitted",
        "filing.changes_requested",
        "filing.approved",
        "filing.approval_voided",
        "filing.company_changed",
    }


def test_verify_audit_command_reports_the_count(history: int) -> None:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    head = AuditChainHead.objects.get()
    assert out.getvalue().strip() == (
        f"audit chain intact: {history} events, head #{history} {head.hash}; agrees with 0 anchors"
    )


def test_an_empty_trail_verifies(db: None) -> None:
    assert verify_chain() == audit.ChainReport(True, 0, 0, GENESIS_HASH)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "audit chain intact: 0 events" in out.getvalue()


def test_the_chain_is_keyed(history: int, settings: Any) -> None:
    # Without the key from the environment nobody can recompute a hash that verifies.
    settings.AUDIT_CHAIN_KEY = "another-key"
    assert_broken(verify_chain(), 1, "hash mismatch")


def test_awkward_data_round_trips_through_the_json_column(preparer: User) -> None:
    filing = complete_filing(preparer)
    with transaction.atomic():
        audit.record(
            actor=preparer,
            kind="test.awkward",
            target=filing,
            filing=filing,
            data={
                "float": 0.1,
                "half": 2.5,
                "big": 2**53 + 1,
                "negative": -7,
                "decimal": Decimal("12.30"),
                "when": datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
                "delta": timedelta(seconds=3),
                "nested": {"b": [1, "二", None, True], "a": {}},
                "unicode": "\u200f 😀 \u2028 'quote' \"dq\" \\ back",
                "empty": "",
            },
        )
    assert verify_chain().ok


# --- tampering with raw SQL is found


@TRIGGER_REFUSES
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("data", json.dumps({"comment": "看起来没问题"}, ensure_ascii=False)),
        ("actor_username", "someone-else"),
        ("actor_id", 999),
        ("kind", "filing.withdrawn"),
        ("target_id", "424242"),
        ("filing_id", 424242),
        ("created_at", "2001-01-01 00:00:00"),
    ],
)
def test_editing_one_row_is_found(history: int, column: str, value: object) -> None:
    seq = history // 2
    before = event_row(seq)
    execute(f"UPDATE {TABLE} SET {column} = %s WHERE seq = %s", [value, seq])  # noqa: S608
    assert event_row(seq) != before

    assert_broken(verify_chain(), seq, "hash mismatch")


@TRIGGER_REFUSES
def test_editing_a_row_and_its_own_hash_without_the_key_is_found(history: int) -> None:
    seq = 40
    row = event_row(seq)
    forged = forge(seq=seq, prev_hash=row["prev_hash"], key="guessed-key")
    execute(
        f"UPDATE {TABLE} SET kind = %s, data = %s, hash = %s WHERE seq = %s",  # noqa: S608
        [row["kind"], json.dumps({"x": 1}), forged["hash"], seq],
    )
    assert_broken(verify_chain(), seq, "hash mismatch")


@TRIGGER_REFUSES
def test_deleting_a_row_is_found(history: int) -> None:
    seq = 17
    execute(f"DELETE FROM {TABLE} WHERE seq = %s", [seq])  # noqa: S608

    report = verify_chain()

    assert_broken(report, seq + 1, "gap")
    assert report.count == seq - 1


@TRIGGER_REFUSES
def test_deleting_the_first_row_is_found(history: int) -> None:
    execute(f"DELETE FROM {TABLE} WHERE seq = 1")  # noqa: S608
    assert_broken(verify_chain(), 2, "gap")


@TRIGGER_REFUSES
def test_deleting_a_row_and_renumbering_the_rest_is_found(history: int) -> None:
    seq = 30
    execute(f"DELETE FROM {TABLE} WHERE seq = %s", [seq])  # noqa: S608
    execute(f"UPDATE {TABLE} SET seq = seq + %s WHERE seq > %s", [10**9, seq])  # noqa: S608
    execute(f"UPDATE {TABLE} SET seq = seq - %s WHERE seq > %s", [10**9 + 1, 10**9])  # noqa: S608
    execute(f"UPDATE {HEAD_TABLE} SET seq = seq - 1")  # noqa: S608

    assert_broken(verify_chain(), seq, "broken link")


@TRIGGER_REFUSES
def test_swapping_two_rows_is_found(history: int) -> None:
    first, second = 25, 26
    parking = 10**9
    execute(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [parking, first])  # noqa: S608
    execute(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [first, second])  # noqa: S608
    execute(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [second, parking])  # noqa: S608
    assert AuditEvent.objects.count() == history

    assert_broken(verify_chain(), first, "broken link")


@TRIGGER_REFUSES
def test_swapping_two_distant_rows_is_found(history: int) -> None:
    first, second = 10, history - 3
    parking = 10**9
    execute(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [parking, first])  # noqa: S608
    execute(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [first, second])  # noqa: S608
    execute(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [second, parking])  # noqa: S608

    assert_broken(verify_chain(), first, "broken link")


@TRIGGER_REFUSES
def test_replacing_a_row_with_a_forged_one_is_found(history: int) -> None:
    # Correct seq and a prev_hash that links, but the hash is made without the chain key.
    seq = 50
    prev_hash = event_row(seq)["prev_hash"]
    execute(f"DELETE FROM {TABLE} WHERE seq = %s", [seq])  # noqa: S608
    insert_raw(forge(seq=seq, prev_hash=prev_hash, key="guessed-key"))

    assert_broken(verify_chain(), seq, "hash mismatch")


def test_appending_a_forged_row_is_found(history: int) -> None:
    head = AuditChainHead.objects.get()
    insert_raw(forge(seq=history + 1, prev_hash=head.hash, key="guessed-key"))

    assert_broken(verify_chain(), history + 1, "hash mismatch")


def test_appending_a_forged_row_and_moving_the_head_is_found(history: int) -> None:
    head = AuditChainHead.objects.get()
    row = forge(seq=history + 1, prev_hash=head.hash, key="guessed-key")
    insert_raw(row)
    execute(f"UPDATE {HEAD_TABLE} SET seq = %s, hash = %s", [history + 1, row["hash"]])  # noqa: S608

    assert_broken(verify_chain(), history + 1, "hash mismatch")


def test_a_row_appended_behind_the_heads_back_is_named(history: int, settings: Any) -> None:
    # Even a correctly keyed row is refused if it did not go through audit.record (the head).
    head = AuditChainHead.objects.get()
    insert_raw(forge(seq=history + 1, prev_hash=head.hash, key=settings.AUDIT_CHAIN_KEY))

    report = verify_chain()

    assert not report.ok
    assert report.bad_seq == history + 1
    assert "head" in report.reason


@TRIGGER_REFUSES
def test_truncating_the_tail_is_found(history: int) -> None:
    execute(f"DELETE FROM {TABLE} WHERE seq = %s", [history])  # noqa: S608

    report = verify_chain()

    assert_broken(report, history, "tail missing")
    assert report.count == history - 1
    assert f"#{history}" in report.reason


@TRIGGER_REFUSES
def test_truncating_several_rows_of_the_tail_is_found(history: int) -> None:
    execute(f"DELETE FROM {TABLE} WHERE seq > %s", [history - 5])  # noqa: S608
    assert_broken(verify_chain(), history - 4, "tail missing")


def test_a_new_event_after_tampering_does_not_repair_the_chain(
    history: int, preparer: User
) -> None:
    head = AuditChainHead.objects.get()
    insert_raw(forge(seq=history + 1, prev_hash=head.hash, key="guessed-key"))
    execute(f"UPDATE {HEAD_TABLE} SET seq = %s", [history + 1])  # noqa: S608
    filing = Filing.objects.first()
    assert filing is not None
    Filing.objects.filter(pk=filing.pk).update(status="DRAFT")
    editing.filing_update(actor=preparer, filing=filing, callee_source="之后")

    assert_broken(verify_chain(), history + 1, "hash mismatch")


# --- PostgreSQL: the trigger refuses UPDATE and DELETE, whoever sends them


@pytest.mark.skipif(not ON_POSTGRES, reason="the append-only trigger exists only on PostgreSQL")
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET data = '{{}}' WHERE seq = 3",  # noqa: S608
        f"UPDATE {TABLE} SET seq = seq + 1000",  # noqa: S608
        f"DELETE FROM {TABLE} WHERE seq = 3",  # noqa: S608
        f"DELETE FROM {TABLE}",  # noqa: S608
    ],
)
def test_raw_update_and_delete_are_refused_by_the_trigger(preparer: User, sql: str) -> None:
    complete_filing(preparer)
    before = list(AuditEvent.objects.values())

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(sql)

    assert list(AuditEvent.objects.values()) == before
    assert verify_chain().ok


# --- the ORM refuses to change or remove an event


def test_the_orm_cannot_change_or_remove_an_event(preparer: User) -> None:
    filing = complete_filing(preparer)
    before = list(AuditEvent.objects.values())
    event = AuditEvent.objects.get(seq=3)

    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=3).update(kind="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=3).delete()
    with pytest.raises(AppendOnlyError):
        filing.audit_events.update(data={})
    with pytest.raises(AppendOnlyError):
        filing.audit_events.all().delete()
    event.data = {"changed": True}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.save(update_fields=["data"])
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["data"])

    assert list(AuditEvent.objects.values()) == before
    assert verify_chain().ok


def test_the_orm_cannot_overwrite_an_event_through_a_new_instance(preparer: User) -> None:
    complete_filing(preparer)
    before = list(AuditEvent.objects.values())
    original = AuditEvent.objects.values().get(seq=3)
    copy = {**original, "data": {"changed": True}}

    # A fresh instance carrying an existing primary key would make Django UPDATE that row.
    with pytest.raises(AppendOnlyError):
        AuditEvent(**copy).save()
    with pytest.raises(AppendOnlyError):
        AuditEvent(**copy).save(force_update=True)
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.bulk_create(
            [AuditEvent(**{**copy, "id": None})],
            update_conflicts=True,
            unique_fields=["seq"],
            update_fields=["data"],
        )

    assert list(AuditEvent.objects.values()) == before
    assert verify_chain().ok


# --- audit.record is bound to the transaction of the change


@TRANSACTIONAL
def test_record_outside_a_transaction_raises(preparer: User) -> None:
    company = editing.company_create(actor=preparer, name="火山", credit_code=VALID_CODES[0])
    count = AuditEvent.objects.count()

    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record(actor=preparer, kind="company.touched", target=company)

    assert AuditEvent.objects.count() == count
    with transaction.atomic():
        audit.record(actor=preparer, kind="company.touched", target=company)
    assert AuditEvent.objects.count() == count + 1


@TRANSACTIONAL
def test_an_event_rolls_back_with_its_change(preparer: User) -> None:
    def change_then_fail() -> None:
        with transaction.atomic():
            editing.company_create(actor=preparer, name="火山", credit_code=VALID_CODES[0])
            raise LookupError("the surrounding change failed")

    with pytest.raises(LookupError):
        change_then_fail()
    assert not AuditEvent.objects.exists()
    assert AuditChainHead.objects.filter(seq__gt=0).count() == 0
    editing.company_create(actor=preparer, name="火山", credit_code=VALID_CODES[0])
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1]
    assert verify_chain().ok


# --- the Volcengine secret never reaches the trail


SECRET_MARKER = "SECRET-MARKER-9f3c2a71e4b8-do-not-store"


@TRANSACTIONAL
def test_events_never_contain_the_volc_secret(
    sandbox: str, settings: Any, preparer: User, reviewer: User, reviewer2: User
) -> None:
    settings.VOLC_SECRETKEY = SECRET_MARKER
    settings.VOLC_SANDBOX_SECRETKEY = SECRET_MARKER
    filing = approved_filing(preparer, reviewer)

    submission = filing_send(actor=reviewer2, filing=filing)

    filing.refresh_from_db()
    assert (filing.status, submission.outcome) == ("SUBMITTED", "ACCEPTED")
    kinds = list(AuditEvent.objects.order_by("seq").values_list("kind", flat=True))
    assert kinds[-2:] == ["submission.sent", "submission.response"]
    assert verify_chain().ok
    for event in AuditEvent.objects.values():
        assert SECRET_MARKER not in json.dumps(event, default=str, ensure_ascii=False)
    # Nor the send attempt the portal keeps (the signature is redacted, the secret never sent).
    stored = json.dumps(list(Submission.objects.values()), default=str)
    assert SECRET_MARKER not in stored
    assert "Signature=" in json.dumps(submission.request_headers)
