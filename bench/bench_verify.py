"""verify_chain over the whole audit trail, against reading the same rows and hashing them once.

`python bench/bench_verify.py [--quick]`. Baseline, in the same run: the same values_list query
(same columns, same order, same chunk size), each row's canonical JSON built inline and
HMAC-SHA256'd once, compared with the stored hash. Target: verify_chain <= 1.5x that.
Memory must stay flat as rows grow: peak RSS growth and tracemalloc peak of verify_chain at the
small size (a quarter) and the full size, each in a fresh interpreter; target full <= 1.5x small.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from datetime import UTC
from pathlib import Path

import harness

TIME_TARGET = 1.50
FLAT_TARGET = 1.50  # rows x4, memory at most x1.5
REPEATS = {"full": 3, "quick": 3}


def portal() -> int:
    from filings.audit import verify_chain

    report = verify_chain()
    assert report.ok, report
    return report.count


def baseline() -> int:
    """The floor: read each row once, build its canonical bytes, one HMAC, compare."""
    from django.conf import settings

    from filings.audit import EVENT_FIELDS
    from filings.models import AuditEvent

    key = settings.AUDIT_CHAIN_KEY.encode()
    prev = "0" * 64
    dumps, new, sha256 = json.dumps, hmac.new, hashlib.sha256
    bad = count = 0
    rows = AuditEvent.objects.order_by("seq").values_list(*EVENT_FIELDS).iterator(2000)
    for seq, created, actor_id, username, kind, ttype, tid, filing_id, data, _prev, stored in rows:
        canonical = dumps(
            {
                "seq": seq,
                "created_at": created.astimezone(UTC).isoformat(),
                "actor_id": actor_id,
                "actor_username": username,
                "kind": kind,
                "target_type": ttype,
                "target_id": tid,
                "filing_id": filing_id,
                "data": data,
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        bad += new(key, canonical + prev.encode(), sha256).hexdigest() != stored
        prev = stored
        count += 1
    assert not bad
    return count


def run_probe(mode: str, db: str) -> None:
    harness.setup_django(harness.temp_dir("verify-probe"))
    harness.use_database(Path(db))
    from filings.audit import EVENT_FIELDS, verify_chain
    from filings.models import AuditEvent

    list(AuditEvent.objects.order_by("seq").values_list(*EVENT_FIELDS)[:2000])  # warm the ORM path
    print(json.dumps(harness.measure_memory(mode, verify_chain)))


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], probe="rss|both (internal)", db="")
    if args.probe:
        run_probe(args.probe, args.db)
        return 0
    import dataset

    size = "quick" if args.quick else "full"
    data_dir, meta = dataset.ensure(args.quick)
    var = harness.temp_dir("verify")
    db = harness.setup_django(var)
    harness.copy_database(data_dir / "full.sqlite3", db)
    harness.copy_database(data_dir / "small.sqlite3", var / "small.sqlite3")
    harness.info(harness.machine())
    harness.info(dataset.describe(meta))

    harness.use_database(db)
    events = meta.sizes["full"]["events"]
    with harness.gc_paused():
        # No warm-up round (a full walk each): a cold first round is the one the median drops.
        times = harness.interleaved(
            {"portal": portal, "baseline": baseline}, REPEATS[size], warmup=0
        )
    harness.figure(
        f"verify_audit_{harness.rows(events)}",
        harness.median(times["portal"]),
        harness.median(times["baseline"]),
        TIME_TARGET,
        note=f"median of {REPEATS[size]}",
    )
    small = harness.probe(__file__, "--probe", "both", "--db", str(var / "small.sqlite3"))
    full = harness.probe(__file__, "--probe", "both", "--db", str(db))
    harness.flat_memory_figures(
        "verify_audit_memory",
        small,
        full,
        (meta.sizes["small"]["events"], events),
        FLAT_TARGET,
    )
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
