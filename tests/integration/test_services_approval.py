"""What an approval needs and what voids it: nobody approves a filing they edited (four eyes),
and any edit of approved content voids the approval."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from filings import errors
from filings.content import content_hash
from filings.models import CallScript, Document, Filing
from filings.services import editing, review, sending
from filings.services.documents import (
    Upload,
    document_remove,
    document_upload,
    document_upload_sides,
)
from tests.audit_rows import events_after, head, row
from tests.builders import (
    KINDS,
    VALID_CODES,
    approved_filing,
    complete_filing,
    fresh,
    in_review,
    stuck_in_sending,
)
from tests.builders import image as jpeg
from tests.conftest import role
from tests.snapshots import refused, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]


# --- helpers


@pytest.fixture
def both(db: None) -> User:
    """One person in the Preparer and the Reviewer group: may edit and approve."""
    user = User.objects.create_user("both", password="both-pw-123!", is_staff=True)
    user.groups.add(role("Preparer"), role("Reviewer"))
    return user


# --- four-eyes


def four_eyes(actor: User, filing: Filing) -> None:
    error = refused(errors.NotPermitted, lambda: review.filing_approve(actor=actor, filing=filing))
    assert error.message == str(errors.FOUR_EYES)


def test_four_eyes_the_creator_cannot_approve(superuser: User, reviewer: User) -> None:
    filing = complete_filing(superuser)
    review.filing_submit(actor=superuser, filing=filing)

    four_eyes(superuser, filing)
    review.filing_approve(actor=reviewer, filing=filing)
    assert fresh(filing).status == "APPROVED"


def test_four_eyes_a_creator_in_both_groups_cannot_approve(
    both: User, preparer: User, reviewer: User
) -> None:
    filing = complete_filing(both)
    editing.filing_update(actor=preparer, filing=filing, callee_source="公众号")
    review.filing_submit(actor=preparer, filing=filing)

    four_eyes(both, filing)


EDITS: dict[str, Callable[[User, Filing], object]] = {
    "field": lambda actor, filing: editing.filing_update(
        actor=actor, filing=filing, callee_source="公众号"
    ),
    "script add": lambda actor, filing: editing.script_add(
        actor=actor, filing=filing, scene="新", content="新话术"
    ),
    "script update": lambda actor, filing: editing.script_update(
        actor=actor, script=filing.scripts.first(), content="改过的话术"
    ),
    "script delete": lambda actor, filing: editing.script_delete(
        actor=actor, script=filing.scripts.last()
    ),
    "document replace": lambda actor, filing: document_upload(
        actor=actor, filing=filing, kind=KINDS[0], upload=Upload("n.jpg", jpeg(30))
    ),
    "document sides": lambda actor, filing: document_upload_sides(
        actor=actor,
        filing=filing,
        kind="operatorIdcard",
        front=Upload("f.jpg", jpeg(31)),
        back=Upload("b.jpg", jpeg(32)),
    ),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_four_eyes_the_last_editor_cannot_approve_even_if_someone_else_submits(
    edit: str, both: User, preparer: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    EDITS[edit](both, filing)
    review.filing_submit(actor=preparer, filing=filing)

    four_eyes(both, filing)
    review.filing_approve(actor=reviewer, filing=filing)
    assert fresh(filing).approved_by == reviewer


@pytest.mark.parametrize("edit", list(EDITS))
def test_four_eyes_a_superuser_who_edited_cannot_approve(
    edit: str, superuser: User, preparer: User
) -> None:
    filing = complete_filing(preparer)
    EDITS[edit](superuser, filing)
    review.filing_submit(actor=superuser, filing=filing)

    four_eyes(superuser, filing)


def test_four_eyes_submitting_or_reworking_does_not_hide_the_last_editor(
    both: User, preparer: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    editing.filing_update(actor=both, filing=filing, callee_source="公众号")
    review.filing_submit(actor=preparer, filing=filing)
    assert fresh(filing).updated_by == both
    review.filing_approve(actor=reviewer, filing=filing)
    stuck_in_sending(reviewer, filing)
    Filing.objects.filter(pk=filing.pk).update(
        sending_started_at=timezone.now() - timedelta(hours=1)
    )
    sending.reconcile_sending(actor=reviewer, older_than=timedelta(minutes=15))
    review.filing_resolve(actor=reviewer, filing=filing, status="REJECTED", note="被拒")
    review.filing_rework(actor=preparer, filing=filing)
    review.filing_submit(actor=preparer, filing=filing)

    four_eyes(both, filing)


def test_four_eyes_a_company_edit_counts_as_an_edit_of_its_open_filings(
    both: User, preparer: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    editing.company_update(
        actor=both, company=filing.company, name="改名有限公司", credit_code=VALID_CODES[0]
    )
    # Someone else edits after, so `both` is not the last editor; the company edit remains.
    editing.filing_update(actor=preparer, filing=filing, callee_source="公众号")
    review.filing_submit(actor=preparer, filing=filing)
    assert fresh(filing).updated_by == preparer

    four_eyes(both, filing)
    review.filing_approve(actor=reviewer, filing=filing)
    assert fresh(filing).approved_hash == content_hash(fresh(filing))


def test_four_eyes_an_uploader_of_a_document_cannot_approve_even_once_it_is_replaced(
    both: User, preparer: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    document_upload(actor=both, filing=filing, kind=KINDS[2], upload=Upload("x.jpg", jpeg(50)))
    # Someone else edits after, so `both` is not the last editor; only the document remains.
    editing.filing_update(actor=preparer, filing=filing, callee_source="公众号")
    review.filing_submit(actor=preparer, filing=filing)
    assert fresh(filing).updated_by == preparer

    four_eyes(both, filing)

    # Once that document is replaced by someone else, `both` still changed the filing once.
    review.filing_withdraw(actor=preparer, filing=filing)
    document_upload(actor=preparer, filing=filing, kind=KINDS[2], upload=Upload("y.jpg", jpeg(51)))
    review.filing_submit(actor=preparer, filing=filing)
    four_eyes(both, filing)
    review.filing_approve(actor=reviewer, filing=filing)
    assert fresh(filing).approved_by == reviewer


def test_four_eyes_a_front_side_upload_counts(both: User, preparer: User) -> None:
    filing = complete_filing(preparer)
    document_upload_sides(
        actor=both,
        filing=filing,
        kind="operatorIdcard",
        front=Upload("f.jpg", jpeg(60)),
        back=Upload("b.jpg", jpeg(61)),
    )
    editing.filing_update(actor=preparer, filing=filing, callee_source="公众号")
    review.filing_submit(actor=preparer, filing=filing)
    four_eyes(both, filing)


def test_four_eyes_someone_in_both_groups_may_approve_others_work(
    both: User, preparer: User
) -> None:
    filing = in_review(preparer)
    review.filing_approve(actor=both, filing=filing)
    assert fresh(filing).approved_by == both


# --- voiding


VOIDING_EDITS: dict[str, tuple[str, Callable[[User, Filing], object]]] = {
    "field": ("filing.updated", EDITS["field"]),
    "script add": ("script.created", EDITS["script add"]),
    "script update": ("script.updated", EDITS["script update"]),
    "script delete": ("script.deleted", EDITS["script delete"]),
    "document replace": ("document.replaced", EDITS["document replace"]),
    "document sides": ("document.replaced", EDITS["document sides"]),
    "document remove": (
        "document.removed",
        lambda actor, filing: document_remove(actor=actor, filing=filing, kind=KINDS[3]),
    ),
    "company update": (
        "company.updated",
        lambda actor, filing: editing.company_update(
            actor=actor, company=filing.company, name="改名有限公司", credit_code=VALID_CODES[0]
        ),
    ),
}
VOID_REASONS = {
    "document.replaced": "document.uploaded",
}
# A company edit is recorded on the company, then on each of its open filings.
LINKED_EVENTS = {"company.updated": ["filing.company_changed"]}


@pytest.mark.parametrize("edit", list(VOIDING_EDITS))
def test_an_edit_voids_the_approval(
    edit: str, preparer: User, preparer2: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    approved_hash = filing.approved_hash
    other = approved_filing(preparer, reviewer, code=VALID_CODES[1])
    kind, change = VOIDING_EDITS[edit]
    start = head()

    change(preparer2, fresh(filing))

    filing = fresh(filing)
    assert filing.status == "DRAFT"
    assert (filing.approved_hash, filing.approved_by, filing.approved_at) == ("", None, None)
    assert content_hash(filing) != approved_hash
    events = events_after(start)
    assert [e["kind"] for e in events] == [
        kind,
        *LINKED_EVENTS.get(kind, []),
        "filing.approval_voided",
    ]
    assert events[-1] == row(
        "filing.approval_voided",
        preparer2,
        "filing",
        filing.pk,
        filing=filing,
        data={
            "reason": VOID_REASONS.get(kind, kind),
            "approved_hash": approved_hash,
            "approved_by": reviewer.pk,
        },
    )
    # Another company's approved filing is untouched.
    assert fresh(other).status == "APPROVED"
    # The edited filing goes through review again, bound to its new content.
    if edit == "document remove":
        document_upload(
            actor=preparer2, filing=filing, kind=KINDS[3], upload=Upload("r.jpg", jpeg(70))
        )
    review.filing_submit(actor=preparer2, filing=filing)
    review.filing_approve(actor=reviewer, filing=filing)
    filing = fresh(filing)
    assert filing.approved_hash == content_hash(filing) != approved_hash


@pytest.mark.parametrize("edit", list(VOIDING_EDITS))
def test_an_edit_through_a_copy_loaded_before_approval_still_voids_it(
    edit: str, preparer: User, preparer2: User, reviewer: User
) -> None:
    # The services go by the filing's state in the database, not by the caller's copy.
    filing = in_review(preparer)
    stale = fresh(filing)
    review.filing_approve(actor=reviewer, filing=filing)
    kind, change = VOIDING_EDITS[edit]
    start = head()

    change(preparer2, stale)

    filing = fresh(filing)
    assert (filing.status, filing.approved_hash) == ("DRAFT", "")
    assert [e["kind"] for e in events_after(start)] == [
        kind,
        *LINKED_EVENTS.get(kind, []),
        "filing.approval_voided",
    ]


def test_an_unchanged_save_does_not_void(preparer: User, reviewer: User) -> None:
    filing = approved_filing(preparer, reviewer)
    before = snapshot()
    editing.filing_update(actor=preparer, filing=filing, callee_source=filing.callee_source)
    editing.company_update(
        actor=preparer,
        company=filing.company,
        name=filing.company.name,
        credit_code=filing.company.credit_code,
    )
    assert snapshot() == before


def test_prepare_send_refuses_content_changed_behind_the_services_back(
    preparer: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    prepared = sending.prepare_send(filing)
    assert prepared.content_hash == filing.approved_hash
    assert "您好，您的快递已到。" in prepared.body_text

    CallScript.objects.filter(filing=filing, position=1).update(content="偷偷改过")

    error = refused(errors.FilingsError, lambda: sending.prepare_send(fresh(filing)))
    assert error.message == str(errors.CONTENT_CHANGED)
    # Sending refuses too, before anything leaves or changes state.
    refused(errors.FilingsError, lambda: sending.filing_send(actor=reviewer, filing=filing))
    assert fresh(filing).status == "APPROVED"


def test_prepare_send_refuses_a_document_swapped_behind_the_services_back(
    preparer: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    Document.objects.filter(filing=filing, kind=KINDS[0]).update(sha256="0" * 64)
    error = refused(errors.FilingsError, lambda: sending.prepare_send(fresh(filing)))
    assert error.message == str(errors.CONTENT_CHANGED)
