"""The number filing (Click2CallNumberAuth, 双呼号码报备): fields, documents, checks, body.

Add and update send one script and scene with the business-usage commitment letter; delete sends
only the numbers. The two are separate kinds because they need different documents.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from filings.kinds.base import Check, Documents, FilingKind, filled_in
from filings.models import Document, Filing, FilingNumber, PhoneNumber
from filings.phone_numbers import InvalidNumber, normalise
from filings.volc.payload import NUMBER_ACTIONS_WITH_LETTER, number_auth_payload
from filings.workflow import RECEIVED_STATES

MAX_NUMBERS = 100
LETTER = Document.Kind.BUSINESS_USAGE_LETTER.value

# The states a number may be in for each action (and not in another open number filing).
ELIGIBLE_STATES: Mapping[str, frozenset[str]] = {
    Filing.NumberAction.ADD: frozenset(
        {PhoneNumber.State.DRAFT, PhoneNumber.State.FAILED, PhoneNumber.State.DELISTED}
    ),
    Filing.NumberAction.UPDATE: frozenset({PhoneNumber.State.LIVE}),
    Filing.NumberAction.DELETE: frozenset({PhoneNumber.State.LIVE, PhoneNumber.State.PENDING}),
}

# What a number becomes once Volcengine received the filing.
STATE_AFTER_SUBMITTED: Mapping[str, str] = {
    Filing.NumberAction.ADD: PhoneNumber.State.PENDING,
    Filing.NumberAction.UPDATE: PhoneNumber.State.PENDING,
    Filing.NumberAction.DELETE: PhoneNumber.State.DELISTED,
}

# What the numbers a filing sent become once Volcengine decided: (action, decision) → state.
NUMBER_STATE_AFTER_DECISION: Mapping[tuple[str, str], str] = {
    (Filing.NumberAction.ADD, "filed"): PhoneNumber.State.LIVE,
    (Filing.NumberAction.ADD, "declined"): PhoneNumber.State.FAILED,
    (Filing.NumberAction.UPDATE, "filed"): PhoneNumber.State.LIVE,
    (Filing.NumberAction.UPDATE, "declined"): PhoneNumber.State.LIVE,  # the old script stays
    (Filing.NumberAction.DELETE, "filed"): PhoneNumber.State.DELISTED,
    (Filing.NumberAction.DELETE, "declined"): PhoneNumber.State.LIVE,
}
# A number Volcengine refused while filing the rest (a per-number exception).
NUMBER_STATE_WHEN_REFUSED: Mapping[str, str] = {
    Filing.NumberAction.ADD: PhoneNumber.State.FAILED,
    Filing.NumberAction.UPDATE: PhoneNumber.State.LIVE,
    Filing.NumberAction.DELETE: PhoneNumber.State.LIVE,
}

# A number filing may be sent once the company's latest company filing reached one of these.
COMPANY_FILING_DONE = frozenset({Filing.Status.SUBMITTED, Filing.Status.FILED})


def _numbers(filing: Filing) -> list[FilingNumber]:
    return sorted(filing.filing_numbers.select_related("number"), key=lambda entry: entry.digits)


def _digits(filing: Filing) -> list[str]:
    return [entry.digits for entry in _numbers(filing)]


def content(filing: Filing, documents: Documents) -> dict[str, Any]:
    found: dict[str, Any] = {
        "companyName": filing.company.name,
        "companyCreditCode": filing.company.credit_code,
        "action": filing.number_action,
        "aNumbers": _digits(filing),
    }
    if filing.number_action in NUMBER_ACTIONS_WITH_LETTER:
        found["script"] = filing.script
        found["scriptScene"] = filing.script_scene
    return found


def _company_filing_check(filing: Filing) -> Check:
    latest = (
        Filing.objects.filter(company_id=filing.company_id, kind=Filing.Kind.COMPANY)
        .order_by("-created_at", "-pk")
        .first()
    )
    ok = latest is not None and latest.status in COMPANY_FILING_DONE
    if ok:
        message = _("Company filing: submitted")
    elif latest is None:
        message = _("Company filing: none yet — file the company before its numbers")
    else:
        message = _(
            "Company filing: it is “%(status)s” — numbers can be filed once it is submitted"
        ) % {"status": latest.get_status_display()}
    return Check("company_filing", ok, message)


def _numbers_checks(filing: Filing) -> list[Check]:
    entries = _numbers(filing)
    found = []
    count_ok = 0 < len(entries) <= MAX_NUMBERS
    if not entries:
        message = _("Numbers: add at least one")
    elif len(entries) > MAX_NUMBERS:
        message = _("Numbers: %(n)d, at most %(max)d per filing") % {
            "n": len(entries),
            "max": MAX_NUMBERS,
        }
    else:
        message = _("Numbers: %(n)d") % {"n": len(entries)}
    found.append(Check("numbers", count_ok, message))

    invalid = []
    for entry in entries:
        try:
            if normalise(entry.digits) != entry.digits:
                invalid.append(entry.digits)
        except InvalidNumber:
            invalid.append(entry.digits)
    if invalid:
        found.append(
            Check(
                "numbers_valid",
                False,
                _("Numbers not valid: %(numbers)s") % {"numbers": ", ".join(invalid)},
            )
        )
    eligible = ELIGIBLE_STATES.get(filing.number_action, frozenset())
    # Once Volcengine received the filing its numbers moved on (pending, delisted, then live or
    # failed) and left it: that is the filing's effect, not a problem of it.
    received = filing.status in RECEIVED_STATES
    wrong = [
        entry
        for entry in entries
        if not received
        and (entry.number.state not in eligible or entry.number.open_filing_id != filing.pk)
    ]
    if wrong:
        found.append(
            Check(
                "numbers_state",
                False,
                _("Numbers that cannot be filed with “%(action)s”: %(numbers)s")
                % {
                    "action": filing.get_number_action_display(),
                    "numbers": ", ".join(
                        f"{entry.digits} ({entry.number.get_state_display()})" for entry in wrong
                    ),
                },
            )
        )
    return found


def checks(filing: Filing, documents: Documents) -> list[Check]:
    """The company's filing, the numbers (1–100, valid, in a state the action fits), and for add
    and update a script and a scene."""
    found = [_company_filing_check(filing), *_numbers_checks(filing)]
    if filing.number_action in NUMBER_ACTIONS_WITH_LETTER:
        found += [
            filled_in(
                "script_scene",
                filing.script_scene,
                _("Scene: filled in"),
                _("Scene: not filled in"),
            ),
            filled_in("script", filing.script, _("Script: filled in"), _("Script: not filled in")),
        ]
    return found


def body(filing: Filing, documents: Documents, urls: Mapping[str, str]) -> dict[str, Any]:
    letter = None
    if filing.number_action in NUMBER_ACTIONS_WITH_LETTER:
        letter = (urls[LETTER], documents[LETTER].api_filename)
    return number_auth_payload(
        company_name=filing.company.name,
        credit_code=filing.company.credit_code,
        action=filing.number_action,
        numbers=_digits(filing),
        letter=letter,
        script=filing.script,
        scene=filing.script_scene,
    )


NUMBER_FILING = FilingKind(
    name="number",
    api_action="Click2CallNumberAuth",
    document_kinds=(LETTER,),
    content=content,
    checks=checks,
    body=body,
    fields=("script_scene", "script"),
    decision_fields=("company_name", "credit_code", "script_scene", "script", "numbers"),
)

NUMBER_DELETE_FILING = FilingKind(
    name="number_delete",
    api_action="Click2CallNumberAuth",
    document_kinds=(),
    content=content,
    checks=checks,
    body=body,
    decision_fields=("company_name", "credit_code", "numbers"),
)
