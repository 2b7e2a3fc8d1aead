"""The shared pace of bulk sends: every worker on every machine keeps to
VOLC_MAX_REQUESTS_PER_SECOND together, through one row of the database.

A worker reserves the next free moment in a short transaction of its own, then sleeps outside
any transaction until that moment. The machines' clocks are assumed in step (NTP).
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction

from filings.bulk.models import SendPace
from filings.bulk.rate_limit import RateLimit

PACE_PK = 1


def configured_limit() -> RateLimit:
    return RateLimit(settings.VOLC_MAX_REQUESTS_PER_SECOND)


def pace_reserve(limit: RateLimit, now: float) -> float:
    """Reserve the next free moment for one request asked for at `now`; returns that moment."""
    with transaction.atomic():
        row = SendPace.objects.select_for_update().filter(pk=PACE_PK).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = SendPace.objects.create(pk=PACE_PK)
            except IntegrityError:  # another worker made it first
                row = SendPace.objects.select_for_update().get(pk=PACE_PK)
        start, row.next_free = limit.reserve(row.next_free, now)
        row.save(update_fields=["next_free"])
    return start


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
