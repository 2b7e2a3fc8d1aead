"""The audit trail: an append-only, hash-chained record of every change and of every look at an
ID image. Its public surface:

- `record(...)` appends one event inside the transaction of the change it records;
- `verify_chain(...)` walks the chain; `anchors.verify_trail(...)` also checks every anchor;
- `anchors` writes and reads the chain head outside the database;
- `exports.history_export(...)` streams the trail (or submissions) for auditors.
"""

from filings.audit.chain import GENESIS_HASH, HEAD_PK, canonical_bytes, event_hash, record
from filings.audit.verify import EVENT_FIELDS, ChainReport, verify_chain

__all__ = [
    "EVENT_FIELDS",
    "GENESIS_HASH",
    "HEAD_PK",
    "ChainReport",
    "canonical_bytes",
    "event_hash",
    "record",
    "verify_chain",
]
