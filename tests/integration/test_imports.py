"""The spreadsheet import through its services and tasks: check, preview, confirm, import,
and a second import of the same files that changes nothing.

Tasks run in this process from the real queue (`work`); every row is judged by the real sheet
and archive readers, the real image checks and the real services.
"""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from filings import errors
from filings.credit_code import validate_credit_code
from filings.file_types import KIND_LABELS
from filings.imports import messages, processing, sheet
from filings.imports.archive import NESTED_ARCHIVE, NOT_A_ZIP, UNSAFE_PATH
from filings.imports.models import ImportRow, ImportRun
from filings.imports.services import import_confirm, import_discard, import_start
from filings.models import AuditEvent, Company, Document, Filing, PhoneNumber
from filings.phone_numbers import report_items
from filings.services import documents as document_services
from filings.services import editing, review
from filings.services.documents import Upload, stored_image
from filings.services.numbers import taken_elsewhere_reason
from filings.workflow import State
from tests import imagecorpus
from tests import import_builders as build
from tests.builders import KINDS, VALID_CODES, complete_filing, image, in_review
from tests.import_builders import stored_files
from tests.integration.test_bulk import work as work_tasks
from tests.number_builders import add_numbers, approve, filed_company, number_filing

pytestmark = pytest.mark.django_db

Verdict = ImportRow.Verdict
IMPORT_TASKS = "filings.imports.tasks."
Outcome = ImportRow.Outcome
# The row of builders.complete_filing (VALID_CODES[0]) exactly as the portal holds it.
HELD = {
    "name": "火山示例科技有限公司",
    "business_carrier": "火山示例科技有限公司",
    "callee_source": "网站",
}


@pytest.fixture(autouse=True)
def en() -> Any:
    """The expected messages in English, the language the runs are uploaded in."""
    with translation.override("en"):
        yield


def held_row(**changes: str) -> dict[str, str]:
    """The cells of builders.complete_filing's company (VALID_CODES[0]), with `changes`."""
    return build.row(VALID_CODES[0], 0, **{**HELD, **changes})


def work() -> int:
    return work_tasks(tasks=IMPORT_TASKS)


def upload(actor: User, sheet_bytes: bytes, zip_bytes: bytes | None) -> ImportRun:
    run = import_start(
        actor=actor,
        sheet=Upload("companies.csv", sheet_bytes),
        archive=Upload("documents.zip", zip_bytes) if zip_bytes is not None else None,
        language="en",
    )
    work()
    run.refresh_from_db()
    return run


def preview(actor: User, rows: list[dict[str, str]], files: dict[str, bytes]) -> ImportRun:
    run = upload(actor, build.sheet_csv(rows), build.archive(files) if files else None)
    assert run.state == ImportRun.State.CHECKED, run.message
    return run


def verdicts(run: ImportRun) -> dict[str, str]:
    return dict(run.rows.values_list("credit_code", "verdict"))


def row_at(run: ImportRun, line: int) -> ImportRow:
    return run.rows.get(line=line)


def refusal(row: ImportRow) -> tuple[str, list[str]]:
    return row.verdict, row.reasons


def english(message: Any, **values: Any) -> str:
    with translation.override("en"):
        return str(message).format(**values)


def confirm(actor: User, run: ImportRun) -> ImportRun:
    import_confirm(actor=actor, run=run)
    work()
    run.refresh_from_db()
    return run


def codes(n: int, start: int = 1) -> list[str]:
    found = build.credit_codes(start)
    return [next(found) for _ in range(n)]


def test_two_companies_are_imported_and_a_second_import_changes_nothing(
    preparer: User, isolated_storage: Any
) -> None:
    codes = [next(build.credit_codes(10)), next(build.credit_codes(20))]
    sheet = build.sheet_csv(
        [
            build.row(codes[0], 0, numbers="13800138000\n0571-88886666"),
            build.row(codes[1], 1),
        ]
    )
    files = {**build.document_files(codes[0]), **build.document_files(codes[1], 1, sides=True)}
    zip_bytes = build.archive(files)

    run = upload(preparer, sheet, zip_bytes)
    assert run.state == ImportRun.State.CHECKED, run.message
    assert verdicts(run) == {codes[0]: Verdict.NEW, codes[1]: Verdict.NEW}
    assert Company.objects.count() == 0  # nothing before the confirmation

    run = confirm(preparer, run)
    assert run.state == ImportRun.State.DONE
    assert dict(run.rows.values_list("credit_code", "outcome")) == {
        codes[0]: Outcome.DONE,
        codes[1]: Outcome.DONE,
    }
    for code in codes:
        filing = Filing.objects.get(company__credit_code=code)
        assert filing.status == State.DRAFT
        assert list(filing.scripts.values_list("scene", flat=True)) == ["快递", "售后"]
    sided = Filing.objects.get(company__credit_code=codes[1])
    assert Document.objects.filter(filing=sided, part=Document.Part.FRONT).count() == 2
    assert set(PhoneNumber.objects.values_list("digits", flat=True)) == {
        "13800138000",
        "057188886666",
    }
    assert run.sheet_key == run.archive_key == ""  # the uploads are gone

    events = AuditEvent.objects.count()
    documents = Document.objects.count()
    again = upload(preparer, sheet, zip_bytes)
    assert verdicts(again) == {codes[0]: Verdict.UNCHANGED, codes[1]: Verdict.UNCHANGED}
    import_events = AuditEvent.objects.count() - events
    assert import_events == 1  # the upload's own event, nothing else
    assert Document.objects.count() == documents


# --- The preview: each reason a row is refused for ----------------------------------------------


def test_an_invalid_credit_code_is_refused_and_the_good_row_is_not(preparer: User) -> None:
    (good,) = codes(1)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")  # its check character is wrong
    run = preview(
        preparer,
        [build.row(good, 0), build.row(bad, 1)],
        {**build.document_files(good), **build.document_files(bad)},
    )
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(bad)
    problem = " ".join(caught.value.messages)
    assert refusal(row_at(run, 3)) == (
        Verdict.REFUSED,
        [english(messages.CREDIT_CODE_INVALID, code=bad, problem=problem)],
    )
    assert refusal(row_at(run, 2)) == (Verdict.NEW, [])


def test_a_credit_code_twice_in_the_file_refuses_both_lines_naming_each_other(
    preparer: User,
) -> None:
    twice, good = codes(2)
    run = preview(
        preparer,
        [build.row(twice, 0), build.row(good, 1), build.row(twice.lower(), 2)],
        {**build.document_files(twice), **build.document_files(good)},
    )
    assert refusal(row_at(run, 2)) == (
        Verdict.REFUSED,
        [english(messages.DUPLICATE_IN_FILE, code=twice, lines="4")],
    )
    assert refusal(row_at(run, 4)) == (
        Verdict.REFUSED,
        [english(messages.DUPLICATE_IN_FILE, code=twice, lines="2")],
    )
    assert refusal(row_at(run, 3)) == (Verdict.NEW, [])


def test_a_company_in_review_is_refused_when_the_row_changes_it_and_unchanged_when_not(
    preparer: User,
) -> None:
    filing = in_review(preparer)
    (good,) = codes(1)
    same = held_row()
    changed = held_row(script2="您好，这里是新的售后。")
    files = build.document_files(good)

    run = preview(preparer, [build.row(good, 0), same], files)
    assert refusal(row_at(run, 3)) == (Verdict.UNCHANGED, [])
    assert refusal(row_at(run, 2)) == (Verdict.NEW, [])

    run = preview(preparer, [build.row(good, 0), changed], files)
    assert refusal(row_at(run, 3)) == (
        Verdict.REFUSED,
        [english(messages.FILING_BUSY, filing=filing.pk, state=State.IN_REVIEW.label)],
    )
    assert refusal(row_at(run, 2)) == (Verdict.NEW, [])


@pytest.mark.parametrize(
    "data",
    [imagecorpus.truncated_png(), imagecorpus.text_bytes()],
    ids=["truncated-png", "text-named-jpg"],
)
def test_a_bad_image_refuses_its_row_with_the_upload_check_s_reason(
    preparer: User, data: bytes
) -> None:
    good, bad = codes(2)
    files = {**build.document_files(good), **build.document_files(bad)}
    path = f"{bad}/businessLicense.jpg"
    files[path] = data
    run = preview(preparer, [build.row(good, 0), build.row(bad, 1)], files)
    with pytest.raises(ValidationError) as caught:
        stored_image(Upload(path, data), path)  # what an upload of the file is told
    reason = " ".join(caught.value.messages)
    assert reason.startswith(path)
    # Only the file's own problem: the document is in the ZIP, so it is not "missing".
    assert refusal(row_at(run, 3)) == (Verdict.REFUSED, [reason])
    assert refusal(row_at(run, 2)) == (Verdict.NEW, [])


def test_a_missing_document_is_refused_unless_the_company_already_has_it(
    preparer: User,
) -> None:
    complete_filing(preparer)  # VALID_CODES[0] holds all six documents
    good, lacking = codes(2)
    files = {**build.document_files(good), **build.document_files(lacking)}
    del files[f"{lacking}/operatorIdcardInhand.jpg"]
    run = preview(
        preparer,
        [
            build.row(good, 0),
            build.row(lacking, 1),
            held_row(callee_source="公众号"),  # no files at all
        ],
        files,
    )
    label = Document.Kind.OPERATOR_IDCARD_INHAND.label
    assert refusal(row_at(run, 3)) == (
        Verdict.REFUSED,
        [
            english(
                messages.DOCUMENT_MISSING,
                document=label,
                path=f"{lacking}/operatorIdcardInhand.jpg",
            )
        ],
    )
    assert refusal(row_at(run, 2)) == (Verdict.NEW, [])
    assert refusal(row_at(run, 4)) == (Verdict.CHANGED, [])


def test_invalid_repeated_and_taken_numbers_are_refused(
    preparer: User, reviewer: User, volc_settings: Any
) -> None:
    other = filed_company(preparer, reviewer, code=VALID_CODES[1])
    number_filing(preparer, other, ["13900000001"])  # in an open number filing: taken
    add_numbers(preparer, other, ["13900000002"])  # only a draft of the other company: free
    good, invalid, first, second, taken = codes(5)
    rows = [
        build.row(good, 0, numbers="13800000001\n13900000002"),
        build.row(invalid, 1, numbers="12345"),
        build.row(first, 2, numbers="13800000009"),
        build.row(second, 3, numbers="138 0000 0009"),
        build.row(taken, 4, numbers="139-0000-0001"),
    ]
    files = {key: value for code in codes(5) for key, value in build.document_files(code).items()}
    run = preview(preparer, rows, files)

    assert refusal(row_at(run, 2)) == (Verdict.NEW, [])
    assert row_at(run, 2).plan[-1] == english(messages.STEP_NUMBERS, count=2)
    [judged] = report_items([(1, "12345")]).lines
    assert judged.reason  # not a mainland number
    assert refusal(row_at(run, 3)) == (
        Verdict.REFUSED,
        [english(messages.NUMBER_REFUSED, text="12345", reason=judged.reason)],
    )
    assert refusal(row_at(run, 4)) == (
        Verdict.REFUSED,
        [english(messages.NUMBER_TWICE, text="13800000009", lines="5")],
    )
    assert refusal(row_at(run, 5)) == (
        Verdict.REFUSED,
        [english(messages.NUMBER_TWICE, text="138 0000 0009", lines="4")],
    )
    open_filing = PhoneNumber.objects.get(digits="13900000001").open_filing_id
    with translation.override("en"):
        why = taken_elsewhere_reason(other.name, PhoneNumber.State.DRAFT, open_filing)
    assert refusal(row_at(run, 6)) == (
        Verdict.REFUSED,
        [english(messages.NUMBER_REFUSED, text="139-0000-0001", reason=why)],
    )


def test_a_row_problem_of_the_sheet_refuses_the_row(preparer: User) -> None:
    good, nameless = codes(2)
    run = preview(
        preparer,
        [build.row(good, 0), build.row(nameless, 1, name="")],
        {**build.document_files(good), **build.document_files(nameless)},
    )
    assert refusal(row_at(run, 3)) == (Verdict.REFUSED, [english(sheet.NAME_MISSING)])
    assert refusal(row_at(run, 2)) == (Verdict.NEW, [])


def test_problems_of_archive_entries_are_listed_with_the_run(preparer: User) -> None:
    (good,) = codes(1)
    (stray,) = codes(1, start=500)
    files = {
        **build.document_files(good),
        f"{good}/../evil.jpg": imagecorpus.jpeg_bytes(),
        f"{good}/more.zip": imagecorpus.zip_bytes(),
        f"{stray}/businessLicense.jpg": imagecorpus.jpeg_bytes(),
    }
    run = preview(preparer, [build.row(good, 0)], files)
    assert refusal(row_at(run, 2)) == (Verdict.NEW, [])
    assert sorted(run.file_problems, key=lambda p: p["path"]) == sorted(
        [
            {"path": f"{good}/../evil.jpg", "reason": english(UNSAFE_PATH)},
            {"path": f"{good}/more.zip", "reason": english(NESTED_ARCHIVE)},
            {
                "path": f"{stray}/businessLicense.jpg",
                "reason": english(messages.NO_ROW_FOR_FILE, code=stray),
            },
        ],
        key=lambda p: p["path"],
    )


def test_a_zip_that_is_not_a_zip_refuses_the_run_and_deletes_its_files(
    preparer: User, django_capture_on_commit_callbacks: Any
) -> None:
    (good,) = codes(1)
    with django_capture_on_commit_callbacks(execute=True):
        run = upload(preparer, build.sheet_csv([build.row(good, 0)]), imagecorpus.pdf_bytes())
    assert run.state == ImportRun.State.REFUSED
    assert run.message == english(NOT_A_ZIP, kind=english(KIND_LABELS["pdf"]))
    assert not run.rows.exists()
    assert (run.sheet_key, run.archive_key) == ("", "")
    assert stored_files("imports") == []


# --- Confirming --------------------------------------------------------------------------------


def queued_tasks() -> int:
    return DBTaskResult.objects.filter(task_path__startswith=IMPORT_TASKS).count()


def events_since(seq: int) -> list[tuple[str, str]]:
    """(kind, target type) of the audit events after `seq`, in order."""
    return list(
        AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values_list("kind", "target_type")
    )


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_confirming_imports_only_the_good_rows_and_a_second_confirmation_is_refused(
    preparer: User,
) -> None:
    complete_filing(preparer)
    good, bad = codes(2)
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    run = preview(
        preparer,
        [build.row(good, 0), build.row(bad, 1), held_row()],
        build.document_files(good),
    )
    assert [row_at(run, line).verdict for line in (2, 3, 4)] == [
        Verdict.NEW,
        Verdict.REFUSED,
        Verdict.UNCHANGED,
    ]
    assert import_confirm(actor=preparer, run=run) == 1
    queued = queued_tasks()
    with pytest.raises(errors.FilingsError) as caught:  # the double click
        import_confirm(actor=preparer, run=run)
    assert str(caught.value) == english(messages.NOT_CHECKED, state=ImportRun.State.IMPORTING.label)
    assert queued_tasks() == queued
    work()
    run.refresh_from_db()
    assert run.state == ImportRun.State.DONE
    assert [row_at(run, line).outcome for line in (2, 3, 4)] == [
        Outcome.DONE,
        Outcome.NOT_IMPORTED,
        Outcome.NOT_IMPORTED,
    ]
    assert sorted(Company.objects.values_list("credit_code", flat=True)) == sorted(
        [good, VALID_CODES[0]]
    )
    filing = Filing.objects.get(company__credit_code=good)
    assert row_at(run, 2).filing == filing
    assert row_at(run, 2).message == english(
        messages.ROW_DONE, filing=filing.pk, steps="; ".join(row_at(run, 2).plan)
    )


def test_a_row_submitted_for_review_after_the_check_is_not_changed(preparer: User) -> None:
    filing = complete_filing(preparer)
    run = preview(preparer, [held_row(script2="新的售后话术。")], {})
    assert refusal(row_at(run, 2)) == (Verdict.CHANGED, [])
    review.filing_submit(actor=preparer, filing=filing)
    before = last_seq()

    run = confirm(preparer, run)
    busy = english(messages.FILING_BUSY, filing=filing.pk, state=State.IN_REVIEW.label)
    row = row_at(run, 2)
    assert (row.outcome, row.message) == (
        Outcome.FAILED,
        english(messages.ROW_REFUSED, reasons=busy),
    )
    assert list(filing.scripts.values_list("content", flat=True)) == [
        "您好，您的快递已到。",
        "您好，这里是售后。",
    ]
    assert events_since(before) == [("import.confirmed", "importrun")]
    assert run.state == ImportRun.State.DONE


def test_a_row_updating_a_draft_changes_only_what_differs(preparer: User) -> None:
    filing = complete_filing(preparer)
    files = {f"{VALID_CODES[0]}/{kind}.jpg": image(index) for index, kind in enumerate(KINDS)}
    files[f"{VALID_CODES[0]}/businessLicense.jpg"] = image(40)  # a new licence
    cells = held_row(callee_source="公众号", script2="新的售后话术。")
    sheet_bytes, zip_bytes = build.sheet_csv([cells]), build.archive(files)
    run = upload(preparer, sheet_bytes, zip_bytes)
    row = row_at(run, 2)
    assert refusal(row) == (Verdict.CHANGED, [])
    before, documents = last_seq(), Document.objects.count()
    replaced = Document.objects.get(filing=filing, kind="businessLicense")

    run = confirm(preparer, run)
    row = row_at(run, 2)
    assert (row.outcome, row.filing) == (Outcome.DONE, filing)
    assert events_since(before) == [
        ("import.confirmed", "importrun"),
        ("filing.updated", "filing"),
        ("script.deleted", "callscript"),
        ("script.deleted", "callscript"),
        ("script.created", "callscript"),
        ("script.created", "callscript"),
        ("document.replaced", "document"),
    ]
    update = AuditEvent.objects.get(seq__gt=before, kind="filing.updated")
    assert update.data["changes"] == {"callee_source": {"before": "网站", "after": "公众号"}}
    filing.refresh_from_db()
    assert (filing.status, filing.callee_source) == (State.DRAFT, "公众号")
    assert list(filing.scripts.order_by("position").values_list("scene", "content")) == [
        ("快递", "您好，您的快递已到。"),
        ("售后", "新的售后话术。"),
    ]
    assert Document.objects.count() == documents + 1
    replaced.refresh_from_db()
    assert replaced.superseded_at is not None

    # The same files again: nothing to change, nothing written but the upload's event.
    before, documents = last_seq(), Document.objects.count()
    again = upload(preparer, sheet_bytes, zip_bytes)
    assert refusal(row_at(again, 2)) == (Verdict.UNCHANGED, [])
    assert events_since(before) == [("import.uploaded", "importrun")]
    assert Document.objects.count() == documents
    with pytest.raises(errors.FilingsError) as caught:
        import_confirm(actor=preparer, run=again)
    assert str(caught.value) == english(messages.NOTHING_TO_IMPORT)


@pytest.mark.parametrize("who", ["reviewer", "auditor"])
def test_only_a_preparer_may_import(preparer: User, who: str, request: Any) -> None:
    other: User = request.getfixturevalue(who)
    (good,) = codes(1)
    sheet_bytes = build.sheet_csv([build.row(good, 0)])
    zip_bytes = build.archive(build.document_files(good))
    with pytest.raises(errors.NotPermitted):
        import_start(
            actor=other,
            sheet=Upload("companies.csv", sheet_bytes),
            archive=Upload("documents.zip", zip_bytes),
            language="en",
        )
    assert not ImportRun.objects.exists()
    run = upload(preparer, sheet_bytes, zip_bytes)
    with pytest.raises(errors.NotPermitted):
        import_confirm(actor=other, run=run)
    with pytest.raises(errors.NotPermitted):
        import_discard(actor=other, run=run)
    run.refresh_from_db()
    assert run.state == ImportRun.State.CHECKED


def test_discarding_deletes_the_uploaded_files(
    preparer: User, django_capture_on_commit_callbacks: Any
) -> None:
    (good,) = codes(1)
    run = preview(preparer, [build.row(good, 0)], build.document_files(good))
    assert stored_files("imports") == sorted([run.sheet_key, run.archive_key])
    with django_capture_on_commit_callbacks(execute=True):
        import_discard(actor=preparer, run=run)
    run.refresh_from_db()
    assert (run.state, run.sheet_key, run.archive_key) == (ImportRun.State.DISCARDED, "", "")
    assert stored_files("imports") == []
    with pytest.raises(errors.FilingsError):
        import_confirm(actor=preparer, run=run)


def test_an_import_nobody_confirms_expires_with_its_files(
    preparer: User, django_capture_on_commit_callbacks: Any
) -> None:
    (good,) = codes(1)
    run = preview(preparer, [build.row(good, 0)], build.document_files(good))
    assert len(stored_files("imports")) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert processing.run_expire(run.pk) == ImportRun.State.DISCARDED
    run.refresh_from_db()
    assert run.message == english(messages.EXPIRED, hours=24)
    assert stored_files("imports") == []
    assert not Company.objects.exists()


def test_a_row_whose_transaction_fails_after_storing_documents_leaves_no_object(
    preparer: User, reviewer: User, volc_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The number of the row is filed for another company while the row is being imported (the
    other company's filing is made when the row's documents are saved, in the row's own
    transaction: a concurrent transaction committing at that moment looks the same to the row).
    The row fails and every object stored for it is deleted again."""
    other = filed_company(preparer, reviewer, code=VALID_CODES[1])
    (good,) = codes(1)
    run = preview(preparer, [build.row(good, 0, numbers="13900000007")], build.document_files(good))
    assert refusal(row_at(run, 2)) == (Verdict.NEW, [])
    started: list[bool] = []
    taken: list[int] = []
    touch = document_services.touch

    def touch_and_take_the_number(actor: Any, filing: Filing, **kwargs: Any) -> None:
        # The documents' touch of the filing: they are stored and saved by then.
        touch(actor, filing, **kwargs)
        if not started:
            started.append(True)
            taken.append(number_filing(preparer, other, ["13900000007"]).pk)

    monkeypatch.setattr(document_services, "touch", touch_and_take_the_number)
    run = confirm(preparer, run)
    assert taken
    why = taken_elsewhere_reason(other.name, PhoneNumber.State.DRAFT, taken[0])
    number = english(messages.NUMBER_REFUSED, text="13900000007", reason=why)
    row = row_at(run, 2)
    assert (row.outcome, row.message) == (
        Outcome.FAILED,
        english(messages.ROW_REFUSED, reasons=number),
    )
    assert not PhoneNumber.objects.filter(digits="13900000007").exists()
    assert not Company.objects.filter(credit_code=good).exists()
    stored = stored_files("filings")
    assert stored == sorted(
        str(key) for key in Document.objects.values_list("storage_key", flat=True)
    )


def test_a_rename_is_refused_while_another_filing_of_the_company_is_approved(
    preparer: User, reviewer: User, volc_settings: Any
) -> None:
    """Renaming a company changes every filing it has that was not sent: an approved number
    filing would lose its approval. The import leaves such a company's name alone."""
    company = filed_company(preparer, reviewer)
    numbers = approve(preparer, reviewer, number_filing(preparer, company, ["13900000008"]))
    assert numbers.status == State.APPROVED
    draft = editing.filing_create(
        actor=preparer, company=company, callee_source="网站", business_carrier=HELD["name"]
    )
    editing.script_add(actor=preparer, filing=draft, scene="快递", content="您好，您的快递已到。")
    editing.script_add(actor=preparer, filing=draft, scene="售后", content="您好，这里是售后。")
    (good,) = codes(1)
    run = preview(
        preparer,
        [build.row(good, 0), held_row(name="火山示例科技（福州）有限公司")],
        build.document_files(good),
    )
    busy = english(messages.FILING_BUSY, filing=numbers.pk, state=State.APPROVED.label)
    assert refusal(row_at(run, 3)) == (Verdict.REFUSED, [busy])
    assert refusal(row_at(run, 2)) == (Verdict.NEW, [])
    # The same company's draft may still change when its name stays.
    run = preview(preparer, [held_row(callee_source="公众号")], {})
    assert refusal(row_at(run, 2)) == (Verdict.CHANGED, [])
