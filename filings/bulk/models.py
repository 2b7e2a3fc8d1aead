"""A bulk run (who did which action to which filings) and its items, one per filing; and the
shared pace of sends towards Volcengine. Written only by filings.bulk.services and .processing."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.models import Filing, Submission
from filings.workflow import Action, permission_for


class BulkRun(models.Model):
    """One person's action on many filings, processed by background tasks item by item."""

    class Kind(models.TextChoices):
        SUBMIT = "submit", _("Submit for review")
        APPROVE = "approve", _("Approve")
        SEND = "send", _("Send to Volcengine")

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")
        STOPPED = "stopped", _("Stopped: Volcengine asked to slow down")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    kind = models.CharField(_("action"), max_length=16, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.RUNNING
    )
    # The starter's language: the items' messages are written in it.
    language = models.CharField(max_length=16)
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    # When the last item finished, whatever the state: a cancelled run finishes those in flight.
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When the next sweep (processing.bulk_run_sweep) is due; None: none is scheduled.
    sweep_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bulk run")
        verbose_name_plural = _("bulk runs")
        default_permissions = ()
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def workflow_action(self) -> Action:
        """The workflow move each item makes (its row says who may make it)."""
        return WORKFLOW_ACTIONS[BulkRun.Kind(self.kind)]

    @property
    def permission(self) -> str:
        return kind_permission(BulkRun.Kind(self.kind))


WORKFLOW_ACTIONS = {
    BulkRun.Kind.SUBMIT: Action.SUBMIT,
    BulkRun.Kind.APPROVE: Action.APPROVE,
    BulkRun.Kind.SEND: Action.START_SENDING,
}


def kind_permission(kind: "BulkRun.Kind") -> str:
    """The permission a run of `kind` needs: the workflow row's of the move it makes."""
    permission = permission_for(WORKFLOW_ACTIONS[kind])
    if permission is None:  # pragma: no cover - each of these moves is a person's
        raise ValueError(f"{kind} is not a person's move")
    return permission


class BulkItem(models.Model):
    """One filing of a run: waiting, being sent, or finished with the service's answer."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        WORKING = "working", _("Sending")  # claimed by a send: never sent again
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    run = models.ForeignKey(BulkRun, models.PROTECT, related_name="items")
    filing = models.ForeignKey(Filing, models.PROTECT, related_name="+", verbose_name=_("filing"))
    position = models.PositiveIntegerField()
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    message = models.TextField(_("result"), blank=True)
    # Approve: the filing's content hash when the run started; the approval binds to it.
    seen_hash = models.CharField(max_length=64, blank=True)
    # The background task that processes this item, and how many were enqueued for it.
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    submission = models.ForeignKey(
        Submission, models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("bulk item")
        verbose_name_plural = _("bulk items")
        default_permissions = ()
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="bulk_item_position"),
            models.UniqueConstraint(fields=["run", "filing"], name="bulk_item_filing"),
        ]
        indexes = [models.Index(fields=["run", "state"], name="bulk_item_run_state")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.position} {self.state}"


class SendPace(models.Model):
    """The next moment a bulk send may go to Volcengine (one row), shared by every worker."""

    next_free = models.FloatField(null=True)  # seconds since the epoch

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"next send at {self.next_free}"
