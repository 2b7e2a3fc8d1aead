"""The number services: adding numbers with a per-line report, filing them in filings of at most
100, taking one out, the body per action, pre-flight, four-eyes and Volcengine's decision."""

import json
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth.models import User

from filings import errors
from filings.content import content_hash
from filings.four_eyes import has_changed
from filings.kinds.number import MAX_NUMBERS
from filings.models import Filing, FilingNumber, PhoneNumber
from filings.phone_numbers import LETTERS, SHORT_CODE
from filings.preflight import content_checks, failed
from filings.services import editing, numbers, review, sending
from filings.services.numbers import ReportLine
from filings.storage import document_uuid_from_fetch_token
from tests import builders
from tests.audit_rows import events_after, head, row
from tests.builders import VALID_CODES, fresh, in_review
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
    lines,
    live_numbers,
    mobiles,
    number_filing,
    received,
    upload_letter,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]

ADD, UPDATE, DELETE = Filing.NumberAction.values
COMPANY_NAME = "火山示例科技有限公司"
OTHER_NAME = "另一家示例公司"
PUBLIC = "https://portal.example.test"


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"
    settings.PORTAL_PUBLIC_BASE_URL = PUBLIC


@pytest.fixture
def filed(preparer: User, reviewer: User) -> Any:
    """The company of VALID_CODES[0], its company filing SUBMITTED."""
    return filed_company(preparer, reviewer)


@pytest.fixture
def other(preparer: User, reviewer: User) -> Any:
    """Another company (VALID_CODES[1]), its company filing SUBMITTED too."""
    builders.company(preparer, name=OTHER_NAME, code=VALID_CODES[1])
    return filed_company(preparer, reviewer, code=VALID_CODES[1])


def numbers_of(company: Any) -> dict[str, tuple[str, int | None]]:
    """digits → (state, open filing id) of a company's numbers."""
    return {
        n.digits: (n.state, n.open_filing_id)
        for n in PhoneNumber.objects.filter(company=company).order_by("digits")
    }


# --- adding ---------------------------------------------------------------------------------


def test_adding_reports_every_line_and_adds_the_good_ones(
    preparer: User, reviewer: User, filed: Any, other: Any
) -> None:
    add_numbers(preparer, filed, ["13900000001"])
    live_numbers(preparer, reviewer, other, ["13900000002"])
    in_filing = number_filing(preparer, other, ["13900000003"])
    add_numbers(preparer, other, ["13900000004"])  # a draft of the other company, not filed
    start = head()

    report = numbers.numbers_add(
        actor=preparer,
        company=filed,
        items=lines(
            [
                "138 0013 8000",
                "abc",
                "+86 138-0013-8000",
                "13900000001",
                "13900000002",
                "13900000003",
                "0571-8888 6666",
                "13900000004",
                "12345",
            ]
        ),
        script_scene=SCENE,
        script=SCRIPT,
    )

    assert report.lines == [
        ReportLine(1, "138 0013 8000", "13800138000"),
        ReportLine(2, "abc", "", str(LETTERS)),
        ReportLine(3, "+86 138-0013-8000", "13800138000", "duplicate of line 1"),
        ReportLine(
            4, "13900000001", "13900000001", "already one of this company's numbers (Draft)"
        ),
        ReportLine(5, "13900000002", "13900000002", f"already used by {OTHER_NAME} (Live)"),
        ReportLine(
            6,
            "13900000003",
            "13900000003",
            f"already used by {OTHER_NAME} (in number filing #{in_filing.pk})",
        ),
        ReportLine(7, "0571-8888 6666", "057188886666"),
        ReportLine(8, "13900000004", "13900000004"),
        ReportLine(9, "12345", "", str(SHORT_CODE)),
    ]
    assert [line.line for line in report.added] == [1, 7, 8]
    assert [line.line for line in report.refused] == [2, 3, 4, 5, 6, 9]
    assert numbers_of(filed) == {
        "057188886666": ("draft", None),
        "13800138000": ("draft", None),
        "13900000001": ("draft", None),
        "13900000004": ("draft", None),
    }
    added = PhoneNumber.objects.get(company=filed, digits="13800138000")
    assert (added.script_scene, added.script, added.created_by) == (SCENE, SCRIPT, preparer)
    assert events_after(start) == [
        row(
            "numbers.added",
            preparer,
            "company",
            filed.pk,
            data={
                "company": filed.credit_code,
                "numbers": ["13800138000", "057188886666", "13900000004"],
                "script_scene": SCENE,
                "script": SCRIPT,
            },
        )
    ]


def test_a_list_with_nothing_new_adds_nothing_and_writes_no_event(
    preparer: User, filed: Any
) -> None:
    add_numbers(preparer, filed, ["13800000001"])
    start = head()

    report = numbers.numbers_add(actor=preparer, company=filed, items=lines(["13800000001", "x"]))

    assert report.added == []
    assert len(report.refused) == 2
    assert events_after(start) == []
    assert PhoneNumber.objects.count() == 1


def test_only_preparers_add_numbers(reviewer: User, auditor: User, filed: Any) -> None:
    start = head()
    for actor in (reviewer, auditor):
        with pytest.raises(errors.NotPermitted):
            numbers.numbers_add(actor=actor, company=filed, items=lines(["13800000001"]))

    assert not PhoneNumber.objects.exists()
    assert events_after(start) == []


def test_a_list_past_ten_thousand_items_is_refused_whole(preparer: User, filed: Any) -> None:
    with pytest.raises(errors.FilingsError, match="more than 10,000 numbers"):
        numbers.numbers_add(actor=preparer, company=filed, items=lines(mobiles(10_001)))

    assert not PhoneNumber.objects.exists()


# --- filing ---------------------------------------------------------------------------------

SCRIPT_A = "您好，这里是火山示例售后，回访您的使用情况。"
SCRIPT_B = "您好，这里是火山示例快递，您的包裹已到。"


def test_250_numbers_with_two_scripts_become_four_filings_of_at_most_100(
    preparer: User, filed: Any
) -> None:
    first = add_numbers(preparer, filed, mobiles(130), script=SCRIPT_A)
    second = add_numbers(preparer, filed, mobiles(120, start=130), script=SCRIPT_B)
    start = head()

    result = numbers.numbers_file(
        actor=preparer, numbers=[n.pk for n in [*second, *first]], action=ADD
    )

    assert result.refused == []
    by_script: dict[str, list[list[str]]] = {}
    for filing in result.filings:
        filing = fresh(filing)
        assert (filing.kind, filing.number_action, filing.status) == ("number", ADD, "DRAFT")
        assert (filing.company_id, filing.script_scene) == (filed.pk, SCENE)
        carried = list(filing.filing_numbers.order_by("digits").values_list("digits", flat=True))
        by_script.setdefault(filing.script, []).append(carried)
    assert by_script == {
        SCRIPT_A: [mobiles(100), mobiles(30, start=100)],
        SCRIPT_B: [mobiles(100, start=130), mobiles(20, start=230)],
    }
    assert all(len(f.filing_numbers.all()) <= MAX_NUMBERS for f in result.filings)
    # Each number is in exactly one filing, and that filing is its open filing.
    entries = FilingNumber.objects.all()
    assert Counter(entries.values_list("number_id", flat=True)) == Counter(
        {n.pk: 1 for n in [*first, *second]}
    )
    for entry in entries.select_related("number"):
        assert entry.number.open_filing_id == entry.filing_id
    assert events_after(start) == [
        row(
            "filing.created",
            preparer,
            "filing",
            filing.pk,
            filing=filing,
            data={
                "company": filed.credit_code,
                "kind": "number",
                "number_action": ADD,
                "numbers": list(
                    filing.filing_numbers.order_by("digits").values_list("digits", flat=True)
                ),
                "script_scene": SCENE,
                "script": filing.script,
            },
        )
        for filing in result.filings
    ]

    # Filing them again finds every one already in a filing.
    again = head()
    repeat = numbers.numbers_file(actor=preparer, numbers=[n.pk for n in first[:2]], action=ADD)

    assert repeat.filings == []
    assert repeat.refused == [
        (n.digits, f"already in number filing #{fresh_number(n).open_filing_id}") for n in first[:2]
    ]
    assert events_after(again) == []


def fresh_number(number: PhoneNumber) -> PhoneNumber:
    return PhoneNumber.objects.get(pk=number.pk)


def test_an_action_the_state_does_not_fit_is_refused_per_number(
    preparer: User, reviewer: User, filed: Any
) -> None:
    (draft,) = add_numbers(preparer, filed, ["13800000001"])
    (live,) = live_numbers(preparer, reviewer, filed, ["13800000002"])

    update = numbers.numbers_file(actor=preparer, numbers=[draft.pk, live.pk], action=UPDATE)
    add = numbers.numbers_file(actor=preparer, numbers=[live.pk], action=ADD)

    assert [f.number_action for f in update.filings] == [UPDATE]
    assert list(update.filings[0].filing_numbers.values_list("digits", flat=True)) == [
        "13800000002"
    ]
    assert update.refused == [
        ("13800000001", "it is Draft: “Change the numbers' script” is for Live numbers")
    ]
    assert add.filings == []
    assert add.refused == [("13800000002", f"already in number filing #{update.filings[0].pk}")]
    with pytest.raises(errors.FilingsError, match="“remove” is not a number filing action"):
        numbers.numbers_file(actor=preparer, numbers=[draft.pk], action="remove")


def test_the_same_number_of_two_companies_is_in_one_open_filing_at_a_time(
    preparer: User, reviewer: User, filed: Any, other: Any
) -> None:
    (mine,) = add_numbers(preparer, filed, ["13700000001"])
    (theirs,) = add_numbers(preparer, other, ["13700000001"])  # a draft elsewhere is no obstacle
    first = numbers.numbers_file(actor=preparer, numbers=[mine.pk], action=ADD)
    start = head()

    second = numbers.numbers_file(actor=preparer, numbers=[theirs.pk], action=ADD)

    (filing,) = first.filings
    assert second.filings == []
    assert second.refused == [
        ("13700000001", f"already used by {filed.name} (in number filing #{filing.pk})")
    ]
    assert events_after(start) == []
    assert fresh_number(theirs).open_filing_id is None

    # Once Volcengine has it for the first company, it is taken for the other one.
    upload_letter(preparer, filing)
    received(reviewer, approve(preparer, reviewer, fresh(filing)))
    assert fresh_number(mine).state == "pending"
    third = numbers.numbers_file(actor=preparer, numbers=[theirs.pk], action=ADD)
    assert third.filings == []
    assert third.refused == [
        ("13700000001", f"already used by {filed.name} (Pending at Volcengine)")
    ]


def test_the_same_number_of_two_companies_chosen_together_is_filed_once(
    preparer: User, filed: Any, other: Any
) -> None:
    (mine,) = add_numbers(preparer, filed, ["13700000001"])
    (theirs,) = add_numbers(preparer, other, ["13700000001"])

    result = numbers.numbers_file(actor=preparer, numbers=[theirs.pk, mine.pk], action=ADD)

    (filing,) = result.filings
    assert filing.company_id == filed.pk
    assert result.refused == [
        ("13700000001", f"also chosen for {filed.name}: file it for one company at a time")
    ]
    assert (fresh_number(mine).open_filing_id, fresh_number(theirs).open_filing_id) == (
        filing.pk,
        None,
    )


def test_taking_a_number_out_frees_it_for_another_filing(
    preparer: User, preparer2: User, filed: Any
) -> None:
    filing = number_filing(preparer, filed, ["13800000001", "13800000002", "13800000003"])
    out = PhoneNumber.objects.get(digits="13800000002")
    start = head()

    numbers.filing_number_remove(actor=preparer2, filing=filing, number=out)

    assert list(filing.filing_numbers.values_list("digits", flat=True)) == [
        "13800000001",
        "13800000003",
    ]
    assert fresh_number(out).open_filing_id is None
    assert fresh(filing).updated_by == preparer2
    assert events_after(start) == [
        row(
            "filing.number_removed",
            preparer2,
            "filing",
            filing.pk,
            filing=filing,
            data={"number": "13800000002"},
        )
    ]
    # Not in it any more: refused, nothing written.
    again = head()
    with pytest.raises(errors.FilingsError) as caught:
        numbers.filing_number_remove(actor=preparer2, filing=filing, number=out)
    assert caught.value.message == "13800000002 is not in this filing."
    assert events_after(again) == []
    # Free to be filed again, in a filing of its own.
    refiled = numbers.numbers_file(actor=preparer, numbers=[out.pk], action=ADD)
    assert [fresh_number(out).open_filing_id] == [f.pk for f in refiled.filings]


def test_taking_a_number_out_of_an_approved_filing_voids_the_approval(
    preparer: User, reviewer: User, filed: Any
) -> None:
    filing = approve(
        preparer, reviewer, number_filing(preparer, filed, ["13800000001", "13800000002"])
    )
    approved_hash = filing.approved_hash
    out = PhoneNumber.objects.get(digits="13800000001")
    start = head()

    numbers.filing_number_remove(actor=preparer, filing=filing, number=out)

    filing = fresh(filing)
    assert (filing.status, filing.approved_hash, filing.approved_by) == ("DRAFT", "", None)
    assert events_after(start) == [
        row(
            "filing.number_removed",
            preparer,
            "filing",
            filing.pk,
            filing=filing,
            data={"number": "13800000001"},
        ),
        row(
            "filing.approval_voided",
            preparer,
            "filing",
            filing.pk,
            filing=filing,
            data={
                "reason": "filing.number_removed",
                "approved_hash": approved_hash,
                "approved_by": reviewer.pk,
            },
        ),
    ]


def test_a_number_cannot_be_taken_out_of_a_filing_in_review(preparer: User, filed: Any) -> None:
    filing = number_filing(preparer, filed, ["13800000001", "13800000002"])
    review.filing_submit(actor=preparer, filing=filing)
    start = head()

    with pytest.raises(errors.FilingsError) as caught:
        numbers.filing_number_remove(
            actor=preparer, filing=filing, number=PhoneNumber.objects.get(digits="13800000001")
        )

    assert caught.value.message == str(errors.NOT_EDITABLE).format(status="In review")
    assert filing.filing_numbers.count() == 2
    assert events_after(start) == []


def test_a_number_s_script_changes_only_while_it_is_in_no_filing(
    preparer: User, filed: Any
) -> None:
    (number,) = add_numbers(preparer, filed, ["13800000001"])
    start = head()

    numbers.number_update(actor=preparer, number=number, script_scene=" 售后 ", script=SCRIPT_A)

    number = fresh_number(number)
    assert (number.script_scene, number.script) == ("售后", SCRIPT_A)
    assert events_after(start) == [
        row(
            "number.updated",
            preparer,
            "phonenumber",
            number.pk,
            data={
                "number": "13800000001",
                "before": {"script_scene": SCENE, "script": SCRIPT},
                "after": {"script_scene": "售后", "script": SCRIPT_A},
            },
        )
    ]

    filing = file_numbers(preparer, [number])
    filed_at = head()
    with pytest.raises(errors.FilingsError) as caught:
        numbers.number_update(actor=preparer, number=number, script_scene=SCENE, script=SCRIPT)

    assert caught.value.message == str(errors.NUMBER_IN_FILING).format(
        number="13800000001", filing=filing.pk
    )
    number = fresh_number(number)
    assert (number.script_scene, number.script) == ("售后", SCRIPT_A)
    assert events_after(filed_at) == []


# --- the body per action --------------------------------------------------------------------


def sent_body(filing: Filing) -> tuple[bytes, str]:
    """The exact bytes prepare_send makes, and the letter URL in them (checked here to be a
    fetch URL of the filing's current letter); the URL is fresh on each call."""
    prepared = sending.prepare_send(fresh(filing))
    assert prepared.action == "Click2CallNumberAuth"
    assert prepared.content_hash == filing.approved_hash
    payload = json.loads(prepared.body)
    url = payload.get("businessUsageCommitmentletterPicUrl", "")
    if url:
        assert url.startswith(f"{PUBLIC}/d/")
        token = url.removeprefix(f"{PUBLIC}/d/").split("/")[0]
        letter = filing.documents.get(kind=LETTER, superseded_at__isnull=True)
        assert document_uuid_from_fetch_token(token) == letter.uuid
    return prepared.body, url


def test_the_add_body_byte_for_byte(preparer: User, reviewer: User, filed: Any) -> None:
    filing = approve(
        preparer,
        reviewer,
        number_filing(preparer, filed, ["13800000002", "0571-88886666", "13800000001"]),
    )

    body, url = sent_body(filing)

    assert (
        body
        == (
            '{"companyName":"火山示例科技有限公司","companyCreditCode":"91350100M000100Y43",'
            '"action":"add","aNumbers":"057188886666,13800000001,13800000002",'
            f'"businessUsageCommitmentletterPicUrl":"{url}",'
            f'"businessUsageCommitmentletterPicFilename":"{LETTER_NAME}",'
            f'"script":"{SCRIPT}","scriptScene":"{SCENE}"}}'
        ).encode()
    )


def test_the_update_body_byte_for_byte(preparer: User, reviewer: User, filed: Any) -> None:
    found = live_numbers(preparer, reviewer, filed, ["13800000001", "13800000002"])
    for number in found:
        numbers.number_update(actor=preparer, number=number, script_scene="售后", script=SCRIPT_A)
    filing = approve(preparer, reviewer, file_numbers(preparer, found, UPDATE))

    body, url = sent_body(filing)

    assert (
        body
        == (
            '{"companyName":"火山示例科技有限公司","companyCreditCode":"91350100M000100Y43",'
            '"action":"update","aNumbers":"13800000001,13800000002",'
            f'"businessUsageCommitmentletterPicUrl":"{url}",'
            f'"businessUsageCommitmentletterPicFilename":"{LETTER_NAME}",'
            f'"script":"{SCRIPT_A}","scriptScene":"售后"}}'
        ).encode()
    )


def test_the_delete_body_has_no_letter_and_no_script(
    preparer: User, reviewer: User, filed: Any
) -> None:
    found = live_numbers(preparer, reviewer, filed, ["13800000001", "057188886666"])
    filing = approve(preparer, reviewer, file_numbers(preparer, found, DELETE))

    body, url = sent_body(filing)

    assert url == ""
    assert (
        body
        == (
            '{"companyName":"火山示例科技有限公司","companyCreditCode":"91350100M000100Y43",'
            '"action":"delete","aNumbers":"057188886666,13800000001"}'
        ).encode()
    )


def test_a_letter_cannot_be_uploaded_to_a_delete_filing(
    preparer: User, reviewer: User, filed: Any
) -> None:
    found = live_numbers(preparer, reviewer, filed, ["13800000001"])
    filing = file_numbers(preparer, found, DELETE)

    with pytest.raises(errors.FilingsError):
        upload_letter(preparer, filing)


# --- pre-flight -----------------------------------------------------------------------------

NO_COMPANY_FILING = "Company filing: none yet — file the company before its numbers"


def test_a_number_filing_of_a_company_never_filed_cannot_be_submitted(
    preparer: User, company: Any
) -> None:
    filing = number_filing(preparer, company, ["13800000001"])
    start = head()

    with pytest.raises(errors.PreflightFailed) as caught:
        review.filing_submit(actor=preparer, filing=filing)

    assert caught.value.problems == [NO_COMPANY_FILING]
    assert fresh(filing).status == "DRAFT"
    assert events_after(start) == []


def test_a_number_filing_waits_for_the_company_filing_in_review(
    preparer: User, reviewer: User
) -> None:
    company_filing = in_review(preparer)
    filing = number_filing(preparer, company_filing.company, ["13800000001"])

    with pytest.raises(errors.PreflightFailed) as caught:
        review.filing_submit(actor=preparer, filing=filing)

    assert caught.value.problems == [
        "Company filing: it is “In review” — numbers can be filed once it is submitted"
    ]
    received(reviewer, approve_in_review(reviewer, company_filing))
    review.filing_submit(actor=preparer, filing=filing)
    assert fresh(filing).status == "IN_REVIEW"


def approve_in_review(reviewer: User, filing: Filing) -> Filing:
    review.filing_approve(actor=reviewer, filing=filing, seen_hash=content_hash(fresh(filing)))
    return fresh(filing)


def test_a_new_company_filing_stops_the_send_of_an_approved_number_filing(
    preparer: User, reviewer: User, filed: Any
) -> None:
    filing = approve(preparer, reviewer, number_filing(preparer, filed, ["13800000001"]))
    editing.filing_create(
        actor=preparer, company=filed, callee_source="网站", business_carrier="火山示例"
    )

    with pytest.raises(errors.PreflightFailed) as caught:
        sending.prepare_send(fresh(filing))

    assert caught.value.problems == [
        "Company filing: it is “Draft” — numbers can be filed once it is submitted"
    ]
    with pytest.raises(errors.PreflightFailed):
        sending.filing_send(actor=reviewer, filing=filing)
    assert fresh(filing).status == "APPROVED"
    assert not filing.submissions.exists()


def test_an_add_filing_needs_its_letter_script_and_scene(preparer: User, filed: Any) -> None:
    found = add_numbers(preparer, filed, ["13800000001"], scene="", script="")
    result = numbers.numbers_file(actor=preparer, numbers=[found[0].pk], action=ADD)
    (filing,) = result.filings

    with pytest.raises(errors.PreflightFailed) as caught:
        review.filing_submit(actor=preparer, filing=filing)

    assert caught.value.problems == [
        "Business-usage commitment letter (业务使用承诺书): missing — upload it",
        "Scene: not filled in",
        "Script: not filled in",
    ]


# --- four-eyes ------------------------------------------------------------------------------


def test_whoever_added_one_of_the_numbers_cannot_approve(
    preparer: User, reviewer: User, superuser: User, filed: Any
) -> None:
    found = add_numbers(superuser, filed, ["13800000001"])
    found += add_numbers(preparer, filed, ["13800000002"])
    filing = file_numbers(preparer, found)
    review.filing_submit(actor=preparer, filing=filing)
    start = head()

    with pytest.raises(errors.NotPermitted) as caught:
        review.filing_approve(actor=superuser, filing=filing, seen_hash=content_hash(filing))

    assert caught.value.message == str(errors.FOUR_EYES)
    assert has_changed(filing.pk, superuser.pk)
    assert not has_changed(filing.pk, reviewer.pk)
    assert events_after(start) == []
    review.filing_approve(actor=reviewer, filing=filing, seen_hash=content_hash(fresh(filing)))
    assert fresh(filing).status == "APPROVED"


def test_whoever_filed_the_numbers_cannot_approve(
    preparer: User, reviewer: User, superuser: User, filed: Any
) -> None:
    filing = file_numbers(superuser, add_numbers(preparer, filed, ["13800000001"]))
    review.filing_submit(actor=preparer, filing=filing)

    with pytest.raises(errors.NotPermitted) as caught:
        review.filing_approve(actor=superuser, filing=filing, seen_hash=content_hash(filing))

    assert caught.value.message == str(errors.FOUR_EYES)
    assert fresh(filing).status == "IN_REVIEW"


def test_whoever_took_a_number_out_cannot_approve(
    preparer: User, superuser: User, filed: Any
) -> None:
    filing = number_filing(preparer, filed, ["13800000001", "13800000002"])
    numbers.filing_number_remove(
        actor=superuser, filing=filing, number=PhoneNumber.objects.get(digits="13800000002")
    )
    review.filing_submit(actor=preparer, filing=filing)

    with pytest.raises(errors.NotPermitted):
        review.filing_approve(actor=superuser, filing=filing)


# --- after the send: pending, and Volcengine's decision --------------------------------------


def test_received_numbers_are_pending_and_free_for_the_next_filing(
    preparer: User, reviewer: User, filed: Any
) -> None:
    filing = approve(
        preparer, reviewer, number_filing(preparer, filed, ["13800000002", "13800000001"])
    )
    start = head()

    received(reviewer, filing)

    kinds = [event["kind"] for event in events_after(start)]
    assert kinds == [
        "submission.sent",
        "filing.reconciled",
        "numbers.state_changed",
        "filing.resolved",
    ]
    assert events_after(start)[2:] == [
        row(
            "numbers.state_changed",
            reviewer,
            "filing",
            filing.pk,
            filing=filing,
            data={"state": "pending", "numbers": ["13800000001", "13800000002"]},
        ),
        row(
            "filing.resolved",
            reviewer,
            "filing",
            filing.pk,
            filing=filing,
            data={"status": "SUBMITTED", "note": EVIDENCE},
        ),
    ]
    assert numbers_of(filed) == {
        "13800000001": ("pending", None),
        "13800000002": ("pending", None),
    }
    # The numbers moved on with the filing: its page's checks still pass.
    assert failed(content_checks(fresh(filing))) == []


def test_a_received_delete_delists_the_numbers(preparer: User, reviewer: User, filed: Any) -> None:
    found = live_numbers(preparer, reviewer, filed, ["13800000001", "13800000002"])
    filing = approve(preparer, reviewer, file_numbers(preparer, found[:1], DELETE))
    start = head()

    received(reviewer, filing)

    assert events_after(start)[2] == row(
        "numbers.state_changed",
        reviewer,
        "filing",
        filing.pk,
        filing=filing,
        data={"state": "delisted", "numbers": ["13800000001"]},
    )
    assert numbers_of(filed) == {
        "13800000001": ("delisted", None),
        "13800000002": ("live", None),
    }
    assert failed(content_checks(fresh(filing))) == []


def test_filing_more_numbers_at_once_than_the_limit_is_refused_whole(
    settings: Any, preparer: User, monkeypatch: pytest.MonkeyPatch, filed: Any
) -> None:
    monkeypatch.setattr(numbers, "MAX_FILED_AT_ONCE", 2)
    found = add_numbers(preparer, filed, ["13800000001", "13800000002", "13800000003"])
    start = head()
    with pytest.raises(errors.FilingsError) as refused:
        numbers.numbers_file(actor=preparer, numbers=[n.pk for n in found], action=ADD)
    assert refused.value.message == str(errors.TOO_MANY_NUMBERS).format(limit=2)
    assert events_after(start) == []
