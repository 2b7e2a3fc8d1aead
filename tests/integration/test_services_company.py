"""The company services: what a success writes (exact audit rows) and that a refused call
(no permission, invalid or duplicate credit code) changes nothing at all."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from filings import errors
from filings.models import Company
from filings.services import editing
from tests.audit_rows import events_after, head, row
from tests.builders import VALID_CODES
from tests.snapshots import refused, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]


# --- companies


def test_company_create_writes_one_event(preparer: User) -> None:
    start = head()

    company = editing.company_create(
        actor=preparer, name="  火山示例科技有限公司 ", credit_code=" 91350100m000100y43 "
    )

    company.refresh_from_db()
    assert (company.name, company.credit_code) == ("火山示例科技有限公司", "91350100M000100Y43")
    assert company.created_by == preparer
    assert events_after(start) == [
        row(
            "company.created",
            preparer,
            "company",
            company.pk,
            data={"name": "火山示例科技有限公司", "credit_code": "91350100M000100Y43"},
        )
    ]


@pytest.mark.parametrize("user", ["reviewer", "auditor"])
def test_company_create_needs_the_permission(user: str, request: pytest.FixtureRequest) -> None:
    actor = request.getfixturevalue(user)
    refused(
        errors.NotPermitted,
        lambda: editing.company_create(actor=actor, name="X", credit_code=VALID_CODES[1]),
    )


@pytest.mark.parametrize("code", ["91330106MQBYDEKL12", "91350100M000100Y44", "123"])
def test_company_create_refuses_an_invalid_credit_code(preparer: User, code: str) -> None:
    refused(
        ValidationError,
        lambda: editing.company_create(actor=preparer, name="X", credit_code=code),
    )


def test_company_create_refuses_a_duplicate_code(preparer: User, company: Company) -> None:
    refused(
        ValidationError,
        lambda: editing.company_create(actor=preparer, name="Y", credit_code=VALID_CODES[0]),
    )


def test_company_update_records_before_and_after_of_changed_fields_only(
    preparer: User, preparer2: User, company: Company
) -> None:
    start = head()

    editing.company_update(
        actor=preparer2, company=company, name="新名字有限公司", credit_code=VALID_CODES[0].lower()
    )

    company.refresh_from_db()
    assert (company.name, company.credit_code) == ("新名字有限公司", VALID_CODES[0])
    assert events_after(start) == [
        row(
            "company.updated",
            preparer2,
            "company",
            company.pk,
            data={
                "changes": {"name": {"before": "火山示例科技有限公司", "after": "新名字有限公司"}}
            },
        )
    ]

    start = head()
    editing.company_update(
        actor=preparer2, company=company, name="新名字有限公司", credit_code=VALID_CODES[1]
    )
    assert events_after(start) == [
        row(
            "company.updated",
            preparer2,
            "company",
            company.pk,
            data={"changes": {"credit_code": {"before": VALID_CODES[0], "after": VALID_CODES[1]}}},
        )
    ]


def test_company_update_without_a_change_writes_nothing(preparer: User, company: Company) -> None:
    before = snapshot()
    editing.company_update(
        actor=preparer, company=company, name=" 火山示例科技有限公司", credit_code=VALID_CODES[0]
    )
    assert snapshot() == before


def test_company_update_refusals(reviewer: User, preparer: User, company: Company) -> None:
    refused(
        errors.NotPermitted,
        lambda: editing.company_update(
            actor=reviewer, company=company, name="X", credit_code=VALID_CODES[0]
        ),
    )
    refused(
        ValidationError,
        lambda: editing.company_update(
            actor=preparer, company=company, name="X", credit_code="91330106MQBYDEKL12"
        ),
    )
