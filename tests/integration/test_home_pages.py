"""The home page (the admin index): each role's lists, by permission; counts, bounded rows with a
link to the full list, aging highlighted, and a fixed number of queries at 1,000+ rows."""

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from filings import audit
from filings.desk.home import ROWS, home_sections
from filings.models import Company, Decision, Document, Filing, Submission
from filings.services import decisions, editing, review
from filings.services.access import document_viewed
from filings.workflow import State
from tests.builders import VALID_CODES, approved_filing, fresh, in_review
from tests.conftest import role
from tests.number_builders import EVIDENCE, received

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]

SECTIONS = ("preparer", "reviewer", "auditor")


@pytest.fixture(autouse=True)
def english(settings: Any) -> Iterator[None]:
    settings.LANGUAGE_CODE = "en"  # the pages' language, as the selectors' below
    with translation.override("en"):
        yield


def home(client: Client, user: User) -> str:
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def sections_on(page: str) -> list[str]:
    return re.findall(r'<section class="module desk-section" id="home-(\w+)"', page)


def block(page: str, key: str) -> str:
    found = re.search(rf'<div class="desk-list" id="{key}">.*?</div>', page, re.S)
    assert found, key
    return found.group(0)


def count_of(page: str, key: str) -> int:
    found = re.search(r'data-count="(\d+)"', block(page, key))
    assert found
    return int(found.group(1))


def rows_of(page: str, key: str) -> list[str]:
    return re.findall(r'<tr class="desk-row[^"]*">.*?</tr>', block(page, key), re.S)


def aging_rows(page: str, key: str) -> list[str]:
    return [row for row in rows_of(page, key) if 'class="desk-row aging"' in row]


def accepted(filing: Filing, actor: User, days_ago: float) -> Submission:
    """An accepted send of the submitted `filing` `days_ago`, stamped on it as the send path
    stamps its answer (a plain row: the desk only reads it)."""
    started = timezone.now() - timedelta(days=days_ago)
    Filing.objects.filter(pk=filing.pk, status=State.SUBMITTED).update(state_since=started)
    return Submission.objects.create(
        filing=filing,
        actor=actor,
        content_hash="0" * 64,
        endpoint="http://127.0.0.1/sandbox/vms/",
        region="cn-beijing",
        request_body="{}",
        request_sha256="0" * 64,
        started_at=started,
        finished_at=started,
        duration_ms=5,
        http_status=200,
        provider_request_id=f"REQ-{filing.pk}",
        result_code="0",
        outcome=Submission.Outcome.ACCEPTED,
    )


# --- who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("preparer", ["preparer"]),
        ("reviewer", ["reviewer"]),
        ("auditor", ["auditor"]),
        ("superuser", ["preparer", "reviewer", "auditor"]),
    ],
)
def test_each_role_sees_its_sections_and_not_the_others(
    client: Client, users: dict[str, User], who: str, expected: list[str]
) -> None:
    page = home(client, users[who])

    assert sections_on(page) == expected
    # The models stay listed below: the admin's own links keep working.
    assert 'id="content-main"' in page
    assert reverse("admin:filings_filing_changelist") in page


def test_someone_in_two_roles_sees_both_by_permission_not_group_name(
    client: Client, preparer: User
) -> None:
    preparer.groups.add(role("Reviewer"))
    assert sections_on(home(client, User.objects.get(pk=preparer.pk))) == ["preparer", "reviewer"]

    from django.contrib.auth.models import Permission

    only_perm = User.objects.create_user("named-nothing", password="x-pw-123!", is_staff=True)
    only_perm.user_permissions.add(Permission.objects.get(codename="export_history"))
    assert sections_on(home(client, only_perm)) == ["auditor"]


# --- preparer ----------------------------------------------------------------------------------


def test_a_preparer_sees_their_drafts_and_reworks_with_counts(
    client: Client, preparer: User, preparer2: User, reviewer: User, company: Company
) -> None:
    first = editing.filing_create(
        actor=preparer, company=company, callee_source="网站", business_carrier="火山示例"
    )
    sent_back = in_review(preparer, code=VALID_CODES[1])
    review.filing_request_changes(actor=reviewer, filing=sent_back, comment="执照模糊")
    declined = received(reviewer, approved_filing(preparer, reviewer, code=VALID_CODES[2]))
    decisions.filing_record_decision(
        actor=reviewer,
        filing=declined,
        outcome=Decision.Outcome.DECLINED,
        decided_on=timezone.localdate(),
        evidence=EVIDENCE,
        reasons=[("businessLicense.blurred", "")],
    )
    review.filing_rework(actor=preparer, filing=fresh(declined))  # attempt 2
    # A new filing of the declined company, made after the decline, is a rework too.
    afresh = editing.filing_create(
        actor=preparer, company=declined.company, callee_source="官网", business_carrier="示例"
    )
    editing.filing_create(  # someone else's draft is not mine
        actor=preparer2, company=company, callee_source="网站", business_carrier="火山示例"
    )

    page = home(client, preparer)

    assert (count_of(page, "my-drafts"), count_of(page, "my-reworks")) == (2, 2)
    drafts = block(page, "my-drafts")
    for filing in (first, sent_back):
        assert reverse("admin:filings_filing_change", args=[filing.pk]) in drafts
    assert "Changes requested" in drafts
    reworks = block(page, "my-reworks")
    assert f"#{declined.pk} · Company filing · attempt 2" in reworks
    assert reverse("admin:filings_filing_change", args=[afresh.pk]) in reworks

    # The full list is the filing list filtered to my drafts.
    listed = client.get(
        reverse("admin:filings_filing_changelist"),
        {"status__exact": State.DRAFT, "created_by__id__exact": preparer.pk},
    )
    assert sorted(listed.context["cl"].result_list.values_list("pk", flat=True)) == sorted(
        [first.pk, sent_back.pk, declined.pk, afresh.pk]
    )


# --- reviewer ----------------------------------------------------------------------------------


def test_a_reviewer_sees_the_four_eyes_queue_unknowns_and_decisions_to_record_aging_highlighted(
    client: Client, preparer: User, reviewer: User, reviewer2: User, settings: Any
) -> None:
    settings.PORTAL_WAITING_ALERT_DAYS = 5
    waiting = in_review(preparer)
    mine = in_review(preparer, code=VALID_CODES[1])
    with transaction.atomic():  # the reviewer changed this one: not theirs to approve
        audit.record(actor=reviewer, kind="filing.updated", target=mine, filing=mine)
    week_ago = timezone.now() - timedelta(days=7)
    Filing.objects.filter(pk=waiting.pk).update(updated_at=week_ago, state_since=week_ago)
    old = received(reviewer2, approved_filing(preparer, reviewer2, code=VALID_CODES[2]))
    accepted(old, reviewer2, days_ago=8)

    page = home(client, reviewer)

    assert count_of(page, "review-queue") == 1
    assert reverse("admin:filings_filing_review", args=[waiting.pk]) in block(page, "review-queue")
    assert reverse("admin:filings_filing_review", args=[mine.pk]) not in page
    assert len(aging_rows(page, "review-queue")) == 1
    assert count_of(page, "decisions-to-record") == 1
    (row,) = aging_rows(page, "decisions-to-record")
    assert 'data-days="8"' in row
    assert 'data-alerts="1"' in block(page, "decisions-to-record")
    assert count_of(page, "unknown-outcomes") == 0
    assert "Nothing here." in block(page, "unknown-outcomes")


def test_fresh_filings_are_not_highlighted_and_unknowns_are_counted(
    client: Client, preparer: User, reviewer: User, settings: Any
) -> None:
    settings.PORTAL_WAITING_ALERT_DAYS = 5
    recent = received(reviewer, approved_filing(preparer, reviewer))
    accepted(recent, reviewer, days_ago=4.9)
    unknown = approved_filing(preparer, reviewer, code=VALID_CODES[1])
    Filing.objects.filter(pk=unknown.pk).update(status=State.UNKNOWN)

    page = home(client, reviewer)

    assert (count_of(page, "decisions-to-record"), count_of(page, "unknown-outcomes")) == (1, 1)
    assert aging_rows(page, "decisions-to-record") == []
    assert 'data-days="4"' in block(page, "decisions-to-record")
    assert "desk-alerts" not in page


# --- auditor -----------------------------------------------------------------------------------


def test_an_auditor_sees_sends_decisions_purges_and_id_image_views(
    client: Client, preparer: User, reviewer: User, auditor: User
) -> None:
    filing = received(reviewer, approved_filing(preparer, reviewer))
    accepted(filing, reviewer, days_ago=1)
    decisions.filing_record_decision(
        actor=reviewer,
        filing=filing,
        outcome=Decision.Outcome.FILED,
        decided_on=timezone.localdate(),
        evidence=EVIDENCE,
    )
    id_card = filing.documents.get(
        kind=Document.Kind.PROPRIETOR_IDCARD, part=Document.Part.MAIN, superseded_at=None
    )
    document_viewed(actor=reviewer, document=id_card, thumbnail=False)
    with transaction.atomic():
        audit.record(
            actor=None,
            kind="document.purged",
            target=id_card,
            filing=filing,
            data={"kind": id_card.kind},
        )

    page = home(client, auditor)

    assert [count_of(page, key) for key in ("recent-sends", "recent-decisions")] == [1, 1]
    assert [count_of(page, key) for key in ("recent-purges", "recent-views")] == [1, 1]
    assert f"REQ-{filing.pk}" in block(page, "recent-sends")
    assert "Filed" in block(page, "recent-decisions")
    assert "Document purged · Legal representative ID card" in block(page, "recent-purges")
    views = block(page, "recent-views")
    assert "ID image viewed" in views
    assert "reviewer" in views
    assert id_card.original_name not in page  # a view is listed, never the file's name
    for key, url in [
        ("recent-purges", reverse("admin:filings_auditevent_changelist") + "?kind=document.purged"),
        ("recent-views", reverse("admin:filings_documentaccess_changelist")),
    ]:
        assert url in block(page, key)
    decided = reverse("admin:filings_decision_changelist")
    assert decided in block(page, "recent-decisions")
    assert client.get(decided).status_code == 200


# --- 10k companies: a fixed number of queries --------------------------------------------------

ROWS_MADE = 1100


def bulk_world(preparer: User, reviewer: User, auditor: User, count: int) -> None:
    """`count` companies, each with a filing in some state, sends, decisions and audit events:
    plain rows copied in bulk (these tests measure reads)."""
    base = Company.objects.count()
    companies = Company.objects.bulk_create(
        Company(
            name=f"公司{base + index:05d}", credit_code=f"X{base + index:017d}", created_by=preparer
        )
        for index in range(count)
    )
    states = [State.DRAFT, State.IN_REVIEW, State.SUBMITTED, State.UNKNOWN, State.DECLINED]
    filings = Filing.objects.bulk_create(
        Filing(
            company=company,
            status=states[index % len(states)],
            attempt=1 + index % 2,
            created_by=preparer,
            updated_by=preparer,
        )
        for index, company in enumerate(companies)
    )
    nine_days_ago = timezone.now() - timedelta(days=9)
    Filing.objects.filter(pk__in=[f.pk for f in filings]).update(
        updated_at=nine_days_ago, state_since=nine_days_ago
    )
    now = timezone.now()
    Submission.objects.bulk_create(
        Submission(
            filing=filing,
            actor=reviewer,
            content_hash="0" * 64,
            endpoint="http://127.0.0.1/",
            region="cn-beijing",
            request_body="{}",
            request_sha256="0" * 64,
            started_at=now - timedelta(hours=index),
            finished_at=now,
            duration_ms=5,
            outcome=Submission.Outcome.ACCEPTED,
        )
        for index, filing in enumerate(filings)
    )
    Decision.objects.bulk_create(
        Decision(
            filing=filing,
            attempt=1,
            outcome=Decision.Outcome.DECLINED,
            decided_on=timezone.localdate(),
            evidence="工单",
            recorded_by=reviewer,
        )
        for filing in filings
    )
    with transaction.atomic():
        for filing in filings[:: max(1, count // 100)]:
            for kind in ("document.purged", "document.viewed", "filing.changes_requested"):
                audit.record(actor=reviewer, kind=kind, target=filing, filing=filing)


def page_queries(client: Client, user: User) -> tuple[int, str]:
    client.force_login(user)
    url = reverse("admin:index")
    client.get(url)  # the session is read once before counting
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_each_home_page_takes_as_many_queries_with_1100_companies_as_with_five(
    client: Client, preparer: User, reviewer: User, auditor: User, superuser: User
) -> None:
    bulk_world(preparer, reviewer, auditor, 5)
    people = {"preparer": preparer, "reviewer": reviewer, "auditor": auditor, "all": superuser}
    few = {who: page_queries(client, user)[0] for who, user in people.items()}
    bulk_world(preparer, reviewer, auditor, ROWS_MADE)

    many = {who: page_queries(client, user) for who, user in people.items()}

    assert {who: queries for who, (queries, _page) in many.items()} == few
    page = many["all"][1]
    total = ROWS_MADE + 5
    assert count_of(page, "my-drafts") + count_of(page, "my-reworks") == 0  # not the root's
    assert count_of(many["preparer"][1], "my-reworks") > ROWS
    assert count_of(page, "decisions-to-record") == total // 5
    assert count_of(page, "recent-sends") == total
    assert count_of(page, "recent-decisions") == total
    for key in ("review-queue", "unknown-outcomes", "decisions-to-record", "recent-sends"):
        assert len(rows_of(page, key)) == ROWS, key
    assert len(aging_rows(page, "review-queue")) == ROWS  # nine days in review


def test_the_selectors_query_count_is_fixed_too(
    preparer: User, reviewer: User, auditor: User, superuser: User
) -> None:
    superuser = User.objects.get(pk=superuser.pk)
    with CaptureQueriesContext(connection) as empty:
        home_sections(superuser)
    bulk_world(preparer, reviewer, auditor, 300)
    with CaptureQueriesContext(connection) as full:
        sections = home_sections(superuser)

    assert len(full) == len(empty) == 19  # reviewer: two counts per list, one query per list
    assert [s.key for s in sections] == list(SECTIONS)
