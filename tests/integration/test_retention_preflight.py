"""Pre-flight after retention: a purged document counts as missing, and a company whose service
ended cannot be filed until an administrator resumes it."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from filings import errors
from filings.models import Document, Filing
from filings.services import review
from filings.services.retention import company_end_service, company_resume_service
from tests.builders import complete_filing

pytestmark = pytest.mark.django_db

LICENCE = Document.Kind.BUSINESS_LICENSE.value


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def test_a_purged_document_blocks_review_until_it_is_uploaded_again(preparer: User) -> None:
    filing = complete_filing(preparer)
    Document.objects.filter(filing=filing, kind=LICENCE).update(
        purged_at=timezone.now(), storage_key=None, original_name="", api_filename=""
    )

    with pytest.raises(errors.FilingsError) as refused:
        review.filing_submit(actor=preparer, filing=filing)

    assert "purged under the retention rules" in refused.value.message
    filing.refresh_from_db()
    assert filing.status == Filing.Status.DRAFT


def test_a_company_whose_service_ended_cannot_be_filed_until_resumed(
    preparer: User, superuser: User
) -> None:
    filing = complete_filing(preparer)
    company_end_service(
        actor=superuser,
        company=filing.company,
        ended_on=date.today() - timedelta(days=1),
        reason="contract ended",
    )

    with pytest.raises(errors.FilingsError) as refused:
        review.filing_submit(actor=preparer, filing=filing)
    assert "service ended on" in refused.value.message

    company_resume_service(actor=superuser, company=filing.company, reason="renewed")
    review.filing_submit(actor=preparer, filing=filing)
    filing.refresh_from_db()
    assert filing.status == Filing.Status.IN_REVIEW
