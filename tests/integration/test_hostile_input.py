"""Hostile input against every form, upload and workflow URL of the portal.

Each row of HOSTILE is one request a hostile or careless client can send. Each is answered with a
clear 4xx or a form error (never a 500) and leaves the database, the audit chain, the document
store and the sandbox exactly as they were. Text that is legitimately stored (it is only text) is
shown escaped on every page, never as live markup; CSV exports neutralise formulas while JSON
Lines keep the text verbatim. Every page rendered here is also checked for the CSP header and for
inline scripts.

Everything goes through the Django test client and the real services; a Submission comes from a
real send attempt to a loopback port nobody listens on (the outcome is NOT_SENT).
"""

import csv
import html
import io
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from filings import errors
from filings.models import (
    AuditEvent,
    Company,
    Document,
    Filing,
    Submission,
)
from filings.services import editing, review, sending
from filings.services.documents import Upload, document_upload
from tests import builders, imagecorpus
from tests.conftest import free_port
from tests.snapshots import snapshot, stored_objects

pytestmark = pytest.mark.django_db

LICENCE = Document.Kind.BUSINESS_LICENSE
PROPRIETOR = Document.Kind.PROPRIETOR_IDCARD
V0, V1, V2 = builders.VALID_CODES
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
BOUNDARY = b"----hostile-input-boundary-3b9f"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY.decode()}"
FORM = "application/x-www-form-urlencoded"
Response = Any  # what the test client answers: an HttpResponse with the test attributes
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture(autouse=True)
def portal_settings(volc_settings: Any) -> None:
    """English messages, and a Volcengine endpoint that refuses connections."""
    volc_settings.LANGUAGE_CODE = "en"
    volc_settings.VOLC_VMS_ENDPOINT = f"http://127.0.0.1:{free_port()}/"
    volc_settings.VOLC_CONNECT_TIMEOUT = 1.0


# --- what "nothing changed" means -----------------------------------------------------------------


def error_messages(response: Response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == message_levels.ERROR]


# --- what a browser makes of a page ---------------------------------------------------------------


class Page(HTMLParser):
    """A page as a browser parses it: what could run (event-handler attributes, javascript: URLs,
    frames, inline scripts) and the text a person sees (data and attribute values, entities
    decoded)."""

    def __init__(self, content: str) -> None:
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self.inline_scripts: list[str] = []
        self.texts: list[str] = []
        self.feed(content)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.live.append(f"<{tag} {name}={value!r}>")
            if value is not None:
                self.texts.append(value)
                if value.strip().lower().startswith("javascript:"):
                    self.live.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and not dict(attrs).get("src"):
            self.inline_scripts.append(self.get_starttag_text() or tag)
        if tag in {"iframe", "object", "embed", "base"}:  # (the admin draws its icons with svg)
            self.live.append(f"<{tag}>")

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    def shows(self, payload: str) -> bool:
        """The payload is on the page as text: literally, or inside JSON shown as text."""
        as_json = json.dumps(payload, ensure_ascii=False)[1:-1]
        return payload in self.text or as_json in self.text


def assert_safe_page(response: Response) -> Page:
    """The CSP header is set, and the page holds no inline script and no live markup."""
    assert response.status_code == 200, response.status_code
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, _, value = directive.partition(" ")
        directives[name] = value
    assert directives["script-src"] == "'self'", policy
    assert directives["object-src"] == "'none'", policy
    assert "frame-ancestors" in directives
    page = Page(response.content.decode())
    assert page.inline_scripts == [], page.inline_scripts
    assert page.live == [], page.live
    return page


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
    """The changelist again: the send action is not among the actions this user may run."""
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


HOSTILE: list[Hostile] = [
    # --- the company form -------------------------------------------------------------------------
    Hostile(
        "company-name-over-200",
        "preparer",
        post(company_add, company(name="名" * 201)),
        form_error("name", "at most 200 characters (it has 201)"),
    ),
    Hostile(
        "company-name-nul",
        "preparer",
        post(company_add, company(name="火山\x00示例")),
        form_error("name", NUL),
    ),
    Hostile(
        "company-name-only-whitespace",
        "preparer",
        post(company_add, company(name=" \t\u3000 ")),
        form_error("name", REQUIRED),
    ),
    Hostile(
        "credit-code-19-chars",
        "preparer",
        post(company_add, company(code=V1 + "0")),
        form_error("credit_code", "at most 18 characters (it has 19)"),
    ),
    Hostile(
        "credit-code-sql",
        "preparer",
        post(company_add, company(code="' OR 1=1 --")),
        form_error("credit_code", "must be exactly 18 characters"),
    ),
    Hostile(
        "credit-code-markup-18-chars",
        "preparer",
        post(company_add, company(code="<b>x</b><i>y</i>zz")),
        form_error("credit_code", "cannot appear in a valid code"),
    ),
    Hostile(
        "credit-code-bidi-override",
        "preparer",
        post(company_add, company(code="\u202e" + V1[:17])),
        form_error("credit_code", "cannot appear in a valid code"),
    ),
    Hostile(
        "credit-code-zero-width-space",
        "preparer",
        post(company_add, company(code=V1 + "\u200b")),
        form_error("credit_code", "at most 18 characters"),
    ),
    Hostile(
        "credit-code-fullwidth-duplicate",
        "preparer",
        post(company_add, company(code=V0.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}))),
        form_error("credit_code", "already exists"),
    ),
    Hostile(
        "credit-code-invalid-utf8-raw",
        "preparer",
        raw(company_add, b"name=ok&credit_code=\xff\xfe" + V1[2:].encode() + b"&_save=Save", FORM),
        form_error("credit_code", "cannot appear in a valid code"),
    ),
    Hostile(
        "credit-code-invalid-utf8-escaped",
        "preparer",
        raw(company_add, b"name=ok&credit_code=%FF%FE" + V1[2:].encode() + b"&_save=Save", FORM),
        form_error("credit_code", "cannot appear in a valid code"),
    ),
    Hostile("company-add-by-reviewer", "reviewer", post(company_add, company()), status(403)),
    Hostile("company-add-by-auditor", "auditor", post(company_add, company()), status(403)),
    Hostile(
        "company-change-by-auditor",
        "auditor",
        post(company_change, company(name="Changed", code=V0)),
        status(403),
    ),
    Hostile(
        "company-delete-by-preparer", "preparer", post(company_delete, {"post": "yes"}), status(403)
    ),
    # --- the filing form and its scripts ----------------------------------------------------------
    Hostile(
        "callee-source-over-500",
        "preparer",
        edit(filing_change, {"callee_source": "网" * 501}),
        form_error("callee_source", "at most 500 characters (it has 501)"),
    ),
    Hostile(
        "business-carrier-over-200",
        "preparer",
        edit(filing_change, {"business_carrier": "火" * 201}),
        form_error("business_carrier", "at most 200 characters (it has 201)"),
    ),
    Hostile(
        "business-carrier-nul",
        "preparer",
        edit(filing_change, {"business_carrier": "火山\x00"}),
        form_error("business_carrier", NUL),
    ),
    Hostile(
        "filing-company-sql",
        "preparer",
        edit(filing_add, lambda w: {**filing_fields(w), "company": "1 OR 1=1"}),
        form_error("company", NOT_A_CHOICE),
    ),
    Hostile(
        "filing-company-that-does-not-exist",
        "preparer",
        edit(filing_add, lambda w: {**filing_fields(w), "company": "999999"}),
        form_error("company", NOT_A_CHOICE),
    ),
    Hostile(
        "script-over-2000",
        "preparer",
        edit(filing_change, new_script(content="话" * 2001)),
        inline_error("content", "at most 2000 characters (it has 2001)"),
    ),
    Hostile(
        "script-scene-over-100",
        "preparer",
        edit(filing_change, new_script(scene="景" * 101)),
        inline_error("scene", "at most 100 characters (it has 101)"),
    ),
    Hostile(
        "script-nul",
        "preparer",
        edit(filing_change, new_script(content="您好\x00")),
        inline_error("content", NUL),
    ),
    Hostile(
        "script-negative-position",
        "preparer",
        edit(filing_change, new_script(position="-1")),
        inline_error("position", "greater than or equal to 0"),
    ),
    Hostile(
        "script-management-form-tampered",
        "preparer",
        edit(filing_change, {"scripts-TOTAL_FORMS": "9e9", **new_script()}),
        inline_error("__all__", "ManagementForm data is missing or has been tampered with"),
    ),
    Hostile(
        "filing-add-by-auditor",
        "auditor",
        post(filing_add, lambda w: {**filing_fields(w), "_save": "Save"}),
        status(403),
    ),
    Hostile(
        "filing-change-by-auditor",
        "auditor",
        post(filing_change, {"callee_source": "x", "business_carrier": "y", "_save": "Save"}),
        status(403),
    ),
    Hostile(
        "scripts-inline-by-auditor",
        "auditor",
        post(
            filing_change,
            {
                "scripts-TOTAL_FORMS": "1",
                "scripts-INITIAL_FORMS": "0",
                "scripts-0-position": "1",
                "scripts-0-scene": "x",
                "scripts-0-content": "y",
                "_save": "Save",
            },
        ),
        status(403),
    ),
    # --- uploads ----------------------------------------------------------------------------------
    Hostile(
        "upload-kind-path-traversal",
        "preparer",
        upload(b"../../../etc/passwd", [image()]),
        json_error("kind", NOT_A_CHOICE),
    ),
    Hostile(
        "upload-kind-sql",
        "preparer",
        upload(b"businessLicense' OR '1'='1", [image()]),
        json_error("kind", NOT_A_CHOICE),
    ),
    Hostile(
        "upload-kind-missing",
        "preparer",
        raw(upload_url, multipart({}, [image()]), MULTIPART, **XHR),
        json_error("kind", REQUIRED),
    ),
    Hostile(
        "upload-sides-for-a-one-sided-kind",
        "preparer",
        upload(b"businessLicense", [image(field="front"), image(field="back")]),
        json_error("__all__", "Only ID cards are uploaded as front and back."),
    ),
    Hostile(
        "upload-image-and-sides-together",
        "preparer",
        upload(PROPRIETOR.encode(), [image(), image(field="front"), image(field="back")]),
        json_error("__all__", "not both"),
    ),
    Hostile(
        "upload-back-side-alone",
        "preparer",
        upload(PROPRIETOR.encode(), [image(field="back")]),
        json_error("front", "Upload the other side too"),
    ),
    Hostile(
        "upload-file-name-invalid-utf8",
        "preparer",
        upload(b"businessLicense", [image(b"\xff\xfe\xfd.jpg")]),
        json_error("__all__", CHOOSE_IMAGE),
    ),
    Hostile(
        "upload-file-name-dot-dot",
        "preparer",
        upload(b"businessLicense", [image(b"..")]),
        json_error("__all__", CHOOSE_IMAGE),
    ),
    Hostile(
        "upload-file-name-only-bidi-and-controls",
        "preparer",
        upload(b"businessLicense", [image("\u202e\u2066\x07".encode())]),
        json_error("__all__", CHOOSE_IMAGE),
    ),
    Hostile(
        "upload-multipart-without-boundary",
        "preparer",
        raw(upload_url, multipart({"kind": b"businessLicense"}, [image()]), "multipart/form-data"),
        status(400, says="Bad Request (400)"),
    ),
    Hostile(
        "upload-multipart-cut-short",
        "preparer",
        raw(upload_url, multipart({"kind": b"businessLicense"}, [image()])[:300], MULTIPART, **XHR),
        json_error("__all__", CHOOSE_IMAGE),
    ),
    Hostile(
        "upload-101-files",
        "preparer",
        upload(b"businessLicense", [image(f"{i}.jpg".encode(), b"") for i in range(101)]),
        status(400, says="Bad Request (400)"),
    ),
    Hostile(
        "upload-1001-fields",
        "preparer",
        raw(
            upload_url,
            multipart({f"f{i}": b"x" for i in range(1001)}, [image()]),
            MULTIPART,
            **XHR,
        ),
        status(400, says="Bad Request (400)"),
    ),
    Hostile(
        "upload-to-a-filing-that-does-not-exist",
        "preparer",
        upload(
            b"businessLicense",
            [image()],
            url=lambda w: reverse("admin:filings_filing_document_upload", args=[999999]),
        ),
        status(404),
    ),
    Hostile(
        "upload-by-auditor",
        "auditor",
        upload(b"businessLicense", [image()]),
        json_error("__all__", NOT_PERMITTED),
    ),
    Hostile(
        "remove-unknown-kind",
        "preparer",
        post(remove_url, {"kind": "<script>alert(1)</script>"}),
        status(400, says="Unknown document kind."),
    ),
    Hostile(
        "remove-kind-sql",
        "preparer",
        post(remove_url, {"kind": "businessLicense' OR '1'='1"}),
        status(400, says="Unknown document kind."),
    ),
    Hostile("remove-by-get", "preparer", get(remove_url), status(405)),
    Hostile(
        "remove-by-auditor", "auditor", post(remove_url, {"kind": LICENCE}), refused(NOT_PERMITTED)
    ),
    # --- workflow: approve, send, and the buttons -------------------------------------------------
    Hostile(
        "approve-by-a-preparer",
        "preparer2",
        post(act("approve"), {}),
        refused(NOT_PERMITTED),
        needs="in_review",
    ),
    Hostile(
        "send-confirmation-by-a-preparer",
        "preparer",
        post(send_page, {"confirm": "yes"}),
        status(403),
        needs="approved",
    ),
    Hostile(
        "send-action-by-a-preparer",
        "preparer",
        post(
            filing_list,
            lambda w: {
                "action": "send_to_volcengine",
                "_selected_action": [w.filing("approved").pk],
                "index": "0",
            },
        ),
        not_offered,
        needs="approved",
    ),
    Hostile(
        "send-action-by-auditor",
        "auditor",
        post(
            filing_list,
            lambda w: {
                "action": "send_to_volcengine",
                "_selected_action": [w.filing("approved").pk],
                "index": "0",
            },
        ),
        not_offered,
        needs="approved",
    ),
    Hostile(
        "send-confirmation-by-auditor",
        "auditor",
        post(send_page, {"confirm": "yes"}),
        status(403),
        needs="approved",
    ),
    Hostile(
        "submit-by-auditor", "auditor", post(act("submit", "draft"), {}), refused(NOT_PERMITTED)
    ),
    *[
        Hostile(
            f"{action}-by-auditor",
            "auditor",
            post(act(action), data),
            refused(NOT_PERMITTED),
            needs="in_review",
        )
        for action, data in [
            ("withdraw", {}),
            ("approve", {}),
            ("request_changes", {"comment": "Please fix."}),
            ("resolve", {"status": "SUBMITTED", "note": "ticket 1"}),
            ("rework", {}),
        ]
    ],
    Hostile(
        "unknown-workflow-action",
        "reviewer",
        post(act("explode"), {}),
        status(404),
        needs="in_review",
    ),
    Hostile(
        "workflow-action-on-a-filing-that-does-not-exist",
        "reviewer",
        post(lambda w: reverse("admin:filings_filing_act", args=[999999, "approve"]), {}),
        status(404),
    ),
    Hostile(
        "request-changes-without-comment",
        "reviewer",
        post(act("request_changes"), {"comment": " \n\t "}),
        refused(errors.COMMENT_REQUIRED),
        needs="in_review",
    ),
    Hostile(
        "request-changes-comment-over-2000",
        "reviewer",
        post(act("request_changes"), {"comment": "改" * 2001}),
        refused("at most 2000 characters (it has 2001)"),
        needs="in_review",
    ),
    Hostile(
        "resolve-with-a-forged-status",
        "reviewer",
        post(act("resolve"), {"status": "SUBMITTED' OR '1'='1", "note": "x"}),
        refused("Choose what happened and give the evidence."),
        needs="in_review",
    ),
    # --- history and configuration are read-only --------------------------------------------------
    Hostile(
        "audit-event-add-by-superuser",
        "superuser",
        post(lambda w: reverse("admin:filings_auditevent_add"), {"kind": "forged", "seq": "1"}),
        status(403),
    ),
    Hostile(
        "audit-event-change-by-superuser",
        "superuser",
        post(
            first_event_page,
            {"kind": "forged", "_save": "Save"},
        ),
        status(403),
    ),
    Hostile(
        "sandbox-settings-by-preparer",
        "preparer",
        post(
            lambda w: reverse("admin:sandbox_sandboxconfig_add"),
            {"mode": "normal", "stall_seconds": "1"},
        ),
        status(403),
    ),
    Hostile(
        "export-in-an-unknown-format",
        "auditor",
        get(lambda w: reverse("admin:filings_submission_export", args=["xlsx"])),
        status(404),
    ),
    Hostile(
        "export-by-preparer",
        "preparer",
        get(lambda w: reverse("admin:filings_auditevent_export", args=["csv"])),
        status(403),
    ),
    # --- forged or missing CSRF tokens ------------------------------------------------------------
    Hostile(
        "csrf-missing-company-add",
        "preparer",
        post(company_add, company()),
        csrf_refused,
        csrf=True,
    ),
    Hostile(
        "csrf-forged-company-add",
        "preparer",
        post(company_add, {**company(), "csrfmiddlewaretoken": "f" * 32}),
        csrf_refused,
        csrf=True,
    ),
    Hostile(
        "csrf-missing-upload",
        "preparer",
        upload(b"businessLicense", [image()]),
        csrf_refused,
        csrf=True,
    ),
    Hostile(
        "csrf-missing-remove",
        "preparer",
        post(remove_url, {"kind": LICENCE}),
        csrf_refused,
        csrf=True,
    ),
    Hostile(
        "csrf-missing-approve",
        "reviewer",
        post(act("approve"), {}),
        csrf_refused,
        needs="in_review",
        csrf=True,
    ),
    Hostile(
        "csrf-missing-send-confirmation",
        "reviewer",
        post(send_page, {"confirm": "yes"}),
        csrf_refused,
        needs="approved",
        csrf=True,
    ),
]


@pytest.fixture
def users(
    preparer: User, preparer2: User, reviewer: User, auditor: User, superuser: User
) -> dict[str, User]:
    return {
        "preparer": preparer,
        "preparer2": preparer2,
        "reviewer": reviewer,
        "auditor": auditor,
        "superuser": superuser,
    }


@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_hostile_request_is_refused_and_changes_nothing(
    case: Hostile, users: dict[str, User]
) -> None:
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


# --- search and filters are data, never SQL -------------------------------------------------------

CHANGELISTS = ["filing", "company", "submission", "auditevent"]


SEARCHES = [
    "' OR 1=1 --",
    "%' UNION SELECT password FROM auth_user --",
    "') OR ('1'='1",
    "%",
    "_",
    "\\",
    "\"><script>alert('q')</script>",
]


def test_search_with_sql_like_text_is_just_text(
    client: Client, preparer: User, reviewer: User, auditor: User
) -> None:
    filing = builders.approved_filing(preparer, reviewer)
    assert sending.filing_send(actor=reviewer, filing=filing).outcome == "NOT_SENT"
    client.force_login(auditor)

    for model in CHANGELISTS:
        listing = reverse(f"admin:filings_{model}_changelist")
        assert client.get(listing).context["cl"].result_count >= 1
        for query in SEARCHES:
            response = client.get(listing, {"q": query})

            page = assert_safe_page(response)
            assert response.context["cl"].result_count == 0, (model, query)
            assert "errornote" not in response.content.decode()
            assert page.shows(query)  # the search box shows it back, as text


def test_search_with_invalid_utf8_and_forbidden_lookups(
    client: Client, auditor: User, preparer: User
) -> None:
    make_world("draft", {"preparer": preparer, "reviewer": preparer})
    client.force_login(auditor)
    listing = reverse("admin:filings_company_changelist")

    for query in ("%FF%FE", "%00", "%C0%AF..%C0%AF"):
        assert_safe_page(client.get(f"{listing}?q={query}"))
    # Filtering on a field the admin does not offer (here: to probe password hashes) is refused.
    probe = client.get(listing, {"created_by__password__startswith": "md5"})
    assert probe.status_code == 400
    odd_filter = client.get(reverse("admin:filings_filing_changelist"), {"status": "' OR 1=1"})
    assert odd_filter.status_code == 200
    assert odd_filter.context["cl"].result_count == 0


def test_a_forged_status_on_the_change_form_is_ignored(client: Client, preparer: User) -> None:
    """Mass assignment: the status and approval fields are not form fields; posting them changes
    nothing (the form has no change, so nothing is written at all)."""
    world = make_world("draft", {"preparer": preparer, "reviewer": preparer})
    client.force_login(preparer)
    url = filing_change(world)
    values = page_values(client, url)
    before = snapshot()

    response = client.post(
        url,
        {
            **values,
            "status": "SUBMITTED",
            "approved_hash": "0" * 64,
            "approved_by": str(preparer.pk),
            "created_by": "999",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    assert snapshot() == before


# --- file names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name_parameter", "original", "sent"),
    [
        (
            b"filename*=UTF-8''..%2F..%2F..%2Fetc%2Fcron.d%2Fevil.jpg",
            "evil.jpg",
            "evil.jpg",
        ),
        (
            filename(b"&lt;img src=x onerror=alert(1)&gt;.jpg"),
            "<img src=x onerror=alert(1)>.jpg",
            # The name sent to Volcengine keeps no markup, shell or path characters.
            "_img src_x onerror_alert(1)_.jpg",
        ),
        (filename(b"shell.php\x00.png"), "shell.php.png", "shell.php.jpg"),
        (filename(b"\xe2\x80\xaeinvoice\xe2\x81\xa6.jpg"), "invoice.jpg", "invoice.jpg"),
        (filename(b" . . .jpg"), "jpg", "jpg.jpg"),
        (filename(("名" * 300 + ".jpeg").encode()), "名" * 115 + ".jpeg", "名" * 115 + ".jpeg"),
    ],
    ids=["rfc2231-traversal", "html-entities", "nul-double-extension", "bidi", "dots", "long"],
)
def test_hostile_file_name_is_cleaned_stored_under_a_random_key_and_shown_escaped(
    client: Client, preparer: User, name_parameter: bytes, original: str, sent: str
) -> None:
    world = make_world("draft", {"preparer": preparer, "reviewer": preparer})
    client.force_login(preparer)
    objects_before = stored_objects()

    response = upload(b"numberapplicationOfficialletter", [("image", name_parameter, JPEG)])(
        client, world
    )

    assert response.status_code == 200, response.content
    document = Document.objects.get(filing=world.draft, kind="numberapplicationOfficialletter")
    assert (document.original_name, document.api_filename) == (original, sent)
    for name in (document.original_name, document.api_filename):
        assert not re.search(r"[/\\]|\.\.", name)
        assert not name.startswith(".")
        assert len(name) <= 120
        assert all(unicodedata.category(c) not in ("Cc", "Cf") for c in name), repr(name)
    assert re.fullmatch(
        rf"filings/{world.draft.uuid}/numberapplicationOfficialletter/{UUID}\.jpg",
        document.storage_key,
    )
    assert stored_objects() == sorted([*objects_before, document.storage_key])
    event = AuditEvent.objects.get(kind="document.uploaded", target_id=str(document.pk))
    assert event.data["files"][0]["original_name"] == original
    documents_page = reverse("admin:filings_filing_documents", args=[world.draft.pk])
    assert assert_safe_page(client.get(documents_page)).shows(sent)
    assert assert_safe_page(client.get(documents_page)).shows(original)


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
    for seed, kind in enumerate(Document.Kind.values[1:], start=1):
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


def csv_records(text: str) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    _meta, header, *data = rows
    return [dict(zip(header, row, strict=True)) for row in data]


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

    submissions = csv_records(export(as_auditor, "submission", "csv"))
    assert sorted(row["filing__company__name"] for row in submissions) == sorted(
        "'" + name for name in FORMULAS
    )
    assert {row["actor__username"] for row in submissions} == {"'-2+3"}
    audit = csv_records(export(as_auditor, "auditevent", "csv"))
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
