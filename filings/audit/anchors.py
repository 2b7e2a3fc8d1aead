"""Audit anchors: the chain head written to a store outside the database that cannot be changed.

An anchor is (seq, hash, time) plus an HMAC of the three with the chain key. Production keeps
anchors in an S3 bucket with Object Lock in compliance mode (nobody, root included, can
overwrite or delete one before its retention ends); development appends to a file under var/.
Deleting the newest events and moving the head back, or rewriting the chain with the key, both
disagree with an anchor written before.
"""

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

from filings.audit.verify import ChainReport, verify_chain
from filings.models import AuditEvent


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: datetime
    mac: str

    def to_json(self) -> str:
        return json.dumps(
            {"seq": self.seq, "hash": self.hash, "at": self.at.isoformat(), "mac": self.mac},
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> "Anchor":
        raw = json.loads(text)
        return cls(
            seq=int(raw["seq"]),
            hash=str(raw["hash"]),
            at=datetime.fromisoformat(raw["at"]),
            mac=str(raw["mac"]),
        )

    @property
    def authentic(self) -> bool:
        return hmac.compare_digest(self.mac, anchor_mac(self.seq, self.hash, self.at))


def anchor_mac(seq: int, head_hash: str, at: datetime) -> str:
    message = f"anchor|{seq}|{head_hash}|{at.astimezone(UTC).isoformat()}".encode()
    return hmac.new(settings.AUDIT_CHAIN_KEY.encode(), message, hashlib.sha256).hexdigest()


def make_anchor(seq: int, head_hash: str, at: datetime) -> Anchor:
    at = at.astimezone(UTC)
    return Anchor(seq, head_hash, at, anchor_mac(seq, head_hash, at))


class AnchorStore(Protocol):
    description: str

    def append(self, anchor: Anchor) -> None: ...

    def read_all(self) -> list[Anchor]: ...


class FileAnchorStore:
    """Development: one JSON line per anchor, opened for appending only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"file {path}"

    def append(self, anchor: Anchor) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write(anchor.to_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def read_all(self) -> list[Anchor]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return sorted((Anchor.from_json(line) for line in lines if line.strip()), key=_order)


class S3AnchorStore:
    """Production: one object per anchor, written with Object Lock in compliance mode."""

    def __init__(self, client: Any, bucket: str, prefix: str, retention: timedelta) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.retention = retention
        self.description = f"s3://{bucket}/{prefix}"

    def append(self, anchor: Anchor) -> None:
        key = f"{self.prefix}{anchor.seq:020d}-{anchor.at:%Y%m%dT%H%M%S%fZ}.json"
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=anchor.to_json().encode(),
            ContentType="application/json",
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=anchor.at + self.retention,
        )

    def _keys(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def read_all(self) -> list[Anchor]:
        anchors = []
        for key in self._keys():
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            anchors.append(Anchor.from_json(body.decode()))
        return sorted(anchors, key=_order)


def _order(anchor: Anchor) -> tuple[int, datetime]:
    return (anchor.seq, anchor.at)


def anchor_store() -> AnchorStore:
    """The configured store: the Object Lock bucket when PORTAL_ANCHOR_BUCKET is set."""
    if settings.PORTAL_ANCHOR_BUCKET:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=settings.PORTAL_ANCHOR_S3_ENDPOINT_URL or None,
            region_name=settings.PORTAL_ANCHOR_S3_REGION_NAME or None,
        )
        return S3AnchorStore(
            client,
            settings.PORTAL_ANCHOR_BUCKET,
            settings.PORTAL_ANCHOR_PREFIX,
            timedelta(days=settings.PORTAL_ANCHOR_RETENTION_DAYS),
        )
    return FileAnchorStore(Path(settings.PORTAL_ANCHOR_FILE))


@dataclass(frozen=True)
class AnchorProblem:
    anchor: Anchor
    name: str  # "forged anchor", "truncation" or "rewrite"
    detail: str

    def __str__(self) -> str:
        return f"{self.name} at #{self.anchor.seq}: {self.detail}"


def check_anchors(anchors: list[Anchor], *, chunk: int = 1000) -> list[AnchorProblem]:
    """Each anchor against the events in the database: every problem, oldest anchor first."""
    problems: list[AnchorProblem] = []
    authentic = []
    for anchor in anchors:
        if anchor.authentic:
            authentic.append(anchor)
        else:
            problems.append(
                AnchorProblem(anchor, "forged anchor", "its HMAC does not match the chain key")
            )
    for start in range(0, len(authentic), chunk):
        batch = authentic[start : start + chunk]
        stored = dict(
            AuditEvent.objects.filter(seq__in={a.seq for a in batch}).values_list("seq", "hash")
        )
        for anchor in batch:
            found = stored.get(anchor.seq)
            if found is None:
                problems.append(
                    AnchorProblem(
                        anchor,
                        "truncation",
                        f"the event anchored at {anchor.at:%Y-%m-%d %H:%M:%S} UTC no longer exists",
                    )
                )
            elif found != anchor.hash:
                problems.append(
                    AnchorProblem(
                        anchor,
                        "rewrite",
                        f"the event's hash is {found[:16]}…, the anchor of "
                        f"{anchor.at:%Y-%m-%d %H:%M:%S} UTC says {anchor.hash[:16]}…",
                    )
                )
    return sorted(problems, key=lambda p: _order(p.anchor))


def newest_matching(anchors: list[Anchor], problems: list[AnchorProblem]) -> Anchor | None:
    """The newest anchor that is authentic and agrees with the database."""
    bad = {id(problem.anchor) for problem in problems}
    good = [anchor for anchor in anchors if id(anchor) not in bad]
    return max(good, key=_order) if good else None


@dataclass(frozen=True)
class Verification:
    """The chain's own check plus every anchor's."""

    chain: ChainReport
    anchors: int
    problems: list[AnchorProblem]
    since: Anchor | None = None

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems


def verify_trail(*, since_last_anchor: bool = False) -> Verification:
    """Verify the chain (all of it, or from the newest anchor that matches) and every anchor."""
    anchors = anchor_store().read_all()
    problems = check_anchors(anchors)
    start = newest_matching(anchors, problems) if since_last_anchor else None
    if start is not None:
        chain = verify_chain(after_seq=start.seq, after_hash=start.hash)
    else:
        chain = verify_chain()
    return Verification(chain, len(anchors), problems, start)
