"""Real task workers for tests: `manage.py db_worker` processes on the test database."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database this test runs on (the throwaway test database)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


def worker_env(settings: Any, **extra: str) -> dict[str, str]:
    """What a worker needs to share this test's database, media and anchors."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database_url(),
        "PORTAL_ANCHOR_FILE": str(settings.PORTAL_ANCHOR_FILE),
        # The isolated storage of tests/conftest.py is <folder>/media, as VAR_DIR/media is.
        "PORTAL_VAR_DIR": str(Path(settings.STORAGES["default"]["OPTIONS"]["location"]).parent),
    }
    env.update(extra)
    return env


def start_worker(settings: Any, *args: str, **extra: str) -> subprocess.Popen[str]:
    """A `db_worker` process (`--batch`: until the queue is empty)."""
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-startup-delay",
            "--interval",
            "0.1",
            *args,
        ],
        cwd=ROOT,
        env=worker_env(settings, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_batch(settings: Any, timeout: float = 60) -> str:
    """Run one worker until the queue is empty; its output. Fails the test if it fails."""
    process = start_worker(settings, "--batch")
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output
