"""Sending a filing end to end: admin confirmation page, service, management command, system
check, against the built-in sandbox over real HTTP (one outcome per test).
"""

import hashlib
import html
import io
import json
import math
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import checks
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import reverse

from filings import errors
from filings.content import current_documents
from filings.models import AuditEvent, Filing, Submission
from filings.roles import refresh_roles
from filings.sandbox.models import SandboxConfig, SandboxRequest
from filings.services import review, sending
from filings.storage import document_uuid_from_fetch_token
from filings.volc.config import SENDING_DISABLED
from tests.api_page import API_FIELD_ORDER, PIC_URL_FIELDS
from tests.builders import approved_filing, complete_filing
from tests.conftest import free_port

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "SK-FLOW-MARKER-0b7d31e6-never-shown"
SIGNATURE_HEX = re.compile(r"[0-9a-f]{64}")


@pytest.fixture(autouse=True)
def roles(transactional_db: None) -> None:
    """The role groups of filings.roles, which a transactional test's flush empties."""
    refresh_roles()


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """The users' passwords are never used here (force_login): skip 1M PBKDF2 rounds each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def endpoint(sandbox: str, volc_settings: Any) -> str:
    volc_settings.VOLC_SECRETKEY = SECRET
    volc_settings.VOLC_SANDBOX_SECRETKEY = SECRET
    volc_settings.VOLC_SANDBOX_FETCH_IMAGES = False
    volc_settings.VOLC_CONNECT_TIMEOUT = 1.0
    volc_settings.VOLC_READ_TIMEOUT = 3.0
    return sandbox


@pytest.fixture
def filing(endpoint: str, preparer: User, reviewer: User) -> Filing:
    return approved_filing(preparer, reviewer)


def browser(user: User) -> Client:
    """A logged-in admin session with the English UI chosen (the switcher's cookie)."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def send_url(filing: Filing) -> str:
    return reverse("admin:filings_filing_send", args=[filing.pk])


def change_url(filing: Filing) -> str:
    return reverse("admin:filings_filing_change", args=[filing.pk])


def set_mode(mode: str, stall_seconds: float = 3.0) -> None:
    SandboxConfig.objects.update_or_create(
        pk=1, defaults={"mode": mode, "stall_seconds": stall_seconds}
    )


def status(filing: Filing) -> str:
    filing.refresh_from_db()
    return filing.status


def send_events(filing: Filing) -> list[AuditEvent]:
    """The audit events after the approval, oldest first."""
    events = list(AuditEvent.objects.filter(filing=filing).order_by("seq"))
    kinds = [event.kind for event in events]
    return events[kinds.index("filing.approved") + 1 :]


def assert_recorded(submission: Submission, filing: Filing, actor: User, endpoint: str) -> None:
    """What every Submission holds, whatever the outcome; and never the secret."""
    assert submission.filing_id == filing.pk
    assert submission.actor_id == actor.pk
    assert submission.content_hash == filing.approved_hash != ""
    assert (submission.endpoint, submission.region) == (endpoint, "cn-beijing")
    body = submission.request_body.encode("utf-8")
    assert submission.request_sha256 == hashlib.sha256(body).hexdigest()
    payload = json.loads(body)
    assert list(payload) == API_FIELD_ORDER
    assert payload["companyCreditCode"] == filing.company.credit_code
    assert submission.request_body == json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    headers = submission.request_headers
    assert headers["X-Content-Sha256"] == submission.request_sha256
    assert headers["Content-Type"] == "application/json; charset=UTF-8"
    assert headers["Authorization"].endswith("Signature=***")
    assert SIGNATURE_HEX.search(headers["Authorization"]) is None
    assert submission.started_at <= submission.finished_at
    for field in Submission._meta.concrete_fields:
        value = getattr(submission, field.attname)
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)
        assert SECRET not in text


def assert_audited(filing: Filing, submission: Submission, outcome: str, new_status: str) -> None:
    sent, response = send_events(filing)
    assert (sent.kind, response.kind) == ("submission.sent", "submission.response")
    assert sent.data["body_sha256"] == submission.request_sha256
    assert sent.data["content_hash"] == filing.approved_hash
    assert (response.target_type, response.target_id) == ("submission", str(submission.pk))
    assert response.data["outcome"] == outcome
    assert response.data["status"] == new_status
    assert response.data["http_status"] == submission.http_status
    assert response.data["request_id"] == submission.provider_request_id
    assert response.data["retryable"] == submission.retryable
    assert SECRET not in json.dumps([sent.data, response.data], ensure_ascii=False)


# --- the confirmation page ------------------------------------------------------------------


def shown_body(content: str) -> dict[str, Any]:
    match = re.search(r'<pre class="raw" id="request-body">(.*?)</pre>', content, re.S)
    assert match, "the page shows the request body"
    body: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return body


def test_the_confirmation_page_shows_everything_and_sends_nothing(
    filing: Filing, reviewer: User, endpoint: str, live_server: Any
) -> None:
    response = browser(reviewer).get(send_url(filing))

    assert response.status_code == 200
    content = response.content.decode()
    # Pre-flight list, all passing.
    shown_checks = response.context["checks"]
    assert shown_checks
    assert all(check.ok for check in shown_checks)
    for check in shown_checks:
        assert html.escape(check.message) in content
    assert "Volcengine credentials: configured" in content
    # Where it goes and which headers the signature covers.
    target = f"POST {endpoint}?Action=Click2CallCompanyAuth&Version=2022-01-01"
    assert html.escape(target) in content
    assert "content-type;host;x-content-sha256;x-date" in content
    # The exact body: the API's fields in order, fresh document URLs included.
    body = shown_body(content)
    assert body == json.loads(response.context["body"])
    assert list(body) == API_FIELD_ORDER
    assert body["companyName"] == filing.company.name
    assert body["scriptList"] == [
        {"scriptContent": script.content, "scriptScene": script.scene}
        for script in filing.scripts.all()
    ]
    documents = current_documents(filing)
    for field in PIC_URL_FIELDS:
        kind = field.removesuffix("PicUrl")
        url = body[field]
        assert url.startswith(f"{live_server.url}/d/")
        token = url.removeprefix(f"{live_server.url}/d/").split("/")[0]
        assert document_uuid_from_fetch_token(token) == documents[kind].uuid
        assert html.escape(url) in content
    # Never the secret, and nothing sent or recorded.
    assert SECRET not in content
    assert SandboxRequest.objects.count() == 0
    assert not Submission.objects.exists()
    assert status(filing) == Filing.Status.APPROVED
    assert send_events(filing) == []


@pytest.mark.parametrize("data", [{}, {"confirm": "no"}, {"confirm": "YES"}])
def test_a_post_without_confirm_sends_nothing(
    filing: Filing, reviewer: User, data: dict[str, str]
) -> None:
    response = browser(reviewer).post(send_url(filing), data)

    assert response.status_code == 200
    assert "confirm-send" in response.content.decode()  # still the confirmation page
    assert SandboxRequest.objects.count() == 0
    assert not Submission.objects.exists()
    assert status(filing) == Filing.Status.APPROVED


def test_confirming_sends_once_and_the_change_page_shows_the_outcome(
    filing: Filing, reviewer: User, endpoint: str
) -> None:
    client = browser(reviewer)
    page = shown_body(client.get(send_url(filing)).content.decode())

    response = client.post(send_url(filing), {"confirm": "yes"}, follow=True)

    assert response.redirect_chain == [(change_url(filing), 302)]
    assert SandboxRequest.objects.count() == 1
    assert status(filing) == Filing.Status.SUBMITTED
    submission = Submission.objects.get()
    assert_recorded(submission, filing, reviewer, endpoint)
    assert (submission.outcome, submission.http_status) == ("ACCEPTED", 200)
    assert (submission.result_code, submission.result_message) == ("0", "成功")
    assert not submission.retryable
    envelope = json.loads(submission.response_body)
    assert submission.provider_request_id == envelope["ResponseMetadata"]["RequestId"] != ""
    assert submission.result_request_id == envelope["Result"]["requestId"]
    assert SandboxRequest.objects.get().body_sha256 == submission.request_sha256
    assert_audited(filing, submission, "ACCEPTED", "SUBMITTED")
    # What was sent is what the page showed (document URLs are re-signed, same objects).
    sent = json.loads(submission.request_body)
    for field in PIC_URL_FIELDS:
        token_sent = sent.pop(field).split("/d/")[1].split("/")[0]
        token_shown = page.pop(field).split("/d/")[1].split("/")[0]
        assert document_uuid_from_fetch_token(token_sent) == document_uuid_from_fetch_token(
            token_shown
        )
    assert sent == page
    # The change page tells the outcome and the RequestId.
    content = response.content.decode()
    assert "Outcome: Accepted" in content
    assert f"RequestId {submission.provider_request_id}" in content
    assert SECRET not in content


def test_a_double_submitted_confirmation_sends_one_request(filing: Filing, reviewer: User) -> None:
    client = browser(reviewer)

    first = client.post(send_url(filing), {"confirm": "yes"})
    second = client.post(send_url(filing), {"confirm": "yes"}, follow=True)

    assert first.status_code == 302
    assert SandboxRequest.objects.count() == 1
    assert Submission.objects.count() == 1
    assert status(filing) == Filing.Status.SUBMITTED
    assert [event.kind for event in send_events(filing)] == [
        "submission.sent",
        "submission.response",
    ]
    assert "Only an approved filing can be sent" in second.content.decode()


def offered_actions(changelist: Any) -> list[str]:
    form = changelist.context["action_form"]  # None when no action at all is offered
    return [] if form is None else [name for name, _ in form.fields["action"].choices]


def test_a_user_without_the_send_permission_gets_403_and_no_action(
    filing: Filing, preparer: User, reviewer: User
) -> None:
    assert not preparer.has_perm("filings.send_filing")
    client = browser(preparer)

    assert client.get(send_url(filing)).status_code == 403
    assert client.post(send_url(filing), {"confirm": "yes"}).status_code == 403
    changelist = client.get(reverse("admin:filings_filing_changelist"))
    assert changelist.status_code == 200
    assert "send_to_volcengine" not in offered_actions(changelist)
    assert "send_to_volcengine" not in changelist.content.decode()
    # The same list for a reviewer: there it is offered.
    reviewer_list = browser(reviewer).get(reverse("admin:filings_filing_changelist"))
    assert "send_to_volcengine" in offered_actions(reviewer_list)
    assert SandboxRequest.objects.count() == 0
    assert status(filing) == Filing.Status.APPROVED


def test_the_admin_action_leads_to_the_confirmation_page_without_sending(
    filing: Filing, reviewer: User
) -> None:
    response = browser(reviewer).post(
        reverse("admin:filings_filing_changelist"),
        {"action": "send_to_volcengine", "_selected_action": [filing.pk]},
    )

    assert response.status_code == 302
    assert response["Location"] == send_url(filing)
    assert SandboxRequest.objects.count() == 0
    assert status(filing) == Filing.Status.APPROVED


def test_missing_credentials_block_the_page_and_the_send(
    filing: Filing, reviewer: User, volc_settings: Any
) -> None:
    volc_settings.VOLC_SECRETKEY = ""
    client = browser(reviewer)

    page = client.get(send_url(filing)).content.decode()
    response = client.post(send_url(filing), {"confirm": "yes"}, follow=True)

    assert "VOLC_SECRETKEY is not set" in page
    assert "confirm-send" not in page
    assert "VOLC_SECRETKEY is not set" in response.content.decode()
    assert SandboxRequest.objects.count() == 0
    assert not Submission.objects.exists()
    assert status(filing) == Filing.Status.APPROVED


# --- each outcome through the service -------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "http_status", "code", "retryable"),
    [
        (SandboxConfig.Mode.RESULT_FAILURE, 200, "1001", False),
        (SandboxConfig.Mode.SIGNATURE_ERROR, 401, "SignatureDoesNotMatch", True),
    ],
)
def test_a_rejection_moves_the_filing_to_rejected(
    filing: Filing,
    reviewer: User,
    endpoint: str,
    mode: str,
    http_status: int,
    code: str,
    retryable: bool,
) -> None:
    set_mode(mode)

    submission = sending.filing_send(actor=reviewer, filing=filing)

    assert status(filing) == Filing.Status.REJECTED
    assert (submission.outcome, submission.http_status) == ("REJECTED", http_status)
    assert code in (submission.result_code, submission.error_code)
    assert submission.retryable is retryable
    assert submission.error_message or submission.result_message
    assert submission.provider_request_id
    assert_recorded(submission, filing, reviewer, endpoint)
    assert_audited(filing, submission, "REJECTED", "REJECTED")
    assert SandboxRequest.objects.count() == 1


def test_not_sent_goes_back_to_approved_and_can_be_sent_again(
    filing: Filing, reviewer: User, endpoint: str, volc_settings: Any
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/sandbox/vms/"
    volc_settings.VOLC_VMS_ENDPOINT = closed

    submission = sending.filing_send(actor=reviewer, filing=filing)

    assert status(filing) == Filing.Status.APPROVED
    assert (submission.outcome, submission.http_status) == ("NOT_SENT", None)
    assert submission.retryable
    assert submission.transport_error.startswith("ConnectionError:")
    assert submission.response_body == submission.provider_request_id == ""
    assert_recorded(submission, filing, reviewer, closed)
    assert_audited(filing, submission, "NOT_SENT", "APPROVED")
    assert SandboxRequest.objects.count() == 0

    volc_settings.VOLC_VMS_ENDPOINT = endpoint
    again = sending.filing_send(actor=reviewer, filing=filing)

    assert again.outcome == "ACCEPTED"
    assert status(filing) == Filing.Status.SUBMITTED
    assert SandboxRequest.objects.count() == 1


def test_a_stall_is_unknown_and_a_reviewer_resolves_it_without_resending(
    filing: Filing, reviewer: User, endpoint: str, volc_settings: Any
) -> None:
    set_mode(SandboxConfig.Mode.STALL, stall_seconds=3)
    volc_settings.VOLC_READ_TIMEOUT = 0.5

    submission = sending.filing_send(actor=reviewer, filing=filing)

    assert status(filing) == Filing.Status.UNKNOWN
    assert (submission.outcome, submission.http_status) == ("UNKNOWN", None)
    assert not submission.retryable
    assert "timed out" in submission.transport_error.lower()
    assert_recorded(submission, filing, reviewer, endpoint)
    assert_audited(filing, submission, "UNKNOWN", "UNKNOWN")
    assert SandboxRequest.objects.count() == 1  # it did arrive
    # An unknown filing is never sent again by accident.
    with pytest.raises(errors.FilingsError):
        sending.filing_send(actor=reviewer, filing=filing)
    # The reviewer settles it from outside evidence, through the admin.
    note = "Volcengine support ticket 4711: the filing was received."
    response = browser(reviewer).post(
        reverse("admin:filings_filing_act", args=[filing.pk, "resolve_submitted"]),
        {"note": note},
    )

    assert response.status_code == 302
    assert status(filing) == Filing.Status.SUBMITTED
    resolved = AuditEvent.objects.filter(filing=filing).order_by("-seq").first()
    assert resolved is not None
    assert resolved.kind == "filing.resolved"
    assert resolved.data == {"status": "SUBMITTED", "note": note}
    assert resolved.actor_id == reviewer.pk
    assert SandboxRequest.objects.count() == 1
    assert Submission.objects.count() == 1


def test_resolving_needs_a_note(filing: Filing, reviewer: User) -> None:
    set_mode(SandboxConfig.Mode.GATEWAY_TIMEOUT)
    assert sending.filing_send(actor=reviewer, filing=filing).outcome == "UNKNOWN"

    with pytest.raises(errors.FilingsError):
        review.filing_resolve(actor=reviewer, filing=filing, status="SUBMITTED", note="  ")

    assert status(filing) == Filing.Status.UNKNOWN


# --- the management command -----------------------------------------------------------------


def test_send_filing_command_exits_normally_when_submitted(filing: Filing, reviewer: User) -> None:
    out = io.StringIO()

    call_command("send_filing", filing.pk, "--as", reviewer.username, stdout=out)

    submission = Submission.objects.get()
    assert status(filing) == Filing.Status.SUBMITTED
    assert f"filing #{filing.pk}: SUBMITTED · outcome ACCEPTED · HTTP 200" in out.getvalue()
    assert f"RequestId {submission.provider_request_id}" in out.getvalue()
    assert SandboxRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("setup", "state", "outcome", "said"),
    [
        ("result_failure", "REJECTED", "REJECTED", "营业执照信息与企业名称不一致"),
        ("signature_error", "REJECTED", "REJECTED", "The request signature we calculated"),
        ("gateway_timeout", "UNKNOWN", "UNKNOWN", "The backend service timed out."),
        (
            "closed_port",
            "APPROVED",
            "NOT_SENT",
            "No usable answer from Volcengine (ConnectionError)",
        ),
    ],
)
def test_send_filing_command_fails_with_outcome_and_message_otherwise(
    filing: Filing,
    reviewer: User,
    volc_settings: Any,
    setup: str,
    state: str,
    outcome: str,
    said: str,
) -> None:
    if setup == "closed_port":
        volc_settings.VOLC_VMS_ENDPOINT = f"http://127.0.0.1:{free_port()}/sandbox/vms/"
    else:
        set_mode(setup)

    with pytest.raises(CommandError) as caught:
        call_command("send_filing", filing.pk, "--as", reviewer.username, stdout=io.StringIO())

    message = str(caught.value)
    assert f"filing #{filing.pk}: {state} · outcome {outcome}" in message
    assert said in message
    assert SECRET not in message
    assert status(filing) == state
    assert Submission.objects.get().outcome == outcome


def test_send_filing_command_refuses_a_filing_that_is_not_approved(
    endpoint: str, preparer: User, reviewer: User
) -> None:
    draft = complete_filing(preparer)

    with pytest.raises(CommandError):
        call_command("send_filing", draft.pk, "--as", reviewer.username)
    assert status(draft) == Filing.Status.DRAFT
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("send_filing", draft.pk, "--as", "nobody")
    with pytest.raises(CommandError, match="permission"):
        call_command("send_filing", draft.pk, "--as", preparer.username)

    assert SandboxRequest.objects.count() == 0
    assert not Submission.objects.exists()


# --- manage.py check ------------------------------------------------------------------------


def filings_warnings() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks() if str(m.id).startswith("filings.W0")]


def test_check_lists_every_volcengine_problem_at_once(volc_settings: Any) -> None:
    volc_settings.VOLC_ACCESSKEY = ""
    volc_settings.VOLC_SECRETKEY = ""
    volc_settings.VOLC_VMS_ENDPOINT = "cloud-vms.volcengineapi.com"
    volc_settings.VOLC_REGION = "Beijing"
    volc_settings.VOLC_CONNECT_TIMEOUT = 0
    volc_settings.VOLC_READ_TIMEOUT = -1
    volc_settings.VOLC_RESPONSE_MAX_BYTES = 0

    found = filings_warnings()

    messages = [m.msg for m in found]
    assert messages == [
        "VOLC_ACCESSKEY is not set",
        "VOLC_SECRETKEY is not set",
        "VOLC_VMS_ENDPOINT must be an http(s) URL, not 'cloud-vms.volcengineapi.com'",
        "VOLC_REGION must look like cn-beijing, not 'Beijing'",
        "VOLC_CONNECT_TIMEOUT must be a positive number of seconds",
        "VOLC_READ_TIMEOUT must be a positive number of seconds",
        "VOLC_RESPONSE_MAX_BYTES must be a positive number of bytes",
    ]
    assert len({m.id for m in found}) == len(found)
    assert all(m.hint == SENDING_DISABLED for m in found)
    assert all(m.level == checks.WARNING for m in found)

    err = io.StringIO()
    call_command("check", stdout=io.StringIO(), stderr=err)
    output = err.getvalue()
    for message in messages:
        assert message in output
    assert output.count("Sending to Volcengine is disabled until this is fixed.") == len(messages)

    with pytest.raises(SystemCheckError) as caught:
        call_command("check", fail_level="WARNING", stdout=io.StringIO(), stderr=io.StringIO())
    for message in messages:
        assert message in str(caught.value)


@pytest.mark.parametrize("timeout", [math.nan, math.inf])
def test_a_timeout_requests_cannot_use_blocks_sending_before_it_starts(
    filing: Filing, reviewer: User, volc_settings: Any, timeout: float
) -> None:
    # requests raises on a NaN or infinite timeout: caught here, the filing would sit in SENDING.
    volc_settings.VOLC_READ_TIMEOUT = timeout

    assert [m.msg for m in filings_warnings()] == [
        "VOLC_READ_TIMEOUT must be a positive number of seconds"
    ]
    with pytest.raises(errors.PreflightFailed, match="VOLC_READ_TIMEOUT"):
        sending.filing_send(actor=reviewer, filing=filing)
    assert status(filing) == Filing.Status.APPROVED
    assert SandboxRequest.objects.count() == 0


def test_check_with_only_the_keys_unset(volc_settings: Any) -> None:
    volc_settings.VOLC_ACCESSKEY = ""
    volc_settings.VOLC_SECRETKEY = ""

    assert [m.msg for m in filings_warnings()] == [
        "VOLC_ACCESSKEY is not set",
        "VOLC_SECRETKEY is not set",
    ]


def test_check_never_echoes_a_malformed_secret(volc_settings: Any) -> None:
    volc_settings.VOLC_ACCESSKEY = "AKLT with space"
    volc_settings.VOLC_SECRETKEY = f"{SECRET} pasted with a space"

    err = io.StringIO()
    call_command("check", stdout=io.StringIO(), stderr=err)

    assert "VOLC_ACCESSKEY contains spaces or non-ASCII characters" in err.getvalue()
    assert "VOLC_SECRETKEY contains spaces or non-ASCII characters" in err.getvalue()
    assert SECRET not in err.getvalue()


def test_check_is_quiet_when_everything_is_configured(endpoint: str) -> None:
    assert filings_warnings() == []
