"""Services of the retention of personal data: a company's end of service, legal holds, purges.

Ending or resuming a service and setting or releasing a legal hold are for administrators
(superusers) only. A purge runs without a user (from cron): each document in a transaction of
its own, its stored object deleted once that transaction has committed.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from filings import audit, errors
from filings.models import Company, Document, Filing, FilingDocument
from filings.retention import Reason, purgeable, reason_of
from filings.services.common import Actor, lock_filing, lock_filings, user_id
from filings.storage import delete_object


def require_superuser(actor: Actor) -> None:
    if not (actor.is_authenticated and actor.is_active and actor.is_superuser):
        raise errors.NotPermitted(str(errors.SUPERUSER_ONLY))


def _reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise errors.FilingsError(str(errors.REASON_REQUIRED))
    return cleaned


def _locked_company(actor: Actor, company: Company) -> Company:
    require_superuser(actor)
    return Company.objects.select_for_update().get(pk=company.pk)


def _save(company: Company, *fields: str) -> None:
    company.updated_at = timezone.now()
    company.save(update_fields=[*fields, "updated_at"])


SERVICE_FIELDS = ("service_ended_on", "service_ended_by", "service_end_reason")
HOLD_FIELDS = ("legal_hold", "legal_hold_reason")


@transaction.atomic
def company_end_service(*, actor: Actor, company: Company, ended_on: date, reason: str) -> Company:
    """The company's service ended on `ended_on` (today or earlier)."""
    company = _locked_company(actor, company)
    reason = _reason(reason)
    if company.service_ended_on is not None:
        raise errors.FilingsError(
            str(errors.SERVICE_ALREADY_ENDED).format(date=company.service_ended_on.isoformat())
        )
    if ended_on > timezone.localdate():
        raise errors.FilingsError(str(errors.SERVICE_END_IN_FUTURE).format(date=ended_on))
    company.service_ended_on = ended_on
    company.service_ended_by_id = user_id(actor)
    company.service_end_reason = reason
    _save(company, *SERVICE_FIELDS)
    audit.record(
        actor=actor,
        kind="company.service_ended",
        target=company,
        data={"ended_on": ended_on.isoformat(), "reason": reason},
    )
    return company


@transaction.atomic
def company_resume_service(*, actor: Actor, company: Company, reason: str) -> Company:
    """The company's service goes on: its documents are kept again."""
    company = _locked_company(actor, company)
    reason = _reason(reason)
    if company.service_ended_on is None:
        raise errors.FilingsError(str(errors.SERVICE_NOT_ENDED))
    previous = {
        "ended_on": company.service_ended_on.isoformat(),
        "ended_by": company.service_ended_by_id,
        "end_reason": company.service_end_reason,
    }
    company.service_ended_on = None
    company.service_ended_by_id = None
    company.service_end_reason = ""
    _save(company, *SERVICE_FIELDS)
    audit.record(
        actor=actor,
        kind="company.service_resumed",
        target=company,
        data={"reason": reason, **previous},
    )
    return company


@transaction.atomic
def company_set_legal_hold(*, actor: Actor, company: Company, reason: str) -> Company:
    """Nothing of the company is purged until the hold is released."""
    company = _locked_company(actor, company)
    reason = _reason(reason)
    if company.legal_hold:
        raise errors.FilingsError(str(errors.LEGAL_HOLD_ALREADY_SET))
    company.legal_hold = True
    company.legal_hold_reason = reason
    _save(company, *HOLD_FIELDS)
    audit.record(
        actor=actor, kind="company.legal_hold_set", target=company, data={"reason": reason}
    )
    return company


@transaction.atomic
def company_release_legal_hold(*, actor: Actor, company: Company, reason: str) -> Company:
    """The hold ends: the retention rules apply to the company's documents again."""
    company = _locked_company(actor, company)
    reason = _reason(reason)
    if not company.legal_hold:
        raise errors.FilingsError(str(errors.LEGAL_HOLD_NOT_SET))
    hold_reason = company.legal_hold_reason
    company.legal_hold = False
    company.legal_hold_reason = ""
    _save(company, *HOLD_FIELDS)
    audit.record(
        actor=actor,
        kind="company.legal_hold_released",
        target=company,
        data={"reason": reason, "hold_reason": hold_reason},
    )
    return company


@dataclass(frozen=True)
class Purged:
    document: Document  # as it was before the purge (its filing and company read with it)
    reason: Reason


def _purge_one(document_id: int, filing_id: int, now: datetime) -> Purged | None:
    """Purge one document if it is still due once the filings that hold or held it, and its
    company, are locked."""
    with transaction.atomic():
        # The lock order of audit.record: the filings (by pk), then the company, then the chain
        # head. The event is recorded on the filing it was uploaded in.
        # (A subquery, not a join: PostgreSQL refuses FOR UPDATE with DISTINCT.)
        holders = FilingDocument.objects.filter(document_id=document_id).values("filing_id")
        lock_filings(Filing.objects.filter(Q(pk=filing_id) | Q(pk__in=holders)))
        filing = lock_filing(filing_id)
        list(Company.objects.select_for_update().filter(pk=filing.company_id).values_list("pk"))
        due = purgeable(now).filter(pk=document_id).first()
        if due is None:  # meanwhile held, resumed, reopened, or purged by another run
            return None
        why = reason_of(due)
        Document.objects.filter(pk=due.pk).update(
            original_name="", api_filename="", storage_key=None, purged_at=timezone.now()
        )
        audit.record(
            actor=None,
            kind="document.purged",
            target=due,
            filing=filing,
            data={
                "document": str(due.uuid),
                "kind": due.kind,
                "part": due.part,
                "sha256": due.sha256,
                "size": due.size,
                "reason": why.value,
            },
        )
        if due.storage_key:
            # After the commit: a rolled-back purge keeps its object. A failed delete leaves an
            # orphan that manage.py cleanup_orphans lists.
            transaction.on_commit(partial(delete_object, due.storage_key))
    return Purged(due, why)


def purge_expired(*, now: datetime | None = None) -> list[Purged]:
    """Purge every document filings.retention says is due; each in its own transaction.

    Running it again purges nothing more: a purged document is never due again.
    """
    now = now or timezone.now()
    candidates = list(purgeable(now).values_list("pk", "filing_id"))
    purged = [_purge_one(document_id, filing_id, now) for document_id, filing_id in candidates]
    return [done for done in purged if done is not None]
