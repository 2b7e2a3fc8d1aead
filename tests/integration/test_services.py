"""Every service of filings.services: what a success writes (exact audit rows) and that a refused
call (no permission, stale or not allowed state, missing input) changes nothing at all."""

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Max
from django.utils import timezone, translation

from filings import errors
from filings.content import content_hash
from filings.models import AuditEvent, CallScript, Company, Document, Filing, Submission
from filings.services import editing, review, sending
from filings.services.documents import (
    Upload,
    document_remove,
    document_upload,
    document_upload_sides,
)
from filings.storage import read_object
from tests.builders import VALID_CODES, approved_filing, complete_filing, image
from tests.conftest import role
from tests.imagecorpus import jpeg_bytes, png_bytes, text_bytes
from tests.snapshots import snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]

KINDS = [kind.value for kind in Document.Kind]
EVENT_FIELDS = (
    "kind",
    "actor_id",
    "actor_username",
    "target_type",
    "target_id",
    "filing_id",
    "data",
)

# --- helpers


def head() -> int:
    return int(AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0)


def events_after(seq: int) -> list[dict[str, Any]]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values(*EVENT_FIELDS))


def row(
    kind: str,
    actor: User,
    target_type: str,
    target_id: object,
    *,
    filing: Filing | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "actor_id": actor.pk,
        "actor_username": actor.username,
        "target_type": target_type,
        "target_id": str(target_id),
        "filing_id": filing.pk if filing is not None else None,
        "data": data if data is not None else {},
    }


def refused(exc_type: type[Exception], call: Callable[[], object]) -> Exception:
    """`call` raises exactly `exc_type` and leaves the database and the store as they were."""
    before = snapshot()
    with pytest.raises(exc_type) as caught:
        call()
    assert type(caught.value) is exc_type, caught.value
    assert snapshot() == before
    return caught.value


def fresh(filing: Filing) -> Filing:
    return Filing.objects.get(pk=filing.pk)


def jpeg(seed: int) -> bytes:
    return image(seed)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def describe(document: Document, data: bytes, width: int, height: int) -> dict[str, Any]:
    """What an upload event says about one file, from the bytes that were uploaded."""
    return {
        "part": document.part,
        "document": str(document.uuid),
        "original_name": document.original_name,
        "api_filename": document.api_filename,
        "sha256": sha(data),
        "size": len(data),
        "pixels": f"{width}x{height}",
    }


def in_review(preparer: User, **kwargs: str) -> Filing:
    filing = complete_filing(preparer, **kwargs)
    review.filing_submit(actor=preparer, filing=filing)
    return fresh(filing)


def unknown(preparer: User, reviewer: User) -> Filing:
    """An approved filing whose send started and whose process died: reconciled to UNKNOWN."""
    filing = approved_filing(preparer, reviewer)
    sending._start_sending(reviewer, filing.pk)
    Filing.objects.filter(pk=filing.pk).update(
        sending_started_at=timezone.now() - timedelta(hours=1)
    )
    assert sending.reconcile_sending(actor=reviewer, older_than=timedelta(minutes=15)) == [
        filing.pk
    ]
    return fresh(filing)


@pytest.fixture
def both(db: None) -> User:
    """One person in the Preparer and the Reviewer group: may edit and approve."""
    user = User.objects.create_user("both", password="both-pw-123!", is_staff=True)
    user.groups.add(role("Preparer"), role("Reviewer"))
    return user


@pytest.fixture
def company(preparer: User) -> Company:
    return editing.company_create(
        actor=preparer, name="火山示例科技有限公司", credit_code=VALID_CODES[0]
    )


@pytest.fixture
def draft(preparer: User, company: Company) -> Filing:
    return editing.filing_create(
        actor=preparer, company=company, callee_source="网站", business_carrier="火山示例"
    )


# --- companies


def test_company_create_writes_one_event(preparer: User) -> None:
    start = head()

    company = editing.company_create(
        actor=preparer, name="  火山示例科技有限公司 ", credit_code=" 91350100m000100y43 "
    )

    company.refresh_from_db()
    assert (company.name, company.credit_code) == ("火山示例科技有限公司", "91350100M000100Y43")
    assert company.created_by == preparer
    assert events_after(start) == [
        row(
            "company.created",
            preparer,
            "company",
            company.pk,
            data={"name": "火山示例科技有限公司", "credit_code": "91350100M000100Y43"},
        )
    ]


@pytest.mark.parametrize("user", ["reviewer", "auditor"])
def test_company_create_needs_the_permission(user: str, request: pytest.FixtureRequest) -> None:
    actor = request.getfixturevalue(user)
    refused(
        errors.NotPermitted,
        lambda: editing.company_create(actor=actor, name="X", credit_code=VALID_CODES[1]),
    )


@pytest.mark.parametrize("code", ["91330106MQBYDEKL12", "91350100M000100Y44", "123"])
def test_company_create_refuses_an_invalid_credit_code(preparer: User, code: str) -> None:
    refused(
        ValidationError,
        lambda: editing.company_create(actor=preparer, name="X", credit_code=code),
    )


def test_company_create_refuses_a_duplicate_code(preparer: User, company: Company) -> None:
    refused(
        ValidationError,
        lambda: editing.company_create(actor=preparer, name="Y", credit_code=VALID_CODES[0]),
    )


def test_company_update_records_before_and_after_of_changed_fields_only(
    preparer: User, preparer2: User, company: Company
) -> None:
    start = head()

    editing.company_update(
        actor=preparer2, company=company, name="新名字有限公司", credit_code=VALID_CODES[0].lower()
    )

    company.refresh_from_db()
    assert (company.name, company.credit_code) == ("新名字有限公司", VALID_CODES[0])
    assert events_after(start) == [
        row(
            "company.updated",
            preparer2,
            "company",
            company.pk,
            data={
                "changes": {"name": {"before": "火山示例科技有限公司", "after": "新名字有限公司"}}
            },
        )
    ]

    start = head()
    editing.company_update(
        actor=preparer2, company=company, name="新名字有限公司", credit_code=VALID_CODES[1]
    )
    assert events_after(start) == [
        row(
            "company.updated",
            preparer2,
            "company",
            company.pk,
            data={"changes": {"credit_code": {"before": VALID_CODES[0], "after": VALID_CODES[1]}}},
        )
    ]


def test_company_update_without_a_change_writes_nothing(preparer: User, company: Company) -> None:
    before = snapshot()
    editing.company_update(
        actor=preparer, company=company, name=" 火山示例科技有限公司", credit_code=VALID_CODES[0]
    )
    assert snapshot() == before


def test_company_update_refusals(reviewer: User, preparer: User, company: Company) -> None:
    refused(
        errors.NotPermitted,
        lambda: editing.company_update(
            actor=reviewer, company=company, name="X", credit_code=VALID_CODES[0]
        ),
    )
    refused(
        ValidationError,
        lambda: editing.company_update(
            actor=preparer, company=company, name="X", credit_code="91330106MQBYDEKL12"
        ),
    )


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


# --- documents


def test_document_upload_records_the_file(preparer: User, draft: Filing) -> None:
    data = jpeg(0)
    start = head()

    document = document_upload(
        actor=preparer, filing=draft, kind="businessLicense", upload=Upload("执照.PNG", data)
    )

    document.refresh_from_db()
    # The type comes from the content: a JPEG named .PNG is sent as .jpg.
    assert (document.original_name, document.api_filename) == ("执照.PNG", "执照.jpg")
    assert (document.content_type, document.sha256, document.size) == (
        "image/jpeg",
        sha(data),
        len(data),
    )
    assert (document.part, document.uploaded_by, document.superseded_at) == ("main", preparer, None)
    assert read_object(document.storage_key) == data
    assert "执照" not in document.storage_key
    assert events_after(start) == [
        row(
            "document.uploaded",
            preparer,
            "document",
            document.pk,
            filing=draft,
            data={
                "kind": "businessLicense",
                "files": [describe(document, data, 320, 200)],
                "replaced": [],
            },
        )
    ]


def test_document_upload_replaces_and_keeps_the_old_one(
    preparer: User, preparer2: User, draft: Filing
) -> None:
    old = document_upload(
        actor=preparer, filing=draft, kind="businessLicense", upload=Upload("a.jpg", jpeg(1))
    )
    new_data = png_bytes(90, 60)
    start = head()

    new = document_upload(
        actor=preparer2, filing=draft, kind="businessLicense", upload=Upload("b.png", new_data)
    )

    old.refresh_from_db()
    assert old.superseded_at is not None
    assert read_object(old.storage_key) == jpeg(1)
    assert read_object(new.storage_key) == new_data
    assert list(draft.documents.filter(superseded_at__isnull=True)) == [new]
    assert fresh(draft).updated_by == preparer2
    assert events_after(start) == [
        row(
            "document.replaced",
            preparer2,
            "document",
            new.pk,
            filing=draft,
            data={
                "kind": "businessLicense",
                "files": [describe(new, new_data, 90, 60)],
                "replaced": [str(old.uuid)],
            },
        )
    ]


def test_document_upload_sides_stores_the_composed_image_and_both_sides(
    preparer: User, draft: Filing
) -> None:
    front, back = jpeg_bytes(400, 250), png_bytes(300, 190)
    start = head()

    main = document_upload_sides(
        actor=preparer,
        filing=draft,
        kind="proprietorIdcard",
        front=Upload("front.jpg", front),
        back=Upload("back.png", back),
    )

    current = {d.part: d for d in draft.documents.filter(superseded_at__isnull=True)}
    assert set(current) == {"main", "front", "back"}
    assert current["main"] == main
    composed = read_object(main.storage_key)
    assert main.sha256 == sha(composed)
    assert main.api_filename == "proprietorIdcard-front-back.jpg"
    assert read_object(current["front"].storage_key) == front
    assert read_object(current["back"].storage_key) == back
    assert events_after(start) == [
        row(
            "document.uploaded",
            preparer,
            "document",
            main.pk,
            filing=draft,
            data={
                "kind": "proprietorIdcard",
                "files": [
                    describe(main, composed, main.width, main.height),
                    describe(current["front"], front, 400, 250),
                    describe(current["back"], back, 300, 190),
                ],
                "replaced": [],
            },
        )
    ]
    # Replacing the two-sided card with one combined image supersedes all three parts.
    start = head()
    single = document_upload(
        actor=preparer, filing=draft, kind="proprietorIdcard", upload=Upload("c.jpg", jpeg(3))
    )
    assert list(draft.documents.filter(superseded_at__isnull=True)) == [single]
    [event] = events_after(start)
    assert event["kind"] == "document.replaced"
    assert sorted(event["data"]["replaced"]) == sorted(str(d.uuid) for d in current.values())


def test_document_remove_records_every_part_removed(
    preparer: User, preparer2: User, draft: Filing
) -> None:
    main = document_upload_sides(
        actor=preparer,
        filing=draft,
        kind="operatorIdcard",
        front=Upload("f.jpg", jpeg(1)),
        back=Upload("b.jpg", jpeg(2)),
    )
    parts = list(draft.documents.all())
    start = head()

    document_remove(actor=preparer2, filing=draft, kind="operatorIdcard")

    assert not draft.documents.filter(superseded_at__isnull=True).exists()
    assert Document.objects.filter(filing=draft).count() == 3  # kept for history
    assert fresh(draft).updated_by == preparer2
    [event] = events_after(start)
    assert sorted(event["data"].pop("removed")) == sorted(str(d.uuid) for d in parts)
    assert event == row(
        "document.removed",
        preparer2,
        "document",
        main.pk,
        filing=draft,
        data={"kind": "operatorIdcard"},
    )
    # Removing a kind that has nothing current is a no-op.
    before = snapshot()
    document_remove(actor=preparer2, filing=draft, kind="operatorIdcard")
    assert snapshot() == before


def test_document_services_need_the_permission(
    preparer: User, reviewer: User, auditor: User, draft: Filing
) -> None:
    document_upload(actor=preparer, filing=draft, kind=KINDS[0], upload=Upload("a.jpg", jpeg(0)))
    upload = Upload("x.jpg", jpeg(5))
    for actor in (reviewer, auditor):
        # Refused before or after the object is stored: nothing may be left in the store.
        refused(
            errors.NotPermitted,
            lambda a=actor: document_upload(actor=a, filing=draft, kind=KINDS[0], upload=upload),
        )
        refused(
            errors.NotPermitted,
            lambda a=actor: document_upload_sides(
                actor=a, filing=draft, kind=KINDS[1], front=upload, back=upload
            ),
        )
        refused(
            errors.NotPermitted,
            lambda a=actor: document_remove(actor=a, filing=draft, kind=KINDS[0]),
        )


def test_document_upload_refuses_what_is_not_a_picture(preparer: User, draft: Filing) -> None:
    refused(
        ValidationError,
        lambda: document_upload(
            actor=preparer, filing=draft, kind=KINDS[0], upload=Upload("a.jpg", text_bytes())
        ),
    )
    refused(
        ValidationError,
        lambda: document_upload_sides(
            actor=preparer,
            filing=draft,
            kind=KINDS[1],
            front=Upload("f.jpg", jpeg(0)),
            back=Upload("b.jpg", text_bytes()),
        ),
    )


# --- submit


def test_submit_writes_one_event(preparer: User, preparer2: User) -> None:
    filing = complete_filing(preparer)
    start = head()

    review.filing_submit(actor=preparer2, filing=filing)

    assert fresh(filing).status == "IN_REVIEW"
    assert events_after(start) == [
        row("filing.submitted", preparer2, "filing", filing.pk, filing=filing)
    ]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_submit_lists_a_missing_document_by_name(preparer: User, language: str) -> None:
    filing = complete_filing(preparer)
    document_remove(actor=preparer, filing=filing, kind="networkaccessCommitmentletter")

    with translation.override(language):
        error = refused(
            errors.PreflightFailed, lambda: review.filing_submit(actor=preparer, filing=filing)
        )
        missing = str(Document.Kind.NETWORK_ACCESS_LETTER.label)
        present = str(Document.Kind.BUSINESS_LICENSE.label)

    assert isinstance(error, errors.PreflightFailed)
    assert len(error.problems) == 1
    assert missing in error.problems[0]
    assert missing in error.message
    assert present not in error.message
    if language == "en":
        assert error.problems == [
            "Network-access commitment letter (入网承诺书): missing — upload it"
        ]


def test_submit_lists_every_missing_part_of_an_empty_draft(preparer: User, draft: Filing) -> None:
    Filing.objects.filter(pk=draft.pk).update(callee_source="")
    with translation.override("en"):
        error = refused(
            errors.PreflightFailed, lambda: review.filing_submit(actor=preparer, filing=draft)
        )
        labels = [str(kind.label) for kind in Document.Kind]
    assert isinstance(error, errors.PreflightFailed)
    # One problem per missing thing, in order: the six documents, the callee source, scripts.
    assert len(error.problems) == 8
    for problem, label in zip(error.problems, labels, strict=False):
        assert problem.startswith(f"{label}: ")
    assert error.problems[6].startswith("Callee source: ")
    assert error.problems[7].startswith("Call scripts: ")
    assert not any("Business carrier" in p or "Credit code" in p for p in error.problems)


@pytest.mark.parametrize("user", ["reviewer", "auditor"])
def test_submit_needs_the_permission(
    preparer: User, user: str, request: pytest.FixtureRequest
) -> None:
    filing = complete_filing(preparer)
    actor = request.getfixturevalue(user)
    refused(errors.NotPermitted, lambda: review.filing_submit(actor=actor, filing=filing))


# --- withdraw


def test_withdraw_writes_one_event(preparer: User) -> None:
    filing = in_review(preparer)
    start = head()

    review.filing_withdraw(actor=preparer, filing=filing)

    assert fresh(filing).status == "DRAFT"
    assert events_after(start) == [
        row("filing.withdrawn", preparer, "filing", filing.pk, filing=filing)
    ]


def test_withdraw_refusals(preparer: User, reviewer: User) -> None:
    filing = in_review(preparer)
    refused(errors.NotPermitted, lambda: review.filing_withdraw(actor=reviewer, filing=filing))
    draft = complete_filing(preparer, code=VALID_CODES[1])
    refused(errors.StaleState, lambda: review.filing_withdraw(actor=preparer, filing=draft))


# --- request changes


def test_request_changes_writes_the_comment(preparer: User, reviewer: User) -> None:
    filing = in_review(preparer)
    start = head()

    review.filing_request_changes(actor=reviewer, filing=filing, comment="  请补充公函盖章  ")

    filing = fresh(filing)
    assert (filing.status, filing.review_comment) == ("DRAFT", "请补充公函盖章")
    assert events_after(start) == [
        row(
            "filing.changes_requested",
            reviewer,
            "filing",
            filing.pk,
            filing=filing,
            data={"comment": "请补充公函盖章"},
        )
    ]


@pytest.mark.parametrize("comment", ["", "   \n\t "])
def test_request_changes_requires_a_comment(preparer: User, reviewer: User, comment: str) -> None:
    filing = in_review(preparer)
    error = refused(
        errors.FilingsError,
        lambda: review.filing_request_changes(actor=reviewer, filing=filing, comment=comment),
    )
    assert error.message == str(errors.COMMENT_REQUIRED)


def test_request_changes_needs_the_permission(preparer: User) -> None:
    filing = in_review(preparer)
    refused(
        errors.NotPermitted,
        lambda: review.filing_request_changes(actor=preparer, filing=filing, comment="x"),
    )


# --- approve


def test_approve_binds_the_content_hash(preparer: User, reviewer: User) -> None:
    filing = in_review(preparer)
    start = head()

    review.filing_approve(actor=reviewer, filing=filing)

    filing = fresh(filing)
    assert filing.status == "APPROVED"
    assert filing.approved_by == reviewer
    assert filing.approved_at is not None
    assert len(filing.approved_hash) == 64
    assert filing.approved_hash == content_hash(filing)
    documents = {kind: sha(image(index)) for index, kind in enumerate(KINDS)}
    assert events_after(start) == [
        row(
            "filing.approved",
            reviewer,
            "filing",
            filing.pk,
            filing=filing,
            data={"content_hash": filing.approved_hash, "documents": documents},
        )
    ]


def test_approve_clears_an_earlier_review_comment(preparer: User, reviewer: User) -> None:
    filing = in_review(preparer)
    review.filing_request_changes(actor=reviewer, filing=filing, comment="盖章")
    review.filing_submit(actor=preparer, filing=filing)
    review.filing_approve(actor=reviewer, filing=filing)
    assert fresh(filing).review_comment == ""


@pytest.mark.parametrize("user", ["preparer2", "auditor"])
def test_approve_needs_the_permission(
    preparer: User, user: str, request: pytest.FixtureRequest
) -> None:
    filing = in_review(preparer)
    actor = request.getfixturevalue(user)
    error = refused(errors.NotPermitted, lambda: review.filing_approve(actor=actor, filing=filing))
    assert error.message == str(errors.NOT_PERMITTED)


def test_approve_refuses_a_filing_not_in_review(preparer: User, reviewer: User) -> None:
    filing = complete_filing(preparer)
    refused(errors.StaleState, lambda: review.filing_approve(actor=reviewer, filing=filing))


def test_approve_runs_the_sending_checks(preparer: User, reviewer: User, settings: Any) -> None:
    filing = in_review(preparer)
    settings.VOLC_SECRETKEY = ""
    error = refused(
        errors.PreflightFailed, lambda: review.filing_approve(actor=reviewer, filing=filing)
    )
    assert isinstance(error, errors.PreflightFailed)
    assert len(error.problems) == 1
    assert "VOLC_SECRETKEY is not set" in error.problems[0]


# --- four-eyes


def four_eyes(actor: User, filing: Filing) -> None:
    error = refused(errors.NotPermitted, lambda: review.filing_approve(actor=actor, filing=filing))
    assert error.message == str(errors.FOUR_EYES)


def test_four_eyes_the_creator_cannot_approve(superuser: User, reviewer: User) -> None:
    filing = complete_filing(superuser)
    review.filing_submit(actor=superuser, filing=filing)

    four_eyes(superuser, filing)
    review.filing_approve(actor=reviewer, filing=filing)
    assert fresh(filing).status == "APPROVED"


def test_four_eyes_a_creator_in_both_groups_cannot_approve(
    both: User, preparer: User, reviewer: User
) -> None:
    filing = complete_filing(both)
    editing.filing_update(actor=preparer, filing=filing, callee_source="公众号")
    review.filing_submit(actor=preparer, filing=filing)

    four_eyes(both, filing)


EDITS: dict[str, Callable[[User, Filing], object]] = {
    "field": lambda actor, filing: editing.filing_update(
        actor=actor, filing=filing, callee_source="公众号"
    ),
    "script add": lambda actor, filing: editing.script_add(
        actor=actor, filing=filing, scene="新", content="新话术"
    ),
    "script update": lambda actor, filing: editing.script_update(
        actor=actor, script=filing.scripts.first(), content="改过的话术"
    ),
    "script delete": lambda actor, filing: editing.script_delete(
        actor=actor, script=filing.scripts.last()
    ),
    "document replace": lambda actor, filing: document_upload(
        actor=actor, filing=filing, kind=KINDS[0], upload=Upload("n.jpg", jpeg(30))
    ),
    "document sides": lambda actor, filing: document_upload_sides(
        actor=actor,
        filing=filing,
        kind="operatorIdcard",
        front=Upload("f.jpg", jpeg(31)),
        back=Upload("b.jpg", jpeg(32)),
    ),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_four_eyes_the_last_editor_cannot_approve_even_if_someone_else_submits(
    edit: str, both: User, preparer: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    EDITS[edit](both, filing)
    review.filing_submit(actor=preparer, filing=filing)

    four_eyes(both, filing)
    review.filing_approve(actor=reviewer, filing=filing)
    assert fresh(filing).approved_by == reviewer


@pytest.mark.parametrize("edit", list(EDITS))
def test_four_eyes_a_superuser_who_edited_cannot_approve(
    edit: str, superuser: User, preparer: User
) -> None:
    filing = complete_filing(preparer)
    EDITS[edit](superuser, filing)
    review.filing_submit(actor=superuser, filing=filing)

    four_eyes(superuser, filing)


def test_four_eyes_submitting_or_reworking_does_not_hide_the_last_editor(
    both: User, preparer: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    editing.filing_update(actor=both, filing=filing, callee_source="公众号")
    review.filing_submit(actor=preparer, filing=filing)
    assert fresh(filing).updated_by == both
    review.filing_approve(actor=reviewer, filing=filing)
    sending._start_sending(reviewer, filing.pk)
    Filing.objects.filter(pk=filing.pk).update(
        sending_started_at=timezone.now() - timedelta(hours=1)
    )
    sending.reconcile_sending(actor=reviewer, older_than=timedelta(minutes=15))
    review.filing_resolve(actor=reviewer, filing=filing, status="REJECTED", note="被拒")
    review.filing_rework(actor=preparer, filing=filing)
    review.filing_submit(actor=preparer, filing=filing)

    four_eyes(both, filing)


def test_four_eyes_a_company_edit_counts_as_an_edit_of_its_open_filings(
    both: User, preparer: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    editing.company_update(
        actor=both, company=filing.company, name="改名有限公司", credit_code=VALID_CODES[0]
    )
    # Someone else edits after, so `both` is not the last editor; the company edit remains.
    editing.filing_update(actor=preparer, filing=filing, callee_source="公众号")
    review.filing_submit(actor=preparer, filing=filing)
    assert fresh(filing).updated_by == preparer

    four_eyes(both, filing)
    review.filing_approve(actor=reviewer, filing=filing)
    assert fresh(filing).approved_hash == content_hash(fresh(filing))


def test_four_eyes_an_uploader_of_a_document_cannot_approve_even_once_it_is_replaced(
    both: User, preparer: User, reviewer: User
) -> None:
    filing = complete_filing(preparer)
    document_upload(actor=both, filing=filing, kind=KINDS[2], upload=Upload("x.jpg", jpeg(50)))
    # Someone else edits after, so `both` is not the last editor; only the document remains.
    editing.filing_update(actor=preparer, filing=filing, callee_source="公众号")
    review.filing_submit(actor=preparer, filing=filing)
    assert fresh(filing).updated_by == preparer

    four_eyes(both, filing)

    # Once that document is replaced by someone else, `both` still changed the filing once.
    review.filing_withdraw(actor=preparer, filing=filing)
    document_upload(actor=preparer, filing=filing, kind=KINDS[2], upload=Upload("y.jpg", jpeg(51)))
    review.filing_submit(actor=preparer, filing=filing)
    four_eyes(both, filing)
    review.filing_approve(actor=reviewer, filing=filing)
    assert fresh(filing).approved_by == reviewer


def test_four_eyes_a_front_side_upload_counts(both: User, preparer: User) -> None:
    filing = complete_filing(preparer)
    document_upload_sides(
        actor=both,
        filing=filing,
        kind="operatorIdcard",
        front=Upload("f.jpg", jpeg(60)),
        back=Upload("b.jpg", jpeg(61)),
    )
    editing.filing_update(actor=preparer, filing=filing, callee_source="公众号")
    review.filing_submit(actor=preparer, filing=filing)
    four_eyes(both, filing)


def test_four_eyes_someone_in_both_groups_may_approve_others_work(
    both: User, preparer: User
) -> None:
    filing = in_review(preparer)
    review.filing_approve(actor=both, filing=filing)
    assert fresh(filing).approved_by == both


# --- voiding


VOIDING_EDITS: dict[str, tuple[str, Callable[[User, Filing], object]]] = {
    "field": ("filing.updated", EDITS["field"]),
    "script add": ("script.created", EDITS["script add"]),
    "script update": ("script.updated", EDITS["script update"]),
    "script delete": ("script.deleted", EDITS["script delete"]),
    "document replace": ("document.replaced", EDITS["document replace"]),
    "document sides": ("document.replaced", EDITS["document sides"]),
    "document remove": (
        "document.removed",
        lambda actor, filing: document_remove(actor=actor, filing=filing, kind=KINDS[3]),
    ),
    "company update": (
        "company.updated",
        lambda actor, filing: editing.company_update(
            actor=actor, company=filing.company, name="改名有限公司", credit_code=VALID_CODES[0]
        ),
    ),
}
VOID_REASONS = {
    "document.replaced": "document.uploaded",
}
# A company edit is recorded on the company, then on each of its open filings.
LINKED_EVENTS = {"company.updated": ["filing.company_changed"]}


@pytest.mark.parametrize("edit", list(VOIDING_EDITS))
def test_an_edit_voids_the_approval(
    edit: str, preparer: User, preparer2: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    approved_hash = filing.approved_hash
    other = approved_filing(preparer, reviewer, code=VALID_CODES[1])
    kind, change = VOIDING_EDITS[edit]
    start = head()

    change(preparer2, fresh(filing))

    filing = fresh(filing)
    assert filing.status == "DRAFT"
    assert (filing.approved_hash, filing.approved_by, filing.approved_at) == ("", None, None)
    assert content_hash(filing) != approved_hash
    events = events_after(start)
    assert [e["kind"] for e in events] == [
        kind,
        *LINKED_EVENTS.get(kind, []),
        "filing.approval_voided",
    ]
    assert events[-1] == row(
        "filing.approval_voided",
        preparer2,
        "filing",
        filing.pk,
        filing=filing,
        data={
            "reason": VOID_REASONS.get(kind, kind),
            "approved_hash": approved_hash,
            "approved_by": reviewer.pk,
        },
    )
    # Another company's approved filing is untouched.
    assert fresh(other).status == "APPROVED"
    # The edited filing goes through review again, bound to its new content.
    if edit == "document remove":
        document_upload(
            actor=preparer2, filing=filing, kind=KINDS[3], upload=Upload("r.jpg", jpeg(70))
        )
    review.filing_submit(actor=preparer2, filing=filing)
    review.filing_approve(actor=reviewer, filing=filing)
    filing = fresh(filing)
    assert filing.approved_hash == content_hash(filing) != approved_hash


@pytest.mark.parametrize("edit", list(VOIDING_EDITS))
def test_an_edit_through_a_copy_loaded_before_approval_still_voids_it(
    edit: str, preparer: User, preparer2: User, reviewer: User
) -> None:
    # The services go by the filing's state in the database, not by the caller's copy.
    filing = in_review(preparer)
    stale = fresh(filing)
    review.filing_approve(actor=reviewer, filing=filing)
    kind, change = VOIDING_EDITS[edit]
    start = head()

    change(preparer2, stale)

    filing = fresh(filing)
    assert (filing.status, filing.approved_hash) == ("DRAFT", "")
    assert [e["kind"] for e in events_after(start)] == [
        kind,
        *LINKED_EVENTS.get(kind, []),
        "filing.approval_voided",
    ]


def test_an_unchanged_save_does_not_void(preparer: User, reviewer: User) -> None:
    filing = approved_filing(preparer, reviewer)
    before = snapshot()
    editing.filing_update(actor=preparer, filing=filing, callee_source=filing.callee_source)
    editing.company_update(
        actor=preparer,
        company=filing.company,
        name=filing.company.name,
        credit_code=filing.company.credit_code,
    )
    assert snapshot() == before


def test_prepare_send_refuses_content_changed_behind_the_services_back(
    preparer: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    prepared = sending.prepare_send(filing)
    assert prepared.content_hash == filing.approved_hash
    assert "您好，您的快递已到。" in prepared.body_text

    CallScript.objects.filter(filing=filing, position=1).update(content="偷偷改过")

    error = refused(errors.FilingsError, lambda: sending.prepare_send(fresh(filing)))
    assert error.message == str(errors.CONTENT_CHANGED)
    # Sending refuses too, before anything leaves or changes state.
    refused(errors.FilingsError, lambda: sending.filing_send(actor=reviewer, filing=filing))
    assert fresh(filing).status == "APPROVED"


def test_prepare_send_refuses_a_document_swapped_behind_the_services_back(
    preparer: User, reviewer: User
) -> None:
    filing = approved_filing(preparer, reviewer)
    Document.objects.filter(filing=filing, kind=KINDS[0]).update(sha256="0" * 64)
    error = refused(errors.FilingsError, lambda: sending.prepare_send(fresh(filing)))
    assert error.message == str(errors.CONTENT_CHANGED)


# --- stale


def test_stale_submit(preparer: User, preparer2: User) -> None:
    filing = complete_filing(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_submit(actor=preparer, filing=first)
    error = refused(errors.StaleState, lambda: review.filing_submit(actor=preparer2, filing=second))
    label = str(Filing.Status.IN_REVIEW.label)
    assert error.message == str(errors.STALE_STATE).format(status=label)


def test_stale_withdraw(preparer: User, preparer2: User) -> None:
    filing = in_review(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_withdraw(actor=preparer, filing=first)
    refused(errors.StaleState, lambda: review.filing_withdraw(actor=preparer2, filing=second))


def test_stale_approve_after_changes_were_requested(
    preparer: User, reviewer: User, reviewer2: User
) -> None:
    filing = in_review(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_request_changes(actor=reviewer, filing=first, comment="盖章")
    refused(errors.StaleState, lambda: review.filing_approve(actor=reviewer2, filing=second))


def test_stale_request_changes_after_approval(
    preparer: User, reviewer: User, reviewer2: User
) -> None:
    filing = in_review(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_approve(actor=reviewer, filing=first)
    refused(
        errors.StaleState,
        lambda: review.filing_request_changes(actor=reviewer2, filing=second, comment="x"),
    )


def test_stale_second_approval(preparer: User, reviewer: User, reviewer2: User) -> None:
    filing = in_review(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_approve(actor=reviewer, filing=first)
    refused(errors.StaleState, lambda: review.filing_approve(actor=reviewer2, filing=second))
    assert fresh(filing).approved_by == reviewer


def test_stale_approve_after_withdraw(preparer: User, reviewer: User) -> None:
    filing = in_review(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_withdraw(actor=preparer, filing=first)
    refused(errors.StaleState, lambda: review.filing_approve(actor=reviewer, filing=second))


def test_stale_edit_after_submit_is_refused(preparer: User, preparer2: User) -> None:
    filing = complete_filing(preparer)
    first, second = fresh(filing), fresh(filing)
    review.filing_submit(actor=preparer, filing=first)
    refused(
        errors.FilingsError,
        lambda: editing.filing_update(actor=preparer2, filing=second, callee_source="x"),
    )


# --- reconcile


def test_reconcile_moves_only_filings_stuck_in_sending(preparer: User, reviewer: User) -> None:
    stuck = approved_filing(preparer, reviewer)
    recent = approved_filing(preparer, reviewer, code=VALID_CODES[1])
    idle = approved_filing(preparer, reviewer, code=VALID_CODES[2])
    sending._start_sending(reviewer, stuck.pk)
    sending._start_sending(reviewer, recent.pk)
    Filing.objects.filter(pk=stuck.pk).update(
        sending_started_at=timezone.now() - timedelta(minutes=16)
    )
    start = head()

    moved = sending.reconcile_sending(actor=reviewer, older_than=timedelta(minutes=15))

    assert moved == [stuck.pk]
    stuck, recent, idle = fresh(stuck), fresh(recent), fresh(idle)
    assert (stuck.status, stuck.sending_started_at) == ("UNKNOWN", None)
    assert (recent.status, idle.status) == ("SENDING", "APPROVED")
    assert events_after(start) == [
        row(
            "filing.reconciled",
            reviewer,
            "filing",
            stuck.pk,
            filing=stuck,
            data={"status": "UNKNOWN", "reason": "stuck in SENDING; outcome unknown"},
        )
    ]
    assert not Submission.objects.exists()  # nothing was (re)sent
    before = snapshot()
    assert sending.reconcile_sending(actor=reviewer, older_than=timedelta(minutes=15)) == []
    assert snapshot() == before


def test_reconcile_needs_the_send_permission(preparer: User, reviewer: User, auditor: User) -> None:
    stuck = approved_filing(preparer, reviewer)
    sending._start_sending(reviewer, stuck.pk)
    for actor in (preparer, auditor):
        error = refused(
            errors.NotPermitted,
            lambda a=actor: sending.reconcile_sending(actor=a, older_than=timedelta(seconds=-60)),
        )
        assert error.message == str(errors.NOT_PERMITTED)
    assert fresh(stuck).status == "SENDING"


def test_reconcile_command_refuses_a_user_without_the_send_permission(
    preparer: User, reviewer: User
) -> None:
    stuck = approved_filing(preparer, reviewer)
    sending._start_sending(reviewer, stuck.pk)
    before = snapshot()

    with pytest.raises(CommandError) as caught:
        call_command("reconcile_sending", "--as", preparer.username, "--minutes", "-1")

    assert str(caught.value) == str(errors.NOT_PERMITTED)
    assert snapshot() == before


# --- resolve


@pytest.mark.parametrize("status", ["SUBMITTED", "REJECTED", "APPROVED"])
def test_resolve_records_the_evidence(
    preparer: User, reviewer: User, reviewer2: User, status: str
) -> None:
    filing = unknown(preparer, reviewer)
    approved_hash = filing.approved_hash
    start = head()

    review.filing_resolve(actor=reviewer2, filing=filing, status=status, note="  工单 #123 答复  ")

    filing = fresh(filing)
    assert filing.status == status
    assert filing.approved_hash == approved_hash
    assert events_after(start) == [
        row(
            "filing.resolved",
            reviewer2,
            "filing",
            filing.pk,
            filing=filing,
            data={"status": status, "note": "工单 #123 答复"},
        )
    ]


@pytest.mark.parametrize("note", ["", "  \n "])
def test_resolve_requires_a_note(preparer: User, reviewer: User, note: str) -> None:
    filing = unknown(preparer, reviewer)
    error = refused(
        errors.FilingsError,
        lambda: review.filing_resolve(actor=reviewer, filing=filing, status="SUBMITTED", note=note),
    )
    assert error.message == str(errors.NOTE_REQUIRED)


@pytest.mark.parametrize("status", ["DRAFT", "SENDING", "UNKNOWN", "submitted"])
def test_resolve_refuses_an_unknown_resolution(preparer: User, reviewer: User, status: str) -> None:
    filing = unknown(preparer, reviewer)
    refused(
        errors.FilingsError,
        lambda: review.filing_resolve(actor=reviewer, filing=filing, status=status, note="n"),
    )


def test_resolve_refusals(preparer: User, reviewer: User, reviewer2: User) -> None:
    filing = unknown(preparer, reviewer)
    refused(
        errors.NotPermitted,
        lambda: review.filing_resolve(actor=preparer, filing=filing, status="SUBMITTED", note="n"),
    )
    first, second = fresh(filing), fresh(filing)
    review.filing_resolve(actor=reviewer, filing=first, status="SUBMITTED", note="工单")
    refused(
        errors.StaleState,
        lambda: review.filing_resolve(actor=reviewer2, filing=second, status="REJECTED", note="n"),
    )
    approved = approved_filing(preparer, reviewer, code=VALID_CODES[1])
    refused(
        errors.StaleState,
        lambda: review.filing_resolve(actor=reviewer, filing=approved, status="REJECTED", note="n"),
    )


# --- rework


def rejected(preparer: User, reviewer: User) -> Filing:
    filing = unknown(preparer, reviewer)
    review.filing_resolve(actor=reviewer, filing=filing, status="REJECTED", note="被拒")
    return fresh(filing)


def test_rework_turns_a_rejected_filing_into_a_draft(
    preparer: User, preparer2: User, reviewer: User
) -> None:
    filing = rejected(preparer, reviewer)
    assert filing.approved_hash
    start = head()

    review.filing_rework(actor=preparer2, filing=filing)

    filing = fresh(filing)
    assert filing.status == "DRAFT"
    assert (filing.approved_hash, filing.approved_by, filing.approved_at) == ("", None, None)
    assert events_after(start) == [
        row("filing.reworked", preparer2, "filing", filing.pk, filing=filing)
    ]
    editing.filing_update(actor=preparer2, filing=filing, callee_source="公众号")  # editable again


def test_rework_refusals(preparer: User, preparer2: User, reviewer: User) -> None:
    filing = rejected(preparer, reviewer)
    refused(errors.NotPermitted, lambda: review.filing_rework(actor=reviewer, filing=filing))
    first, second = fresh(filing), fresh(filing)
    review.filing_rework(actor=preparer, filing=first)
    refused(errors.StaleState, lambda: review.filing_rework(actor=preparer2, filing=second))
    approved = approved_filing(preparer, reviewer, code=VALID_CODES[1])
    refused(errors.StaleState, lambda: review.filing_rework(actor=preparer, filing=approved))
