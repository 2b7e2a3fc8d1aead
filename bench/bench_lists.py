"""List pages, the desk and the searches at scale, against bare ModelAdmin lists of the same tables.

`python bench/bench_lists.py [--quick]`; with DATABASE_URL set to a PostgreSQL server
(`source .ci/postgres.sh && start_postgres && DATABASE_URL=$PG_URL python bench/...`) the
benchmark makes a throwaway database on that server (dropped at the end) instead of SQLite.

Data (--quick: a tenth): 100k companies, 100k filings (with their documents, scripts and
document links), 500k submissions, 1M audit events, 200k numbers. A seed is made through the
services (bench/dataset.py's filings, sends and reviews; numbers added with
`services.numbers.numbers_add`), then replicated with bulk inserts (dataset.Replicator, each
copied event hashed onto the chain; numbers copied here). Copied submissions get RequestIds of
their own, as each real send has, so a search by RequestId finds one submission.

Pages, fetched through the full stack (test Client, every middleware, templates) as a superuser:
the filing, submission, audit, number and company lists, the desk (the admin home page), and the
searches by credit code (filings, submissions, audit trail, companies), by RequestId
(submissions, audit trail) and by number (numbers). Baseline, same process and database: a
throwaway AdminSite with a bare, view-only ModelAdmin per model, `list_display` the same model
columns (Django's automatic select_related for them), and for a search a `get_search_results`
that filters the one column exactly (the floor of finding those rows). The desk has no bare
counterpart; its baseline is the bare filing list. Portal and bare pages alternate, median of 9
(--quick: 5) after two warm-up fetches.

Targets: median <= 1.5x the bare page; SQL queries per page the same at a quarter of the rows and
at the full size; on PostgreSQL (tables analysed after the bulk inserts, as autovacuum would),
every query a search adds to its page (those not on the unsearched page) finds its rows in the
big tables through an index: no Seq Scan, and no index walked whole without a condition.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import time
import types
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import harness

TIME_TARGET = 1.50
FULL = {
    "companies": 100_000,
    "filings": 100_000,
    "submissions": 500_000,
    "events": 1_000_000,
    "numbers": 200_000,
}
SMALL_SHARE = 4
REPEATS = {"full": 9, "quick": 5}
SEED_NUMBERS = (3, 40)  # companies, numbers each, added through the service
NUMBER_STATES = ("live", "live", "live", "pending", "draft", "failed")
BATCH = 5000
BIG_TABLES = (
    "filings_company",
    "filings_filing",
    "filings_submission",
    "filings_auditevent",
    "filings_phonenumber",
    "filings_document",
    "filings_filingdocument",
)


# --- the database ------------------------------------------------------------------------------


def postgres_database(url: str) -> str:
    """A throwaway database on the server DATABASE_URL names; dropped when the process exits."""
    import psycopg

    parts = urlsplit(url)
    name = f"portal_bench_lists_{os.getpid()}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return urlunsplit(parts._replace(path=f"/{name}"))


def start_postgres() -> str:
    """A throwaway PostgreSQL cluster (.ci/postgres.sh, as CI starts one; needs root and the
    Debian server packages), stopped when the process exits. Returns its URL."""
    script = harness.REPO / ".ci" / "postgres.sh"
    shown = subprocess.run(
        ["bash", "-c", f'source "{script}" >&2 && start_postgres >&2 && echo "$PG_URL $PG_DIR"'],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    url, folder = shown[-2], shown[-1]

    def stop() -> None:
        subprocess.run(
            [
                "bash",
                "-c",
                f'source "{script}" && PG_DIR="{folder}" PG_BIN="$(pg_bin)" stop_postgres',
            ],
            check=False,
        )

    atexit.register(stop)
    return url


def analyze() -> None:
    """PostgreSQL: table statistics, as autovacuum keeps them after the bulk inserts."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


# --- the data ----------------------------------------------------------------------------------


def seed_numbers(people: dict[str, Any]) -> int:
    """Numbers of a few companies, added through the service (one audit event per call)."""
    from filings.models import Company, PhoneNumber
    from tests.number_builders import add_numbers, mobiles

    companies, each = SEED_NUMBERS
    for index, company in enumerate(Company.objects.order_by("pk")[:companies]):
        add_numbers(people["preparer"], company, mobiles(each, start=index * each, prefix="137"))
    return PhoneNumber.objects.count()


class Grower:
    """dataset.Replicator: filings, submissions, events; here: numbers, links, RequestIds."""

    def __init__(self) -> None:
        import dataset

        from filings.models import PhoneNumber

        self.replicator = dataset.Replicator()
        self.seed_numbers = list(PhoneNumber.objects.order_by("pk"))
        self.numbers = len(self.seed_numbers)
        self.fixed_submission = 0  # submissions up to this id have their own RequestIds
        self.linked_document = 0  # documents up to this id have their FilingDocument link

    def grow(self, sizes: dict[str, int]) -> None:
        from django.test.utils import override_settings

        # DEBUG's query log would keep every bulk INSERT's SQL and parameters.
        with override_settings(DEBUG=False):
            self.replicator.companies_for(4 * sizes["companies"])  # it makes n_filings // 4
            self.replicator.grow(sizes)
            self.links()
            self.request_ids()
            self.phone_numbers(sizes["numbers"])
        analyze()

    def links(self) -> None:
        """Each copied document is sent by the filing it was copied into (FilingDocument), so the
        filing list's document count reads real links, as it does for the seed."""
        from django.db import connection, transaction

        from filings.models import Document, FilingDocument

        last = Document.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        sql = (
            f"INSERT INTO {FilingDocument._meta.db_table} "  # noqa: S608  (table names only)
            "(filing_id, document_id, kind, part, added_at, removed_at) "
            "SELECT d.filing_id, d.id, d.kind, d.part, d.uploaded_at, d.superseded_at "
            f"FROM {Document._meta.db_table} d WHERE d.id > %s AND d.id <= %s AND NOT EXISTS "
            f"(SELECT 1 FROM {FilingDocument._meta.db_table} l WHERE l.document_id = d.id)"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [self.linked_document, last])
        self.linked_document = last

    def request_ids(self) -> None:
        """Copied submissions repeat the seed's RequestIds: give each its own (time + id)."""
        from django.db.models import CharField, F, Value
        from django.db.models.functions import Cast, Concat, LPad, Substr

        from filings.models import Submission

        def own(field: str) -> Any:
            return Concat(Substr(F(field), 1, 14), LPad(Cast("pk", CharField()), 20, Value("0")))

        copies = Submission.objects.filter(pk__gt=self.fixed_submission)
        copies.exclude(provider_request_id="").update(
            provider_request_id=own("provider_request_id")
        )
        copies.exclude(result_request_id="").update(result_request_id=own("result_request_id"))
        self.fixed_submission = Submission.objects.order_by("-pk").values_list("pk", flat=True)[0]

    def phone_numbers(self, total: int) -> None:
        import dataset
        from django.db import transaction

        from filings.models import PhoneNumber

        companies = self.replicator.companies
        with dataset.own_timestamps(PhoneNumber):
            while self.numbers < total:
                n = min(BATCH, total - self.numbers)
                rows = []
                for i in range(self.numbers, self.numbers + n):
                    source = self.seed_numbers[i % len(self.seed_numbers)]
                    when = dataset.EPOCH + timedelta(minutes=7 * i)
                    rows.append(
                        PhoneNumber(
                            **dataset._row(
                                source,
                                company_id=companies[i % len(companies)].pk,
                                digits=f"139{i:08d}",
                                state=NUMBER_STATES[i % len(NUMBER_STATES)],
                                created_at=when,
                                updated_at=when,
                            )
                        )
                    )
                with transaction.atomic():
                    PhoneNumber.objects.bulk_create(rows, batch_size=BATCH)
                self.numbers += n

    def counts(self) -> dict[str, int]:
        from filings.models import AuditEvent, Company, Filing, PhoneNumber, Submission

        return {
            "companies": Company.objects.count(),
            "filings": Filing.objects.count(),
            "submissions": Submission.objects.count(),
            "events": AuditEvent.objects.count(),
            "numbers": PhoneNumber.objects.count(),
        }


# --- the bare admin sites ----------------------------------------------------------------------

# model: the bare list's columns (model fields; FKs whose __str__ reads no other row)
BARE_COLUMNS = {
    "Filing": ["id", "company", "status", "created_by", "updated_at"],
    "Submission": [
        "started_at",
        "actor",
        "filing_id",
        "outcome",
        "http_status",
        "provider_request_id",
    ],
    "AuditEvent": ["seq", "created_at", "actor_username", "kind", "target_type", "target_id"],
    "PhoneNumber": ["digits", "company", "state", "script_scene", "updated_at"],
    "Company": ["name", "credit_code", "created_at"],
    "Document": ["kind", "part", "original_name", "size", "uploaded_at"],
}
# site: model: the one lookup its search filters on
BARE_SEARCH = {
    "bare": {
        "Filing": "company__credit_code",
        "Submission": "filing__company__credit_code",
        "AuditEvent": "filing__company__credit_code",
        "PhoneNumber": "digits__startswith",
        "Company": "credit_code",
        "Document": "sha256",
    },
    "bare_rid": {
        "Submission": "provider_request_id",
        "AuditEvent": "filing__submissions__provider_request_id",
    },
}


def install_urls() -> None:
    """The portal's URLs plus /bare/ and /bare-rid/: throwaway AdminSites with bare ModelAdmins."""
    from django.conf import settings
    from django.contrib import admin
    from django.urls import path

    import portal.urls
    from filings import models

    def bare_admin(model_name: str, lookup: str) -> type:
        def get_search_results(
            self: Any, request: Any, queryset: Any, search_term: str
        ) -> tuple[Any, bool]:
            term = search_term.strip()
            return (queryset.filter(**{lookup: term}) if term else queryset), False

        def no(self: Any, request: Any, obj: Any = None) -> bool:
            return False

        # View-only, as a read-only page (no form widgets listing every company or user).
        return type(
            f"Bare{model_name}Admin",
            (admin.ModelAdmin,),
            {
                "list_display": BARE_COLUMNS[model_name],
                "search_fields": [lookup],  # shows the box; get_search_results does the work
                "get_search_results": get_search_results,
                "has_add_permission": no,
                "has_change_permission": no,
                "has_delete_permission": no,
            },
        )

    urlpatterns = []
    for name, searches in BARE_SEARCH.items():
        site = harness.bare_admin_site(name)
        for model_name, lookup in searches.items():
            site.register(getattr(models, model_name), bare_admin(model_name, lookup))
        urlpatterns.append(path(f"{name.replace('_', '-')}/", site.urls))
    module = types.ModuleType("bench_lists_urls")
    module.urlpatterns = [*urlpatterns, *portal.urls.urlpatterns]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__


# --- the pages ---------------------------------------------------------------------------------


def search_terms() -> dict[str, str]:
    """A credit code, a RequestId and a number that exist, from the middle of each table."""
    from filings.models import Company, PhoneNumber, Submission

    def middle(queryset: Any, field: str) -> str:
        count = queryset.count()
        return str(queryset.order_by("pk").values_list(field, flat=True)[count // 2])

    company = Company.objects.filter(filings__submissions__isnull=False)
    return {
        "credit": middle(company.distinct(), "credit_code"),
        "rid": middle(Submission.objects.exclude(provider_request_id=""), "provider_request_id"),
        "number": middle(PhoneNumber.objects.all(), "digits"),
    }


def pages(terms: dict[str, str]) -> dict[str, tuple[str, str, str]]:
    """name: (portal URL, bare URL, table) for every page measured."""
    from django.urls import reverse

    def lists(model: str, site: str = "bare") -> tuple[str, str]:
        name = f"admin:filings_{model}_changelist"
        return reverse(name), reverse(name, current_app=site)

    def searched(model: str, term: str, site: str = "bare") -> tuple[str, str]:
        portal, bare = lists(model, site)
        query = "?" + urlencode({"q": term})
        return portal + query, bare + query

    return {
        "filing_list": (*lists("filing"), "filings"),
        "submission_list": (*lists("submission"), "submissions"),
        "auditevent_list": (*lists("auditevent"), "events"),
        "phonenumber_list": (*lists("phonenumber"), "numbers"),
        "company_list": (*lists("company"), "companies"),
        "desk": (reverse("admin:index"), lists("filing")[1], "filings"),
        "filing_search_credit_code": (*searched("filing", terms["credit"]), "filings"),
        "submission_search_credit_code": (*searched("submission", terms["credit"]), "submissions"),
        "submission_search_requestid": (
            *searched("submission", terms["rid"], "bare_rid"),
            "submissions",
        ),
        "auditevent_search_credit_code": (*searched("auditevent", terms["credit"]), "events"),
        "auditevent_search_requestid": (
            *searched("auditevent", terms["rid"], "bare_rid"),
            "events",
        ),
        "phonenumber_search_number": (*searched("phonenumber", terms["number"]), "numbers"),
        "company_search_credit_code": (*searched("company", terms["credit"]), "companies"),
    }


def client() -> Any:
    from django.contrib.auth.models import User
    from django.test import Client

    browser = Client()
    browser.force_login(User.objects.get(username="root"))
    return browser


def fetcher(browser: Any, url: str) -> Callable[[], int]:
    def get() -> int:
        response = browser.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(response.content)

    return get


def captured(get: Callable[[], int]) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        get()
    return [query["sql"] for query in queries.captured_queries]


def plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += plan_nodes(child)
    return nodes


def explain(sql: str) -> list[tuple[str, str]]:
    """(table, index) of each scan in the plan of `sql`; the index is "Seq Scan" where the
    table is read whole: a Seq Scan, or an index walked without a condition (for its order)."""
    import json

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        (raw,) = cursor.fetchone()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    found = []
    for node in plan_nodes(plan):
        kind, table = node["Node Type"], node.get("Relation Name")
        if "Scan" not in kind or table is None:
            continue  # a Bitmap Index Scan: its Bitmap Heap Scan names the table
        if kind == "Bitmap Heap Scan":
            names = [n["Index Name"] for n in plan_nodes(node) if "Index Name" in n]
            found.append((table, "+".join(names)))
        elif kind in ("Index Scan", "Index Only Scan") and "Index Cond" in node:
            found.append((table, node["Index Name"]))
        else:
            found.append((table, "Seq Scan"))
    return found


def search_plans(unsearched: list[str], searched: list[str]) -> list[tuple[str, str]]:
    """(table, index or "Seq Scan") of the big tables' scans in the queries a search adds."""
    found = []
    for sql in searched:
        if sql in unsearched or not sql.lstrip().upper().startswith("SELECT"):
            continue
        found += [(table, index) for table, index in explain(sql) if table in BIG_TABLES]
    return found


# --- main ----------------------------------------------------------------------------------------


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0])
    size = "quick" if args.quick else "full"
    full = {name: value // 10 for name, value in FULL.items()} if args.quick else dict(FULL)
    small = {name: value // SMALL_SHARE for name, value in full.items()}
    given_url = os.environ.get("DATABASE_URL", "")
    env = {"DATABASE_URL": postgres_database(given_url)} if given_url else {}
    var = harness.temp_dir("lists")
    harness.setup_django(var, env=env)
    harness.migrate()
    import dataset
    from django.db import connection

    harness.info(harness.machine())
    clock = time.perf_counter()
    seeded = dataset.seed(dataset.SEED_FILINGS[size])
    seeded["numbers"] = seed_numbers(dataset.users())
    seed_seconds = time.perf_counter() - clock
    harness.info(
        f"database {connection.vendor}; seed through the services: {seeded} in {seed_seconds:.1f}s"
    )
    install_urls()
    grower = Grower()
    pages_at: dict[str, dict[str, tuple[str, str, str]]] = {}
    queries: dict[str, dict[str, tuple[int, int]]] = {}
    for label, sizes in (("small", small), ("full", full)):
        clock = time.perf_counter()
        grower.grow(sizes)
        harness.info(f"{label}: {grower.counts()} replicated in {time.perf_counter() - clock:.0f}s")
        browser = client()
        terms = search_terms()
        pages_at[label] = pages(terms)
        for page, (portal_url, bare_url, _) in pages_at[label].items():
            get_portal, get_bare = fetcher(browser, portal_url), fetcher(browser, bare_url)
            get_portal(), get_bare()  # warm caches (templates, content types, permissions)
            queries.setdefault(page, {})[label] = (
                len(captured(get_portal)),
                len(captured(get_bare)),
            )

    browser = client()
    pages_full = pages_at["full"]
    harness.info(found(terms))
    for page, (portal_url, bare_url, table) in pages_full.items():
        get_portal, get_bare = fetcher(browser, portal_url), fetcher(browser, bare_url)
        with harness.gc_paused():
            times = harness.interleaved(
                {"portal": get_portal, "bare": get_bare}, REPEATS[size], warmup=2
            )
        harness.figure(
            f"list_{page}_{harness.rows(full[table])}",
            harness.median(times["portal"]),
            harness.median(times["bare"]),
            TIME_TARGET,
            labels=("portal", "bare"),
            note=f"median of {REPEATS[size]}, {connection.vendor}, {portal_url}"
            + (" vs the bare filing list" if page == "desk" else ""),
        )
    for page, (_, _, table) in pages_full.items():
        (portal_small, bare_small), (portal_full, bare_full) = (
            queries[page]["small"],
            queries[page]["full"],
        )
        harness.figure(
            f"list_{page}_queries",
            portal_full,
            portal_small,
            1.0,
            show=lambda n: f"{n:.0f}",
            labels=(f"{harness.rows(full[table])} rows", f"{harness.rows(small[table])} rows"),
            note=f"SQL queries per page; bare: {bare_small} and {bare_full}",
        )
    if connection.vendor == "postgresql":
        explain_searches(browser, pages_full)
    else:
        harness.info("EXPLAIN of the searches: run with DATABASE_URL=postgres://... for it")
    return 0


def found(terms: dict[str, str]) -> str:
    """What each search term names (the bare lookups, counted), so a search never finds nothing."""
    from filings.models import AuditEvent, Filing, PhoneNumber, Submission

    credit, rid = terms["credit"], terms["rid"]
    counts = {
        "filings": Filing.objects.filter(company__credit_code=credit).count(),
        "submissions": Submission.objects.filter(filing__company__credit_code=credit).count(),
        "events": AuditEvent.objects.filter(filing__company__credit_code=credit).count(),
        "submissions with the RequestId": Submission.objects.filter(
            provider_request_id=rid
        ).count(),
        "numbers": PhoneNumber.objects.filter(digits__startswith=terms["number"]).count(),
    }
    assert all(counts.values()), counts
    return f"search terms {terms}; the bare lookups find " + ", ".join(
        f"{n} {what}" for what, n in counts.items()
    )


def explain_searches(browser: Any, pages_full: dict[str, tuple[str, str, str]]) -> None:
    """Each search page's added queries under EXPLAIN: every scan of a big table by an index."""
    for page, (portal_url, _, _) in pages_full.items():
        if "_search_" not in page:
            continue
        base = portal_url.split("?", 1)[0]
        unsearched = captured(fetcher(browser, base))
        found = search_plans(unsearched, captured(fetcher(browser, portal_url)))
        whole = sorted({table for table, index in found if index == "Seq Scan"})
        indexes = sorted({index for _, index in found if index != "Seq Scan"})
        harness.figure(
            f"explain_{page}",
            len(found) - sum(1 for _, index in found if index == "Seq Scan"),
            len(found),
            1.0,
            show=lambda n: f"{n:.0f}",
            at_least=True,
            labels=("scans by index", "of big-table scans"),
            note=f"indexes: {', '.join(indexes) or 'none'}"
            + (f"; read whole: {', '.join(whole)}" if whole else ""),
            ok=bool(found) and not whole,
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
    sys.exit(0)
