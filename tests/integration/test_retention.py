"""Retention: `manage.py purge_expired` purges exactly the documents past their retention, keeps
what proves old submissions, and the portal shows and serves purged documents as gone.

Time travel is test data: the rows' timestamps are moved back with .update()."""

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from filings import audit
from filings.content import content_hash, current_documents
from filings.credit_code import credit_code_check_character, organization_code_check_character
from filings.four_eyes import has_changed
from filings.models import Company, Document, Filing, FilingDocument, Submission
from filings.retention import purgeable
from filings.sandbox.models import SandboxConfig
from filings.services import retention, review, sending
from filings.services.documents import Upload, document_upload, document_upload_sides
from filings.storage import read_object
from tests.audit_rows import events_after, head
from tests.builders import KINDS, approved_filing, complete_filing, image, stuck_in_sending
from tests.builders import company as make_company
from tests.conftest import free_port
from tests.snapshots import snapshot, stored_objects

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("volc_settings")]

LICENCE = Document.Kind.BUSINESS_LICENSE.value
ID_CARD = Document.Kind.PROPRIETOR_IDCARD.value
SERVICE_ENDED = "service_ended"
SUPERSEDED_UNSENT = "superseded_unsent"


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


# --- helpers ----------------------------------------------------------------------------------


def credit_code(n: int) -> str:
    """A valid unified social credit code of its own for each case's company."""
    body = f"{n:08d}"
    first17 = "91350100" + body + organization_code_check_character(body)
    return first17 + credit_code_check_character(first17)


def ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


def end_service(superuser: User, company: Company, *, days_ago: int) -> None:
    retention.company_end_service(
        actor=superuser,
        company=company,
        ended_on=timezone.localdate() - timedelta(days=days_ago),
        reason="contract ended",
    )


def current(filing: Filing, kind: str = LICENCE) -> Document:
    return filing.documents.get(kind=kind, part=Document.Part.MAIN, superseded_at__isnull=True)


def replace(preparer: User, filing: Filing, seed: int, kind: str = LICENCE) -> Document:
    """Upload a new version of `kind`; returns the version it replaced."""
    old = current(filing, kind)
    document_upload(
        actor=preparer, filing=filing, kind=kind, upload=Upload(f"新版本{seed}.jpg", image(seed))
    )
    return old


def travel(document: Document, *, uploaded: float, superseded: float) -> None:
    """Move a version's upload and replacement back by that many days (the replacement ends
    the link of the filing that held it)."""
    Document.objects.filter(pk=document.pk).update(
        uploaded_at=ago(uploaded), superseded_at=ago(superseded)
    )
    FilingDocument.objects.filter(document=document, removed_at__isnull=False).update(
        added_at=ago(uploaded), removed_at=ago(superseded)
    )


def travel_submission(submission: Submission, *, started: float) -> None:
    Submission.objects.filter(pk=submission.pk).update(
        started_at=ago(started), finished_at=ago(started)
    )


def rows(queryset: Any = None) -> dict[int, dict[str, Any]]:
    queryset = Document.objects.all() if queryset is None else queryset
    return {row["id"]: row for row in queryset.values()}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_expired", *args, stdout=out)
    return out.getvalue()


def line(prefix: str, document: Document, reason: str) -> str:
    uploaded = timezone.localtime(document.uploaded_at)
    return (
        f"{prefix}{document.filing.company} · filing #{document.filing_id} · {document.kind} · "
        f"{document.part} · uploaded {uploaded:%Y-%m-%d %H:%M} · {reason}"
    )


def set_mode(mode: str) -> None:
    SandboxConfig.objects.update_or_create(pk=1, defaults={"mode": mode})


# --- the world: one company per case ----------------------------------------------------------


@dataclass
class World:
    due: dict[int, str] = field(default_factory=dict)  # document pk → reason
    filings: dict[str, Filing] = field(default_factory=dict)

    def add_due(self, documents: Any, reason: str) -> None:
        for document in documents:
            self.due[document.pk] = reason


def new_company(preparer: User, n: int) -> Company:
    return make_company(preparer, name=f"案例{n}有限公司", code=credit_code(n))


@pytest.fixture
def world(
    sandbox: str, volc_settings: Any, preparer: User, reviewer: User, superuser: User
) -> World:
    world = World()

    # 1. Service ended 731 days ago: every document of every finished filing, every version,
    # the front and back originals and the composed image.
    ended = new_company(preparer, 1)
    sent = complete_filing(preparer, code=ended.credit_code)
    document_upload_sides(
        actor=preparer,
        filing=sent,
        kind=ID_CARD,
        front=Upload("正面.jpg", image(40)),
        back=Upload("背面.jpg", image(41)),
    )
    review.filing_submit(actor=preparer, filing=sent)
    review.filing_approve(actor=reviewer, filing=sent)
    assert sending.filing_send(actor=reviewer, filing=sent).outcome == "ACCEPTED"
    draft = complete_filing(preparer, code=ended.credit_code)
    end_service(superuser, ended, days_ago=731)
    world.filings |= {"sent": sent, "ended draft": draft}
    world.add_due(Document.objects.filter(filing__company=ended), SERVICE_ENDED)
    assert Document.objects.filter(filing=sent).count() == 6 + 3  # the first ID card replaced

    # 2. Service ended exactly 730 days ago: not yet.
    boundary = new_company(preparer, 2)
    world.filings["ended 730 days ago"] = complete_filing(preparer, code=boundary.credit_code)
    end_service(superuser, boundary, days_ago=730)

    # 3. Ended long ago, and an old never-sent version, under legal hold: nothing.
    held = new_company(preparer, 3)
    held_draft = complete_filing(preparer, code=held.credit_code)
    travel(replace(preparer, held_draft, 30), uploaded=50, superseded=31)
    end_service(superuser, held, days_ago=800)
    retention.company_set_legal_hold(actor=superuser, company=held, reason="court order 17")
    world.filings["held"] = held_draft

    # 4. Ended long ago, but each filing still under way: nothing.
    busy = new_company(preparer, 4)
    in_review = complete_filing(preparer, code=busy.credit_code)
    travel(replace(preparer, in_review, 31), uploaded=50, superseded=31)
    review.filing_submit(actor=preparer, filing=in_review)
    approved = approved_filing(preparer, reviewer, code=busy.credit_code)
    being_sent = approved_filing(preparer, reviewer, code=busy.credit_code)
    stuck_in_sending(reviewer, being_sent)
    unknown = approved_filing(preparer, reviewer, code=busy.credit_code)
    stuck_in_sending(reviewer, unknown)
    Filing.objects.filter(pk=unknown.pk).update(sending_started_at=ago(1))
    assert sending.reconcile_sending(actor=reviewer, older_than=timedelta(minutes=15)) == [
        unknown.pk
    ]
    end_service(superuser, busy, days_ago=800)
    world.filings |= {
        "in review": in_review,
        "approved": approved,
        "sending": being_sent,
        "unknown": unknown,
    }

    # 5. In service, versions replaced 31 days ago and never sent: those versions.
    unsent = new_company(preparer, 5)
    unsent_draft = complete_filing(preparer, code=unsent.credit_code)
    licence_v1 = replace(preparer, unsent_draft, 32)
    travel(licence_v1, uploaded=50, superseded=31)
    document_upload_sides(
        actor=preparer,
        filing=unsent_draft,
        kind=ID_CARD,
        front=Upload("正面.jpg", image(42)),
        back=Upload("背面.jpg", image(43)),
    )
    sides = list(unsent_draft.documents.filter(kind=ID_CARD, superseded_at__isnull=True))
    document_upload(
        actor=preparer, filing=unsent_draft, kind=ID_CARD, upload=Upload("合成.jpg", image(44))
    )
    for side in sides:
        travel(side, uploaded=40, superseded=35)
    world.filings["superseded unsent"] = unsent_draft
    world.add_due([licence_v1, *sides], SUPERSEDED_UNSENT)

    # 6. Replaced 29 days ago, never sent: not yet.
    recent = new_company(preparer, 6)
    recent_draft = complete_filing(preparer, code=recent.credit_code)
    travel(replace(preparer, recent_draft, 33), uploaded=50, superseded=29)
    world.filings["superseded recently"] = recent_draft

    # 7. Sent (rejected), reworked, replaced twice: the version that was sent stays; the one in
    # between, uploaded after the send and replaced before any other, goes.
    rejected = new_company(preparer, 7)
    reworked = approved_filing(preparer, reviewer, code=rejected.credit_code)
    set_mode(SandboxConfig.Mode.RESULT_FAILURE)
    submission = sending.filing_send(actor=reviewer, filing=reworked)
    set_mode(SandboxConfig.Mode.NORMAL)
    assert submission.outcome == "REJECTED"
    review.filing_rework(actor=preparer, filing=reworked)
    v1 = replace(preparer, reworked, 34)
    v2 = replace(preparer, reworked, 35)
    travel(v1, uploaded=60, superseded=45)
    travel_submission(submission, started=50)
    travel(v2, uploaded=45, superseded=31)
    world.filings["sent, reworked"] = reworked
    world.add_due([v2], SUPERSEDED_UNSENT)

    # 8. Only a NOT_SENT attempt while the version was current: it was never sent.
    never = new_company(preparer, 8)
    not_sent = approved_filing(preparer, reviewer, code=never.credit_code)
    endpoint = volc_settings.VOLC_VMS_ENDPOINT
    volc_settings.VOLC_VMS_ENDPOINT = f"http://127.0.0.1:{free_port()}/sandbox/vms/"
    attempt = sending.filing_send(actor=reviewer, filing=not_sent)
    volc_settings.VOLC_VMS_ENDPOINT = endpoint
    assert attempt.outcome == "NOT_SENT"
    first = replace(preparer, not_sent, 36)  # voids the approval: a draft again
    travel(first, uploaded=60, superseded=31)
    travel_submission(attempt, started=40)
    world.filings["not sent"] = not_sent
    world.add_due([first], SUPERSEDED_UNSENT)

    # 9. In service and approved: nothing, and its approval stays valid.
    world.filings["other approved"] = approved_filing(
        preparer, reviewer, code=new_company(preparer, 9).credit_code
    )
    for name, filing in world.filings.items():
        world.filings[name] = Filing.objects.select_related("company").get(pk=filing.pk)
    return world


def expected_lines(world: World, prefix: str) -> list[str]:
    documents = Document.objects.select_related("filing__company").filter(pk__in=world.due)
    return sorted(line(prefix, document, world.due[document.pk]) for document in documents)


# --- the command ------------------------------------------------------------------------------


def test_the_dry_run_lists_what_is_due_and_why_and_changes_nothing(world: World) -> None:
    before = snapshot()

    out = run()

    assert snapshot() == before
    *lines, summary = out.splitlines()
    assert sorted(lines) == expected_lines(world, "would purge ")
    assert summary == f"{len(world.due)} document(s) due (dry run: nothing changed)"
    assert ".jpg" not in out  # no file names


def test_execute_purges_exactly_the_due_documents_and_a_second_run_nothing(
    world: World,
) -> None:
    before, objects = rows(), stored_objects()
    lines = expected_lines(world, "purged ")
    seq, started = head(), timezone.now()

    out = run("--execute")

    *printed, summary = out.splitlines()
    assert sorted(printed) == lines
    assert summary == f"{len(world.due)} document(s) purged"
    after = rows()
    for pk, row in after.items():
        if pk in world.due:
            assert started <= row["purged_at"] <= timezone.now()
            assert row == {
                **before[pk],
                "original_name": "",
                "api_filename": "",
                "storage_key": None,
                "purged_at": row["purged_at"],
            }
        else:
            assert row == before[pk]
    purged_keys = {before[pk]["storage_key"] for pk in world.due}
    assert stored_objects() == sorted(set(objects) - purged_keys)
    for pk, row in after.items():
        if pk not in world.due:
            assert hashlib.sha256(read_object(row["storage_key"])).hexdigest() == row["sha256"]
    assert sorted(events_after(seq), key=lambda e: int(e["target_id"])) == [
        {
            "kind": "document.purged",
            "actor_id": None,
            "actor_username": "",
            "target_type": "document",
            "target_id": str(pk),
            "filing_id": before[pk]["filing_id"],
            "data": {
                "document": str(before[pk]["uuid"]),
                "kind": before[pk]["kind"],
                "part": before[pk]["part"],
                "sha256": before[pk]["sha256"],
                "size": before[pk]["size"],
                "reason": world.due[pk],
            },
        }
        for pk in sorted(world.due)
    ]
    assert audit.verify_chain().ok

    unchanged = snapshot()
    assert run("--execute") == "0 document(s) purged\n"
    assert run() == "0 document(s) due (dry run: nothing changed)\n"
    assert snapshot() == unchanged


def test_old_submissions_still_prove_what_was_sent_and_other_filings_are_unaffected(
    world: World, preparer: User, reviewer: User
) -> None:
    submissions = list(Submission.objects.order_by("pk").values())
    filings = {f.pk: f for f in Filing.objects.select_related("company")}
    hashes = {pk: content_hash(filing) for pk, filing in filings.items()}
    statuses = dict(Filing.objects.values_list("pk", "status"))
    changed = {pk: (has_changed(pk, preparer.pk), has_changed(pk, reviewer.pk)) for pk in filings}
    # The two filings of the ended company lose their current documents' file names.
    names_gone = {world.filings["sent"].pk, world.filings["ended draft"].pk}

    run("--execute")

    assert list(Submission.objects.order_by("pk").values()) == submissions
    for submission in Submission.objects.all():
        assert (
            submission.request_sha256
            == hashlib.sha256(submission.request_body.encode()).hexdigest()
        )
    assert dict(Filing.objects.values_list("pk", "status")) == statuses
    for pk, filing in filings.items():
        if pk not in names_gone:
            assert content_hash(filing) == hashes[pk]
        assert (has_changed(pk, preparer.pk), has_changed(pk, reviewer.pk)) == changed[pk]
    for name in ("approved", "other approved"):
        approved = Filing.objects.select_related("company").get(pk=world.filings[name].pk)
        assert approved.status == Filing.Status.APPROVED
        assert approved.approved_hash == content_hash(approved)
    # The purged rows' SHA-256 and the file names in the stored body still give the content
    # hash the submission was sent under.
    sent = world.filings["sent"]
    [submission] = Submission.objects.filter(filing=sent)
    body = json.loads(submission.request_body)
    present = current_documents(sent)
    assert all(document.purged_at for document in present.values())
    for kind, document in present.items():
        assert document.api_filename == ""
        document.api_filename = body[f"{kind}PicFilename"]
    assert content_hash(sent, present) == submission.content_hash == sent.approved_hash


# --- what purged documents look like ----------------------------------------------------------


@pytest.fixture
def purged_draft(preparer: User, superuser: User) -> Filing:
    company = new_company(preparer, 11)
    filing = complete_filing(preparer, code=company.credit_code)
    end_service(superuser, company, days_ago=731)
    return filing


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_documents_page_shows_purged_on_instead_of_an_image(
    purged_draft: Filing, superuser: User
) -> None:
    page = reverse("admin:filings_filing_documents", args=[purged_draft.pk])
    documents = list(purged_draft.documents.all())
    assert browser(superuser).get(page).content.decode().count("Purged on") == 0

    run("--execute")

    content = browser(superuser).get(page).content.decode()
    today = timezone.localdate().isoformat()
    assert content.count(f"Purged on {today} (retention period over)") == len(KINDS)
    assert "<img" not in content
    for document in documents:
        assert reverse("document-image", args=[document.uuid]) not in content
        assert document.original_name not in content


@pytest.mark.parametrize("thumb", [False, True])
def test_the_image_of_a_purged_document_is_not_found(
    purged_draft: Filing, superuser: User, thumb: bool
) -> None:
    client = browser(superuser)
    query = {"thumb": "1"} if thumb else {}
    urls = [reverse("document-image", args=[d.uuid]) for d in purged_draft.documents.all()]
    assert [client.get(url, query).status_code for url in urls] == [200] * len(urls)

    run("--execute")

    seq = head()
    assert [client.get(url, query).status_code for url in urls] == [404] * len(urls)
    assert events_after(seq) == []  # nothing was shown, so no display is recorded


def test_auditors_read_the_purge_and_hold_events(
    purged_draft: Filing, auditor: User, preparer: User, superuser: User
) -> None:
    retention.company_set_legal_hold(
        actor=superuser, company=new_company(preparer, 12), reason="court order 17"
    )
    run("--execute")
    changelist = reverse("admin:filings_auditevent_changelist")

    purged = browser(auditor).get(changelist, {"kind": "document.purged"})
    held = browser(auditor).get(changelist, {"kind": "company.legal_hold_set"})

    assert purged.status_code == held.status_code == 200
    assert purged.context["cl"].result_count == len(KINDS)
    assert held.context["cl"].result_count == 1


# --- failures and races -----------------------------------------------------------------------


def refuse_delete(self: FileSystemStorage, name: str) -> None:
    raise PermissionError(13, "Permission denied", name)


def test_an_object_that_could_not_be_deleted_is_an_orphan_cleanup_lists(
    purged_draft: Filing, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    keys = sorted(purged_draft.documents.values_list("storage_key", flat=True))
    monkeypatch.setattr(FileSystemStorage, "delete", refuse_delete)

    run("--execute")

    assert not purged_draft.documents.filter(storage_key__isnull=False).exists()
    assert stored_objects() == keys
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "filings.storage")
    assert all(key in logged for key in keys)
    out = io.StringIO()
    call_command("cleanup_orphans", "--minutes", "0", stdout=out)
    *listed, summary = out.getvalue().splitlines()
    assert sorted(listed) == [f"orphan {key}" for key in keys]
    assert summary == f"{len(keys)} orphaned object(s)"


def test_a_document_held_after_it_was_selected_is_not_purged(
    purged_draft: Filing, superuser: User
) -> None:
    selected = list(purgeable(timezone.now()).values_list("pk", "filing_id"))
    assert len(selected) == len(KINDS)
    retention.company_set_legal_hold(
        actor=superuser, company=purged_draft.company, reason="court order 17"
    )
    before = snapshot()

    done = [retention._purge_one(pk, filing_id, timezone.now()) for pk, filing_id in selected]

    assert done == [None] * len(selected)
    assert snapshot() == before


@pytest.mark.parametrize("name", ["PORTAL_RETENTION_DAYS", "PORTAL_DRAFT_RETENTION_DAYS"])
def test_a_negative_retention_period_is_refused(settings: Any, name: str) -> None:
    setattr(settings, name, -1)
    with pytest.raises(ImproperlyConfigured, match=f"{name} must be 0 or more days"):
        run()


def test_a_purge_deletes_the_objects_from_an_s3_bucket(
    s3_storage: Any, settings: Any, preparer: User, superuser: User
) -> None:
    bucket = settings.STORAGES["default"]["OPTIONS"]["bucket_name"]

    def bucket_keys() -> list[str]:
        listing = s3_storage.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    company = new_company(preparer, 13)
    filing = complete_filing(preparer, code=company.credit_code)
    keys = sorted(filing.documents.values_list("storage_key", flat=True))
    assert bucket_keys() == keys
    end_service(superuser, company, days_ago=731)

    run("--execute")

    assert bucket_keys() == []
    assert not filing.documents.filter(purged_at__isnull=True).exists()
