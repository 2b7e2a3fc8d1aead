"""Admin changelists (filings, submissions, audit trail) against bare ModelAdmin changelists.

`python bench/bench_admin.py [--quick]`. Each page is fetched through the full Django stack
(test Client, every middleware, template rendered) as a superuser. The baseline is a throwaway
AdminSite registered here, in the same process and database: a bare `ModelAdmin` per model with
only `list_display` set to the same model columns the portal shows (no filters, annotations,
search, date hierarchy or custom methods). The default `list_display = ("__str__",)` is not used
because Filing.__str__ reads the company, which would add one query per row to the baseline.

Targets: median time <= 1.5x the bare page; SQL queries per page the same at the small size (a
quarter of the rows) and at the full size.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import harness

TIME_TARGET = 1.50
REPEATS = {"full": 15, "quick": 7}
PAGES = {  # name: (model, table size key, bare list_display)
    "filing": ("Filing", "filings", ["id", "company", "status", "created_by", "updated_at"]),
    "submission": (
        "Submission",
        "submissions",
        ["started_at", "actor", "filing", "outcome", "http_status", "provider_request_id"],
    ),
    "auditevent": (
        "AuditEvent",
        "events",
        ["seq", "created_at", "actor_username", "kind", "target_type", "target_id", "filing_id"],
    ),
}


def install_urls() -> None:
    """The portal's URLs plus /bare/: the throwaway AdminSite with bare ModelAdmins."""
    from django.conf import settings
    from django.contrib import admin
    from django.urls import path

    import portal.urls
    from filings import models

    bare = harness.bare_admin_site("bare")
    for model_name, _, columns in PAGES.values():
        bare.register(
            getattr(models, model_name),
            type(f"Bare{model_name}Admin", (admin.ModelAdmin,), {"list_display": columns}),
        )
    module = types.ModuleType("bench_admin_urls")
    module.urlpatterns = [path("bare/", bare.urls), *portal.urls.urlpatterns]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__


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


def urls(page: str) -> tuple[str, str]:
    from django.urls import reverse

    name = f"admin:filings_{page}_changelist"
    return reverse(name), reverse(name, current_app="bare")


def queries(get: Callable[[], int]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        get()
    return len(captured.captured_queries)


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0])
    import dataset

    size = "quick" if args.quick else "full"
    data_dir, meta = dataset.ensure(args.quick)
    var = harness.temp_dir("admin")
    db = harness.setup_django(var)
    small_db = var / "small.sqlite3"
    harness.copy_database(data_dir / "full.sqlite3", db)
    harness.copy_database(data_dir / "small.sqlite3", small_db)
    harness.info(harness.machine())
    harness.info(dataset.describe(meta))
    install_urls()

    counts: dict[str, dict[str, tuple[int, int]]] = {}
    for name, path in (("small", small_db), ("full", db)):
        harness.use_database(Path(path))
        browser = client()
        for page in PAGES:
            portal_url, bare_url = urls(page)
            get_portal, get_bare = fetcher(browser, portal_url), fetcher(browser, bare_url)
            get_portal(), get_bare()  # warm caches (templates, content types, permissions)
            counts.setdefault(page, {})[name] = (queries(get_portal), queries(get_bare))

    harness.use_database(db)
    browser = client()
    for page, (_, table, _) in PAGES.items():
        rows = meta.sizes["full"][table]
        portal_url, bare_url = urls(page)
        with harness.gc_paused():
            times = harness.interleaved(
                {"portal": fetcher(browser, portal_url), "bare": fetcher(browser, bare_url)},
                REPEATS[size],
                warmup=2,
            )
        harness.figure(
            f"admin_{page}_changelist_{harness.rows(rows)}",
            harness.median(times["portal"]),
            harness.median(times["bare"]),
            TIME_TARGET,
            labels=("portal", "bare"),
            note=f"median of {REPEATS[size]}, {portal_url}",
        )
    for page, (_, table, _) in PAGES.items():
        small_rows = harness.rows(meta.sizes["small"][table])
        full_rows = harness.rows(meta.sizes["full"][table])
        (portal_small, bare_small), (portal_full, bare_full) = (
            counts[page]["small"],
            counts[page]["full"],
        )
        harness.figure(
            f"admin_{page}_queries",
            portal_full,
            portal_small,
            1.0,
            show=lambda n: f"{n:.0f}",
            labels=(f"{full_rows} rows", f"{small_rows} rows"),
            note=f"SQL queries per page; bare ModelAdmin: {bare_small} and {bare_full}",
        )
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
