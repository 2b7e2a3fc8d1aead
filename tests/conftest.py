"""Shared fixtures: users in roles, isolated storage, the sandbox over HTTP, a real S3 server."""

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from filings.roles import refresh_roles

IN_CI = os.environ.get("CI", "").lower() == "true"
SANDBOX_AK = "AKLTsandboxtest0001"
SANDBOX_SK = "sandbox-test-secret-7c1e5b"


def skip_unless_available(reason: str) -> None:
    """A missing part skips the test on a laptop and fails it in CI (CI=true)."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def isolated_storage(settings: Any, tmp_path: Any) -> None:
    """The embedded default, encrypted filesystem storage, in a folder of the test's own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "filings.encrypted_storage.EncryptedFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture(autouse=True)
def isolated_anchors(settings: Any, tmp_path: Any) -> None:
    """Audit anchors in an append-only file of the test's own."""
    settings.PORTAL_ANCHOR_BUCKET = ""
    settings.PORTAL_ANCHOR_FILE = str(tmp_path / "anchors" / "audit.jsonl")


def role(name: str) -> Group:
    """The group of filings.roles; a transactional test's flush removes the groups the
    migrations made, so they are made again when missing."""
    if not Group.objects.filter(name=name).exists():
        refresh_roles()
    return Group.objects.get(name=name)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(username: str, group: str | None = None, **extra: Any) -> User:
    user = User.objects.create_user(
        username, password=f"{username}-pw-123!", is_staff=True, **extra
    )
    if group:
        user.groups.add(role(group))
    return user


@pytest.fixture
def preparer(db: None) -> User:
    return _user("preparer", "Preparer")


@pytest.fixture
def preparer2(db: None) -> User:
    return _user("preparer2", "Preparer")


@pytest.fixture
def reviewer(db: None) -> User:
    return _user("reviewer", "Reviewer")


@pytest.fixture
def reviewer2(db: None) -> User:
    return _user("reviewer2", "Reviewer")


@pytest.fixture
def auditor(db: None) -> User:
    return _user("auditor", "Auditor")


@pytest.fixture
def superuser(db: None) -> User:
    return _user("root", is_superuser=True)


@pytest.fixture
def volc_settings(settings: Any) -> Any:
    """Credentials that the sandbox accepts (the endpoint is set by `sandbox`)."""
    settings.VOLC_ACCESSKEY = SANDBOX_AK
    settings.VOLC_SECRETKEY = SANDBOX_SK
    settings.VOLC_SANDBOX_ACCESSKEY = SANDBOX_AK
    settings.VOLC_SANDBOX_SECRETKEY = SANDBOX_SK
    settings.VOLC_REGION = "cn-beijing"
    settings.VOLC_CONNECT_TIMEOUT = 2.0
    settings.VOLC_READ_TIMEOUT = 5.0
    return settings


@pytest.fixture
def sandbox(live_server: Any, volc_settings: Any) -> str:
    """The built-in sandbox served over real HTTP by pytest-django's live server."""
    volc_settings.VOLC_SANDBOX_ENABLED = True
    volc_settings.VOLC_VMS_ENDPOINT = f"{live_server.url}/sandbox/vms/"
    volc_settings.PORTAL_PUBLIC_BASE_URL = live_server.url
    return str(volc_settings.VOLC_VMS_ENDPOINT)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3-protocol server on a loopback port, for the whole session."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:  # pragma: no cover - moto[server] is in the test extra
        skip_unless_available("moto[server] is not installed")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


S3_KEYS = {"AWS_ACCESS_KEY_ID": "testing-access", "AWS_SECRET_ACCESS_KEY": "testing-secret"}


@pytest.fixture
def s3_storage(settings: Any, s3_server: str, request: Any) -> Any:
    """Documents stored in a fresh private bucket on the moto server (path-style addressing)."""
    import boto3
    from botocore.config import Config

    bucket = f"portal-{request.node.name.lower().replace('_', '-')[:40].strip('-')}-{free_port()}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
        config=Config(s3={"addressing_style": "path"}),
    )
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "filings.s3_storage.NoOverwriteS3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "access_key": S3_KEYS["AWS_ACCESS_KEY_ID"],
                "secret_key": S3_KEYS["AWS_SECRET_ACCESS_KEY"],
                "addressing_style": "path",
                "querystring_auth": True,
                "querystring_expire": 600,
                "default_acl": None,
            },
        },
    }
    return client
