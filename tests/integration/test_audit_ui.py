"""What auditors read in the admin: the audit list's search, filters, labels and per-filing
export, the "Verify chain" button, and the submission list and page (titles, plain names,
shortened messages, times with their offset)."""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

import filings
from filings import audit
from filings.audit.labels import EVENT_LABELS, event_label
from filings.four_eyes import COMPANY_CHANGED
from filings.models import AuditChainHead, AuditEvent, Filing, Submission
from filings.services.sending import LATE_RESPONSE
from filings.workflow import TRANSITIONS
from tests import builders
from tests.pages import assert_safe_page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]

CODE_A, CODE_B = builders.VALID_CODES[0], builders.VALID_CODES[1]
NAME_A, NAME_B = "甲方示例科技有限公司", "乙方网络服务有限公司"
LONG_MESSAGE = "签名校验失败：" + "请求头 X-Date 与服务器时间相差过大，" * 12
AUDIT_LIST = "admin:filings_auditevent_changelist"
# `2026-11-30 13:48:05 +08:00`: the portal's times, with their offset (TIME_ZONE Asia/Shanghai).
LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00")


def browser(user: User, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def answered(filing: Filing, actor: User, request_id: str, **fields: Any) -> Submission:
    """A submission row with its answer event: plain rows, these tests read, they do not send."""
    now = timezone.now()
    with transaction.atomic():
        submission = Submission.objects.create(
            filing=filing,
            actor=actor,
            content_hash="0" * 64,
            endpoint="http://127.0.0.1/sandbox/vms/",
            region="cn-beijing",
            request_body="{}",
            request_sha256="0" * 64,
            started_at=now - timedelta(seconds=2),
            finished_at=now,
            duration_ms=2000,
            http_status=200,
            provider_request_id=request_id,
            result_request_id=f"{request_id}-result",
            outcome=fields.pop("outcome", Submission.Outcome.ACCEPTED),
            **fields,
        )
        audit.record(
            actor=actor,
            kind="submission.response",
            target=submission,
            filing=filing,
            data={"request_id": request_id},
        )
    return submission


@pytest.fixture
def two_filings(preparer: User, reviewer: User) -> tuple[Filing, Filing, Submission]:
    builders.company(preparer, name=NAME_A, code=CODE_A)
    builders.company(preparer, name=NAME_B, code=CODE_B)
    first = builders.approved_filing(preparer, reviewer, code=CODE_A)
    second = builders.approved_filing(preparer, reviewer, code=CODE_B)
    answered(second, reviewer, "20261130134805OTHER")
    return first, second, answered(first, reviewer, "20261130134805A1B2C3D4")


def listed(client: Client, **query: str) -> list[AuditEvent]:
    response = client.get(reverse(AUDIT_LIST), query)
    assert_safe_page(response)
    return list(response.context["cl"].result_list)


def company_events(code: str) -> set[int]:
    company = Filing.objects.filter(company__credit_code=code).first()
    assert company is not None
    return set(
        AuditEvent.objects.filter(
            target_type="company", target_id=str(company.company_id)
        ).values_list("seq", flat=True)
    )


# --- item 7: search, filters, labels, per-filing export -------------------------------------------


def test_the_audit_list_finds_events_by_credit_code_company_request_id_and_filing(
    two_filings: tuple[Filing, Filing, Submission], auditor: User
) -> None:
    first, second, submission = two_filings
    client = browser(auditor)
    of_first = set(AuditEvent.objects.filter(filing=first).values_list("seq", flat=True))
    of_company = of_first | company_events(CODE_A)
    assert len(of_first) > 5

    by_code = {event.seq for event in listed(client, q=CODE_A.lower())}
    by_name = {event.seq for event in listed(client, q="甲方示例")}
    by_request_id = listed(client, q=submission.provider_request_id)
    by_result_request_id = listed(client, q=submission.result_request_id)
    by_filing = {event.seq for event in listed(client, q=str(first.pk))}
    by_hash_number = {event.seq for event in listed(client, q=f"#{first.pk}")}

    assert by_code == by_name == of_company
    assert [(e.kind, e.target_id) for e in by_request_id] == [
        ("submission.response", str(submission.pk))
    ]
    assert by_result_request_id == by_request_id
    assert by_filing == by_hash_number == of_first
    assert not {event.filing_id for event in listed(client, q=CODE_A)} & {second.pk}
    assert listed(client, q="no such company or request") == []


def test_the_audit_search_reads_a_bounded_number_of_queries(
    two_filings: tuple[Filing, Filing, Submission],
    auditor: User,
    django_assert_max_num_queries: Any,
) -> None:
    client = browser(auditor)
    for term in (CODE_A, "示例", two_filings[2].provider_request_id, "7", "filing"):
        with django_assert_max_num_queries(14):
            assert client.get(reverse(AUDIT_LIST), {"q": term}).status_code == 200


def test_the_audit_search_finds_events_by_their_label_or_code(
    two_filings: tuple[Filing, Filing, Submission], auditor: User
) -> None:
    english = browser(auditor, "en")

    approved = {event.kind for event in listed(english, q="approved")}
    by_code = {event.kind for event in listed(english, q="filing.approved")}
    by_group = {event.kind for event in listed(english, q="filing")}

    assert approved == by_code == {"filing.approved"}
    assert {"filing.created", "filing.submitted", "filing.approved"} <= by_group
    assert all(kind.startswith("filing.") for kind in by_group)
    assert listed(english, q="_") == []  # a code's characters alone find nothing


def test_events_show_readable_labels_and_filter_by_label_and_by_filing(
    two_filings: tuple[Filing, Filing, Submission], auditor: User
) -> None:
    first, _second, _submission = two_filings
    english = browser(auditor, "en")

    page = english.get(reverse(AUDIT_LIST))
    html = page.content.decode()
    by_kind = listed(english, kind="filing.created")
    by_filing = listed(english, filing=str(first.pk))
    filtered = english.get(reverse(AUDIT_LIST), {"filing": str(first.pk)}).content.decode()

    assert "Filing created" in html  # in the rows and in the filter
    assert ">filing.created<" not in html  # the code is only a tooltip
    assert 'href="?kind=filing.created"' in html
    assert {event.kind for event in by_kind} == {"filing.created"}
    assert {event.filing_id for event in by_filing} == {first.pk}
    assert f'href="?filing={first.pk}"' in html  # each row leads to its filing's trail
    assert 'id="filing-filter-number"' in html
    assert f"#{first.pk} · {NAME_A}" in filtered
    assert listed(english, filing="' OR 1=1") == []
    assert len(listed(english, filing="")) == len(listed(english))  # an empty box: all


def test_every_kind_the_portal_records_has_a_label() -> None:
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for path in Path(filings.__file__).parent.rglob("*.py")
        if "migrations" not in path.parts
    )
    recorded = set(re.findall(r'kind="([a-z_]+\.[a-z_]+)"', source))
    recorded |= {move.event_kind for move in TRANSITIONS} | {LATE_RESPONSE, COMPANY_CHANGED}

    assert recorded - set(EVENT_LABELS) == set(), "add them to filings/audit/labels.py"
    with translation.override("en"):
        assert event_label("filing.created") == "Filing created"
    assert event_label("some.future_kind") == "some.future_kind"  # shown as its code


def test_a_filings_trail_is_exported_from_its_filtered_list(
    two_filings: tuple[Filing, Filing, Submission], auditor: User
) -> None:
    first, _second, _submission = two_filings
    client = browser(auditor)
    before = AuditEvent.objects.count()

    page = client.get(reverse(AUDIT_LIST), {"filing": str(first.pk)}).content.decode()
    response = client.get(
        reverse("admin:filings_auditevent_export", args=["csv"]), {"filing": first.pk}
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")

    assert f'id="export-filing-csv" href="export/csv/?filing={first.pk}"' in page
    assert f'id="export-filing-jsonl" href="export/jsonl/?filing={first.pk}"' in page
    assert f'filename="audit-filing-{first.pk}-' in response["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(text)))
    filing_column = header.index("报备")
    assert {row[filing_column] for row in rows} == {str(first.pk)}
    assert len(rows) == AuditEvent.objects.filter(filing=first).count()
    assert list(AuditEvent.objects.filter(seq__gt=before).values_list("kind", "data")) == [
        (
            "audit.exported",
            {"what": "audit", "format": "csv", "filters": {"filing": str(first.pk)}},
        ),
        ("audit.anchored", AuditEvent.objects.get(seq=before + 2).data),
    ]


# --- item 11: the "Verify chain" button ----------------------------------------------------------


def test_auditors_verify_the_chain_with_a_button_that_changes_nothing(
    two_filings: tuple[Filing, Filing, Submission], auditor: User
) -> None:
    client = browser(auditor)
    head = AuditChainHead.objects.get(pk=audit.HEAD_PK)
    url = reverse("admin:filings_auditevent_verify")

    listing = client.get(reverse(AUDIT_LIST)).content.decode()
    explained = client.get(url)
    verified = client.post(url)

    assert '<form method="post" action="verify/">' in listing
    assert 'id="verify-chain"' in listing
    assert explained.status_code == 200
    assert explained.context["verification"] is None
    assert_safe_page(verified)
    result = verified.context["verification"]
    assert result.ok
    assert result.chain.head_seq == head.seq
    html = verified.content.decode()
    assert 'data-ok="true"' in html
    assert f'<code id="verify-head-hash">{head.hash}</code>' in html
    assert LOCAL_TIME.search(html)
    assert AuditChainHead.objects.get(pk=audit.HEAD_PK).seq == head.seq  # nothing recorded


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="on PostgreSQL the append-only trigger refuses the raw UPDATE that breaks the chain",
)
def test_the_verify_button_names_a_broken_event(
    two_filings: tuple[Filing, Filing, Submission], auditor: User
) -> None:
    seq = AuditEvent.objects.filter(kind="filing.approved").values_list("seq", flat=True)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET actor_username = %s WHERE seq = %s",  # noqa: S608
            ["mallory", seq],
        )

    verified = browser(auditor).post(reverse("admin:filings_auditevent_verify"))

    html = verified.content.decode()
    assert 'data-ok="false"' in html
    assert f"#{seq}: hash mismatch" in html


def test_only_those_who_export_the_trail_may_verify_it(
    two_filings: tuple[Filing, Filing, Submission], preparer: User, reviewer: User
) -> None:
    for user in (preparer, reviewer):
        client = browser(user)
        assert 'id="verify-chain"' not in client.get(reverse(AUDIT_LIST)).content.decode()
        assert client.post(reverse("admin:filings_auditevent_verify")).status_code == 403


# --- items 8, 9, 13: the submission list and page -----------------------------------------------


def test_the_submission_list_shortens_long_messages_and_keeps_them_in_a_tooltip(
    two_filings: tuple[Filing, Filing, Submission], reviewer: User, auditor: User
) -> None:
    first = two_filings[0]
    rejected = answered(
        first,
        reviewer,
        "20261130134805REJECTED",
        outcome=Submission.Outcome.REJECTED,
        error_code="SignatureDoesNotMatch",
        error_message=LONG_MESSAGE,
    )
    client = browser(auditor)

    listing = client.get(reverse("admin:filings_submission_changelist")).content.decode()
    page = client.get(reverse("admin:filings_submission_change", args=[rejected.pk]))

    said = re.findall(r'<span title="([^"]*)">([^<]*)</span>', listing)
    shortened = [(title, shown) for title, shown in said if LONG_MESSAGE[:20] in title]
    assert shortened, listing
    title, shown = shortened[0]
    assert shown.endswith("…")
    assert len(shown) <= 40
    assert LONG_MESSAGE.strip()[:60] in title
    assert LONG_MESSAGE.strip() in page.content.decode()  # the whole message on its page
    assert LOCAL_TIME.search(re.sub(r"<[^>]+>", "", listing))  # (date, time, offset: kept whole)


def test_the_submission_page_has_a_readable_title_and_names_the_sender_plainly(
    two_filings: tuple[Filing, Filing, Submission], reviewer: User, auditor: User
) -> None:
    submission = two_filings[2]
    reviewer.first_name, reviewer.last_name = "Rui", "Wang"
    reviewer.save()

    page = browser(auditor, "en").get(
        reverse("admin:filings_submission_change", args=[submission.pk])
    )

    html = assert_safe_page(page) and page.content.decode()
    started = timezone.localtime(submission.started_at).strftime("%Y-%m-%d %H:%M")
    title = f"Submission {submission.pk} · Accepted · {started} +08:00"
    assert f"<h2>{title}</h2>" in html
    assert f"<title>{title} |" in html
    assert f"&rsaquo; {title}\n</div>" in html  # the breadcrumbs
    sent_by = re.search(r'<div class="readonly">([^<]*)</div>', html.split("field-sent_by")[1])
    assert sent_by is not None
    assert sent_by.group(1) == "Rui Wang"
    assert "/auth/user/" not in html  # no link to a page an auditor cannot open
    assert LOCAL_TIME.search(html.split("field-started")[1])


def test_audit_event_pages_show_the_label_and_the_time_with_its_offset(
    two_filings: tuple[Filing, Filing, Submission], auditor: User
) -> None:
    event = AuditEvent.objects.filter(kind="filing.created").first()
    assert event is not None

    page = browser(auditor, "en").get(reverse("admin:filings_auditevent_change", args=[event.pk]))

    html = assert_safe_page(page) and page.content.decode()
    assert f"<h2>#{event.seq} · Filing created</h2>" in html
    assert LOCAL_TIME.search(html.split("field-time")[1])
