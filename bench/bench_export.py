"""CSV export of the whole audit trail, against the csv module writing the same rows.

`python bench/bench_export.py [--quick]`. Portal: `history_export(what="audit", fmt="csv")` over
every event, consumed fully and encoded as StreamingHttpResponse would (UTF-8 bytes to a sink).
Baseline, in the same run: a values() query of the same columns, written by `csv.writer` to the
same kind of sink. Target <= 1.5x. Memory must stay flat as rows grow: peak RSS growth and
tracemalloc peak of the portal export at the small size (a quarter) and the full size, each in
a fresh interpreter; target full <= 1.5x small.

history_export also records an `audit.exported` event, checks every anchor and walks the chain
from the newest anchor that agrees (the whole chain when there is none) before the first row
(its first line states the verification), then writes an anchor of its own. This benchmark
empties the anchor store before every round, so each export walks the whole chain: the worst
case, an export before any anchor. bench_scale.py measures the export with an anchor.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import time
from pathlib import Path

import harness

TIME_TARGET = 1.50
FLAT_TARGET = 1.50
REPEATS = {"full": 3, "quick": 3}


def root() -> object:
    from django.contrib.auth.models import User

    return User.objects.get(username="root")


def portal(actor: object, before_first_row: list[float] | None = None) -> int:
    """The export, consumed; `before_first_row` gets the time history_export took to return
    (it records the export event and runs verify_chain before it hands back the rows)."""
    from filings.audit.exports import history_export
    from filings.models import AuditEvent

    clock = time.perf_counter()
    lines = history_export(
        actor=actor, what="audit", fmt="csv", queryset=AuditEvent.objects.all(), filters={}
    )
    if before_first_row is not None:
        before_first_row.append(time.perf_counter() - clock)
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
    args = harness.arguments(__doc__.splitlines()[0], probe="rss|both (internal)", db="")
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
    before_first_row: list[float] = []

    def unanchored() -> int:
        """An export with no anchor in the store: it walks the whole chain."""
        from django.conf import settings

        Path(settings.PORTAL_ANCHOR_FILE).unlink(missing_ok=True)
        return portal(actor, before_first_row)

    with harness.gc_paused():
        times = harness.interleaved(
            {"portal": unanchored, "baseline": baseline},
            REPEATS[size],
            warmup=0,  # a full export each: a cold first round is the one the median drops
        )
    portal_s, baseline_s = harness.median(times["portal"]), harness.median(times["baseline"])
    verify_s = harness.median(before_first_row[-REPEATS[size] :])
    harness.figure(
        f"export_audit_csv_{harness.rows(events)}",
        portal_s,
        baseline_s,
        TIME_TARGET,
        note=(
            f"median of {REPEATS[size]}; no anchor, whole chain walked; "
            f"{harness.seconds(verify_s)} of it before the first row"
        ),
    )
    harness.info(
        f"before the first row (audit.record + verify_chain over every event, no anchor): "
        f"{harness.seconds(verify_s)} = {verify_s / baseline_s:.2f}x the whole baseline; "
        f"the rows themselves: {harness.seconds(portal_s - verify_s)} = "
        f"{(portal_s - verify_s) / baseline_s:.2f}x"
    )
    small_db = var / "small.sqlite3"
    harness.copy_database(data_dir / "small.sqlite3", small_db)
    small = harness.probe(__file__, "--probe", "both", "--db", str(small_db))
    full = harness.probe(__file__, "--probe", "both", "--db", str(data_dir / "full.sqlite3"))
    harness.flat_memory_figures(
        "export_audit_memory", small, full, (meta.sizes["small"]["events"], events), FLAT_TARGET
    )
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
