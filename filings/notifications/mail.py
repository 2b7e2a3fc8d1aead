"""E-mail of notifications through Django's mail framework; a failure is logged, never raised.

Each notification's e-mail is claimed (pending → sent) before it goes out, so it is sent at
most once: a crash between the claim and the send loses that e-mail, never doubles it.
"""

import logging
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from filings.notifications.models import Notification

logger = logging.getLogger(__name__)


def portal_url(path: str) -> str:
    return settings.PORTAL_PUBLIC_BASE_URL + path


def notification_email(notification: Notification, address: str) -> EmailMessage:
    """The message: the notice's text, a link to its filing, to the list and to the settings."""
    with translation.override(settings.LANGUAGE_CODE):
        filing_url = (
            portal_url(reverse("admin:filings_filing_change", args=[notification.filing_id]))
            if notification.filing_id
            else ""
        )
        context = {
            "notification": notification,
            "label": notification.get_kind_display(),
            "filing_url": filing_url,
            "list_url": portal_url(reverse("admin:notifications_notification_changelist")),
            "preferences_url": portal_url(reverse("admin:notifications_preferences")),
        }
        subject = render_to_string("notifications/email_subject.txt", context)
        body = render_to_string("notifications/email_body.txt", context)
    return EmailMessage(" ".join(subject.split()), body, to=[address])


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _failed(notification: Notification, user: AbstractBaseUser, exc: BaseException) -> None:
    Notification.objects.filter(pk=notification.pk).update(email=Notification.Email.FAILED)
    # The user's id, not their address; the exception never carries the SMTP password.
    logger.warning(
        "Notification %s: e-mail to user #%s not sent: %s", notification.pk, user.pk, _one_line(exc)
    )


def send_emails(items: Sequence[tuple[Notification, AbstractBaseUser, str]]) -> int:
    """Send the pending e-mail of each (notification, user, address); returns how many went.

    Any error of the mail system (connection, authentication, a refused address) is logged in
    one line and marks that notification's e-mail failed; the notification itself stays.
    """
    if not items:
        return 0
    sent = 0
    try:
        connection = get_connection()
    except Exception as exc:  # a misconfigured EMAIL_BACKEND: no e-mail, the notices stay
        for notification, user, _address in items:
            _failed(notification, user, exc)
        return 0
    try:
        for notification, user, address in items:
            pending = Notification.objects.filter(
                pk=notification.pk, email=Notification.Email.PENDING
            )
            if pending.update(email=Notification.Email.SENT) != 1:
                continue  # sent, or being sent, by another run
            try:
                message = notification_email(notification, address)
                message.connection = connection
                message.send()
            except Exception as exc:
                _failed(notification, user, exc)
            else:
                sent += 1
    finally:
        try:
            connection.close()
        except Exception as exc:
            logger.warning("Closing the mail connection failed: %s", _one_line(exc))
    return sent
