"""The filing and call-script services: what a success writes (exact audit rows) and that a
refused call (no permission, a state that allows no edit, invalid input) changes nothing at
all."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from filings import errors
from filings.models import CallScript, Company, Filing
from filings.services import editing
from filings.services.documents import (
    Upload,
    document_remove,
    document_upload,
    document_upload_sides,
)
from tests.audit_rows import events_after, head, row
from tests.builders import KINDS, VALID_CODES, complete_filing, fresh
from tests.builders import image as jpeg
from tests.snapshots import refused, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]


# --- filings


def test_filing_create_writes_one_event(preparer: User, company: Company) -> None:
    start = head()

    filing = editing.filing_create(
        actor=preparer, company=company, callee_source="公众号", business_carrier="火山"
    )

    filing = fresh(filing)
    assert (filing.status, filing.created_by, filing.updated_by) == ("DRAFT", preparer, preparer)
    assert events_after(start) == [
        row(
            "filing.created",
            preparer,
            "filing",
            filing.pk,
            filing=filing,
            data={
                "company": VALID_CODES[0],
                "callee_source": "公众号",
                "business_carrier": "火山",
            },
        )
    ]


@pytest.mark.parametrize("user", ["reviewer", "auditor"])
def test_filing_create_needs_the_permission(
    user: str, company: Company, request: pytest.FixtureRequest
) -> None:
    actor = request.getfixturevalue(user)
    refused(errors.NotPermitted, lambda: editing.filing_create(actor=actor, company=company))


def test_filing_update_records_the_changes(preparer: User, preparer2: User, draft: Filing) -> None:
    start = head()

    editing.filing_update(
        actor=preparer2, filing=draft, callee_source="App", business_carrier="火山示例"
    )

    draft = fresh(draft)
    assert (draft.callee_source, draft.business_carrier) == ("App", "火山示例")
    assert draft.updated_by == preparer2
    assert draft.status == "DRAFT"
    assert events_after(start) == [
        row(
            "filing.updated",
            preparer2,
            "filing",
            draft.pk,
            filing=draft,
            data={"changes": {"callee_source": {"before": "网站", "after": "App"}}},
        )
    ]


def test_filing_update_without_a_change_writes_nothing(preparer: User, draft: Filing) -> None:
    before = snapshot()
    editing.filing_update(actor=preparer, filing=draft, callee_source="网站")
    assert snapshot() == before


def test_filing_update_refusals(preparer: User, reviewer: User, draft: Filing) -> None:
    with pytest.raises(TypeError, match="status"):
        editing.filing_update(actor=preparer, filing=draft, status="APPROVED")
    refused(
        errors.NotPermitted,
        lambda: editing.filing_update(actor=reviewer, filing=draft, callee_source="x"),
    )
    refused(
        ValidationError,
        lambda: editing.filing_update(actor=preparer, filing=draft, business_carrier="x" * 201),
    )


@pytest.mark.parametrize("state", ["IN_REVIEW", "SENDING", "SUBMITTED", "REJECTED", "UNKNOWN"])
def test_content_cannot_change_outside_draft_and_approved(
    preparer: User, reviewer: User, state: str
) -> None:
    filing = complete_filing(preparer)
    script = filing.scripts.first()
    assert script is not None
    Filing.objects.filter(pk=filing.pk).update(status=state)
    upload = Upload("x.jpg", jpeg(40))
    edits: list[Callable[[], object]] = [
        lambda: editing.filing_update(actor=preparer, filing=filing, callee_source="x"),
        lambda: editing.script_add(actor=preparer, filing=filing, scene="s", content="c"),
        lambda: editing.script_update(actor=preparer, script=script, content="c"),
        lambda: editing.script_delete(actor=preparer, script=script),
        lambda: document_upload(actor=preparer, filing=filing, kind=KINDS[0], upload=upload),
        lambda: document_upload_sides(
            actor=preparer, filing=filing, kind=KINDS[1], front=upload, back=upload
        ),
        lambda: document_remove(actor=preparer, filing=filing, kind=KINDS[0]),
    ]
    for edit in edits:
        error = refused(errors.FilingsError, edit)
        label = str(Filing.Status(state).label)
        assert error.message == str(errors.NOT_EDITABLE).format(status=label)


# --- scripts


def test_script_add_numbers_scripts_and_records_them(
    preparer: User, preparer2: User, draft: Filing
) -> None:
    start = head()

    first = editing.script_add(actor=preparer, filing=draft, scene="快递", content="您好")
    second = editing.script_add(actor=preparer2, filing=draft, scene="售后", content="再见")

    assert [(s.position, s.scene, s.content) for s in draft.scripts.all()] == [
        (1, "快递", "您好"),
        (2, "售后", "再见"),
    ]
    assert fresh(draft).updated_by == preparer2
    assert events_after(start) == [
        row(
            "script.created",
            preparer,
            "callscript",
            first.pk,
            filing=draft,
            data={"position": 1, "scene": "快递", "content": "您好"},
        ),
        row(
            "script.created",
            preparer2,
            "callscript",
            second.pk,
            filing=draft,
            data={"position": 2, "scene": "售后", "content": "再见"},
        ),
    ]


def test_script_update_records_the_changes(preparer: User, preparer2: User, draft: Filing) -> None:
    script = editing.script_add(actor=preparer, filing=draft, scene="快递", content="您好")
    start = head()

    editing.script_update(actor=preparer2, script=script, scene="快递", content="您好，快递到了")

    script.refresh_from_db()
    assert script.content == "您好，快递到了"
    assert fresh(draft).updated_by == preparer2
    assert events_after(start) == [
        row(
            "script.updated",
            preparer2,
            "callscript",
            script.pk,
            filing=draft,
            data={"changes": {"content": {"before": "您好", "after": "您好，快递到了"}}},
        )
    ]
    before = snapshot()
    editing.script_update(actor=preparer2, script=script, content="您好，快递到了")
    assert snapshot() == before


def test_script_delete_records_what_was_deleted(
    preparer: User, preparer2: User, draft: Filing
) -> None:
    script = editing.script_add(actor=preparer, filing=draft, scene="快递", content="您好")
    script_pk = script.pk
    start = head()

    editing.script_delete(actor=preparer2, script=script)

    assert not CallScript.objects.filter(pk=script_pk).exists()
    assert fresh(draft).updated_by == preparer2
    assert events_after(start) == [
        row(
            "script.deleted",
            preparer2,
            "callscript",
            script_pk,
            filing=draft,
            data={"position": 1, "scene": "快递", "content": "您好"},
        )
    ]


def test_script_services_need_the_permission(
    preparer: User, reviewer: User, auditor: User, draft: Filing
) -> None:
    script = editing.script_add(actor=preparer, filing=draft, scene="快递", content="您好")
    for actor in (reviewer, auditor):
        refused(
            errors.NotPermitted,
            lambda a=actor: editing.script_add(actor=a, filing=draft, scene="s", content="c"),
        )
        refused(
            errors.NotPermitted,
            lambda a=actor: editing.script_update(actor=a, script=script, content="c"),
        )
        refused(errors.NotPermitted, lambda a=actor: editing.script_delete(actor=a, script=script))


def test_script_add_refuses_an_empty_scene(preparer: User, draft: Filing) -> None:
    refused(
        ValidationError,
        lambda: editing.script_add(actor=preparer, filing=draft, scene="", content="c"),
    )
