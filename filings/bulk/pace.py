"""The shared pace of bulk sends: every worker on every machine keeps to
VOLC_MAX_REQUESTS_PER_SECOND together, through one row of the database.

A worker reserves the next free moment with one statement (an upsert returning the moment it
reserved), then sleeps outside any transaction until that moment. The row is locked only while
the server runs that statement: every send of every worker passes here, so no worker holds it
across a round trip (a SELECT … FOR UPDATE, then an UPDATE, then a COMMIT, each waiting on a
worker that may be off the CPU). The machines' clocks are assumed in step (NTP).
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection

from filings.bulk.models import SendPace
from filings.bulk.rate_limit import RateLimit

PACE_PK = 1


def configured_limit() -> RateLimit:
    return RateLimit(settings.VOLC_MAX_REQUESTS_PER_SECOND)


def _reserve_sql() -> str:
    """RateLimit.reserve in SQL (PostgreSQL and SQLite ≥ 3.35 alike): the moment is the later of
    now and the row's next free moment (now when there is none), and the row moves on by one
    interval; the statement returns the row's new next free moment."""
    table = connection.ops.quote_name(SendPace._meta.db_table)
    return (  # the table's name only; every value is a parameter
        f"INSERT INTO {table} (id, next_free) VALUES (%(pk)s, %(now)s + %(interval)s) "  # noqa: S608  # nosec B608
        f"ON CONFLICT (id) DO UPDATE SET next_free = CASE "
        f"WHEN {table}.next_free IS NULL OR {table}.next_free < %(now)s THEN %(now)s "
        f"ELSE {table}.next_free END + %(interval)s "
        f"RETURNING next_free"
    )


def pace_reserve(limit: RateLimit, now: float) -> float:
    """Reserve the next free moment for one request asked for at `now`; returns that moment.

    Concurrent reservations queue on the row's lock inside the statement, and each reads the
    moment the one before it left (an upsert's update always applies to the row's latest
    version): no moment is given twice.
    """
    interval = limit.interval
    with connection.cursor() as cursor:
        cursor.execute(_reserve_sql(), {"pk": PACE_PK, "now": float(now), "interval": interval})
        (next_free,) = cursor.fetchone()
    # The moment reserved is one interval before the row's new next free moment (never before
    # now, whatever the rounding of adding and taking away the interval).
    return max(float(now), float(next_free) - interval)


def pace_wait(
    limit: RateLimit | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Return when the next request towards Volcengine may go."""
    start = pace_reserve(limit or configured_limit(), clock())
    delay = start - clock()
    if delay > 0:
        sleep(delay)
