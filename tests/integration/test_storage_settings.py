"""S3 settings for AWS S3, MinIO and Volcengine TOS, and the orphan clean-up command."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from filings.storage import document_key, orphaned_keys
from tests.builders import complete_filing

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
django.setup()
from django.conf import settings
options = settings.STORAGES["default"].get("OPTIONS", {})
config = options.get("client_config")
print(json.dumps({
    "backend": settings.STORAGES["default"]["BACKEND"],
    "bucket": options.get("bucket_name"),
    "endpoint": options.get("endpoint_url"),
    "region": options.get("region_name"),
    "querystring_auth": options.get("querystring_auth"),
    "expire": options.get("querystring_expire"),
    "acl": options.get("default_acl"),
    "addressing": config.s3["addressing_style"] if config else None,
    "request_checksum": getattr(config, "request_checksum_calculation", None),
    "response_checksum": getattr(config, "response_checksum_validation", None),
}))
"""


def settings_with(env: dict[str, str]) -> dict[str, Any]:
    """Load the real settings module in a fresh interpreter with `env` (settings read it once),
    in development mode so that no production keys are needed."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DJANGO_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "true", **env})
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_without_a_bucket_documents_go_to_the_filesystem() -> None:
    loaded = settings_with({})
    assert loaded["backend"] == "filings.encrypted_storage.EncryptedFileSystemStorage"


def test_aws_s3_is_private_with_presigned_urls_and_never_overwrites() -> None:
    loaded = settings_with(
        {"AWS_STORAGE_BUCKET_NAME": "filings", "AWS_S3_REGION_NAME": "cn-north-1"}
    )
    assert loaded["backend"] == "filings.s3_storage.NoOverwriteS3Storage"
    assert loaded["bucket"] == "filings"
    assert loaded["region"] == "cn-north-1"
    assert loaded["querystring_auth"] is True
    assert loaded["expire"] == 86400
    assert loaded["acl"] is None
    assert loaded["request_checksum"] == "when_supported"


def test_minio_uses_path_style_on_its_endpoint() -> None:
    loaded = settings_with(
        {
            "AWS_STORAGE_BUCKET_NAME": "filings",
            "AWS_S3_ENDPOINT_URL": "http://minio.internal:9000",
            "AWS_S3_ADDRESSING_STYLE": "path",
        }
    )
    assert loaded["endpoint"] == "http://minio.internal:9000"
    assert loaded["addressing"] == "path"


def test_volcengine_tos_uses_virtual_hosts_and_checksums_only_when_required() -> None:
    loaded = settings_with(
        {
            "AWS_STORAGE_BUCKET_NAME": "filings",
            "AWS_S3_ENDPOINT_URL": "https://tos-s3-cn-beijing.volces.com",
            "AWS_S3_REGION_NAME": "cn-beijing",
            "AWS_S3_ADDRESSING_STYLE": "virtual",
            "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
            "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
            "AWS_QUERYSTRING_EXPIRE": "3600",
        }
    )
    assert loaded["addressing"] == "virtual"
    assert loaded["request_checksum"] == "when_required"
    assert loaded["response_checksum"] == "when_required"
    assert loaded["expire"] == 3600


def test_public_read_objects_are_refused_at_start_up() -> None:
    with pytest.raises(subprocess.CalledProcessError) as failure:
        settings_with({"AWS_STORAGE_BUCKET_NAME": "filings", "AWS_QUERYSTRING_AUTH": "false"})
    assert "ImproperlyConfigured: AWS_QUERYSTRING_AUTH=false" in failure.value.stderr


def test_querystring_auth_set_to_true_keeps_the_bucket_private() -> None:
    loaded = settings_with({"AWS_STORAGE_BUCKET_NAME": "filings", "AWS_QUERYSTRING_AUTH": "true"})
    assert (loaded["querystring_auth"], loaded["acl"]) == (True, None)


def test_a_misspelt_checksum_mode_stops_start_up_with_its_name() -> None:
    with pytest.raises(subprocess.CalledProcessError) as failure:
        settings_with(
            {"AWS_STORAGE_BUCKET_NAME": "b", "AWS_REQUEST_CHECKSUM_CALCULATION": "when-required"}
        )
    assert "AWS_REQUEST_CHECKSUM_CALCULATION must be one of" in failure.value.stderr


@pytest.mark.django_db
def test_cleanup_orphans_finds_only_unreferenced_objects(preparer: Any, capsys: Any) -> None:
    filing = complete_filing(preparer)
    orphan = document_key(filing.uuid, "businessLicense", "jpg")
    default_storage.save(orphan, ContentFile(b"left behind by a crash"))

    assert orphaned_keys(older_than=timedelta(0)) == [orphan]
    # Young objects are kept: their upload may still be committing.
    assert orphaned_keys(older_than=timedelta(hours=1)) == []

    call_command("cleanup_orphans", "--minutes", "0")
    assert default_storage.exists(orphan)  # listing only
    call_command("cleanup_orphans", "--minutes", "0", "--delete")
    assert not default_storage.exists(orphan)
    assert orphaned_keys(older_than=timedelta(0)) == []
    assert f"deleted {orphan}" in capsys.readouterr().out
    for document in filing.documents.all():
        assert default_storage.exists(document.storage_key)


@pytest.mark.django_db
def test_cleanup_orphans_on_s3(preparer: Any, s3_storage: Any) -> None:
    filing = complete_filing(preparer)
    orphan = document_key(filing.uuid, "operatorIdcard", "png")
    default_storage.save(orphan, ContentFile(b"orphan"))
    assert orphaned_keys(older_than=timedelta(0)) == [orphan]
    call_command("cleanup_orphans", "--minutes", "0", "--delete")
    assert orphaned_keys(older_than=timedelta(0)) == []
    assert filing.documents.count() == 6
