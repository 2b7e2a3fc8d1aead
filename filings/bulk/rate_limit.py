"""Pure: the pace of requests towards Volcengine, and which answers ask to slow down.

No ORM, no network and no clock of its own: the time is given, so tests run on a fake clock.
"""

from dataclasses import dataclass

# Gateway refusals that mean "too many requests": send nothing more for now.
THROTTLING_CODES = frozenset({"FlowLimitExceeded", "AccountFlowLimitExceeded", "OverQpsLimit"})
TOO_MANY_REQUESTS = 429


def is_throttling(http_status: int | None, error_code: str) -> bool:
    """Whether Volcengine's answer (as a Submission records it) asks the portal to slow down."""
    return http_status == TOO_MANY_REQUESTS or error_code in THROTTLING_CODES


@dataclass(frozen=True)
class RateLimit:
    """At most `per_second` requests in any second, evenly spaced (no bursts)."""

    per_second: float

    def __post_init__(self) -> None:
        if not self.per_second > 0:
            raise ValueError(f"a rate must be more than 0 per second, not {self.per_second!r}")

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second

    def reserve(self, next_free: float | None, now: float) -> tuple[float, float]:
        """A request asked for at `now`: the moment it may go, and the next free moment after it.

        `next_free` is what the previous reservation returned (None: nothing sent yet). Idle
        time is not saved up: after a pause the next request goes at once, and only one.
        """
        start = now if next_free is None else max(now, next_free)
        return start, start + self.interval
