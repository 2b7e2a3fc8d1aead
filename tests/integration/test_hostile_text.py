"""Hostile text that is legitimately stored (it is only text): shown escaped on every page,
never as live markup; CSV exports neutralise formulas while JSON Lines keep the text
verbatim."""

import csv
import html
import io
import json

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from filings.audit.exports import csv_columns
from filings.models import AuditEvent, Company, Document, Filing, Submission
from filings.services import editing, review, sending
from filings.services.documents import Upload, document_upload
from tests import builders
from tests.hostile import (
    JPEG,
    LICENCE,
    V0,
    World,
    act,
    company,
    company_change,
    filename,
    filing_change,
    page_values,
    upload,
)
from tests.pages import Page, Response, assert_safe_page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hostile_settings")]


# --- stored text is shown escaped on every page ---------------------------------------------------

NAME = '<script>alert("company")</script>'
CALLEE = "<img src=x onerror=alert('callee')>"
CARRIER = "\"><svg onload=alert('carrier')>"
SCENE = "<b onmouseover=alert('scene')>快递</b>"
CONTENT = "</textarea><script>alert('content')</script>"
FILENAME = "\"><img src=x onerror=alert('file')>.jpg"
COMMENT = "<iframe src=javascript:alert('comment')></iframe>"


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_hostile_text_is_stored_as_text_and_rendered_escaped_on_every_page(
    preparer: User, reviewer: User, auditor: User
) -> None:
    as_preparer, as_reviewer, as_auditor = browser(preparer), browser(reviewer), browser(auditor)
    # The preparer types it all into the admin's own forms: it is text, so it is accepted.
    add_company = reverse("admin:filings_company_add")
    assert as_preparer.post(add_company, company(name=NAME, code=V0)).status_code == 302
    company_ = Company.objects.get(credit_code=V0)
    assert company_.name == NAME
    add_filing = reverse("admin:filings_filing_add")
    filed = as_preparer.post(
        add_filing,
        {
            **page_values(as_preparer, add_filing),
            "company": company_.pk,
            "callee_source": CALLEE,
            "business_carrier": CARRIER,
            "scripts-0-position": "1",
            "scripts-0-scene": SCENE,
            "scripts-0-content": CONTENT,
            "_save": "Save",
        },
    )
    assert filed.status_code == 302
    filing = Filing.objects.get(company=company_)
    assert (filing.callee_source, filing.business_carrier) == (CALLEE, CARRIER)
    assert list(filing.scripts.values_list("scene", "content")) == [(SCENE, CONTENT)]
    world = World(users={}, company=company_, draft=filing)
    as_entities = filename(html.escape(FILENAME).encode())  # Django's parser unescapes names
    uploaded = upload(LICENCE.encode(), [("image", as_entities, JPEG)])(as_preparer, world)
    assert uploaded.status_code == 200, uploaded.content
    licence = Document.objects.get(filing=filing, kind=LICENCE)
    assert licence.original_name == FILENAME
    # The name sent to Volcengine keeps no markup characters at all.
    assert not set("<>\"'=") & set(licence.api_filename)
    for seed, kind in enumerate(builders.KINDS[1:], start=1):
        document_upload(
            actor=preparer, filing=filing, kind=kind, upload=Upload("x.jpg", builders.image(seed))
        )
    review.filing_submit(actor=preparer, filing=filing)
    asked = as_reviewer.post(act("request_changes", "draft")(world), {"comment": COMMENT})
    assert asked.status_code == 302
    filing.refresh_from_db()
    assert (filing.status, filing.review_comment) == (Filing.Status.DRAFT, COMMENT)

    everything = [NAME, CALLEE, CARRIER, SCENE, CONTENT, FILENAME]
    # Pages about what is sent show the file name as sent: the cleaned one, no markup left.
    as_sent = [NAME, CALLEE, CARRIER, SCENE, CONTENT, licence.api_filename]
    shown: dict[str, list[str]] = {}
    pages: dict[str, Page] = {}

    def look(name: str, client: Client, url: str, texts: list[str]) -> None:
        """`client` opens `url`: a safe page, on which each of `texts` must be seen as text."""
        pages[name] = assert_safe_page(client.get(url))
        shown[name] = texts

    # File names are shown on the documents page, not in the filing page's document table.
    look("filing page", as_preparer, filing_change(world), [*everything[:-1], COMMENT])
    look("filing list", as_preparer, reverse("admin:filings_filing_changelist"), [NAME])
    look("company list", as_preparer, reverse("admin:filings_company_changelist"), [NAME])
    look("company page", as_preparer, company_change(world), [NAME])
    look(
        "documents page",
        as_preparer,
        reverse("admin:filings_filing_documents", args=[filing.pk]),
        [NAME, FILENAME],
    )
    review.filing_submit(actor=preparer, filing=filing)
    look("review queue", as_reviewer, reverse("admin:filings_filing_review_queue"), [NAME])
    look(
        "review page",
        as_reviewer,
        reverse("admin:filings_filing_review", args=[filing.pk]),
        as_sent,
    )
    review.filing_approve(actor=reviewer, filing=filing)
    look(
        "send confirmation",
        as_reviewer,
        reverse("admin:filings_filing_send", args=[filing.pk]),
        as_sent,
    )
    submission = sending.filing_send(actor=reviewer, filing=filing)
    assert submission.outcome == Submission.Outcome.NOT_SENT
    assert json.loads(submission.request_body)["companyName"] == NAME
    look(
        "submission page",
        as_auditor,
        reverse("admin:filings_submission_change", args=[submission.pk]),
        as_sent,
    )
    look("submission list", as_auditor, reverse("admin:filings_submission_changelist"), [NAME])
    look("audit list", as_auditor, reverse("admin:filings_auditevent_changelist"), [])
    events = {
        "company.created": (AuditEvent.objects.get(kind="company.created"), [NAME]),
        "filing.created": (AuditEvent.objects.get(kind="filing.created"), [CALLEE, CARRIER]),
        "script.created": (AuditEvent.objects.get(kind="script.created"), [SCENE, CONTENT]),
        "document.uploaded": (
            AuditEvent.objects.get(kind="document.uploaded", target_id=str(licence.pk)),
            [FILENAME],
        ),
        "filing.changes_requested": (
            AuditEvent.objects.get(kind="filing.changes_requested"),
            [COMMENT],
        ),
    }
    for kind, (event, texts) in events.items():
        url = reverse("admin:filings_auditevent_change", args=[event.pk])
        look(f"{kind} event", as_auditor, url, texts)
    look("login page", Client(), reverse("admin:login"), [])

    assert len(pages) == 17
    for name, texts in shown.items():
        for text in texts:
            assert pages[name].shows(text), (name, text)


# --- CSV injection --------------------------------------------------------------------------------

FORMULAS = {
    '=HYPERLINK("http://x")': "91350100100000016G",
    "+cmd": "91350100100000024B",
    "-1+1": "913501001000000326",
    "@SUM(1)": "913501001000000401",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export(client: Client, what: str, fmt: str) -> str:
    response: Response = client.get(reverse(f"admin:filings_{what}_export", args=[fmt]))
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


def csv_records(text: str, what: str) -> list[dict[str, str]]:
    """The rows keyed by field name (the header names the columns in words)."""
    header, *data = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    columns = csv_columns(what)
    assert len(header) == len(columns)
    return [dict(zip(columns, row, strict=True)) for row in data]


def test_formulas_in_company_names_are_neutralised_in_csv_and_verbatim_in_jsonl(
    preparer: User, auditor: User
) -> None:
    sender = User.objects.create_user("-2+3", is_staff=True)  # a valid username, and a formula
    sender.groups.add(Group.objects.get(name="Reviewer"))
    for name, code in FORMULAS.items():
        editing.company_create(actor=preparer, name=name, credit_code=code)
        filing = builders.approved_filing(preparer, sender, code=code)
        assert sending.filing_send(actor=sender, filing=filing).outcome == "NOT_SENT"
    as_auditor = browser(auditor)

    submissions = csv_records(export(as_auditor, "submission", "csv"), "submissions")
    assert sorted(row["filing__company__name"] for row in submissions) == sorted(
        "'" + name for name in FORMULAS
    )
    assert {row["actor__username"] for row in submissions} == {"'-2+3"}
    audit = csv_records(export(as_auditor, "auditevent", "csv"), "audit")
    assert "'-2+3" in {row["actor_username"] for row in audit}
    created = [json.loads(row["data"]) for row in audit if row["kind"] == "company.created"]
    assert sorted(data["name"] for data in created) == sorted(FORMULAS)  # inside JSON: verbatim
    for row in [*submissions, *audit]:
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_STARTS), (column, cell)

    lines = export(as_auditor, "submission", "jsonl").splitlines()
    assert "export" in json.loads(lines[0])
    records = [json.loads(line) for line in lines[1:]]
    assert sorted(r["filing__company__name"] for r in records) == sorted(FORMULAS)
    assert {r["actor__username"] for r in records} == {"-2+3"}
    audit_lines = export(as_auditor, "auditevent", "jsonl").splitlines()[1:]
    names = [
        json.loads(line)["data"]["name"]
        for line in audit_lines
        if json.loads(line)["kind"] == "company.created"
    ]
    assert sorted(names) == sorted(FORMULAS)
