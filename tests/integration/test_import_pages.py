"""The import's pages as its users meet them, through the test client: the company list's link,
the import page and its template, the upload, the preview, the confirmation, the progress JSON
and the results; discard and resume; who may open which page; hostile files and ids; the run
page's query count; no inline script.

The tasks run in this process (`work`), as a worker would run them.
"""

import io
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django_tasks_db.models import DBTaskResult

from filings.imports import archive as ar
from filings.imports import messages as texts
from filings.imports import sheet as sh
from filings.imports import views
from filings.imports.models import ImportRow, ImportRun
from filings.imports.sheet import COLUMNS, read_sheet
from filings.imports.views import TEMPLATE_NAME, XLSX_TYPE, accepted_names
from filings.models import AuditEvent, Company, Filing
from filings.services import review
from tests import builders
from tests import import_builders as build
from tests.imagecorpus import jpeg_bytes, pdf_bytes
from tests.integration.test_imports import work
from tests.pages import Page, assert_safe_page

pytestmark = pytest.mark.django_db

State = ImportRun.State
Verdict = ImportRow.Verdict
Outcome = ImportRow.Outcome
START = reverse("admin:filings_company_import")
TEMPLATE = reverse("admin:filings_company_import_template")
CHANGELIST = reverse("admin:filings_company_changelist")
LINK_TEXT = "Import from a spreadsheet"
MB = 1024 * 1024


def english(message: Any, **values: Any) -> str:
    with translation.override("en"):
        return str(format_lazy(message, **values)) if values else str(message)


def browser(user: User) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def run_url(run: ImportRun) -> str:
    return reverse("admin:filings_company_import_run", args=[run.pk])


def page_url(name: str, run: ImportRun) -> str:
    return reverse(f"admin:filings_company_import_{name}", args=[run.pk])


def said(client: Client, answer: Any, location: str) -> list[str]:
    """Where a POST sent the browser, and the messages the page there shows."""
    assert (answer.status_code, answer["Location"]) == (302, location)
    shown = client.get(location)
    page = assert_safe_page(shown)
    found = [str(message) for message in shown.context["messages"]]
    for message in found:
        assert message in page.text
    return found


def upload(
    client: Client,
    sheet: bytes | None,
    documents: bytes | None = None,
    sheet_name: str = "companies.csv",
) -> Any:
    data: dict[str, Any] = {}
    if sheet is not None:
        data["sheet"] = SimpleUploadedFile(sheet_name, sheet)
    if documents is not None:
        data["archive"] = SimpleUploadedFile("documents.zip", documents)
    return client.post(START, data)


def uploaded(
    client: Client, sheet: bytes, documents: bytes | None = None, sheet_name: str = "companies.csv"
) -> ImportRun:
    """Upload through the form, follow it to the run page, run the check."""
    answer = upload(client, sheet, documents, sheet_name)
    run = ImportRun.objects.get()
    assert said(client, answer, run_url(run)) == [english(texts.STARTED)]
    work()
    run.refresh_from_db()
    return run


def status(client: Client, run: ImportRun) -> dict[str, Any]:
    answer = client.get(page_url("status", run))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json"
    data: dict[str, Any] = json.loads(answer.content)
    return data


def zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as target:
        for name, content in files.items():
            target.writestr(name, content)
    return buffer.getvalue()


def encrypted(data: bytes) -> bytes:
    """`data` with every entry marked as encrypted in the central directory."""
    out = bytearray(data)
    end = data.rindex(b"PK\x05\x06")
    count = int.from_bytes(data[end + 10 : end + 12], "little")
    offset = int.from_bytes(data[end + 16 : end + 20], "little")
    for _ in range(count):
        out[offset + 8] |= 1
        lengths = [
            int.from_bytes(data[offset + at : offset + at + 2], "little") for at in (28, 30, 32)
        ]
        offset += 46 + sum(lengths)
    return bytes(out)


def codes(start: int, n: int) -> list[str]:
    found = build.credit_codes(start)
    return [next(found) for _ in range(n)]


# --- the company list and the import page --------------------------------------------------------


def test_the_company_list_offers_the_import_to_a_preparer_only(
    preparer: User, reviewer: User, auditor: User
) -> None:
    for user, offered in ((preparer, True), (reviewer, False), (auditor, False)):
        answer = browser(user).get(CHANGELIST)
        assert answer.status_code == 200, user
        html = answer.content.decode()
        assert (f'href="{START}"' in html) is offered, user
        assert (LINK_TEXT in html) is offered, user


def test_the_import_page_lists_the_columns_the_zip_convention_and_the_template(
    preparer: User,
) -> None:
    answer = browser(preparer).get(START)
    page = assert_safe_page(answer)
    html = answer.content.decode()
    for column in COLUMNS:
        assert f"<code>{column.header}</code>" in html, column.key
        assert english(column.meaning) in page.text, column.key
    for label, names in accepted_names():
        assert label in page.text
        assert names in page.text
    assert "91350100M000100Y43/businessLicense.jpg" in page.text
    assert f'href="{TEMPLATE}"' in html
    assert 'enctype="multipart/form-data"' in html


def test_the_template_is_an_xlsx_attachment_that_reads_back_without_problems(
    preparer: User,
) -> None:
    answer = browser(preparer).get(TEMPLATE)
    assert answer.status_code == 200
    assert answer["Content-Type"] == XLSX_TYPE
    assert answer["Content-Disposition"] == f'attachment; filename="{TEMPLATE_NAME}"'
    assert TEMPLATE_NAME.endswith(".xlsx")
    rows = read_sheet(answer.content)
    assert len(rows) == 1
    assert rows[0].problems == ()
    assert rows[0].credit_code == "91350100M000100Y43"


# --- upload, preview, confirm, results -----------------------------------------------------------


def test_upload_preview_confirm_and_results_through_the_pages(preparer: User) -> None:
    good, other, stray = codes(100, 3)
    bad = "91350100M000100Y4X"  # wrong check character
    sheet = build.sheet_csv(
        [build.row(good, 0), build.row(bad, 1), build.row(other, 2, scene2="", script2="")]
    )
    files = {
        **build.document_files(good),
        **build.document_files(other, 1, sides=True),
        f"{stray}/businessLicense.jpg": jpeg_bytes(width=64, height=40),
    }
    client = browser(preparer)

    answer = upload(client, sheet, build.archive(files))
    run = ImportRun.objects.get()
    assert said(client, answer, run_url(run)) == [english(texts.STARTED)]
    assert Company.objects.count() == 0

    # Before the worker ran: the progress bar, and the script that moves it.
    checking = client.get(run_url(run))
    html = checking.content.decode()
    assert_safe_page(checking)
    assert 'id="import-progress"' in html
    assert 'src="/static/filings/imports.js"' in html
    assert f'data-status-url="{page_url("status", run)}"' in html
    assert status(client, run)["state"] == State.CHECKING

    work()
    run.refresh_from_db()
    assert run.state == State.CHECKED, run.message
    assert status(client, run)["state"] == State.CHECKED

    preview = client.get(run_url(run))
    page = assert_safe_page(preview)
    html = preview.content.decode()
    counts = preview.context["counts"]
    assert counts == {"new": 2, "changed": 0, "unchanged": 0, "refused": 1}
    assert preview.context["good"] == 2
    assert 'id="import-counts"' in html
    assert 'id="import-confirm"' in html
    assert "Import the 2 good rows" in page.text
    rows = {row.credit_code: row for row in run.rows.all()}
    assert rows[bad].verdict == Verdict.REFUSED
    assert rows[bad].reasons
    for reason in rows[bad].reasons:
        assert reason in page.text
    for code in (good, other):
        assert rows[code].verdict == Verdict.NEW
        assert english(texts.STEP_NEW_COMPANY) in rows[code].plan
        for step in rows[code].plan:
            assert step in page.text
    for row in rows.values():
        assert f'id="import-row-{row.line}"' in html
        assert row.get_verdict_display() in page.text
    # The file of a company not in the sheet is left out, with the reason.
    assert 'id="import-file-problems"' in html
    assert f"{stray}/businessLicense.jpg" in page.text
    assert english(texts.NO_ROW_FOR_FILE).format(code=stray) in page.text

    confirmed = client.post(page_url("confirm", run))
    assert said(client, confirmed, run_url(run)) == [english(texts.CONFIRMED).format(count=2)]
    assert "no-store" in client.get(page_url("status", run))["Cache-Control"]
    importing = status(client, run)
    assert (importing["state"], importing["done"], importing["total"]) == (State.IMPORTING, 0, 2)
    assert 'id="import-progress"' in client.get(run_url(run)).content.decode()

    work()
    finished = status(client, run)
    assert (finished["state"], finished["done"], finished["total"]) == (State.DONE, 2, 2)
    results = client.get(run_url(run))
    page = assert_safe_page(results)
    html = results.content.decode()
    for code in (good, other):
        filing = Filing.objects.get(company__credit_code=code)
        link = reverse("admin:filings_filing_change", args=[filing.pk])
        assert f'href="{link}"' in html, code
    row_outcomes = dict(run.rows.values_list("credit_code", "outcome"))
    assert row_outcomes == {good: Outcome.DONE, other: Outcome.DONE, bad: Outcome.NOT_IMPORTED}
    for label in (Outcome.DONE.label, Outcome.NOT_IMPORTED.label):
        assert english(label) in page.text
    assert 'id="import-confirm"' not in html
    assert 'id="import-progress"' not in html


def test_a_second_confirmation_says_why_and_imports_nothing_more(preparer: User) -> None:
    (code,) = codes(200, 1)
    client = browser(preparer)
    run = uploaded(
        client, build.sheet_csv([build.row(code)]), build.archive(build.document_files(code))
    )
    assert run.state == State.CHECKED, run.message

    first = client.post(page_url("confirm", run))
    second = client.post(page_url("confirm", run))  # the double click, before the worker ran

    assert (first.status_code, first["Location"]) == (302, run_url(run))
    assert said(client, second, run_url(run)) == [
        english(texts.CONFIRMED).format(count=1),
        english(texts.NOT_CHECKED).format(state=english(State.IMPORTING.label)),
    ]
    applies = DBTaskResult.objects.filter(task_path__endswith="apply_import")
    assert applies.count() == 1
    assert AuditEvent.objects.filter(kind="import.confirmed").count() == 1
    work()
    third = client.post(page_url("confirm", run))  # once imported
    assert said(client, third, run_url(run)) == [
        english(texts.NOT_CHECKED).format(state=english(State.DONE.label))
    ]
    assert applies.count() == 1
    assert Filing.objects.count() == 1
    assert AuditEvent.objects.filter(kind="import.confirmed").count() == 1


def test_discard_drops_the_run_and_its_files(preparer: User) -> None:
    (code,) = codes(300, 1)
    client = browser(preparer)
    run = uploaded(client, build.sheet_csv([build.row(code)]))
    assert run.state == State.CHECKED
    assert run.sheet_key
    # The button asks first (static/filings/confirm.js).
    assert re.search(
        r'id="import-discard">.*?<button[^>]*data-confirm="[^"]+"',
        client.get(run_url(run)).content.decode(),
        re.S,
    )

    answer = client.post(page_url("discard", run))

    assert said(client, answer, START) == [english(texts.DISCARDED)]
    run.refresh_from_db()
    assert (run.state, run.sheet_key) == (State.DISCARDED, "")
    assert AuditEvent.objects.filter(kind="import.discarded").count() == 1
    page = client.get(run_url(run))
    assert_safe_page(page)
    assert 'id="import-confirm"' not in page.content.decode()
    again = client.post(page_url("discard", run))
    assert said(client, again, run_url(run)) == [
        english(texts.NOT_DISCARDABLE).format(state=english(State.DISCARDED.label))
    ]
    refused = client.post(page_url("confirm", run))
    assert said(client, refused, run_url(run)) == [
        english(texts.NOT_CHECKED).format(state=english(State.DISCARDED.label))
    ]
    assert Company.objects.count() == 0


def test_a_stalled_check_can_be_resumed_from_its_page(preparer: User) -> None:
    (code,) = codes(400, 1)
    client = browser(preparer)
    answer = upload(client, build.sheet_csv([build.row(code)]))
    run = ImportRun.objects.get()
    assert said(client, answer, run_url(run)) == [english(texts.STARTED)]
    # The worker took the check and died: its task is gone, the run is left checking.
    DBTaskResult.objects.filter(task_path__endswith="check_import").delete()

    fresh = client.post(page_url("resume", run))  # not stalled yet: nothing happens
    assert said(client, fresh, run_url(run)) == [english(texts.NOT_STALLED)]
    assert AuditEvent.objects.filter(kind="import.resumed").count() == 0
    assert 'id="import-resume" hidden' in client.get(run_url(run)).content.decode()
    assert status(client, run)["stalled"] is False

    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    assert status(client, run)["stalled"] is True
    html = client.get(run_url(run)).content.decode()
    assert 'id="import-resume">' in html  # shown

    answer = client.post(page_url("resume", run))
    assert said(client, answer, run_url(run)) == [english(texts.RESUMED)]
    assert AuditEvent.objects.filter(kind="import.resumed").count() == 1
    assert work() == 1
    run.refresh_from_db()
    assert run.state == State.CHECKED


def test_a_stalled_import_can_be_resumed_from_its_page(preparer: User) -> None:
    (code,) = codes(450, 1)
    client = browser(preparer)
    documents = build.archive(build.document_files(code))
    run = uploaded(client, build.sheet_csv([build.row(code)]), documents)
    client.post(page_url("confirm", run))
    DBTaskResult.objects.filter(task_path__endswith="apply_import").delete()  # its worker died
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))

    answer = client.post(page_url("resume", run))

    assert said(client, answer, run_url(run))[-1] == english(texts.RESUMED)
    assert work() == 1
    assert status(client, run)["state"] == State.DONE
    assert Filing.objects.filter(company__credit_code=code).count() == 1


def test_a_row_refused_at_import_shows_why_on_the_results(preparer: User) -> None:
    (code,) = codes(470, 1)
    filing = builders.complete_filing(preparer, code=code)
    client = browser(preparer)
    run = uploaded(client, build.sheet_csv([build.row(code, script1="新的话术内容。")]))
    assert run.rows.get().verdict == Verdict.CHANGED
    review.filing_submit(actor=preparer, filing=filing)  # after the preview, before confirming

    client.post(page_url("confirm", run))
    work()

    row = run.rows.get()
    assert row.outcome == Outcome.FAILED
    page = assert_safe_page(client.get(run_url(run)))
    assert english(Outcome.FAILED.label) in page.text
    assert row.message in page.text
    assert Filing.objects.get(pk=filing.pk).status == Filing.Status.IN_REVIEW


# --- who may open what ---------------------------------------------------------------------------

READS = ["run", "status"]
WRITES = ["confirm", "discard", "resume"]


def every_url(run: ImportRun) -> list[tuple[str, str]]:
    """(method, url) of each import page."""
    return [
        ("get", START),
        ("post", START),
        ("get", TEMPLATE),
        *[("get", page_url(name, run)) for name in READS],
        *[("post", page_url(name, run)) for name in WRITES],
    ]


@pytest.fixture
def checked_run(preparer: User) -> ImportRun:
    (code,) = codes(500, 1)
    return uploaded(browser(preparer), build.sheet_csv([build.row(code)]))


def test_reviewers_and_auditors_are_refused_every_import_page(
    checked_run: ImportRun, reviewer: User, auditor: User
) -> None:
    for user in (reviewer, auditor):
        client = browser(user)
        for method, address in every_url(checked_run):
            answer = getattr(client, method)(address)
            assert answer.status_code == 403, (user.username, method, address)
    checked_run.refresh_from_db()
    assert checked_run.state == State.CHECKED
    assert ImportRun.objects.count() == 1


def test_the_anonymous_are_sent_to_log_in(checked_run: ImportRun) -> None:
    client = Client()
    for method, address in every_url(checked_run):
        answer = getattr(client, method)(address)
        assert answer.status_code == 302, (method, address)
        assert answer["Location"].startswith(reverse("admin:login")), (method, address)
    checked_run.refresh_from_db()
    assert checked_run.state == State.CHECKED


def test_the_post_only_pages_refuse_get(checked_run: ImportRun, preparer: User) -> None:
    client = browser(preparer)
    for name in WRITES:
        assert client.get(page_url(name, checked_run)).status_code == 405, name
    checked_run.refresh_from_db()
    assert checked_run.state == State.CHECKED


@pytest.mark.parametrize("value", ["²", "١٢", "abc", "-1", "0", "9" * 30, "9" * 18])
@pytest.mark.parametrize("name", ["", "status/", "confirm/", "discard/", "resume/"])
def test_an_odd_or_unknown_run_id_is_not_found(preparer: User, name: str, value: str) -> None:
    client = browser(preparer)
    address = f"{START}{value}/{name}"
    answer = (
        client.post(address) if name in ("confirm/", "discard/", "resume/") else client.get(address)
    )
    assert answer.status_code == 404, (address, answer.status_code)


def test_the_forms_carry_a_csrf_token_and_a_post_without_one_is_refused(
    checked_run: ImportRun, preparer: User
) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(preparer)
    html = strict.get(run_url(checked_run)).content.decode()
    for form in ("import-discard",):  # (its one row lacks documents: nothing to confirm)
        start = html.index(f'id="{form}"')
        assert 'name="csrfmiddlewaretoken"' in html[start : html.index("</form>", start)], form
    assert 'name="csrfmiddlewaretoken"' in strict.get(START).content.decode()
    for name in WRITES:
        assert strict.post(page_url(name, checked_run)).status_code == 403, name
    assert strict.post(START, {}).status_code == 403
    checked_run.refresh_from_db()
    assert checked_run.state == State.CHECKED


# --- hostile files -------------------------------------------------------------------------------


def form_errors(answer: Any) -> dict[str, list[str]]:
    assert answer.status_code == 200, answer.status_code
    assert not ImportRun.objects.exists()
    page = assert_safe_page(answer)
    errors = {name: list(found) for name, found in answer.context["form"].errors.items()}
    for found in errors.values():
        for error in found:
            assert error in page.text
    return errors


def test_a_post_without_any_file_names_the_spreadsheet(preparer: User) -> None:
    assert form_errors(browser(preparer).post(START, {})) == {"sheet": ["This field is required."]}


def test_a_post_with_only_the_zip_names_the_spreadsheet(preparer: User) -> None:
    answer = upload(browser(preparer), None, build.archive({"x/y.jpg": b"1"}))
    assert form_errors(answer) == {"sheet": ["This field is required."]}


def test_empty_files_are_named(preparer: User) -> None:
    empty = "The submitted file is empty."
    assert form_errors(upload(browser(preparer), b"")) == {"sheet": [empty]}
    (code,) = codes(600, 1)
    answer = upload(browser(preparer), build.sheet_csv([build.row(code)]), b"")
    assert form_errors(answer) == {"archive": [empty]}


def test_a_spreadsheet_over_the_limit_is_refused_before_it_is_stored(preparer: User) -> None:
    (code,) = codes(700, 1)
    sheet = build.sheet_csv([build.row(code)])
    sheet += b"#" * (sh.MAX_FILE_BYTES + 1 - len(sheet))
    answer = upload(browser(preparer), sheet)
    assert answer.status_code == 200
    assert not ImportRun.objects.exists()
    page = assert_safe_page(answer)
    assert english(texts.SHEET_TOO_BIG).format(limit=sh.MAX_FILE_BYTES >> 20) in page.text


def test_a_zip_over_the_limit_is_refused_before_it_is_stored(preparer: User, settings: Any) -> None:
    settings.PORTAL_IMPORT_MAX_ARCHIVE_BYTES = MB
    (code,) = codes(710, 1)
    answer = upload(browser(preparer), build.sheet_csv([build.row(code)]), bytes(MB + 1))
    assert answer.status_code == 200
    assert not ImportRun.objects.exists()
    page = assert_safe_page(answer)
    assert english(texts.ARCHIVE_TOO_BIG).format(limit=1) in page.text


def test_an_oversized_upload_is_refused_without_being_read_whole(
    preparer: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file larger than its limit is refused by its size: at most the limit and one byte of
    it are read into memory (a multi-gigabyte upload would otherwise be held whole)."""
    settings.PORTAL_IMPORT_MAX_ARCHIVE_BYTES = MB
    read: list[int] = []
    start = views.import_start

    def counting(**kwargs: Any) -> ImportRun:
        read.extend(len(kwargs[name].data) for name in ("sheet", "archive") if kwargs[name])
        return start(**kwargs)

    monkeypatch.setattr(views, "import_start", counting)
    (code,) = codes(720, 1)
    sheet = build.sheet_csv([build.row(code)])
    client = browser(preparer)

    upload(client, sheet, bytes(3 * MB))
    upload(client, sheet + b"#" * (sh.MAX_FILE_BYTES + MB), None)

    assert read == [len(sheet), MB + 1, sh.MAX_FILE_BYTES + 1]
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize(
    ("data", "kind"), [(pdf_bytes(), "PDF"), (jpeg_bytes(width=40, height=30), "JPEG")]
)
def test_a_file_that_is_no_spreadsheet_refuses_the_run_with_the_reason(
    preparer: User, data: bytes, kind: str
) -> None:
    client = browser(preparer)
    run = uploaded(client, data, sheet_name="companies.xlsx")
    assert run.state == State.REFUSED
    answer = client.get(run_url(run))
    page = assert_safe_page(answer)
    assert 'id="import-refused"' in answer.content.decode()
    assert run.message in page.text
    assert kind in run.message
    assert "not a spreadsheet" in run.message
    assert run.sheet_key == ""  # the upload is deleted
    assert 'id="import-confirm"' not in answer.content.decode()


def refused_files(client: Client, files: dict[str, bytes], code: str) -> tuple[ImportRun, Page]:
    run = uploaded(client, build.sheet_csv([build.row(code)]), zip_of(files, zipfile.ZIP_DEFLATED))
    assert run.state == State.CHECKED, run.message
    page = assert_safe_page(client.get(run_url(run)))
    for problem in run.file_problems:
        assert problem["path"] in page.text
        assert problem["reason"] in page.text
    return run, page


def test_a_zip_bomb_a_nested_zip_and_a_path_leaving_the_folder_are_left_out_with_reasons(
    preparer: User,
) -> None:
    (code,) = codes(800, 1)
    bomb = f"{code}/businessLicense.jpg"
    nested = f"{code}/proprietorIdcard.zip"
    climbing = "../../etc/legalRepresentativeIdcard.jpg"
    files = {bomb: bytes(5 * MB), nested: zip_of({"inner.jpg": b"1"}), climbing: b"x"}
    run, _page = refused_files(browser(preparer), files, code)
    assert {p["path"]: p["reason"] for p in run.file_problems} == {
        bomb: english(ar.COMPRESSION_BOMB, ratio=ar.MAX_RATIO),
        nested: english(ar.NESTED_ARCHIVE),
        climbing: english(ar.UNSAFE_PATH),
    }
    row = run.rows.get()
    assert row.verdict == Verdict.REFUSED  # its documents are missing
    assert row.files == []


def test_an_encrypted_zip_refuses_the_run_with_the_reason(preparer: User) -> None:
    (code,) = codes(900, 1)
    client = browser(preparer)
    documents = encrypted(build.archive(build.document_files(code)))
    run = uploaded(client, build.sheet_csv([build.row(code)]), documents)
    assert run.state == State.REFUSED
    assert run.message == english(ar.ARCHIVE_ENCRYPTED)
    page = assert_safe_page(client.get(run_url(run)))
    assert run.message in page.text


def test_hostile_text_is_shown_escaped_on_the_pages(preparer: User) -> None:
    code, other = codes(1000, 2)
    name = '<script>alert("name")</script>'
    carrier = "<img src=x onerror=alert(1)>"
    entry = f"{code}/<svg onload=alert(2)>.jpg"
    sheet = build.sheet_csv(
        [
            build.row(code, name=name, business_carrier=carrier),
            build.row(other, name="<iframe src=javascript:alert(3)>", script1="<b onmouseover=x>"),
        ]
    )
    client = browser(preparer)
    run = uploaded(
        client, sheet, zip_of({entry: b"x"}), sheet_name='<img src=x onerror=alert("sheet")>.csv'
    )
    assert run.state == State.CHECKED, run.message
    answer = client.get(run_url(run))
    page = assert_safe_page(answer)
    assert name in page.text
    assert "<iframe src=javascript:alert(3)>" in page.text
    assert entry in page.text
    html = answer.content.decode()
    for markup in ("<script>alert", "<svg onload", "<iframe", "<img src=x"):
        assert markup not in html
    # The start page lists the run under its (cleaned) file name, escaped too.
    assert_safe_page(client.get(START))


# --- the run page's cost -------------------------------------------------------------------------


def preview_queries(client: Client, rows: int, start: int) -> int:
    ImportRun.objects.all().delete()
    sheet = build.sheet_csv([build.row(code, n) for n, code in enumerate(codes(start, rows))])
    run = uploaded(client, sheet)
    assert run.rows.count() == rows
    with CaptureQueriesContext(connection) as queries:
        assert client.get(run_url(run)).status_code == 200
    return len(queries)


def test_the_run_page_reads_the_same_number_of_queries_for_5_or_50_rows(preparer: User) -> None:
    client = browser(preparer)
    client.get(run_url(ImportRun(pk=0)))  # warm the session and the caches
    assert preview_queries(client, 5, 2000) == preview_queries(client, 50, 3000)


# --- assets --------------------------------------------------------------------------------------


def test_the_progress_script_is_a_static_file_and_only_the_run_page_links_it(
    preparer: User,
) -> None:
    """What the run page links is a file collectstatic (and so WhiteNoise) serves."""
    html = browser(preparer).get(START).content.decode()
    assert "filings/imports.js" not in html
    found = finders.find("filings/imports.js")
    assert isinstance(found, str)
    script = Path(found).read_text()
    assert 'getElementById("import-run")' in script
    assert "dataset.statusUrl" in script
