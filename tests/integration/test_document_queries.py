"""Reading a filing's current documents never asks the database for `document IN (SELECT …
links)`: with statistics that call the tables small (right after a bulk load, or inside a long
import's transaction) PostgreSQL answered that by walking every document, so a 300-company import
slowed down with each document it added (the CI run stalled on it)."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from filings.content import current_documents
from filings.desk.company import company_desk
from filings.services.document_reuse import company_current_links
from filings.services.documents import Upload, document_upload
from tests.builders import KINDS, complete_filing, image

pytestmark = pytest.mark.django_db


def _document_subqueries(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "filings_document"') and "IN (SELECT" in q["sql"]
    ]


def test_current_documents_reads_the_links_first(preparer: User, isolated_storage: Any) -> None:
    filing = complete_filing(preparer)
    with CaptureQueriesContext(connection) as queries:
        documents = current_documents(filing)
    assert sorted(documents) == sorted(KINDS)
    assert _document_subqueries(queries) == []


def test_replacing_a_document_reads_the_links_first(preparer: User, isolated_storage: Any) -> None:
    filing = complete_filing(preparer)
    with CaptureQueriesContext(connection) as queries:
        document_upload(
            actor=preparer, filing=filing, kind=KINDS[0], upload=Upload("new.jpg", image(9))
        )
    assert current_documents(filing)[KINDS[0]].original_name == "new.jpg"
    assert _document_subqueries(queries) == []


def test_a_new_filing_takes_over_the_documents_by_its_company_s_filing_ids(
    preparer: User, isolated_storage: Any
) -> None:
    first = complete_filing(preparer)
    with CaptureQueriesContext(connection) as queries:
        links = company_current_links(first.company_id, tuple(KINDS))
    assert sorted(link.kind for link in links) == sorted(KINDS)
    joined = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "filings_filingdocument"')
        and 'JOIN "filings_filing"' in q["sql"]
    ]
    assert joined == []


def test_the_company_desk_reads_the_documents_by_its_filing_ids(
    preparer: User, isolated_storage: Any
) -> None:
    filing = complete_filing(preparer)
    with CaptureQueriesContext(connection) as queries:
        company_desk(filing.company)
    links = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "filings_filingdocument"')
    ]
    assert links
    assert [sql for sql in links if "IN (SELECT" in sql or 'JOIN "filings_filing"' in sql] == []
