"""Uploading six 4 MB JPEGs through document_upload into S3, against validating them the same
way plus boto3 put_object.

`python bench/bench_upload.py [--quick]`. S3 is moto's server in its own process
(`python -m moto.server -H 127.0.0.1 -p PORT`); the portal is configured for it through the
same environment variables production uses (AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL, ...),
so uploads go through the portal's S3 backend (`filings.s3_storage`) with its client config.

Portal: for each of the six document kinds, read the file and call
`filings.services.documents.document_upload` (content checks, full validation, storage save,
transaction, audit event) on a fresh draft filing. Baseline, in the same run: the validation
floor and the plain store of each file: read the same file, decode it the way the portal
decodes it (`filings.image_checks.inspect_image`, the same limits), then `put_object` the same
bytes to the same server and bucket with a plain boto3 client. (Validation is required: content
decides the type and nothing unchecked is stored, so the floor validates too.) Rounds alternate
portal and baseline. Targets: median round <= 1.3x; peak RSS growth of the portal during one
round (fresh interpreter, after a warm-up upload) <= 3x one file.
The images are made here with Pillow: 4032x3024 (a 12 MP phone photo of a document) with
sensor-like noise, JPEG quality chosen so each file is about 4 MB.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import harness

TIME_TARGET = 1.30
MEMORY_TARGET = 3.0  # peak RSS growth, in files
ROUNDS = {"full": 5, "quick": 2}
SIZE = (4032, 3024)
FILE_BYTES = (3.8 * harness.MB, 4.3 * harness.MB)
BUCKET = "portal-bench-documents"
KEYS = {"AWS_ACCESS_KEY_ID": "bench-access", "AWS_SECRET_ACCESS_KEY": "bench-secret"}


def make_images(folder: Path) -> list[Path]:
    """Six document photos of about 4 MB each, one per kind."""
    from PIL import Image, ImageChops, ImageDraw

    noise = Image.effect_noise(SIZE, 12).convert("RGB")
    paths = []
    width, height = SIZE
    for index, kind in enumerate(_kinds()):
        page = Image.new("RGB", SIZE, (236 - index * 3, 233, 226))
        draw = ImageDraw.Draw(page)
        draw.rectangle([150, 150, width - 150, height - 150], outline=(20, 40, 120), width=12)
        for line in range(40):
            top = 260 + line * 64
            right = width - 300 - (line * 37 + index * 101) % 900
            draw.rectangle([300, top, right, top + 26], fill=(50, 50, 60))
        photo = ImageChops.add(page, noise, offset=-128)
        for quality in range(92, 60, -2):
            buffer = io.BytesIO()
            photo.save(buffer, "JPEG", quality=quality)
            if buffer.tell() <= FILE_BYTES[1]:
                break
        assert FILE_BYTES[0] <= buffer.tell() <= FILE_BYTES[1], buffer.tell()
        path = folder / f"{kind}.jpg"
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("moto server did not start")


def s3_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
        **KEYS,
    }


def plain_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
        config=Config(s3={"addressing_style": "path"}),
    )


class Subjects:
    """The two ways of storing the six files, and what each needs set up."""

    def __init__(self, endpoint: str, paths: list[Path]) -> None:
        import dataset

        self.paths = paths
        self.people = dataset.users()
        self.code = dataset.credit_codes()
        self.client = plain_client(endpoint)

    def draft(self) -> Any:
        from tests import builders

        return builders.company(self.people["preparer"], code=next(self.code)).pk

    def portal(self, company_id: int) -> None:
        from filings.models import Company
        from filings.services.documents import Upload, document_upload
        from filings.services.editing import filing_create

        preparer = self.people["preparer"]
        filing = filing_create(actor=preparer, company=Company.objects.get(pk=company_id))
        for kind, path in zip(_kinds(), self.paths, strict=True):
            upload = Upload(path.name, path.read_bytes())
            document_upload(actor=preparer, filing=filing, kind=kind, upload=upload)

    def storage(self) -> None:
        """Only the portal's storage step (filings.storage.save_object), for the breakdown."""
        from filings.storage import document_key, save_object

        for path in self.paths:
            save_object(document_key(uuid.uuid4(), "bench", "jpg"), path.read_bytes())

    def baseline(self) -> None:
        """The floor: decode each file as the portal does, then put_object the same bytes."""
        for path in self.paths:
            blob = path.read_bytes()
            validate(blob)
            self.client.put_object(
                Bucket=BUCKET, Key=f"plain/{uuid.uuid4()}/{path.name}", Body=blob
            )

    def plain_put(self) -> None:
        """put_object alone, for the breakdown."""
        for path in self.paths:
            key = f"plain/{uuid.uuid4()}/{path.name}"
            self.client.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())

    def warm_up(self, folder: Path) -> None:
        """One small upload each way: clients, connection pools and imports made."""
        from tests.imagecorpus import jpeg_bytes

        small = folder / "warm-up.jpg"
        small.write_bytes(jpeg_bytes(640, 480, noise=True))
        saved, self.paths = self.paths, [small] * len(self.paths)
        try:
            self.portal(self.draft())
            self.baseline()
        finally:
            self.paths = saved


def run_probe(which: str, endpoint: str, folder: str) -> None:
    """In a fresh interpreter: warm up, then the peak RSS growth of one round of six files."""
    var = harness.temp_dir("upload-probe")
    harness.setup_django(var, env=s3_env(endpoint))
    harness.migrate()
    paths = sorted(Path(folder).glob("*.jpg"), key=lambda p: _kinds().index(p.stem))
    subjects = Subjects(endpoint, paths)
    subjects.warm_up(var)
    company = subjects.draft()
    run = (lambda: subjects.portal(company)) if which == "portal" else subjects.plain_put
    print(json.dumps(harness.measure_memory("rss", run)))


def _kinds() -> tuple[str, ...]:
    """The six documents of a company filing."""
    from filings.kinds import COMPANY_FILING

    return tuple(COMPANY_FILING.document_kinds)


def main() -> int:
    args = harness.arguments(
        __doc__.splitlines()[0], probe="portal|baseline (internal)", endpoint="", files=""
    )
    if args.probe:
        run_probe(args.probe, args.endpoint, args.files)
        return 0
    size = "quick" if args.quick else "full"
    server, endpoint = start_moto()
    try:
        var = harness.temp_dir("upload")
        harness.setup_django(var, env=s3_env(endpoint))
        harness.migrate()
        harness.info(harness.machine())
        plain_client(endpoint).create_bucket(Bucket=BUCKET)
        folder = harness.temp_dir("upload-files")
        started = time.perf_counter()
        paths = make_images(folder)
        sizes = [p.stat().st_size for p in paths]
        harness.info(
            f"six {SIZE[0]}x{SIZE[1]} JPEGs, {min(sizes) / harness.MB:.2f}-"
            f"{max(sizes) / harness.MB:.2f} MB, made in {time.perf_counter() - started:.1f}s; "
            f"S3: moto server {endpoint} (own process)"
        )
        subjects = Subjects(endpoint, paths)
        subjects.warm_up(var)
        companies = [subjects.draft() for _ in range(ROUNDS[size] + 1)]
        with harness.gc_paused():
            times = harness.interleaved(
                {
                    "portal": lambda: subjects.portal(companies.pop()),
                    "baseline": subjects.baseline,
                    "storage": subjects.storage,
                    "put": subjects.plain_put,
                },
                ROUNDS[size],
            )
        harness.figure(
            "upload_six_4mb_validated",
            harness.median(times["portal"]),
            harness.median(times["baseline"]),
            TIME_TARGET,
            note=(
                f"median of {ROUNDS[size]} rounds of six files; baseline: inspect_image + "
                f"boto3 put_object of each"
            ),
        )
        base = harness.median(times["baseline"])
        floor = validation_floor(paths)
        storage = harness.median(times["storage"])
        put = harness.median(times["put"])
        harness.info(
            f"parts: validation alone (inspect_image, six files) {harness.seconds(floor)}, "
            f"put_object alone {harness.seconds(put)} (sum {floor + put:.3f}s, baseline "
            f"{base:.3f}s); the portal's storage step alone (save_object: one conditional "
            f"PutObject) {harness.seconds(storage)} = "
            f"{storage / put:.2f}x put_object"
        )
        one_file = sum(sizes) / len(sizes) / 1024
        grown = {
            which: harness.probe(
                __file__, "--probe", which, "--endpoint", endpoint, "--files", str(folder)
            )["rss"]
            for which in ("portal", "baseline")
        }
        harness.figure(
            "upload_peak_rss_growth",
            grown["portal"],
            one_file,
            MEMORY_TARGET,
            show=harness.megabytes,
            labels=("portal", "one file"),
            note=(
                "fresh interpreter, one round of six; boto3 put_object: "
                + harness.megabytes(grown["baseline"])
            ),
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


def validate(blob: bytes) -> None:
    """The portal's decoding of an upload, with the portal's limits."""
    from django.conf import settings

    from filings.image_checks import inspect_image

    inspect_image(
        blob,
        field_label="bench",
        max_bytes=settings.PORTAL_MAX_UPLOAD_BYTES,
        max_pixels=settings.PORTAL_MAX_IMAGE_PIXELS,
    )


def validation_floor(paths: list[Path]) -> float:
    blobs = [path.read_bytes() for path in paths]
    samples = []
    for _ in range(3):
        started = time.perf_counter()
        for blob in blobs:
            validate(blob)
        samples.append(time.perf_counter() - started)
    return harness.median(samples)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
    sys.exit(0)
