"""Test data made through the services, so tests exercise the real write paths and audit."""

from django.contrib.auth.models import AbstractUser

from filings.kinds import COMPANY_FILING
from filings.models import Company, Filing
from filings.services import editing, review, sending
from filings.services.documents import Upload, document_upload
from tests.imagecorpus import jpeg_bytes

VALID_CODES = ["91350100M000100Y43", "91110000600037341L", "91310115MA1K3BTP2B"]
KINDS = list(COMPANY_FILING.document_kinds)  # the six documents of a company filing


def company(
    actor: AbstractUser, *, name: str = "火山示例科技有限公司", code: str = VALID_CODES[0]
) -> Company:
    existing = Company.objects.filter(credit_code=code).first()
    return existing or editing.company_create(actor=actor, name=name, credit_code=code)


def image(seed: int = 0) -> bytes:
    return jpeg_bytes(width=320 + seed, height=200)


def complete_filing(actor: AbstractUser, *, code: str = VALID_CODES[0]) -> Filing:
    """A draft with every field, two scripts and all six documents."""
    filing = editing.filing_create(
        actor=actor,
        company=company(actor, code=code),
        callee_source="网站",
        business_carrier="火山示例科技有限公司",
    )
    editing.script_add(actor=actor, filing=filing, scene="快递", content="您好，您的快递已到。")
    editing.script_add(actor=actor, filing=filing, scene="售后", content="您好，这里是售后。")
    for index, kind in enumerate(KINDS):
        document_upload(
            actor=actor, filing=filing, kind=kind, upload=Upload(f"{kind}.jpg", image(index))
        )
    filing.refresh_from_db()
    return filing


def approved_filing(preparer: AbstractUser, reviewer: AbstractUser, **kwargs: str) -> Filing:
    filing = complete_filing(preparer, **kwargs)
    review.filing_submit(actor=preparer, filing=filing)
    review.filing_approve(actor=reviewer, filing=filing)
    filing.refresh_from_db()
    return filing


def fresh(filing: Filing) -> Filing:
    """The filing as the database has it now."""
    return Filing.objects.get(pk=filing.pk)


def in_review(preparer: AbstractUser, **kwargs: str) -> Filing:
    filing = complete_filing(preparer, **kwargs)
    review.filing_submit(actor=preparer, filing=filing)
    return fresh(filing)


def stuck_in_sending(actor: AbstractUser, filing: Filing) -> None:
    """`actor` starts sending the approved `filing` and the process dies before the request
    leaves: the filing stays in SENDING, as after a crash, with nothing sent and no Submission."""
    sending.filing_start_sending(actor, filing.pk)
