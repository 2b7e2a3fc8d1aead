"""Races between threads, each with its own database connection: one send per approval, one
unbroken audit chain, and approval vs. edit ending in a consistent state whichever wins."""

import threading
import time
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from filings import audit, errors
from filings.audit import verify_chain
from filings.content import content_hash
from filings.models import AuditChainHead, AuditEvent, Company, Filing, Submission
from filings.sandbox.models import SandboxRequest
from filings.services import editing, review
from filings.services.documents import Upload, document_upload
from filings.services.sending import filing_send
from tests.builders import VALID_CODES, approved_filing, complete_filing, image

# Threads need committed data and their own connections (the roles come back through
# conftest's role() after each flush).
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("volc_settings"),
]

THREADS = 20
ON_SQLITE = connection.vendor == "sqlite"
# SQLite has no row locks (SELECT … FOR UPDATE is ignored; a writer locks the whole database),
# so the races these tests set up between row locks only exist on PostgreSQL, where CI runs the
# whole suite too.
REAL_RACE = pytest.mark.skipif(
    ON_SQLITE,
    reason="simultaneous writers racing for row locks need PostgreSQL: SQLite has no row locks",
)
TABLE = AuditEvent._meta.db_table


def run_together(calls: list[Callable[[], object]], timeout: float = 120) -> list[object]:
    """Start every call at the same moment, each in its own thread with its own connection.

    Returns, per call, what it returned or the exception it raised.
    """
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:  # handed back to the test to assert on
            results[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(index, call), daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    return results


def assert_chain_contiguous() -> int:
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    report = verify_chain()
    assert report.ok, report
    assert report.count == len(seqs)
    return len(seqs)


# --- (a) twenty sends of one approval: exactly one request leaves


@REAL_RACE
def test_twenty_concurrent_sends_send_exactly_once(
    sandbox: str, preparer: User, reviewer: User, reviewer2: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    senders = [reviewer, reviewer2]
    copies = [Filing.objects.get(pk=filing.pk) for _ in range(THREADS)]

    results = run_together(
        [
            lambda copy=copy, actor=senders[index % 2]: filing_send(actor=actor, filing=copy)
            for index, copy in enumerate(copies)
        ]
    )

    sent = [r for r in results if isinstance(r, Submission)]
    stale = [r for r in results if isinstance(r, errors.StaleState)]
    others = [r for r in results if not isinstance(r, Submission | errors.StaleState)]
    assert others == []
    assert (len(sent), len(stale)) == (1, THREADS - 1)
    assert SandboxRequest.objects.count() == 1
    submission = Submission.objects.get()
    assert submission.pk == sent[0].pk
    assert submission.outcome == Submission.Outcome.ACCEPTED
    assert submission.content_hash == filing.approved_hash
    filing.refresh_from_db()
    assert (filing.status, filing.sending_started_at) == ("SUBMITTED", None)
    kinds = list(AuditEvent.objects.filter(filing=filing).values_list("kind", flat=True))
    assert kinds.count("submission.sent") == 1
    assert kinds.count("submission.response") == 1
    assert kinds[-2:] == ["submission.sent", "submission.response"]
    assert_chain_contiguous()


# --- (b) twenty writers append to one chain


@REAL_RACE
def test_concurrent_appends_keep_one_contiguous_chain(preparer: User, reviewer: User) -> None:
    company = editing.company_create(actor=preparer, name="火山", credit_code=VALID_CODES[0])
    per_thread = 5
    actors = [preparer, reviewer]

    def append(index: int) -> list[int]:
        seqs = []
        for n in range(per_thread):
            with transaction.atomic():
                event = audit.record(
                    actor=actors[index % 2],
                    kind="test.concurrent",
                    target=company,
                    data={"thread": index, "n": n},
                )
            seqs.append(event.seq)
        return seqs

    results = run_together([lambda index=index: append(index) for index in range(THREADS)])

    assert [r for r in results if not isinstance(r, list)] == []
    total = assert_chain_contiguous()
    assert total == 1 + THREADS * per_thread
    written = sorted(seq for seqs in results if isinstance(seqs, list) for seq in seqs)
    assert written == list(range(2, total + 1))  # every seq handed out once
    data = AuditEvent.objects.filter(kind="test.concurrent").values_list("data", flat=True)
    assert sorted((d["thread"], d["n"]) for d in data) == [
        (t, n) for t in range(THREADS) for n in range(per_thread)
    ]
    head = AuditChainHead.objects.get()
    last = AuditEvent.objects.order_by("seq").last()
    assert last is not None
    assert (head.seq, head.hash) == (total, last.hash)


# --- (c) approval racing an edit

EDITS: dict[str, Callable[[User, Filing], object]] = {
    "field": lambda actor, filing: editing.filing_update(
        actor=actor, filing=filing, callee_source="赛跑中改的来源"
    ),
    "script": lambda actor, filing: editing.script_update(
        actor=actor, script=filing.scripts.first(), content="赛跑中改的话术"
    ),
    "document": lambda actor, filing: document_upload(
        actor=actor, filing=filing, kind="businessLicense", upload=Upload("new.jpg", image(77))
    ),
}
ORDERS = [
    pytest.param("approver first", id="approver-first"),
    pytest.param("editor first", id="editor-first"),
    pytest.param("together", id="together", marks=REAL_RACE),
]


def in_order(
    order: str, approve: Callable[[], object], edit: Callable[[], object]
) -> tuple[object, object]:
    """Run `approve` and `edit` in two threads, each with its own connection: one after the
    other has finished (so each order is certain to be tried), or both at the same moment."""
    if order == "together":
        approved, edited = run_together([approve, edit])
        return approved, edited
    done = threading.Event()

    def leader(call: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            try:
                return call()
            finally:
                done.set()

        return run

    def follower(call: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            assert done.wait(60)
            return call()

        return run

    if order == "approver first":
        approved, edited = run_together([leader(approve), follower(edit)])
    else:
        approved, edited = run_together([follower(approve), leader(edit)])
    return approved, edited


def rounds(order: str) -> int:
    return 5 if order == "together" else 1


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("edit", list(EDITS))
def test_approval_racing_an_edit_ends_consistent(
    edit: str, order: str, preparer: User, reviewer: User
) -> None:
    for round_ in range(rounds(order)):
        filing = complete_filing(preparer, code=VALID_CODES[round_ % len(VALID_CODES)])
        review.filing_submit(actor=preparer, filing=filing)
        filing = Filing.objects.get(pk=filing.pk)

        approved, edited = in_order(
            order,
            lambda f=filing: review.filing_approve(actor=reviewer, filing=f),
            lambda f=filing: EDITS[edit](preparer, f),
        )
        final = Filing.objects.get(pk=filing.pk)
        kinds = list(AuditEvent.objects.filter(filing=final).values_list("kind", flat=True))

        assert isinstance(approved, Filing), approved  # in review, nothing can stop it
        if order != "together":
            expected = "DRAFT" if order == "approver first" else "APPROVED"
            assert final.status == expected, (approved, edited)
        if final.status == Filing.Status.APPROVED:
            # The edit came first and was refused (in review): the approval binds the content.
            assert isinstance(edited, errors.FilingsError), edited
            assert final.approved_hash == content_hash(final)
            assert kinds[-1] == "filing.approved"
        else:
            # The approval came first; the edit voided it.
            assert not isinstance(edited, BaseException), edited
            assert final.status == Filing.Status.DRAFT
            assert (final.approved_hash, final.approved_by) == ("", None)
            assert kinds[-3] == "filing.approved"
            assert kinds[-1] == "filing.approval_voided"
        assert_chain_contiguous()


@pytest.mark.parametrize("order", ORDERS)
def test_approval_racing_a_withdraw_and_edit_ends_consistent(
    order: str, preparer: User, reviewer: User
) -> None:
    for round_ in range(rounds(order)):
        filing = complete_filing(preparer, code=VALID_CODES[round_ % len(VALID_CODES)])
        review.filing_submit(actor=preparer, filing=filing)

        def withdraw_and_edit(filing: Filing = filing) -> object:
            review.filing_withdraw(actor=preparer, filing=filing)
            return editing.filing_update(actor=preparer, filing=filing, callee_source="撤回后改")

        approved, edited = in_order(
            order,
            lambda f=filing: review.filing_approve(actor=reviewer, filing=f),
            withdraw_and_edit,
        )
        final = Filing.objects.get(pk=filing.pk)

        if order != "together":
            expected = "APPROVED" if order == "approver first" else "DRAFT"
            assert final.status == expected, (approved, edited)
        if final.status == Filing.Status.APPROVED:
            # Approved first: the filing can no longer be withdrawn, so nothing was edited.
            assert isinstance(approved, Filing), approved
            assert isinstance(edited, errors.StaleState), edited
            assert final.approved_hash == content_hash(final)
            assert final.callee_source == "网站"
        else:
            # Withdrawn first: the approval finds a draft and is refused; the edit applies.
            assert isinstance(approved, errors.StaleState), approved
            assert isinstance(edited, Filing), edited
            assert final.status == Filing.Status.DRAFT
            assert (final.approved_hash, final.callee_source) == ("", "撤回后改")
        assert_chain_contiguous()


# --- (d) a company edit racing approvals of that company's filings


@pytest.mark.postgres
@REAL_RACE
def test_a_company_edit_racing_approvals_takes_locks_in_one_order(
    preparer: User, preparer2: User, reviewer: User
) -> None:
    """One editor renames the company while reviewers approve its filings, all at once.

    Every service locks the filing rows first (by pk), then the company, then the audit chain
    head, so nothing deadlocks. The editor is refused while any filing is still in review and
    retries; one approval waits for that refusal, so both outcomes happen in every round.
    """
    per_company = 6
    for round_, code in enumerate(VALID_CODES):
        filings = [complete_filing(preparer, code=code) for _ in range(per_company)]
        for filing in filings:
            review.filing_submit(actor=preparer, filing=filing)
        company = filings[0].company
        refused = threading.Event()
        held_back = filings[-1].pk

        def edit(
            company: Company = company,
            code: str = code,
            round_: int = round_,
            refused: threading.Event = refused,
        ) -> list[str]:
            attempts: list[str] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    editing.company_update(
                        actor=preparer2, company=company, name=f"改名 {round_}", credit_code=code
                    )
                except errors.FilingsError as exc:
                    attempts.append(exc.message)
                    refused.set()
                    time.sleep(0.005)
                else:
                    return [*attempts, "edited"]
            return [*attempts, "gave up"]

        def approve(
            filing: Filing, held_back: int = held_back, refused: threading.Event = refused
        ) -> object:
            if filing.pk == held_back and not refused.wait(60):
                return "the editor was never refused"
            return review.filing_approve(actor=reviewer, filing=filing)

        results = run_together([edit, *[lambda f=f: approve(f) for f in filings]])

        attempts, approvals = results[0], results[1:]
        assert all(isinstance(a, Filing) for a in approvals), approvals
        assert isinstance(attempts, list), attempts
        assert attempts[-1] == "edited", attempts
        assert len(attempts) >= 2, attempts  # refused at least once, then done
        for message in attempts[:-1]:
            assert message.startswith(str(errors.COMPANY_LOCKED).split("{")[0]), message
        company.refresh_from_db()
        assert company.name == f"改名 {round_}"
        assert (
            AuditEvent.objects.filter(kind="company.updated", target_id=str(company.pk)).count()
            == 1
        )
        for filing in filings:
            final = Filing.objects.get(pk=filing.pk)
            assert (final.status, final.approved_hash, final.updated_by) == ("DRAFT", "", preparer2)
            kinds = list(AuditEvent.objects.filter(filing=final).values_list("kind", flat=True))
            assert kinds[-3:] == [
                "filing.approved",
                "filing.company_changed",
                "filing.approval_voided",
            ]
        assert_chain_contiguous()
