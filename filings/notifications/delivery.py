"""Turning an audit event (or a reminder) into notifications and e-mails, after commit.

Runs in the task worker: the change that caused the event is already committed, so nothing
here can undo it. Each (event, recipient) and (reminder, recipient) is delivered once.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import translation
from django.utils.translation import gettext as _

from filings.models import AuditEvent, Filing
from filings.notifications.mail import send_emails
from filings.notifications.models import Notification, NotificationPreference
from filings.notifications.recipients import audience_ids
from filings.notifications.rules import Notice, notice_text, rules_for


@dataclass(frozen=True)
class Message:
    """One notice to some users: from audit event `event_seq`, or a reminder's key."""

    notice: Notice
    recipient_ids: frozenset[int]
    filing_id: int | None
    text: str
    event_seq: int | None = None
    reminder: str = ""


def _wanted(
    users: Mapping[int, AbstractBaseUser],
    preferences: Mapping[tuple[int, str], NotificationPreference],
    user_id: int,
    notice: Notice,
) -> tuple[bool, bool]:
    """(in the portal, by e-mail) for this user and kind: on unless turned off; no e-mail
    without an address."""
    preference = preferences.get((user_id, notice))
    in_portal = preference.in_portal if preference else True
    by_email = (preference.email if preference else True) and bool(_address(users[user_id]))
    return in_portal, by_email


def _address(user: AbstractBaseUser) -> str:
    return str(getattr(user, user.get_email_field_name(), "") or "")


def deliver(messages: Iterable[Message]) -> list[Notification]:
    """Create each message's notifications (once per source and recipient) and send the
    e-mails of those just created; returns the notifications created by this call."""
    messages = list(messages)
    wanted_ids = {uid for message in messages for uid in message.recipient_ids}
    users = {
        user.pk: user for user in get_user_model().objects.filter(pk__in=wanted_ids, is_active=True)
    }
    preferences = {
        (p.user_id, p.kind): p
        for p in NotificationPreference.objects.filter(user_id__in=users.keys())
    }
    created: list[Notification] = []
    emails: list[tuple[Notification, AbstractBaseUser, str]] = []
    for message in messages:
        for user_id in sorted(message.recipient_ids & users.keys()):
            in_portal, by_email = _wanted(users, preferences, user_id, message.notice)
            if not (in_portal or by_email):
                continue
            source = (
                {"event_seq": message.event_seq}
                if message.event_seq is not None
                else {"reminder": message.reminder}
            )
            notification, new = Notification.objects.get_or_create(
                recipient_id=user_id,
                **source,
                defaults={
                    "kind": message.notice,
                    "filing_id": message.filing_id,
                    "text": message.text,
                    "in_portal": in_portal,
                    "email": Notification.Email.PENDING if by_email else Notification.Email.NONE,
                },
            )
            if not new:
                continue
            created.append(notification)
            if by_email:
                emails.append((notification, users[user_id], _address(users[user_id])))
    send_emails(emails)
    return created


def event_messages(event: AuditEvent) -> list[Message]:
    """What the rules say about `event`, with its recipients and texts (its actor left out)."""
    rules = rules_for(event.kind, event.data)
    if not rules or event.filing_id is None:
        return []
    filing = Filing.objects.select_related("company").filter(pk=event.filing_id).first()
    if filing is None:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            **event.data,
            "filing": filing.pk,
            "company": filing.company.name,
            "actor": event.actor_username or _("the portal"),
        }
        return [
            Message(
                notice=rule.notice,
                recipient_ids=frozenset(audience_ids(rule.audience, filing) - {event.actor_id}),
                filing_id=filing.pk,
                text=notice_text(rule, values),
                event_seq=event.seq,
            )
            for rule in rules
        ]


def event_notify(seq: int) -> list[Notification]:
    """Notify whom the rules name about audit event `seq`; nothing twice."""
    event = AuditEvent.objects.filter(seq=seq).first()
    return deliver(event_messages(event)) if event is not None else []
