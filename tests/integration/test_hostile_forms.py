"""Hostile input against the company and filing forms and the filing's call scripts: each
request is answered with a clear 4xx or a form error (never a 500) and changes nothing;
fields that are not on a form cannot be set through it."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.hostile import (
    FORM,
    NOT_A_CHOICE,
    NUL,
    REQUIRED,
    V0,
    V1,
    Hostile,
    assert_refused_and_unchanged,
    company,
    company_add,
    company_change,
    company_delete,
    edit,
    filing_add,
    filing_change,
    filing_fields,
    form_error,
    inline_error,
    make_world,
    new_script,
    page_values,
    post,
    raw,
    status,
)
from tests.snapshots import snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hostile_settings")]


HOSTILE: list[Hostile] = [
    # --- the company form -------------------------------------------------------------------------
    Hostile(
        "company-name-over-200",
        "preparer",
        post(company_add, company(name="名" * 201)),
        form_error("name", "at most 200 characters (it has 201)"),
    ),
    Hostile(
        "company-name-nul",
        "preparer",
        post(company_add, company(name="火山\x00示例")),
        form_error("name", NUL),
    ),
    Hostile(
        "company-name-only-whitespace",
        "preparer",
        post(company_add, company(name=" \t\u3000 ")),
        form_error("name", REQUIRED),
    ),
    Hostile(
        "credit-code-19-chars",
        "preparer",
        post(company_add, company(code=V1 + "0")),
        form_error("credit_code", "at most 18 characters (it has 19)"),
    ),
    Hostile(
        "credit-code-sql",
        "preparer",
        post(company_add, company(code="' OR 1=1 --")),
        form_error("credit_code", "must be exactly 18 characters"),
    ),
    Hostile(
        "credit-code-markup-18-chars",
        "preparer",
        post(company_add, company(code="<b>x</b><i>y</i>zz")),
        form_error("credit_code", "cannot appear in a valid code"),
    ),
    Hostile(
        "credit-code-bidi-override",
        "preparer",
        post(company_add, company(code="\u202e" + V1[:17])),
        form_error("credit_code", "cannot appear in a valid code"),
    ),
    Hostile(
        "credit-code-zero-width-space",
        "preparer",
        post(company_add, company(code=V1 + "\u200b")),
        form_error("credit_code", "at most 18 characters"),
    ),
    Hostile(
        "credit-code-fullwidth-duplicate",
        "preparer",
        post(company_add, company(code=V0.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}))),
        form_error("credit_code", "already exists"),
    ),
    Hostile(
        "credit-code-invalid-utf8-raw",
        "preparer",
        raw(company_add, b"name=ok&credit_code=\xff\xfe" + V1[2:].encode() + b"&_save=Save", FORM),
        form_error("credit_code", "cannot appear in a valid code"),
    ),
    Hostile(
        "credit-code-invalid-utf8-escaped",
        "preparer",
        raw(company_add, b"name=ok&credit_code=%FF%FE" + V1[2:].encode() + b"&_save=Save", FORM),
        form_error("credit_code", "cannot appear in a valid code"),
    ),
    Hostile("company-add-by-reviewer", "reviewer", post(company_add, company()), status(403)),
    Hostile("company-add-by-auditor", "auditor", post(company_add, company()), status(403)),
    Hostile(
        "company-change-by-auditor",
        "auditor",
        post(company_change, company(name="Changed", code=V0)),
        status(403),
    ),
    Hostile(
        "company-delete-by-preparer", "preparer", post(company_delete, {"post": "yes"}), status(403)
    ),
    # --- the filing form and its scripts ----------------------------------------------------------
    Hostile(
        "callee-source-over-500",
        "preparer",
        edit(filing_change, {"callee_source": "网" * 501}),
        form_error("callee_source", "at most 500 characters (it has 501)"),
    ),
    Hostile(
        "business-carrier-over-200",
        "preparer",
        edit(filing_change, {"business_carrier": "火" * 201}),
        form_error("business_carrier", "at most 200 characters (it has 201)"),
    ),
    Hostile(
        "business-carrier-nul",
        "preparer",
        edit(filing_change, {"business_carrier": "火山\x00"}),
        form_error("business_carrier", NUL),
    ),
    Hostile(
        "filing-company-sql",
        "preparer",
        edit(filing_add, lambda w: {**filing_fields(w), "company": "1 OR 1=1"}),
        form_error("company", NOT_A_CHOICE),
    ),
    Hostile(
        "filing-company-that-does-not-exist",
        "preparer",
        edit(filing_add, lambda w: {**filing_fields(w), "company": "999999"}),
        form_error("company", NOT_A_CHOICE),
    ),
    Hostile(
        "script-over-2000",
        "preparer",
        edit(filing_change, new_script(content="话" * 2001)),
        inline_error("content", "at most 2000 characters (it has 2001)"),
    ),
    Hostile(
        "script-scene-over-100",
        "preparer",
        edit(filing_change, new_script(scene="景" * 101)),
        inline_error("scene", "at most 100 characters (it has 101)"),
    ),
    Hostile(
        "script-nul",
        "preparer",
        edit(filing_change, new_script(content="您好\x00")),
        inline_error("content", NUL),
    ),
    Hostile(
        "script-negative-position",
        "preparer",
        # A new script is numbered by the service (its position box is not read): an existing one.
        edit(filing_change, {"scripts-0-position": "-1"}),
        inline_error("position", "greater than or equal to 0"),
    ),
    Hostile(
        "script-management-form-tampered",
        "preparer",
        edit(filing_change, {"scripts-TOTAL_FORMS": "9e9", **new_script()}),
        inline_error("__all__", "ManagementForm data is missing or has been tampered with"),
    ),
    Hostile(
        "filing-add-by-auditor",
        "auditor",
        post(filing_add, lambda w: {**filing_fields(w), "_save": "Save"}),
        status(403),
    ),
    Hostile(
        "filing-change-by-auditor",
        "auditor",
        post(filing_change, {"callee_source": "x", "business_carrier": "y", "_save": "Save"}),
        status(403),
    ),
    Hostile(
        "scripts-inline-by-auditor",
        "auditor",
        post(
            filing_change,
            {
                "scripts-TOTAL_FORMS": "1",
                "scripts-INITIAL_FORMS": "0",
                "scripts-0-position": "1",
                "scripts-0-scene": "x",
                "scripts-0-content": "y",
                "_save": "Save",
            },
        ),
        status(403),
    ),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_hostile_request_is_refused_and_changes_nothing(
    case: Hostile, users: dict[str, User]
) -> None:
    assert_refused_and_unchanged(case, users)


def test_a_forged_status_on_the_change_form_is_ignored(client: Client, preparer: User) -> None:
    """Mass assignment: the status and approval fields are not form fields; posting them changes
    nothing (the form has no change, so nothing is written at all)."""
    world = make_world("draft", {"preparer": preparer, "reviewer": preparer})
    client.force_login(preparer)
    url = filing_change(world)
    values = page_values(client, url)
    before = snapshot()

    response = client.post(
        url,
        {
            **values,
            "status": "SUBMITTED",
            "approved_hash": "0" * 64,
            "approved_by": str(preparer.pk),
            "created_by": "999",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    assert snapshot() == before
