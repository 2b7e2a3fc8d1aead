"""Settings for the test suite: the development environment, stated explicitly.

DEBUG and the sandbox are on unless the environment says otherwise; the real settings then load
as usual. The defaults are taken out of os.environ again afterwards, so the subprocesses that tests
start get only what each test gives them.
"""

import os
import tempfile
from pathlib import Path

DEVELOPMENT_DEFAULTS = {"DEBUG": "true", "VOLC_SANDBOX_ENABLED": "true"}

_added = {name: value for name, value in DEVELOPMENT_DEFAULTS.items() if name not in os.environ}
os.environ.update(_added)
try:
    from portal.settings import *  # noqa: F403
finally:
    for _name in _added:
        del os.environ[_name]

# A file, not SQLite's shared in-memory database: the live server's threads then wait for each
# other's writes (the busy timeout) instead of failing with "database table is locked". It lives
# in memory-backed /dev/shm where there is one, and skips fsync: a test database is thrown away.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    _shm = Path("/dev/shm")  # noqa: S108  # nosec B108
    _folder = _shm if _shm.is_dir() else Path(tempfile.gettempdir())
    DATABASES["default"]["TEST"] = {"NAME": str(_folder / f"portal-test-{os.getpid()}.sqlite3")}  # noqa: F405
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA synchronous=OFF"  # noqa: F405

# PostgreSQL: migration 0007's triggers refuse TRUNCATE of the audit tables unless the session
# says `portal.allow_audit_truncate=on`. Django's transactional tests empty the throwaway test
# database with TRUNCATE, so the test suite's connections say it. Never set it for a real
# database: there the portal's role has no TRUNCATE on those tables (README, "Database roles").
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c portal.allow_audit_truncate=on"  # noqa: F405
