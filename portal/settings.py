"""Settings: every value comes from the environment.

Production is the default: with DEBUG unset or off, start-up refuses missing, development or short
keys, and the development-only sandbox cannot be enabled. portal/test_settings.py states the
development environment explicitly for the test suite.
"""

import logging
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from filings.media_crypto import MediaKeyError, parse_keyring
from portal.env import (
    SERVER_SIDE_ENCRYPTION,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_str,
    production_secret_problem,
    sse_object_parameters,
)

# Lets ModelAdmin[...] / ModelForm[...] be subscripted at run time, as the type stubs expect.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
# Development values: used only while DEBUG is on, refused when it is off.
_DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105  # nosec B105
_DEVELOPMENT_AUDIT_CHAIN_KEY = "demo-audit-chain-key-development-only"
# 32 bytes of "d": a keyring anybody can read, so only ever for development data.
_DEVELOPMENT_MEDIA_KEYS = "dev:ZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGQ="  # nosec B105


def _secret(name: str, development_value: str) -> str:
    value = env_str(name)
    if DEBUG:
        return value or development_value
    problem = production_secret_problem(name, value, development_value)
    if problem:
        raise ImproperlyConfigured(problem)
    return value


SECRET_KEY = _secret("SECRET_KEY", _DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",  # django.contrib.admin
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "storages",
    "portal.apps.AxesConfig",  # axes
    "django_tasks",
    "portal.apps.TasksDatabaseConfig",  # django_tasks_db
    "filings.apps.FilingsConfig",
    "filings.notifications.apps.NotificationsConfig",
    "filings.bulk.apps.BulkConfig",
    "filings.imports.apps.ImportsConfig",
]

# Background work (Django's Tasks API, the django-tasks backport): tasks are rows in the portal's
# database; `manage.py db_worker` runs them. Any number of workers on any number of machines share
# the queue (on PostgreSQL each claims a row with SELECT … FOR UPDATE SKIP LOCKED).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# The built-in sandbox (a stand-in Volcengine endpoint) exists only in development.
VOLC_SANDBOX_ENABLED = env_bool("VOLC_SANDBOX_ENABLED", False)
if VOLC_SANDBOX_ENABLED and not DEBUG:
    raise ImproperlyConfigured(
        "VOLC_SANDBOX_ENABLED=true needs DEBUG=true: the built-in sandbox is development-only."
    )
if VOLC_SANDBOX_ENABLED:
    INSTALLED_APPS.append("filings.sandbox")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.PortalLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}",
        # Kept between requests and tasks: a new connection is a new PostgreSQL backend process,
        # about as much server CPU as a bulk send's whole work. Checked before reuse.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a writer takes the lock at BEGIN, so two writers queue instead of deadlocking.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "filings" / "locale"]
FORMAT_MODULE_PATH = ["portal.formats"]  # times always with their UTC offset
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

LOGIN_URL = "admin:login"
# Where a login lands when it has no next= (or one that is refused as off-site).
LOGIN_REDIRECT_URL = "admin:index"
# Login throttling (django-axes, state in the database, so it holds across app servers).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The client's address: REMOTE_ADDR, unless the portal runs behind trusted reverse proxies that
# each append the address they saw to X-Forwarded-For; then the client is the entry the outermost
# one appended. python-ipware counts only the proxies listed after the client in that header
# (the nearest proxy is REMOTE_ADDR), hence the - 1; not strict, so a client's own forged
# entries in front are skipped rather than voiding the header.
PORTAL_TRUSTED_PROXY_COUNT = env_int("PORTAL_TRUSTED_PROXY_COUNT", 0)
if PORTAL_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("PORTAL_TRUSTED_PROXY_COUNT must be 0 or more.")
if PORTAL_TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT: int | None = PORTAL_TRUSTED_PROXY_COUNT - 1
    AXES_IPWARE_META_PRECEDENCE_ORDER: tuple[str, ...] = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
else:
    AXES_IPWARE_PROXY_COUNT = None
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
IPWARE_STRICT = False
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Object storage -------------------------------------------------------------------------
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL")
# Documents are private objects reached through presigned URLs, always: no public-read mode.
if not env_bool("AWS_QUERYSTRING_AUTH", True):
    raise ImproperlyConfigured(
        "AWS_QUERYSTRING_AUTH=false (public-read objects with URLs that never expire) is not "
        "supported: documents are private with presigned URLs. Unset AWS_QUERYSTRING_AUTH."
    )
AWS_QUERYSTRING_EXPIRE = env_int("AWS_QUERYSTRING_EXPIRE", 24 * 3600)
ADDRESSING_STYLES = ("auto", "path", "virtual")
CHECKSUM_MODES = ("when_supported", "when_required")


def _sse_parameters() -> dict[str, str]:
    """AES256 (keys managed by the store; TOS and MinIO take it too) or aws:kms with a key id."""
    try:
        return sse_object_parameters(
            env_choice("AWS_S3_SERVER_SIDE_ENCRYPTION", SERVER_SIDE_ENCRYPTION),
            env_str("AWS_S3_SSE_KMS_KEY_ID"),
        )
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None


if AWS_STORAGE_BUCKET_NAME:
    # Volcengine TOS rejects the CRC checksums boto3 adds by default: it needs "when_required".
    # Values checked against the choices above (boto3's type stubs want them as literals).
    _chosen: dict[str, Any] = {
        "s3": {"addressing_style": env_choice("AWS_S3_ADDRESSING_STYLE", ADDRESSING_STYLES)},
        "request_checksum_calculation": env_choice(
            "AWS_REQUEST_CHECKSUM_CALCULATION", CHECKSUM_MODES
        ),
        "response_checksum_validation": env_choice(
            "AWS_RESPONSE_CHECKSUM_VALIDATION", CHECKSUM_MODES
        ),
    }
    _s3_client_config = Config(
        signature_version="s3v4",
        **_chosen,
        connect_timeout=env_float("AWS_S3_CONNECT_TIMEOUT", 5),
        read_timeout=env_float("AWS_S3_READ_TIMEOUT", 30),
        retries={"max_attempts": 2, "mode": "standard"},
    )
    DEFAULT_STORAGE = {
        # django-storages' S3Storage, each object stored by one PutObject with If-None-Match: *
        # (a taken key is refused; no HEAD to find a free name).
        "BACKEND": "filings.s3_storage.NoOverwriteS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "querystring_auth": True,
            "querystring_expire": AWS_QUERYSTRING_EXPIRE,
            "default_acl": None,
            "client_config": _s3_client_config,
            # Server-side encryption of every object (django-storages' object parameters).
            "object_parameters": _sse_parameters(),
        },
    }
else:
    # The embedded default: files encrypted by the portal (AES-256-GCM, PORTAL_MEDIA_KEYS).
    DEFAULT_STORAGE = {
        "BACKEND": "filings.encrypted_storage.EncryptedFileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media", "base_url": None},
    }
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    if not DEBUG
    else {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Keyring of filings.encrypted_storage (`id:base64key,…`, current first), checked at start-up.
PORTAL_MEDIA_KEYS = (
    "" if AWS_STORAGE_BUCKET_NAME else _secret("PORTAL_MEDIA_KEYS", _DEVELOPMENT_MEDIA_KEYS)
)
if PORTAL_MEDIA_KEYS:
    try:
        parse_keyring(PORTAL_MEDIA_KEYS)
    except MediaKeyError as exc:
        raise ImproperlyConfigured(str(exc)) from None
# Filesystem-stored documents are fetched by Volcengine through signed, expiring URLs on this base.
PORTAL_PUBLIC_BASE_URL = env_str("PORTAL_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
PORTAL_ADMIN_PATH = env_str("PORTAL_ADMIN_PATH", "admin/").strip("/") + "/"

# --- Upload limits ---------------------------------------------------------------------------
PORTAL_MAX_UPLOAD_BYTES = env_int("PORTAL_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
PORTAL_MAX_IMAGE_PIXELS = env_int("PORTAL_MAX_IMAGE_PIXELS", 40_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * PORTAL_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Spreadsheet import: the largest ZIP of documents, and how long uploaded files wait for a
# confirmation before they are deleted.
PORTAL_IMPORT_MAX_ARCHIVE_BYTES = env_int("PORTAL_IMPORT_MAX_ARCHIVE_BYTES", 512 * 1024 * 1024)
PORTAL_IMPORT_KEEP_HOURS = env_int("PORTAL_IMPORT_KEEP_HOURS", 24)
# Retention of documents (manage.py purge_expired): days after a company's service ended, and
# days after a version that was never sent was replaced.
PORTAL_RETENTION_DAYS = env_int("PORTAL_RETENTION_DAYS", 730)
# A rework approved within this many hours of Volcengine's decline needs a typed justification.
PORTAL_RESUBMIT_COOLDOWN_HOURS = env_int("PORTAL_RESUBMIT_COOLDOWN_HOURS", 24)
# Filings waiting on Volcengine longer than this many days are highlighted for reviewers.
PORTAL_WAITING_ALERT_DAYS = env_int("PORTAL_WAITING_ALERT_DAYS", 5)
PORTAL_DRAFT_RETENTION_DAYS = env_int("PORTAL_DRAFT_RETENTION_DAYS", 30)

# --- Volcengine VMS ------------------------------------------------------------------------------
VOLC_ACCESSKEY = env_str("VOLC_ACCESSKEY")
VOLC_SECRETKEY = env_str("VOLC_SECRETKEY")
VOLC_VMS_ENDPOINT = env_str("VOLC_VMS_ENDPOINT", "https://cloud-vms.volcengineapi.com")
VOLC_REGION = env_str("VOLC_REGION", "cn-beijing")
VOLC_CONNECT_TIMEOUT = env_float("VOLC_CONNECT_TIMEOUT", 5.0)
VOLC_READ_TIMEOUT = env_float("VOLC_READ_TIMEOUT", 30.0)
VOLC_RESPONSE_MAX_BYTES = env_int("VOLC_RESPONSE_MAX_BYTES", 256 * 1024)
# Bulk sends keep to this many requests per second towards Volcengine, all workers together.
VOLC_MAX_REQUESTS_PER_SECOND = env_float("VOLC_MAX_REQUESTS_PER_SECOND", 5.0)
if not VOLC_MAX_REQUESTS_PER_SECOND > 0:
    raise ImproperlyConfigured("VOLC_MAX_REQUESTS_PER_SECOND must be more than 0.")

# The sandbox's keys and whether it fetches the pictures (VOLC_SANDBOX_ENABLED is above).
VOLC_SANDBOX_ACCESSKEY = env_str("VOLC_SANDBOX_ACCESSKEY", "AKLTsandboxdemo0001")
VOLC_SANDBOX_SECRETKEY = env_str("VOLC_SANDBOX_SECRETKEY", "sandbox-demo-secret-not-real")
VOLC_SANDBOX_FETCH_IMAGES = env_bool("VOLC_SANDBOX_FETCH_IMAGES", False)

# --- Audit trail ---------------------------------------------------------------------------
AUDIT_CHAIN_KEY = _secret("AUDIT_CHAIN_KEY", _DEVELOPMENT_AUDIT_CHAIN_KEY)
# Anchors of the chain head: an S3 bucket with Object Lock (production) or an append-only file.
PORTAL_ANCHOR_BUCKET = env_str("PORTAL_ANCHOR_BUCKET")
PORTAL_ANCHOR_PREFIX = env_str("PORTAL_ANCHOR_PREFIX", "audit-anchors/")
PORTAL_ANCHOR_RETENTION_DAYS = env_int("PORTAL_ANCHOR_RETENTION_DAYS", 3650)
PORTAL_ANCHOR_S3_ENDPOINT_URL = env_str("PORTAL_ANCHOR_S3_ENDPOINT_URL", AWS_S3_ENDPOINT_URL)
PORTAL_ANCHOR_S3_REGION_NAME = env_str(
    "PORTAL_ANCHOR_S3_REGION_NAME", env_str("AWS_S3_REGION_NAME")
)
PORTAL_ANCHOR_FILE = env_str("PORTAL_ANCHOR_FILE") or str(VAR_DIR / "anchors" / "audit.jsonl")

# --- E-mail (notifications) ----------------------------------------------------------------
# Sent by the task worker after the change commits. With EMAIL_HOST set, by SMTP; otherwise
# printed by the worker (the console backend). The password is never logged.
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_PORT = env_int("EMAIL_PORT", 587 if EMAIL_USE_TLS else 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "VMS filing portal <portal@localhost>")
# The file-based backend's folder (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")

# --- Production hardening (DEBUG off) ----------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True


def _refusal_in_one_line(record: logging.LogRecord) -> bool:
    """A refused request (403, 404 and other 4xx) is expected: log its line, not a traceback."""
    if 400 <= getattr(record, "status_code", 0) < 500:
        record.exc_info = None
        record.exc_text = None
    return True


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"refusal_in_one_line": {"()": lambda: _refusal_in_one_line}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "filings": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
        # Django logs every refused request with the exception's traceback; 5xx keep theirs.
        # The records then go on to Django's own handlers.
        "django.request": {"filters": ["refusal_in_one_line"]},
    },
}
