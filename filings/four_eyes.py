"""Four-eyes: whoever ever changed a filing's content may not approve it.

The rule reads the audit trail, so it covers every change ever made, not only the latest one:
creating the filing, editing its fields, uploading, replacing or removing any of its documents
(superseded ones included) or changing one's validity end date, adding, editing or deleting its
scripts, taking a number out of it, adding one of its numbers to the company, and editing its
company while the filing could still be sent. Superusers are bound like everyone else. The approve
service, the review page and the review queue all ask `changed_by`.
"""

from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast

from filings.models import AuditEvent, Filing, FilingNumber

# The event of a change to a number's script before it is filed (it names no filing yet).
NUMBER_CHANGED = "number.updated"
# The event each filing of a company that may still be sent gets when the company is edited.
COMPANY_CHANGED = "filing.company_changed"

# Every event kind, linked to a filing, that records a change of what the filing sends.
CONTENT_EVENT_KINDS: tuple[str, ...] = (
    "filing.created",
    "filing.updated",
    "document.uploaded",
    "document.replaced",
    "document.removed",
    "document.validity_changed",
    "script.created",
    "script.updated",
    "script.deleted",
    "filing.number_removed",
    COMPANY_CHANGED,
)


def changed_by(user_id: int | None) -> Q:
    """True for a filing whose content `user_id` changed at some time (filter or annotate):
    an event of theirs, or a number of the filing that they added to the company or whose
    script they changed before it was filed."""
    number_edits = AuditEvent.objects.filter(
        kind=NUMBER_CHANGED,
        actor_id=user_id,
        target_type="phonenumber",
        target_id=Cast(OuterRef("number_id"), CharField()),
    )
    return (
        Q(
            Exists(
                AuditEvent.objects.filter(
                    filing_id=OuterRef("pk"), actor_id=user_id, kind__in=CONTENT_EVENT_KINDS
                )
            )
        )
        | Q(
            Exists(
                FilingNumber.objects.filter(filing_id=OuterRef("pk"), number__created_by_id=user_id)
            )
        )
        | Q(Exists(FilingNumber.objects.filter(Exists(number_edits), filing_id=OuterRef("pk"))))
    )


def has_changed(filing_id: int, user_id: int | None) -> bool:
    """Did `user_id` ever change this filing's content?"""
    return Filing.objects.filter(changed_by(user_id), pk=filing_id).exists()
