"""Background tasks (Django's Tasks API): thin shells over the services, each idempotent.

A worker (`manage.py db_worker`) runs them from the queue in the database. Arguments and return
values are JSON: ids and counts, never model instances.
"""

from django_tasks import task

from filings.services.anchoring import audit_anchor
from filings.services.retention import purge_expired


@task()
def anchor_audit() -> int:
    """Anchor the audit chain's head; returns the anchored sequence number (0: empty chain)."""
    anchor = audit_anchor()
    return anchor.seq if anchor is not None else 0


@task()
def purge_expired_documents() -> int:
    """Purge what the retention rules say is due; returns how many documents were purged."""
    return len(purge_expired())
