"""An import run (one spreadsheet and its ZIP of documents, uploaded by one person) and its rows,
one per company. Written only by filings.imports.services and .processing."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportRun(models.Model):
    """Uploaded → checked in the background → previewed → confirmed → imported row by row."""

    class State(models.TextChoices):
        CHECKING = "checking", _("Checking the files")
        CHECKED = "checked", _("Checked: waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        REFUSED = "refused", _("Refused")
        DISCARDED = "discarded", _("Discarded")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.CHECKING
    )
    # The uploader's language: the rows' results are written in it.
    language = models.CharField(max_length=16)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    sheet_name = models.CharField(_("spreadsheet"), max_length=255)
    sheet_sha256 = models.CharField(max_length=64)
    archive_name = models.CharField(_("documents"), max_length=255, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    # Where the uploaded files wait (encrypted like every stored object) until the run is
    # imported, discarded or expires; blank once they are deleted.
    sheet_key = models.CharField(max_length=255, blank=True)
    archive_key = models.CharField(max_length=255, blank=True)
    # Why the files as a whole were refused (state REFUSED).
    message = models.TextField(_("result"), blank=True)
    # Progress of the check: rows judged so far out of `total`.
    total = models.PositiveIntegerField(default=0)
    checked = models.PositiveIntegerField(default=0)
    # Archive entries refused before any row was judged: [{"path", "reason"}].
    file_problems = models.JSONField(default=list)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Last sign of life of the task working on the run (a stalled run can be resumed).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        default_permissions = ()
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.sheet_name}"


class ImportRow(models.Model):
    """One company of the spreadsheet: its verdict in the preview, then its import's outcome."""

    class Verdict(models.TextChoices):
        NEW = "new", _("Will be created")
        CHANGED = "changed", _("Will be updated")
        UNCHANGED = "unchanged", _("Nothing to change")
        REFUSED = "refused", _("Refused")

    class Outcome(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        WORKING = "working", _("Importing")
        DONE = "done", _("Imported")
        UNCHANGED = "unchanged", _("Nothing to change")
        FAILED = "failed", _("Failed")
        NOT_IMPORTED = "not_imported", _("Not imported")

    run = models.ForeignKey(ImportRun, models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(_("line"))
    name = models.CharField(_("company name"), max_length=255)
    credit_code = models.CharField(_("credit code"), max_length=64)
    verdict = models.CharField(_("preview"), max_length=16, choices=Verdict.choices)
    # The row as the spreadsheet gives it (filings.imports.plans.RowValues).
    values = models.JSONField(default=dict)
    # What confirming would do ("new company", "2 documents", …) or why the row is refused.
    plan = models.JSONField(default=list)
    reasons = models.JSONField(default=list)
    # The row's archive entries: [{"path", "kind", "part"}].
    files = models.JSONField(default=list)
    outcome = models.CharField(
        _("result"), max_length=16, choices=Outcome.choices, default=Outcome.WAITING
    )
    message = models.TextField(_("message"), blank=True)
    filing = models.ForeignKey(
        "filings.Filing", models.PROTECT, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        default_permissions = ()
        ordering = ["run", "line"]
        constraints = [models.UniqueConstraint(fields=["run", "line"], name="import_row_line")]
        indexes = [models.Index(fields=["run", "outcome"], name="import_row_run_outcome")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.line} {self.credit_code}"
