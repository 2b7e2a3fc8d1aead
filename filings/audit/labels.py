"""Readable names of audit event kinds: the one table the lists, filters, pages and exports read.

The kind itself (`filing.created`) is part of the hashed event and never changes; only its label
is translated. A kind missing here is shown as its code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

EVENT_LABELS: dict[str, StrOrPromise] = {
    # companies
    "company.created": _("Company created"),
    "company.updated": _("Company changed"),
    "company.service_ended": _("Service ended"),
    "company.service_resumed": _("Service resumed"),
    "company.legal_hold_set": _("Legal hold set"),
    "company.legal_hold_released": _("Legal hold released"),
    # filings and their workflow
    "filing.created": _("Filing created"),
    "filing.updated": _("Filing changed"),
    "filing.company_changed": _("Company of the filing changed"),
    "filing.submitted": _("Submitted for review"),
    "filing.withdrawn": _("Withdrawn from review"),
    "filing.changes_requested": _("Changes requested"),
    "filing.approved": _("Approved"),
    "filing.approval_voided": _("Approval voided by an edit"),
    "filing.reworked": _("Reworked as a draft"),
    "filing.resolved": _("Unknown outcome resolved"),
    "filing.reconciled": _("Stuck send marked unknown"),
    "filing.number_removed": _("Number removed from the filing"),
    # call scripts and documents
    "script.created": _("Call script added"),
    "script.updated": _("Call script changed"),
    "script.deleted": _("Call script removed"),
    "document.uploaded": _("Document uploaded"),
    "document.replaced": _("Document replaced"),
    "document.removed": _("Document removed"),
    "document.validity_changed": _("Document's validity end date changed"),
    "document.reused": _("Company's documents taken over"),
    "document.purged": _("Document purged"),
    "document.viewed": _("ID image viewed"),
    "document.fetched": _("Document URL fetched"),
    "media.reencrypted": _("Documents re-encrypted"),
    # numbers
    "numbers.added": _("Numbers added"),
    "number.updated": _("Number changed"),
    "numbers.state_changed": _("Numbers' state changed"),
    "filing.decided": _("Volcengine's decision recorded"),
    # bulk actions
    "bulk.started": _("Bulk action started"),
    "bulk.cancelled": _("Bulk action cancelled"),
    "bulk.stopped": _("Bulk send stopped: Volcengine asked to slow down"),
    # spreadsheet import
    "import.uploaded": _("Spreadsheet import uploaded"),
    "import.confirmed": _("Spreadsheet import confirmed"),
    "import.discarded": _("Spreadsheet import discarded"),
    "import.resumed": _("Spreadsheet import resumed"),
    # sending
    "submission.sent": _("Sent to Volcengine"),
    "submission.response": _("Volcengine's answer recorded"),
    "submission.late_response": _("Late answer recorded"),
    # the trail itself
    "audit.exported": _("Audit trail exported"),
    "audit.anchored": _("Chain head anchored"),
}


def event_label(kind: str) -> str:
    """The readable, translated name of an event kind; the code itself when it has none."""
    label = EVENT_LABELS.get(kind)
    return str(label) if label is not None else kind


def kinds_labelled(text: str) -> list[str]:
    """The kinds whose label (in the active language) contains `text`, ignoring case, or whose
    code is `text` or starts with it as a group (`filing` → `filing.created`, …)."""
    needle = text.strip().casefold()
    if not needle:
        return []
    return [
        kind
        for kind, label in EVENT_LABELS.items()
        if needle in str(label).casefold() or kind == needle or kind.startswith(needle + ".")
    ]
