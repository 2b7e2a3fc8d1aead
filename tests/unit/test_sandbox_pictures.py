"""Which picture URLs the sandbox may fetch: scheme, host and port of the portal or its storage."""

import pytest

from filings.sandbox.pictures import origin_of


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:8000/d/t/a.jpg", ("http", "127.0.0.1", 8000)),
        (
            "HTTPS://Bucket.TOS-S3.example.com/k?X-Amz-Signature=ab",
            ("https", "bucket.tos-s3.example.com", 443),
        ),
        ("http://minio:80/b/k", ("http", "minio", 80)),
        ("http://[::1]:9000/b/k", ("http", "::1", 9000)),
    ],
)
def test_the_origin_is_scheme_host_and_port_with_the_default_port_filled_in(
    url: str, origin: tuple[str, str, int]
) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/a.jpg",
        "file:///etc/passwd",
        "http://portal@127.0.0.1:9/a.jpg",  # user info: the host is not what it seems
        "http://127.0.0.1:8000\\@evil.example/a.jpg",
        "http://127.0.0.1:99999/a.jpg",  # no such port
        "http://[::1/a.jpg",
        "http://127.0.0.1:8000/a b.jpg",
        "http:///a.jpg",
    ],
)
def test_ambiguous_or_foreign_urls_have_no_origin(url: str) -> None:
    assert origin_of(url) is None
