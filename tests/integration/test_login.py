"""Logging in: throttling keyed on the real client behind trusted proxies; where a login lands."""

import os
import runpy
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "portal" / "settings.py"
PROXY = "10.0.0.7"  # the reverse proxy every request comes through
PASSWORD = "preparer-pw-123!"  # tests/conftest.py's password for the `preparer` fixture

pytestmark = pytest.mark.django_db


def client_ip_settings(monkeypatch: pytest.MonkeyPatch, count: str) -> dict[str, Any]:
    """The settings portal/settings.py derives for how the client's address is found."""
    monkeypatch.setenv("DEBUG", "true")
    monkeypatch.setenv("PORTAL_TRUSTED_PROXY_COUNT", count)
    loaded = runpy.run_path(str(SETTINGS_FILE))
    return {
        name: value
        for name, value in loaded.items()
        if name.startswith(("AXES_IPWARE_", "IPWARE_", "AXES_CLIENT_IP"))
    }


@pytest.fixture
def throttled(settings: Any) -> Any:
    settings.AXES_FAILURE_LIMIT = 3
    return settings


def attempt(forwarded_for: str, password: str) -> int:
    """One login from a fresh browser behind the proxy; returns the HTTP status."""
    answer = Client().post(
        reverse("admin:login"),
        {"username": "preparer", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )
    return answer.status_code


def test_behind_one_proxy_each_client_is_throttled_on_its_own(
    preparer: User, throttled: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in client_ip_settings(monkeypatch, "1").items():
        setattr(throttled, name, value)

    assert attempt("203.0.113.10", "wrong") == 200  # the form again, with an error
    assert attempt("203.0.113.10", "wrong") == 200
    assert attempt("203.0.113.10", "wrong") == 429  # the third failure locks this client out ...
    assert attempt("203.0.113.10", PASSWORD) == 429
    assert (
        attempt("203.0.113.20", PASSWORD) == 302
    )  # ... the colleague behind the same proxy is not


def test_the_proxy_appends_the_real_client_so_a_forged_header_does_not_help(
    preparer: User, throttled: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in client_ip_settings(monkeypatch, "1").items():
        setattr(throttled, name, value)

    # The client sends its own X-Forwarded-For; the proxy appends the address it saw.
    for forged in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        attempt(f"{forged}, 203.0.113.10", "wrong")
    assert attempt("198.51.100.4, 203.0.113.10", PASSWORD) == 429


def test_without_trusted_proxies_x_forwarded_for_is_ignored(
    preparer: User, throttled: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    derived = client_ip_settings(monkeypatch, "0")
    assert derived["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ("REMOTE_ADDR",)
    for name, value in derived.items():
        setattr(throttled, name, value)

    for spoofed in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        attempt(spoofed, "wrong")
    assert attempt("203.0.113.4", PASSWORD) == 429  # every attempt counted against the address


def test_the_default_is_no_trusted_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_TRUSTED_PROXY_COUNT", raising=False)
    monkeypatch.setenv("DEBUG", "true")
    loaded = runpy.run_path(str(SETTINGS_FILE))
    assert loaded["PORTAL_TRUSTED_PROXY_COUNT"] == 0
    assert loaded["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ("REMOTE_ADDR",)
    assert "PORTAL_TRUSTED_PROXY_COUNT" not in os.environ


@pytest.mark.parametrize("refused", ["https://evil.example/", "//evil.example/", "http:evil"])
def test_a_refused_next_lands_on_the_portal_home(preparer: User, refused: str) -> None:
    client = Client()
    answer = client.post(
        reverse("admin:login"),
        {"username": "preparer", "password": PASSWORD, "next": refused},
    )

    assert answer.status_code == 302
    assert answer["Location"] == reverse("admin:index")
    assert client.get(answer["Location"]).status_code == 200
