"""Documents belong to the company: a new filing starts with the company's current documents by
reference (the same rows, nothing stored again), the audit trail says so, and replacing one in a
filing changes nothing another filing sends; four-eyes, document URLs and retention follow what
each filing holds."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone, translation

from filings import errors
from filings.content import content_hash, current_documents, current_links, filing_content
from filings.four_eyes import has_changed
from filings.models import Company, Document, Filing, FilingDocument
from filings.retention import purgeable
from filings.selectors import expiring_documents
from filings.services import editing, numbers, review, sending
from filings.services.documents import (
    DOCUMENT_SHARED_BUSY,
    Upload,
    document_remove,
    document_set_valid_until,
    document_upload,
    document_upload_sides,
)
from filings.storage import fetch_url, stored_document_keys
from tests.audit_rows import events_after, head, row
from tests.builders import KINDS, approved_filing, complete_filing, fresh, image
from tests.number_builders import add_numbers, received
from tests.snapshots import refused

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("volc_settings")]


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    """Pages in English: the tests read their words."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def dual(reviewer: User) -> User:
    """A reviewer who may also prepare: the person four-eyes is about."""
    reviewer.groups.add(Group.objects.get(name="Preparer"))
    return User.objects.get(pk=reviewer.pk)  # fresh permission cache


LICENCE = Document.Kind.BUSINESS_LICENSE
LETTER = Document.Kind.BUSINESS_USAGE_LETTER


def documents_of(filing: Filing) -> dict[str, Document]:
    return current_documents(fresh(filing))


def reused_row(actor: User, filing: Filing, documents: list[Document]) -> dict[str, Any]:
    return row(
        "document.reused",
        actor,
        "filing",
        filing.pk,
        filing=filing,
        data={
            "documents": [
                {
                    "kind": d.kind,
                    "part": d.part,
                    "document": str(d.uuid),
                    "sha256": d.sha256,
                    "uploaded_in": d.filing_id,
                }
                for d in sorted(documents, key=lambda d: (d.kind, d.part))
            ]
        },
    )


def test_a_second_filing_starts_with_the_first_filing_s_documents(
    preparer: User, preparer2: User
) -> None:
    first = complete_filing(preparer)
    objects = sorted(stored_document_keys())
    documents = Document.objects.count()
    start = head()

    second = editing.filing_create(actor=preparer2, company=first.company, callee_source="网站")

    # The same rows: nothing copied, nothing stored.
    assert {k: d.pk for k, d in documents_of(second).items()} == {
        k: d.pk for k, d in documents_of(first).items()
    }
    assert set(documents_of(second)) == set(KINDS)
    assert Document.objects.count() == documents
    assert sorted(stored_document_keys()) == objects
    events = events_after(start)
    assert [e["kind"] for e in events] == ["filing.created", "document.reused"]
    parts = Document.objects.filter(links__in=current_links(filing=first))
    assert events[1] == reused_row(preparer2, second, list(parts))
    # The hash covers each document's SHA-256 and file name: the same as the first's.
    assert filing_content(fresh(second))["documents"] == filing_content(fresh(first))["documents"]


def test_an_id_card_is_taken_over_with_its_front_and_back(preparer: User) -> None:
    first = complete_filing(preparer)
    main = document_upload_sides(
        actor=preparer,
        filing=first,
        kind=Document.Kind.OPERATOR_IDCARD,
        front=Upload("front.jpg", image(20)),
        back=Upload("back.jpg", image(21)),
    )

    second = editing.filing_create(actor=preparer, company=first.company)

    taken = current_links(filing=second, kind=Document.Kind.OPERATOR_IDCARD)
    parts = {link.part: link.document for link in taken.select_related("document")}
    assert set(parts) == {"main", "front", "back"}
    assert parts["main"] == main
    assert {d.filing_id for d in parts.values()} == {first.pk}


def test_replacing_in_the_second_filing_leaves_the_first_as_it_was(
    preparer: User, reviewer: User
) -> None:
    first = approved_filing(preparer, reviewer)
    first_hash = content_hash(fresh(first))
    licence = documents_of(first)[LICENCE]
    second = editing.filing_create(actor=preparer, company=first.company)
    start = head()

    new = document_upload(
        actor=preparer, filing=second, kind=LICENCE, upload=Upload("新执照.jpg", image(30))
    )

    assert documents_of(second)[LICENCE] == new
    assert documents_of(first)[LICENCE] == licence
    assert content_hash(fresh(first)) == first_hash
    assert fresh(first).status == Filing.Status.APPROVED  # its approval stands
    assert fresh(first).approved_hash == first_hash
    # The taken-over version is replaced in the second filing only.
    (event,) = events_after(start)
    assert (event["kind"], event["filing_id"]) == ("document.replaced", second.pk)
    assert event["data"]["replaced"] == [str(licence.uuid)]
    assert Document.objects.get(pk=licence.pk).superseded_at is None
    # Removing it from the second filing does not take it from the first either.
    document_remove(actor=preparer, filing=second, kind=LICENCE)
    assert documents_of(first)[LICENCE] == licence
    assert LICENCE not in documents_of(second)


def test_replacing_in_the_first_filing_leaves_the_second_as_it_was(preparer: User) -> None:
    first = complete_filing(preparer)
    licence = documents_of(first)[LICENCE]
    second = editing.filing_create(actor=preparer, company=first.company)
    second_hash = content_hash(fresh(second))

    document_upload(actor=preparer, filing=first, kind=LICENCE, upload=Upload("v2.jpg", image(31)))

    assert documents_of(second)[LICENCE] == licence
    assert content_hash(fresh(second)) == second_hash
    # The company's current licence is now the newest: a third filing starts with it.
    third = editing.filing_create(actor=preparer, company=first.company)
    assert documents_of(third)[LICENCE] == documents_of(first)[LICENCE] != licence


def test_a_number_filing_takes_over_the_letter_and_only_that(
    preparer: User, reviewer: User
) -> None:
    company_filing = received(reviewer, approved_filing(preparer, reviewer))
    company = company_filing.company
    first = numbers.numbers_file(
        actor=preparer,
        numbers=[n.pk for n in add_numbers(preparer, company, ["13800000001"])],
        action="add",
    ).filings[0]
    assert documents_of(first) == {}  # the company filing's documents are not its kinds
    letter = document_upload(
        actor=preparer, filing=first, kind=LETTER, upload=Upload("承诺书.jpg", image(50))
    )
    more = add_numbers(preparer, company, ["13800000002"])
    start = head()

    (second,) = numbers.numbers_file(
        actor=preparer, numbers=[n.pk for n in more], action="add"
    ).filings

    assert documents_of(second) == {LETTER: letter}
    assert [e["kind"] for e in events_after(start)] == ["filing.created", "document.reused"]
    # A new company filing takes the six company documents and not the letter.
    again = editing.filing_create(actor=preparer, company=company)
    assert set(documents_of(again)) == set(KINDS)
    assert not current_links(filing=again, kind=LETTER).exists()


def test_a_first_filing_records_no_reuse(preparer: User, company: Company) -> None:
    start = head()
    filing = editing.filing_create(actor=preparer, company=company)
    assert [e["kind"] for e in events_after(start)] == ["filing.created"]
    assert documents_of(filing) == {}


def test_purged_and_removed_documents_are_not_taken_over(preparer: User) -> None:
    first = complete_filing(preparer)
    document_remove(actor=preparer, filing=first, kind=LICENCE)
    letter = documents_of(first)[Document.Kind.NETWORK_ACCESS_LETTER]
    Document.objects.filter(pk=letter.pk).update(purged_at=timezone.now(), storage_key=None)

    second = editing.filing_create(actor=preparer, company=first.company)

    assert set(documents_of(second)) == set(KINDS) - {LICENCE, letter.kind}


# --- four-eyes


def test_taking_over_a_document_is_not_a_change_by_its_uploader(
    preparer: User, preparer2: User, reviewer: User, dual: User
) -> None:
    # `dual` uploaded the first filing's documents; preparer2 makes the second filing.
    first = complete_filing(dual)
    second = editing.filing_create(
        actor=preparer2, company=first.company, callee_source="网站", business_carrier="火山示例"
    )
    editing.script_add(actor=preparer2, filing=second, scene="快递", content="您好。")
    review.filing_submit(actor=preparer2, filing=second)

    assert not has_changed(second.pk, dual.pk)
    assert has_changed(second.pk, preparer2.pk)
    review.filing_approve(actor=dual, filing=second)
    assert fresh(second).status == Filing.Status.APPROVED


def test_uploading_in_the_new_filing_is_a_change_as_ever(
    preparer: User, preparer2: User, dual: User
) -> None:
    first = complete_filing(preparer)
    second = editing.filing_create(
        actor=preparer2, company=first.company, callee_source="网站", business_carrier="火山示例"
    )
    editing.script_add(actor=preparer2, filing=second, scene="快递", content="您好。")
    document_upload(actor=dual, filing=second, kind=LICENCE, upload=Upload("新.jpg", image(60)))
    review.filing_submit(actor=preparer2, filing=second)

    assert has_changed(second.pk, dual.pk)
    with pytest.raises(errors.NotPermitted):
        review.filing_approve(actor=dual, filing=second)


def test_a_shared_document_s_date_changes_for_every_draft_that_sends_it(
    preparer: User, preparer2: User
) -> None:
    first = complete_filing(preparer)
    second = editing.filing_create(actor=preparer, company=first.company)
    licence = documents_of(first)[LICENCE]
    until = timezone.localdate() + timedelta(days=300)
    start = head()

    document_set_valid_until(actor=preparer2, filing=second, kind=LICENCE, valid_until=until)

    data = {
        "kind": LICENCE,
        "document": str(licence.uuid),
        "before": None,
        "after": until.isoformat(),
    }
    assert events_after(start) == [
        row(
            "document.validity_changed", preparer2, "document", licence.pk, filing=second, data=data
        ),
        row(
            "document.validity_changed", preparer2, "document", licence.pk, filing=first, data=data
        ),
    ]
    assert has_changed(first.pk, preparer2.pk)

    review.filing_submit(actor=preparer, filing=first)
    failure = refused(
        errors.FilingsError,
        lambda: document_set_valid_until(
            actor=preparer2, filing=second, kind=LICENCE, valid_until=None
        ),
    )
    assert str(failure) == str(DOCUMENT_SHARED_BUSY).format(
        document=Document.Kind(LICENCE).label,
        filings=f"#{first.pk} “{fresh(first).get_status_display()}”",
    )


# --- document URLs


def test_a_document_url_serves_while_some_filing_sending_it_is_sent(
    preparer: User, reviewer: User, client: Any, sandbox: str
) -> None:
    first = complete_filing(preparer)
    second = editing.filing_create(
        actor=preparer, company=first.company, callee_source="网站", business_carrier="火山示例"
    )
    editing.script_add(actor=preparer, filing=second, scene="快递", content="您好。")
    licence = documents_of(first)[LICENCE]
    review.filing_submit(actor=preparer, filing=second)
    review.filing_approve(actor=reviewer, filing=second)
    submission = sending.filing_send(actor=reviewer, filing=second)
    assert submission.outcome == "ACCEPTED"
    url = fetch_url(licence).split("://", 1)[1].split("/", 1)[1]
    start = head()

    answer = client.get("/" + url)

    assert answer.status_code == 200
    (event,) = events_after(start)
    assert (event["kind"], event["filing_id"]) == ("document.fetched", second.pk)
    # The first filing (a draft) replacing its licence does not stop the second's URL.
    document_upload(actor=preparer, filing=first, kind=LICENCE, upload=Upload("v2.jpg", image(61)))
    assert client.get("/" + url).status_code == 200
    # Once no sent filing holds it, the URL stops working.
    FilingDocument.objects.filter(document=licence).update(removed_at=timezone.now())
    assert client.get("/" + url).status_code == 404


# --- retention


def test_a_version_replaced_in_one_filing_but_held_by_another_is_kept(preparer: User) -> None:
    first = complete_filing(preparer)
    licence = documents_of(first)[LICENCE]
    second = editing.filing_create(actor=preparer, company=first.company)
    document_upload(actor=preparer, filing=first, kind=LICENCE, upload=Upload("v2.jpg", image(70)))
    long_ago = timezone.now() - timedelta(days=400)
    FilingDocument.objects.filter(document=licence, removed_at__isnull=False).update(
        removed_at=long_ago
    )
    Document.objects.filter(pk=licence.pk).update(superseded_at=long_ago)
    later = timezone.now() + timedelta(days=1)

    assert licence.pk not in {d.pk for d in purgeable(later)}  # the second still sends it

    document_upload(actor=preparer, filing=second, kind=LICENCE, upload=Upload("v3.jpg", image(71)))
    FilingDocument.objects.filter(document=licence).update(removed_at=long_ago)
    assert licence.pk in {d.pk for d in purgeable(later)}


def test_a_version_sent_by_any_filing_that_held_it_is_not_purged_early(
    preparer: User, reviewer: User, sandbox: str
) -> None:
    first = approved_filing(preparer, reviewer)
    assert sending.filing_send(actor=reviewer, filing=first).outcome == "ACCEPTED"
    licence = documents_of(first)[LICENCE]
    second = editing.filing_create(actor=preparer, company=first.company)
    document_upload(actor=preparer, filing=second, kind=LICENCE, upload=Upload("v2.jpg", image(72)))
    # Pretend the first filing dropped it too, long after it was sent.
    FilingDocument.objects.filter(document=licence).update(
        removed_at=timezone.now() + timedelta(seconds=1)
    )
    later = timezone.now() + timedelta(days=400)

    assert licence.pk not in {d.pk for d in purgeable(later)}
    # Whereas the version the second filing replaced before sending it goes.
    replaced = documents_of(second)[LICENCE]
    document_upload(actor=preparer, filing=second, kind=LICENCE, upload=Upload("v3.jpg", image(73)))
    assert replaced.pk in {d.pk for d in purgeable(later)}


def test_the_documents_page_says_which_documents_were_taken_over(
    client: Any, preparer: User
) -> None:
    first = complete_filing(preparer)
    second = editing.filing_create(actor=preparer, company=first.company)
    document_upload(actor=preparer, filing=second, kind=LICENCE, upload=Upload("v2.jpg", image(80)))
    client.force_login(preparer)

    with translation.override("en"):
        page = client.get(reverse("admin:filings_filing_documents", args=[second.pk]))
    text = page.content.decode()

    taken = f"Taken over from filing #{first.pk}"
    assert taken not in text.split(f'id="slot-{LICENCE}"')[1].split("</section>")[0]
    assert text.count(taken) == len(KINDS) - 1


def test_a_shared_document_to_renew_is_listed_once_with_every_filing_sending_it(
    preparer: User,
) -> None:
    first = complete_filing(preparer)
    second = editing.filing_create(actor=preparer, company=first.company)
    licence = documents_of(first)[LICENCE]
    Document.objects.filter(pk=licence.pk).update(
        valid_until=timezone.localdate() + timedelta(days=7)
    )

    (entry,) = expiring_documents()

    assert [(item.document.pk, item.filing_ids, item.days_left) for item in entry.documents] == [
        (licence.pk, [first.pk, second.pk], 7)
    ]


def test_the_filing_page_and_list_show_the_documents_taken_over(
    client: Any, preparer: User
) -> None:
    first = complete_filing(preparer)
    second = editing.filing_create(actor=preparer, company=first.company, callee_source="网站")
    client.force_login(preparer)

    page = client.get(reverse("admin:filings_filing_change", args=[second.pk])).content.decode()
    listing = client.get(reverse("admin:filings_filing_changelist"))

    assert page.count(f"taken over from filing #{first.pk}") == len(KINDS)
    assert 'id="no-documents"' not in page
    counts = {row.pk: row.document_count for row in listing.context["cl"].result_list}
    assert counts == {first.pk: len(KINDS), second.pk: len(KINDS)}
