"""The one base error of the filings app; user-facing messages are constants tests can import."""

from django.utils.translation import gettext_lazy as _

NOT_PERMITTED = _("You do not have permission to do this.")
STALE_STATE = _(
    "This filing changed while you were looking at it (it is now “{status}”). "
    "Reload the page and try again."
)
NOT_EDITABLE = _(
    "This filing is “{status}” and cannot be edited. Withdraw it from review or rework it first."
)
FOUR_EYES = _(
    "You prepared or edited this filing (or uploaded one of its documents), so another reviewer "
    "must approve it."
)
SEEN_CONTENT_CHANGED = _(
    "The filing's content changed since you opened it. Reload the page, check it again and then "
    "approve."
)
COMPANY_LOCKED = _(
    "The company cannot change while a filing of it is in review or being sent ({filings}): the "
    "company's data is part of what the filing sends. Withdraw the filing from review or wait for "
    "the send to finish, then try again."
)
COMMENT_REQUIRED = _("Please say what must change: the preparer sees this comment.")
UNKNOWN_RESOLUTION = _("“{status}” is not a way to settle an unknown outcome.")
NOTE_REQUIRED = _("Please give the evidence for this outcome (e.g. the support ticket's answer).")
CONTENT_CHANGED = _(
    "The filing's content changed after it was approved; it must be reviewed again before sending."
)
UNKNOWN_DOCUMENT_KIND = _("Unknown document kind.")
NOT_APPROVED = _("Only an approved filing can be sent; this one is “{status}”.")
PREFLIGHT_FAILED = _("The filing is not ready: {problems}")
STORAGE_UNAVAILABLE = _(
    "The document store is not reachable right now, so nothing was saved. "
    "Try again in a few minutes; if it persists, tell the administrator."
)

NUMBER_IN_FILING = _(
    "{number} is in number filing #{filing}: take it out of that filing first, or change the "
    "filing's script there."
)
NUMBER_NOT_IN_FILING = _("{number} is not in this filing.")
TOO_MANY_NUMBERS = _(
    "At most {limit} numbers are filed at once: choose fewer (filter the list by company or "
    "state) and file the rest next."
)
UNKNOWN_NUMBER_ACTION = _("“{action}” is not a number filing action: use add, update or delete.")

UNKNOWN_DECISION = _("“{outcome}” is not a decision: Volcengine either filed or declined it.")
DECISION_IN_FUTURE = _("Volcengine cannot have decided on {date}, a date still to come.")
UNKNOWN_REASON = _("“{code}” is not one of the reasons of this kind of filing.")
OTHER_REASON_NEEDS_TEXT = _("For the reason “other”, say what Volcengine said in the details.")
DECLINE_NEEDS_REASON = _(
    "Give at least one of Volcengine's reasons: the preparer reworks the filing from them."
)
NUMBER_EXCEPTIONS_ONLY_WHEN_FILED = _(
    "Numbers Volcengine refused are listed when it filed the rest of a number filing; a declined "
    "filing refuses every number."
)
NUMBERS_NOT_IN_FILING = _("These numbers are not in this filing: {numbers}.")
NUMBER_EXCEPTION_NEEDS_REASON = _("Give Volcengine's reason for each refused number: {numbers}.")
JUSTIFICATION_REQUIRED = _(
    "Volcengine declined this filing less than {hours} hours ago. Say why it may go out again "
    "now: what was fixed, and who confirmed it."
)

SUPERUSER_ONLY = _("Only an administrator may do this.")
REASON_REQUIRED = _("Please give the reason: it is kept in the audit trail.")
SERVICE_ALREADY_ENDED = _("The service of this company already ended on {date}.")
SERVICE_NOT_ENDED = _("The service of this company has not ended.")
SERVICE_END_DATE_INVALID = _("Give the date the service ended as YYYY-MM-DD.")
SERVICE_END_IN_FUTURE = _("The service cannot end on a future date ({date}).")
LEGAL_HOLD_ALREADY_SET = _("This company is already under legal hold.")
LEGAL_HOLD_NOT_SET = _("This company is not under legal hold.")


class FilingsError(Exception):
    """An expected failure with a message that can be shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotPermitted(FilingsError):
    pass


class StaleState(FilingsError):
    pass


class PreflightFailed(FilingsError):
    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


class StorageUnavailable(FilingsError):
    pass
