"""Service: write the audit chain's head to the anchor store, and record that it was written."""

from django.db import transaction
from django.utils import timezone

from filings import audit
from filings.audit.anchors import Anchor, anchor_store, make_anchor
from filings.models import AuditChainHead


def audit_anchor() -> Anchor | None:
    """Anchor the committed chain head; None while the chain is empty.

    The anchor goes to the store first; the event saying so is the next link of the chain.
    """
    head = AuditChainHead.objects.filter(pk=audit.HEAD_PK).first()
    if head is None or head.seq == 0:
        return None
    store = anchor_store()
    anchor = make_anchor(head.seq, head.hash, timezone.now())
    store.append(anchor)
    with transaction.atomic():
        audit.record(
            actor=None,
            kind="audit.anchored",
            target=head,
            data={"seq": anchor.seq, "hash": anchor.hash, "store": store.description},
        )
    return anchor
