"""CSV export of the whole audit trail, against the csv module writing the same rows.

`python bench/bench_export.py [--quick]`. Portal: `history_export(what="audit", fmt="csv")` over
every event, consumed fully and encoded as StreamingHttpResponse would (UTF-8 bytes to a sink).
Baseline, in the same run: a values() query of the same columns, written by `csv.writer` to the
same kind of sink. Target <= 1.5x. Memory must stay flat as rows grow: peak RSS growth and
tracemalloc peak of the portal export at the small size (a quarter) and the full size, each in
a fresh interpreter; target full <= 1.5x small.

history_export also records an `audit.exported` event and walks the whole chain with
verify_chain before the first row (its first line states the verification), so the time of
verify_chain alone is printed too: it is part of the portal figure by design.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
from pathlib import Path

import harness

TIME_TARGET = 1.50
FLAT_TARGET = 1.50
REPEATS = {"full": 3, "quick": 3}


def root() -> object:
    from django.contrib.auth.models import User

    return User.objects.get(username="root")


def portal(actor: object) -> int:
    from filings.exports import history_export
    from filings.models import AuditEvent

    lines = history_export(
        actor=actor, what="audit", fmt="csv", queryset=AuditEvent.objects.all(), filters={}
    )
    written = 0
    with open(os.devnull, "wb") as sink:
        for line in lines:
            written += sink.write(line.encode("utf-8"))
    return written


def baseline() -> int:
    from filings.models import AuditEvent
    from filings.selectors import AUDIT_EXPORT_FIELDS

    rows = AuditEvent.objects.order_by("seq").values(*AUDIT_EXPORT_FIELDS).iterator(2000)
    with open(os.devnull, "w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerow(AUDIT_EXPORT_FIELDS)
        for row in rows:
            writer.writerow(row.values())
    return 0


def verify_only() -> None:
    from filings.audit import verify_chain

    assert verify_chain().ok


def run_probe(mode: str, db: str) -> None:
    var = harness.temp_dir("export-probe")
    own = harness.setup_django(var)
    shutil.copyfile(db, own)  # the export appends an audit event: never to the shared copy
    actor = root()
    from filings.models import AuditEvent
    from filings.selectors import AUDIT_EXPORT_FIELDS

    list(AuditEvent.objects.order_by("seq").values_list(*AUDIT_EXPORT_FIELDS)[:2000])
    print(json.dumps(harness.measure_memory(mode, lambda: portal(actor))))


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], probe="rss|tracemalloc (internal)", db="")
    if args.probe:
        run_probe(args.probe, args.db)
        return 0
    import dataset

    size = "quick" if args.quick else "full"
    data_dir, meta = dataset.ensure(args.quick)
    var = harness.temp_dir("export")
    db = harness.setup_django(var)
    harness.copy_database(data_dir / "full.sqlite3", db)
    harness.info(harness.machine())
    harness.info(dataset.describe(meta))
    actor = root()
    events = meta.sizes["full"]["events"]
    with harness.gc_paused():
        times = harness.interleaved(
            {"portal": lambda: portal(actor), "baseline": baseline, "verify": verify_only},
            REPEATS[size],
        )
    portal_s, baseline_s = harness.median(times["portal"]), harness.median(times["baseline"])
    verify_s = harness.median(times["verify"])
    harness.figure(
        f"export_audit_csv_{harness.rows(events)}",
        portal_s,
        baseline_s,
        TIME_TARGET,
        note=f"median of {REPEATS[size]}; includes verify_chain {harness.seconds(verify_s)}",
    )
    harness.info(
        f"export without its verify_chain walk: {harness.seconds(portal_s - verify_s)}, "
        f"{(portal_s - verify_s) / baseline_s:.2f}x the baseline"
    )

    small_db = var / "small.sqlite3"
    harness.copy_database(data_dir / "small.sqlite3", small_db)
    small_n, full_n = meta.sizes["small"]["events"], events
    for mode, label in (("tracemalloc", "tracemalloc peak"), ("rss", "peak RSS growth")):
        small = harness.probe(__file__, "--probe", mode, "--db", str(small_db))
        full = harness.probe(__file__, "--probe", mode, "--db", str(data_dir / "full.sqlite3"))
        harness.figure(
            f"export_audit_memory_{mode}",
            full["kib"],
            small["kib"],
            FLAT_TARGET,
            show=harness.megabytes,
            labels=(harness.rows(full_n), harness.rows(small_n)),
            note=f"{label}, fresh interpreter each; rows x{full_n / small_n:.0f}",
        )
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
