"""A new filing starts with its company's current documents, by reference (FilingDocument)."""

from django.utils import timezone

from filings import audit, kinds
from filings.models import Document, Filing, FilingDocument
from filings.services.common import Actor


def company_current_links(company_id: int, document_kinds: tuple[str, ...]) -> list[FilingDocument]:
    """Per kind, the links of the company's newest document still sent by one of its filings
    (not purged), with the front and back it was uploaded with. Two queries.

    The company's filings are read first, rather than joined: with statistics that call the
    tables small (right after a bulk load) PostgreSQL planned the join as a walk over every link.
    """
    filing_ids = list(Filing.objects.filter(company_id=company_id).values_list("pk", flat=True))
    if not filing_ids:
        return []
    links = (
        FilingDocument.objects.filter(
            filing_id__in=filing_ids,
            removed_at__isnull=True,
            kind__in=document_kinds,
            document__purged_at__isnull=True,
        )
        .select_related("document")
        .order_by("kind", "-document__uploaded_at", "-document_id", "-filing_id")
    )
    newest: dict[str, FilingDocument] = {}
    found = list(links)
    for link in found:
        if link.part == Document.Part.MAIN:
            newest.setdefault(link.kind, link)
    # Within a filing the current parts of a kind are always one upload's.
    chosen = {(main.kind, main.filing_id) for main in newest.values()}
    taken: dict[tuple[str, str], FilingDocument] = {}
    for link in found:
        if (link.kind, link.filing_id) in chosen:
            taken.setdefault((link.kind, link.part), link)
    return sorted(taken.values(), key=lambda link: (link.kind, link.part))


def documents_take_over(actor: Actor, filing: Filing) -> list[FilingDocument]:
    """Link the new `filing` to its company's current documents of the kinds it needs, and
    record that (`document.reused`, by the creating user). Nothing is copied or stored.

    Runs inside the creating transaction. It takes no lock: the documents it takes are sent by
    another filing, so none of them is due for an early purge; one purged meanwhile because the
    company's service ended is named by the new filing's pre-flight.
    """
    needed = kinds.kind_of(filing).document_kinds
    if not needed:
        return []
    sources = company_current_links(filing.company_id, needed)
    if not sources:
        return []
    now = timezone.now()
    links = FilingDocument.objects.bulk_create(
        FilingDocument(
            filing=filing,
            document=source.document,
            kind=source.kind,
            part=source.part,
            added_at=now,
        )
        for source in sources
    )
    audit.record(
        actor=actor,
        kind="document.reused",
        target=filing,
        filing=filing,
        data={
            "documents": [
                {
                    "kind": source.kind,
                    "part": source.part,
                    "document": str(source.document.uuid),
                    "sha256": source.document.sha256,
                    "uploaded_in": source.document.filing_id,
                }
                for source in sources
            ]
        },
    )
    return links
