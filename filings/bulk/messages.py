"""What bulk runs say to people: constants tests can import."""

from django.utils.translation import gettext_lazy as _

NOTHING_SELECTED = _("Select at least one filing.")
TOO_MANY = _("Select at most {limit} filings for one run.")
NOT_RUNNING = _("This run is no longer running: nothing was cancelled.")
STARTED = _("Started: {count} filings, one at a time. This page follows them.")

SENT = _("Sent. {outcome}")
SLOW_DOWN = _("Skipped: Volcengine asked to slow down.")
SLOW_DOWN_ANSWER = _("Volcengine asked to slow down; the rest of the run was not sent. {outcome}")
CANCELLED = _("Skipped: the run was cancelled.")
INTERRUPTED_BEFORE_SEND = _(
    "Interrupted before anything was sent: the worker stopped. The filing is still “{status}”."
)
INTERRUPTED_MID_SEND = _(
    "The worker stopped during the send: the outcome is unknown. The filing is “{status}”; "
    "reconcile_sending makes a filing stuck in “Sending” “Outcome unknown” for a reviewer, and "
    "nothing is sent again."
)
TASK_FAILED = _("The background task failed {attempts} times; nothing was changed.")

CONFIRM_SUBMIT = _("Submit these {count} filings for review?")
CONFIRM_APPROVE = _(
    "Approve these {count} filings exactly as they are now? Each is checked as on its review "
    "page (four-eyes, pre-flight); any later edit voids the approval."
)
CONFIRM_SEND = _(
    "Send these {count} filings to Volcengine, at most {rate} per second? Each is sent once; "
    "this cannot be undone. The run stops at the first answer asking to slow down."
)
