"""Services that record who looked at a document: portal users and outside fetches."""

from django.db import transaction

from filings import audit
from filings.models import AuditEvent, Document, Filing
from filings.services.common import Actor

USER_AGENT_MAX = 200


@transaction.atomic
def document_viewed(*, actor: Actor, document: Document, thumbnail: bool) -> AuditEvent:
    """A portal user was shown an ID image (full size or thumbnail)."""
    return audit.record(
        actor=actor,
        kind="document.viewed",
        target=document,
        filing=document.filing,
        data={"document": str(document.uuid), "kind": document.kind, "thumbnail": thumbnail},
    )


@transaction.atomic
def document_fetched(
    *, document: Document, remote_addr: str, user_agent: str, filing: Filing | None = None
) -> AuditEvent:
    """Someone outside the portal (Volcengine) fetched a document through its signed URL, sent
    by `filing` (default: the filing it was uploaded in)."""
    return audit.record(
        actor=None,
        kind="document.fetched",
        target=document,
        filing=filing or document.filing,
        data={
            "document": str(document.uuid),
            "kind": document.kind,
            "remote_addr": remote_addr,
            "user_agent": user_agent[:USER_AGENT_MAX],
        },
    )
