"""The top bar's unread notifications: `{% unread_notifications as unread %}` (one query)."""

from typing import Any

from django import template

from filings.notifications.rules import Notice
from filings.notifications.selectors import Unread, unread_summary

register = template.Library()
LABELS = dict(Notice.choices)


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> Unread:
    user = context["request"].user
    summary = unread_summary(int(user.pk or 0))
    for row in summary.latest:
        row["label"] = LABELS.get(row["kind"], row["kind"])
    return summary
