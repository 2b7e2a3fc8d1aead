"""Pure: who is told of what. One table from an audit event kind (and its data) or a reminder
to the notice, its audience and its text. No ORM, no I/O.

Nobody is told of their own action: the event's actor is never among the recipients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models.enums import TextChoices
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Notice(TextChoices):
    """What a user is told: the kinds they can turn off, one by one."""

    SUBMITTED = "submitted", _("Submitted for review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    DECLINED = "declined", _("Declined by Volcengine")
    APPROVED = "approved", _("Approved")
    SENT = "sent", _("Sent to Volcengine")
    UNKNOWN_OUTCOME = "unknown_outcome", _("Outcome of a send unknown")
    DOCUMENT_EXPIRING = "document_expiring", _("Document to renew")
    WAITING = "waiting", _("Waiting on Volcengine")


class Audience(StrEnum):
    REVIEWERS = "reviewers"  # active users holding filings.review_filing
    PREPARERS = "preparers"  # the filing's creator and its last editor
    COMPANY_PREPARERS = "company_preparers"  # who created or last edited any filing of the company


# The periodic reminders (manage.py send_reminders): not audit events, named apart from them.
DOCUMENT_EXPIRING = "reminder.document_expiring"
WAITING = "reminder.waiting"


@dataclass(frozen=True)
class Rule:
    """`source`: an audit event kind or a reminder; `when`: data the event must carry."""

    source: str
    notice: Notice
    audience: Audience
    text: StrOrPromise
    when: tuple[tuple[str, str], ...] = ()

    def matches(self, source: str, data: Mapping[str, Any]) -> bool:
        return source == self.source and all(data.get(k) == v for k, v in self.when)


RULES: tuple[Rule, ...] = (
    Rule(
        "filing.submitted",
        Notice.SUBMITTED,
        Audience.REVIEWERS,
        _("%(actor)s submitted filing #%(filing)s of %(company)s for review."),
    ),
    Rule(
        "filing.changes_requested",
        Notice.CHANGES_REQUESTED,
        Audience.PREPARERS,
        _("%(actor)s requested changes to filing #%(filing)s of %(company)s: %(comment)s"),
    ),
    Rule(
        "filing.decided",
        Notice.DECLINED,
        Audience.PREPARERS,
        _(
            "Volcengine declined filing #%(filing)s of %(company)s (attempt %(attempt)s). "
            "Its reasons are on the filing's page: rework it as the next attempt."
        ),
        when=(("outcome", "declined"),),
    ),
    Rule(
        "filing.approved",
        Notice.APPROVED,
        Audience.PREPARERS,
        _("%(actor)s approved filing #%(filing)s of %(company)s."),
    ),
    Rule(
        "submission.response",
        Notice.SENT,
        Audience.PREPARERS,
        _(
            "Filing #%(filing)s of %(company)s was sent to Volcengine and accepted "
            "(RequestId %(request_id)s)."
        ),
        when=(("outcome", "ACCEPTED"),),
    ),
    Rule(
        "submission.response",
        Notice.UNKNOWN_OUTCOME,
        Audience.REVIEWERS,
        _(
            "Filing #%(filing)s of %(company)s was sent, but whether Volcengine received it is "
            "unknown. Find out and record what happened on the filing's page."
        ),
        when=(("outcome", "UNKNOWN"),),
    ),
    Rule(
        "filing.reconciled",
        Notice.UNKNOWN_OUTCOME,
        Audience.REVIEWERS,
        _(
            "Filing #%(filing)s of %(company)s was stuck while being sent; whether Volcengine "
            "received it is unknown. Find out and record what happened on the filing's page."
        ),
    ),
    Rule(
        DOCUMENT_EXPIRING,
        Notice.DOCUMENT_EXPIRING,
        Audience.COMPANY_PREPARERS,
        _(
            "%(document)s of %(company)s (filing #%(filing)s) is valid until %(valid_until)s. "
            "Upload a renewed one."
        ),
    ),
    Rule(
        WAITING,
        Notice.WAITING,
        Audience.REVIEWERS,
        _(
            "Filing #%(filing)s of %(company)s has waited on Volcengine for %(days)s days since "
            "it was sent. Ask Volcengine, then record its decision."
        ),
    ),
)


def rules_for(source: str, data: Mapping[str, Any] | None = None) -> list[Rule]:
    """The rows that apply to an event of kind `source` carrying `data` (or to a reminder)."""
    return [rule for rule in RULES if rule.matches(source, data or {})]


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


# An event's free text (a reviewer's comment) is cut to this many characters in a notice.
MAX_DETAIL = 500


def notice_text(rule: Rule, values: Mapping[str, object]) -> str:
    """The rule's text with `values` filled in (a missing value is left blank)."""
    filled = _Blank({key: str(value)[:MAX_DETAIL] for key, value in values.items()})
    return str(rule.text) % filled
