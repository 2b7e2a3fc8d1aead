"""Backup and restore of a PostgreSQL deployment: `python -m portal.backup dump|restore DIR`.

`dump` writes into DIR (new or empty, readable by its owner only):

- `database.dump`: `pg_dump --format=custom` of the configured database;
- `media.tar`: the filesystem storage's folder as stored (encrypted envelopes: restoring needs
  the same PORTAL_MEDIA_KEYS);
- `anchors.jsonl`: the audit anchor file;
- `manifest.json`: each file's SHA-256, and what was left out and why.

An S3 bucket's documents are not copied (its versioning and replication are their backup), nor
anchors in an Object Lock bucket (they cannot be changed or deleted anyway).

`restore` checks every file against the manifest, then restores the database into an empty one
(`pg_restore --single-transaction`: all or nothing), the media into an empty folder and the
anchor file where there is none yet. Both read the portal's settings from the environment, as
the app does, but load none of its apps.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess  # nosec B404
import sys
import tarfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.module_loading import import_string

DATABASE_FILE = "database.dump"
MEDIA_FILE = "media.tar"
ANCHORS_FILE = "anchors.jsonl"
MANIFEST_FILE = "manifest.json"
# libpq connection parameters that may come through DATABASES["default"]["OPTIONS"].
LIBPQ_OPTIONS = frozenset(
    {"sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "target_session_attrs"}
)


class BackupError(Exception):
    """A refusal or failure, said in one line."""


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: from $PG_BIN when set, else the PATH, else Debian's newest."""
    folder = os.environ.get("PG_BIN")
    if folder:
        return str(Path(folder) / name)
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=_version)
    if versions:
        return str(versions[-1])
    raise BackupError(f"{name} not found: install the PostgreSQL client or set PG_BIN")


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in path.parts[-3].split(".") if part.isdigit())


def libpq_target(database: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """A connection string without the password, and the environment that carries it."""
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError(
            "backups cover PostgreSQL; with SQLite stop the portal and copy the database file "
            "and the media folder"
        )
    parts = {
        "dbname": database["NAME"],
        "user": database.get("USER"),
        "host": database.get("HOST"),
        "port": database.get("PORT"),
        **{k: v for k, v in database.get("OPTIONS", {}).items() if k in LIBPQ_OPTIONS},
    }
    conninfo = " ".join(
        f"{key}='{_quoted(str(value))}'" for key, value in parts.items() if value not in ("", None)
    )
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return conninfo, env


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def media_folder() -> Path | None:
    """The filesystem storage's folder, or None when documents are in S3."""
    default = cast(dict[str, Any], settings.STORAGES["default"])
    if not issubclass(import_string(default["BACKEND"]), FileSystemStorage):
        return None
    return Path(default.get("OPTIONS", {}).get("location") or settings.MEDIA_ROOT)


def anchor_file() -> Path | None:
    """The anchor file, or None when anchors go to an Object Lock bucket."""
    return None if settings.PORTAL_ANCHOR_BUCKET else Path(settings.PORTAL_ANCHOR_FILE)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(command: list[str], env: dict[str, str]) -> None:
    # A PostgreSQL client with arguments made here, never a shell.
    result = subprocess.run(  # noqa: S603  # nosec B603
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def dump(target: Path) -> dict[str, Any]:
    conninfo, env = libpq_target(settings.DATABASES["default"])
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: each backup goes into a folder of its own")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.chmod(0o700)  # it holds personal data
    skipped: dict[str, str] = {}
    _run([pg_tool("pg_dump"), "--format=custom", f"--file={target / DATABASE_FILE}", conninfo], env)
    media = media_folder()
    if media is None:
        skipped["media"] = "documents are in S3: the bucket's versioning and replication"
    else:
        with tarfile.open(target / MEDIA_FILE, "w") as archive:
            if media.exists():
                archive.add(media, arcname=".")
    anchors = anchor_file()
    if anchors is None:
        skipped["anchors"] = "anchors are in an Object Lock bucket"
    elif anchors.exists():
        shutil.copyfile(anchors, target / ANCHORS_FILE)
    else:
        skipped["anchors"] = f"no anchor file at {anchors} yet"
    files = sorted(p.name for p in target.iterdir() if p.name != MANIFEST_FILE)
    manifest = {
        "created_at": datetime.now(UTC).isoformat(),
        "database": settings.DATABASES["default"]["NAME"],
        "files": {name: sha256_of(target / name) for name in files},
        "skipped": skipped,
    }
    (target / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _checked_manifest(source: Path) -> dict[str, Any]:
    if not (source / MANIFEST_FILE).is_file():
        raise BackupError(f"{source} holds no {MANIFEST_FILE}: not a folder make backup wrote")
    manifest: dict[str, Any] = json.loads((source / MANIFEST_FILE).read_text(encoding="utf-8"))
    for name, digest in manifest["files"].items():
        if not (source / name).is_file() or sha256_of(source / name) != digest:
            raise BackupError(f"{source / name} does not match the manifest: damaged backup")
    return manifest


def restore(source: Path) -> list[str]:
    """Restore what the backup holds; returns one line per part restored."""
    conninfo, env = libpq_target(settings.DATABASES["default"])
    manifest = _checked_manifest(source)
    media = media_folder()
    anchors = anchor_file()
    if MEDIA_FILE in manifest["files"] and media is None:
        raise BackupError("the backup holds a media folder, but documents are configured in S3")
    if media is not None and media.exists() and any(media.iterdir()):
        raise BackupError(f"{media} is not empty: restore documents into an empty folder")
    if anchors is not None and anchors.exists() and anchors.stat().st_size:
        backed_up = source / ANCHORS_FILE
        if not backed_up.exists() or sha256_of(anchors) != sha256_of(backed_up):
            raise BackupError(f"{anchors} exists and differs: anchors are never overwritten")
    done = []
    _run(
        [
            pg_tool("pg_restore"),
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            f"--dbname={conninfo}",
            str(source / DATABASE_FILE),
        ],
        env,
    )
    done.append(f"database {settings.DATABASES['default']['NAME']}")
    if media is not None and MEDIA_FILE in manifest["files"]:
        media.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tarfile.open(source / MEDIA_FILE) as archive:
            archive.extractall(media, filter="data")  # refuses links and paths leaving `media`
        done.append(f"media {media}")
    if anchors is not None and ANCHORS_FILE in manifest["files"]:
        anchors.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / ANCHORS_FILE, anchors)
        done.append(f"anchors {anchors}")
    return done


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    parser = argparse.ArgumentParser(
        prog="python -m portal.backup",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["dump", "restore"])
    parser.add_argument("folder", type=Path)
    arguments = parser.parse_args(argv)
    try:
        if arguments.action == "dump":
            manifest = dump(arguments.folder)
            for name in manifest["files"]:
                print(f"wrote {arguments.folder / name}")
            for part, reason in manifest["skipped"].items():
                print(f"not in the backup: {part} ({reason})")
        else:
            for line in restore(arguments.folder):
                print(f"restored {line}")
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
