"""Fixtures shared by several integration test files; a file's own fixture of the same name
takes precedence."""

from typing import Any

import pytest
from django.contrib.auth.models import User

from filings.models import Company, Filing
from filings.services import editing
from tests.builders import VALID_CODES
from tests.conftest import free_port


@pytest.fixture
def company(preparer: User) -> Company:
    return editing.company_create(
        actor=preparer, name="火山示例科技有限公司", credit_code=VALID_CODES[0]
    )


@pytest.fixture
def draft(preparer: User, company: Company) -> Filing:
    """A filing of `company` with its two fields, no scripts and no documents."""
    return editing.filing_create(
        actor=preparer, company=company, callee_source="网站", business_carrier="火山示例"
    )


@pytest.fixture
def users(
    preparer: User, preparer2: User, reviewer: User, auditor: User, superuser: User
) -> dict[str, User]:
    """A user of each kind, by fixture name."""
    return {
        "preparer": preparer,
        "preparer2": preparer2,
        "reviewer": reviewer,
        "auditor": auditor,
        "superuser": superuser,
    }


@pytest.fixture
def hostile_settings(volc_settings: Any) -> None:
    """English messages, and a Volcengine endpoint that refuses connections."""
    volc_settings.LANGUAGE_CODE = "en"
    volc_settings.VOLC_VMS_ENDPOINT = f"http://127.0.0.1:{free_port()}/"
    volc_settings.VOLC_CONNECT_TIMEOUT = 1.0
