"""A company's data is part of what each of its filings sends: a company edit is refused while one
of them is in review or being sent, and is recorded on (and voids the approval of) each one that
may still be sent.
A reviewer approves the content they saw: the approve form carries its hash."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.db.models import Max
from django.test import Client
from django.urls import reverse

from filings import errors
from filings.content import content_hash
from filings.models import AuditEvent, Company, Filing
from filings.services import editing, review, sending
from tests.builders import VALID_CODES, approved_filing, complete_filing
from tests.snapshots import snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]

EVENT_FIELDS = ("kind", "actor_id", "target_type", "target_id", "filing_id", "data")


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def head() -> int:
    return int(AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0)


def events_after(seq: int) -> list[dict[str, Any]]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values(*EVENT_FIELDS))


def fresh(filing: Filing) -> Filing:
    return Filing.objects.get(pk=filing.pk)


def errors_of(response: Any) -> list[str]:
    """The error messages of a response that was followed (so they were shown and used up)."""
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == message_levels.ERROR]


def rename(actor: User, company: Company, name: str = "改名有限公司") -> Company:
    return editing.company_update(
        actor=actor, company=company, name=name, credit_code=company.credit_code
    )


def locked_message(*filings: Filing) -> str:
    named = ", ".join(f"#{f.pk} “{Filing.Status(fresh(f).status).label}”" for f in filings)
    return str(errors.COMPANY_LOCKED).format(filings=named)


# --- refused while a filing is in review or being sent


def test_a_company_edit_is_refused_while_one_of_its_filings_is_in_review(
    preparer: User, preparer2: User
) -> None:
    draft = complete_filing(preparer)
    in_review = complete_filing(preparer)
    review.filing_submit(actor=preparer, filing=in_review)
    before = snapshot()

    with pytest.raises(errors.FilingsError) as caught:
        rename(preparer2, draft.company)

    assert type(caught.value) is errors.FilingsError
    assert caught.value.message == locked_message(in_review)
    assert snapshot() == before


def test_a_company_edit_is_refused_while_one_of_its_filings_is_being_sent(
    preparer: User, preparer2: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    sending.filing_start_sending(reviewer, filing.pk)
    assert fresh(filing).status == Filing.Status.SENDING
    other = complete_filing(preparer)
    review.filing_submit(actor=preparer, filing=other)
    before = snapshot()

    with pytest.raises(errors.FilingsError) as caught:
        rename(preparer2, filing.company)

    assert caught.value.message == locked_message(filing, other)
    assert snapshot() == before


def test_an_unchanged_company_save_is_no_edit_even_while_in_review(preparer: User) -> None:
    filing = complete_filing(preparer)
    review.filing_submit(actor=preparer, filing=filing)
    before = snapshot()
    editing.company_update(
        actor=preparer,
        company=filing.company,
        name=filing.company.name,
        credit_code=filing.company.credit_code,
    )
    assert snapshot() == before


# --- recorded on each open filing


def test_a_company_edit_is_recorded_on_each_open_filing_and_voids_an_approval(
    preparer: User, preparer2: User, reviewer: User
) -> None:
    approved = approved_filing(preparer, reviewer)
    approved_hash = approved.approved_hash
    draft = complete_filing(preparer)
    submitted = approved_filing(preparer, reviewer)
    Filing.objects.filter(pk=submitted.pk).update(status=Filing.Status.SUBMITTED)
    # Rejected (or unknown) is not sent now, but may be reworked (or resolved) and sent later.
    rejected = approved_filing(preparer, reviewer)
    Filing.objects.filter(pk=rejected.pk).update(status=Filing.Status.REJECTED)
    elsewhere = approved_filing(preparer, reviewer, code=VALID_CODES[1])
    company = draft.company
    start = head()

    rename(preparer2, company)

    changes = {"name": {"before": "火山示例科技有限公司", "after": "改名有限公司"}}

    def changed(filing: Filing) -> dict[str, Any]:
        return {
            "kind": "filing.company_changed",
            "actor_id": preparer2.pk,
            "target_type": "filing",
            "target_id": str(filing.pk),
            "filing_id": filing.pk,
            "data": {"company": company.pk, "changes": changes},
        }

    assert events_after(start) == [
        {
            "kind": "company.updated",
            "actor_id": preparer2.pk,
            "target_type": "company",
            "target_id": str(company.pk),
            "filing_id": None,
            "data": {"changes": changes},
        },
        changed(approved),
        {
            "kind": "filing.approval_voided",
            "actor_id": preparer2.pk,
            "target_type": "filing",
            "target_id": str(approved.pk),
            "filing_id": approved.pk,
            "data": {
                "reason": "company.updated",
                "approved_hash": approved_hash,
                "approved_by": reviewer.pk,
            },
        },
        changed(draft),
        changed(rejected),
    ]
    approved, draft = fresh(approved), fresh(draft)
    assert (approved.status, approved.approved_hash, approved.approved_by) == ("DRAFT", "", None)
    assert (approved.updated_by, draft.updated_by) == (preparer2, preparer2)
    assert fresh(submitted).status == Filing.Status.SUBMITTED
    assert fresh(submitted).updated_by == preparer
    assert fresh(rejected).status == Filing.Status.REJECTED
    assert fresh(elsewhere).status == Filing.Status.APPROVED


def test_the_company_admin_shows_the_refusal(
    client: Client, preparer: User, preparer2: User
) -> None:
    filing = complete_filing(preparer)
    review.filing_submit(actor=preparer, filing=filing)
    company = filing.company
    client.force_login(preparer2)
    url = reverse("admin:filings_company_change", args=[company.pk])
    before = snapshot()

    response = client.post(
        url,
        {"name": "改名有限公司", "credit_code": company.credit_code, "_save": "Save"},
        follow=True,
    )

    assert response.redirect_chain == [(url, 302)]
    assert errors_of(response) == [locked_message(filing)]
    assert snapshot() == before

    review.filing_withdraw(actor=preparer, filing=filing)
    response = client.post(
        url,
        {"name": "改名有限公司", "credit_code": company.credit_code, "_save": "Save"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("admin:filings_company_changelist"), 302)]
    assert errors_of(response) == []
    company.refresh_from_db()
    assert company.name == "改名有限公司"


# --- the approval binds the content the reviewer saw


def test_approve_refuses_content_other_than_what_the_reviewer_saw(
    preparer: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    review.filing_submit(actor=preparer, filing=filing)
    seen = content_hash(fresh(filing))
    # Meanwhile the preparer takes it back, changes it and submits it again.
    review.filing_withdraw(actor=preparer, filing=filing)
    editing.filing_update(actor=preparer, filing=filing, callee_source="公众号")
    review.filing_submit(actor=preparer, filing=filing)
    before = snapshot()

    with pytest.raises(errors.StaleState) as caught:
        review.filing_approve(actor=reviewer, filing=filing, seen_hash=seen)

    assert caught.value.message == str(errors.SEEN_CONTENT_CHANGED)
    assert snapshot() == before
    current = content_hash(fresh(filing))
    review.filing_approve(actor=reviewer, filing=filing, seen_hash=current)
    assert fresh(filing).approved_hash == current


@pytest.mark.parametrize("page", ["admin:filings_filing_review", "admin:filings_filing_change"])
def test_the_approve_form_carries_the_hash_of_what_the_page_shows(
    client: Client, preparer: User, reviewer: User, page: str
) -> None:
    filing = complete_filing(preparer)
    review.filing_submit(actor=preparer, filing=filing)
    client.force_login(reviewer)
    act = reverse("admin:filings_filing_act", args=[filing.pk, "approve"])

    shown = client.get(reverse(page, args=[filing.pk]))

    seen = content_hash(fresh(filing))
    field = f'<input type="hidden" name="content_hash" value="{seen}"'
    body = shown.content.decode()
    assert body.count(field) == 1
    form = body[body.index(f'action="{act}"') :]
    assert form.index(field) < form.index("</form>")
    # The preparer changes the filing between the reviewer's look and click.
    review.filing_withdraw(actor=preparer, filing=filing)
    editing.filing_update(actor=preparer, filing=filing, callee_source="公众号")
    review.filing_submit(actor=preparer, filing=filing)

    refused = client.post(act, {"content_hash": seen}, follow=True)

    assert errors_of(refused) == [str(errors.SEEN_CONTENT_CHANGED)]
    assert fresh(filing).status == Filing.Status.IN_REVIEW
    # Without the hash, nothing is approved either.
    assert errors_of(client.post(act, {}, follow=True)) == [str(errors.SEEN_CONTENT_CHANGED)]
    assert fresh(filing).status == Filing.Status.IN_REVIEW

    reloaded = client.get(reverse(page, args=[filing.pk])).content.decode()
    current = content_hash(fresh(filing))
    assert f'name="content_hash" value="{current}"' in reloaded
    approved = client.post(act, {"content_hash": current}, follow=True)
    assert errors_of(approved) == []
    assert fresh(filing).approved_hash == current
