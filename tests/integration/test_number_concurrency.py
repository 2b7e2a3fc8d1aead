"""Races on number filings, threads each with its own database connection (PostgreSQL: SQLite
has no row locks): twenty senders of one approval send one request; twenty "File these
numbers" of the same numbers put each number in one open filing."""

from typing import Any

import pytest
from django.contrib.auth.models import User

from filings import errors
from filings.models import AuditEvent, Company, Filing, FilingNumber, PhoneNumber, Submission
from filings.sandbox.models import SandboxRequest
from filings.services import numbers
from filings.services.sending import filing_send
from tests import builders
from tests.builders import VALID_CODES
from tests.integration.test_concurrency import (
    REAL_RACE,
    THREADS,
    assert_chain_contiguous,
    run_together,
)
from tests.number_builders import add_numbers, approve, file_numbers, filed_company, mobiles

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("volc_settings"),
    pytest.mark.postgres,
    REAL_RACE,
]


@pytest.fixture
def company(preparer: User, reviewer: User) -> Company:
    return filed_company(preparer, reviewer)


def test_twenty_concurrent_sends_of_a_number_filing_send_exactly_once(
    sandbox: str, preparer: User, reviewer: User, reviewer2: User, company: Company
) -> None:
    found = add_numbers(preparer, company, mobiles(100))
    filing = approve(preparer, reviewer, file_numbers(preparer, found))
    senders = [reviewer, reviewer2]
    copies = [Filing.objects.get(pk=filing.pk) for _ in range(THREADS)]

    results = run_together(
        [
            lambda copy=copy, actor=senders[index % 2]: filing_send(actor=actor, filing=copy)
            for index, copy in enumerate(copies)
        ]
    )

    sent = [r for r in results if isinstance(r, Submission)]
    stale = [r for r in results if isinstance(r, errors.StaleState)]
    assert [r for r in results if not isinstance(r, Submission | errors.StaleState)] == []
    assert (len(sent), len(stale)) == (1, THREADS - 1)
    assert SandboxRequest.objects.filter(action="Click2CallNumberAuth").count() == 1
    submission = Submission.objects.get(filing=filing)
    assert (submission.pk, submission.outcome) == (sent[0].pk, "ACCEPTED")
    filing.refresh_from_db()
    assert (filing.status, filing.sending_started_at) == ("SUBMITTED", None)
    kinds = list(AuditEvent.objects.filter(filing=filing).values_list("kind", flat=True))
    assert kinds[-3:] == ["submission.sent", "numbers.state_changed", "submission.response"]
    assert [kinds.count(k) for k in ("submission.sent", "numbers.state_changed")] == [1, 1]
    assert set(PhoneNumber.objects.filter(company=company).values_list("state", "open_filing")) == {
        ("pending", None)
    }
    assert_chain_contiguous()


def test_twenty_concurrent_filings_of_the_same_numbers_put_each_in_one_open_filing(
    preparer: User, preparer2: User, reviewer: User, company: Company
) -> None:
    other = builders.company(preparer, name="另一家示例公司", code=VALID_CODES[1])
    digits = mobiles(30)
    mine = add_numbers(preparer, company, digits)
    theirs = add_numbers(preparer, other, digits)  # the same digits, drafts of another company
    filers = [preparer, preparer2]

    def file(index: int) -> Any:
        chosen = mine if index % 2 == 0 else theirs
        return numbers.numbers_file(
            actor=filers[index % 2], numbers=[n.pk for n in chosen], action="add"
        )

    results = run_together([lambda index=index: file(index) for index in range(THREADS)])

    filed = [r for r in results if isinstance(r, numbers.FileResult)]
    assert len(filed) == THREADS, results
    made = [filing for result in filed for filing in result.filings]
    assert len(made) == 1  # the first to lock the rows files all 30; the others are refused
    (filing,) = made
    assert filing.filing_numbers.count() == len(digits)
    for result in filed:
        assert result.filings or sorted(d for d, _ in result.refused) == digits
    # Each number (by its digits, whatever the company) is in one open filing.
    open_entries = FilingNumber.objects.filter(number__open_filing_id=filing.pk)
    assert sorted(open_entries.values_list("digits", flat=True)) == digits
    assert PhoneNumber.objects.filter(open_filing__isnull=False).count() == len(digits)
    assert AuditEvent.objects.filter(kind="filing.created", filing__kind="number").count() == 1
    assert_chain_contiguous()
