"""Imports processed by real `manage.py db_worker` processes on the test database.

A worker imports a confirmed run; a worker killed with SIGKILL in the middle of an import loses
nothing and imports nothing twice: the row it was importing rolls back with its transaction, the
run stalls, `import_resume` queues it again and a second worker imports each remaining row once.
"""

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from filings.imports.models import ImportRow, ImportRun
from filings.imports.selectors import STALLED_AFTER
from filings.imports.services import import_confirm, import_resume
from filings.models import AuditEvent, Company, Filing
from filings.roles import refresh_roles
from filings.workflow import State
from tests import import_builders as build
from tests.import_builders import stored_files
from tests.integration.test_imports import upload
from tests.workers import run_batch, start_worker

pytestmark = pytest.mark.django_db(transaction=True)

Outcome = ImportRow.Outcome


@pytest.fixture(autouse=True)
def roles(transactional_db: None) -> None:
    refresh_roles()


@pytest.fixture
def worker(settings: Any) -> Iterator[Callable[[str], subprocess.Popen[str]]]:
    """worker(name) → a db_worker process that runs until stopped."""
    started: list[subprocess.Popen[str]] = []

    def start(name: str) -> subprocess.Popen[str]:
        # --no-reload: the reloader's child would outlive a killed parent.
        process = start_worker(settings, "--worker-id", name, "--no-reload")
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def checked_run(actor: User, companies: int) -> tuple[ImportRun, list[str]]:
    """An import of `companies` new companies, checked (in this process) and waiting."""
    found = build.credit_codes(3000)
    codes = [next(found) for _ in range(companies)]
    rows = [build.row(code, n) for n, code in enumerate(codes)]
    files: dict[str, bytes] = {}
    for n, code in enumerate(codes):
        files.update(build.document_files(code, n, width=100, height=80))
    run = upload(actor, build.sheet_csv(rows), build.archive(files))
    assert run.state == ImportRun.State.CHECKED, run.message
    assert set(run.rows.values_list("verdict", flat=True)) == {ImportRow.Verdict.NEW}
    return run, codes


def outcomes(run: ImportRun) -> Counter[str]:
    return Counter(run.rows.values_list("outcome", flat=True))


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def events_per_company(kind: str, codes: list[str]) -> dict[str, int]:
    """How many `kind` audit events each company's filing has."""
    filings = dict(
        Filing.objects.filter(company__credit_code__in=codes).values_list(
            "pk", "company__credit_code"
        )
    )
    counted = dict.fromkeys(codes, 0)
    for filing_id in AuditEvent.objects.filter(kind=kind).values_list("filing_id", flat=True):
        if filing_id in filings:
            counted[filings[filing_id]] += 1
    return counted


def assert_imported_once(run: ImportRun, codes: list[str]) -> None:
    run.refresh_from_db()
    assert run.state == ImportRun.State.DONE
    assert outcomes(run) == {Outcome.DONE: len(codes)}
    assert sorted(Company.objects.values_list("credit_code", flat=True)) == sorted(codes)
    assert Counter(Filing.objects.values_list("company__credit_code", flat=True)) == dict.fromkeys(
        codes, 1
    )
    assert set(Filing.objects.values_list("status", flat=True)) == {State.DRAFT}
    assert events_per_company("document.uploaded", codes) == dict.fromkeys(codes, 6)
    assert events_per_company("script.created", codes) == dict.fromkeys(codes, 2)
    assert AuditEvent.objects.filter(kind="company.created").count() == len(codes)
    assert stored_files("imports") == []  # the uploads are deleted once the run is done


def test_a_worker_imports_a_confirmed_run(preparer: User, settings: Any) -> None:
    run, codes = checked_run(preparer, 4)
    assert import_confirm(actor=preparer, run=run) == 4
    assert not Company.objects.exists()
    run_batch(settings)
    assert_imported_once(run, codes)


def test_a_worker_killed_mid_import_loses_nothing_and_imports_nothing_twice(
    preparer: User, settings: Any, worker: Callable[[str], subprocess.Popen[str]]
) -> None:
    run, codes = checked_run(preparer, 60)
    import_confirm(actor=preparer, run=run)
    first = worker("first")
    wait_for(lambda: outcomes(run)[Outcome.DONE] >= 5, 120, "the first rows")
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)

    # Killed mid-run: what it imported is whole, the row it was importing rolled back.
    counted = outcomes(run)
    done = counted[Outcome.DONE]
    assert 5 <= done < len(codes), counted
    assert counted == {Outcome.DONE: done, Outcome.WAITING: len(codes) - done}
    assert Company.objects.count() == Filing.objects.count() == done
    run.refresh_from_db()
    assert run.state == ImportRun.State.IMPORTING

    # Not stalled yet: nothing is queued again. Once its heartbeat is old enough, it resumes.
    assert import_resume(actor=preparer, run=run) is False
    old = timezone.now() - STALLED_AFTER - timedelta(seconds=1)
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=old)
    assert import_resume(actor=preparer, run=run) is True
    run_batch(settings, timeout=300)
    assert_imported_once(run, codes)
