"""Services for document images: validate, store under a random key, record; never overwrite."""

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from filings import audit, kinds
from filings.content import current_links
from filings.errors import (
    NOT_EDITABLE,
    STALE_STATE,
    UNKNOWN_DOCUMENT_KIND,
    FilingsError,
    StaleState,
)
from filings.filenames import api_filename, clean_filename
from filings.image_checks import ImageInfo, check_file_size, inspect_image
from filings.imaging import ImagingError, compose_id_card, strip_metadata
from filings.models import Document, Filing, FilingDocument
from filings.services.common import Actor, lock_filings, require_perm, user_id
from filings.services.editing import editable_filing, touch
from filings.storage import document_key, objects_removed_on_error, save_object
from filings.workflow import EDITABLE_STATES, State

VALID_UNTIL_NOT_A_DATE = gettext_lazy("The validity end date must be a date (YYYY-MM-DD).")
VALID_UNTIL_PAST = gettext_lazy(
    "The validity end date {date} has passed: upload a document that is still valid."
)
NO_CURRENT_DOCUMENT = gettext_lazy("{document}: there is no current document to date.")
DOCUMENT_SHARED_BUSY = gettext_lazy(
    "{document} is also sent by {filings}, which is in review or being sent: upload a new "
    "version in this filing instead, or change the date once that filing is settled."
)
# Filings that may still send what they hold (the others were sent, or wait for a rework).
OPEN_STATES = frozenset(
    {State.DRAFT, State.IN_REVIEW, State.APPROVED, State.SENDING, State.UNKNOWN}
)


def checked_valid_until(valid_until: object) -> date | None:
    """A validity end date as the services accept it: None, or a date not in the past (local
    date); FilingsError otherwise."""
    if valid_until is None:
        return None
    if not isinstance(valid_until, date) or isinstance(valid_until, datetime):
        raise FilingsError(str(VALID_UNTIL_NOT_A_DATE))
    if valid_until < timezone.localdate():
        raise FilingsError(str(VALID_UNTIL_PAST).format(date=valid_until.isoformat()))
    return valid_until


@dataclass(frozen=True)
class Upload:
    """One uploaded file as the browser sent it.

    `size` is the file's real size when `data` was left unread because that size is over the
    limit; None means len(data).
    """

    name: str
    data: bytes
    size: int | None = None


def _label(filing: Filing, kind: str) -> str:
    """The document's name; refused unless the filing's kind needs this document."""
    if kind not in kinds.kind_of(filing).document_kinds:
        raise FilingsError(str(UNKNOWN_DOCUMENT_KIND))
    return str(Document.Kind(kind).label)


def _inspect(upload: Upload, label: str) -> ImageInfo:
    if upload.size is not None:
        check_file_size(upload.size, field_label=label, max_bytes=settings.PORTAL_MAX_UPLOAD_BYTES)
    return inspect_image(
        upload.data,
        field_label=label,
        max_bytes=settings.PORTAL_MAX_UPLOAD_BYTES,
        max_pixels=settings.PORTAL_MAX_IMAGE_PIXELS,
    )


def _cleaned(data: bytes, info: ImageInfo, label: str) -> tuple[bytes, ImageInfo]:
    """What is stored: the image upright and without metadata, and `info` for those bytes.

    `info` (from inspect_image) already gives the upright width and height.
    """
    try:
        clean = strip_metadata(data)
    except ImagingError as exc:
        raise ValidationError(
            _("%(field)s: the image could not be re-saved (%(reason)s). Upload it again.")
            % {"field": label, "reason": exc}
        ) from exc
    if clean == data:
        return data, info
    return clean, replace(info, size=len(clean), sha256=hashlib.sha256(clean).hexdigest())


def stored_image(upload: Upload, label: str) -> tuple[bytes, ImageInfo]:
    """What storing `upload` as one image would store (upright, without metadata) and its info;
    ValidationError, with `label` naming the file, says why it cannot be stored."""
    return _cleaned(upload.data, _inspect(upload, label), label)


def _new_document(
    actor: Actor,
    filing: Filing,
    kind: str,
    part: str,
    name: str,
    data: bytes,
    info: ImageInfo,
    keys: list[str],
    valid_until: date | None,
) -> Document:
    key = document_key(filing.uuid, kind, info.extension)
    save_object(key, data)
    keys.append(key)
    original = clean_filename(name)
    return Document(
        filing=filing,
        kind=kind,
        part=part,
        storage_key=key,
        original_name=original,
        api_filename=api_filename(original, info.extension),
        content_type=info.content_type,
        size=info.size,
        width=info.width,
        height=info.height,
        sha256=info.sha256,
        uploaded_by_id=user_id(actor),
        valid_until=valid_until,
    )


def _describe(document: Document) -> dict[str, object]:
    return {
        "part": document.part,
        "document": str(document.uuid),
        "original_name": document.original_name,
        "api_filename": document.api_filename,
        "sha256": document.sha256,
        "size": document.size,
        "pixels": f"{document.width}x{document.height}",
    }


def _take_out(filing: Filing, kinds: Collection[str]) -> dict[str, list[Document]]:
    """End the filing's current links of `kinds`; returns their documents by kind (kinds with
    none left out).

    A document uploaded in this filing is superseded there; one taken over from another filing
    stays as it is for the filings that still send it.
    """
    links = list(
        current_links(filing=filing, kind__in=kinds).values_list("pk", "document_id", "kind")
    )
    # By the ids read first, not an IN (subquery): see content.current_documents.
    documents = list(Document.objects.filter(pk__in=[document for _, document, _ in links]))
    now = timezone.now()
    Document.objects.filter(
        pk__in=[d.pk for d in documents], filing=filing, superseded_at__isnull=True
    ).update(superseded_at=now)
    FilingDocument.objects.filter(pk__in=[link for link, _, _ in links]).update(removed_at=now)
    kind_of = {document: kind for _, document, kind in links}
    taken_out: dict[str, list[Document]] = {}
    for document in documents:
        taken_out.setdefault(kind_of[document.pk], []).append(document)
    return taken_out


# A kind's images as stored: (part, file name, bytes, info), the MAIN image (the one sent to
# Volcengine) first.
Parts = list[tuple[str, str, bytes, ImageInfo]]


def _store(
    actor: Actor,
    filing: Filing,
    images: list[tuple[str, Parts]],
    valid_until: date | None,
) -> list[Document]:
    """Save the objects of every kind in `images`, then in one transaction supersede the old
    rows of those kinds and add the new ones; returns each kind's MAIN document, in order.

    If anything fails after an object was saved, the object is deleted again: no orphans.
    """
    # Cheap refusals before any storage work; the transaction below checks again under lock.
    require_perm(actor, "filings.change_filing")
    # The state in the database, not the caller's copy, which may be stale.
    stored = Filing.objects.only("status").get(pk=filing.pk)
    if stored.status not in EDITABLE_STATES:
        raise FilingsError(str(NOT_EDITABLE).format(status=stored.get_status_display()))
    with objects_removed_on_error() as keys:
        # Storage I/O first, outside the transaction, so no database lock waits on the network.
        by_kind = [
            (
                kind,
                [
                    _new_document(actor, filing, kind, part, name, data, info, keys, valid_until)
                    for part, name, data, info in parts
                ],
            )
            for kind, parts in images
        ]
        documents = [document for _, kind_documents in by_kind for document in kind_documents]
        with transaction.atomic():
            filing = editable_filing(actor, filing.pk)
            replaced = _take_out(filing, [kind for kind, _ in by_kind])
            for document in documents:
                document.filing = filing
                document.company_id = filing.company_id
            # Sets each document's pk (INSERT … RETURNING on SQLite and PostgreSQL).
            Document.objects.bulk_create(documents)
            now = timezone.now()
            FilingDocument.objects.bulk_create(
                FilingDocument(filing=filing, document=d, kind=d.kind, part=d.part, added_at=now)
                for d in documents
            )
            for position, (kind, kind_documents) in enumerate(by_kind):
                data: dict[str, object] = {
                    "kind": kind,
                    "files": [_describe(d) for d in kind_documents],
                    "replaced": [str(d.uuid) for d in replaced.get(kind, [])],
                }
                if valid_until is not None:
                    data["valid_until"] = valid_until.isoformat()
                audit.record(
                    actor=actor,
                    kind="document.replaced" if replaced.get(kind) else "document.uploaded",
                    target=kind_documents[0],
                    filing=filing,
                    data=data,
                )
                if position == 0:
                    # Once, after the first kind's event: the events come in the order of one
                    # upload per kind (an approval is voided after the first; the later touches
                    # would only have written the same row again).
                    touch(actor, filing, reason="document.uploaded")
    return [kind_documents[0] for _, kind_documents in by_kind]


@dataclass(frozen=True)
class KindUpload:
    """The images of one document kind: `upload` (for an ID card, one image already showing
    both sides), or an ID card's `front` and `back`."""

    kind: str
    upload: Upload | None = None
    front: Upload | None = None
    back: Upload | None = None


def _parts(item: KindUpload, label: str) -> Parts:
    """What storing `item` stores; ValidationError, naming the file (`label` is the kind's
    name), for an image that cannot be stored."""
    kind = item.kind
    if item.upload is not None and item.front is None and item.back is None:
        data, info = _cleaned(item.upload.data, _inspect(item.upload, label), label)
        return [(Document.Part.MAIN, item.upload.name, data, info)]
    if item.upload is not None or item.front is None or item.back is None:
        raise TypeError(f"{kind}: give either upload, or front and back")
    front, back = item.front, item.back
    front_label = f"{label} · {Document.Part.FRONT.label}"
    back_label = f"{label} · {Document.Part.BACK.label}"
    front_info = _inspect(front, front_label)
    back_info = _inspect(back, back_label)
    try:
        composed = compose_id_card(
            front.data, back.data, max_bytes=settings.PORTAL_MAX_UPLOAD_BYTES
        )
    except ImagingError as exc:
        raise ValidationError(
            _("%(field)s: the two sides could not be put together (%(reason)s). Upload them again.")
            % {"field": label, "reason": exc}
        ) from exc
    composed_info = _inspect(Upload("composed.jpg", composed), label)
    # The composition is made without metadata; the originals are kept, cleaned.
    front_data, front_info = _cleaned(front.data, front_info, front_label)
    back_data, back_info = _cleaned(back.data, back_info, back_label)
    return [
        (Document.Part.MAIN, f"{kind}-front-back.jpg", composed, composed_info),
        (Document.Part.FRONT, front.name, front_data, front_info),
        (Document.Part.BACK, back.name, back_data, back_info),
    ]


def documents_upload(
    *,
    actor: Actor,
    filing: Filing,
    uploads: Sequence[KindUpload],
    valid_until: date | None = None,
) -> list[Document]:
    """Store the images of several kinds at once, each valid until `valid_until` when given:
    every image is checked before any is stored, and all are recorded in one transaction, with
    one event per kind as document_upload records it. Returns each kind's MAIN document."""
    kinds_given = [item.kind for item in uploads]
    if len(set(kinds_given)) != len(kinds_given):
        raise TypeError(f"a kind given twice: {kinds_given}")
    if not uploads:
        return []
    # The refusals in the order of one upload: the kinds, the date, then the images.
    labels = [_label(filing, kind) for kind in kinds_given]
    valid_until = checked_valid_until(valid_until)
    images = [(item.kind, _parts(item, label)) for item, label in zip(uploads, labels, strict=True)]
    return _store(actor, filing, images, valid_until)


def document_upload(
    *,
    actor: Actor,
    filing: Filing,
    kind: str,
    upload: Upload,
    valid_until: date | None = None,
) -> Document:
    """Store one image for `kind` (for an ID card: one image already showing both sides),
    valid until `valid_until` when given."""
    (main,) = documents_upload(
        actor=actor,
        filing=filing,
        uploads=[KindUpload(kind, upload=upload)],
        valid_until=valid_until,
    )
    return main


def document_upload_sides(
    *,
    actor: Actor,
    filing: Filing,
    kind: str,
    front: Upload,
    back: Upload,
    valid_until: date | None = None,
) -> Document:
    """Store front and back of an ID card and the one composed image the API takes."""
    (main,) = documents_upload(
        actor=actor,
        filing=filing,
        uploads=[KindUpload(kind, front=front, back=back)],
        valid_until=valid_until,
    )
    return main


@transaction.atomic
def document_remove(*, actor: Actor, filing: Filing, kind: str) -> None:
    """Take a kind's current images out of the filing; the objects and rows stay for history."""
    filing = editable_filing(actor, filing.pk)
    current = _take_out(filing, [kind]).get(kind, [])
    if not current:
        return
    main = next((d for d in current if d.part == Document.Part.MAIN), current[0])
    audit.record(
        actor=actor,
        kind="document.removed",
        target=main,
        filing=filing,
        data={"kind": kind, "removed": [str(d.uuid) for d in current]},
    )
    touch(actor, filing, reason="document.removed")


@transaction.atomic
def document_set_valid_until(
    *, actor: Actor, filing: Filing, kind: str, valid_until: date | None
) -> Document:
    """Set or correct the validity end date of the filing's current `kind` without uploading it
    again (None: no end date). A change of the filing's content for four-eyes.

    The date belongs to the document, so every filing that sends it sees it: each other draft
    or approved filing sending it records the change too (an approval is voided); it is refused
    while one of them is in review or being sent.
    """
    label = _label(filing, kind)
    valid_until = checked_valid_until(valid_until)
    require_perm(actor, "filings.change_filing")
    main_id = (
        current_links(filing=filing, kind=kind, part=Document.Part.MAIN)
        .values_list("document_id", flat=True)
        .first()
    )
    # The lock order: every filing sending the document, by pk, before anything else.
    sharing = lock_filings(
        Filing.objects.filter(document_links__in=current_links(document_id=main_id or 0))
    )
    filing = editable_filing(actor, filing.pk)
    ids = list(current_links(filing=filing, kind=kind).values_list("document_id", flat=True))
    current = list(Document.objects.filter(pk__in=ids))
    main = next((d for d in current if d.part == Document.Part.MAIN), None)
    if main is None:
        raise FilingsError(str(NO_CURRENT_DOCUMENT).format(document=label))
    if main.pk != main_id:  # replaced between the first read and the locks
        raise StaleState(str(STALE_STATE).format(status=filing.get_status_display()))
    if main.valid_until == valid_until:
        return main
    others = [f for f in sharing if f.pk != filing.pk]
    busy = [f for f in others if f.status in OPEN_STATES - EDITABLE_STATES]
    if busy:
        named = ", ".join(f"#{f.pk} “{f.get_status_display()}”" for f in busy)
        raise FilingsError(str(DOCUMENT_SHARED_BUSY).format(document=label, filings=named))
    before = main.valid_until
    Document.objects.filter(pk__in=[d.pk for d in current]).update(valid_until=valid_until)
    main.valid_until = valid_until
    for changed in [filing, *(f for f in others if f.status in EDITABLE_STATES)]:
        audit.record(
            actor=actor,
            kind="document.validity_changed",
            target=main,
            filing=changed,
            data={
                "kind": kind,
                "document": str(main.uuid),
                "before": before.isoformat() if before else None,
                "after": valid_until.isoformat() if valid_until else None,
            },
        )
        touch(actor, changed, reason="document.validity_changed")
    return main
