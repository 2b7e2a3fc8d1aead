"""The server log: a refused request is one line, a server error keeps its traceback; every
page names an icon and /favicon.ico answers."""

import logging
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def lines_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the console shows for django.request: each record formatted as the portal does."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    return [
        line
        for record in caplog.records
        if record.name == "django.request"
        for line in formatter.format(record).splitlines()
    ]


def test_refused_and_missing_pages_are_logged_in_one_line_each(
    caplog: pytest.LogCaptureFixture, preparer: User
) -> None:
    client = Client()
    client.force_login(preparer)
    caplog.set_level(logging.WARNING, logger="django.request")

    refused = client.get(reverse("admin:filings_auditevent_export", args=["csv"]))
    missing = client.get(reverse("document-image", args=[uuid.uuid4()]))

    assert (refused.status_code, missing.status_code) == (403, 404)
    lines = lines_logged(caplog)
    assert len(lines) == 2, lines
    assert "Forbidden (Permission denied): /" in lines[0]
    assert "Not Found: /" in lines[1]
    assert not any("Traceback" in line for line in lines)


def test_a_server_error_keeps_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="django.request")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("django.request").error(
            "Internal Server Error: /x", exc_info=sys.exc_info(), extra={"status_code": 500}
        )

    assert any("Traceback" in line for line in lines_logged(caplog))


def test_pages_name_an_icon_and_favicon_ico_answers(client: Client, auditor: User) -> None:
    client.force_login(auditor)

    page = client.get(reverse("admin:index")).content.decode()
    icon = client.get("/favicon.ico")

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert '<link rel="icon" href="/static/favicon.ico"' in page
    assert (icon.status_code, icon["Location"]) == (302, "/static/favicon.ico")
    # The static files themselves (served by WhiteNoise, or the live server in the browser tests).
    ico = Path(str(finders.find("favicon.ico")))
    assert ico.read_bytes().startswith(b"\x00\x00\x01\x00")  # an ICO file
    assert Path(str(finders.find("favicon.svg"))).read_text().startswith("<svg")
