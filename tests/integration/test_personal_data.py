"""ID images leave through no side door: redacted bodies, short-lived document URLs, hidden
names, no caching, and a record of every look (the trust issue's items 1, 2, 5 and 6)."""

import base64
import csv
import hashlib
import io
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from filings.models import AuditEvent, Document, DocumentAccess, Filing, FilingDocument, Submission
from filings.redaction import NAME_HIDDEN, URL_REDACTED
from filings.services import sending
from filings.services.documents import Upload, document_upload
from filings.storage import read_object, save_object
from tests.api_page import PIC_URL_FIELDS
from tests.builders import approved_filing, complete_filing, image

pytestmark = pytest.mark.django_db(transaction=True)

ID_CARD = Document.Kind.PROPRIETOR_IDCARD.value
IN_HAND = Document.Kind.OPERATOR_IDCARD_INHAND.value
LICENCE = Document.Kind.BUSINESS_LICENSE.value


@pytest.fixture
def sent(sandbox: str, preparer: User, reviewer: User) -> Submission:
    filing = approved_filing(preparer, reviewer)
    submission = sending.filing_send(actor=reviewer, filing=filing)
    assert submission.outcome == Submission.Outcome.ACCEPTED
    return submission


def browser(user: User) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def sent_urls(submission: Submission) -> dict[str, str]:
    body = json.loads(submission.request_body)
    return {field.removesuffix("PicUrl"): body[field] for field in PIC_URL_FIELDS}


def fetch(url: str, **headers: str) -> Any:
    parts = urlsplit(url)
    return Client().get(parts.path, headers=headers)


# --- 1. stored request bodies are shown without live URLs -------------------------------------


@pytest.mark.parametrize("who", ["auditor", "reviewer", "superuser"])
def test_the_submission_page_never_shows_a_document_url(
    sent: Submission, who: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    page = browser(user).get(reverse("admin:filings_submission_change", args=[sent.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    for url in sent_urls(sent).values():
        token = urlsplit(url).path.split("/")[2]
        assert token not in content
    assert "/d/" not in content
    assert content.count(URL_REDACTED) == len(PIC_URL_FIELDS)
    assert sent.request_sha256 in content


def test_the_stored_body_stays_exactly_what_was_sent(sent: Submission, auditor: User) -> None:
    browser(auditor).get(reverse("admin:filings_submission_change", args=[sent.pk]))

    sent.refresh_from_db()
    assert all(url.startswith("http") for url in sent_urls(sent).values())
    assert hashlib.sha256(sent.request_body.encode()).hexdigest() == sent.request_sha256


def test_id_card_file_names_in_the_body_are_hidden_from_auditors_only(
    sent: Submission, auditor: User, reviewer: User
) -> None:
    body = json.loads(sent.request_body)
    id_name = body[f"{IN_HAND}PicFilename"]
    licence_name = body[f"{LICENCE}PicFilename"]
    url = reverse("admin:filings_submission_change", args=[sent.pk])

    as_auditor = browser(auditor).get(url).content.decode()
    as_reviewer = browser(reviewer).get(url).content.decode()

    assert id_name not in as_auditor
    assert NAME_HIDDEN in as_auditor
    assert licence_name in as_auditor
    assert id_name in as_reviewer


# --- 2. document URLs live only as long as the document and the send -------------------------


def test_a_sent_filings_document_url_serves_the_current_document(sent: Submission) -> None:
    url = sent_urls(sent)[LICENCE]
    licence = Document.objects.get(filing=sent.filing, kind=LICENCE, superseded_at__isnull=True)

    response = fetch(url)

    assert response.status_code == 200
    assert response.content == read_object(licence.storage_key)


def test_the_token_does_not_reveal_the_storage_key(sent: Submission) -> None:
    for kind, url in sent_urls(sent).items():
        document = Document.objects.get(filing=sent.filing, kind=kind, superseded_at__isnull=True)
        token = urlsplit(url).path.split("/")[2]
        payload = token.split(":")[0]
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        random_part = document.storage_key.rsplit("/", 1)[-1].split(".")[0]
        for secret in (document.storage_key, random_part, str(sent.filing.uuid)):
            assert secret not in url
            assert secret.encode() not in decoded


@pytest.mark.parametrize("how", ["replaced", "removed", "purged"])
def test_a_document_url_stops_working_when_its_document_goes(sent: Submission, how: str) -> None:
    url = sent_urls(sent)[ID_CARD]
    document = Document.objects.get(filing=sent.filing, kind=ID_CARD, superseded_at__isnull=True)
    assert fetch(url).status_code == 200
    # Documents of a sent filing cannot change through the services; the rows are set as a
    # rework (replace/remove) or a retention purge leaves them.
    if how == "purged":
        Document.objects.filter(pk=document.pk).update(storage_key="")
    else:
        # No filing sends it any more.
        Document.objects.filter(pk=document.pk).update(superseded_at=timezone.now())
        FilingDocument.objects.filter(document=document).update(removed_at=timezone.now())

    assert fetch(url).status_code == 404


@pytest.mark.parametrize("status", ["DRAFT", "IN_REVIEW", "APPROVED", "REJECTED"])
def test_a_document_url_works_only_while_the_filing_is_sending_or_sent(
    sent: Submission, status: str
) -> None:
    url = sent_urls(sent)[LICENCE]
    for fetchable in ("SENDING", "SUBMITTED", "UNKNOWN"):
        Filing.objects.filter(pk=sent.filing_id).update(status=fetchable)
        assert fetch(url).status_code == 200, fetchable
    Filing.objects.filter(pk=sent.filing_id).update(status=status)

    assert fetch(url).status_code == 404


def test_a_document_url_expires(sent: Submission, settings: Any) -> None:
    url = sent_urls(sent)[LICENCE]
    settings.AWS_QUERYSTRING_EXPIRE = -1

    assert fetch(url).status_code == 404


def test_a_document_url_with_another_file_name_is_not_found(sent: Submission) -> None:
    url = sent_urls(sent)[LICENCE]

    assert fetch(url.rsplit("/", 1)[0] + "/other.jpg").status_code == 404
    assert fetch(url.rsplit("/", 1)[0] + f"/{ID_CARD}.jpg").status_code == 404


def test_urls_shown_on_the_confirmation_page_do_not_serve_before_sending(
    sandbox: str, preparer: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    prepared = sending.prepare_send(filing)
    url = json.loads(prepared.body)[f"{LICENCE}PicUrl"]

    assert fetch(url).status_code == 404


# --- 5. caching ---------------------------------------------------------------------------------


def test_id_images_are_never_cached_and_licences_only_privately(
    preparer: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    client = browser(reviewer)
    for kind, expected in ((ID_CARD, "no-store"), (LICENCE, "private, max-age=300")):
        document = Document.objects.get(filing=filing, kind=kind, superseded_at__isnull=True)
        for query in ({}, {"thumb": "1"}):
            response = client.get(reverse("document-image", args=[document.uuid]), query)
            assert response.status_code == 200
            assert response["Cache-Control"] == expected, (kind, query)


def test_fetched_documents_are_never_cached(sent: Submission) -> None:
    assert fetch(sent_urls(sent)[LICENCE])["Cache-Control"] == "no-store"


# --- 5. names in audit data --------------------------------------------------------------------


def test_audit_data_hides_id_card_file_names_from_auditors(
    preparer: User, auditor: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    document_upload(
        actor=preparer, filing=filing, kind=IN_HAND, upload=Upload("张三-手持.jpg", image(9))
    )
    replaced = AuditEvent.objects.get(kind="document.replaced", data__kind=IN_HAND)
    licence = AuditEvent.objects.get(kind="document.uploaded", data__kind=LICENCE)
    url = reverse("admin:filings_auditevent_change", args=[replaced.pk])

    as_auditor = browser(auditor).get(url).content.decode()
    as_reviewer = browser(reviewer).get(url).content.decode()
    licence_page = browser(auditor).get(
        reverse("admin:filings_auditevent_change", args=[licence.pk])
    )

    assert "张三-手持.jpg" not in as_auditor
    assert NAME_HIDDEN in as_auditor
    assert replaced.data["files"][0]["sha256"] in as_auditor  # the rest of the event stays
    assert "张三-手持.jpg" in as_reviewer
    assert f"{LICENCE}.jpg" in licence_page.content.decode()


def test_audit_export_hides_id_card_file_names_from_auditors(
    preparer: User, auditor: User, superuser: User
) -> None:
    filing = complete_filing(preparer)
    document_upload(
        actor=preparer, filing=filing, kind=IN_HAND, upload=Upload("张三-手持.jpg", image(9))
    )
    url = reverse("admin:filings_auditevent_export", args=["csv"])

    exported = b"".join(browser(auditor).get(url).streaming_content).decode()
    full = b"".join(browser(superuser).get(url).streaming_content).decode()

    assert "张三-手持.jpg" not in exported
    assert NAME_HIDDEN in exported
    assert f"{LICENCE}.jpg" in exported
    assert "张三-手持.jpg" in full


def test_the_filing_page_shows_no_id_card_file_name_to_auditors(
    preparer: User, auditor: User
) -> None:
    filing = complete_filing(preparer)
    document_upload(
        actor=preparer, filing=filing, kind=IN_HAND, upload=Upload("张三-手持.jpg", image(9))
    )

    page = browser(auditor).get(reverse("admin:filings_filing_change", args=[filing.pk]))

    assert page.status_code == 200
    assert "张三" not in page.content.decode()


# --- 6. who looked ------------------------------------------------------------------------------


def test_every_display_of_an_id_image_is_recorded(preparer: User, reviewer: User) -> None:
    filing = complete_filing(preparer)
    id_card = Document.objects.get(filing=filing, kind=ID_CARD, superseded_at__isnull=True)
    licence = Document.objects.get(filing=filing, kind=LICENCE, superseded_at__isnull=True)
    client = browser(reviewer)
    before = AuditEvent.objects.count()

    client.get(reverse("document-image", args=[id_card.uuid]))
    client.get(reverse("document-image", args=[id_card.uuid]), {"thumb": "1"})
    client.get(reverse("document-image", args=[licence.uuid]))

    events = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    assert [(e.kind, e.actor_username, e.target_id, e.filing_id) for e in events] == [
        ("document.viewed", "reviewer", str(id_card.pk), filing.pk),
        ("document.viewed", "reviewer", str(id_card.pk), filing.pk),
    ]
    assert [e.data for e in events] == [
        {"document": str(id_card.uuid), "kind": ID_CARD, "thumbnail": False},
        {"document": str(id_card.uuid), "kind": ID_CARD, "thumbnail": True},
    ]


def test_a_refused_display_is_not_served_and_not_recorded_as_seen(
    preparer: User, auditor: User
) -> None:
    filing = complete_filing(preparer)
    id_card = Document.objects.get(filing=filing, kind=ID_CARD, superseded_at__isnull=True)
    before = AuditEvent.objects.count()

    response = browser(auditor).get(reverse("document-image", args=[id_card.uuid]))

    assert response.status_code == 404
    assert AuditEvent.objects.count() == before


def test_every_outside_fetch_is_recorded_with_address_and_agent(sent: Submission) -> None:
    url = sent_urls(sent)[LICENCE]
    licence = Document.objects.get(filing=sent.filing, kind=LICENCE, superseded_at__isnull=True)
    before = AuditEvent.objects.count()

    fetch(url, user_agent="VolcFetcher/1.0")

    event = AuditEvent.objects.get(seq__gt=before)
    assert (event.kind, event.actor_id, event.target_id, event.filing_id) == (
        "document.fetched",
        None,
        str(licence.pk),
        sent.filing_id,
    )
    assert event.data == {
        "document": str(licence.uuid),
        "kind": LICENCE,
        "remote_addr": "127.0.0.1",
        "user_agent": "VolcFetcher/1.0",
    }


def test_a_refused_fetch_is_not_recorded(sent: Submission) -> None:
    url = sent_urls(sent)[LICENCE]
    Filing.objects.filter(pk=sent.filing_id).update(status="DRAFT")
    before = AuditEvent.objects.count()

    assert fetch(url).status_code == 404
    assert AuditEvent.objects.count() == before


def test_auditors_list_filter_and_export_the_access_records(
    sent: Submission, preparer: User, reviewer: User, auditor: User
) -> None:
    fetch(sent_urls(sent)[LICENCE], user_agent="VolcFetcher/1.0")
    id_card = Document.objects.get(filing=sent.filing, kind=ID_CARD, superseded_at__isnull=True)
    browser(reviewer).get(reverse("document-image", args=[id_card.uuid]))
    client = browser(auditor)
    changelist = reverse("admin:filings_documentaccess_changelist")

    listed = client.get(changelist)
    viewed_only = client.get(changelist, {"kind": "document.viewed"})
    exported = client.get(reverse("admin:filings_documentaccess_export", args=["csv"]))

    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list.values_list("kind", flat=True)) == [
        "document.viewed",
        "document.fetched",
    ]
    assert [e.kind for e in viewed_only.context["cl"].result_list] == ["document.viewed"]
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    kinds = [row[4] for row in rows[1:]]  # the header, then one row per record
    assert kinds == ["document.fetched", "document.viewed"]
    assert DocumentAccess.objects.count() == 2
    assert "VolcFetcher/1.0" in listed.content.decode()


def test_only_exporters_export_the_access_records(preparer: User) -> None:
    response = browser(preparer).get(reverse("admin:filings_documentaccess_export", args=["csv"]))

    assert response.status_code == 403


def test_a_corrupt_stored_image_has_no_thumbnail_and_no_error(
    preparer: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    licence = Document.objects.get(filing=filing, kind=LICENCE, superseded_at__isnull=True)
    key = licence.storage_key.replace(".jpg", "-damaged.jpg")
    save_object(key, b"\xff\xd8\xff\xe0 not really a JPEG")
    Document.objects.filter(pk=licence.pk).update(storage_key=key)

    response = browser(reviewer).get(reverse("document-image", args=[licence.uuid]), {"thumb": "1"})

    assert response.status_code == 404
