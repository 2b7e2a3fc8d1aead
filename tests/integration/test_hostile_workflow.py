"""Hostile workflow requests (submit, approve, request changes, resolve, rework, send) by the
wrong person, in the wrong state or with bad input: refused, never a 500, nothing changed."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from filings import errors
from tests.hostile import (
    NOT_PERMITTED,
    Hostile,
    act,
    assert_refused_and_unchanged,
    filing_list,
    not_offered,
    post,
    refused,
    send_page,
    status,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hostile_settings")]


HOSTILE: list[Hostile] = [
    # --- workflow: approve, send, and the buttons -------------------------------------------------
    Hostile(
        "approve-by-a-preparer",
        "preparer2",
        post(act("approve"), {}),
        refused(NOT_PERMITTED),
        needs="in_review",
    ),
    Hostile(
        "send-confirmation-by-a-preparer",
        "preparer",
        post(send_page, {"confirm": "yes"}),
        status(403),
        needs="approved",
    ),
    Hostile(
        "send-action-by-a-preparer",
        "preparer",
        post(
            filing_list,
            lambda w: {
                "action": "send_to_volcengine",
                "_selected_action": [w.filing("approved").pk],
                "index": "0",
            },
        ),
        not_offered,
        needs="approved",
    ),
    Hostile(
        "send-action-by-auditor",
        "auditor",
        post(
            filing_list,
            lambda w: {
                "action": "send_to_volcengine",
                "_selected_action": [w.filing("approved").pk],
                "index": "0",
            },
        ),
        not_offered,
        needs="approved",
    ),
    Hostile(
        "send-confirmation-by-auditor",
        "auditor",
        post(send_page, {"confirm": "yes"}),
        status(403),
        needs="approved",
    ),
    Hostile(
        "submit-by-auditor", "auditor", post(act("submit", "draft"), {}), refused(NOT_PERMITTED)
    ),
    *[
        Hostile(
            f"{action}-by-auditor",
            "auditor",
            post(act(action), data),
            refused(NOT_PERMITTED),
            needs="in_review",
        )
        for action, data in [
            ("withdraw", {}),
            ("approve", {}),
            ("request_changes", {"comment": "Please fix."}),
            ("resolve_submitted", {"note": "ticket 1"}),
            ("rework", {}),
        ]
    ],
    Hostile(
        "unknown-workflow-action",
        "reviewer",
        post(act("explode"), {}),
        status(404),
        needs="in_review",
    ),
    Hostile(
        "workflow-action-on-a-filing-that-does-not-exist",
        "reviewer",
        post(lambda w: reverse("admin:filings_filing_act", args=[999999, "approve"]), {}),
        status(404),
    ),
    Hostile(
        "request-changes-without-comment",
        "reviewer",
        post(act("request_changes"), {"comment": " \n\t "}),
        refused(errors.COMMENT_REQUIRED),
        needs="in_review",
    ),
    Hostile(
        "request-changes-comment-over-2000",
        "reviewer",
        post(act("request_changes"), {"comment": "改" * 2001}),
        refused("at most 2000 characters (it has 2001)"),
        needs="in_review",
    ),
    Hostile(
        "resolve-with-a-forged-status",
        "reviewer",
        post(act("resolve_submitted"), {"status": "SUBMITTED' OR '1'='1", "note": "x"}),
        refused("This filing changed while you were looking at it"),
        needs="in_review",
    ),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_hostile_request_is_refused_and_changes_nothing(
    case: Hostile, users: dict[str, User]
) -> None:
    assert_refused_and_unchanged(case, users)
