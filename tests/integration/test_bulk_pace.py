"""The shared pace of bulk sends in the database (filings/bulk/pace.py).

Every send of every worker reserves its moment on one row, so that row is where the workers
queue: a reservation is one statement, the row locked only while the server runs it (no lock
held across round trips to the worker, nor across its sleep). The pace itself is the pure
RateLimit's (tests/unit/test_rate_limit.py): requests asked for at once are spaced by the
interval, and after a pause the next one goes at once.
"""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from filings.bulk.models import SendPace
from filings.bulk.pace import PACE_PK, pace_reserve
from filings.bulk.rate_limit import RateLimit

ON_POSTGRES = connection.vendor == "postgresql"
FOUR_PER_SECOND = RateLimit(4)  # an interval of 0.25 s: exact in binary floating point


@pytest.mark.django_db
def test_requests_asked_for_at_once_are_spaced_by_the_interval() -> None:
    starts = [pace_reserve(FOUR_PER_SECOND, 1000.0) for _ in range(3)]
    assert starts == [1000.0, 1000.25, 1000.5]
    assert SendPace.objects.get(pk=PACE_PK).next_free == 1000.75


@pytest.mark.django_db
def test_after_a_pause_the_next_request_goes_at_once() -> None:
    pace_reserve(FOUR_PER_SECOND, 1000.0)
    assert pace_reserve(FOUR_PER_SECOND, 2000.0) == 2000.0
    assert pace_reserve(FOUR_PER_SECOND, 2000.0) == 2000.25


@pytest.mark.django_db
def test_a_row_without_a_moment_lets_the_first_request_go_at_once() -> None:
    SendPace.objects.create(pk=PACE_PK, next_free=None)
    assert pace_reserve(FOUR_PER_SECOND, 1000.0) == 1000.0
    assert SendPace.objects.get(pk=PACE_PK).next_free == 1000.25


@pytest.mark.django_db
def test_the_database_keeps_the_pace_the_rate_limit_describes() -> None:
    """The statement is RateLimit.reserve in SQL: over requests asked for at uneven moments
    (bursts, pauses, a clock read late), both give every request the same moment."""
    limit = RateLimit(7)
    asked = [1000.0, 1000.0, 1000.01, 1000.02, 1000.5, 1003.0, 1003.0, 1003.1, 1002.9, 1010.0]
    expected: list[float] = []
    next_free: float | None = None
    for now in asked:
        start, next_free = limit.reserve(next_free, now)
        expected.append(start)
    assert [pace_reserve(limit, now) for now in asked] == pytest.approx(expected, abs=1e-9)


@pytest.mark.django_db
@pytest.mark.parametrize("row_exists", [False, True])
def test_a_reservation_is_one_statement(row_exists: bool) -> None:
    """The row is locked from the statement's start to its end: the other workers never wait
    for this one's next round trip (on PostgreSQL, a SELECT … FOR UPDATE, an UPDATE and a
    COMMIT each waited on the worker, which may be off the CPU meanwhile)."""
    if row_exists:
        pace_reserve(FOUR_PER_SECOND, 1000.0)
    with CaptureQueriesContext(connection) as queries:
        pace_reserve(FOUR_PER_SECOND, 1000.0)
    assert len(queries) == 1, [query["sql"] for query in queries]


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="reservations from several connections at once")
@pytest.mark.django_db(transaction=True)
def test_workers_reserving_at_once_never_share_a_moment() -> None:
    """Four threads, each with its own connection, reserve 25 moments each at the same `now`:
    the 100 moments are the 100 consecutive slots, none given twice and none skipped."""
    starts: list[float] = []
    lock = threading.Lock()

    def reserve() -> None:
        try:
            mine = [pace_reserve(FOUR_PER_SECOND, 1000.0) for _ in range(25)]
            with lock:
                starts.extend(mine)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reserve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(starts) == [1000.0 + 0.25 * n for n in range(100)]
