"""Benchmark data: made through the services, then replicated to size with bulk inserts.

`python bench/dataset.py --out DIR [--quick]` writes DIR/small.sqlite3, DIR/full.sqlite3 and
DIR/meta.json. The benchmarks that need the big tables (admin, verify, export) copy those files;
run_all.py builds them once and hands DIR to each benchmark in BENCH_DATASET_DIR.

How the rows are made (docs/PERFORMANCE.md repeats this):

1. Seed, through the services only: users in their roles, companies, complete filings (two
   scripts, six documents), review round trips, edits that void approvals, document
   replacements, and real sends to the built-in sandbox over loopback HTTP in several sandbox
   modes (accepted, business failure, throttled, 500 then resolved), so every Submission and
   AuditEvent in the seed was written by the code the portal runs.
2. Replication to size: the seed's Filing, Document, CallScript and Submission rows are copied
   with bulk_create (new keys, new UUIDs, spread-out times), and the seed's audit events are
   copied in order with their filing ids moved to the copies. Every copied event goes through
   `filings.audit.canonical_bytes` and `filings.audit.event_hash` and the chain head is moved
   along, so `verify_chain` accepts the whole table.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import harness

FULL = {"filings": 10_000, "submissions": 50_000, "events": 200_000}
QUICK = {"filings": 1_000, "submissions": 5_000, "events": 20_000}
SMALL_SHARE = 4  # small.sqlite3 holds a quarter of each table: 50k events at full size
SEED_FILINGS = {"full": 36, "quick": 12}
BATCH = 2000
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Meta:
    quick: bool
    sizes: dict[str, dict[str, int]]
    seed: dict[str, int]
    seconds: dict[str, float]


def credit_codes(start: int = 1) -> Iterator[str]:
    """Valid GB 32100 codes (with the GB 11714 organisation-code check), one per number."""
    from filings.credit_code import credit_code_check_character, organization_code_check_character

    for number in count(start):
        body = f"{number:08d}"
        first17 = "91350100" + body + organization_code_check_character(body)
        yield first17 + credit_code_check_character(first17)


def users() -> dict[str, Any]:
    from django.contrib.auth.models import Group, User

    made = {}
    for username, group in (
        ("preparer", "Preparer"),
        ("preparer2", "Preparer"),
        ("reviewer", "Reviewer"),
        ("reviewer2", "Reviewer"),
        ("auditor", "Auditor"),
        ("root", None),
    ):
        user = User.objects.filter(username=username).first()
        if user is None:
            # No password: benchmarks log in with force_login (and PBKDF2 would cost ~1 s each).
            user = User.objects.create_user(username, is_staff=True, is_superuser=not group)
            if group:
                user.groups.add(Group.objects.get(name=group))
        made[username] = user
    return made


# --- 1. the seed, through the services ---------------------------------------------------------


def _send(reviewer: Any, filing: Any, mode: str) -> None:
    from filings.sandbox.models import SandboxConfig
    from filings.services import sending

    SandboxConfig.objects.update_or_create(pk=1, defaults={"mode": mode, "stall_seconds": 0})
    sending.filing_send(actor=reviewer, filing=filing)
    filing.refresh_from_db()


def _history(variant: int, people: dict[str, Any], code: str) -> None:
    """One filing's life through the services; `variant` picks which life."""
    from filings.models import Document
    from filings.services import editing, review
    from filings.services.documents import Upload, document_upload
    from tests import builders

    preparer, reviewer = people["preparer"], people["reviewer"]
    filing = builders.complete_filing(preparer, code=code)
    if variant == 5:  # left as a draft after an edit and a replaced document
        editing.filing_update(actor=preparer, filing=filing, callee_source="网站、公众号")
        document_upload(
            actor=preparer,
            filing=filing,
            kind=Document.Kind.BUSINESS_LICENSE,
            upload=Upload("营业执照-新.jpg", builders.image(40)),
        )
        return
    review.filing_submit(actor=preparer, filing=filing)
    if variant == 1:  # changes requested, fixed, reviewed again
        review.filing_request_changes(
            actor=reviewer, filing=filing, comment="营业执照照片不清晰，请重新上传。"
        )
        filing.refresh_from_db()
        document_upload(
            actor=preparer,
            filing=filing,
            kind=Document.Kind.BUSINESS_LICENSE,
            upload=Upload("营业执照-清晰.jpg", builders.image(41)),
        )
        script = filing.scripts.first()
        editing.script_update(actor=preparer, script=script, content="您好，这里是示例客服。")
        review.filing_submit(actor=preparer, filing=filing)
    review.filing_approve(actor=reviewer, filing=filing)
    filing.refresh_from_db()
    first = {0: "normal", 1: "normal", 2: "result_failure", 3: "throttled", 4: "internal_error"}
    _send(reviewer, filing, first[variant])
    if variant in (2, 3):  # rejected: reworked, approved again, sent again
        review.filing_rework(actor=preparer, filing=filing)
        review.filing_submit(actor=preparer, filing=filing)
        review.filing_approve(actor=people["reviewer2"], filing=filing)
        filing.refresh_from_db()
        _send(reviewer, filing, "normal")
    if variant == 4:  # outcome unknown: settled from the ticket's answer, never resent
        review.filing_resolve(
            actor=reviewer, filing=filing, status="SUBMITTED", note="工单 #20240101 确认已受理"
        )


def seed(n_filings: int) -> dict[str, int]:
    from django.conf import settings
    from django.test.utils import override_settings

    from filings.demo import sandbox_server
    from filings.models import AuditEvent, Filing, Submission

    # The sandbox is asked for 429s and 500s on purpose; django.request would log each one.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    people = users()
    codes = credit_codes()
    companies = [next(codes) for _ in range(max(2, n_filings // 3))]
    with (
        sandbox_server() as endpoint,
        override_settings(VOLC_VMS_ENDPOINT=endpoint),
    ):
        assert settings.VOLC_SANDBOX_ENABLED
        for index in range(n_filings):
            _history(index % 6, people, companies[index % len(companies)])
    return {
        "filings": Filing.objects.count(),
        "submissions": Submission.objects.count(),
        "events": AuditEvent.objects.count(),
    }


# --- 2. replication to size --------------------------------------------------------------------


@contextmanager
def own_timestamps(*models: Any) -> Iterator[None]:
    """Let bulk_create keep the times we give instead of auto_now/auto_now_add's "now"."""
    saved = []
    for model in models:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                saved.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def _row(instance: Any, **changes: Any) -> dict[str, Any]:
    values = {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
    values.pop("id")
    values.update(changes)
    return values


class Replicator:
    """Copies the seed's rows, table by table, up to the sizes asked for."""

    def __init__(self) -> None:
        from filings.models import (
            AuditChainHead,
            AuditEvent,
            CallScript,
            Company,
            Document,
            Filing,
            Submission,
        )

        self.seed_filings = list(Filing.objects.order_by("pk"))
        self.documents = defaultdict(list)
        for document in Document.objects.order_by("pk"):
            self.documents[document.filing_id].append(document)
        self.scripts = defaultdict(list)
        for script in CallScript.objects.order_by("pk"):
            self.scripts[script.filing_id].append(script)
        self.seed_submissions = list(Submission.objects.order_by("pk"))
        self.seed_events = list(AuditEvent.objects.order_by("seq"))
        self.companies = list(Company.objects.order_by("pk"))
        self.codes = credit_codes(start=10_000)
        self.copies: list[int] = [f.pk for f in self.seed_filings]  # filing ids, seed first
        head = AuditChainHead.objects.get(pk=1)
        self.seq, self.prev_hash = head.seq, head.hash
        self.made = {"filings": len(self.seed_filings), "submissions": len(self.seed_submissions)}
        self.made["events"] = self.seq

    def companies_for(self, n_filings: int) -> None:
        """About four filings per company, as a company is filed again over time."""
        from filings.models import Company

        wanted = max(len(self.companies), n_filings // 4)
        owner = self.companies[0].created_by_id
        new = [
            Company(
                name=f"示例科技有限公司{index:05d}",
                credit_code=next(self.codes),
                created_by_id=owner,
            )
            for index in range(len(self.companies), wanted)
        ]
        self.companies += Company.objects.bulk_create(new, batch_size=BATCH)

    def filings(self, total: int) -> None:
        from django.db import transaction

        from filings.models import CallScript, Document, Filing

        self.companies_for(total)
        with own_timestamps(Filing, Document):
            while self.made["filings"] < total:
                n = min(BATCH, total - self.made["filings"])
                start = self.made["filings"]
                sources = [
                    self.seed_filings[(start + i) % len(self.seed_filings)] for i in range(n)
                ]
                with transaction.atomic():
                    made = Filing.objects.bulk_create(
                        [
                            Filing(
                                **_row(
                                    source,
                                    uuid=uuid.uuid4(),
                                    company_id=self.companies[(start + i) % len(self.companies)].pk,
                                    created_at=EPOCH + timedelta(minutes=17 * (start + i)),
                                    updated_at=EPOCH + timedelta(minutes=17 * (start + i) + 5),
                                    state_since=EPOCH + timedelta(minutes=17 * (start + i) + 5),
                                )
                            )
                            for i, source in enumerate(sources)
                        ]
                    )
                    documents, scripts = [], []
                    for source, copy in zip(sources, made, strict=True):
                        for document in self.documents[source.pk]:
                            key = f"filings/{copy.uuid}/{document.kind}/{uuid.uuid4()}.jpg"
                            documents.append(
                                Document(
                                    **_row(
                                        document,
                                        uuid=uuid.uuid4(),
                                        filing_id=copy.pk,
                                        storage_key=key,
                                        uploaded_at=copy.created_at,
                                    )
                                )
                            )
                        scripts += [
                            CallScript(**_row(script, filing_id=copy.pk))
                            for script in self.scripts[source.pk]
                        ]
                    Document.objects.bulk_create(documents, batch_size=BATCH)
                    CallScript.objects.bulk_create(scripts, batch_size=BATCH)
                self.copies += [f.pk for f in made]
                self.made["filings"] += n

    def submissions(self, total: int) -> None:
        from django.db import transaction

        from filings.models import Submission

        while self.made["submissions"] < total:
            n = min(BATCH, total - self.made["submissions"])
            start = self.made["submissions"]
            rows = []
            for i in range(start, start + n):
                source = self.seed_submissions[i % len(self.seed_submissions)]
                when = EPOCH + timedelta(minutes=3 * i)
                rows.append(
                    Submission(
                        **_row(
                            source,
                            filing_id=self.copies[i % len(self.copies)],
                            started_at=when,
                            finished_at=when + timedelta(milliseconds=source.duration_ms),
                        )
                    )
                )
            with transaction.atomic():
                Submission.objects.bulk_create(rows, batch_size=BATCH)
            self.made["submissions"] += n

    def events(self, total: int) -> None:
        """Copy the seed's events in order, each hashed onto the chain by filings.audit."""
        from django.db import transaction

        from filings import audit
        from filings.models import AuditChainHead, AuditEvent

        seeds = len(self.seed_filings)
        position = {f.pk: index for index, f in enumerate(self.seed_filings)}
        while self.made["events"] < total:
            n = min(BATCH, total - self.made["events"])
            rows = []
            for _ in range(n):
                offset = self.seq - len(self.seed_events)  # events copied so far
                source = self.seed_events[offset % len(self.seed_events)]
                lap = offset // len(self.seed_events) + 1
                filing_id, target_id = source.filing_id, source.target_id
                if filing_id in position:  # move the event to one of this seed filing's copies
                    copy = position[filing_id] + seeds * lap
                    filing_id = self.copies[copy % len(self.copies)]
                    if source.target_type == "filing":
                        target_id = str(filing_id)
                fields = {
                    "seq": self.seq + 1,
                    "created_at": EPOCH + timedelta(seconds=41 * (self.seq + 1)),
                    "actor_id": source.actor_id,
                    "actor_username": source.actor_username,
                    "kind": source.kind,
                    "target_type": source.target_type,
                    "target_id": target_id,
                    "filing_id": filing_id,
                    "data": source.data,
                }
                digest = audit.event_hash(audit.canonical_bytes(**fields), self.prev_hash)
                rows.append(AuditEvent(**fields, prev_hash=self.prev_hash, hash=digest))
                self.seq, self.prev_hash = self.seq + 1, digest
            with transaction.atomic():
                AuditEvent.objects.bulk_create(rows, batch_size=BATCH)
                AuditChainHead.objects.filter(pk=1).update(seq=self.seq, hash=self.prev_hash)
            self.made["events"] = self.seq

    def submitted_since(self) -> None:
        """A submitted copy waits since its newest accepted send (the send path's stamp), the
        copied submissions being spread over the copies; without one, since its last change."""
        from django.db.models import F, OuterRef, Subquery
        from django.db.models.functions import Coalesce

        from filings.models import Filing, Submission

        accepted = Submission.objects.filter(
            filing_id=OuterRef("pk"), outcome=Submission.Outcome.ACCEPTED
        ).order_by("-started_at")
        Filing.objects.filter(status=Filing.Status.SUBMITTED).update(
            state_since=Coalesce(Subquery(accepted.values("started_at")[:1]), F("updated_at"))
        )

    def grow(self, sizes: dict[str, int]) -> None:
        self.filings(sizes["filings"])
        self.submissions(sizes["submissions"])
        self.submitted_since()
        self.events(sizes["events"])


def build(out: Path, *, quick: bool) -> Meta:
    """Seed through the services, grow to a quarter (small), then to the full size (full)."""
    var_dir = harness.temp_dir("dataset")
    db = harness.setup_django(var_dir)
    started = time.perf_counter()
    harness.migrate()
    from django.test.utils import override_settings

    seeded = seed(SEED_FILINGS["quick" if quick else "full"])
    seed_seconds = time.perf_counter() - started
    full = QUICK if quick else FULL
    small = {name: size // SMALL_SHARE for name, size in full.items()}
    replicator = Replicator()
    started = time.perf_counter()
    # DEBUG's query log would quote every parameter of every bulk INSERT (and keep the SQL).
    with override_settings(DEBUG=False):
        replicator.grow(small)
        harness.copy_database(db, out / "small.sqlite3")
        replicator.grow(full)
        harness.copy_database(db, out / "full.sqlite3")
    meta = Meta(
        quick=quick,
        sizes={"small": small, "full": full},
        seed=seeded,
        seconds={
            "seed": round(seed_seconds, 1),
            "replicate": round(time.perf_counter() - started, 1),
        },
    )
    (out / "meta.json").write_text(json.dumps(asdict(meta), indent=2))
    return meta


def ensure(quick: bool) -> tuple[Path, Meta]:
    """The dataset named by BENCH_DATASET_DIR when it matches `quick`, else a fresh one."""
    given = os.environ.get("BENCH_DATASET_DIR")
    if given:
        meta = Meta(**json.loads((Path(given) / "meta.json").read_text()))
        if meta.quick == quick:
            return Path(given), meta
    out = harness.temp_dir("data")
    command = [sys.executable, str(Path(__file__)), "--out", str(out)] + (
        ["--quick"] if quick else []
    )
    subprocess.run(command, check=True)
    return out, Meta(**json.loads((out / "meta.json").read_text()))


def describe(meta: Meta) -> str:
    sizes = " / ".join(
        f"{size['filings']}/{size['submissions']}/{size['events']}" for size in meta.sizes.values()
    )
    return (
        f"data: filings/submissions/events small / full = {sizes}; made through the services: "
        f"{meta.seed['filings']} filings, {meta.seed['submissions']} submissions, "
        f"{meta.seed['events']} events in {meta.seconds['seed']}s; replicated in "
        f"{meta.seconds['replicate']}s"
    )


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], out="directory for the database files")
    out = Path(args.out) if args.out else harness.temp_dir("data", keep=True)
    out.mkdir(parents=True, exist_ok=True)
    meta = build(out, quick=args.quick)
    harness.info(describe(meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
