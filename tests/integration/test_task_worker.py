"""Background tasks run by real `manage.py db_worker` processes on the test database."""

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django_tasks import TaskResultStatus

from filings import tasks
from filings.models import AuditEvent
from filings.services import editing
from tests.builders import VALID_CODES
from tests.workers import run_batch


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_an_enqueued_task_through_the_services(
    settings: Any, preparer: User
) -> None:
    editing.company_create(actor=preparer, name="火山示例", credit_code=VALID_CODES[0])
    result = tasks.anchor_audit.enqueue()
    assert result.status == TaskResultStatus.READY

    run_batch(settings)

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    lines = Path(settings.PORTAL_ANCHOR_FILE).read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1]
    assert list(AuditEvent.objects.values_list("kind", flat=True)) == [
        "company.created",
        "audit.anchored",
    ]
