"""Start-up fails closed: without DEBUG the portal is production, refuses development keys and
has no sandbox. Each case loads the real settings in a fresh interpreter with only the variables
it names."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
DEMO_AUDIT_CHAIN_KEY = "demo-audit-chain-key-development-only"
DEVELOPMENT_MEDIA_KEYS = "dev:ZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGQ="
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7!q-production-like-secret-key-for-the-start-up-tests-0123456789",
    "AUDIT_CHAIN_KEY": "production-like-audit-chain-key-0123456789abcdef",
    # 32 bytes of "p": a keyring for the encrypted filesystem storage.
    "PORTAL_MEDIA_KEYS": "prod-like:cHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHA=",
    "ALLOWED_HOSTS": "portal.example.com",
}
DEVELOPMENT = {
    "DEBUG": "true",
    "VOLC_SANDBOX_ENABLED": "true",
    "ALLOWED_HOSTS": "portal.example.com",
}

# What a request to the sandbox's address gets, and whether any sandbox module was loaded.
SANDBOX_PROBE = """
import json, sys, django
SANDBOX_MODULES = ("filings.sandbox", "filings.volc.sandbox")
django.setup()
from django.apps import apps
from django.test import Client
import portal.urls
answer = Client().post("/sandbox/vms/", secure=True, HTTP_HOST="portal.example.com")
print(json.dumps({
    "installed": apps.is_installed("filings.sandbox"),
    "status": answer.status_code,
    "loaded": sorted(m for m in sys.modules if m.startswith(SANDBOX_MODULES)),
}))
"""
DEBUG_PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({"debug": settings.DEBUG, "ssl_redirect": settings.SECURE_SSL_REDIRECT}))
"""


def python(*args: str, env: dict[str, str], var_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run Python in the project with nothing from this process's environment but PATH."""
    only = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_VAR_DIR": str(var_dir),
        **env,
    }
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=only, capture_output=True, text=True, check=False
    )


def probe(code: str, env: dict[str, str], var_dir: Path) -> dict[str, object]:
    result = python("-c", code, env=env, var_dir=var_dir)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The ImproperlyConfigured message that stopped start-up."""
    assert result.returncode != 0, result.stdout
    [line] = [
        line
        for line in result.stderr.splitlines()
        if line.startswith("django.core.exceptions.ImproperlyConfigured: ")
    ]
    return line.partition(": ")[2]


def test_a_forgotten_debug_means_production(tmp_path: Path) -> None:
    without_keys = python("manage.py", "check", env={}, var_dir=tmp_path)
    assert "SECRET_KEY must be set when DEBUG is off" in refusal(without_keys)

    keys_only = {
        name: PRODUCTION[name] for name in ("SECRET_KEY", "AUDIT_CHAIN_KEY", "PORTAL_MEDIA_KEYS")
    }
    assert probe(DEBUG_PROBE, keys_only, tmp_path) == {"debug": False, "ssl_redirect": True}


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("SECRET_KEY", "", "SECRET_KEY must be set when DEBUG is off"),
        ("SECRET_KEY", DEVELOPMENT_SECRET_KEY, "SECRET_KEY is the development key"),
        ("SECRET_KEY", "k" * 31, "SECRET_KEY must be at least 32 bytes long"),
        ("AUDIT_CHAIN_KEY", "", "AUDIT_CHAIN_KEY must be set when DEBUG is off"),
        ("AUDIT_CHAIN_KEY", DEMO_AUDIT_CHAIN_KEY, "AUDIT_CHAIN_KEY is the development key"),
        ("AUDIT_CHAIN_KEY", "k" * 31, "AUDIT_CHAIN_KEY must be at least 32 bytes long"),
        ("PORTAL_MEDIA_KEYS", "", "PORTAL_MEDIA_KEYS must be set when DEBUG is off"),
        ("PORTAL_MEDIA_KEYS", DEVELOPMENT_MEDIA_KEYS, "PORTAL_MEDIA_KEYS is the development key"),
        ("PORTAL_MEDIA_KEYS", "k1:" + "A" * 32, "PORTAL_MEDIA_KEYS: the key 'k1' has 24 bytes"),
    ],
    ids=[
        "secret-unset",
        "secret-dev",
        "secret-short",
        "chain-unset",
        "chain-demo",
        "chain-short",
        "media-unset",
        "media-dev",
        "media-not-32-bytes",
    ],
)
def test_production_refuses_a_missing_development_or_short_key(
    tmp_path: Path, name: str, value: str, said: str
) -> None:
    result = python("manage.py", "check", env={**PRODUCTION, name: value}, var_dir=tmp_path)

    message = refusal(result)
    assert message.startswith(said)
    if value:
        assert value not in result.stderr  # a refused secret is named, never shown


def test_keys_of_32_bytes_are_enough(tmp_path: Path) -> None:
    env = {**PRODUCTION, "SECRET_KEY": "s" * 32, "AUDIT_CHAIN_KEY": "密" * 11}  # 33 bytes
    result = python("manage.py", "check", env=env, var_dir=tmp_path)
    assert result.returncode == 0, result.stderr


def test_enabling_the_sandbox_with_debug_off_refuses_start_up(tmp_path: Path) -> None:
    env = {**PRODUCTION, "VOLC_SANDBOX_ENABLED": "true"}

    message = refusal(python("manage.py", "check", env=env, var_dir=tmp_path))

    assert "VOLC_SANDBOX_ENABLED" in message
    assert "DEBUG" in message


def test_with_debug_off_the_sandbox_is_neither_installed_nor_routed(tmp_path: Path) -> None:
    assert probe(SANDBOX_PROBE, PRODUCTION, tmp_path) == {
        "installed": False,
        "status": 404,
        "loaded": [],
    }


def test_in_development_the_sandbox_is_installed_and_routed(tmp_path: Path) -> None:
    # An unsigned POST: MissingAuthenticationToken (401), answered before any database work.
    found = probe(SANDBOX_PROBE, DEVELOPMENT, tmp_path)

    assert (found["installed"], found["status"]) == (True, 401)
    assert {"filings.sandbox.admin", "filings.sandbox.views"} <= set(found["loaded"])  # type: ignore[call-overload]


def _sandbox_imports(tree: ast.Module, *, module_level_only: bool) -> list[int]:
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    lines = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        if any(name.startswith(("filings.sandbox", "filings.volc.sandbox")) for name in names):
            lines.append(node.lineno)
    return lines


def test_production_code_never_imports_the_sandbox() -> None:
    """Only the sandbox app itself, and the demo inside its development-only path, import it."""
    offenders = []
    for path in sorted([*ROOT.glob("portal/**/*.py"), *ROOT.glob("filings/**/*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(("filings/sandbox/", "filings/migrations/")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        lazy_allowed = relative == "filings/demo.py"
        offenders += [
            f"{relative}:{line}" for line in _sandbox_imports(tree, module_level_only=lazy_allowed)
        ]
    assert offenders == []
