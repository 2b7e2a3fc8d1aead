"""Bulk runs end to end in one process: submit, approve and send many through the services, the
tasks taken from the real queue in the database; sends go to the sandbox over HTTP.

Refused items carry the service's own message (four-eyes, pre-flight, state); a bulk send makes
exactly one request per filing, keeps to the rate, stops at the first throttling answer; a run
can be cancelled between items; running its tasks again changes nothing; the sweep settles what
a dead worker left. The admin actions lead through a confirmation page to the progress page.
"""

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from itertools import count, pairwise
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from filings import errors
from filings.bulk import messages
from filings.bulk.models import BulkItem, BulkRun
from filings.bulk.processing import lease, run_sweep
from filings.bulk.services import bulk_run_cancel, bulk_run_start
from filings.bulk.tasks import process_bulk_item
from filings.content import content_hash, current_documents
from filings.credit_code import credit_code_check_character, organization_code_check_character
from filings.models import AuditEvent, Document, Filing, Submission
from filings.sandbox.models import SandboxConfig, SandboxRequest
from filings.services import editing, review, sending
from filings.workflow import State
from tests.builders import approved_filing, complete_filing, fresh, in_review, stuck_in_sending

Kind = BulkRun.Kind
Item = BulkItem.State
BULK_TASKS = "filings.bulk.tasks."


# --- helpers (also used by test_bulk_workers.py and the browser journey) -----------------------


def credit_codes(start: int = 1) -> Iterator[str]:
    """Valid credit codes, one per number: each filing its own company."""
    for number in count(start):
        body = f"{number:08d}"
        first17 = "91350100" + body + organization_code_check_character(body)
        yield first17 + credit_code_check_character(first17)


def approved_filings(preparer: User, reviewer: User, n: int, start: int = 1) -> list[Filing]:
    codes = credit_codes(start)
    return [approved_filing(preparer, reviewer, code=next(codes)) for _ in range(n)]


def start(actor: User, kind: str, filings: list[Filing]) -> BulkRun:
    return bulk_run_start(
        actor=actor, kind=kind, filing_ids=[filing.pk for filing in filings], language="en"
    )


def work(limit: int | None = None, tasks: str = BULK_TASKS) -> int:
    """Run the queued tasks whose path starts with `tasks` (the bulk tasks) in this process, in
    the queue's order, as a worker does; each must succeed. Returns how many ran."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="in-test",
        excluded_queue_names=[],
    )
    ran = 0
    while limit is None or ran < limit:
        task = DBTaskResult.objects.ready().filter(task_path__startswith=tasks).first()
        if task is None:
            break
        task.claim("in-test")
        worker.run_task(task)
        task.refresh_from_db()
        assert task.status == "SUCCESSFUL", task.traceback
        ran += 1
    return ran


def results(run: BulkRun) -> list[tuple[int, str, str]]:
    """(filing, item state, message) in the run's order."""
    return list(run.items.order_by("position").values_list("filing_id", "state", "message"))


def english(message: Any, **values: Any) -> str:
    with translation.override("en"):
        return str(message).format(**values)


def status_of(filing: Filing) -> str:
    return str(fresh(filing).status)


@pytest.fixture
def en() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def rate(settings: Any) -> Any:
    """Fast enough that a handful of sends take no time worth waiting for."""
    settings.VOLC_MAX_REQUESTS_PER_SECOND = 200
    return settings


@pytest.fixture
def sandbox_mode(sandbox: str) -> Any:
    def set_mode(mode: str) -> None:
        SandboxConfig.objects.update_or_create(pk=1, defaults={"mode": mode, "stall_seconds": 0})

    return set_mode


# --- submit many ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_submit_many_submits_each_and_lists_refusals_with_the_services_words(
    preparer: User, reviewer: User, en: None
) -> None:
    codes = credit_codes()
    good = [complete_filing(preparer, code=next(codes)) for _ in range(2)]
    company = editing.company_create(actor=preparer, name="缺件公司", credit_code=next(codes))
    incomplete = editing.filing_create(
        actor=preparer, company=company, callee_source="网站", business_carrier="缺件公司"
    )
    already = in_review(preparer, code=next(codes))

    run = start(preparer, Kind.SUBMIT, [*good, incomplete, already])
    assert [state for _, state, _ in results(run)] == [Item.PENDING] * 4
    assert work() == 4

    done = "Submitted for review."
    got = results(run)
    assert got[:2] == [(good[0].pk, Item.DONE, done), (good[1].pk, Item.DONE, done)]
    assert got[2][:2] == (incomplete.pk, Item.FAILED)
    assert got[2][2].startswith("The filing is not ready: ")
    assert "missing — upload it" in got[2][2]
    assert got[3] == (
        already.pk,
        Item.FAILED,
        english(errors.STALE_STATE, status="In review"),
    )
    assert [status_of(f) for f in good] == [State.IN_REVIEW] * 2
    assert status_of(incomplete) == State.DRAFT
    run.refresh_from_db()
    assert (run.state, run.finished_at is not None) == (BulkRun.State.DONE, True)
    # One submitted event per submitted filing, by the person who started the run.
    submitted = AuditEvent.objects.filter(kind="filing.submitted", filing_id__in=[*good, already])
    assert sorted(submitted.values_list("filing_id", "actor_username")) == sorted(
        [(good[0].pk, "preparer"), (good[1].pk, "preparer"), (already.pk, "preparer")]
    )
    started = AuditEvent.objects.get(kind="bulk.started")
    assert started.data == {
        "action": "submit",
        "filings": [good[0].pk, good[1].pk, incomplete.pk, already.pk],
    }


@pytest.mark.django_db
def test_the_actions_permission_is_checked_before_anything_is_queued(
    preparer: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    with pytest.raises(errors.NotPermitted):
        start(reviewer, Kind.SUBMIT, [filing])
    with pytest.raises(errors.NotPermitted):
        start(preparer, Kind.APPROVE, [filing])
    with pytest.raises(errors.NotPermitted):
        start(preparer, Kind.SEND, [filing])
    assert not BulkRun.objects.exists()
    assert not DBTaskResult.objects.filter(task_path__startswith=BULK_TASKS).exists()
    with pytest.raises(errors.FilingsError):
        start(preparer, Kind.SUBMIT, [])


# --- approve many --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_approve_many_keeps_four_eyes_and_pre_flight_per_filing(
    preparer: User, superuser: User, volc_settings: Any, en: None
) -> None:
    codes = credit_codes()
    fine = in_review(preparer, code=next(codes))
    own = in_review(superuser, code=next(codes))  # prepared by the approver: four-eyes refuses
    expiring = in_review(preparer, code=next(codes))
    Document.objects.filter(filing=expiring, kind=Document.Kind.BUSINESS_LICENSE).update(
        valid_until=timezone.localdate() - timedelta(days=1)  # it expired since it was submitted
    )
    seen = content_hash(fine, current_documents(fine))

    run = start(superuser, Kind.APPROVE, [fine, own, expiring])
    work()

    got = results(run)
    assert got[0] == (fine.pk, Item.DONE, "Approved. It can now be sent to Volcengine.")
    assert got[1] == (own.pk, Item.FAILED, english(errors.FOUR_EYES))
    assert got[2][:2] == (expiring.pk, Item.FAILED)
    assert got[2][2].startswith("The filing is not ready: ")
    assert "expired on" in got[2][2]
    assert [status_of(f) for f in (fine, own, expiring)] == [
        State.APPROVED,
        State.IN_REVIEW,
        State.IN_REVIEW,
    ]
    approved = fresh(fine)
    assert (approved.approved_by_id, approved.approved_hash) == (superuser.pk, seen)


@pytest.mark.django_db
def test_approve_many_approves_the_content_as_it_was_when_the_run_started(
    preparer: User, reviewer: User, volc_settings: Any, en: None
) -> None:
    codes = credit_codes()
    changed, unchanged = (
        in_review(preparer, code=next(codes)),
        in_review(preparer, code=next(codes)),
    )
    run = start(reviewer, Kind.APPROVE, [changed, unchanged])
    # Before the worker gets to it, the preparer takes it back, edits it and submits it again.
    review.filing_withdraw(actor=preparer, filing=changed)
    editing.filing_update(
        actor=preparer, filing=fresh(changed), callee_source="线下门店", business_carrier="火山"
    )
    review.filing_submit(actor=preparer, filing=fresh(changed))

    work()

    assert results(run) == [
        (changed.pk, Item.FAILED, english(errors.SEEN_CONTENT_CHANGED)),
        (unchanged.pk, Item.DONE, "Approved. It can now be sent to Volcengine."),
    ]
    assert status_of(changed) == State.IN_REVIEW


# --- send many -----------------------------------------------------------------------------------


def sends_per_filing() -> dict[str, int]:
    counted: dict[str, int] = {}
    for code in SandboxRequest.objects.values_list("company_credit_code", flat=True):
        counted[code] = counted.get(code, 0) + 1
    return counted


@pytest.mark.django_db(transaction=True)
def test_send_many_sends_each_approved_filing_once_and_refuses_the_rest(
    sandbox: str, preparer: User, reviewer: User, rate: Any, en: None
) -> None:
    filings = approved_filings(preparer, reviewer, 4)
    not_approved = in_review(preparer, code="91110000600037341L")

    run = start(reviewer, Kind.SEND, [*filings, not_approved])
    work()

    got = results(run)
    assert [state for _, state, _ in got] == [Item.DONE] * 4 + [Item.FAILED]
    assert got[4][2] == english(errors.NOT_APPROVED, status="In review")
    assert [status_of(f) for f in filings] == [State.SUBMITTED] * 4
    assert sends_per_filing() == {f.company.credit_code: 1 for f in filings}
    for item in run.items.filter(state=Item.DONE).select_related("submission"):
        submission = item.submission
        assert submission is not None
        assert submission.outcome == Submission.Outcome.ACCEPTED
        assert submission.provider_request_id in item.message
    assert Submission.objects.count() == 4
    run.refresh_from_db()
    assert run.state == BulkRun.State.DONE


@pytest.mark.django_db(transaction=True)
def test_send_many_keeps_to_the_configured_rate(
    sandbox: str, preparer: User, reviewer: User, settings: Any
) -> None:
    settings.VOLC_MAX_REQUESTS_PER_SECOND = 4  # one request every 0.25 s
    filings = approved_filings(preparer, reviewer, 4)
    run = start(reviewer, Kind.SEND, filings)
    began = time.monotonic()
    work()
    took = time.monotonic() - began

    starts = list(Submission.objects.order_by("started_at").values_list("started_at", flat=True))
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(starts)]
    assert len(gaps) == 3
    assert min(gaps) > 0.2, gaps
    assert took >= 0.7
    assert [state for _, state, _ in results(run)] == [Item.DONE] * 4


@pytest.mark.django_db(transaction=True)
def test_send_many_stops_at_the_first_throttling_answer_leaving_the_rest_approved(
    sandbox_mode: Any, preparer: User, reviewer: User, rate: Any, en: None
) -> None:
    filings = approved_filings(preparer, reviewer, 5)
    run = start(reviewer, Kind.SEND, filings)
    assert work(limit=2) == 2
    sandbox_mode(SandboxConfig.Mode.THROTTLED)
    work()

    got = results(run)
    assert [state for _, state, _ in got] == [
        Item.DONE,
        Item.DONE,
        Item.FAILED,
        Item.SKIPPED,
        Item.SKIPPED,
    ]
    throttled = Submission.objects.get(filing=filings[2])
    assert (throttled.http_status, throttled.error_code) == (429, "FlowLimitExceeded")
    assert got[2][2].startswith("Volcengine asked to slow down; the rest of the run was not sent.")
    assert "FlowLimitExceeded" in got[2][2]
    assert got[3][2] == got[4][2] == english(messages.SLOW_DOWN)
    # One request each for the first three; none for the two after the throttling answer.
    assert SandboxRequest.objects.count() == 3
    assert [status_of(f) for f in filings[3:]] == [State.APPROVED, State.APPROVED]
    run.refresh_from_db()
    assert (run.state, run.finished_at is not None) == (BulkRun.State.STOPPED, True)
    stopped = AuditEvent.objects.get(kind="bulk.stopped")
    assert stopped.data["skipped"] == 2
    assert stopped.data["http_status"] == 429


# --- cancel --------------------------------------------------------------------------------------


def browser(user: User) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def progress_url(run: BulkRun, page: str = "progress") -> str:
    return reverse(f"admin:filings_filing_bulk_{page}", args=[run.pk])


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_send_run_sends_nothing_more(
    sandbox: str, preparer: User, reviewer: User, rate: Any, en: None
) -> None:
    filings = approved_filings(preparer, reviewer, 4)
    run = start(reviewer, Kind.SEND, filings)
    assert work(limit=1) == 1

    answer = browser(reviewer).post(progress_url(run, "cancel"))
    assert answer.status_code == 302
    assert answer["Location"] == progress_url(run)

    assert work() == 3  # the remaining tasks find their items skipped and do nothing
    assert results(run)[1:] == [
        (f.pk, Item.SKIPPED, english(messages.CANCELLED)) for f in filings[1:]
    ]
    assert SandboxRequest.objects.count() == 1
    assert [status_of(f) for f in filings] == [State.SUBMITTED] + [State.APPROVED] * 3
    run.refresh_from_db()
    assert (run.state, run.cancelled_by_id) == (BulkRun.State.CANCELLED, reviewer.pk)
    assert run.finished_at is not None
    assert AuditEvent.objects.get(kind="bulk.cancelled").data == {"skipped": 3}
    # Cancelled once: a second cancel says so and changes nothing.
    with pytest.raises(errors.StaleState):
        bulk_run_cancel(actor=reviewer, run=run)


@pytest.mark.django_db
def test_only_the_starter_or_those_who_may_make_the_move_follow_or_cancel_a_run(
    preparer: User, reviewer: User, auditor: User
) -> None:
    filing = complete_filing(preparer)
    run = start(preparer, Kind.SUBMIT, [filing])
    for outsider in (reviewer, auditor):
        client = browser(outsider)
        assert client.get(progress_url(run)).status_code == 403
        assert client.get(progress_url(run, "status")).status_code == 403
        assert client.post(progress_url(run, "cancel")).status_code == 403
    assert browser(preparer).get(progress_url(run, "cancel")).status_code == 405
    run.refresh_from_db()
    assert run.state == BulkRun.State.RUNNING


# --- idempotent re-runs and dead workers --------------------------------------------------------


def changes() -> tuple[int, int, int, list[tuple[int, str, str]]]:
    items = list(BulkItem.objects.order_by("pk").values_list("pk", "state", "message"))
    return (
        SandboxRequest.objects.count(),
        Submission.objects.count(),
        AuditEvent.objects.count(),
        items,
    )


@pytest.mark.django_db(transaction=True)
def test_an_items_task_run_twice_does_its_work_once(
    sandbox: str, preparer: User, reviewer: User, rate: Any
) -> None:
    filings = approved_filings(preparer, reviewer, 3)
    send_run = start(reviewer, Kind.SEND, filings)
    submit_run = start(
        preparer, Kind.SUBMIT, [complete_filing(preparer, code="91310115MA1K3BTP2B")]
    )
    assert work(limit=2) == 2
    first_two = results(send_run)[:2]
    # The queue delivers the first two items' tasks again, next, while the run still goes on.
    for item in send_run.items.filter(position__lte=2):
        process_bulk_item.using(priority=0).enqueue(item.pk)
    assert work() == 4

    assert results(send_run)[:2] == first_two
    assert sends_per_filing() == {f.company.credit_code: 1 for f in filings}
    before = changes()

    # And every task of both finished runs once more.
    for item in BulkItem.objects.filter(run__in=[send_run, submit_run]):
        process_bulk_item.enqueue(item.pk)
    assert work() == 4

    assert changes() == before
    assert before[:2] == (3, 3)  # one request and one Submission per filing


@pytest.mark.django_db
def test_the_sweep_settles_a_send_whose_worker_died_without_sending_again(
    preparer: User, reviewer: User, volc_settings: Any, en: None
) -> None:
    mid_send, before_send, waiting = approved_filings(preparer, reviewer, 3)
    run = start(reviewer, Kind.SEND, [mid_send, before_send, waiting])
    items = list(run.items.order_by("position"))
    claimed = timezone.now()
    # A worker claimed the first and died inside the send (the filing stays SENDING); another
    # claimed the second and died before sending; the third's task died while it waited.
    BulkItem.objects.filter(pk__in=[items[0].pk, items[1].pk]).update(
        state=Item.WORKING, claimed_at=claimed
    )
    stuck_in_sending(reviewer, mid_send)
    DBTaskResult.objects.filter(pk=items[2].task_id).update(
        status="RUNNING", started_at=claimed, worker_ids=["dead"]
    )

    later = claimed + lease() + timedelta(seconds=1)
    assert run_sweep(run.pk, now=later) is False  # the third gets a new task

    assert results(run)[:2] == [
        (mid_send.pk, Item.FAILED, english(messages.INTERRUPTED_MID_SEND, status="Sending")),
        (
            before_send.pk,
            Item.SKIPPED,
            english(messages.INTERRUPTED_BEFORE_SEND, status="Approved"),
        ),
    ]
    third = BulkItem.objects.get(pk=items[2].pk)
    assert (third.state, third.attempts) == (Item.PENDING, 2)
    assert third.task_id != items[2].task_id
    # Nothing was sent: this test has no Volcengine at all (no endpoint answers).
    assert not Submission.objects.exists()
    assert (status_of(mid_send), status_of(before_send)) == (State.SENDING, State.APPROVED)
    # The dead send is reconciled as always, never resent.
    assert sending.reconcile_sending(actor=reviewer, older_than=timedelta(0)) == [mid_send.pk]
    assert status_of(mid_send) == State.UNKNOWN


@pytest.mark.django_db
def test_the_sweep_gives_an_item_up_after_its_tasks_failed_repeatedly(
    preparer: User, reviewer: User, en: None
) -> None:
    filing = complete_filing(preparer)
    run = start(preparer, Kind.SUBMIT, [filing])
    item = run.items.get()
    BulkItem.objects.filter(pk=item.pk).update(attempts=3)
    DBTaskResult.objects.filter(pk=item.task_id).update(status="FAILED")

    assert run_sweep(run.pk) is True

    assert results(run) == [(filing.pk, Item.FAILED, english(messages.TASK_FAILED, attempts=3))]
    assert status_of(filing) == State.DRAFT
    run.refresh_from_db()
    assert run.state == BulkRun.State.DONE
    # While the run was open its sweep was scheduled, for when a send could last no longer.
    sweeps = DBTaskResult.objects.filter(task_path=f"{BULK_TASKS}sweep_bulk_run")
    assert sweeps.count() == 1
    assert sweeps.get().run_after > timezone.now() + lease() - timedelta(seconds=30)


# --- the admin: actions, confirmation, progress page ---------------------------------------------


def actions_offered(user: User) -> set[str]:
    page = browser(user).get(reverse("admin:filings_filing_changelist"))
    assert page.status_code == 200
    form = page.context["action_form"]  # None: no action at all for this user
    offered = {choice for choice, _label in form.fields["action"].choices} if form else set()
    return offered & {"submit_many", "approve_many", "send_many"}


@pytest.mark.django_db
def test_each_role_is_offered_its_own_bulk_actions(
    preparer: User, reviewer: User, auditor: User, superuser: User
) -> None:
    assert actions_offered(preparer) == {"submit_many"}
    assert actions_offered(reviewer) == {"approve_many", "send_many"}
    assert actions_offered(auditor) == set()
    assert actions_offered(superuser) == {"submit_many", "approve_many", "send_many"}


@pytest.mark.django_db
def test_the_action_asks_first_then_starts_the_run_and_shows_its_progress(
    preparer: User, reviewer: User, volc_settings: Any, en: None
) -> None:
    codes = credit_codes()
    filings = [in_review(preparer, code=next(codes)) for _ in range(2)]
    client = browser(reviewer)
    changelist = reverse("admin:filings_filing_changelist")
    chosen = {"action": "approve_many", "_selected_action": [f.pk for f in filings]}

    asked = client.post(changelist, {**chosen, "index": "0"})
    assert asked.status_code == 200
    assert asked.templates[0].name == "admin/bulk/confirm.html"
    assert english(messages.CONFIRM_APPROVE, count=2) in asked.content.decode()
    assert not BulkRun.objects.exists()

    started = client.post(changelist, {**chosen, "post": "yes"})
    run = BulkRun.objects.get()
    assert (run.kind, run.actor_id, run.language) == (Kind.APPROVE, reviewer.pk, "en")
    assert started.status_code == 302
    assert started["Location"] == progress_url(run)

    page = client.get(progress_url(run))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="/static/filings/bulk.js"' in html
    assert f'data-status-url="{progress_url(run, "status")}"' in html
    assert all(f'id="bulk-item-{item.pk}"' in html for item in run.items.all())
    assert "<script>" not in html  # the CSP allows no inline script

    waiting = json.loads(client.get(progress_url(run, "status")).content)
    assert (waiting["finished"], waiting["counts"]) == (
        False,
        {"done": 0, "failed": 0, "skipped": 0, "remaining": 2},
    )
    work()
    finished = client.get(progress_url(run, "status"))
    assert "no-store" in finished["Cache-Control"]
    data = json.loads(finished.content)
    assert (data["finished"], data["state"], data["counts"]["done"]) == (True, "done", 2)
    assert [item["filing_status"] for item in data["items"]] == ["APPROVED", "APPROVED"]


def test_approve_many_never_approves_a_filing_that_was_not_in_review_when_the_run_started(
    preparer: User, reviewer: User, volc_settings: Any, en: None
) -> None:
    draft = complete_filing(preparer, code=next(credit_codes(40)))
    run = start(reviewer, Kind.APPROVE, [draft])
    # Submitted after the run started: nobody saw this content when choosing to approve.
    review.filing_submit(actor=preparer, filing=draft)

    work()

    assert results(run) == [(draft.pk, Item.FAILED, english(errors.SEEN_CONTENT_CHANGED))]
    assert status_of(draft) == State.IN_REVIEW


@pytest.mark.django_db
def test_a_selection_over_the_limit_is_refused_before_it_is_listed(
    preparer: User, reviewer: User, volc_settings: Any, en: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("filings.admin.bulk_actions.MAX_ITEMS", 2)
    codes = credit_codes()
    filings = [in_review(preparer, code=next(codes)) for _ in range(3)]
    client = browser(reviewer)
    changelist = reverse("admin:filings_filing_changelist")
    chosen = {"action": "approve_many", "_selected_action": [f.pk for f in filings]}

    asked = client.post(changelist, {**chosen, "index": "0"}, follow=True)

    assert "admin/bulk/confirm.html" not in [t.name for t in asked.templates]
    assert english(messages.TOO_MANY, limit=2) in asked.content.decode()
    assert not BulkRun.objects.exists()
