"""The desk's "since when" is a column, Filing.state_since, that the services write: each move
stamps it, an accepted send stamps its start, a content edit restarts it; the desk counts,
filters and sorts by it without a subquery per filing, and the migration filled it with the
value the desk computed before."""

import importlib
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from filings.desk.home import reviewer_lists
from filings.models import Filing, Submission
from filings.services import editing, review, sending
from filings.workflow import State
from tests.builders import VALID_CODES, approved_filing, complete_filing, fresh, in_review
from tests.integration.test_home_pages import accepted
from tests.number_builders import received

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]


def test_each_move_stamps_state_since_with_updated_at(preparer: User, reviewer: User) -> None:
    filing = complete_filing(preparer)
    review.filing_submit(actor=preparer, filing=filing)
    submitted = fresh(filing)
    assert submitted.state_since == submitted.updated_at

    review.filing_approve(actor=reviewer, filing=filing)
    approved = fresh(filing)
    assert approved.state_since == approved.updated_at > submitted.state_since


def test_an_edit_restarts_state_since_as_it_restarts_updated_at(preparer: User) -> None:
    filing = complete_filing(preparer)
    Filing.objects.filter(pk=filing.pk).update(
        state_since=timezone.now() - timedelta(days=3),
        updated_at=timezone.now() - timedelta(days=3),
    )
    editing.filing_update(actor=preparer, filing=fresh(filing), callee_source="官网与公众号")
    edited = fresh(filing)
    assert edited.state_since == edited.updated_at > timezone.now() - timedelta(minutes=1)


def test_an_accepted_send_stamps_the_sends_start(
    sandbox: str, preparer: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    submission = sending.filing_send(actor=reviewer, filing=filing)
    assert submission.outcome == Submission.Outcome.ACCEPTED

    sent = fresh(filing)
    assert sent.status == State.SUBMITTED
    assert sent.state_since == submission.started_at < sent.updated_at


def test_resolved_as_received_waits_since_the_move(preparer: User, reviewer: User) -> None:
    filing = received(reviewer, approved_filing(preparer, reviewer))
    assert filing.status == State.SUBMITTED
    assert filing.state_since == filing.updated_at


def test_the_reviewer_lists_sort_and_count_by_the_column_without_a_submission_subquery(
    preparer: User, reviewer: User, reviewer2: User, settings: Any
) -> None:
    settings.PORTAL_WAITING_ALERT_DAYS = 5
    now = timezone.now()
    older = received(reviewer2, approved_filing(preparer, reviewer2, code=VALID_CODES[1]))
    newer = received(reviewer2, approved_filing(preparer, reviewer2, code=VALID_CODES[2]))
    Filing.objects.filter(pk=older.pk).update(state_since=now - timedelta(days=9))
    Filing.objects.filter(pk=newer.pk).update(state_since=now - timedelta(days=2))
    in_review(preparer)

    with CaptureQueriesContext(connection) as captured:
        lists = {found.key: found for found in reviewer_lists(reviewer, now)}

    waiting = lists["decisions-to-record"]
    assert [row.url for row in waiting.rows] == [
        reverse("admin:filings_filing_change", args=[pk]) for pk in (older.pk, newer.pk)
    ]
    assert [row.days for row in waiting.rows] == [9, 2]
    assert (waiting.count, waiting.alerts) == (2, 1)
    assert lists["review-queue"].count == 1
    submissions = Submission._meta.db_table
    assert not [q["sql"] for q in captured.captured_queries if submissions in q["sql"]]


def test_the_home_page_reads_no_submission_per_filing(
    client: Client, preparer: User, reviewer: User
) -> None:
    received(reviewer, approved_filing(preparer, reviewer))
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("admin:index")).status_code == 200
    correlated = [
        q["sql"]
        for q in captured.captured_queries
        if f'FROM "{Submission._meta.db_table}" U0' in q["sql"]
    ]
    assert correlated == []


def test_the_migration_fills_in_the_value_the_desk_computed(preparer: User, reviewer: User) -> None:
    now = timezone.now()
    sent = received(reviewer, approved_filing(preparer, reviewer))
    accepted(sent, reviewer, days_ago=6)
    latest = accepted(sent, reviewer, days_ago=4)
    unanswered = received(reviewer, approved_filing(preparer, reviewer, code=VALID_CODES[1]))
    draft = complete_filing(preparer, code=VALID_CODES[2])
    Filing.objects.update(updated_at=now - timedelta(days=1), state_since=now)

    migration = importlib.import_module("filings.migrations.0018_filing_state_since")
    migration.backfill(apps, None)

    assert fresh(sent).state_since == latest.started_at
    assert fresh(unanswered).state_since == now - timedelta(days=1)
    assert fresh(draft).state_since == now - timedelta(days=1)
