"""Production settings: deploy checks, demo data refused, health, login throttling, sessions."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7!q-production-like-secret-key-for-the-deploy-check-0123456789abcdefghij",
    "AUDIT_CHAIN_KEY": "production-like-audit-chain-key-0123456789abcdef",
    # 32 bytes of "p": a keyring for the encrypted filesystem storage.
    "PORTAL_MEDIA_KEYS": "prod-like:cHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHA=",
    "ALLOWED_HOSTS": "portal.example.com",
    "VOLC_ACCESSKEY": "AKLTproductionlike",
    "VOLC_SECRETKEY": "production-like-secret",
}


def manage(*args: str, env: dict[str, str], var_dir: Path) -> subprocess.CompletedProcess[str]:
    """manage.py with only `env` (and PATH): nothing of this process's settings leaks in."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    clean.update(env, PORTAL_VAR_DIR=str(var_dir))
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_reports_nothing_with_production_settings(tmp_path: Path) -> None:
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, var_dir=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_sandbox_cannot_be_enabled_in_production(tmp_path: Path) -> None:
    env = {**PRODUCTION, "VOLC_SANDBOX_ENABLED": "true"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, var_dir=tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured: VOLC_SANDBOX_ENABLED=true needs DEBUG=true" in result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "AUDIT_CHAIN_KEY"])
def test_production_refuses_to_start_without_its_keys(tmp_path: Path, missing: str) -> None:
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = manage("check", env=env, var_dir=tmp_path)
    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG is off" in result.stderr


def test_demo_data_is_refused_when_debug_is_off(tmp_path: Path) -> None:
    assert manage("migrate", "-v0", env=PRODUCTION, var_dir=tmp_path).returncode == 0
    result = manage("seed_demo", env=PRODUCTION, var_dir=tmp_path)
    assert result.returncode != 0
    assert "DEBUG is off: refusing to create demo users" in result.stderr


@pytest.mark.django_db
def test_health_reports_database_and_storage(client: Client, settings: Any, tmp_path: Path) -> None:
    healthy = client.get(reverse("health"))
    assert (healthy.status_code, healthy.json()) == (200, {"database": "ok", "storage": "ok"})

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "filings.s3_storage.NoOverwriteS3Storage",
            "OPTIONS": {
                "bucket_name": "nowhere",
                "endpoint_url": "http://127.0.0.1:9",  # discard port: nothing listens
                "access_key": "k",
                "secret_key": "s",
                "region_name": "us-east-1",
            },
        },
    }
    sick = client.get(reverse("health"))
    assert (sick.status_code, sick.json()) == (503, {"database": "ok", "storage": "unavailable"})


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_then_even_the_right_password_fails(
    preparer: User, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    login = reverse("admin:login")
    for _ in range(3):
        client.post(login, {"username": "preparer", "password": "wrong"})
    locked = client.post(login, {"username": "preparer", "password": "preparer-pw-123!"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_correct_login_works_and_the_session_ends_with_the_browser(preparer: User) -> None:
    client = Client()
    answer = client.post(
        reverse("admin:login"), {"username": "preparer", "password": "preparer-pw-123!"}
    )
    assert answer.status_code == 302
    assert client.session.get_expire_at_browser_close()
    assert client.get(reverse("admin:index")).status_code == 200
