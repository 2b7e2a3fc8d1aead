"""A number filing end to end against the built-in sandbox over real HTTP: filed from the
numbers, its letter uploaded, submitted, approved from what the reviewer saw, sent once, its
Submission recorded and its numbers moved on; each outcome; a double confirmation."""

import hashlib
import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from requests.utils import default_user_agent

from filings.content import content_hash
from filings.models import Company, Document, Filing, PhoneNumber, Submission
from filings.roles import refresh_roles
from filings.sandbox.models import SandboxConfig, SandboxRequest
from filings.services import numbers, review, sending
from tests.audit_rows import events_after, head, row
from tests.builders import fresh
from tests.conftest import free_port
from tests.number_builders import (
    EVIDENCE,
    LETTER,
    LETTER_NAME,
    SCENE,
    SCRIPT,
    add_numbers,
    approve,
    file_numbers,
    filed_company,
    live_numbers,
    upload_letter,
)

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER_AUTH = "Click2CallNumberAuth"
ADD, UPDATE, DELETE = Filing.NumberAction.values
DIGITS = ["13800000002", "057188886666", "13800000001"]
NEW_SCRIPT = "您好，这里是火山示例售后，回访您的使用情况。"
FIELDS = {
    ADD: [
        "companyName",
        "companyCreditCode",
        "action",
        "aNumbers",
        "businessUsageCommitmentletterPicUrl",
        "businessUsageCommitmentletterPicFilename",
        "script",
        "scriptScene",
    ],
    DELETE: ["companyName", "companyCreditCode", "action", "aNumbers"],
}
FIELDS[UPDATE] = FIELDS[ADD]


@pytest.fixture(autouse=True)
def roles(transactional_db: None) -> None:
    """The role groups of filings.roles, which a transactional test's flush empties."""
    refresh_roles()


@pytest.fixture
def endpoint(sandbox: str, volc_settings: Any) -> str:
    """The sandbox, fetching the letter from the portal's own fetch URL as Volcengine would."""
    volc_settings.LANGUAGE_CODE = "en"
    volc_settings.VOLC_SANDBOX_FETCH_IMAGES = True
    volc_settings.VOLC_CONNECT_TIMEOUT = 1.0
    volc_settings.VOLC_READ_TIMEOUT = 5.0
    return sandbox


@pytest.fixture
def company(endpoint: str, preparer: User, reviewer: User) -> Company:
    """A company whose company filing Volcengine received."""
    return filed_company(preparer, reviewer)


def set_mode(mode: str, stall_seconds: float = 3.0) -> None:
    SandboxConfig.objects.update_or_create(
        pk=1, defaults={"mode": mode, "stall_seconds": stall_seconds}
    )


def number_requests() -> int:
    return SandboxRequest.objects.filter(action=NUMBER_AUTH).count()


def states(found: list[PhoneNumber]) -> dict[str, tuple[str, int | None]]:
    return {
        n.digits: (n.state, n.open_filing_id)
        for n in PhoneNumber.objects.filter(pk__in=[n.pk for n in found])
    }


def the_numbers(action: str, preparer: User, reviewer: User, company: Company) -> list[PhoneNumber]:
    """Numbers the action fits: new drafts for add, numbers Volcengine listed otherwise (for
    update, with the new script they are to be filed with)."""
    if action == ADD:
        return add_numbers(preparer, company, DIGITS)
    found = live_numbers(preparer, reviewer, company, DIGITS)
    if action == UPDATE:
        for number in found:
            numbers.number_update(
                actor=preparer, number=number, script_scene="售后", script=NEW_SCRIPT
            )
    return found


def sent_row(reviewer: User, filing: Filing, submission: Submission) -> dict[str, Any]:
    return row(
        "submission.sent",
        reviewer,
        "filing",
        filing.pk,
        filing=filing,
        data={
            "content_hash": filing.approved_hash,
            "action": NUMBER_AUTH,
            "endpoint": settings.VOLC_VMS_ENDPOINT,
            "region": "cn-beijing",
            "body_sha256": submission.request_sha256,
        },
    )


def response_row(
    reviewer: User, filing: Filing, submission: Submission, status: str
) -> dict[str, Any]:
    return row(
        "submission.response",
        reviewer,
        "submission",
        submission.pk,
        filing=filing,
        data={
            "outcome": submission.outcome,
            "http_status": submission.http_status,
            "request_id": submission.provider_request_id,
            "error_code": submission.error_code,
            "result_code": submission.result_code,
            "message": submission.error_message
            or submission.result_message
            or submission.transport_error,
            "retryable": submission.retryable,
            "status": status,
        },
    )


def fetched_row(filing: Filing) -> dict[str, Any]:
    """The sandbox fetching the filing's letter from its fetch URL, as Volcengine does."""
    letter = Document.objects.get(filing=filing, kind=LETTER, superseded_at__isnull=True)
    return {
        "kind": "document.fetched",
        "actor_id": None,
        "actor_username": "",
        "target_type": "document",
        "target_id": str(letter.pk),
        "filing_id": filing.pk,
        "data": {
            "document": str(letter.uuid),
            "kind": LETTER,
            "remote_addr": "127.0.0.1",
            "user_agent": default_user_agent(),
        },
    }


def state_row(reviewer: User, filing: Filing, state: str) -> dict[str, Any]:
    return row(
        "numbers.state_changed",
        reviewer,
        "filing",
        filing.pk,
        filing=filing,
        data={"state": state, "numbers": sorted(DIGITS)},
    )


def approved(preparer: User, reviewer: User, company: Company) -> tuple[Filing, list[PhoneNumber]]:
    found = add_numbers(preparer, company, DIGITS)
    return approve(preparer, reviewer, file_numbers(preparer, found)), found


# --- the full flow, per action ---------------------------------------------------------------


@pytest.mark.parametrize("action", [ADD, UPDATE, DELETE])
def test_the_full_flow_of_each_action(
    action: str, endpoint: str, preparer: User, reviewer: User, company: Company
) -> None:
    found = the_numbers(action, preparer, reviewer, company)
    # The letter of the company's earlier number filing (update: the one that added them).
    earlier = Document.objects.filter(company=company, kind=LETTER).first()
    start = head()

    # Draft: "File these numbers", then the letter (add and update).
    result = numbers.numbers_file(actor=preparer, numbers=[n.pk for n in found], action=action)
    (filing,) = result.filings
    letter = upload_letter(preparer, filing) if action != DELETE else None
    # Review: submitted, then approved from the hash of what the reviewer saw.
    review.filing_submit(actor=preparer, filing=filing)
    seen = content_hash(fresh(filing))
    review.filing_approve(actor=reviewer, filing=filing, seen_hash=seen)
    # Sent once.
    submission = sending.filing_send(actor=reviewer, filing=filing)

    filing = fresh(filing)
    assert (filing.status, filing.approved_hash, filing.approved_by) == (
        "SUBMITTED",
        seen,
        reviewer,
    )
    assert (submission.outcome, submission.http_status) == ("ACCEPTED", 200)
    assert (submission.result_code, submission.result_message) == ("200", "成功")
    assert submission.provider_request_id
    assert submission.content_hash == seen
    body = submission.request_body.encode()
    assert submission.request_sha256 == hashlib.sha256(body).hexdigest()
    payload = json.loads(body)
    assert list(payload) == FIELDS[action]
    assert payload["action"] == action
    assert payload["aNumbers"] == "057188886666,13800000001,13800000002"
    if action != DELETE:
        assert payload["businessUsageCommitmentletterPicFilename"] == LETTER_NAME
        script, scene = (SCRIPT, SCENE) if action == ADD else (NEW_SCRIPT, "售后")
        assert (payload["script"], payload["scriptScene"]) == (script, scene)
    assert number_requests() == 1
    logged = SandboxRequest.objects.get(action=NUMBER_AUTH)
    assert (logged.body_sha256, logged.http_status, logged.answer_code) == (
        submission.request_sha256,
        200,
        "200",
    )
    after = "delisted" if action == DELETE else "pending"
    assert states(found) == {d: (after, None) for d in DIGITS}

    created = row(
        "filing.created",
        preparer,
        "filing",
        filing.pk,
        filing=filing,
        data={
            "company": company.credit_code,
            "kind": "number",
            "number_action": action,
            "numbers": sorted(DIGITS),
            "script_scene": {ADD: SCENE, UPDATE: "售后", DELETE: ""}[action],
            "script": {ADD: SCRIPT, UPDATE: NEW_SCRIPT, DELETE: ""}[action],
        },
    )
    # An update starts with the company's letter by reference; uploading one replaces it there.
    reused = (
        []
        if letter is None or earlier is None
        else [
            row(
                "document.reused",
                preparer,
                "filing",
                filing.pk,
                filing=filing,
                data={
                    "documents": [
                        {
                            "kind": LETTER,
                            "part": "main",
                            "document": str(earlier.uuid),
                            "sha256": earlier.sha256,
                            "uploaded_in": earlier.filing_id,
                        }
                    ]
                },
            )
        ]
    )
    uploaded = (
        []
        if letter is None
        else [
            row(
                "document.replaced" if reused else "document.uploaded",
                preparer,
                "document",
                letter.pk,
                filing=filing,
                data={
                    "kind": LETTER,
                    "files": [described(letter)],
                    "replaced": [str(earlier.uuid)] if reused and earlier else [],
                },
            )
        ]
    )
    assert (action == UPDATE) == bool(reused)
    assert events_after(start) == [
        created,
        *reused,
        *uploaded,
        row("filing.submitted", preparer, "filing", filing.pk, filing=filing),
        row(
            "filing.approved",
            reviewer,
            "filing",
            filing.pk,
            filing=filing,
            data={
                "content_hash": seen,
                "documents": {} if letter is None else {LETTER: letter.sha256},
            },
        ),
        sent_row(reviewer, filing, submission),
        *([] if letter is None else [fetched_row(filing)]),
        state_row(reviewer, filing, after),
        response_row(reviewer, filing, submission, "SUBMITTED"),
    ]


def described(document: Document) -> dict[str, object]:
    """A stored document as its upload event describes it."""
    return {
        "part": document.part,
        "document": str(document.uuid),
        "original_name": document.original_name,
        "api_filename": document.api_filename,
        "sha256": document.sha256,
        "size": document.size,
        "pixels": f"{document.width}x{document.height}",
    }


# --- each outcome ---------------------------------------------------------------------------


def test_a_rejection_leaves_the_numbers_in_the_filing_for_rework(
    endpoint: str, preparer: User, reviewer: User, company: Company
) -> None:
    filing, found = approved(preparer, reviewer, company)
    set_mode(SandboxConfig.Mode.RESULT_FAILURE)
    start = head()

    submission = sending.filing_send(actor=reviewer, filing=filing)

    assert fresh(filing).status == "REJECTED"
    assert (submission.outcome, submission.http_status, submission.result_code) == (
        "REJECTED",
        200,
        "1001",
    )
    assert (
        submission.result_message
        == "号码报备校验未通过：业务使用承诺书与企业信息不一致（沙箱模拟）"
    )
    assert events_after(start) == [
        sent_row(reviewer, fresh(filing), submission),
        response_row(reviewer, filing, submission, "REJECTED"),
    ]
    assert states(found) == {d: ("draft", filing.pk) for d in DIGITS}
    assert number_requests() == 1

    # Reworked, it is a draft with the same numbers, ready to be fixed and reviewed again.
    review.filing_rework(actor=preparer, filing=filing)
    assert fresh(filing).status == "DRAFT"
    assert states(found) == {d: ("draft", filing.pk) for d in DIGITS}


def test_not_sent_keeps_the_numbers_and_the_filing_is_sent_later(
    endpoint: str, preparer: User, reviewer: User, company: Company, volc_settings: Any
) -> None:
    filing, found = approved(preparer, reviewer, company)
    volc_settings.VOLC_VMS_ENDPOINT = f"http://127.0.0.1:{free_port()}/sandbox/vms/"
    start = head()

    submission = sending.filing_send(actor=reviewer, filing=filing)

    assert fresh(filing).status == "APPROVED"
    assert (submission.outcome, submission.http_status) == ("NOT_SENT", None)
    assert submission.transport_error.startswith("ConnectionError:")
    assert submission.retryable
    first_sent = sent_row(reviewer, fresh(filing), submission)
    first_sent["data"]["endpoint"] = volc_settings.VOLC_VMS_ENDPOINT
    assert events_after(start) == [
        first_sent,
        response_row(reviewer, filing, submission, "APPROVED"),
    ]
    assert states(found) == {d: ("draft", filing.pk) for d in DIGITS}
    assert number_requests() == 0

    volc_settings.VOLC_VMS_ENDPOINT = endpoint
    again = sending.filing_send(actor=reviewer, filing=filing)

    assert again.outcome == "ACCEPTED"
    assert fresh(filing).status == "SUBMITTED"
    assert states(found) == {d: ("pending", None) for d in DIGITS}
    assert number_requests() == 1


def test_unknown_keeps_the_numbers_until_a_reviewer_settles_it(
    endpoint: str, preparer: User, reviewer: User, company: Company, volc_settings: Any
) -> None:
    filing, found = approved(preparer, reviewer, company)
    set_mode(SandboxConfig.Mode.STALL, stall_seconds=3)
    volc_settings.VOLC_READ_TIMEOUT = 0.5
    start = head()

    submission = sending.filing_send(actor=reviewer, filing=filing)

    assert fresh(filing).status == "UNKNOWN"
    assert (submission.outcome, submission.http_status) == ("UNKNOWN", None)
    assert "timed out" in submission.transport_error.lower()
    assert events_after(start) == [
        sent_row(reviewer, fresh(filing), submission),
        fetched_row(filing),
        response_row(reviewer, filing, submission, "UNKNOWN"),
    ]
    assert states(found) == {d: ("draft", filing.pk) for d in DIGITS}
    assert number_requests() == 1  # it did arrive

    settled = head()
    review.filing_resolve(actor=reviewer, filing=filing, status="SUBMITTED", note=EVIDENCE)

    assert events_after(settled) == [
        state_row(reviewer, filing, "pending"),
        row(
            "filing.resolved",
            reviewer,
            "filing",
            filing.pk,
            filing=filing,
            data={"status": "SUBMITTED", "note": EVIDENCE},
        ),
    ]
    assert states(found) == {d: ("pending", None) for d in DIGITS}
    assert number_requests() == 1
    assert Submission.objects.filter(filing=filing).count() == 1


def test_unknown_settled_as_refused_keeps_the_numbers_in_the_filing(
    endpoint: str, preparer: User, reviewer: User, company: Company
) -> None:
    filing, found = approved(preparer, reviewer, company)
    set_mode(SandboxConfig.Mode.GATEWAY_TIMEOUT)
    assert sending.filing_send(actor=reviewer, filing=filing).outcome == "UNKNOWN"
    start = head()

    review.filing_resolve(actor=reviewer, filing=filing, status="REJECTED", note=EVIDENCE)

    assert [event["kind"] for event in events_after(start)] == ["filing.resolved"]
    assert states(found) == {d: ("draft", filing.pk) for d in DIGITS}


# --- exactly once ---------------------------------------------------------------------------


def test_a_double_submitted_confirmation_sends_one_request(
    endpoint: str, preparer: User, reviewer: User, company: Company
) -> None:
    filing, found = approved(preparer, reviewer, company)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(reviewer)
    url = reverse("admin:filings_filing_send", args=[filing.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert f"Action={NUMBER_AUTH}" in page.content.decode()
    start = head()

    first = client.post(url, {"confirm": "yes"})
    second = client.post(url, {"confirm": "yes"}, follow=True)

    assert first.status_code == 302
    assert "Only an approved filing can be sent" in second.content.decode()
    submission = Submission.objects.get(filing=filing)
    assert submission.outcome == "ACCEPTED"
    assert number_requests() == 1
    assert fresh(filing).status == "SUBMITTED"
    assert states(found) == {d: ("pending", None) for d in DIGITS}
    assert events_after(start) == [
        sent_row(reviewer, fresh(filing), submission),
        fetched_row(filing),
        state_row(reviewer, filing, "pending"),
        response_row(reviewer, filing, submission, "SUBMITTED"),
    ]
