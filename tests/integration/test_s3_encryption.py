"""S3 server-side encryption: the settings' object parameters, and documents stored through the
services on the moto S3 server carrying them (AES256, or aws:kms with the configured key)."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage

from portal.env import sse_object_parameters
from tests.builders import complete_filing
from tests.conftest import S3_KEYS

ROOT = Path(__file__).resolve().parents[2]
# Settings only (no django.setup()): what start-up makes of the environment.
PROBE = """
import json
from django.conf import settings
options = settings.STORAGES["default"].get("OPTIONS", {})
print(json.dumps(options.get("object_parameters")))
"""


def object_parameters_with(env: dict[str, str]) -> Any:
    """The default storage's object parameters, from the real settings in a fresh interpreter
    (development mode, so no production keys are needed)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DJANGO_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "true", **env})
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    if result.returncode:
        raise AssertionError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the pure helper


def test_aes256_is_the_store_managed_key() -> None:
    assert sse_object_parameters("AES256", "") == {"ServerSideEncryption": "AES256"}


def test_aws_kms_names_its_key_or_uses_the_default_one() -> None:
    assert sse_object_parameters("aws:kms", "key-1") == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "key-1",
    }
    assert sse_object_parameters("aws:kms", "") == {"ServerSideEncryption": "aws:kms"}


def test_a_kms_key_without_aws_kms_is_refused() -> None:
    with pytest.raises(ValueError, match=r"AWS_S3_SSE_KMS_KEY_ID needs .*=aws:kms"):
        sse_object_parameters("AES256", "key-1")


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="AWS_S3_SERVER_SIDE_ENCRYPTION must be one of"):
        sse_object_parameters("aes256", "")


# --- start-up


def test_a_bucket_encrypts_with_aes256_by_default() -> None:
    assert object_parameters_with({"AWS_STORAGE_BUCKET_NAME": "filings"}) == {
        "ServerSideEncryption": "AES256"
    }


def test_aws_kms_with_a_key_id_from_the_environment() -> None:
    parameters = object_parameters_with(
        {
            "AWS_STORAGE_BUCKET_NAME": "filings",
            "AWS_S3_SERVER_SIDE_ENCRYPTION": "aws:kms",
            "AWS_S3_SSE_KMS_KEY_ID": "arn:aws:kms:cn-north-1:1:key/abc",
        }
    )
    assert parameters == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "arn:aws:kms:cn-north-1:1:key/abc",
    }


@pytest.mark.parametrize("mode", [{}, {"AWS_S3_SERVER_SIDE_ENCRYPTION": "AES256"}])
def test_a_kms_key_id_without_aws_kms_refuses_start_up(mode: dict[str, str]) -> None:
    with pytest.raises(AssertionError) as failure:
        object_parameters_with(
            {"AWS_STORAGE_BUCKET_NAME": "filings", "AWS_S3_SSE_KMS_KEY_ID": "key-1", **mode}
        )
    assert (
        "ImproperlyConfigured: AWS_S3_SSE_KMS_KEY_ID needs AWS_S3_SERVER_SIDE_ENCRYPTION=aws:kms"
        in str(failure.value)
    )


# --- stored objects on the moto S3 server


def encrypt_storage(settings: Any, mode: str, kms_key_id: str = "") -> None:
    """The s3_storage fixture's bucket, with the object parameters start-up would set."""
    default = settings.STORAGES["default"]
    options = {**default["OPTIONS"], "object_parameters": sse_object_parameters(mode, kms_key_id)}
    settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": options}}


def stored_documents(preparer: User) -> list[Any]:
    filing = complete_filing(preparer)
    documents = list(filing.documents.all())
    assert len(documents) == 6
    for document in documents:  # encryption at rest is invisible to readers
        with default_storage.open(document.storage_key, "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == document.sha256
    return documents


@pytest.mark.django_db
def test_documents_are_stored_with_aes256(preparer: User, s3_storage: Any, settings: Any) -> None:
    encrypt_storage(settings, "AES256")
    bucket = settings.STORAGES["default"]["OPTIONS"]["bucket_name"]

    for document in stored_documents(preparer):
        head = s3_storage.head_object(Bucket=bucket, Key=document.storage_key)
        assert head["ServerSideEncryption"] == "AES256"
        assert "SSEKMSKeyId" not in head


@pytest.mark.django_db
def test_documents_are_stored_with_the_configured_kms_key(
    preparer: User, s3_storage: Any, s3_server: str, settings: Any
) -> None:
    import boto3

    kms = boto3.client(
        "kms",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    key_id = kms.create_key(Description="portal documents")["KeyMetadata"]["KeyId"]
    encrypt_storage(settings, "aws:kms", key_id)
    bucket = settings.STORAGES["default"]["OPTIONS"]["bucket_name"]

    for document in stored_documents(preparer):
        head = s3_storage.head_object(Bucket=bucket, Key=document.storage_key)
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"].endswith(key_id)


@pytest.mark.django_db
def test_without_object_parameters_the_store_reports_no_requested_encryption(
    preparer: User, s3_storage: Any, settings: Any
) -> None:
    """The moto server echoes only what was asked for: the assertions above are not vacuous."""
    bucket = settings.STORAGES["default"]["OPTIONS"]["bucket_name"]
    [document, *_] = stored_documents(preparer)
    head = s3_storage.head_object(Bucket=bucket, Key=document.storage_key)
    assert "ServerSideEncryption" not in head
    assert "SSEKMSKeyId" not in head
