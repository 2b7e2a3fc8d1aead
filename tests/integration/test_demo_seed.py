"""The demo data of `make run`: made through the services and real sends to the sandbox."""

import pytest

from filings import demo
from filings.audit.verify import verify_chain
from filings.models import Filing, PhoneNumber
from filings.roles import refresh_roles


@pytest.mark.django_db(transaction=True)
def test_the_demo_has_a_filing_and_numbers_in_each_state_and_an_intact_trail(sandbox: str) -> None:
    refresh_roles()  # a transactional test before this one may have flushed the groups
    made = demo.seed()

    statuses = set(Filing.objects.filter(kind=Filing.Kind.COMPANY).values_list("status", flat=True))
    assert statuses == {
        Filing.Status.DRAFT,
        Filing.Status.IN_REVIEW,
        Filing.Status.APPROVED,
        Filing.Status.SUBMITTED,
        Filing.Status.FILED,
        Filing.Status.DECLINED,
        Filing.Status.REJECTED,
        Filing.Status.UNKNOWN,
    }
    counts = {state: PhoneNumber.objects.filter(state=state).count() for state in PhoneNumber.State}
    assert counts == {"draft": 5, "pending": 2, "live": 2, "failed": 1, "delisted": 1}
    number_filings = Filing.objects.filter(kind=Filing.Kind.NUMBER)
    assert sorted(number_filings.values_list("number_action", "status")) == [
        ("add", Filing.Status.DRAFT),
        ("add", Filing.Status.FILED),
        ("add", Filing.Status.SUBMITTED),
        ("delete", Filing.Status.SUBMITTED),
    ]
    assert made[-1].startswith("sent: normal→FILED, normal→DECLINED, normal→SUBMITTED")
    assert verify_chain().ok
    # Seeding again makes nothing new.
    assert demo.seed() == []
