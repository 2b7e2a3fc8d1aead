"""Pure: the reasons Volcengine gives for a decline, and when a rework may go out again.

Reasons name what they are about (a document kind or a field), so a rework shows each reason
next to the document or field it names. No ORM, no clock (the caller passes the time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

OTHER = "other"


@dataclass(frozen=True)
class Reason:
    """One reason of the list: `code` is stored, `target` is a document kind or a field name."""

    code: str
    target: str
    label: StrOrPromise


# What can be wrong with any document, and with an ID document in particular.
DOCUMENT_PROBLEMS: tuple[tuple[str, StrOrPromise], ...] = (
    ("blurred", _("blurred or unreadable")),
    ("expired", _("expired")),
    ("mismatch", _("does not match the company")),
    ("incomplete", _("incomplete or cut off")),
    ("no_seal", _("the company seal is missing")),
)
ID_DOCUMENT_PROBLEMS: tuple[tuple[str, StrOrPromise], ...] = (
    ("blurred", _("blurred or unreadable")),
    ("expired", _("expired")),
    ("mismatch", _("the person does not match")),
    ("one_side", _("one side is missing")),
    ("face_hidden", _("the face or the ID is not clearly visible")),
)

# Field → its problems; a filing kind offers those of its own fields.
FIELD_PROBLEMS: dict[str, tuple[tuple[str, StrOrPromise], ...]] = {
    "company_name": (("mismatch", _("the company name does not match the licence")),),
    "credit_code": (("mismatch", _("the credit code does not match the licence")),),
    "callee_source": (("unacceptable", _("the callee source is not acceptable")),),
    "business_carrier": (("mismatch", _("the business carrier does not match")),),
    "scripts": (
        ("mismatch", _("a script does not match the business")),
        ("content", _("a script's content is not allowed")),
    ),
    "script": (
        ("mismatch", _("the script does not match the business")),
        ("content", _("the script's content is not allowed")),
    ),
    "script_scene": (("mismatch", _("the scene does not match the script")),),
    "numbers": (
        ("not_owned", _("the number is not registered to the company")),
        ("not_allowed", _("this kind of number cannot be used")),
        ("refused", _("Volcengine refused this number")),
    ),
}


# What each field is called where a reason names it.
FIELD_LABELS: dict[str, StrOrPromise] = {
    "company_name": _("Company name"),
    "credit_code": _("Credit code"),
    "callee_source": _("Callee source"),
    "business_carrier": _("Business carrier"),
    "scripts": _("Call scripts"),
    "script": _("Script"),
    "script_scene": _("Scene"),
    "numbers": _("Numbers"),
}


def reason_code(target: str, problem: str) -> str:
    return f"{target}.{problem}"


def reasons_for(
    *, document_kinds: Iterable[str], sensitive_kinds: Iterable[str], fields: Iterable[str]
) -> list[Reason]:
    """Every reason a decline of a filing with these documents and fields may give, in order:
    documents first, then fields, then "other"."""
    sensitive = set(sensitive_kinds)
    found = []
    for kind in document_kinds:
        problems = ID_DOCUMENT_PROBLEMS if kind in sensitive else DOCUMENT_PROBLEMS
        found += [Reason(reason_code(kind, code), kind, label) for code, label in problems]
    for field in fields:
        found += [
            Reason(reason_code(field, code), field, label)
            for code, label in FIELD_PROBLEMS.get(field, ())
        ]
    found.append(Reason(OTHER, "", _("other (say what in the details)")))
    return found


def target_of(code: str) -> str:
    """The document kind or field a stored reason code names ("" for "other")."""
    target, _dot, _problem = code.rpartition(".")
    return target


def needs_justification(declined_at: datetime | None, now: datetime, cooldown_hours: int) -> bool:
    """A rework approved within `cooldown_hours` of its decline needs a typed justification:
    sending the same thing again at once is what gets a customer blocked."""
    if declined_at is None or cooldown_hours <= 0:
        return False
    return now - declined_at < timedelta(hours=cooldown_hours)
