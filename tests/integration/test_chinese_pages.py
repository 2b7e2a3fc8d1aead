"""Every page in the Chinese UI shows no English words, except proper names and codes.

The demo data (a filing in each state, numbers in each state, decisions) is made through real
sends to the sandbox; then an administrator, who sees every page, opens each list, each object's
page and each page of the portal's own in zh-hans (and posts the forms that show a page: the
chain verification, a bulk action's confirmation and its progress), and the visible text (and
the tooltips and placeholders) is searched for English words.
"""

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, reverse

from filings import demo
from filings.imports.models import ImportRun
from filings.models import Company, Filing
from filings.roles import refresh_roles
from tests import import_builders as build
from tests.imagecorpus import pdf_bytes
from tests.integration.test_imports import work

# Words that stay as they are in the Chinese UI: proper names, codes and units.
ALLOWED = {
    # protocol, format and API names
    "http",
    "https",
    "json",
    "jsonl",
    "lines",
    "csv",
    "xlsx",
    "zip",
    "url",
    "urls",
    "api",
    "sha",
    "hmac",
    "utc",
    "gmt",
    "jpeg",
    "jpg",
    "png",
    "svg",
    "pdf",
    "exif",
    "mib",
    "kib",
    "requestid",
    "codeN".lower(),
    "vms",
    "tos",
    "minio",
    "s3",
    "ok",
    "click2callcompanyauth",
    "click2callnumberauth",
    "volc",
    "cn",
    "beijing",
    "north",
    "action",
    "version",  # query parameter names shown with their values
    # key names in Django's help for multiple choice (按住 Control 键或 Mac 上的 Command 键)
    "control",
    "command",
    "mac",
    # the alt text of Django's boolean icons is the Python value itself (admin's _boolean_icon)
    "true",
    "false",
    # the demo's user names and file names are data, not UI text
    "preparer",
    "reviewer",
    "reviewer2",
    "auditor",
    "admin",
    "front",
    "back",
    "letter",
}
# Strings that are data or code wherever they appear (headers sent, JSON keys, field names).
DATA = re.compile(
    r"[A-Za-z]+(?:Pic(?:Url|Filename)|CreditCode|Name|Source|Carrier|List|Scene|Content)"
    r"|[a-z]+[A-Z][A-Za-z]+"  # camelCase keys of the request body
    r"|[a-z_]+\.[a-z_]+"  # event codes inside data
    r"|[A-Z][A-Z0-9_]{2,}"  # states and codes: SUBMITTED, OverQpsLimit-like upper codes
    r"|X-[A-Za-z-]+|[a-z]+-[a-z0-9-]+"  # header and CSS-ish names
    r"|https?://\S+"  # addresses: the endpoint a submission went to
    r"|\b[a-z]+(?:_[a-z0-9]+)+\b"  # command names: manage.py purge_expired
    r"|\b[A-Za-z]+[0-9][A-Za-z0-9]*\b"  # API and standard names: Click2CallCompanyAuth, GB18030
    r"|\b[0-9a-f]*[0-9][0-9a-f]*\b|\b[0-9a-f]{8,}\b"  # hashes and ids (a uuid's first 8)
)
WORD = re.compile(r"[A-Za-z][A-Za-z'’]{2,}")


class VisibleText(HTMLParser):
    """The text a person reads: text outside script/style/pre/code, plus titles and
    placeholders."""

    SKIPPED = {"script", "style", "pre", "code", "textarea", "svg", "option"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.depth += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label", "alt") and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and value and ("type", "submit") in attrs:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    reader = VisibleText()
    reader.feed(html)
    text = DATA.sub(" ", " ".join(reader.parts))
    return {word for word in WORD.findall(text) if word.lower() not in ALLOWED}


def pages() -> list[str]:
    """Each list, add page and one object page of the admin, and the portal's own pages."""
    found = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        found.append(reverse(f"{prefix}_changelist"))
        first = model_admin.get_queryset(_request()).order_by("pk").first()
        try:
            if first is not None:
                found.append(reverse(f"{prefix}_change", args=[first.pk]))
        except NoReverseMatch:  # a list without object pages
            pass
    for filing in Filing.objects.order_by("pk"):
        found.append(reverse("admin:filings_filing_change", args=[filing.pk]))
        for name in ("documents", "review", "send", "decision"):
            found.append(reverse(f"admin:filings_filing_{name}", args=[filing.pk]))
    found.append(reverse("admin:filings_filing_review_queue"))
    found.append(reverse("admin:filings_phonenumber_add"))
    found.append(reverse("admin:filings_auditevent_verify"))
    found.append(reverse("admin:notifications_preferences"))
    found.append(reverse("admin:filings_company_change", args=[Company.objects.first().pk]))
    return list(dict.fromkeys(found))


def _request() -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = User.objects.filter(is_superuser=True).first()
    return request


@pytest.mark.django_db(transaction=True)
def test_no_page_of_the_chinese_ui_shows_english(sandbox: str) -> None:
    refresh_roles()
    demo.seed()
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    client.cookies["django_language"] = "zh-hans"

    untranslated: dict[str, set[str]] = {}

    def read(name: str, answer: Any) -> None:
        assert answer.status_code == 200, name
        words = english_words(answer.content.decode())
        if words:
            untranslated[name] = words

    for url in pages():
        read(url, client.get(url, follow=True))
    read("verification", client.post(reverse("admin:filings_auditevent_verify")))
    filings = reverse("admin:filings_filing_changelist")
    every = [str(pk) for pk in Filing.objects.order_by("pk").values_list("pk", flat=True)]
    chosen = {"action": "send_many", "_selected_action": every}
    read("bulk confirmation", client.post(filings, chosen))
    started = client.post(filings, {**chosen, "action": "submit_many", "post": "yes"}, follow=True)
    assert "/bulk/" in started.redirect_chain[-1][0]
    read("bulk progress", started)

    assert untranslated == {}


# --- the import's pages ------------------------------------------------------------------------

IMPORT_PAGES = ["import", "preview", "progress", "results", "refused"]


def _import_page(client: Client, page: str) -> Any:
    """An import page in the state `page` names, uploaded and followed through the client."""
    start = reverse("admin:filings_company_import")
    if page == "import":
        return client.get(start)
    good, refused, stray = (next(build.credit_codes(n)) for n in (50, 60, 70))
    sheet = build.sheet_csv([build.row(good, 0), build.row(refused, 1)])
    files = {**build.document_files(good), f"{stray}/businessLicense.jpg": b"x"}
    if page == "refused":
        sheet = pdf_bytes()
    answer = client.post(
        start,
        {
            "sheet": SimpleUploadedFile("companies.csv", sheet),
            "archive": SimpleUploadedFile("documents.zip", build.archive(files)),
        },
    )
    assert answer.status_code == 302
    run = ImportRun.objects.get()
    work()
    if page in ("progress", "results"):
        client.post(reverse("admin:filings_company_import_confirm", args=[run.pk]))
    if page == "results":
        work()
    return client.get(reverse("admin:filings_company_import_run", args=[run.pk]))


@pytest.mark.parametrize("page", IMPORT_PAGES)
@pytest.mark.django_db
def test_no_import_page_of_the_chinese_ui_shows_english(page: str, preparer: User) -> None:
    client = Client()
    client.force_login(preparer)
    client.cookies["django_language"] = "zh-hans"

    answer = _import_page(client, page)

    assert answer.status_code == 200
    assert english_words(answer.content.decode()) == set()
