"""How a send attempt's outcome reads: its label, its tone and what Volcengine said.

The one wording for pages, messages, commands, exports and audit data.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from filings.models import Submission

Outcome = Submission.Outcome

# How a page shows each outcome: only an acceptance is good news.
TONES = {
    Outcome.ACCEPTED: "success",
    Outcome.REJECTED: "error",
    Outcome.NOT_SENT: "warning",
    Outcome.UNKNOWN: "warning",
}


def volcengine_said(
    *,
    error_code: str = "",
    error_message: str = "",
    result_code: str = "",
    result_message: str = "",
    transport_error: str = "",
) -> str:
    """What Volcengine answered (code and message), or why there was no usable answer."""
    if error_code or error_message:
        return f"{error_code} {error_message}".strip()
    if result_code or result_message:
        return f"{result_code} {result_message}".strip()
    if transport_error:
        reason = transport_error.split(":", 1)[0].strip()
        return _("No usable answer from Volcengine (%(reason)s).") % {"reason": reason}
    return ""


@dataclass(frozen=True)
class OutcomeView:
    outcome: str
    label: str
    tone: str
    said: str
    http_status: int | None
    request_id: str

    @property
    def summary(self) -> str:
        text = _("Outcome: %(outcome)s · HTTP %(status)s · RequestId %(rid)s") % {
            "outcome": self.label,
            "status": self.http_status or "—",
            "rid": self.request_id or "—",
        }
        return f"{text} · {self.said}" if self.said else text


def describe(submission: Submission) -> OutcomeView:
    outcome = Outcome(submission.outcome)
    return OutcomeView(
        outcome=outcome.value,
        label=str(outcome.label),
        tone=TONES[outcome],
        said=volcengine_said(
            error_code=submission.error_code,
            error_message=submission.error_message,
            result_code=submission.result_code,
            result_message=submission.result_message,
            transport_error=submission.transport_error,
        ),
        http_status=submission.http_status,
        request_id=submission.provider_request_id,
    )
