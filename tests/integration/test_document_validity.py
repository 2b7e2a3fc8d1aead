"""Validity end dates of documents: entered at upload or corrected later (exact audit rows),
refused when past, pre-flight refusing an expired document, the documents page's slots, and the
"documents to renew" list (selector and admin page, a fixed number of queries)."""

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from filings import errors
from filings.content import current_documents, current_links
from filings.credit_code import credit_code_check_character, organization_code_check_character
from filings.four_eyes import has_changed
from filings.models import AuditEvent, Company, Document, Filing, FilingDocument
from filings.preflight import content_checks, failed
from filings.selectors import expiring_documents
from filings.services import editing, retention, review
from filings.services.decisions import filing_record_decision
from filings.services.documents import (
    NO_CURRENT_DOCUMENT,
    VALID_UNTIL_NOT_A_DATE,
    VALID_UNTIL_PAST,
    Upload,
    document_set_valid_until,
    document_upload,
    document_upload_sides,
)
from tests.audit_rows import events_after, head, row, sha
from tests.builders import VALID_CODES, approved_filing, complete_filing, fresh, image
from tests.number_builders import received
from tests.snapshots import refused

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    """Pages in English: the tests read their words."""
    settings.LANGUAGE_CODE = "en"


LICENCE = Document.Kind.BUSINESS_LICENSE
PROPRIETOR = Document.Kind.PROPRIETOR_IDCARD
LETTER = Document.Kind.NETWORK_ACCESS_LETTER


def today() -> date:
    return timezone.localdate()


def in_days(days: int) -> date:
    return today() + timedelta(days=days)


def expire(document: Document, days_ago: int = 1) -> None:
    """The date passes: the services never store a past date, time does."""
    Document.objects.filter(pk=document.pk).update(valid_until=in_days(-days_ago))


def current(filing: Filing, kind: str) -> Document:
    return current_documents(fresh(filing))[kind]


# --- the services


def test_an_upload_stores_its_end_date_and_the_event_says_it(preparer: User, draft: Filing) -> None:
    data = image(1)
    start = head()

    document = document_upload(
        actor=preparer,
        filing=draft,
        kind=LICENCE,
        upload=Upload("执照.jpg", data),
        valid_until=in_days(90),
    )

    document.refresh_from_db()
    assert document.valid_until == in_days(90)
    files = [
        {
            "part": "main",
            "document": str(document.uuid),
            "original_name": "执照.jpg",
            "api_filename": "执照.jpg",
            "sha256": sha(data),
            "size": len(data),
            "pixels": "321x200",
        }
    ]
    assert events_after(start) == [
        row(
            "document.uploaded",
            preparer,
            "document",
            document.pk,
            filing=draft,
            data={
                "kind": LICENCE,
                "files": files,
                "replaced": [],
                "valid_until": in_days(90).isoformat(),
            },
        ),
    ]


def test_a_replacement_with_both_sides_dates_every_part(preparer: User, draft: Filing) -> None:
    old = document_upload(
        actor=preparer, filing=draft, kind=PROPRIETOR, upload=Upload("a.jpg", image(2))
    )
    start = head()

    main = document_upload_sides(
        actor=preparer,
        filing=draft,
        kind=PROPRIETOR,
        front=Upload("front.jpg", image(3)),
        back=Upload("back.jpg", image(4)),
        valid_until=in_days(3650),
    )

    parts = Document.objects.filter(links__in=current_links(filing=draft, kind=PROPRIETOR))
    assert {(d.part, d.valid_until) for d in parts} == {
        ("main", in_days(3650)),
        ("front", in_days(3650)),
        ("back", in_days(3650)),
    }
    (event,) = events_after(start)
    assert (event["kind"], event["target_id"]) == ("document.replaced", str(main.pk))
    assert event["data"]["replaced"] == [str(old.uuid)]
    assert event["data"]["valid_until"] == in_days(3650).isoformat()


def test_an_upload_without_a_date_says_nothing_of_one(preparer: User, draft: Filing) -> None:
    start = head()
    document = document_upload(
        actor=preparer, filing=draft, kind=LETTER, upload=Upload("l.jpg", image(5))
    )
    assert document.valid_until is None
    (event,) = events_after(start)
    assert "valid_until" not in event["data"]


def test_a_past_end_date_or_something_else_than_a_date_is_refused_and_nothing_is_stored(
    preparer: User, draft: Filing
) -> None:
    def upload(valid_until: Any) -> Any:
        return lambda: document_upload(
            actor=preparer,
            filing=draft,
            kind=LICENCE,
            upload=Upload("a.jpg", image(6)),
            valid_until=valid_until,
        )

    past = refused(errors.FilingsError, upload(in_days(-1)))
    assert str(past) == str(VALID_UNTIL_PAST).format(date=in_days(-1).isoformat())
    not_a_date = refused(errors.FilingsError, upload("2099-01-01"))
    assert str(not_a_date) == str(VALID_UNTIL_NOT_A_DATE)
    moment = refused(errors.FilingsError, upload(timezone.now() + timedelta(days=9)))
    assert str(moment) == str(VALID_UNTIL_NOT_A_DATE)
    # The last day is still valid.
    assert upload(today())().valid_until == today()


def test_the_date_is_corrected_without_an_upload_and_that_is_a_change_of_content(
    preparer: User, preparer2: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    licence = current(filing, LICENCE)
    approved_hash = filing.approved_hash
    start = head()

    document_set_valid_until(actor=preparer2, filing=filing, kind=LICENCE, valid_until=in_days(200))

    assert Document.objects.get(pk=licence.pk).valid_until == in_days(200)
    assert events_after(start) == [
        row(
            "document.validity_changed",
            preparer2,
            "document",
            licence.pk,
            filing=filing,
            data={
                "kind": LICENCE,
                "document": str(licence.uuid),
                "before": None,
                "after": in_days(200).isoformat(),
            },
        ),
        row(
            "filing.approval_voided",
            preparer2,
            "filing",
            filing.pk,
            filing=filing,
            data={
                "reason": "document.validity_changed",
                "approved_hash": approved_hash,
                "approved_by": reviewer.pk,
            },
        ),
    ]
    assert fresh(filing).status == Filing.Status.DRAFT
    assert has_changed(filing.pk, preparer2.pk)

    # Taking the date away is a change too; the same value again changes nothing.
    start = head()
    document_set_valid_until(actor=preparer2, filing=filing, kind=LICENCE, valid_until=None)
    document_set_valid_until(actor=preparer2, filing=filing, kind=LICENCE, valid_until=None)
    (event,) = events_after(start)
    assert (event["data"]["before"], event["data"]["after"]) == (in_days(200).isoformat(), None)


def test_a_date_is_set_only_on_a_current_document_of_an_editable_filing(
    preparer: User, reviewer: User, draft: Filing
) -> None:
    def set_date(filing: Filing, valid_until: date, actor: User = preparer) -> Any:
        return lambda: document_set_valid_until(
            actor=actor, filing=filing, kind=LICENCE, valid_until=valid_until
        )

    missing = refused(errors.FilingsError, set_date(draft, in_days(9)))
    assert str(missing) == str(NO_CURRENT_DOCUMENT).format(document=Document.Kind(LICENCE).label)
    in_review = review.filing_submit(
        actor=preparer, filing=complete_filing(preparer, code=VALID_CODES[1])
    )
    refused(errors.FilingsError, set_date(in_review, in_days(9)))
    document_upload(actor=preparer, filing=draft, kind=LICENCE, upload=Upload("l.jpg", image(7)))
    refused(errors.FilingsError, set_date(draft, in_days(-3)))
    refused(errors.NotPermitted, set_date(draft, in_days(9), actor=reviewer))


# --- pre-flight


def test_preflight_refuses_an_expired_document(preparer: User) -> None:
    filing = complete_filing(preparer)
    licence = current(filing, LICENCE)
    assert failed(content_checks(fresh(filing))) == []
    expire(licence, days_ago=1)

    with translation.override("en"):
        problems = failed(content_checks(fresh(filing)))
        expected = (
            f"{Document.Kind(LICENCE).label}: expired on {in_days(-1).isoformat()} "
            "— upload a valid one"
        )
        assert problems == [expected]
        with pytest.raises(errors.PreflightFailed) as refusal:
            review.filing_submit(actor=preparer, filing=filing)
    assert expected in refusal.value.message
    # Valid through its last day.
    Document.objects.filter(pk=licence.pk).update(valid_until=today())
    assert failed(content_checks(fresh(filing))) == []


# --- the documents page


def slot(page: str, kind: str) -> str:
    return page.split(f'id="slot-{kind}"')[1].split("</section>")[0]


def test_the_page_asks_for_an_end_date_where_one_is_expected(
    client: Client, preparer: User
) -> None:
    filing = complete_filing(preparer)
    client.force_login(preparer)
    url = reverse("admin:filings_filing_documents", args=[filing.pk])
    with translation.override("en"):
        page = client.get(url).content.decode()
    assert "No end date given" in slot(page, LICENCE)
    assert "No end date given" in slot(page, PROPRIETOR)
    assert "No end date given" not in slot(page, LETTER)
    assert 'name="valid_until"' in slot(page, LETTER)  # optional for the other kinds

    Document.objects.filter(pk=current(filing, LICENCE).pk).update(valid_until=in_days(12))
    expire(current(filing, PROPRIETOR), days_ago=2)
    with translation.override("en"):
        page = client.get(url).content.decode()
    assert f"Valid until {in_days(12).isoformat()} (12 days left)" in slot(page, LICENCE)
    assert f"Expired on {in_days(-2).isoformat()}: upload a valid one" in slot(page, PROPRIETOR)
    assert "No end date given" not in slot(page, LICENCE)


def test_the_upload_form_takes_the_date_and_refuses_a_past_one(
    client: Client, preparer: User, draft: Filing
) -> None:
    client.force_login(preparer)
    url = reverse("admin:filings_filing_document_upload", args=[draft.pk])

    def post(valid_until: str) -> Any:
        return client.post(
            url,
            {
                "kind": LICENCE,
                "image": SimpleUploadedFile("l.jpg", image(7), "image/jpeg"),
                "valid_until": valid_until,
            },
            HTTP_X_REQUESTED_WITH="XMLHttpRequest",
        )

    before = Document.objects.count()
    with translation.override("en"):
        answer = post(in_days(-1).isoformat())
    assert answer.status_code == 400
    assert json.loads(answer.content)["errors"] == {
        "valid_until": [str(VALID_UNTIL_PAST).format(date=in_days(-1).isoformat())]
    }
    assert Document.objects.count() == before

    assert post(in_days(30).isoformat()).status_code == 200
    assert current(draft, LICENCE).valid_until == in_days(30)
    assert post("").status_code == 200
    assert current(draft, LICENCE).valid_until is None


def test_the_page_corrects_a_date(client: Client, preparer: User, draft: Filing) -> None:
    document_upload(actor=preparer, filing=draft, kind=LICENCE, upload=Upload("l.jpg", image(8)))
    client.force_login(preparer)
    url = reverse("admin:filings_filing_document_valid_until", args=[draft.pk])

    answer = client.post(url, {"kind": LICENCE, "valid_until": in_days(40).isoformat()})

    assert answer.status_code == 302
    assert current(draft, LICENCE).valid_until == in_days(40)
    assert AuditEvent.objects.filter(kind="document.validity_changed", filing=draft).count() == 1
    for wrong in ("nonsense", in_days(-5).isoformat()):
        assert client.post(url, {"kind": LICENCE, "valid_until": wrong}).status_code == 302
    assert current(draft, LICENCE).valid_until == in_days(40)
    assert client.post(url, {"kind": "nonsense"}).status_code == 400
    assert client.get(url).status_code == 405


def test_the_slot_shows_volcengine_s_reasons_for_its_document(
    client: Client, preparer: User, reviewer: User
) -> None:
    filing = received(reviewer, approved_filing(preparer, reviewer))
    filing_record_decision(
        actor=reviewer,
        filing=filing,
        outcome="declined",
        decided_on=today(),
        evidence="工单 4711",
        reasons=[("businessLicense.blurred", "右下角反光")],
    )
    review.filing_rework(actor=preparer, filing=filing)
    client.force_login(preparer)
    page = client.get(reverse("admin:filings_filing_documents", args=[filing.pk]))
    text = page.content.decode()
    assert "slot-reasons" in slot(text, LICENCE)
    assert "右下角反光" in slot(text, LICENCE)
    assert text.count("slot-reasons") == 1


# --- documents to renew


def renewal_rows() -> list[tuple[str, str, list[int], int]]:
    return [
        (entry.company.credit_code, item.document.kind, item.filing_ids, item.days_left)
        for entry in expiring_documents()
        for item in entry.documents
    ]


def test_the_list_names_what_expires_within_30_days_per_company(
    preparer: User, superuser: User
) -> None:
    first = complete_filing(preparer, code=VALID_CODES[0])
    second = complete_filing(preparer, code=VALID_CODES[1])
    ended = complete_filing(preparer, code=VALID_CODES[2])
    Document.objects.filter(pk=current(first, LICENCE).pk).update(valid_until=in_days(30))
    Document.objects.filter(pk=current(first, LETTER).pk).update(valid_until=in_days(31))
    expire(current(second, PROPRIETOR), days_ago=3)
    Document.objects.filter(pk=current(ended, LICENCE).pk).update(valid_until=in_days(1))
    retention.company_end_service(
        actor=superuser, company=ended.company, ended_on=today(), reason="合同结束"
    )

    assert renewal_rows() == [
        (VALID_CODES[0], LICENCE, [first.pk], 30),
        (VALID_CODES[1], PROPRIETOR, [second.pk], -3),
    ]
    entry = expiring_documents()[1]
    assert (entry.expired_count, entry.documents[0].expired) == (1, True)

    # A replaced version no longer counts.
    document_upload(
        actor=preparer,
        filing=second,
        kind=PROPRIETOR,
        upload=Upload("new.jpg", image(9)),
        valid_until=in_days(3000),
    )
    assert [r[0] for r in renewal_rows()] == [VALID_CODES[0]]


def test_a_sent_filing_counts_while_it_is_the_company_s_latest(
    preparer: User, reviewer: User
) -> None:
    sent = received(reviewer, approved_filing(preparer, reviewer))
    Document.objects.filter(pk=current(sent, LICENCE).pk).update(valid_until=in_days(5))
    assert renewal_rows() == [(VALID_CODES[0], LICENCE, [sent.pk], 5)]

    newer = editing.filing_create(actor=preparer, company=sent.company)

    assert all(sent.pk not in filings for _, _, filings, _ in renewal_rows())
    assert newer.pk


def company_with_expiring_licence(preparer: User, index: int) -> None:
    """A company, a draft and a licence row expiring in `index` days (no stored image)."""
    body = f"MA{index:06d}"
    first17 = "91350100" + body + organization_code_check_character(body)
    company = Company.objects.create(
        name=f"公司{index}",
        credit_code=first17 + credit_code_check_character(first17),
        created_by=preparer,
    )
    filing = Filing.objects.create(company=company, created_by=preparer, updated_by=preparer)
    document = Document.objects.create(
        company=company,
        filing=filing,
        kind=LICENCE,
        original_name="l.jpg",
        api_filename="l.jpg",
        content_type="image/jpeg",
        size=1,
        width=1,
        height=1,
        sha256="0" * 64,
        uploaded_by=preparer,
        valid_until=in_days(index % 30),
    )
    FilingDocument.objects.create(filing=filing, document=document, kind=LICENCE)


def test_the_page_is_for_preparers_and_reviewers_with_counts_in_fixed_queries(
    client: Client, preparer: User, reviewer: User, django_assert_num_queries: Any
) -> None:
    url = reverse("admin:filings_expiring_documents")
    for user in (preparer, reviewer):
        client.force_login(user)
        assert url in client.get(reverse("admin:index")).content.decode()
        assert client.get(url).status_code == 200

    first = complete_filing(preparer, code=VALID_CODES[0])
    expire(current(first, LICENCE))
    with translation.override("en"):
        page = client.get(url).content.decode()
    assert "1 company · 1 document to renew · 1 expired" in page
    assert reverse("admin:filings_filing_documents", args=[first.pk]) in page

    company_with_expiring_licence(preparer, 1)
    client.get(url)  # warm up the session and content type caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(2, 40):
        company_with_expiring_licence(preparer, index)
    with CaptureQueriesContext(connection) as many, translation.override("en"):
        page = client.get(url).content.decode()
    assert "40 companies · 40 documents to renew · 1 expired" in page
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_page_is_not_for_users_without_documents(client: Client, db: None) -> None:
    nobody = User.objects.create_user("nobody", is_staff=True)
    client.force_login(nobody)
    assert client.get(reverse("admin:filings_expiring_documents")).status_code == 403
    assert reverse("admin:filings_expiring_documents") not in (
        client.get(reverse("admin:index")).content.decode()
    )
