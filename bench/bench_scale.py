"""The audit trail at scale: verification, the daily check, the export and the list page, 10k → 1M.

`python bench/bench_scale.py [--quick] [--plot PATH]` (what `make bench-scale` runs, through
run_all.py --scale). One SQLite database grows through the sizes: a seed made through the
services (bench/dataset.py), then audit events replicated onto the chain with bulk inserts, each
hashed by `filings.audit` onto the previous one (dataset.Replicator). At each size:

* full `verify_audit` (the management command, in this process) against the floor: a raw DB
  cursor (no ORM) reading the same columns in the same order, each row's canonical bytes, one
  HMAC each, compared with the stored hash. Target at the largest size: <= 1.5x.
* the audit list page (`/admin/filings/auditevent/`, test Client, as a superuser) against a
  bare `ModelAdmin` of the same table (bench_admin.py's). Target at the largest size: <= 1.5x
  median, and the same SQL query count at the smallest and the largest size.

At the two anchored sizes (200k and 1M; --quick: 20k and 50k) the chain is anchored through
the service (`services.anchoring.audit_anchor`) 10k events before that size (the service's own
`audit.anchored` event is the first of the 10k), then grown to it:
* `verify_audit --since-last-anchor` against the baseline of hashing those rows alone (the
  floor above restricted to the events after the anchor). Target <= 1.3x at both sizes, and the
  time at the larger chain <= 1.3x the time at the smaller one (independent of the length).
At the export size (200k; --quick: 20k), with that anchor in the store:
* `history_export(what="audit", fmt="csv")` over every event, consumed fully, against the `csv`
  module writing a `values()` query of the same columns (bench_export.py's). Target <= 1.5x.
  Each export appends events and an anchor: every round starts from a copy of the database and
  of the anchor file taken before the first.

The plot (matplotlib, Agg backend) of verify time and list page time against the row count goes
to docs/perf/scale.png (--quick: a throwaway file, unless --plot names one).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import harness

VERIFY_TARGET = 1.50
SINCE_TARGET = 1.30
EXPORT_TARGET = 1.50
PAGE_TARGET = 1.50
SIZES = {
    "full": {
        "points": (10_000, 50_000, 200_000, 1_000_000),
        "anchored": (200_000, 1_000_000),
        "export": 200_000,
        "new": 10_000,
        "filings": 2_000,
    },
    "quick": {
        "points": (1_000, 5_000, 20_000, 50_000),
        "anchored": (20_000, 50_000),
        "export": 20_000,
        "new": 1_000,
        "filings": 200,
    },
}
# Full walks at 1M events take minutes each on a shared machine: two rounds there, three below.
REPEATS = {"verify": 3, "verify_1M": 2, "since": 5, "export": 3, "page": {"full": 11, "quick": 5}}
DEFAULT_PLOT = harness.REPO / "docs" / "perf" / "scale.png"


# --- the subjects --------------------------------------------------------------------------------


def verify_command(*options: str) -> str:
    """`manage.py verify_audit [options]`, in this process; its output (it raises if broken)."""
    from django.core.management import call_command

    out = io.StringIO()
    call_command("verify_audit", *options, stdout=out)
    text = out.getvalue()
    assert "audit chain intact" in text, text
    return text


def floor(after_seq: int = 0, after_hash: str = "0" * 64) -> int:
    """The floor: a raw cursor over the same columns, canonical bytes, one HMAC each."""
    from django.conf import settings
    from django.db import connection

    from filings.audit import EVENT_FIELDS
    from filings.models import AuditEvent

    key = settings.AUDIT_CHAIN_KEY.encode()
    dumps, loads, new, sha256 = json.dumps, json.loads, hmac.new, hashlib.sha256
    parse = datetime.fromisoformat
    columns = ", ".join(
        AuditEvent._meta.get_field(name).column for name in EVENT_FIELDS
    )  # filing -> filing_id
    sql = f"SELECT {columns} FROM {AuditEvent._meta.db_table} WHERE seq > %s ORDER BY seq"  # noqa: S608
    prev, bad, count = after_hash, 0, 0
    with connection.cursor() as cursor:
        cursor.execute(sql, [after_seq])
        while rows := cursor.fetchmany(2000):
            for seq, created, actor_id, user, kind, ttype, tid, filing_id, data, _, stored in rows:
                if isinstance(created, str):
                    created = parse(created)
                if created.tzinfo is None:  # SQLite: naive UTC
                    created = created.replace(tzinfo=UTC)
                canonical = dumps(
                    {
                        "seq": seq,
                        "created_at": created.astimezone(UTC).isoformat(),
                        "actor_id": actor_id,
                        "actor_username": user,
                        "kind": kind,
                        "target_type": ttype,
                        "target_id": tid,
                        "filing_id": filing_id,
                        "data": loads(data) if isinstance(data, str) else data,
                    },
                    sort_keys=True,
                    ensure_ascii=False,
                    separators=(",", ":"),
                ).encode()
                bad += new(key, canonical + prev.encode(), sha256).hexdigest() != stored
                prev = stored
                count += 1
    assert not bad, f"{bad} events did not verify"
    return count


def hmac_only(after_seq: int) -> Callable[[], int]:
    """The HMACs alone over canonical bytes built beforehand (an informational lower bound)."""
    from django.conf import settings

    from filings.audit import EVENT_FIELDS, canonical_bytes
    from filings.models import AuditEvent

    rows = AuditEvent.objects.filter(seq__gt=after_seq).order_by("seq").values_list(*EVENT_FIELDS)
    prepared = [
        (canonical_bytes(**dict(zip(EVENT_FIELDS[:9], row[:9], strict=True))), row[9], row[10])
        for row in rows
    ]
    key = settings.AUDIT_CHAIN_KEY.encode()

    def run() -> int:
        bad = 0
        for canonical, prev, stored in prepared:
            bad += hmac.new(key, canonical + prev.encode(), hashlib.sha256).hexdigest() != stored
        assert not bad
        return len(prepared)

    return run


def timed(subjects: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each subject, rounds interleaved, no warm-up round (a full walk each)."""
    with harness.gc_paused():
        samples = harness.interleaved(subjects, repeats, warmup=0)
    return {name: harness.median(values) for name, values in samples.items()}


# --- the data ------------------------------------------------------------------------------------


class Chain:
    """The growing database: seeded through the services, events replicated onto the chain."""

    def __init__(self, quick: bool, filings: int) -> None:
        import dataset
        from django.test.utils import override_settings

        started = time.perf_counter()
        self.seeded = dataset.seed(dataset.SEED_FILINGS["quick" if quick else "full"])
        self.seed_seconds = time.perf_counter() - started
        self.replicator = dataset.Replicator()
        with override_settings(DEBUG=False):
            self.replicator.filings(filings)
        self.grow_seconds = 0.0

    @property
    def events(self) -> int:
        return int(self.replicator.seq)

    def grow(self, events: int) -> None:
        from django.test.utils import override_settings

        started = time.perf_counter()
        # DEBUG's query log would keep every bulk INSERT's SQL and parameters.
        with override_settings(DEBUG=False):
            self.replicator.events(events)
        self.grow_seconds += time.perf_counter() - started

    def anchor(self) -> Any:
        """Anchor the head through the service; the anchored event joins the chain."""
        from filings.models import AuditChainHead
        from filings.services.anchoring import audit_anchor

        anchor = audit_anchor()
        assert anchor is not None
        head = AuditChainHead.objects.get(pk=1)
        self.replicator.seq, self.replicator.prev_hash = head.seq, head.hash
        self.replicator.made["events"] = head.seq
        return anchor


# --- the figures ---------------------------------------------------------------------------------


class Scale:
    def __init__(self, quick: bool, db: Path) -> None:
        self.quick = quick
        self.size = "quick" if quick else "full"
        self.sizes = SIZES[self.size]
        self.db = db
        self.points: list[dict[str, float]] = []
        self.since: dict[int, dict[str, float]] = {}
        self.queries: dict[int, tuple[int, int]] = {}
        self.copies: dict[int, Path] = {}

    def list_pages(self, events: int) -> dict[str, float]:
        import bench_admin

        browser = bench_admin.client()
        portal_url, bare_url = bench_admin.urls("auditevent")
        get_portal = bench_admin.fetcher(browser, portal_url)
        get_bare = bench_admin.fetcher(browser, bare_url)
        get_portal(), get_bare()
        self.queries[events] = (bench_admin.queries(get_portal), bench_admin.queries(get_bare))
        with harness.gc_paused():
            samples = harness.interleaved(
                {"page": get_portal, "bare": get_bare}, REPEATS["page"][self.size], warmup=1
            )
        return {name: harness.median(values) for name, values in samples.items()}

    def point(self, events: int) -> None:
        """Full verify against the floor, and the list page against the bare one, at this size."""
        clock = time.perf_counter()
        repeats = REPEATS["verify_1M" if events >= 1_000_000 else "verify"]
        times = timed({"verify": verify_command, "floor": floor}, repeats)
        pages = self.list_pages(events)
        self.points.append({"events": events, **times, **pages})
        harness.info(
            f"{harness.rows(events)} events: verify_audit {harness.seconds(times['verify'])} "
            f"vs floor {harness.seconds(times['floor'])} "
            f"({times['verify'] / times['floor']:.2f}x); "
            f"audit list page {harness.seconds(pages['page'])} vs bare "
            f"{harness.seconds(pages['bare'])} ({pages['page'] / pages['bare']:.2f}x); "
            f"queries {self.queries[events][0]} vs bare {self.queries[events][1]}; "
            f"measured in {time.perf_counter() - clock:.0f}s"
        )

    def since_anchor(self, events: int, anchor: Any) -> None:
        walked = events - anchor.seq
        times = timed(
            {
                "portal": lambda: verify_command("--since-last-anchor"),
                "baseline": lambda: floor(anchor.seq, anchor.hash),
                "hmac": hmac_only(anchor.seq),
            },
            REPEATS["since"],
        )
        text = verify_command("--since-last-anchor")
        assert f"{walked} events after anchor #{anchor.seq}" in text, text
        self.since[events] = times
        # A copy of the database and its anchors, to time this size again beside the largest.
        from django.conf import settings

        copy = self.db.parent / f"anchored-{events}"
        copy.mkdir()
        harness.copy_database(self.db, copy / "db.sqlite3")
        shutil.copyfile(settings.PORTAL_ANCHOR_FILE, copy / "anchors.jsonl")
        self.copies[events] = copy
        harness.figure(
            f"verify_since_anchor_{harness.rows(walked)}_on_{harness.rows(events)}",
            times["portal"],
            times["baseline"],
            SINCE_TARGET,
            note=(
                f"median of {REPEATS['since']}; {walked} events after anchor #{anchor.seq}; "
                f"baseline: those rows read with a raw cursor, canonical bytes, one HMAC each"
            ),
        )
        harness.info(
            f"the HMACs alone over canonical bytes built beforehand: "
            f"{harness.seconds(times['hmac'])} (portal {times['portal'] / times['hmac']:.1f}x)"
        )

    def export(self, var: Path) -> None:
        """history_export vs the csv module; each round from the same database and anchors."""
        import bench_export
        from django.conf import settings

        anchors = Path(settings.PORTAL_ANCHOR_FILE)
        saved = var / "export-snapshot"
        saved.mkdir()
        harness.copy_database(self.db, saved / "db.sqlite3")
        shutil.copyfile(anchors, saved / "anchors.jsonl")

        def restore() -> None:
            harness.copy_database(saved / "db.sqlite3", self.db)
            shutil.copyfile(saved / "anchors.jsonl", anchors)

        actor = bench_export.root()
        before_first_row: list[float] = []
        samples: dict[str, list[float]] = {"portal": [], "baseline": []}
        with harness.gc_paused():
            for _ in range(REPEATS["export"]):
                restore()
                clock = time.perf_counter()
                bench_export.portal(actor, before_first_row)
                samples["portal"].append(time.perf_counter() - clock)
                clock = time.perf_counter()
                bench_export.baseline()
                samples["baseline"].append(time.perf_counter() - clock)
        restore()
        portal, baseline = harness.median(samples["portal"]), harness.median(samples["baseline"])
        verify = harness.median(before_first_row)
        events = self.sizes["export"]
        harness.figure(
            f"export_audit_csv_{harness.rows(events)}_anchored",
            portal,
            baseline,
            EXPORT_TARGET,
            note=(
                f"median of {REPEATS['export']}; {harness.seconds(verify)} of it before the "
                f"first row; anchor {self.sizes['new']} events before the head"
            ),
        )

    def independence(self) -> None:
        """--since-last-anchor on the shortest and the longest anchored chain, rounds interleaved
        (switching database and anchor file between calls), so load from other work hits both."""
        from django.test.utils import override_settings

        def on(copy: Path) -> Callable[[], str]:
            def run() -> str:
                harness.use_database(copy / "db.sqlite3")
                with override_settings(PORTAL_ANCHOR_FILE=str(copy / "anchors.jsonl")):
                    return verify_command("--since-last-anchor")

            return run

        small, large = min(self.copies), max(self.copies)
        times = timed(
            {"large": on(self.copies[large]), "small": on(self.copies[small])}, REPEATS["since"]
        )
        harness.use_database(self.db)
        harness.figure(
            f"verify_since_anchor_{harness.rows(large)}_vs_{harness.rows(small)}",
            times["large"],
            times["small"],
            SINCE_TARGET,
            labels=(harness.rows(large), harness.rows(small)),
            note=(
                f"the same {self.sizes['new']} new events on a chain x{large / small:.0f} "
                f"longer; median of {REPEATS['since']}, interleaved"
            ),
        )

    def summary(self) -> None:
        largest = self.points[-1]
        events = int(largest["events"])
        harness.figure(
            f"verify_audit_full_{harness.rows(events)}",
            largest["verify"],
            largest["floor"],
            VERIFY_TARGET,
            labels=("portal", "floor"),
            note=(
                f"median of {REPEATS['verify_1M' if events >= 1_000_000 else 'verify']}; "
                "floor: raw cursor, canonical bytes, one HMAC"
            ),
        )
        self.independence()
        harness.figure(
            f"admin_auditevent_changelist_{harness.rows(events)}",
            largest["page"],
            largest["bare"],
            PAGE_TARGET,
            labels=("portal", "bare"),
            note=f"median of {REPEATS['page'][self.size]}, /admin/filings/auditevent/",
        )
        first = int(self.points[0]["events"])
        harness.figure(
            "admin_auditevent_queries_scale",
            self.queries[events][0],
            self.queries[first][0],
            1.0,
            show=lambda n: f"{n:.0f}",
            labels=(f"{harness.rows(events)} rows", f"{harness.rows(first)} rows"),
            note=(
                f"SQL queries per page; bare ModelAdmin: {self.queries[first][1]} and "
                f"{self.queries[events][1]}"
            ),
        )

    def plot(self, path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        events = [p["events"] for p in self.points]
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
        for axis, series, title in (
            (
                left,
                (("verify", "verify_audit (full walk)"), ("floor", "floor: raw cursor + HMAC")),
                "Full chain verification",
            ),
            (
                right,
                (("page", "audit list page (portal)"), ("bare", "bare ModelAdmin list")),
                "Audit list page (median)",
            ),
        ):
            for key, label in series:
                axis.plot(events, [p[key] for p in self.points], marker="o", label=label)
            axis.set_xscale("log")
            axis.set_yscale("log")
            axis.set_xlabel("audit events in the table")
            axis.set_ylabel("seconds")
            axis.set_title(title)
            axis.grid(True, which="both", alpha=0.3)
            axis.legend()
        if self.since:
            chains = sorted(self.since)
            left.plot(
                chains,
                [self.since[c]["portal"] for c in chains],
                marker="s",
                label=f"verify_audit --since-last-anchor ({harness.rows(self.sizes['new'])} new)",
            )
            left.legend()
        fig.suptitle(f"VMS filing portal, SQLite on tmpfs; {harness.machine()}", fontsize=8)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
        plt.close(fig)
        (path.with_suffix(".json")).write_text(
            json.dumps({"points": self.points, "since_anchor": self.since}, indent=1) + "\n"
        )
        harness.info(f"plot written to {path} (numbers beside it in {path.with_suffix('.json')})")


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], plot="where the PNG goes")
    var = harness.temp_dir("scale")
    quick = args.quick
    plot = Path(args.plot) if args.plot else None
    if plot is None:
        plot = harness.temp_dir("scale-plot") / "scale.png" if quick else DEFAULT_PLOT
    db = harness.setup_django(var)
    harness.migrate()
    harness.info(harness.machine())
    import bench_admin

    bench_admin.install_urls()
    scale = Scale(quick, db)
    sizes = scale.sizes
    started = time.perf_counter()
    chain = Chain(quick, sizes["filings"])
    harness.info(
        f"seed through the services: {chain.seeded['filings']} filings, "
        f"{chain.seeded['events']} events in {chain.seed_seconds:.1f}s; "
        f"{sizes['filings']} filings after replication"
    )
    for events in sizes["points"]:
        anchor = None
        if events in sizes["anchored"]:
            chain.grow(events - sizes["new"])  # the anchored event is the first new one
            anchor = chain.anchor()
        chain.grow(events)
        harness.info(
            f"chain at {chain.events} events; replicated so far in {chain.grow_seconds:.0f}s; "
            f"database {db.stat().st_size / harness.MB:.0f} MB"
        )
        scale.point(events)
        if anchor is not None:
            scale.since_anchor(events, anchor)
        if events == sizes["export"]:
            scale.export(var)
    scale.summary()
    scale.plot(plot)
    harness.info(f"bench_scale.py: {time.perf_counter() - started:.0f}s in all")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
    sys.exit(0)
