"""What a user was told (Notification) and what they choose to be told (NotificationPreference)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.models import Filing
from filings.notifications.rules import Notice


class Notification(models.Model):
    """One notice to one user, from one audit event or one day's reminder of one item.

    The row is also the record that the notice was delivered: the unique constraints make a
    task that runs twice create nothing twice and send no second e-mail.
    """

    class Email(models.TextChoices):
        NONE = "none", _("not sent (turned off, or no address)")
        PENDING = "pending", _("to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Notice.choices)
    filing = models.ForeignKey(
        Filing,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filing"),
    )
    text = models.TextField(_("text"))
    event_seq = models.PositiveBigIntegerField(_("audit event"), null=True, blank=True)
    # A reminder's source, item and day, e.g. "reminder.waiting:12:2026-05-04".
    reminder = models.CharField(_("reminder"), max_length=100, blank=True)
    # False when the user turned this kind off in the portal but not by e-mail.
    in_portal = models.BooleanField(_("shown in the portal"), default=True)
    email = models.CharField(_("e-mail"), max_length=8, choices=Email.choices, default=Email.NONE)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_newest"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event_seq", "recipient"],
                condition=Q(event_seq__isnull=False),
                name="one_notification_per_event_and_recipient",
            ),
            models.UniqueConstraint(
                fields=["reminder", "recipient"],
                condition=~Q(reminder=""),
                name="one_notification_per_reminder_and_recipient",
            ),
            models.CheckConstraint(
                condition=Q(event_seq__isnull=False, reminder="")
                | Q(event_seq__isnull=True) & ~Q(reminder=""),
                name="notification_from_an_event_or_a_reminder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_id}"


class NotificationPreference(models.Model):
    """A user's choice for one kind; without a row, that kind is on in both places."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Notice.choices)
    in_portal = models.BooleanField(_("in the portal"), default=True)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_user_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"
