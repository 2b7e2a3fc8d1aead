"""Hostile requests as data: the world one is sent into, how it is sent, what its refusal looks
like, and the check that it is refused and changes nothing. The test_hostile_* files list the
requests (the HOSTILE rows of each topic).

A Submission comes from a real send attempt to a loopback port nobody listens on (the outcome is
NOT_SENT): the test files use the `hostile_settings` fixture.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from filings import errors
from filings.models import AuditEvent, Company, Document, Filing
from filings.services import editing, review
from filings.services.documents import Upload, document_upload
from tests import builders, imagecorpus
from tests.pages import Response, assert_safe_page
from tests.snapshots import snapshot

LICENCE = Document.Kind.BUSINESS_LICENSE
PROPRIETOR = Document.Kind.PROPRIETOR_IDCARD
V0, V1, V2 = builders.VALID_CODES
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
BOUNDARY = b"----hostile-input-boundary-3b9f"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY.decode()}"
FORM = "application/x-www-form-urlencoded"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


# --- what "nothing changed" means -----------------------------------------------------------------


def error_messages(response: Response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == message_levels.ERROR]


# --- the world a hostile request is sent into -----------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    company: Company
    draft: Filing  # company, fields, one script and the business licence: cheap to make
    in_review: Filing | None = None
    approved: Filing | None = None
    first_event: AuditEvent | None = None

    def filing(self, which: str) -> Filing:
        filing: Filing | None = getattr(self, which)
        assert filing is not None, f"the case needs a filing that is {which}"
        return filing


def make_world(needs: str, users: dict[str, User]) -> World:
    preparer, reviewer = users["preparer"], users["reviewer"]
    company = builders.company(preparer)
    draft = editing.filing_create(
        actor=preparer, company=company, callee_source="网站", business_carrier="火山示例"
    )
    editing.script_add(actor=preparer, filing=draft, scene="快递", content="您好，您的快递已到。")
    document_upload(
        actor=preparer, filing=draft, kind=LICENCE, upload=Upload("licence.jpg", builders.image())
    )
    world = World(users=users, company=company, draft=Filing.objects.get(pk=draft.pk))
    if needs == "in_review":
        world.in_review = builders.complete_filing(preparer, code=V1)
        review.filing_submit(actor=preparer, filing=world.in_review)
        world.in_review.refresh_from_db()
    if needs == "approved":
        world.approved = builders.approved_filing(preparer, reviewer, code=V2)
    world.first_event = AuditEvent.objects.order_by("seq").first()
    return world


# --- requests -------------------------------------------------------------------------------------

Url = Callable[[World], str]
Send = Callable[[Client, World], Response]
Expect = Callable[[Response], None]


def company_add(w: World) -> str:
    return reverse("admin:filings_company_add")


def company_change(w: World) -> str:
    return reverse("admin:filings_company_change", args=[w.company.pk])


def company_delete(w: World) -> str:
    return reverse("admin:filings_company_delete", args=[w.company.pk])


def filing_add(w: World) -> str:
    return reverse("admin:filings_filing_add")


def filing_change(w: World) -> str:
    return reverse("admin:filings_filing_change", args=[w.draft.pk])


def upload_url(w: World) -> str:
    return reverse("admin:filings_filing_document_upload", args=[w.draft.pk])


def remove_url(w: World) -> str:
    return reverse("admin:filings_filing_document_remove", args=[w.draft.pk])


def filing_list(w: World) -> str:
    return reverse("admin:filings_filing_changelist")


def first_event_page(w: World) -> str:
    assert w.first_event is not None
    return reverse("admin:filings_auditevent_change", args=[w.first_event.pk])


def act(action: str, which: str = "in_review") -> Url:
    return lambda w: reverse("admin:filings_filing_act", args=[w.filing(which).pk, action])


def send_page(w: World) -> str:
    return reverse("admin:filings_filing_send", args=[w.filing("approved").pk])


def post(url: Url, data: dict[str, Any] | Callable[[World], dict[str, Any]], **extra: Any) -> Send:
    def send(client: Client, w: World) -> Response:
        values = data(w) if callable(data) else data
        return client.post(url(w), values, **extra)

    return send


def get(url: Url) -> Send:
    return lambda client, w: client.get(url(w))


def raw(url: Url, body: bytes, content_type: str, **extra: Any) -> Send:
    """Bytes as they are: no encoding by the test client."""
    return lambda client, w: client.generic(
        "POST", url(w), body, content_type=content_type, **extra
    )


def page_values(client: Client, url: str) -> dict[str, Any]:
    """What a browser posts back from an admin form page unchanged: the form, every inline
    formset's management form and forms, as rendered."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    context: Any = page.context
    forms = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        forms.extend([inline.formset.management_form, *inline.formset.forms])
    values: dict[str, Any] = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            values[form.add_prefix(name)] = "" if value is None else value
    return values


def edit(url: Url, changes: dict[str, Any] | Callable[[World], dict[str, Any]]) -> Send:
    """Open the admin page, change some of its values, save."""

    def send(client: Client, w: World) -> Response:
        values = page_values(client, url(w))
        values.update(changes(w) if callable(changes) else changes)
        return client.post(url(w), {**values, "_save": "Save"})

    return send


def filename(name: bytes) -> bytes:
    return b'filename="' + name + b'"'


def multipart(fields: dict[str, bytes], files: list[tuple[str, bytes, bytes]]) -> bytes:
    """A multipart body written byte for byte: values and file-name parameters exactly as given
    (the test client would clean them, a hostile client does not)."""
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(b"--" + BOUNDARY + b"\r\n")
        out.write(b'Content-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n')
        out.write(value + b"\r\n")
    for name, name_parameter, content in files:
        out.write(b"--" + BOUNDARY + b"\r\n")
        out.write(b'Content-Disposition: form-data; name="' + name.encode() + b'"; ')
        out.write(name_parameter + b"\r\nContent-Type: image/jpeg\r\n\r\n")
        out.write(content + b"\r\n")
    out.write(b"--" + BOUNDARY + b"--\r\n")
    return out.getvalue()


JPEG = imagecorpus.jpeg_bytes()


def upload(kind: bytes, files: list[tuple[str, bytes, bytes]], url: Url = upload_url) -> Send:
    return raw(url, multipart({"kind": kind}, files), MULTIPART, **XHR)


def image(
    name: bytes = b"x.jpg", data: bytes = JPEG, field: str = "image"
) -> tuple[str, bytes, bytes]:
    return (field, filename(name), data)


# --- what a refusal looks like --------------------------------------------------------------------


def status(code: int, *, says: str = "") -> Expect:
    def check(response: Response) -> None:
        assert response.status_code == code, response.status_code
        assert says in response.content.decode(errors="replace")

    return check


def form_error(field: str, text: str) -> Expect:
    """The admin form page again (200), with `text` among the errors of `field`."""

    def check(response: Response) -> None:
        assert response.status_code == 200, response.status_code
        form = response.context["adminform"].form
        assert text in " ".join(form.errors.get(field, [])), form.errors
        assert_safe_page(response)

    return check


def inline_error(field: str, text: str) -> Expect:
    """The admin form page again (200), with `text` among the script forms' errors."""

    def check(response: Response) -> None:
        assert response.status_code == 200, response.status_code
        [scripts] = [
            inline.formset
            for inline in response.context["inline_admin_formsets"]
            if inline.formset.prefix == "scripts"
        ]
        found = [" ".join(form.errors.get(field, [])) for form in scripts.forms]
        found.append(" ".join(scripts.non_form_errors()))
        assert any(text in errors_ for errors_ in found), found
        assert_safe_page(response)

    return check


def english(text: str | Promise) -> str:
    with translation.override("en"):
        return str(text)


def json_error(field: str, text: str | Promise) -> Expect:
    """The documents page's answer to its upload script: 400 JSON naming what is wrong."""

    def check(response: Response) -> None:
        assert response.status_code == 400, response.status_code
        body = response.json()
        assert body["ok"] is False
        assert any(english(text) in message for message in body["errors"].get(field, [])), body

    return check


def refused(text: str | Promise) -> Expect:
    """Back to the filing or documents page (302) with exactly one error message."""

    def check(response: Response) -> None:
        assert response.status_code == 302, response.status_code
        [message] = error_messages(response)
        assert english(text) in message, message

    return check


def not_offered(response: Response) -> None:
    """The changelist again: the send action is not among the actions this user may run.

    A user who may run other actions gets Django's refusal of an action it did not offer: back
    to the same list ("No action selected."), the action never run.
    """
    if response.status_code == 302:
        assert response.headers["Location"] == response.request["PATH_INFO"]
        return
    assert response.status_code == 200, response.status_code
    assert "Location" not in response.headers
    action_form = response.context["action_form"]
    offered = [] if action_form is None else [n for n, _ in action_form.fields["action"].choices]
    assert "send_to_volcengine" not in offered


def csrf_refused(response: Response) -> None:
    assert response.status_code == 403, response.status_code
    assert "CSRF verification failed" in response.content.decode()


NOT_PERMITTED = errors.NOT_PERMITTED
REQUIRED = "This field is required."
NUL = "Null characters are not allowed."
NOT_A_CHOICE = "Select a valid choice."
CHOOSE_IMAGE = "Choose an image to upload."


def company(name: str = "火山示例科技有限公司", code: str = V1) -> dict[str, str]:
    return {"name": name, "credit_code": code, "_save": "Save"}


def new_script(**fields: str) -> dict[str, str]:
    """The empty extra script form of the change page, filled in."""
    values = {"position": "2", "scene": "售后", "content": "您好，这里是售后。", **fields}
    return {f"scripts-1-{name}": value for name, value in values.items()}


def filing_fields(w: World) -> dict[str, Any]:
    return {"company": w.company.pk, "callee_source": "网站", "business_carrier": "火山示例"}


@dataclass(frozen=True)
class Hostile:
    id: str
    who: str
    send: Send
    expect: Expect
    needs: str = "draft"  # also "in_review" or "approved": which filing the case works on
    csrf: bool = False  # a client that enforces CSRF checks, like a browser


def assert_refused_and_unchanged(case: Hostile, users: dict[str, User]) -> None:
    """`case` is answered as it expects, never with a 500, and leaves everything as it was."""
    world = make_world(case.needs, users)
    client = Client(enforce_csrf_checks=case.csrf)
    if case.csrf:
        client.cookies[settings.CSRF_COOKIE_NAME] = "c" * 32  # a token the form does not carry
    client.force_login(users[case.who])
    before = snapshot()

    response = case.send(client, world)

    assert response.status_code != 500
    case.expect(response)
    assert snapshot() == before
