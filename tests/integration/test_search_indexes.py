"""Each admin search by credit code, RequestId or number reads an index (on PostgreSQL), and
finds the rows it found before.

The searched page is fetched through the admin; every query the search adds to the page (those
not on the unsearched page) is explained with sequential and plain index scans disabled, so the
planner uses an index wherever one can find the rows (a bitmap scan on its condition). A Seq Scan
that remains on a searched table means no index can find them: with 100k companies and 500k
submissions, that query reads every row.
"""

import json

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.builders import VALID_CODES, complete_filing
from tests.integration.test_audit_ui import answered
from tests.number_builders import add_numbers, mobiles

ON_POSTGRES = connection.vendor == "postgresql"
pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="EXPLAIN plans are read on PostgreSQL")
SEARCHED_TABLES = {
    "filings_company",
    "filings_filing",
    "filings_submission",
    "filings_auditevent",
    "filings_phonenumber",
}
CODE = VALID_CODES[1]
REQUEST_ID = "20261130120000A1B2C3D4E5F6A7B8C9D0E1"


@pytest.fixture
def data(preparer: User, reviewer: User) -> None:
    for code in VALID_CODES:
        filing = complete_filing(preparer, code=code)
        if code == CODE:
            answered(filing, reviewer, REQUEST_ID)
    add_numbers(preparer, filing.company, mobiles(3))


@pytest.fixture
def admin_client(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def page_queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in captured.captured_queries]


def scans(sql: str, *, by_index_condition: bool = False) -> list[tuple[str, str, str]]:
    """(node type, table, index) of every scan in the plan, sequential scans disabled; an index
    scan without an index condition (walking a whole index for its order) counts as a Seq Scan:
    it reads every row too. `by_index_condition` also disables plain index scans, so an index
    appears only where its condition finds the rows (a bitmap scan), never for an order alone."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        if by_index_condition:
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_indexonlyscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        (raw,) = cursor.fetchone()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    found, todo = [], [plan]
    while todo:
        node = todo.pop()
        todo += node.get("Plans", [])
        if "Scan" in node["Node Type"]:
            kind = node["Node Type"]
            if kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node:
                kind = "Seq Scan"
            found.append((kind, node.get("Relation Name", ""), node.get("Index Name", "")))
    return found


def search_scans(client: Client, model: str, term: str) -> list[tuple[str, str, str]]:
    """The scans of the queries a search adds to the list page of `model`."""
    url = reverse(f"admin:filings_{model}_changelist")
    plain = page_queries(client, url)
    added = [
        sql
        for sql in page_queries(client, f"{url}?q={term}")
        if sql not in plain and sql.lstrip().upper().startswith("SELECT")
    ]
    assert added, "the search added no query"
    return [scan for sql in added for scan in scans(sql, by_index_condition=True)]


def seq_scans(found: list[tuple[str, str, str]]) -> set[str]:
    return {table for node, table, _ in found if node == "Seq Scan" and table in SEARCHED_TABLES}


def indexes(found: list[tuple[str, str, str]]) -> set[str]:
    return {index for _, _, index in found if index}


@pytest.mark.postgres
@postgres_only
@pytest.mark.usefixtures("data")
@pytest.mark.parametrize("model", ["filing", "submission", "company", "auditevent"])
def test_a_search_by_credit_code_reads_the_credit_code_index(
    admin_client: Client, model: str
) -> None:
    found = search_scans(admin_client, model, CODE)
    assert not seq_scans(found), found
    assert any(index.startswith("filings_company_credit_code") for index in indexes(found)), found
    if model == "auditevent":  # the company's own events, by their target
        assert "auditevent_target" in indexes(found), found


@pytest.mark.postgres
@postgres_only
@pytest.mark.usefixtures("data")
@pytest.mark.parametrize("model", ["submission", "auditevent"])
def test_a_search_by_request_id_reads_the_request_id_index(
    admin_client: Client, model: str
) -> None:
    found = search_scans(admin_client, model, REQUEST_ID)
    assert not seq_scans(found), found
    assert any("provider_request_id" in index for index in indexes(found)), found


@pytest.mark.postgres
@postgres_only
@pytest.mark.usefixtures("data")
def test_a_search_by_number_reads_the_digits_index(admin_client: Client) -> None:
    found = search_scans(admin_client, "phonenumber", mobiles(1)[0])
    assert not seq_scans(found), found
    assert any(index.startswith("filings_phonenumber_digits") for index in indexes(found)), found


@pytest.mark.usefixtures("data")
@pytest.mark.parametrize(
    ("model", "term", "expected"),
    [
        ("filing", CODE, 1),
        ("company", CODE.lower(), 1),
        ("submission", REQUEST_ID, 1),
        ("submission", CODE, 1),
        ("company", "示例", 3),  # part of a name: searched as before
        ("submission", REQUEST_ID[:10], 1),  # part of a RequestId: searched as before
    ],
)
def test_the_searches_find_what_they_found_before(
    admin_client: Client, model: str, term: str, expected: int
) -> None:
    response = admin_client.get(reverse(f"admin:filings_{model}_changelist"), {"q": term})
    assert response.status_code == 200
    assert response.context["cl"].result_count == expected


@pytest.mark.postgres
@postgres_only
@pytest.mark.usefixtures("data")
def test_the_desk_finds_waiting_filings_by_the_status_and_state_since_index(
    admin_client: Client,
) -> None:
    """The reviewer's lists count, filter and sort waiting filings by the stored
    `Filing.state_since`: no submission read per filing, and the recent ones of each state
    found through an index on the status (the planner picks (status, state_since) or status
    alone, following the statistics earlier tests left), never by reading every filing."""
    queries = page_queries(admin_client, reverse("admin:index"))
    assert not [sql for sql in queries if '"filings_submission" U0' in sql]
    waiting = [sql for sql in queries if '"state_since" >=' in sql]
    assert len(waiting) == 3, "a recent count for each of the three waiting states"
    for sql in waiting:
        filings = [scan for scan in scans(sql) if scan[1] == "filings_filing"]
        assert filings, sql
        assert all(kind != "Seq Scan" for kind, _table, _index in filings), sql
        assert any("status" in index for *_, index in filings), sql
