"""The pace of bulk sends (filings/bulk/rate_limit.py) on a fake clock, and which answers ask
to slow down."""

import pytest

from filings.bulk.rate_limit import RateLimit, is_throttling


class FakeClock:
    """Time that moves only when a request waits or the test lets it pass."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def advance(self, seconds: float) -> None:
        self.now += seconds


def send_times(limit: RateLimit, asked_at: list[float]) -> list[float]:
    """When each request goes, asked for at the given moments, one after the other (a worker
    that waits for each request before asking for the next)."""
    clock = FakeClock(asked_at[0])
    next_free: float | None = None
    went = []
    for moment in asked_at:
        clock.now = max(clock.now, moment)
        start, next_free = limit.reserve(next_free, clock.now)
        clock.advance(start - clock.now)  # the worker sleeps until its moment
        went.append(clock.now)
    return went


def test_requests_asked_for_at_once_are_spaced_by_the_interval() -> None:
    went = send_times(RateLimit(5), [0.0] * 6)
    assert went == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])


def test_no_second_holds_more_requests_than_the_rate() -> None:
    went = send_times(RateLimit(5), [0.0] * 50)
    for first in went:
        in_window = [t for t in went if first <= t < first + 1.0 - 1e-9]
        assert len(in_window) <= 5
    assert went[-1] == pytest.approx(49 * 0.2)


def test_requests_slower_than_the_rate_never_wait() -> None:
    asked = [0.0, 0.5, 1.0, 3.0]
    assert send_times(RateLimit(5), asked) == asked


def test_idle_time_is_not_saved_up_for_a_burst() -> None:
    # After ten quiet seconds, only the first request goes at once; the next waits its turn.
    went = send_times(RateLimit(2), [0.0, 10.0, 10.0, 10.0])
    assert went == pytest.approx([0.0, 10.0, 10.5, 11.0])


def test_workers_sharing_the_reservation_interleave_within_the_rate() -> None:
    limit = RateLimit(4)
    shared: float | None = None
    starts = []
    # Two workers ask at the same moments; each reservation sees the other's.
    for _round in range(3):
        for _worker in range(2):
            start, shared = limit.reserve(shared, 0.0)
            starts.append(start)
    assert starts == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.25])


def test_a_fractional_rate_spaces_requests_by_more_than_a_second() -> None:
    assert send_times(RateLimit(0.5), [0.0, 0.0]) == pytest.approx([0.0, 2.0])


@pytest.mark.parametrize("rate", [0, -1, float("nan")])
def test_a_rate_must_be_more_than_zero(rate: float) -> None:
    with pytest.raises(ValueError, match="more than 0"):
        RateLimit(rate)


@pytest.mark.parametrize(
    ("status", "code", "throttling"),
    [
        (429, "FlowLimitExceeded", True),
        (429, "", True),  # a 429 without the envelope still says "too many"
        (400, "AccountFlowLimitExceeded", True),
        (200, "OverQpsLimit", True),
        (None, "", False),  # no answer at all
        (401, "SignatureDoesNotMatch", False),
        (500, "InternalError", False),
        (200, "", False),
    ],
)
def test_which_answers_ask_to_slow_down(status: int | None, code: str, throttling: bool) -> None:
    assert is_throttling(status, code) is throttling
