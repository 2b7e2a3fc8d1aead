"""Domain model: companies, filings, their documents and scripts, send attempts, the audit trail."""

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.credit_code import credit_code_validator
from filings.workflow import State


class Company(models.Model):
    name = models.CharField(_("company name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[credit_code_validator],
        help_text=_("18 characters, GB 32100-2015, e.g. 91350100M000100Y43."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Retention (filings.retention): the documents are kept for the service period plus
    # PORTAL_RETENTION_DAYS; a legal hold keeps everything. Changed only by services.retention.
    service_ended_on = models.DateField(_("service ended on"), null=True, blank=True)
    service_ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service ended by"),
    )
    service_end_reason = models.TextField(_("why the service ended"), blank=True)
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    legal_hold_reason = models.TextField(_("reason for the legal hold"), blank=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.credit_code})"


class Filing(models.Model):
    Status = State  # the workflow's states are the model's choices

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company filing")
        NUMBER = "number", _("Number filing")

    class NumberAction(models.TextChoices):
        ADD = "add", _("Add numbers")
        UPDATE = "update", _("Change the numbers' script")
        DELETE = "delete", _("Take numbers off")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(
        _("kind"), max_length=8, choices=Kind.choices, default=Kind.COMPANY, db_index=True
    )
    company = models.ForeignKey(
        Company, models.PROTECT, related_name="filings", verbose_name=_("company")
    )
    # Number filings only (Click2CallNumberAuth): what to do with the numbers, and for add and
    # update the one script and scene they are filed with.
    number_action = models.CharField(
        _("number action"), max_length=8, choices=NumberAction.choices, blank=True
    )
    script_scene = models.CharField(_("scene"), max_length=100, blank=True)
    script = models.TextField(
        _("script"), max_length=2000, blank=True, validators=[MaxLengthValidator(2000)]
    )
    callee_source = models.CharField(
        _("callee source"),
        max_length=500,
        blank=True,
        help_text=_("Where the called numbers come from: website, official account, app, …"),
    )
    business_carrier = models.CharField(
        _("business carrier"),
        max_length=200,
        blank=True,
        help_text=_("The company that carries the business (usually the company name)."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    approved_hash = models.CharField(_("approved content hash"), max_length=64, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    # 1 for the first send; a rework after Volcengine declined makes the next attempt.
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    sending_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("last edited by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Since when the filing is where it is, as the desk counts, filters and sorts it: the move
    # into its state (services.common.transition; made SUBMITTED by a send's answer, the accepted
    # send's start), or a later content edit (services.editing.touch: drafts and approved
    # filings, and the unsent filings of a company whose details change).
    state_since = models.DateTimeField(
        _("in its state since"), default=timezone.now, editable=False
    )

    class Meta:
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        ordering = ["-created_at"]
        # The desk's reviewer lists: filings in a state, counted past an age, oldest first.
        indexes = [models.Index(fields=["status", "state_since"], name="filing_status_since")]
        permissions = [
            ("review_filing", _("Can approve filings or request changes")),
            ("send_filing", _("Can send approved filings to Volcengine")),
            ("view_sensitive_document", _("Can view ID-card images")),
            ("export_history", _("Can export submissions and the audit trail")),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.NUMBER:
            return f"#{self.pk} {self.company.name} · {self.get_number_action_display()}"
        return f"#{self.pk} {self.company.name}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Document(models.Model):
    class Kind(models.TextChoices):
        BUSINESS_LICENSE = "businessLicense", _("Business licence (营业执照)")
        PROPRIETOR_IDCARD = "proprietorIdcard", _("Legal representative ID card (法人身份证)")
        OPERATOR_IDCARD = "operatorIdcard", _("Administrator ID document (管理员证件)")
        OPERATOR_IDCARD_INHAND = (
            "operatorIdcardInhand",
            _("Photo of the administrator holding their ID (管理员手持证件)"),
        )
        NETWORK_ACCESS_LETTER = (
            "networkaccessCommitmentletter",
            _("Network-access commitment letter (入网承诺书)"),
        )
        NUMBER_APPLICATION_LETTER = (
            "numberapplicationOfficialletter",
            _("Number application official letter (号码申请公函)"),
        )
        BUSINESS_USAGE_LETTER = (
            "businessUsageCommitmentletter",
            _("Business-usage commitment letter (业务使用承诺书)"),
        )

    class Part(models.TextChoices):
        MAIN = "main", _("Sent")
        FRONT = "front", _("Front (original)")
        BACK = "back", _("Back (original)")

    SENSITIVE_KINDS: ClassVar[frozenset[str]] = frozenset(
        {Kind.PROPRIETOR_IDCARD, Kind.OPERATOR_IDCARD, Kind.OPERATOR_IDCARD_INHAND}
    )
    TWO_SIDED_KINDS: ClassVar[frozenset[str]] = frozenset(
        {Kind.PROPRIETOR_IDCARD, Kind.OPERATOR_IDCARD}
    )
    # Documents that expire: a validity end date is expected at upload (optional, but its slot
    # says when none was given).
    VALIDITY_EXPECTED_KINDS: ClassVar[frozenset[str]] = frozenset(
        {Kind.BUSINESS_LICENSE, Kind.PROPRIETOR_IDCARD, Kind.OPERATOR_IDCARD}
    )

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Documents belong to the company; later filings of it send them by reference (FilingDocument)
    # until a filing replaces one. `filing` is the filing it was uploaded in.
    company = models.ForeignKey(
        Company, models.PROTECT, related_name="documents", verbose_name=_("company")
    )
    filing = models.ForeignKey(
        Filing, models.PROTECT, related_name="documents", verbose_name=_("uploaded in")
    )
    kind = models.CharField(_("document"), max_length=40, choices=Kind.choices)
    part = models.CharField(_("part"), max_length=8, choices=Part.choices, default=Part.MAIN)
    # NULL once purged and the object deleted; NULLs never collide under the unique constraint.
    storage_key = models.CharField(
        max_length=300, unique=True, null=True, blank=True, editable=False
    )
    original_name = models.CharField(_("original file name"), max_length=255)
    api_filename = models.CharField(_("file name sent"), max_length=255)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField(_("bytes"))
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # Replaced or removed in the filing it was uploaded in; kept for history. What each filing
    # sends is its FilingDocument rows: a later filing may still send a version replaced here.
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the document stops being valid (licences and ID cards expire); optional.
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # Set by the purge (services.retention): the object and file names are gone; kind, part,
    # size, pixel size and SHA-256 stay, so old submissions still prove what was sent.
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["kind", "part", "-uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["filing", "kind", "part"],
                condition=models.Q(superseded_at__isnull=True),
                name="one_current_document_per_kind_part",
            )
        ]

    def __str__(self) -> str:
        # No file name: an ID card's name is personal data shown only to some users.
        return f"{self.get_kind_display()} · {str(self.uuid)[:8]}"

    @property
    def is_sensitive(self) -> bool:
        return self.kind in self.SENSITIVE_KINDS


class FilingDocument(models.Model):
    """A document as one filing sends it: uploaded in that filing, or taken over from the
    company's current documents when the filing was created. `removed_at` is set when the
    filing replaces or removes it; the row stays as the filing's history."""

    filing = models.ForeignKey(Filing, models.PROTECT, related_name="document_links")
    document = models.ForeignKey(Document, models.PROTECT, related_name="links")
    # The document's kind and part, repeated so one current (kind, part) per filing is a constraint.
    kind = models.CharField(_("document"), max_length=40, choices=Document.Kind.choices)
    part = models.CharField(
        _("part"), max_length=8, choices=Document.Part.choices, default=Document.Part.MAIN
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    removed_at = models.DateTimeField(_("replaced or removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("document of a filing")
        verbose_name_plural = _("documents of a filing")
        ordering = ["filing", "kind", "part", "-added_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["filing", "kind", "part"],
                condition=models.Q(removed_at__isnull=True),
                name="one_current_link_per_kind_part",
            ),
            models.UniqueConstraint(fields=["filing", "document"], name="one_link_per_document"),
        ]

    def __str__(self) -> str:
        return f"#{self.filing_id} · {self.document}"


class ExpiringDocument(Document):
    """The admin's list of documents to renew (filings.selectors.expiring_documents)."""

    class Meta:
        proxy = True
        verbose_name = _("document to renew")
        verbose_name_plural = _("documents to renew")


class CallScript(models.Model):
    filing = models.ForeignKey(Filing, models.PROTECT, related_name="scripts")
    position = models.PositiveSmallIntegerField(_("order"))
    scene = models.CharField(_("scene"), max_length=100)
    # TextField's max_length only shapes the form widget; the validator makes services check it.
    content = models.TextField(_("script"), max_length=2000, validators=[MaxLengthValidator(2000)])

    class Meta:
        verbose_name = _("call script")
        verbose_name_plural = _("call scripts")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.scene}: {self.content[:40]}"


class PhoneNumber(models.Model):
    """One A-number of a company (national digits), its state, and the number filing it is in."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Pending at Volcengine")
        LIVE = "live", _("Live")
        FAILED = "failed", _("Failed")
        DELISTED = "delisted", _("Delisted")

    company = models.ForeignKey(
        Company, models.PROTECT, related_name="numbers", verbose_name=_("company")
    )
    digits = models.CharField(_("number"), max_length=16, db_index=True)
    state = models.CharField(
        _("state"), max_length=8, choices=State.choices, default=State.DRAFT, db_index=True
    )
    # What the number is filed with when added or updated: numbers are grouped by these.
    script_scene = models.CharField(_("scene"), max_length=100, blank=True)
    script = models.TextField(
        _("script"), max_length=2000, blank=True, validators=[MaxLengthValidator(2000)]
    )
    # The one number filing the number is in while that filing is open (not yet submitted).
    open_filing = models.ForeignKey(
        Filing,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="open_numbers",
        verbose_name=_("open number filing"),
    )
    failure_reason = models.TextField(_("why it failed"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("added by")
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("number")
        verbose_name_plural = _("numbers")
        ordering = ["company", "digits"]
        constraints = [
            models.UniqueConstraint(fields=["company", "digits"], name="one_number_per_company")
        ]

    def __str__(self) -> str:
        return self.digits


class FilingNumber(models.Model):
    """A number as a number filing carries it; kept for good as the filing's history."""

    filing = models.ForeignKey(Filing, models.PROTECT, related_name="filing_numbers")
    number = models.ForeignKey(PhoneNumber, models.PROTECT, related_name="filing_numbers")
    digits = models.CharField(_("number"), max_length=16)

    class Meta:
        verbose_name = _("number in a filing")
        verbose_name_plural = _("numbers in a filing")
        ordering = ["filing", "digits"]
        constraints = [
            models.UniqueConstraint(fields=["filing", "number"], name="one_entry_per_number")
        ]

    def __str__(self) -> str:
        return self.digits


class Decision(models.Model):
    """What Volcengine decided about a submitted filing, recorded by a reviewer from its answer
    out of band (console, ticket, operations contact)."""

    class Outcome(models.TextChoices):
        FILED = "filed", _("Filed")
        DECLINED = "declined", _("Declined")

    filing = models.ForeignKey(
        Filing, models.PROTECT, related_name="decisions", verbose_name=_("filing")
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    outcome = models.CharField(_("decision"), max_length=8, choices=Outcome.choices)
    decided_on = models.DateField(_("decided on"))
    evidence = models.TextField(_("evidence"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} · #{self.filing_id} · {self.decided_on}"


class DecisionReason(models.Model):
    """One reason of a decline (or of a number's failure): a code from filings.decisions, the
    field, document or number it names, and free text."""

    decision = models.ForeignKey(Decision, models.PROTECT, related_name="reasons")
    code = models.CharField(_("reason"), max_length=64)
    target = models.CharField(_("about"), max_length=64, blank=True)
    number = models.CharField(_("number"), max_length=16, blank=True)
    text = models.TextField(_("details"), blank=True)

    class Meta:
        verbose_name = _("reason")
        verbose_name_plural = _("reasons")
        ordering = ["decision", "pk"]

    def __str__(self) -> str:
        return self.code


class Submission(models.Model):
    class Outcome(models.TextChoices):
        ACCEPTED = "ACCEPTED", _("Accepted")
        REJECTED = "REJECTED", _("Rejected")
        NOT_SENT = "NOT_SENT", _("Not sent")
        UNKNOWN = "UNKNOWN", _("Unknown")

    filing = models.ForeignKey(
        Filing, models.PROTECT, related_name="submissions", verbose_name=_("filing")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("sent by")
    )
    content_hash = models.CharField(max_length=64)
    endpoint = models.CharField(_("endpoint"), max_length=300)
    region = models.CharField(_("region"), max_length=40)
    request_body = models.TextField(_("request body"))
    request_headers = models.JSONField(_("request headers (signature redacted)"), default=dict)
    request_sha256 = models.CharField(_("request SHA-256"), max_length=64)
    started_at = models.DateTimeField(_("started at"), db_index=True)  # the history's order
    finished_at = models.DateTimeField(_("finished at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response_body = models.TextField(_("response body"), blank=True)
    response_truncated = models.BooleanField(default=False)
    # Indexed: the submission list and the audit trail are searched by RequestId.
    provider_request_id = models.CharField(
        _("Volcengine RequestId"), max_length=128, blank=True, db_index=True
    )
    error_code = models.CharField(_("error code"), max_length=100, blank=True)
    error_code_n = models.IntegerField(_("error CodeN"), null=True, blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    result_code = models.CharField(_("result code"), max_length=32, blank=True)
    result_message = models.TextField(_("result message"), blank=True)
    result_request_id = models.CharField(
        _("result requestId"), max_length=128, blank=True, db_index=True
    )
    transport_error = models.TextField(_("transport error"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, db_index=True)
    retryable = models.BooleanField(_("safe to send again"), default=False)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-started_at"]
        indexes = [
            # A filing's newest submission with a given outcome (the desk's "since when" of
            # every submitted filing) read from the index alone, not from the wide rows.
            models.Index(
                fields=["filing", "outcome", "started_at"], name="submission_filing_outcome_time"
            ),
        ]

    def __str__(self) -> str:
        started = timezone.localtime(self.started_at)  # as the admin shows times, not UTC
        return f"{self.filing_id} {self.outcome} {started:%Y-%m-%d %H:%M}"


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit events cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit events cannot be updated.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> list["AuditEvent"]:
        # update_conflicts turns the INSERT into an upsert that overwrites existing events.
        if kwargs.get("update_conflicts") or (len(args) > 3 and args[3]):
            raise AppendOnlyError("Audit events cannot be updated.")
        return super().bulk_create(*args, **kwargs)


class AuditEvent(models.Model):
    """One append-only, hash-chained record of a change. Written only by filings.audit."""

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    created_at = models.DateTimeField(_("time"))
    # Plain columns, not foreign keys: history must outlive users and never be rewritten.
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=32)
    target_id = models.CharField(_("target id"), max_length=64)
    filing = models.ForeignKey(
        Filing,
        models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    data = models.JSONField(_("data"), default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        indexes = [
            # The events about one object (a company's own events in the trail's search).
            models.Index(fields=["target_type", "target_id"], name="auditevent_target"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A new instance carrying an existing primary key would make Django UPDATE that row.
        if not self._state.adding or self.pk is not None:
            raise AppendOnlyError("Audit events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events cannot be deleted.")


class DocumentAccessManager(models.Manager["DocumentAccess"]):
    def get_queryset(self) -> "models.QuerySet[DocumentAccess]":
        events = AuditEventQuerySet(self.model, using=self._db)
        return events.filter(kind__in=DocumentAccess.KINDS)  # type: ignore[return-value]


class DocumentAccess(AuditEvent):
    """The audit events that record who saw an ID image or fetched a document URL."""

    KINDS: ClassVar[tuple[str, ...]] = ("document.viewed", "document.fetched")

    objects = DocumentAccessManager()  # type: ignore[assignment,misc]

    class Meta:
        proxy = True
        verbose_name = _("document access")
        verbose_name_plural = _("document accesses")
        ordering = ["-seq"]


class AuditChainHead(models.Model):
    """The newest event's seq and hash (one row), locked while appending: the chain never forks."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"head #{self.seq}"
