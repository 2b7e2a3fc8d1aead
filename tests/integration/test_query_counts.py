"""List pages use a fixed number of SQL queries, whatever the number of rows (1,000+ here)."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from filings import audit
from filings.models import Document, Filing, Submission
from tests.builders import VALID_CODES, approved_filing, company

ROWS = 1100


def bulk_rows(preparer: User, reviewer: User) -> None:
    """One real filing (with documents and a submission) copied 1,100 times in bulk.

    The copies are plain rows: these tests measure reads, not the services that write them.
    """
    model = approved_filing(preparer, reviewer)
    documents = list(model.documents.all())
    owner = company(preparer, code=VALID_CODES[1])
    filings = Filing.objects.bulk_create(
        Filing(
            company=owner if index % 2 else model.company,
            callee_source="网站",
            business_carrier="示例",
            status=Filing.Status.IN_REVIEW if index % 3 == 0 else Filing.Status.SUBMITTED,
            created_by=preparer,
            updated_by=preparer,
        )
        for index in range(ROWS)
    )
    Document.objects.bulk_create(
        Document(
            company_id=filing.company_id,
            filing=filing,
            kind=document.kind,
            part=document.part,
            storage_key=f"{document.storage_key}.{filing.pk}",
            original_name=document.original_name,
            api_filename=document.api_filename,
            content_type=document.content_type,
            size=document.size,
            width=document.width,
            height=document.height,
            sha256=document.sha256,
            uploaded_by=preparer,
        )
        for filing in filings[:200]
        for document in documents
    )
    now = timezone.now()
    Submission.objects.bulk_create(
        Submission(
            filing=filing,
            actor=reviewer,
            content_hash="0" * 64,
            endpoint="http://127.0.0.1/sandbox/vms/",
            region="cn-beijing",
            request_body="{}",
            request_sha256="0" * 64,
            started_at=now - timedelta(seconds=index),
            finished_at=now,
            duration_ms=5,
            http_status=200,
            provider_request_id=f"REQ{index:08d}",
            result_code="0",
            outcome=Submission.Outcome.ACCEPTED,
        )
        for index, filing in enumerate(filings)
    )
    with transaction.atomic():
        for index in range(ROWS):
            audit.record(
                actor=preparer, kind="bench.row", target=model, filing=model, data={"i": index}
            )


def queries(client: Client, url: str, django_assert_max_num_queries: Any, limit: int) -> bytes:
    with django_assert_max_num_queries(limit):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, url
    return body


# (who, url, most queries): the same bound holds at 1,100 rows as at one page of them.
PAGES = [
    ("preparer", reverse_lazy("admin:filings_filing_changelist"), 12),
    ("preparer", reverse_lazy("admin:filings_company_changelist"), 12),
    ("auditor", reverse_lazy("admin:filings_submission_changelist"), 14),
    ("auditor", reverse_lazy("admin:filings_auditevent_changelist"), 12),
    ("reviewer2", reverse_lazy("admin:filings_filing_review_queue"), 10),
]


@pytest.mark.django_db
def test_pages_and_exports_use_a_fixed_number_of_queries(
    client: Client,
    preparer: User,
    reviewer: User,
    reviewer2: User,
    auditor: User,
    volc_settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    bulk_rows(preparer, reviewer)
    assert Filing.objects.filter(status=Filing.Status.IN_REVIEW).count() > ROWS // 3
    users = {"preparer": preparer, "reviewer2": reviewer2, "auditor": auditor}
    for who, url, limit in PAGES:
        client.force_login(users[who])
        queries(client, str(url), django_assert_max_num_queries, limit)
        queries(client, f"{url}?p=5", django_assert_max_num_queries, limit)

    client.force_login(auditor)
    url = reverse("admin:filings_submission_export", args=["csv"])
    lines = queries(client, url, django_assert_max_num_queries, 40).decode().splitlines()
    assert len(lines) >= ROWS + 1  # the header, one line per submission
    url = reverse("admin:filings_auditevent_export", args=["jsonl"])
    lines = queries(client, url, django_assert_max_num_queries, 40).decode().splitlines()
    assert len(lines) >= ROWS + 1
