"""Acceptance of the spreadsheet import: 300 companies with their 1,800-odd document images, 20
of them broken in varied ways. The preview refuses exactly those 20, each with its reason;
confirming imports the 280 others as draft filings with their documents and scripts; the same two
files uploaded again change nothing."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from filings.credit_code import validate_credit_code
from filings.imports import messages, sheet
from filings.imports.models import ImportRow, ImportRun
from filings.models import AuditEvent, CallScript, Company, Document, Filing, PhoneNumber
from filings.phone_numbers import report_items
from filings.services.documents import Upload, stored_image
from filings.services.numbers import taken_elsewhere_reason
from filings.workflow import State
from tests import imagecorpus
from tests import import_builders as build
from tests.builders import VALID_CODES, in_review
from tests.integration.test_imports import confirm, en, english, held_row, upload
from tests.number_builders import filed_company, number_filing

pytestmark = pytest.mark.django_db

__all__ = ["en"]  # the autouse fixture: expected messages in English

Verdict = ImportRow.Verdict
Outcome = ImportRow.Outcome
COMPANIES = 300
GOOD = 280


def images_of(code: str, seed: int) -> dict[str, bytes]:
    """The six documents, small; every fifteenth company sends its ID cards as two sides."""
    return build.document_files(code, seed, sides=seed % 15 == 0, width=100, height=80)


def bad_credit_code(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def test_300_companies_20_broken_a_correct_preview_280_imported_and_nothing_twice(
    preparer: User, reviewer: User, volc_settings: Any
) -> None:
    # The portal before: two companies with a filing in review, one whose number is being filed.
    busy = [in_review(preparer, code=code) for code in (VALID_CODES[0], VALID_CODES[2])]
    other = filed_company(preparer, reviewer, code=VALID_CODES[1])
    number_filing(preparer, other, ["13911112222"])

    codes = build.credit_codes(1000)
    rows: list[dict[str, str]] = []
    files: dict[str, bytes] = {}
    expected: dict[int, list[str]] = {}  # line → reasons of the broken rows

    def add(cells: dict[str, str], images: dict[str, bytes], *reasons: str) -> int:
        rows.append(cells)
        files.update(images)
        line = len(rows) + 1  # the header is line 1
        if reasons:
            expected[line] = list(reasons)
        return line

    def company(n: int, **cells: str) -> tuple[str, dict[str, str], dict[str, bytes]]:
        code = next(codes)
        return code, build.row(code, n, **cells), images_of(code, n)

    # 20 broken rows, spread over the file.
    broken: list[Any] = []
    for n in range(3):  # an invalid credit code
        code, cells, images = company(n)
        bad = bad_credit_code(code)
        with pytest.raises(ValidationError) as caught:
            validate_credit_code(bad)
        problem = " ".join(caught.value.messages)
        broken.append(
            (
                {**cells, "credit_code": bad},
                {path.replace(code, bad): data for path, data in images.items()},
                [english(messages.CREDIT_CODE_INVALID, code=bad, problem=problem)],
            )
        )
    twice, cells, images = company(3)  # one credit code on two lines (the lines filled in below)
    broken += [(cells, images, "twice"), (build.row(twice, 4), {}, "twice")]
    bad_images = (imagecorpus.truncated_png(), imagecorpus.text_bytes(), imagecorpus.gif_bytes())
    for n, data in enumerate(bad_images, start=5):
        code, cells, images = company(n)  # a bad image
        path = f"{code}/operatorIdcardInhand.jpg"
        images[path] = data
        with pytest.raises(ValidationError) as caught:
            stored_image(Upload(path, data), path)
        broken.append((cells, images, [" ".join(caught.value.messages)]))
    for n, kind in enumerate(
        ("businessLicense", "networkaccessCommitmentletter", "numberapplicationOfficialletter"),
        start=8,
    ):
        code, cells, images = company(n)  # a missing document
        del images[f"{code}/{kind}.jpg"]
        label = english(Document.Kind(kind).label)
        path = f"{code}/{kind}.jpg"
        broken.append(
            (cells, images, [english(messages.DOCUMENT_MISSING, document=label, path=path)])
        )
    for n in (11, 12):  # an invalid number
        code, cells, images = company(n, numbers="12345")
        [entry] = report_items([(1, "12345")]).lines
        broken.append(
            (cells, images, [english(messages.NUMBER_REFUSED, text="12345", reason=entry.reason)])
        )
    for n, text in ((13, "13700001111"), (14, "137-0000-1111")):  # one number on two lines
        code, cells, images = company(n, numbers=text)
        broken.append((cells, images, ("number twice", text)))
    code, cells, images = company(15, numbers="13911112222")  # another company's number
    open_filing = PhoneNumber.objects.get(digits="13911112222").open_filing_id
    why = taken_elsewhere_reason(other.name, PhoneNumber.State.DRAFT, open_filing)
    broken.append(
        (cells, images, [english(messages.NUMBER_REFUSED, text="13911112222", reason=why)])
    )
    for n in (16, 17):  # a row problem of the sheet
        code, cells, images = company(n, name="")
        broken.append((cells, images, [english(sheet.NAME_MISSING)]))
    for filing in busy:  # a change to a company whose filing is in review
        cells = held_row(callee_source="小程序")
        cells["credit_code"] = filing.company.credit_code
        reason = english(messages.FILING_BUSY, filing=filing.pk, state=State.IN_REVIEW.label)
        broken.append((cells, {}, [reason]))
    assert len(broken) == COMPANIES - GOOD

    every = (COMPANIES - 1) // len(broken)
    good_codes: list[str] = []
    good_numbers: list[str] = []
    twice_lines: list[int] = []
    number_lines: list[tuple[int, str]] = []
    for n in range(COMPANIES):
        if n % every == 0 and broken:
            cells, images, reasons = broken.pop(0)
            if reasons == "twice":
                twice_lines.append(add(cells, images, "placeholder"))
            elif isinstance(reasons, tuple):
                number_lines.append((add(cells, images, "placeholder"), reasons[1]))
            else:
                add(cells, images, *reasons)
        else:
            number = f"13600000{n:03d}" if n % 5 else ""
            code, cells, images = company(100 + n, numbers=number)
            add(cells, images)
            good_codes.append(code)
            good_numbers += [number] if number else []
    assert not broken
    assert (len(rows), len(good_codes)) == (COMPANIES, GOOD)
    first, second = twice_lines
    expected[first] = [english(messages.DUPLICATE_IN_FILE, code=twice, lines=str(second))]
    expected[second] = [english(messages.DUPLICATE_IN_FILE, code=twice, lines=str(first))]
    (line_a, text_a), (line_b, text_b) = number_lines
    expected[line_a] = [english(messages.NUMBER_TWICE, text=text_a, lines=str(line_b))]
    expected[line_b] = [english(messages.NUMBER_TWICE, text=text_b, lines=str(line_a))]
    assert len(files) >= 1800
    sheet_bytes, zip_bytes = build.sheet_csv(rows), build.archive(files)
    companies, filings = Company.objects.count(), Filing.objects.count()

    # The preview: the 20 broken rows refused with their reasons, the 280 others new.
    run = upload(preparer, sheet_bytes, zip_bytes)
    assert run.state == ImportRun.State.CHECKED, run.message
    assert (run.total, run.checked, run.file_problems) == (COMPANIES, COMPANIES, [])
    judged = {
        line: (verdict, reasons)
        for line, verdict, reasons in run.rows.values_list("line", "verdict", "reasons")
    }
    assert {line: reasons for line, (v, reasons) in judged.items() if v == Verdict.REFUSED} == (
        expected
    )
    assert {v for line, (v, _) in judged.items() if line not in expected} == {Verdict.NEW}
    assert (Company.objects.count(), Filing.objects.count()) == (companies, filings)

    # Confirming imports the 280.
    run = confirm(preparer, run)
    assert run.state == ImportRun.State.DONE
    outcomes = dict(run.rows.values_list("line", "outcome"))
    assert {line for line, o in outcomes.items() if o == Outcome.NOT_IMPORTED} == set(expected)
    assert {o for line, o in outcomes.items() if line not in expected} == {Outcome.DONE}
    assert Company.objects.count() == companies + GOOD
    imported = Filing.objects.filter(company__credit_code__in=good_codes)
    assert imported.count() == GOOD
    assert set(imported.values_list("status", flat=True)) == {State.DRAFT}
    per_filing = Document.objects.filter(filing__in=imported, superseded_at__isnull=True)
    assert per_filing.filter(part=Document.Part.MAIN).count() == GOOD * 6
    assert CallScript.objects.filter(filing__in=imported).count() == GOOD * 2
    assert sorted(
        PhoneNumber.objects.filter(company__credit_code__in=good_codes).values_list(
            "digits", flat=True
        )
    ) == sorted(good_numbers)

    # The same two files again: nothing changes.
    events, documents = AuditEvent.objects.count(), Document.objects.count()
    again = upload(preparer, sheet_bytes, zip_bytes)
    assert again.state == ImportRun.State.CHECKED, again.message
    rejudged = {
        line: (verdict, reasons)
        for line, verdict, reasons in again.rows.values_list("line", "verdict", "reasons")
    }
    assert {line: r for line, (v, r) in rejudged.items() if v == Verdict.REFUSED} == expected
    assert {v for line, (v, _) in rejudged.items() if line not in expected} == {Verdict.UNCHANGED}
    assert AuditEvent.objects.count() - events == 1  # the upload's own event
    assert list(AuditEvent.objects.order_by("-seq").values_list("kind", flat=True)[:1]) == [
        "import.uploaded"
    ]
    assert Document.objects.count() == documents
