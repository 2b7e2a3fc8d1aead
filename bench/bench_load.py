"""Fifty simulated users for 60 s doing the daily mix on gunicorn + PostgreSQL, against the same
load on bare ModelAdmin pages of the same tables.

`python bench/bench_load.py [--quick]` with DATABASE_URL naming a PostgreSQL server (a throwaway
database is made on it and dropped at the end); without it, a throwaway cluster is started with
.ci/postgres.sh (as root, as CI does) and stopped at the end. --quick: 20 users for 20 s on a
tenth of the data.

Data: bench_lists.py's, at a tenth of its sizes (10k companies and filings, 50k submissions,
100k audit events, 20k numbers; --quick: a hundredth): a seed made through the services
(filings with real stored images, sends, reviews, numbers), replicated with bulk inserts; the
audit chain anchored once, as the daily anchor job does, so an export verifies the events since.

Server: `gunicorn` with 4 sync workers on a loopback port, the portal's production settings
(DEBUG off; SECRET_KEY, AUDIT_CHAIN_KEY and PORTAL_MEDIA_KEYS generated for this run and never
written anywhere but the processes' environment; static files collected first; images in the
encrypted filesystem storage). The WSGI application is the portal's, with two throwaway admin
sites of bare ModelAdmins (bench_lists.install_urls) beside it.

Load: locust, headless, on 127.0.0.1 only, for a fixed time; each simulated user signed in as a
superuser, waiting 1-3 s between tasks (bench/locustfile.py): lists of filings, submissions,
audit events and numbers; the desk; a filing's review page and its documents page with their
thumbnails (the seed filings, whose images are real); searches by credit code, RequestId and
number; a CSV export of one company's submissions. The baseline run replaces each page with the
bare page of the same table (a list, a search by the same column, a filing's read-only page; the
same thumbnails; the export by the bare list of the same rows); the desk by the bare filing list.

Figures: p95 response time of all requests, portal against bare (target <= 1.5x); failed
requests (target 0); requests per second of each run (reported).
"""

from __future__ import annotations

import base64
import csv
import html
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import harness

TARGET = 1.50
LOAD = {"full": (50, 60), "quick": (20, 20)}  # users, seconds
SIZES = {"full": 10, "quick": 100}  # bench_lists.FULL divided by this
WORKERS = 4
IMAGE = re.compile(r'<img[^>]+src="(/documents/[^"]+)"')


def throwaway_secrets() -> dict[str, str]:
    """Production-grade secrets for this run only (the settings refuse short or known ones)."""
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_CHAIN_KEY": secrets.token_urlsafe(40),
        "PORTAL_MEDIA_KEYS": f"bench:{key}",
    }


def server() -> Any:
    """The WSGI application gunicorn serves (`bench_load:server()`): the portal's, plus the
    bare admin sites. Runs in the gunicorn workers, with the environment bench_load gives them."""
    import django

    django.setup()
    import bench_lists

    bench_lists.install_urls()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the plan ------------------------------------------------------------------------------------


def session_key() -> str:
    """A signed-in session of the superuser, stored in the database both processes share."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    user = User.objects.get(username="root")
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def images_of(browser: Any, url: str) -> list[str]:
    """The thumbnails a browser fetches with the page at `url`."""
    response = browser.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [html.unescape(src) for src in IMAGE.findall(response.content.decode())]


def plan() -> dict[str, Any]:
    """For each task of the mix: pages as {portal, bare, images}."""
    import bench_lists
    from django.urls import reverse

    from filings.models import Document, Filing

    terms = bench_lists.search_terms()
    searched = bench_lists.pages(terms)
    lists = {
        "filing list": "filing_list",
        "submission list": "submission_list",
        "audit list": "auditevent_list",
        "number list": "phonenumber_list",
        "desk": "desk",
    }
    tasks: dict[str, list[dict[str, Any]]] = {
        name: [{"portal": searched[page][0], "bare": searched[page][1]}]
        for name, page in lists.items()
    }
    tasks["search"] = [
        {"portal": searched[page][0], "bare": searched[page][1]}
        for page in (
            "filing_search_credit_code",
            "submission_search_requestid",
            "phonenumber_search_number",
        )
    ]
    browser = bench_lists.client()
    with_images = Filing.objects.filter(
        pk__in=Document.objects.exclude(storage_key=None)
        .filter(filing__kind=Filing.Kind.COMPANY)
        .values("filing")
    ).order_by("pk")[:12]
    tasks["review page"], tasks["documents page"] = [], []
    for filing in with_images:
        review = reverse("admin:filings_filing_review", args=[filing.pk])
        documents = reverse("admin:filings_filing_documents", args=[filing.pk])
        bare_filing = reverse("admin:filings_filing_change", args=[filing.pk], current_app="bare")
        bare_documents = reverse("admin:filings_document_changelist", current_app="bare")
        tasks["review page"].append(
            {"portal": review, "bare": bare_filing, "images": images_of(browser, review)}
        )
        tasks["documents page"].append(
            {
                "portal": documents,
                "bare": f"{bare_documents}?filing__id__exact={filing.pk}",
                "images": images_of(browser, documents),
            }
        )
    export = reverse("admin:filings_submission_export", args=["csv"])
    query = "?" + urlencode({"q": terms["credit"]})
    tasks["export"] = [
        {"portal": export + query, "bare": searched["submission_search_credit_code"][1]}
    ]
    assert all(t.get("images") for t in tasks["review page"]), "review pages without thumbnails"
    return {"session": session_key(), "tasks": tasks}


# --- the server and the load ---------------------------------------------------------------------


def server_env(base: dict[str, str]) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DEBUG", "VOLC_SANDBOX_ENABLED")
    }
    env.update(base)
    env.update(
        {
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "PYTHONPATH": str(harness.REPO / "bench"),
            "LOG_LEVEL": "WARNING",
        }
    )
    env.pop("VOLC_SANDBOX_ENABLED", None)
    return env


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=harness.REPO,
        env=env,
        check=True,
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [
            str(gunicorn),
            "bench_load:server()",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=harness.REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            answer = requests.get(
                f"http://127.0.0.1:{port}/health/",
                headers={"X-Forwarded-Proto": "https"},
                timeout=2,
            )
            if answer.status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError("gunicorn did not answer /health/ in 60 s")


def warm_up(the_plan: dict[str, Any], port: int) -> int:
    """Every URL of the plan once, each side, as the simulated users send it: each must answer
    200 itself (no redirect to the login page), and every gunicorn worker has then started."""
    import requests

    headers = {
        "X-Forwarded-Proto": "https",
        "Accept-Language": "zh-hans",
        "Cookie": f"sessionid={the_plan['session']}",
    }
    fetched = 0
    with requests.Session() as browser:
        for pages in the_plan["tasks"].values():
            for page in pages:
                for url in [page["portal"], page["bare"], *page.get("images", [])]:
                    answer = browser.get(
                        f"http://127.0.0.1:{port}{url}",
                        headers=headers,
                        allow_redirects=False,
                        timeout=120,
                    )
                    assert answer.status_code == 200, (url, answer.status_code)
                    fetched += 1
    return fetched


def locust(side: str, plan_file: Path, port: int, users: int, seconds: int, out: Path) -> dict:
    prefix = out / side
    env = {**os.environ, "BENCH_LOAD_PLAN": str(plan_file), "BENCH_LOAD_SIDE": side}
    subprocess.run(
        [
            str(Path(sys.executable).with_name("locust")),
            "-f",
            str(Path(__file__).with_name("locustfile.py")),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "10",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=(out / f"{side}.log").open("wb"),
        timeout=seconds + 120,
    )
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    return rows


def summary(rows: dict[str, dict[str, str]]) -> dict[str, float]:
    total = rows["Aggregated"]
    return {
        "p95": float(total["95%"]) / 1000,
        "median": float(total["50%"]) / 1000,
        "requests": float(total["Request Count"]),
        "failures": float(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
    }


# --- main ----------------------------------------------------------------------------------------


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0])
    size = "quick" if args.quick else "full"
    users, seconds = LOAD[size]
    import bench_lists

    given = os.environ.get("DATABASE_URL") or bench_lists.start_postgres()
    database = bench_lists.postgres_database(given)
    keys = throwaway_secrets()
    var = harness.temp_dir("load")
    harness.setup_django(var, env={"DATABASE_URL": database, **keys})
    harness.migrate()
    import dataset

    from filings.services.anchoring import audit_anchor

    harness.info(harness.machine())
    clock = time.perf_counter()
    dataset.seed(dataset.SEED_FILINGS[size])
    bench_lists.seed_numbers(dataset.users())
    bench_lists.install_urls()
    grower = bench_lists.Grower()
    grower.grow({name: n // SIZES[size] for name, n in bench_lists.FULL.items()})
    audit_anchor()
    harness.info(
        f"data on PostgreSQL: {grower.counts()}, made in {time.perf_counter() - clock:.0f}s"
    )
    the_plan = plan()
    plan_file = var / "plan.json"
    plan_file.write_text(json.dumps(the_plan))
    from django.db import connections

    connections.close_all()
    port = free_port()
    env = server_env({"DATABASE_URL": database, "PORTAL_VAR_DIR": str(var), **keys})
    process = start_gunicorn(env, port, var / "gunicorn.log")
    results: dict[str, dict[str, dict[str, str]]] = {}
    try:
        harness.info(
            f"gunicorn portal.wsgi (+ bare sites), {WORKERS} sync workers on 127.0.0.1:{port}, "
            f"DEBUG off; locust {users} users, {seconds}s each side, think time 1-3 s"
        )
        clock = time.perf_counter()
        fetched = warm_up(the_plan, port)
        harness.info(f"warm-up: {fetched} URLs, each 200, in {time.perf_counter() - clock:.0f}s")
        for side in ("bare", "portal"):
            results[side] = locust(side, plan_file, port, users, seconds, var)
    finally:
        process.terminate()
        process.wait(timeout=30)
    portal, bare = summary(results["portal"]), summary(results["bare"])
    harness.figure(
        f"load_{users}_users_{seconds}s_p95",
        portal["p95"],
        bare["p95"],
        TARGET,
        labels=("portal", "bare"),
        note=(
            f"all requests; median {harness.seconds(portal['median'])} vs "
            f"{harness.seconds(bare['median'])}; {portal['rps']:.1f} vs {bare['rps']:.1f} "
            f"requests/s ({portal['requests']:.0f} vs {bare['requests']:.0f} requests)"
        ),
    )
    failures = portal["failures"] + bare["failures"]
    harness.figure(
        f"load_{users}_users_{seconds}s_errors",
        portal["failures"],
        portal["requests"],
        0.0,
        show=lambda n: f"{n:.0f}",
        labels=("failed", "of requests"),
        note=f"bare run: {bare['failures']:.0f} failed of {bare['requests']:.0f}",
        ok=failures == 0,
    )
    harness.info(
        f"requests per second: portal {portal['rps']:.1f}, bare {bare['rps']:.1f} "
        f"({portal['rps'] / bare['rps']:.2f}x)"
    )
    for name in sorted(set(results["portal"]) - {"Aggregated"}):
        mine, theirs = results["portal"][name], results["bare"].get(name)
        if theirs is None:
            continue
        harness.info(
            f"{name}: p95 {mine['95%']} ms vs {theirs['95%']} ms, median {mine['50%']} vs "
            f"{theirs['50%']} ms, {mine['Request Count']} vs {theirs['Request Count']} "
            f"requests, {mine['Failure Count']} vs {theirs['Failure Count']} failed"
        )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
    sys.exit(0)
