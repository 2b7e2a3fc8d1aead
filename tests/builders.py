"""Test data made through the services, so tests exercise the real write paths and audit."""

from django.contrib.auth.models import AbstractUser

from filings.models import Company, Document, Filing
from filings.services import editing, review
from filings.services.documents import Upload, document_upload
from tests.imagecorpus import jpeg_bytes

VALID_CODES = ["91350100M000100Y43", "91110000600037341L", "91310115MA1K3BTP2B"]


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
    for index, kind in enumerate(Document.Kind):
        document_upload(
            actor=actor,
            filing=filing,
            kind=kind.value,
            upload=Upload(f"{kind.value}.jpg", image(index)),
        )
    filing.refresh_from_db()
    return filing


def approved_filing(preparer: AbstractUser, reviewer: AbstractUser, **kwargs: str) -> Filing:
    filing = complete_filing(preparer, **kwargs)
    review.filing_submit(actor=preparer, filing=filing)
    review.filing_approve(actor=reviewer, filing=filing)
    filing.refresh_from_db()
    return filing
