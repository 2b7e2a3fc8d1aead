"""Services that change what a filing says: company, fields, scripts. Edits void an approval."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from filings import audit, errors, kinds
from filings.credit_code import normalize_credit_code
from filings.four_eyes import COMPANY_CHANGED
from filings.models import CallScript, Company, Filing
from filings.services.common import (
    Actor,
    lock_filing,
    lock_filings,
    require_perm,
    transition,
    user_id,
)
from filings.services.document_reuse import documents_take_over
from filings.workflow import EDITABLE_STATES, SENT_STATES, Action, State

FILING_FIELDS = kinds.COMPANY_FILING.fields
SCRIPT_FIELDS = ("scene", "content")


def _diff(obj: Any, changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {"before": getattr(obj, name), "after": value}
        for name, value in changes.items()
        if getattr(obj, name) != value
    }


@transaction.atomic
def company_create(*, actor: Actor, name: str, credit_code: str) -> Company:
    require_perm(actor, "filings.add_company")
    company = Company(
        name=name.strip(),
        credit_code=normalize_credit_code(credit_code),
        created_by_id=user_id(actor),
    )
    company.full_clean()
    company.save()
    audit.record(
        actor=actor,
        kind="company.created",
        target=company,
        data={"name": company.name, "credit_code": company.credit_code},
    )
    return company


# A company's name and credit code are part of what each of its filings sends. An edit is refused
# while one of them is in review or being sent; every other filing that may still be sent (all
# but a submitted one) records the edit as a change of its own content.
COMPANY_EDIT_REFUSED_STATES = frozenset({State.IN_REVIEW, State.SENDING})


@transaction.atomic
def company_update(*, actor: Actor, company: Company, name: str, credit_code: str) -> Company:
    require_perm(actor, "filings.change_company")
    # The lock order of audit.record: the filings (by pk), then the company, then the chain head.
    lock_filings(Filing.objects.filter(company_id=company.pk))
    company = Company.objects.select_for_update().get(pk=company.pk)
    # Locking the company waited for any filing being added to it, and no other can be added
    # now; read the filings again with their committed states.
    filings = lock_filings(Filing.objects.filter(company_id=company.pk))
    changes = _diff(
        company, {"name": name.strip(), "credit_code": normalize_credit_code(credit_code)}
    )
    if not changes:
        return company
    busy = [f for f in filings if f.status in COMPANY_EDIT_REFUSED_STATES]
    if busy:
        named = ", ".join(f"#{f.pk} “{f.get_status_display()}”" for f in busy)
        raise errors.FilingsError(str(errors.COMPANY_LOCKED).format(filings=named))
    for field, change in changes.items():
        setattr(company, field, change["after"])
    company.full_clean()
    company.save()
    audit.record(actor=actor, kind="company.updated", target=company, data={"changes": changes})
    for filing in filings:
        if filing.status in SENT_STATES:
            continue
        audit.record(
            actor=actor,
            kind=COMPANY_CHANGED,
            target=filing,
            filing=filing,
            data={"company": company.pk, "changes": changes},
        )
        touch(actor, filing, reason="company.updated")
    return company


@transaction.atomic
def filing_create(
    *, actor: Actor, company: Company, callee_source: str = "", business_carrier: str = ""
) -> Filing:
    require_perm(actor, "filings.add_filing")
    filing = Filing(
        company=company,
        callee_source=callee_source,
        business_carrier=business_carrier,
        created_by_id=user_id(actor),
        updated_by_id=user_id(actor),
    )
    filing.full_clean()
    filing.save()
    audit.record(
        actor=actor,
        kind="filing.created",
        target=filing,
        filing=filing,
        data={"company": company.credit_code, **{f: getattr(filing, f) for f in FILING_FIELDS}},
    )
    documents_take_over(actor, filing)
    return filing


def editable_filing(actor: Actor, filing_id: int) -> Filing:
    """Lock the filing for an edit by `actor`; only drafts and approved filings can change."""
    require_perm(actor, "filings.change_filing")
    filing = lock_filing(filing_id)
    if filing.status not in EDITABLE_STATES:
        raise errors.FilingsError(
            str(errors.NOT_EDITABLE).format(status=filing.get_status_display())
        )
    return filing


def touch(actor: Actor, filing: Filing, *, reason: str) -> None:
    """Mark `actor` as the last editor and void an approval: called by every content edit.

    An edit restarts the desk's "since when" (state_since) as it restarts updated_at."""
    now = timezone.now()
    Filing.objects.filter(pk=filing.pk).update(
        updated_by_id=user_id(actor), updated_at=now, state_since=now
    )
    filing.updated_by_id = user_id(actor)
    filing.state_since = now
    if filing.status == State.APPROVED:
        _void_approval(actor, filing, reason=reason)


def _void_approval(actor: Actor, filing: Filing, *, reason: str) -> None:
    previous = {"approved_hash": filing.approved_hash, "approved_by": filing.approved_by_id}
    move = transition(
        filing, Action.VOID_APPROVAL, approved_hash="", approved_by=None, approved_at=None
    )
    audit.record(
        actor=actor,
        kind=move.event_kind,
        target=filing,
        filing=filing,
        data={"reason": reason, **previous},
    )


@transaction.atomic
def filing_update(*, actor: Actor, filing: Filing, **fields: str) -> Filing:
    unknown = set(fields) - set(kinds.kind_of(filing).fields)
    if unknown:
        raise TypeError(f"filing_update got unknown fields {sorted(unknown)}")
    filing = editable_filing(actor, filing.pk)
    changes = _diff(filing, fields)
    if not changes:
        return filing
    for name, change in changes.items():
        setattr(filing, name, change["after"])
    filing.full_clean()
    filing.save(update_fields=[*changes, "updated_at"])
    audit.record(
        actor=actor, kind="filing.updated", target=filing, filing=filing, data={"changes": changes}
    )
    touch(actor, filing, reason="filing.updated")
    return filing


@transaction.atomic
def script_add(*, actor: Actor, filing: Filing, scene: str, content: str) -> CallScript:
    filing = editable_filing(actor, filing.pk)
    last = filing.scripts.order_by("-position").values_list("position", flat=True).first()
    script = CallScript(filing=filing, position=(last or 0) + 1, scene=scene, content=content)
    script.full_clean()
    script.save()
    audit.record(
        actor=actor,
        kind="script.created",
        target=script,
        filing=filing,
        data={"position": script.position, "scene": scene, "content": content},
    )
    touch(actor, filing, reason="script.created")
    return script


@transaction.atomic
def script_update(*, actor: Actor, script: CallScript, **fields: Any) -> CallScript:
    filing = editable_filing(actor, script.filing_id)
    script = CallScript.objects.get(pk=script.pk, filing=filing)
    changes = _diff(script, {k: v for k, v in fields.items() if k in (*SCRIPT_FIELDS, "position")})
    if not changes:
        return script
    for name, change in changes.items():
        setattr(script, name, change["after"])
    script.full_clean()
    script.save()
    audit.record(
        actor=actor, kind="script.updated", target=script, filing=filing, data={"changes": changes}
    )
    touch(actor, filing, reason="script.updated")
    return script


@transaction.atomic
def script_delete(*, actor: Actor, script: CallScript) -> None:
    filing = editable_filing(actor, script.filing_id)
    script = CallScript.objects.get(pk=script.pk, filing=filing)
    data = {"position": script.position, "scene": script.scene, "content": script.content}
    audit.record(actor=actor, kind="script.deleted", target=script, filing=filing, data=data)
    script.delete()
    touch(actor, filing, reason="script.deleted")
