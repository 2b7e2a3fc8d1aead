"""Importing 300 companies with 1,800 document images, against validating the same images and
storing the same bytes with boto3 put_object.

`python bench/bench_import.py [--quick]` (--quick: 30 companies, 180 images). S3 is moto's server
in its own process, reached through the production settings path, as bench_upload.py does.

Portal: the spreadsheet (CSV, the template's columns: name, credit code, both fields, two
scripts) and a ZIP of six JPEGs per company (`<code>/<kind>.jpg`) go through
`filings.imports.services.import_start`; the queued check task runs; `import_confirm`; the
queued import tasks run. The tasks run in this process from the real queue, as a worker runs
them (tests/integration/test_bulk.py's `work`, as tests/integration/test_imports.py does); the
sheet and the ZIP are written by tests/import_builders.py. Timed from
the upload to the last row imported: the companies, filings, scripts and documents are made by
the services, every image checked and stored, one audit event per change.

Baseline, same run: each of the same images, in memory, decoded the way the portal decodes an
upload (`filings.image_checks.inspect_image`, the portal's limits) and stored with a plain boto3
`put_object` to the same server and bucket. Portal and baseline alternate; each portal round
imports new companies (new credit codes) with the same images. Target: median <= 1.5x.
"""

from __future__ import annotations

import io
import os
import sys
import time
import uuid
from collections.abc import Iterator
from itertools import islice
from typing import Any

import harness

TARGET = 1.50
COMPANIES = {"full": 300, "quick": 30}
ROUNDS = {"full": 1, "quick": 3}  # a full round imports 300 companies: minutes
IMAGE_SIZE = (1024, 768)  # a scanned document page, about 150-200 KB as a JPEG
TASKS = "filings.imports.tasks."


# --- the files -----------------------------------------------------------------------------------


def kinds() -> list[str]:
    from filings.kinds import COMPANY_FILING

    return list(COMPANY_FILING.document_kinds)


def make_images(companies: int) -> list[list[bytes]]:
    """Six different JPEGs per company: a page with lines of 'text' and sensor-like noise."""
    from PIL import Image, ImageChops, ImageDraw

    width, height = IMAGE_SIZE
    noise = Image.effect_noise(IMAGE_SIZE, 10).convert("RGB")
    made = []
    for company in range(companies):
        files = []
        for index in range(len(kinds())):
            page = Image.new("RGB", IMAGE_SIZE, (240 - index * 4, 236, 228 - company % 20))
            draw = ImageDraw.Draw(page)
            draw.rectangle([40, 40, width - 40, height - 40], outline=(20, 40, 120), width=6)
            for line in range(18):
                top = 90 + line * 34
                right = width - 90 - (line * 37 + index * 101 + company * 13) % 400
                draw.rectangle([90, top, right, top + 14], fill=(50, 50, 60))
            buffer = io.BytesIO()
            ImageChops.add(page, noise, offset=-128).save(buffer, "JPEG", quality=85)
            files.append(buffer.getvalue())
        made.append(files)
    return made


def credit_codes(start: int) -> Iterator[str]:
    import dataset

    return dataset.credit_codes(start)


def sheet_csv(codes: list[str]) -> bytes:
    """The template's columns, one company a row: name, code, both fields and two scripts."""
    from tests import import_builders

    return import_builders.sheet_csv(import_builders.row(code, n) for n, code in enumerate(codes))


def archive(codes: list[str], images: list[list[bytes]]) -> bytes:
    """`<code>/<kind>.jpg` for each company's six images, stored (not compressed)."""
    from tests import import_builders

    return import_builders.archive(
        {
            f"{code}/{kind}.jpg": data
            for code, files in zip(codes, images, strict=True)
            for kind, data in zip(kinds(), files, strict=True)
        }
    )


# --- the subjects --------------------------------------------------------------------------------


def work() -> int:
    """Run the queued import tasks in this process, in the queue's order, as a worker does."""
    from tests.integration.test_bulk import work as run_tasks

    return run_tasks(tasks=TASKS)


def portal_import(
    actor: Any, sheet: bytes, zip_bytes: bytes, companies: int, phases: list[float] | None = None
) -> None:
    """Upload, check, confirm, import; `phases` gets the seconds up to the preview (upload and
    check) and from the confirmation to the last row imported."""
    from filings.imports.models import ImportRow, ImportRun
    from filings.imports.services import import_confirm, import_start
    from filings.services.documents import Upload

    clock = time.perf_counter()
    run = import_start(
        actor=actor,
        sheet=Upload("companies.csv", sheet),
        archive=Upload("documents.zip", zip_bytes),
        language="en",
    )
    work()
    run.refresh_from_db()
    assert run.state == ImportRun.State.CHECKED, (run.state, run.message)
    checked = time.perf_counter()
    import_confirm(actor=actor, run=run)
    work()
    run.refresh_from_db()
    assert run.state == ImportRun.State.DONE, (run.state, run.message)
    if phases is not None:
        phases += [checked - clock, time.perf_counter() - checked]
    done = run.rows.filter(outcome=ImportRow.Outcome.DONE).count()
    assert done == companies, (done, companies)


def baseline(client: Any, bucket: str, images: list[list[bytes]]) -> None:
    import bench_upload

    for files in images:
        for blob in files:
            bench_upload.validate(blob)
            client.put_object(Bucket=bucket, Key=f"plain/{uuid.uuid4()}.jpg", Body=blob)


# --- main ----------------------------------------------------------------------------------------


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0])
    size = "quick" if args.quick else "full"
    n, rounds = COMPANIES[size], ROUNDS[size]
    import bench_upload

    server, endpoint = bench_upload.start_moto()
    try:
        var = harness.temp_dir("import")
        harness.setup_django(var, env=bench_upload.s3_env(endpoint))
        harness.migrate()
        import logging

        import dataset

        from filings.models import Company, Document

        logging.getLogger("django_tasks").setLevel(logging.WARNING)
        harness.info(harness.machine())
        client = bench_upload.plain_client(endpoint)
        client.create_bucket(Bucket=bench_upload.BUCKET)
        actor = dataset.users()["preparer"]
        clock = time.perf_counter()
        images = make_images(n)
        sizes = [len(blob) for files in images for blob in files]
        rounds_data = []
        for index in range(rounds + 1):  # one more: the warm-up round
            codes = list(islice(credit_codes(50_000 + index * 10_000), n))
            rounds_data.append((sheet_csv(codes), archive(codes, images)))
        harness.info(
            f"{n} companies, {len(sizes)} JPEGs of {IMAGE_SIZE[0]}x{IMAGE_SIZE[1]}, "
            f"{min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KB, {sum(sizes) / harness.MB:.0f} MB "
            f"in all; ZIP {len(rounds_data[0][1]) / harness.MB:.0f} MB; made in "
            f"{time.perf_counter() - clock:.0f}s; S3: moto server {endpoint} (own process)"
        )
        # Warm-up: a few companies each way (imports, clients, connection pools).
        sheet, zip_bytes = rounds_data.pop()
        warm_codes = [next(credit_codes(90_000 + i)) for i in range(2)]
        portal_import(actor, sheet_csv(warm_codes), archive(warm_codes, images[:2]), 2)
        baseline(client, bench_upload.BUCKET, images[:2])
        samples: dict[str, list[float]] = {"portal": [], "baseline": []}
        phases: list[float] = []
        with harness.gc_paused():
            for sheet, zip_bytes in rounds_data:
                clock = time.perf_counter()
                portal_import(actor, sheet, zip_bytes, n, phases)
                samples["portal"].append(time.perf_counter() - clock)
                clock = time.perf_counter()
                baseline(client, bench_upload.BUCKET, images)
                samples["baseline"].append(time.perf_counter() - clock)
        portal, base = harness.median(samples["portal"]), harness.median(samples["baseline"])
        harness.figure(
            f"import_{n}_companies_{len(sizes)}_images",
            portal,
            base,
            TARGET,
            note=(
                f"median of {rounds}; baseline: inspect_image + boto3 put_object of each image; "
                f"per image {harness.seconds(portal / len(sizes))} vs "
                f"{harness.seconds(base / len(sizes))}"
            ),
        )
        harness.info(
            f"portal phases, median: upload and check (to the preview) "
            f"{harness.seconds(harness.median(phases[0::2]))}, confirm and import "
            f"{harness.seconds(harness.median(phases[1::2]))}"
        )
        harness.info(
            f"rounds: portal {', '.join(harness.seconds(s) for s in samples['portal'])}; "
            f"baseline {', '.join(harness.seconds(s) for s in samples['baseline'])}; "
            f"after the runs: {Company.objects.count()} companies, "
            f"{Document.objects.count()} documents"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
    sys.exit(0)
