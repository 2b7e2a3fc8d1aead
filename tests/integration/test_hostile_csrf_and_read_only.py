"""Requests that write what is read-only (audit events, sandbox settings, exports) and
requests with a forged or missing CSRF token: refused, never a 500, nothing changed."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.hostile import (
    LICENCE,
    Hostile,
    act,
    assert_refused_and_unchanged,
    company,
    company_add,
    csrf_refused,
    first_event_page,
    get,
    image,
    post,
    remove_url,
    send_page,
    status,
    upload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hostile_settings")]


HOSTILE: list[Hostile] = [
    # --- history and configuration are read-only --------------------------------------------------
    Hostile(
        "audit-event-add-by-superuser",
        "superuser",
        post(lambda w: reverse("admin:filings_auditevent_add"), {"kind": "forged", "seq": "1"}),
        status(403),
    ),
    Hostile(
        "audit-event-change-by-superuser",
        "superuser",
        post(
            first_event_page,
            {"kind": "forged", "_save": "Save"},
        ),
        status(403),
    ),
    Hostile(
        "sandbox-settings-by-preparer",
        "preparer",
        post(
            lambda w: reverse("admin:sandbox_sandboxconfig_add"),
            {"mode": "normal", "stall_seconds": "1"},
        ),
        status(403),
    ),
    Hostile(
        "export-in-an-unknown-format",
        "auditor",
        get(lambda w: reverse("admin:filings_submission_export", args=["xlsx"])),
        status(404),
    ),
    Hostile(
        "export-by-preparer",
        "preparer",
        get(lambda w: reverse("admin:filings_auditevent_export", args=["csv"])),
        status(403),
    ),
    # --- forged or missing CSRF tokens ------------------------------------------------------------
    Hostile(
        "csrf-missing-company-add",
        "preparer",
        post(company_add, company()),
        csrf_refused,
        csrf=True,
    ),
    Hostile(
        "csrf-forged-company-add",
        "preparer",
        post(company_add, {**company(), "csrfmiddlewaretoken": "f" * 32}),
        csrf_refused,
        csrf=True,
    ),
    Hostile(
        "csrf-missing-upload",
        "preparer",
        upload(b"businessLicense", [image()]),
        csrf_refused,
        csrf=True,
    ),
    Hostile(
        "csrf-missing-remove",
        "preparer",
        post(remove_url, {"kind": LICENCE}),
        csrf_refused,
        csrf=True,
    ),
    Hostile(
        "csrf-missing-approve",
        "reviewer",
        post(act("approve"), {}),
        csrf_refused,
        needs="in_review",
        csrf=True,
    ),
    Hostile(
        "csrf-missing-send-confirmation",
        "reviewer",
        post(send_page, {"confirm": "yes"}),
        csrf_refused,
        needs="approved",
        csrf=True,
    ),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_hostile_request_is_refused_and_changes_nothing(
    case: Hostile, users: dict[str, User]
) -> None:
    assert_refused_and_unchanged(case, users)
