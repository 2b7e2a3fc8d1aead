"""Notifications and notification preferences."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("filings", "0012_decisions_and_validity"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Notification",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("submitted", "Submitted for review"),
                            ("changes_requested", "Changes requested"),
                            ("declined", "Declined by Volcengine"),
                            ("approved", "Approved"),
                            ("sent", "Sent to Volcengine"),
                            ("unknown_outcome", "Outcome of a send unknown"),
                            ("document_expiring", "Document to renew"),
                            ("waiting", "Waiting on Volcengine"),
                        ],
                        max_length=32,
                        verbose_name="kind",
                    ),
                ),
                ("text", models.TextField(verbose_name="text")),
                (
                    "event_seq",
                    models.PositiveBigIntegerField(
                        blank=True, null=True, verbose_name="audit event"
                    ),
                ),
                ("reminder", models.CharField(blank=True, max_length=100, verbose_name="reminder")),
                (
                    "in_portal",
                    models.BooleanField(default=True, verbose_name="shown in the portal"),
                ),
                (
                    "email",
                    models.CharField(
                        choices=[
                            ("none", "not sent (turned off, or no address)"),
                            ("pending", "to be sent"),
                            ("sent", "sent"),
                            ("failed", "failed"),
                        ],
                        default="none",
                        max_length=8,
                        verbose_name="e-mail",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="created at"
                    ),
                ),
                ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="read at")),
                (
                    "filing",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="filings.filing",
                        verbose_name="filing",
                    ),
                ),
                (
                    "recipient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recipient",
                    ),
                ),
            ],
            options={
                "verbose_name": "notification",
                "verbose_name_plural": "notifications",
                "ordering": ["-created_at", "-pk"],
                "indexes": [
                    models.Index(fields=["recipient", "read_at"], name="notification_unread"),
                    models.Index(fields=["recipient", "-created_at"], name="notification_newest"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("event_seq__isnull", False)),
                        fields=("event_seq", "recipient"),
                        name="one_notification_per_event_and_recipient",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("reminder", ""), _negated=True),
                        fields=("reminder", "recipient"),
                        name="one_notification_per_reminder_and_recipient",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("event_seq__isnull", False), ("reminder", "")),
                            models.Q(
                                ("event_seq__isnull", True),
                                models.Q(("reminder", ""), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="notification_from_an_event_or_a_reminder",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="NotificationPreference",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("submitted", "Submitted for review"),
                            ("changes_requested", "Changes requested"),
                            ("declined", "Declined by Volcengine"),
                            ("approved", "Approved"),
                            ("sent", "Sent to Volcengine"),
                            ("unknown_outcome", "Outcome of a send unknown"),
                            ("document_expiring", "Document to renew"),
                            ("waiting", "Waiting on Volcengine"),
                        ],
                        max_length=32,
                        verbose_name="kind",
                    ),
                ),
                ("in_portal", models.BooleanField(default=True, verbose_name="in the portal")),
                ("email", models.BooleanField(default=True, verbose_name="by e-mail")),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notification_preferences",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "notification preference",
                "verbose_name_plural": "notification preferences",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("user", "kind"), name="one_preference_per_user_kind"
                    )
                ],
            },
        ),
    ]
