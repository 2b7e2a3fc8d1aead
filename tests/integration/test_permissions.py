"""Who may open and do what: every admin page per role, the workflow buttons, the send page,
exports, ID-card images, four-eyes, and the read-only history admins.

All data is made through the real services; a Submission comes from a real send attempt to a
loopback port nobody listens on (nothing leaves the machine: the outcome is NOT_SENT).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from filings import errors
from filings.content import content_hash
from filings.models import AuditEvent, Company, Document, Filing, Submission
from filings.services import editing, review, sending
from filings.services.documents import Upload, document_upload
from tests import builders, imagecorpus
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

ROLES = ("preparer", "reviewer", "auditor")
State = Filing.Status


@pytest.fixture(autouse=True)
def portal_settings(volc_settings: Any) -> None:
    """English messages, cheap role users, and a Volcengine endpoint that refuses connections."""
    volc_settings.LANGUAGE_CODE = "en"
    volc_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    volc_settings.VOLC_VMS_ENDPOINT = f"http://127.0.0.1:{free_port()}/"
    volc_settings.VOLC_CONNECT_TIMEOUT = 1.0


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def kinds_since(seq: int) -> list[str]:
    return list(AuditEvent.objects.filter(seq__gt=seq).values_list("kind", flat=True))


def messages_of(response: Any, level: int) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == level]


def login(client: Client, user: User | None) -> Client:
    if user is not None:
        client.force_login(user)
    return client


# --- the world every page needs -----------------------------------------------------------------


@dataclass
class World:
    company: Company
    draft: Filing
    approved: Filing
    submission: Submission
    event: AuditEvent
    licence: Document
    id_card: Document


@pytest.fixture
def world(preparer: User, reviewer2: User) -> World:
    draft = builders.complete_filing(preparer)
    approved = builders.approved_filing(preparer, reviewer2, code=builders.VALID_CODES[1])
    submission = sending.filing_send(actor=reviewer2, filing=approved)
    assert submission.outcome == Submission.Outcome.NOT_SENT  # nothing left the machine
    approved.refresh_from_db()
    assert approved.status == State.APPROVED
    current = {d.kind: d for d in draft.documents.filter(superseded_at__isnull=True)}
    return World(
        company=draft.company,
        draft=draft,
        approved=approved,
        submission=submission,
        event=AuditEvent.objects.order_by("seq").first(),  # type: ignore[arg-type]
        licence=current[Document.Kind.BUSINESS_LICENSE],
        id_card=current[Document.Kind.PROPRIETOR_IDCARD],
    )


# (page, how to make its URL, expected status for preparer / reviewer / auditor)
PAGES: list[tuple[str, Callable[[World], str], tuple[int, int, int]]] = [
    ("admin index", lambda w: reverse("admin:index"), (200, 200, 200)),
    ("company list", lambda w: reverse("admin:filings_company_changelist"), (200, 200, 200)),
    (
        "company page",
        lambda w: reverse("admin:filings_company_change", args=[w.company.pk]),
        (200, 200, 200),
    ),
    ("company add", lambda w: reverse("admin:filings_company_add"), (200, 403, 403)),
    (
        "company delete",
        lambda w: reverse("admin:filings_company_delete", args=[w.company.pk]),
        (403, 403, 403),
    ),
    ("filing list", lambda w: reverse("admin:filings_filing_changelist"), (200, 200, 200)),
    (
        "draft filing page",
        lambda w: reverse("admin:filings_filing_change", args=[w.draft.pk]),
        (200, 200, 200),
    ),
    (
        "approved filing page",
        lambda w: reverse("admin:filings_filing_change", args=[w.approved.pk]),
        (200, 200, 200),
    ),
    ("filing add", lambda w: reverse("admin:filings_filing_add"), (200, 403, 403)),
    (
        "filing delete",
        lambda w: reverse("admin:filings_filing_delete", args=[w.draft.pk]),
        (403, 403, 403),
    ),
    (
        "documents page",
        lambda w: reverse("admin:filings_filing_documents", args=[w.draft.pk]),
        (200, 200, 200),
    ),
    (
        "send confirmation",
        lambda w: reverse("admin:filings_filing_send", args=[w.approved.pk]),
        (403, 200, 403),
    ),
    ("review queue", lambda w: reverse("admin:filings_filing_review_queue"), (403, 200, 403)),
    (
        "review page",
        lambda w: reverse("admin:filings_filing_review", args=[w.draft.pk]),
        (403, 200, 403),
    ),
    ("submission list", lambda w: reverse("admin:filings_submission_changelist"), (200, 200, 200)),
    (
        "submission page",
        lambda w: reverse("admin:filings_submission_change", args=[w.submission.pk]),
        (200, 200, 200),
    ),
    ("submission add", lambda w: reverse("admin:filings_submission_add"), (403, 403, 403)),
    (
        "submission delete",
        lambda w: reverse("admin:filings_submission_delete", args=[w.submission.pk]),
        (403, 403, 403),
    ),
    ("audit list", lambda w: reverse("admin:filings_auditevent_changelist"), (200, 200, 200)),
    (
        "audit event page",
        lambda w: reverse("admin:filings_auditevent_change", args=[w.event.pk]),
        (200, 200, 200),
    ),
    ("audit add", lambda w: reverse("admin:filings_auditevent_add"), (403, 403, 403)),
    (
        "audit delete",
        lambda w: reverse("admin:filings_auditevent_delete", args=[w.event.pk]),
        (403, 403, 403),
    ),
    *[
        (
            f"{what} export {fmt}",
            (lambda w, what=what, fmt=fmt: reverse(f"admin:filings_{what}_export", args=[fmt])),
            (403, 403, 200),
        )
        for what in ("submission", "auditevent")
        for fmt in ("csv", "jsonl")
    ],
    (
        "sandbox settings",
        lambda w: reverse("admin:sandbox_sandboxconfig_changelist"),
        (403, 403, 403),
    ),
    (
        "business licence image",
        lambda w: reverse("document-image", args=[w.licence.uuid]),
        (200, 200, 200),
    ),
    (
        "ID card image",
        lambda w: reverse("document-image", args=[w.id_card.uuid]),
        (200, 200, 404),
    ),
    (
        "ID card thumbnail",
        lambda w: reverse("document-image", args=[w.id_card.uuid]) + "?thumb=1",
        (200, 200, 404),
    ),
]


def _status(client: Client, url: str) -> int:
    response = client.get(url)
    if response.streaming and response.status_code == 200:
        b"".join(response.streaming_content)  # an export must stream to the end without error
    return int(response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_expected(
    request: pytest.FixtureRequest, client: Client, world: World, role: str
) -> None:
    login(client, request.getfixturevalue(role))
    column = ROLES.index(role)

    actual = {name: _status(client, url(world)) for name, url, _ in PAGES}

    assert actual == {name: expected[column] for name, _, expected in PAGES}


def test_anonymous_visitors_are_sent_to_the_login_page(client: Client, world: World) -> None:
    login_url = reverse("admin:login")
    for name, url, _ in PAGES:
        response = client.get(url(world))
        assert response.status_code == 302, name
        assert response["Location"].startswith(login_url), name


def test_exports_are_recorded_in_the_audit_trail(
    client: Client, auditor: User, world: World
) -> None:
    login(client, auditor)
    before = last_seq()
    response = client.get(reverse("admin:filings_auditevent_export", args=["jsonl"]))
    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert body.startswith('{"export": ')
    assert kinds_since(before) == ["audit.exported", "audit.anchored"]
    refused = Client()
    refused.force_login(User.objects.get(username="preparer"))
    assert refused.get(reverse("admin:filings_auditevent_export", args=["csv"])).status_code == 403
    assert kinds_since(before) == ["audit.exported", "audit.anchored"]


# --- the workflow buttons -------------------------------------------------------------------------


def filing_in(state: str, preparer: User, reviewer2: User) -> Filing:
    """A filing in `state`, made through the services by preparer and reviewer2."""
    if state == State.DRAFT:
        return builders.complete_filing(preparer)
    if state == State.IN_REVIEW:
        filing = builders.complete_filing(preparer)
        review.filing_submit(actor=preparer, filing=filing)
        return filing
    filing = builders.approved_filing(preparer, reviewer2)
    # A send that died half-way: SENDING, then the reconciler moves it to UNKNOWN.
    sending.filing_start_sending(reviewer2, filing.pk)
    assert sending.reconcile_sending(actor=reviewer2, older_than=timedelta(seconds=-60))
    filing.refresh_from_db()
    if state == State.REJECTED:
        review.filing_resolve(actor=reviewer2, filing=filing, status="REJECTED", note="ticket 42")
        filing.refresh_from_db()
    assert filing.status == state
    return filing


# action, the state it starts from, POST data, who may do it, the state it leads to, its event
ACTIONS = [
    ("submit", State.DRAFT, {}, "preparer", State.IN_REVIEW, "filing.submitted"),
    ("withdraw", State.IN_REVIEW, {}, "preparer", State.DRAFT, "filing.withdrawn"),
    (
        "approve",
        State.IN_REVIEW,
        {"content_hash": "as shown"},
        "reviewer",
        State.APPROVED,
        "filing.approved",
    ),
    (
        "request_changes",
        State.IN_REVIEW,
        {"comment": "营业执照不清晰"},
        "reviewer",
        State.DRAFT,
        "filing.changes_requested",
    ),
    (
        "resolve_submitted",
        State.UNKNOWN,
        {"note": "support ticket: received"},
        "reviewer",
        State.SUBMITTED,
        "filing.resolved",
    ),
    ("rework", State.REJECTED, {}, "preparer", State.DRAFT, "filing.reworked"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("action", "start", "data", "allowed", "target", "event"),
    ACTIONS,
    ids=[row[0] for row in ACTIONS],
)
def test_workflow_button_per_role(
    request: pytest.FixtureRequest,
    client: Client,
    preparer: User,
    reviewer2: User,
    role: str,
    action: str,
    start: str,
    data: dict[str, str],
    allowed: str,
    target: str,
    event: str,
) -> None:
    filing = filing_in(start, preparer, reviewer2)
    if "content_hash" in data:  # the approve form carries the hash of the content shown
        data = {**data, "content_hash": content_hash(filing)}
    login(client, request.getfixturevalue(role))
    before = last_seq()

    response = client.post(reverse("admin:filings_filing_act", args=[filing.pk, action]), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:filings_filing_change", args=[filing.pk])
    filing.refresh_from_db()
    if role == allowed:
        assert filing.status == target
        assert kinds_since(before) == [event]
        assert AuditEvent.objects.get(seq__gt=before).actor_username == role
        assert messages_of(response, message_levels.ERROR) == []
    else:
        assert filing.status == start
        assert kinds_since(before) == []
        assert messages_of(response, message_levels.ERROR) == [str(errors.NOT_PERMITTED)]


def test_workflow_url_refuses_get_and_unknown_actions(
    client: Client, preparer: User, reviewer2: User
) -> None:
    filing = filing_in(State.DRAFT, preparer, reviewer2)
    login(client, preparer)
    before = last_seq()
    # A stray GET (a bookmarked or typed URL) lands on the filing with a message, acting on nothing.
    stray = client.get(reverse("admin:filings_filing_act", args=[filing.pk, "submit"]))
    assert stray.status_code == 302
    assert stray["Location"] == reverse("admin:filings_filing_change", args=[filing.pk])
    assert (
        client.post(reverse("admin:filings_filing_act", args=[filing.pk, "send"])).status_code
        == 404
    )
    assert (
        client.post(reverse("admin:filings_filing_act", args=[filing.pk, "delete"])).status_code
        == 404
    )
    filing.refresh_from_db()
    assert filing.status == State.DRAFT
    assert kinds_since(before) == []


# --- preparers neither approve nor send -----------------------------------------------------------


def test_preparer_cannot_approve_through_the_service(preparer: User, preparer2: User) -> None:
    filing = filing_in(State.IN_REVIEW, preparer, preparer2)
    before = last_seq()
    with pytest.raises(errors.NotPermitted):
        review.filing_approve(actor=preparer2, filing=filing)
    filing.refresh_from_db()
    assert filing.status == State.IN_REVIEW
    assert filing.approved_hash == ""
    assert kinds_since(before) == []


def test_preparer_cannot_send(client: Client, preparer: User, reviewer2: User) -> None:
    filing = builders.approved_filing(preparer, reviewer2)
    before = last_seq()

    with pytest.raises(errors.NotPermitted):
        sending.filing_send(actor=preparer, filing=filing)
    login(client, preparer)
    send_url = reverse("admin:filings_filing_send", args=[filing.pk])
    assert client.get(send_url).status_code == 403
    assert client.post(send_url, {"confirm": "yes"}).status_code == 403
    # Nor through the changelist action, which only leads to the confirmation page.
    listing = client.post(
        reverse("admin:filings_filing_changelist"),
        {"action": "send_to_volcengine", "_selected_action": [filing.pk]},
    )
    assert listing.status_code in (200, 302)
    assert listing.get("Location") != send_url

    filing.refresh_from_db()
    assert filing.status == State.APPROVED
    assert not Submission.objects.exists()
    assert kinds_since(before) == []


# --- auditors change nothing ----------------------------------------------------------------------


def test_auditor_cannot_change_anything(client: Client, auditor: User, world: World) -> None:
    login(client, auditor)
    before = last_seq()
    draft, company = world.draft, world.company
    counts = (Company.objects.count(), Filing.objects.count(), Document.objects.count())

    posts = {
        "company page": (
            reverse("admin:filings_company_change", args=[company.pk]),
            {"name": "Changed", "credit_code": company.credit_code, "_save": "Save"},
        ),
        "company add": (
            reverse("admin:filings_company_add"),
            {"name": "New", "credit_code": builders.VALID_CODES[2], "_save": "Save"},
        ),
        "filing page": (
            reverse("admin:filings_filing_change", args=[draft.pk]),
            {"callee_source": "changed", "business_carrier": "changed", "_save": "Save"},
        ),
        "filing add": (
            reverse("admin:filings_filing_add"),
            {"company": company.pk, "callee_source": "x", "business_carrier": "y"},
        ),
        "filing delete": (
            reverse("admin:filings_filing_delete", args=[draft.pk]),
            {"post": "yes"},
        ),
        "audit event page": (
            reverse("admin:filings_auditevent_change", args=[world.event.pk]),
            {"kind": "forged", "_save": "Save"},
        ),
        "audit delete": (
            reverse("admin:filings_auditevent_delete", args=[world.event.pk]),
            {"post": "yes"},
        ),
        "submission page": (
            reverse("admin:filings_submission_change", args=[world.submission.pk]),
            {"outcome": "ACCEPTED", "_save": "Save"},
        ),
        "send": (
            reverse("admin:filings_filing_send", args=[world.approved.pk]),
            {"confirm": "yes"},
        ),
    }
    statuses = {name: client.post(url, data).status_code for name, (url, data) in posts.items()}
    assert statuses == dict.fromkeys(posts, 403)

    # The buttons and document forms answer with a refusal rather than a 403.
    # (Followed, so each message is shown and used up before the next request.)
    remove = client.post(
        reverse("admin:filings_filing_document_remove", args=[draft.pk]),
        {"kind": Document.Kind.BUSINESS_LICENSE},
        follow=True,
    )
    assert messages_of(remove, message_levels.ERROR) == [str(errors.NOT_PERMITTED)]
    submit = client.post(
        reverse("admin:filings_filing_act", args=[draft.pk, "submit"]), follow=True
    )
    assert messages_of(submit, message_levels.ERROR) == [str(errors.NOT_PERMITTED)]

    company.refresh_from_db()
    draft.refresh_from_db()
    world.event.refresh_from_db()
    assert company.name == "火山示例科技有限公司"
    assert draft.status == State.DRAFT
    assert draft.callee_source == "网站"
    assert world.event.kind == "company.created"
    world.licence.refresh_from_db()
    assert world.licence.superseded_at is None
    assert (Company.objects.count(), Filing.objects.count(), Document.objects.count()) == counts
    assert Submission.objects.count() == 1
    assert kinds_since(before) == []


# --- ID-card images ---------------------------------------------------------------------------


def test_auditor_sees_no_id_card_image_unless_granted(
    client: Client, auditor: User, world: World
) -> None:
    login(client, auditor)
    current = world.draft.documents.filter(superseded_at__isnull=True)

    def statuses() -> dict[str, int]:
        return {
            f"{d.kind}/{d.part}": client.get(reverse("document-image", args=[d.uuid])).status_code
            for d in current
        }

    expected_hidden = {
        f"{d.kind}/{d.part}": 404 if d.kind in Document.SENSITIVE_KINDS else 200 for d in current
    }
    assert statuses() == expected_hidden
    assert expected_hidden[f"{Document.Kind.BUSINESS_LICENSE}/main"] == 200
    assert list(expected_hidden.values()).count(404) == 3
    # The pages do not even link to them.
    page = client.get(reverse("admin:filings_filing_documents", args=[world.draft.pk]))
    assert str(world.id_card.uuid) not in page.content.decode()
    assert str(world.licence.uuid) in page.content.decode()
    change = client.get(reverse("admin:filings_filing_change", args=[world.draft.pk]))
    assert str(world.id_card.uuid) not in change.content.decode()
    assert "hidden (ID card)" in change.content.decode()

    auditor.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="filings", codename="view_sensitive_document"
        )
    )

    assert statuses() == dict.fromkeys(expected_hidden, 200)
    page = client.get(reverse("admin:filings_filing_documents", args=[world.draft.pk]))
    assert str(world.id_card.uuid) in page.content.decode()


def test_a_signed_in_user_without_view_permission_sees_no_document(
    client: Client, world: World
) -> None:
    outsider = User.objects.create_user("outsider", is_staff=True)
    login(client, outsider)
    assert client.get(reverse("document-image", args=[world.licence.uuid])).status_code == 404
    assert (
        client.get(reverse("admin:filings_filing_documents", args=[world.draft.pk])).status_code
        == 403
    )


# --- four-eyes ---------------------------------------------------------------------------------


@pytest.fixture
def dual(reviewer: User) -> User:
    """A reviewer who may also prepare: the person four-eyes is about."""
    reviewer.groups.add(Group.objects.get(name="Preparer"))
    return User.objects.get(pk=reviewer.pk)  # fresh permission cache


def _touched_last_by(preparer: User, filing: Filing) -> None:
    """The preparer edits last, so only the rule under test can recognise the reviewer."""
    editing.filing_update(
        actor=preparer, filing=filing, business_carrier="火山示例（北京）有限公司"
    )
    filing.refresh_from_db()
    assert filing.updated_by_id == preparer.pk


def _created(dual: User, preparer: User) -> Filing:
    filing = builders.complete_filing(dual)
    _touched_last_by(preparer, filing)
    for document in filing.documents.filter(superseded_at__isnull=True, part="main"):
        document_upload(
            actor=preparer,
            filing=filing,
            kind=document.kind,
            upload=Upload("again.jpg", imagecorpus.jpeg_bytes(310, 200)),
        )
    assert not filing.documents.filter(uploaded_by=dual, superseded_at__isnull=True).exists()
    review.filing_submit(actor=preparer, filing=filing)
    return filing


def _edited_and_submitted(dual: User, preparer: User) -> Filing:
    filing = builders.complete_filing(preparer)
    editing.filing_update(actor=dual, filing=filing, callee_source="官网与公众号")
    review.filing_submit(actor=dual, filing=filing)
    return filing


def _edited_then_submitted_by_preparer(dual: User, preparer: User) -> Filing:
    filing = builders.complete_filing(preparer)
    editing.filing_update(actor=dual, filing=filing, callee_source="官网与公众号")
    review.filing_submit(actor=preparer, filing=filing)
    return filing


def _script_edited(dual: User, preparer: User) -> Filing:
    filing = builders.complete_filing(preparer)
    editing.script_add(actor=dual, filing=filing, scene="催收", content="您好，您的账单已逾期。")
    review.filing_submit(actor=preparer, filing=filing)
    return filing


def _uploaded(dual: User, preparer: User) -> Filing:
    filing = builders.complete_filing(preparer)
    document_upload(
        actor=dual,
        filing=filing,
        kind=Document.Kind.NETWORK_ACCESS_LETTER,
        upload=Upload("承诺书.jpg", imagecorpus.jpeg_bytes(300, 400)),
    )
    _touched_last_by(preparer, filing)
    review.filing_submit(actor=preparer, filing=filing)
    return filing


@pytest.mark.parametrize(
    "prepare",
    [
        _created,
        _edited_and_submitted,
        _edited_then_submitted_by_preparer,
        _script_edited,
        _uploaded,
    ],
    ids=[
        "created",
        "last-edited-and-submitted",
        "edited-then-submitted-by-preparer",
        "added-a-script",
        "uploaded-a-document",
    ],
)
def test_reviewer_cannot_approve_their_own_work(
    client: Client,
    dual: User,
    preparer: User,
    reviewer2: User,
    prepare: Callable[[User, User], Filing],
) -> None:
    filing = prepare(dual, preparer)
    filing.refresh_from_db()
    assert filing.status == State.IN_REVIEW
    before = last_seq()

    with pytest.raises(errors.NotPermitted) as caught:
        review.filing_approve(actor=dual, filing=filing)
    assert caught.value.message == str(errors.FOUR_EYES)

    login(client, dual)
    response = client.post(reverse("admin:filings_filing_act", args=[filing.pk, "approve"]))
    assert messages_of(response, message_levels.ERROR) == [str(errors.FOUR_EYES)]
    review_page = client.get(reverse("admin:filings_filing_review", args=[filing.pk]))
    assert review_page.context["may_approve"] is False
    assert review_page.context["own_work"] is True
    queue = client.get(reverse("admin:filings_filing_review_queue"))
    assert filing.pk not in [f.pk for f in queue.context["filings"]]

    filing.refresh_from_db()
    assert filing.status == State.IN_REVIEW
    assert kinds_since(before) == []

    # Someone else may approve the very same filing.
    review.filing_approve(actor=reviewer2, filing=filing)
    filing.refresh_from_db()
    assert filing.status == State.APPROVED
    assert kinds_since(before) == ["filing.approved"]


# --- history admins are read-only, superusers included -------------------------------------------


@pytest.mark.parametrize("model", ["auditevent", "submission"])
def test_history_admins_are_read_only_even_for_a_superuser(
    client: Client, superuser: User, world: World, model: str
) -> None:
    login(client, superuser)
    obj = world.event if model == "auditevent" else world.submission
    before = last_seq()
    counts = (AuditEvent.objects.count(), Submission.objects.count())

    page = client.get(reverse(f"admin:filings_{model}_change", args=[obj.pk]))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert page.context["has_delete_permission"] is False
    assert page.context["has_add_permission"] is False
    assert 'name="_save"' not in page.content.decode()

    listing = client.get(reverse(f"admin:filings_{model}_changelist"))
    assert listing.status_code == 200
    assert "delete_selected" not in listing.content.decode()

    assert client.get(reverse(f"admin:filings_{model}_add")).status_code == 403
    assert client.post(reverse(f"admin:filings_{model}_add"), {"kind": "forged"}).status_code == 403
    change_url = reverse(f"admin:filings_{model}_change", args=[obj.pk])
    assert client.post(change_url, {"kind": "forged", "outcome": "ACCEPTED"}).status_code == 403
    delete_url = reverse(f"admin:filings_{model}_delete", args=[obj.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse(f"admin:filings_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)

    obj.refresh_from_db()
    assert (AuditEvent.objects.count(), Submission.objects.count()) == counts
    assert kinds_since(before) == []
    if model == "auditevent":
        assert world.event.kind == "company.created"
    else:
        assert world.submission.outcome == Submission.Outcome.NOT_SENT
