"""Services for A-numbers: add them to a company, file them in number filings, and follow what
Volcengine did with them. Each writes in one transaction with its audit events."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from filings import audit, errors
from filings.four_eyes import NUMBER_CHANGED
from filings.kinds.number import ELIGIBLE_STATES, MAX_NUMBERS, STATE_AFTER_SUBMITTED
from filings.models import Company, Filing, FilingNumber, PhoneNumber
from filings.phone_numbers import ListTooLong, report_items
from filings.services.common import Actor, require_perm, user_id
from filings.services.document_reuse import documents_take_over
from filings.services.editing import editable_filing, touch
from filings.workflow import State, Transition

ADD = "filings.add_phonenumber"
CHANGE = "filings.change_phonenumber"

# Rows per INSERT when adding numbers, within the database's limit of parameters per query.
ROWS_PER_INSERT = 500

# How many numbers one "File these numbers" takes (50 filings of MAX_NUMBERS at the most).
MAX_FILED_AT_ONCE = 5000
# States in which a number is taken, for any company: it is on Volcengine's list or on its way.
TAKEN_STATES = (PhoneNumber.State.PENDING, PhoneNumber.State.LIVE)


@dataclass(frozen=True)
class ReportLine:
    """One item of a pasted list or file: its line, what was written, and what became of it."""

    line: int
    raw: str
    digits: str = ""
    reason: str = ""

    @property
    def added(self) -> bool:
        return not self.reason


@dataclass(frozen=True)
class AddReport:
    lines: list[ReportLine]

    @property
    def added(self) -> list[ReportLine]:
        return [line for line in self.lines if line.added]

    @property
    def refused(self) -> list[ReportLine]:
        return [line for line in self.lines if not line.added]


# Another company's number with the same digits stands in the way while it is taken or filed.
TAKEN_ELSEWHERE = Q(state__in=TAKEN_STATES) | Q(open_filing__isnull=False)


def taken_elsewhere_reason(company_name: str, state: str, open_filing_id: int | None) -> str:
    """Why another company's number keeps these digits from being added or filed."""
    if open_filing_id is not None:
        where = _("in number filing #%(id)s") % {"id": open_filing_id}
    else:
        where = str(PhoneNumber.State(state).label)
    return _("already used by %(company)s (%(where)s)") % {"company": company_name, "where": where}


def _taken(digits: list[str], company: Company) -> dict[str, str]:
    """digits → why it cannot be added to `company`: already there, or taken by another."""
    own = {
        state: _("already one of this company's numbers (%(state)s)") % {"state": state.label}
        for state in PhoneNumber.State
    }
    found: dict[str, str] = {}
    for start in range(0, len(digits), 2000):
        chunk = digits[start : start + 2000]
        rows = (
            PhoneNumber.objects.filter(digits__in=chunk)
            .filter(Q(company=company) | TAKEN_ELSEWHERE)
            .order_by("digits")
            .values_list("digits", "company_id", "state", "open_filing_id", "company__name")
        )
        for number, company_id, state, open_filing_id, company_name in rows:
            if company_id == company.pk:
                reason = own[PhoneNumber.State(state)]
            else:
                reason = taken_elsewhere_reason(company_name, state, open_filing_id)
            found.setdefault(number, reason)
    return found


@transaction.atomic
def numbers_add(
    *,
    actor: Actor,
    company: Company,
    items: Iterable[tuple[int, str]],
    script_scene: str = "",
    script: str = "",
) -> AddReport:
    """Add the numbers of a pasted list or a file, as `(line, text)` items (see
    `phone_numbers.split_list` and `number_files`), to `company` as drafts.

    Every item is reported with its line: added, or refused with the reason (not a valid mainland
    number, a duplicate in the list, already this company's, or live or being filed for any
    company). The good ones are added even when others are refused.
    """
    require_perm(actor, ADD)
    try:
        parsed = report_items(items)
    except ListTooLong as exc:
        raise errors.FilingsError(str(exc)) from exc
    candidates = [item.digits for item in parsed.lines if item.digits and not item.reason]
    taken = _taken(candidates, company)
    lines = []
    new: list[str] = []
    for item in parsed.lines:
        reason = str(item.reason or "") or taken.get(item.digits or "", "")
        lines.append(ReportLine(item.line, item.text, item.digits or "", reason))
        if not reason:
            new.append(str(item.digits))
    if new:
        _insert_drafts(company, new, script_scene, script, user_id(actor))
        audit.record(
            actor=actor,
            kind="numbers.added",
            target=company,
            data={
                "company": company.credit_code,
                "numbers": new,
                "script_scene": script_scene,
                "script": script,
            },
        )
    return AddReport(lines)


def _insert_drafts(
    company: Company, digits: list[str], script_scene: str, script: str, actor_id: int
) -> None:
    """Insert new draft numbers of `company` that differ only in their digits.

    A full list is 10,000 rows: bulk_create would prepare and bind every value of every row
    (ten each), which alone takes longer than the two seconds a pasted list may take. Here the
    shared values are validated, prepared and bound once per INSERT, and only the digits once
    per row: `INSERT … SELECT <shared values>, column1 FROM (VALUES (%s), (%s), …)`.
    """
    now = timezone.now()
    shared = PhoneNumber(
        company=company,
        digits=digits[0],
        script_scene=script_scene,
        script=script,
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    shared.full_clean(exclude=["company", "created_by"], validate_unique=False)
    number_field = PhoneNumber._meta.get_field("digits")
    # Columns left out (the primary key, an empty open filing) get the database's default.
    fields = [
        field
        for field in PhoneNumber._meta.concrete_fields
        if field is not number_field
        and not field.primary_key
        and getattr(shared, field.attname) is not None
    ]
    values = [
        field.get_db_prep_save(getattr(shared, field.attname), connection) for field in fields
    ]
    quote = connection.ops.quote_name
    # Table and column names come from the model; every value is a bound parameter.
    insert = "INSERT INTO {} ({}) SELECT {} FROM (VALUES ".format(  # noqa: S608  # nosec B608
        quote(PhoneNumber._meta.db_table),
        ", ".join(quote(str(field.column)) for field in [*fields, number_field]),
        ", ".join(["%s"] * len(fields) + ["column1"]),
    )
    size = min(ROWS_PER_INSERT, connection.ops.bulk_batch_size([number_field], digits))
    with connection.cursor() as cursor:
        for start in range(0, len(digits), size):
            chunk = digits[start : start + size]
            cursor.execute(
                insert + ", ".join(["(%s)"] * len(chunk)) + ") AS numbers", values + chunk
            )


@transaction.atomic
def number_update(
    *, actor: Actor, number: PhoneNumber, script_scene: str, script: str
) -> PhoneNumber:
    """Change the script and scene a number will be filed with; not while it is in a filing."""
    require_perm(actor, CHANGE)
    number = PhoneNumber.objects.select_for_update().get(pk=number.pk)
    if number.open_filing_id is not None:
        raise errors.FilingsError(
            str(errors.NUMBER_IN_FILING).format(number=number.digits, filing=number.open_filing_id)
        )
    before = {"script_scene": number.script_scene, "script": number.script}
    after = {"script_scene": script_scene.strip(), "script": script.strip()}
    if before == after:
        return number
    number.script_scene, number.script = after["script_scene"], after["script"]
    number.full_clean(exclude=["company", "created_by"], validate_unique=False)
    number.save(update_fields=["script_scene", "script", "updated_at"])
    audit.record(
        actor=actor,
        kind=NUMBER_CHANGED,
        target=number,
        data={"number": number.digits, "before": before, "after": after},
    )
    return number


@dataclass(frozen=True)
class FileResult:
    filings: list[Filing]
    refused: list[tuple[str, str]] = field(default_factory=list)  # (digits, reason)


def _group_key(number: PhoneNumber, action: str) -> tuple[int, str, str]:
    if action == Filing.NumberAction.DELETE:
        return (number.company_id, "", "")
    return (number.company_id, number.script_scene, number.script)


@transaction.atomic
def numbers_file(*, actor: Actor, numbers: Iterable[int], action: str) -> FileResult:
    """ "File these numbers": new draft number filings for `action`, one per company, script and
    scene (delete: per company), each of at most MAX_NUMBERS numbers.

    A number that is already in an open filing, or whose state the action does not fit, is left
    out and reported with the reason.
    """
    require_perm(actor, "filings.add_filing")
    require_perm(actor, CHANGE)
    numbers = list(numbers)
    if len(numbers) > MAX_FILED_AT_ONCE:
        raise errors.FilingsError(str(errors.TOO_MANY_NUMBERS).format(limit=MAX_FILED_AT_ONCE))
    if action not in ELIGIBLE_STATES:
        raise errors.FilingsError(str(errors.UNKNOWN_NUMBER_ACTION).format(action=action))
    label = Filing.NumberAction(action).label
    chosen = set(numbers)
    # The chosen rows and every other company's rows of the same digits, in the lock order (pk):
    # digits are in at most one open filing, and not filed while another company has them.
    locked = list(
        PhoneNumber.objects.select_for_update()
        .filter(digits__in=PhoneNumber.objects.filter(pk__in=chosen).values("digits"))
        .select_related("company")
        .order_by("pk")
    )
    elsewhere: dict[str, PhoneNumber] = {}
    for number in locked:
        if number.pk not in chosen and (number.state in TAKEN_STATES or number.open_filing_id):
            elsewhere.setdefault(number.digits, number)
    refused: list[tuple[str, str]] = []
    groups: dict[tuple[int, str, str], list[PhoneNumber]] = defaultdict(list)
    mine = [number for number in locked if number.pk in chosen]
    claimed: dict[str, PhoneNumber] = {}
    for number in sorted(mine, key=lambda n: (n.digits, n.pk)):
        other = elsewhere.get(number.digits)
        if other is not None and other.company_id != number.company_id:
            reason = taken_elsewhere_reason(other.company.name, other.state, other.open_filing_id)
            refused.append((number.digits, reason))
        elif number.digits in claimed:
            refused.append(
                (
                    number.digits,
                    _("also chosen for %(company)s: file it for one company at a time")
                    % {"company": claimed[number.digits].company.name},
                )
            )
        elif number.open_filing_id is not None:
            refused.append(
                (
                    number.digits,
                    _("already in number filing #%(id)s") % {"id": number.open_filing_id},
                )
            )
        elif number.state not in ELIGIBLE_STATES[action]:
            refused.append(
                (
                    number.digits,
                    _("it is %(state)s: “%(action)s” is for %(states)s numbers")
                    % {
                        "state": number.get_state_display(),
                        "action": label,
                        "states": ", ".join(
                            str(PhoneNumber.State(state).label)
                            for state in sorted(ELIGIBLE_STATES[action])
                        ),
                    },
                )
            )
        else:
            claimed[number.digits] = number
            groups[_group_key(number, action)].append(number)
    companies = Company.objects.in_bulk({company_id for company_id, _, _ in groups})
    created = []
    for (company_id, scene, script), members in sorted(groups.items()):
        for start in range(0, len(members), MAX_NUMBERS):
            chunk = members[start : start + MAX_NUMBERS]
            created.append(
                _filing_create(actor, companies[company_id], action, scene, script, chunk)
            )
    return FileResult(created, refused)


def _filing_create(
    actor: Actor,
    company: Company,
    action: str,
    scene: str,
    script: str,
    numbers: list[PhoneNumber],
) -> Filing:
    filing = Filing.objects.create(
        kind=Filing.Kind.NUMBER,
        company=company,
        number_action=action,
        script_scene=scene,
        script=script,
        created_by_id=user_id(actor),
        updated_by_id=user_id(actor),
    )
    FilingNumber.objects.bulk_create(
        FilingNumber(filing=filing, number=number, digits=number.digits) for number in numbers
    )
    PhoneNumber.objects.filter(pk__in=[number.pk for number in numbers]).update(open_filing=filing)
    audit.record(
        actor=actor,
        kind="filing.created",
        target=filing,
        filing=filing,
        data={
            "company": company.credit_code,
            "kind": filing.kind,
            "number_action": action,
            "numbers": [number.digits for number in numbers],
            "script_scene": scene,
            "script": script,
        },
    )
    documents_take_over(actor, filing)
    return filing


@transaction.atomic
def filing_number_remove(*, actor: Actor, filing: Filing, number: PhoneNumber) -> Filing:
    """Take a number out of an editable number filing; it is free to be filed again."""
    filing = editable_filing(actor, filing.pk)
    entry = (
        FilingNumber.objects.select_related("number")
        .filter(filing=filing, number_id=number.pk)
        .first()
    )
    if entry is None:
        raise errors.FilingsError(str(errors.NUMBER_NOT_IN_FILING).format(number=number.digits))
    PhoneNumber.objects.select_for_update().filter(pk=number.pk).update(open_filing=None)
    entry.delete()
    audit.record(
        actor=actor,
        kind="filing.number_removed",
        target=filing,
        filing=filing,
        data={"number": entry.digits},
    )
    touch(actor, filing, reason="filing.number_removed")
    return filing


def numbers_after_move(actor: Actor, filing: Filing, move: Transition) -> None:
    """A number filing's numbers follow it: once Volcengine received it they are pending (add,
    update) or delisted (delete) and free for the next filing.

    Called by the services that move a filing, after the move and before its audit event (the
    lock order: filing, numbers, chain head).
    """
    if filing.kind != Filing.Kind.NUMBER or move.target != State.SUBMITTED:
        return
    state = STATE_AFTER_SUBMITTED[filing.number_action]
    numbers = PhoneNumber.objects.select_for_update().filter(filing_numbers__filing=filing)
    digits = sorted(numbers.order_by("pk").values_list("digits", flat=True))  # locked by pk
    numbers.update(state=state, open_filing=None, failure_reason="")
    audit.record(
        actor=actor,
        kind="numbers.state_changed",
        target=filing,
        filing=filing,
        data={"state": state, "numbers": digits},
    )


def numbers_take_back(filing: Filing) -> dict[str, list[str]]:
    """A declined number filing reworked: its numbers that are still free for its action come
    back into it; the others (filed elsewhere since, or taken by another company) leave it.

    Runs inside the rework's transaction, the filing already locked. Returns what it did, for
    the rework's audit event.
    """
    entries = list(filing.filing_numbers.select_related("number").order_by("digits"))
    digits = [entry.digits for entry in entries]
    locked = list(PhoneNumber.objects.select_for_update().filter(digits__in=digits).order_by("pk"))
    taken_elsewhere = {
        number.digits
        for number in locked
        if number.company_id != filing.company_id
        and (number.state in TAKEN_STATES or number.open_filing_id is not None)
    }
    eligible = ELIGIBLE_STATES[filing.number_action]
    fresh = {number.pk: number for number in locked}  # as they are now, not as first read
    kept, dropped = [], []
    for entry in entries:
        number = fresh[entry.number_id]
        if (
            number.open_filing_id is None
            and number.state in eligible
            and entry.digits not in taken_elsewhere
        ):
            kept.append(number.pk)
        else:
            dropped.append(entry)
    PhoneNumber.objects.filter(pk__in=kept).update(open_filing=filing)
    FilingNumber.objects.filter(pk__in=[entry.pk for entry in dropped]).delete()
    return {
        "numbers": [entry.digits for entry in entries if entry not in dropped],
        "dropped": [entry.digits for entry in dropped],
    }
