"""Sending approved filings one after another to the sandbox, against a plain requests loop.

`python bench/bench_send.py [--quick]`. The filings are made and approved through the services
(tests/builders.py), then `filing_send` sends each to the built-in sandbox served over loopback
HTTP by `filings.demo.sandbox_server()` (wsgiref, in this process, as `make run`'s demo does).
Baseline, in the same run: the exact bodies the portal sent (Submission.request_body), signed
with the portal's signer before the loop, posted by `requests.post` one after another to the
same sandbox, which verifies and logs them the same way. Filings go in batches, portal then
baseline, so drift hits both alike. Target: portal throughput >= 0.6x the baseline's.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

import harness

TARGET = 0.60
FILINGS = {"full": 300, "quick": 60}
PHASE_SAMPLE = {"full": 30, "quick": 10}  # extra filings sent phase by phase, for the breakdown
BATCHES = 6


def make_filings(n: int, people: dict[str, Any]) -> list[Any]:
    import dataset

    from tests import builders

    codes = dataset.credit_codes()
    companies = [next(codes) for _ in range(max(1, n // 4))]
    return [
        builders.approved_filing(
            people["preparer"], people["reviewer"], code=companies[i % len(companies)]
        )
        for i in range(n)
    ]


def send_portal(filings: list[Any], reviewer: Any) -> list[int]:
    from filings.services.sending import filing_send

    sent = []
    for filing in filings:
        submission = filing_send(actor=reviewer, filing=filing)
        assert submission.outcome == "ACCEPTED", submission.response_body
        sent.append(submission.pk)
    return sent


def signed_bodies(submission_ids: list[int]) -> list[tuple[str, bytes, dict[str, str]]]:
    """The bodies the portal sent, signed now by the portal's signer (outside the timed loop)."""
    from filings.kinds import COMPANY_FILING
    from filings.models import Submission
    from filings.services.sending import Destination
    from filings.volc import client
    from filings.volc.config import credentials

    target = Destination.configured().target
    action = COMPANY_FILING.api_action
    bodies = dict(
        Submission.objects.filter(pk__in=submission_ids).values_list("pk", "request_body")
    )
    signed = []
    for pk in submission_ids:
        body = bodies[pk].encode("utf-8")
        request = client.sign_request(target, action, body, credentials(), datetime.now(UTC))
        signed.append((target.url(action), body, {**client.BASE_HEADERS, **request.headers}))
    return signed


def send_plain(requests_to_send: list[tuple[str, bytes, dict[str, str]]]) -> None:
    import requests

    for url, body, headers in requests_to_send:
        response = requests.post(url, data=body, headers=headers, timeout=(5, 30))
        assert response.status_code == 200, response.text
        assert '"code":"0"' in response.text, response.text


def phases(filings: list[Any], reviewer: Any) -> dict[str, float]:
    """filing_send's three steps timed apart (seconds per send), and the plain post of each body."""

    from filings.services import sending

    spent = {"transaction 1 (checks, CAS, audit)": 0.0, "HTTP": 0.0, "transaction 2": 0.0}
    plain = 0.0
    for filing in filings:
        clock = time.perf_counter()
        prepared = sending.filing_start_sending(reviewer, filing.pk)
        sent_at = time.perf_counter()
        result = sending.transmit(prepared)
        answered_at = time.perf_counter()
        submission = sending.submission_record(
            actor=reviewer,
            filing=prepared.filing,
            result=result,
            content_hash=prepared.content_hash,
        )
        done = time.perf_counter()
        assert submission.outcome == "ACCEPTED"
        spent["transaction 1 (checks, CAS, audit)"] += sent_at - clock
        spent["HTTP"] += answered_at - sent_at
        spent["transaction 2"] += done - answered_at
        requests_to_send = signed_bodies([submission.pk])
        clock = time.perf_counter()
        send_plain(requests_to_send)
        plain += time.perf_counter() - clock
    n = len(filings)
    return {**{name: value / n for name, value in spent.items()}, "plain post": plain / n}


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0])
    size = "quick" if args.quick else "full"
    harness.setup_django(harness.temp_dir("send"))
    harness.migrate()
    import dataset
    from django.test.utils import override_settings

    from filings.demo import sandbox_server

    harness.info(harness.machine())
    people = dataset.users()
    started = time.perf_counter()
    filings = make_filings(FILINGS[size] + PHASE_SAMPLE[size], people)
    filings, sample = filings[: FILINGS[size]], filings[FILINGS[size] :]
    harness.info(
        f"{len(filings) + len(sample)} filings made and approved through the services in "
        f"{time.perf_counter() - started:.1f}s"
    )
    spent = {"portal": 0.0, "baseline": 0.0}
    with sandbox_server() as endpoint, override_settings(VOLC_VMS_ENDPOINT=endpoint):
        per_batch = -(-len(filings) // BATCHES)
        for start in range(0, len(filings), per_batch):
            batch = filings[start : start + per_batch]
            clock = time.perf_counter()
            sent = send_portal(batch, people["reviewer"])
            spent["portal"] += time.perf_counter() - clock
            plain = signed_bodies(sent)
            clock = time.perf_counter()
            send_plain(plain)
            spent["baseline"] += time.perf_counter() - clock
        breakdown = phases(sample, people["reviewer"])
    n = len(filings)
    harness.figure(
        f"send_sandbox_{n}",
        n / spent["portal"],
        n / spent["baseline"],
        TARGET,
        show=lambda rate: f"{rate:.1f}/s",
        at_least=True,
        note=(
            f"per send {harness.seconds(spent['portal'] / n)} vs "
            f"{harness.seconds(spent['baseline'] / n)}, {BATCHES} interleaved batches"
        ),
    )
    harness.info(
        f"filing_send step by step over {len(sample)} more filings, per send: "
        + ", ".join(f"{name} {harness.seconds(value)}" for name, value in breakdown.items())
    )
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
