"""Number-filing test data made through the services: numbers of a company, number filings with
their letter, and filings that Volcengine received, so tests exercise the real write paths."""

from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.utils import timezone

from filings.content import content_hash
from filings.models import Company, Decision, Document, Filing, PhoneNumber
from filings.services import decisions, numbers, review, sending
from filings.services.documents import Upload, document_upload
from tests.builders import VALID_CODES, approved_filing, fresh, image, stuck_in_sending

LETTER = Document.Kind.BUSINESS_USAGE_LETTER.value
LETTER_NAME = "业务使用承诺书.jpg"
SCENE = "电商"
SCRIPT = "您好，这里是火山商城客服，您购买的商品已发货，请注意查收。"
EVIDENCE = "Volcengine console: the filing is listed as received (ticket 4711)."


def mobiles(count: int, *, start: int = 0, prefix: str = "138") -> list[str]:
    """`count` distinct valid mainland mobile numbers as national digits."""
    return [f"{prefix}{index:08d}" for index in range(start, start + count)]


def lines(texts: Sequence[str]) -> list[tuple[int, str]]:
    """Items of a list with one item a line, as `numbers_add` takes them."""
    return list(enumerate(texts, start=1))


def received(reviewer: AbstractUser, filing: Filing) -> Filing:
    """An approved filing that Volcengine received, without a sandbox: the send starts, the
    process dies before the request leaves, the reconciler makes it UNKNOWN, and a reviewer
    settles it as SUBMITTED from outside evidence."""
    stuck_in_sending(reviewer, filing)
    moved = sending.reconcile_sending(actor=reviewer, older_than=timedelta(seconds=-60))
    assert moved == [filing.pk], moved
    review.filing_resolve(actor=reviewer, filing=filing, status="SUBMITTED", note=EVIDENCE)
    return fresh(filing)


def filed_company(
    preparer: AbstractUser, reviewer: AbstractUser, *, code: str = VALID_CODES[0]
) -> Company:
    """A company whose latest company filing is SUBMITTED: its numbers may be filed."""
    filing = received(reviewer, approved_filing(preparer, reviewer, code=code))
    assert filing.status == Filing.Status.SUBMITTED
    return filing.company


def add_numbers(
    actor: AbstractUser,
    company: Company,
    digits: Iterable[str],
    *,
    scene: str = SCENE,
    script: str = SCRIPT,
) -> list[PhoneNumber]:
    """Add `digits` (all valid and new, in any written form) to `company`; returns their
    PhoneNumber rows in order."""
    digits = list(digits)
    report = numbers.numbers_add(
        actor=actor, company=company, items=lines(digits), script_scene=scene, script=script
    )
    assert report.refused == [], report.refused
    added = [line.digits for line in report.lines]
    found = {n.digits: n for n in PhoneNumber.objects.filter(company=company, digits__in=added)}
    return [found[d] for d in added]


def upload_letter(actor: AbstractUser, filing: Filing, *, seed: int = 7) -> Document:
    return document_upload(
        actor=actor, filing=filing, kind=LETTER, upload=Upload(LETTER_NAME, image(seed))
    )


def file_numbers(
    actor: AbstractUser, found: Sequence[PhoneNumber], action: str = Filing.NumberAction.ADD
) -> Filing:
    """One number filing of `found` for `action`, with the letter when the action needs it."""
    result = numbers.numbers_file(actor=actor, numbers=[n.pk for n in found], action=action)
    assert result.refused == [], result.refused
    (filing,) = result.filings
    if action != Filing.NumberAction.DELETE:
        upload_letter(actor, filing)
    return fresh(filing)


def number_filing(
    preparer: AbstractUser,
    company: Company,
    digits: Iterable[str],
    action: str = Filing.NumberAction.ADD,
) -> Filing:
    """A complete draft number filing of new numbers `digits` of `company` (add)."""
    return file_numbers(preparer, add_numbers(preparer, company, digits), action)


def approve(preparer: AbstractUser, reviewer: AbstractUser, filing: Filing) -> Filing:
    """Submit for review, then approve what the review page would show (its hash)."""
    review.filing_submit(actor=preparer, filing=filing)
    review.filing_approve(actor=reviewer, filing=filing, seen_hash=content_hash(fresh(filing)))
    return fresh(filing)


def live_numbers(
    preparer: AbstractUser, reviewer: AbstractUser, company: Company, digits: Iterable[str]
) -> list[PhoneNumber]:
    """Numbers of `company` that Volcengine listed: added, filed, received, decided live."""
    found = add_numbers(preparer, company, digits)
    filing = received(reviewer, approve(preparer, reviewer, file_numbers(preparer, found)))
    decisions.filing_record_decision(
        actor=reviewer,
        filing=filing,
        outcome=Decision.Outcome.FILED,
        decided_on=timezone.localdate(),
        evidence=EVIDENCE,
    )
    return [PhoneNumber.objects.get(pk=n.pk) for n in found]
