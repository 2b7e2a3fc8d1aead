"""Bulk send of approved filings by task workers: two `db_worker` processes against one.

`python bench/bench_bulk_send.py [--quick]` (run_all.py --scale). Forty filings are made and
approved through the services (tests/builders.py, as bench_send.py does), then replicated with
bulk inserts (documents, links and scripts copied; each copy's approval hash still holds): N
for the one-worker run and N more for the two-worker run (N = 1,000; --quick: 60). Each run is
started through the service (`filings.bulk.services.bulk_run_start`, runs of at most 500 items)
once the workers have emptied the queue of older tasks; the time is from the first run's start
to the last run's end. The
workers are real `manage.py db_worker` processes (as tests/workers.py starts them) on the same
SQLite file, sending to the built-in sandbox (`filings.demo.sandbox_server()`, wsgiref on a
loopback port, in this process) with VOLC_MAX_REQUESTS_PER_SECOND raised to 1000 so the shared
pace does not set the rate.

BENCH_BULK_QUICK=N sets the --quick size (default 60). With DATABASE_URL naming a PostgreSQL
server, a throwaway database is made on it (and dropped at the end) instead of SQLite
(`source .ci/postgres.sh && start_postgres && DATABASE_URL=$PG_URL python bench/...`).

Figures: throughput of two workers against one (target >= 1.6x); the sandbox's request count
against the filings (exactly N, every item done). Then, over a sample of more filings sent by
a worker in this process (`db_worker --batch` through call_command), the database's part of
each send: SQL statements and time inside them per item, against the whole item.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import harness

TARGET = 1.60
FILINGS = {"full": 1000, "quick": int(os.environ.get("BENCH_BULK_QUICK", "60"))}
SAMPLE = {"full": 40, "quick": 10}
SEEDS = {"full": 40, "quick": 12}  # made through the services, then replicated
RUN_LIMIT = 500  # filings.bulk.services.MAX_ITEMS
RATE = "1000"


def replicate_approved(sources: list[Any], total: int) -> list[Any]:
    """Copies of approved filings (made through the services) up to `total`, as dataset.py
    replicates: new keys and UUIDs, each current document copied with its link, the scripts
    copied; the content (fields, documents' SHA-256 and names) is the source's, so each copy's
    approval hash holds (checked on a sample)."""
    import uuid

    from dataset import _row
    from django.db import transaction

    from filings.content import content_hash, current_links
    from filings.models import CallScript, Document, Filing

    links: dict[int, list[Any]] = {source.pk: [] for source in sources}
    for link in current_links(filing__in=sources).select_related("document"):
        links[link.filing_id].append(link)
    scripts: dict[int, list[Any]] = {source.pk: [] for source in sources}
    for script in CallScript.objects.filter(filing__in=sources):
        scripts[script.filing_id].append(script)
    made = list(sources)
    while len(made) < total:
        batch = [sources[i % len(sources)] for i in range(len(made), min(total, len(made) + 200))]
        with transaction.atomic():
            copies = Filing.objects.bulk_create(
                [Filing(**_row(source, uuid=uuid.uuid4())) for source in batch]
            )
            documents, pending_links, new_scripts = [], [], []
            for source, copy in zip(batch, copies, strict=True):
                for link in links[source.pk]:
                    document = link.document
                    key = f"filings/{copy.uuid}/{document.kind}/{uuid.uuid4()}.jpg"
                    documents.append(
                        Document(
                            **_row(document, uuid=uuid.uuid4(), filing_id=copy.pk, storage_key=key)
                        )
                    )
                    pending_links.append((link, copy))
                new_scripts += [
                    CallScript(**_row(script, filing_id=copy.pk)) for script in scripts[source.pk]
                ]
            documents = Document.objects.bulk_create(documents)
            link_model = type(links[sources[0].pk][0])
            link_model.objects.bulk_create(
                [
                    link_model(**_row(link, filing_id=copy.pk, document_id=document.pk))
                    for (link, copy), document in zip(pending_links, documents, strict=True)
                ]
            )
            CallScript.objects.bulk_create(new_scripts)
        made += copies
    for copy in made[len(sources) :: max(1, (total - len(sources)) // 20)]:
        copy.refresh_from_db()
        assert content_hash(copy) == copy.approved_hash, copy.pk
    return made


def worker(name: str, endpoint: str, log: Path) -> subprocess.Popen[str]:
    """A `manage.py db_worker` on this benchmark's database (PORTAL_VAR_DIR) and sandbox.

    Its output goes to a file: a pipe nobody reads fills after a hundred tasks' log lines and
    the worker blocks writing the next one."""
    env = {
        **os.environ,
        "VOLC_VMS_ENDPOINT": endpoint,
        "VOLC_MAX_REQUESTS_PER_SECOND": RATE,
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-startup-delay",
            "--no-reload",
            "--interval",
            "0.05",
            "--worker-id",
            name,
        ],
        cwd=harness.REPO,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(processes: list[subprocess.Popen[str]]) -> None:
    """Stop the workers (SIGTERM: each finishes its task)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_idle(processes: list[subprocess.Popen[str]], seconds: float = 300) -> None:
    """Until the workers have emptied the queue of what was queued before (the notifications
    of making the filings), so the timed window holds only the run's own work."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(status="READY").exclude(
        task_path__endswith="sweep_bulk_run"  # scheduled a lease ahead, not due
    )
    deadline = time.monotonic() + seconds
    while waiting.exists() or DBTaskResult.objects.filter(status="RUNNING").exists():
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            raise RuntimeError("the workers did not empty the queue")
        time.sleep(0.2)
    time.sleep(0.5)  # every worker past its start-up and polling


def bulk_send(filings: list[Any], reviewer: Any, workers: int, endpoint: str) -> dict[str, Any]:
    from filings.bulk.models import BulkItem, BulkRun
    from filings.bulk.services import bulk_run_start
    from filings.models import Submission
    from filings.sandbox.models import SandboxRequest

    requests_before = SandboxRequest.objects.count()
    submissions_before = Submission.objects.count()
    cpu_before = os.times()
    logs = [harness.temp_dir("bulk-worker") / f"worker-{n}.log" for n in range(workers)]
    processes = [worker(f"bench-{workers}-{n}", endpoint, log) for n, log in enumerate(logs)]
    try:
        wait_idle(processes)
        clock = time.perf_counter()
        runs = [
            bulk_run_start(
                actor=reviewer,
                kind=BulkRun.Kind.SEND,
                filing_ids=[f.pk for f in filings[start : start + RUN_LIMIT]],
                language="en",
            ).pk
            for start in range(0, len(filings), RUN_LIMIT)
        ]
        deadline = time.monotonic() + 60 + 2 * len(filings)
        while BulkRun.objects.filter(pk__in=runs, finished_at=None).exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"bulk runs {runs} not finished in time")
            if any(process.poll() is not None for process in processes):
                raise RuntimeError("a worker exited")
            time.sleep(0.05)
        seconds = time.perf_counter() - clock
    except RuntimeError:
        stop(processes)
        for log in logs:
            print(log.read_text()[-3000:], file=sys.stderr)
        raise
    stop(processes)
    cpu = os.times()
    items = BulkItem.objects.filter(run_id__in=runs)
    return {
        "seconds": seconds,
        # CPU seconds of the workers (start-up and idle polls included) and of this process
        # (the sandbox's thread answering every request, and the poll for the end).
        "worker_cpu": (cpu.children_user + cpu.children_system)
        - (cpu_before.children_user + cpu_before.children_system),
        "sandbox_cpu": (cpu.user + cpu.system) - (cpu_before.user + cpu_before.system),
        "done": items.filter(state=BulkItem.State.DONE).count(),
        "items": items.count(),
        "requests": SandboxRequest.objects.count() - requests_before,
        "submissions": Submission.objects.count() - submissions_before,
    }


def database_share(filings: list[Any], reviewer: Any, endpoint: str) -> dict[str, float]:
    """One worker in this process over `filings`: per item, the wall time, SQL statements and
    the time spent inside them (the sandbox answers from its own thread and connection)."""
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from filings.bulk.models import BulkRun
    from filings.bulk.services import bulk_run_start

    spent = {"statements": 0.0, "in_sql": 0.0}

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        clock = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["in_sql"] += time.perf_counter() - clock
            spent["statements"] += 1

    bulk_run_start(
        actor=reviewer, kind=BulkRun.Kind.SEND, filing_ids=[f.pk for f in filings], language="en"
    )
    with (
        override_settings(VOLC_VMS_ENDPOINT=endpoint, VOLC_MAX_REQUESTS_PER_SECOND=float(RATE)),
        connection.execute_wrapper(timer),
    ):
        clock = time.perf_counter()
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
        wall = time.perf_counter() - clock
    n = len(filings)
    return {"wall": wall / n, "statements": spent["statements"] / n, "in_sql": spent["in_sql"] / n}


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0])
    size = "quick" if args.quick else "full"
    n, sample = FILINGS[size], SAMPLE[size]
    var = harness.temp_dir("bulk-send")
    env = {"VOLC_MAX_REQUESTS_PER_SECOND": RATE}
    given_url = os.environ.get("DATABASE_URL", "")
    if given_url:  # a throwaway database on that PostgreSQL server, as bench_lists.py makes
        from bench_lists import postgres_database

        env["DATABASE_URL"] = postgres_database(given_url)
    harness.setup_django(var, env=env)
    harness.migrate()
    import logging

    import bench_send
    import dataset
    from django.db import connection

    from filings.demo import sandbox_server

    # The worker's per-task lines; the figures are what this benchmark prints.
    logging.getLogger("django_tasks").setLevel(logging.WARNING)
    harness.info(harness.machine())
    people = dataset.users()
    started = time.perf_counter()
    seeds = bench_send.make_filings(SEEDS[size], people)
    seeded = time.perf_counter() - started
    filings = replicate_approved(seeds, 2 * n + sample)
    harness.info(
        f"{len(seeds)} filings made and approved through the services in {seeded:.1f}s, "
        f"replicated to {len(filings)} in {time.perf_counter() - started - seeded:.1f}s; "
        f"database {connection.vendor}, VOLC_MAX_REQUESTS_PER_SECOND={RATE}"
    )
    reviewer = people["reviewer"]
    with sandbox_server() as endpoint:
        one = bulk_send(filings[:n], reviewer, 1, endpoint)
        two = bulk_send(filings[n : 2 * n], reviewer, 2, endpoint)
        share = database_share(filings[2 * n :], reviewer, endpoint)
    for workers, result in ((1, one), (2, two)):
        harness.info(
            f"{workers} worker{'s' if workers > 1 else ''}: {n} filings in "
            f"{result['seconds']:.1f}s = {n / result['seconds']:.1f}/s; items done "
            f"{result['done']}/{result['items']}, sandbox requests {result['requests']}, "
            f"submissions {result['submissions']}; CPU per send: workers "
            f"{harness.seconds(result['worker_cpu'] / n)}, sandbox and poll "
            f"{harness.seconds(result['sandbox_cpu'] / n)}"
        )
    vendor = connection.vendor
    suffix = "" if vendor == "sqlite" else f"_{vendor}"
    harness.figure(
        f"bulk_send_{n}_two_workers{suffix}",
        n / two["seconds"],
        n / one["seconds"],
        TARGET,
        show=lambda rate: f"{rate:.1f}/s",
        at_least=True,
        labels=("2 workers", "1 worker"),
        note=f"{'SQLite on tmpfs' if vendor == 'sqlite' else vendor}; "
        f"{harness.seconds(two['seconds'])} vs "
        f"{harness.seconds(one['seconds'])} for {n} filings",
    )
    exact = all(r["requests"] == r["done"] == r["submissions"] == n for r in (one, two))
    harness.figure(
        f"bulk_send_{n}_requests{suffix}",
        two["requests"],
        n,
        1.0,
        show=lambda count: f"{count:.0f}",
        labels=("sandbox requests", "filings"),
        note=(
            f"exactly one request per filing, every item done: {'yes' if exact else 'NO'}; "
            f"1 worker: {one['requests']}, 2 workers: {two['requests']}"
        ),
        ok=exact,
    )
    harness.info(
        f"per send, one worker in this process over {sample} more filings "
        f"({connection.vendor}): {harness.seconds(share['wall'])} in all, "
        f"{share['statements']:.0f} SQL statements taking {harness.seconds(share['in_sql'])} "
        f"({share['in_sql'] / share['wall']:.0%} of the item; the rest is Python, HTTP and the "
        f"sandbox)"
    )
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
