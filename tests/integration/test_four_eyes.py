"""Four-eyes: whoever ever changed a filing's content may not approve it, and does not see it in
their review queue. The approve service and the queue ask the same question of the audit trail."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from filings import errors
from filings.four_eyes import CONTENT_EVENT_KINDS, has_changed
from filings.models import AuditEvent, Document, Filing
from filings.selectors import review_queue
from filings.services import editing, numbers, review
from filings.services.documents import (
    Upload,
    document_remove,
    document_set_valid_until,
    document_upload,
)
from tests.builders import KINDS, VALID_CODES, complete_filing, image
from tests.number_builders import add_numbers, file_numbers
from tests.snapshots import snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]

LICENCE = Document.Kind.BUSINESS_LICENSE.value
LETTER = Document.Kind.NETWORK_ACCESS_LETTER.value


@pytest.fixture
def dual(reviewer: User) -> User:
    """A reviewer who may also prepare: the person four-eyes is about."""
    reviewer.groups.add(Group.objects.get(name="Preparer"))
    return User.objects.get(pk=reviewer.pk)  # fresh permission cache


def queue_ids(user: User) -> list[int]:
    return [filing.pk for filing in review_queue(user.pk)]


def others_edit_last(preparer: User, filing: Filing) -> None:
    """The preparer edits after the person under test, so only the history can name them."""
    editing.filing_update(
        actor=preparer, filing=filing, business_carrier="火山示例（北京）有限公司"
    )


def submitted(preparer: User, filing: Filing) -> Filing:
    review.filing_submit(actor=preparer, filing=filing)
    filing = Filing.objects.get(pk=filing.pk)
    assert filing.status == Filing.Status.IN_REVIEW
    return filing


# Each takes (the person under test, the preparer) and returns a filing in review whose content
# that person changed once, though they are neither its creator, nor its last editor, nor the
# uploader of any of its current documents.


def _superseded_upload(person: User, preparer: User) -> Filing:
    filing = complete_filing(preparer)
    document_upload(actor=person, filing=filing, kind=LETTER, upload=Upload("a.jpg", image(40)))
    document_upload(actor=preparer, filing=filing, kind=LETTER, upload=Upload("b.jpg", image(41)))
    others_edit_last(preparer, filing)
    return submitted(preparer, filing)


def _removed_document(person: User, preparer: User) -> Filing:
    filing = complete_filing(preparer)
    document_remove(actor=person, filing=filing, kind=LETTER)
    document_upload(actor=preparer, filing=filing, kind=LETTER, upload=Upload("c.jpg", image(42)))
    others_edit_last(preparer, filing)
    return submitted(preparer, filing)


def _earlier_field_edit(person: User, preparer: User) -> Filing:
    filing = complete_filing(preparer)
    editing.filing_update(actor=person, filing=filing, callee_source="官网与公众号")
    others_edit_last(preparer, filing)
    return submitted(preparer, filing)


def _earlier_script_edit(person: User, preparer: User) -> Filing:
    filing = complete_filing(preparer)
    script = filing.scripts.first()
    assert script is not None
    editing.script_update(actor=person, script=script, content="您好，这里是快递客服。")
    others_edit_last(preparer, filing)
    return submitted(preparer, filing)


def _deleted_script(person: User, preparer: User) -> Filing:
    filing = complete_filing(preparer)
    script = filing.scripts.last()
    assert script is not None
    editing.script_delete(actor=person, script=script)
    others_edit_last(preparer, filing)
    return submitted(preparer, filing)


def _company_edit(person: User, preparer: User) -> Filing:
    filing = complete_filing(preparer)
    editing.company_update(
        actor=person, company=filing.company, name="改名有限公司", credit_code=VALID_CODES[0]
    )
    others_edit_last(preparer, filing)
    return submitted(preparer, filing)


def _created(person: User, preparer: User) -> Filing:
    filing = complete_filing(person)
    for kind in KINDS:
        document_upload(actor=preparer, filing=filing, kind=kind, upload=Upload("n.jpg", image(50)))
    others_edit_last(preparer, filing)
    return submitted(preparer, filing)


CHANGES: dict[str, Callable[[User, User], Filing]] = {
    "superseded-upload": _superseded_upload,
    "removed-document": _removed_document,
    "earlier-field-edit": _earlier_field_edit,
    "earlier-script-edit": _earlier_script_edit,
    "deleted-script": _deleted_script,
    "company-edit": _company_edit,
    "created": _created,
}


@pytest.mark.parametrize("who", ["dual", "superuser"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_whoever_ever_changed_the_content_cannot_approve_nor_sees_it_queued(
    request: pytest.FixtureRequest, preparer: User, reviewer2: User, change: str, who: str
) -> None:
    person = request.getfixturevalue(who)
    filing = CHANGES[change](person, preparer)
    # The facts the old rule looked at no longer name this person.
    assert person.pk not in (filing.created_by_id, filing.updated_by_id) or change == "created"
    assert not filing.documents.filter(uploaded_by=person, superseded_at__isnull=True).exists()
    before = snapshot()

    with pytest.raises(errors.NotPermitted) as caught:
        review.filing_approve(actor=person, filing=filing)

    assert caught.value.message == str(errors.FOUR_EYES)
    assert snapshot() == before
    assert filing.pk not in queue_ids(person)
    # An uninvolved reviewer sees it and may approve it.
    assert filing.pk in queue_ids(reviewer2)
    review.filing_approve(actor=reviewer2, filing=filing)
    assert Filing.objects.get(pk=filing.pk).approved_by == reviewer2


def test_the_review_page_says_so_and_offers_no_approval(
    client: Client, dual: User, preparer: User, reviewer2: User
) -> None:
    filing = _superseded_upload(dual, preparer)
    client.force_login(dual)

    page = client.get(reverse("admin:filings_filing_review", args=[filing.pk]))

    assert (page.context["own_work"], page.context["may_approve"]) == (True, False)
    assert 'value="approve"' not in page.content.decode()
    queue = client.get(reverse("admin:filings_filing_review_queue"))
    assert filing.pk not in [f.pk for f in queue.context["filings"]]

    client.force_login(reviewer2)
    page = client.get(reverse("admin:filings_filing_review", args=[filing.pk]))
    assert (page.context["own_work"], page.context["may_approve"]) == (False, True)
    queue = client.get(reverse("admin:filings_filing_review_queue"))
    assert filing.pk in [f.pk for f in queue.context["filings"]]


def test_reviewing_submitting_or_withdrawing_is_not_changing_content(
    dual: User, preparer: User, reviewer2: User
) -> None:
    filing = complete_filing(preparer)
    review.filing_submit(actor=dual, filing=filing)
    review.filing_withdraw(actor=dual, filing=filing)
    review.filing_submit(actor=dual, filing=filing)
    review.filing_request_changes(actor=reviewer2, filing=filing, comment="请盖章")
    review.filing_submit(actor=preparer, filing=filing)

    assert filing.pk in queue_ids(dual)
    assert filing.pk in queue_ids(reviewer2)
    review.filing_approve(actor=reviewer2, filing=filing)
    # The earlier approver may approve again after someone else's edit voided the approval.
    others_edit_last(preparer, filing)
    submitted(preparer, filing)
    assert filing.pk in queue_ids(reviewer2)
    review.filing_approve(actor=reviewer2, filing=filing)
    assert Filing.objects.get(pk=filing.pk).status == Filing.Status.APPROVED


def test_the_kinds_are_exactly_what_the_content_services_record(
    preparer: User, preparer2: User
) -> None:
    filing = complete_filing(preparer2)
    script = filing.scripts.first()
    assert script is not None
    editing.filing_update(actor=preparer, filing=filing, callee_source="公众号")
    editing.script_update(actor=preparer, script=script, content="改过")
    editing.script_delete(actor=preparer, script=script)
    document_upload(actor=preparer, filing=filing, kind=LICENCE, upload=Upload("a.jpg", image(9)))
    document_set_valid_until(
        actor=preparer, filing=filing, kind=LICENCE, valid_until=date.today() + timedelta(days=400)
    )
    document_remove(actor=preparer, filing=filing, kind=LICENCE)
    editing.company_update(
        actor=preparer, company=filing.company, name="改名有限公司", credit_code=VALID_CODES[0]
    )
    other = complete_filing(preparer, code=VALID_CODES[1])  # created, scripts added, uploaded
    assert other.pk
    found = add_numbers(preparer2, filing.company, ["13800000001", "13800000002"])
    number_filing = file_numbers(preparer2, found)
    numbers.filing_number_remove(actor=preparer, filing=number_filing, number=found[0])

    recorded = set(
        AuditEvent.objects.filter(actor_id=preparer.pk, filing__isnull=False).values_list(
            "kind", flat=True
        )
    )
    assert recorded == set(CONTENT_EVENT_KINDS)


def test_the_queue_is_one_query_whatever_its_length(
    preparer: User, reviewer2: User, django_assert_num_queries: Any
) -> None:
    def read() -> list[tuple[int, str, str]]:
        with django_assert_num_queries(1):
            return [
                (f.pk, f.company.name, f.created_by.get_username())
                for f in review_queue(reviewer2.pk)
            ]

    submitted(preparer, complete_filing(preparer))
    assert len(read()) == 1
    for code in VALID_CODES[1:]:
        submitted(preparer, complete_filing(preparer, code=code))
    assert len(read()) == len(VALID_CODES)


def test_whoever_changed_a_numbers_script_before_it_was_filed_may_not_approve_the_filing(
    preparer: User, preparer2: User, dual: User, reviewer2: User
) -> None:
    company = complete_filing(preparer).company
    (number,) = add_numbers(preparer, company, ["13800000001"])
    numbers.number_update(actor=dual, number=number, script_scene="快递", script="改过的话术")
    filing = file_numbers(preparer2, [number])

    assert has_changed(filing.pk, dual.pk)
    assert not has_changed(filing.pk, reviewer2.pk)
