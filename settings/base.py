"""Settings for Accolade, read from the environment (twelve-factor; HackSoft style).

Environment variables:
    ACCOLADE_ENV            "development" (default), "test" or "production".
    SECRET_KEY              Django secret; required in production.
    DATABASE_URL            e.g. postgres://user@127.0.0.1:5432/accolade; default: SQLite in var/.
    ACCOLADE_PUBLIC_URL     public base URL of this service (issuer ids, credential ids).
    ACCOLADE_FEED_*         registrar feed delivery: ALLOW_PRIVATE (1: a SIS on a private address),
                            TIMEOUT and LEASE (seconds), RETRY_SCHEDULE (seconds, comma-separated).
    ACCOLADE_KEK            key-encryption key for private keys at rest: 32 bytes, base64url;
                            required in production. Older keys for rotation: ACCOLADE_KEK_OLD
                            (comma-separated). Or ACCOLADE_KEK_FILE: a file holding the key
                            (default outside production: var/dev-kek, written by `manage.py demo`).
    ALLOWED_HOSTS           comma-separated; default: the host of ACCOLADE_PUBLIC_URL + localhost.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ACCOLADE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the default SQLite database lives here

ENVIRONMENT = os.environ.get("ACCOLADE_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = os.environ.get("DEBUG", "0" if PRODUCTION else "1") == "1"

# Development falls back to a fixed, publicly known key so that nothing is generated at import;
# the system check lti_tool.E001 refuses it in production.
INSECURE_DEV_SECRET_KEY = "accolade-insecure-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else INSECURE_DEV_SECRET_KEY)

PUBLIC_URL = os.environ.get("ACCOLADE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
_public_host = urlsplit(PUBLIC_URL).hostname or "localhost"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()] or [
    _public_host, "localhost", "127.0.0.1", "[::1]", "testserver"]


def database_from_url(url: str) -> dict:
    """Return a Django DATABASES entry for a sqlite:/// or postgres:// URL."""
    parts = urlsplit(url)
    if parts.scheme in ("sqlite", "sqlite3"):
        # sqlite:///relative/path or sqlite:////absolute/path (SQLAlchemy convention).
        path = unquote(parts.path)
        name = (path[1:] if path.startswith("/") else path) or ":memory:"
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name,
                "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
                "CONN_MAX_AGE": int(os.environ.get("DB_CONN_MAX_AGE", "60"))}
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": int(os.environ.get("DB_CONN_MAX_AGE", "60")),
            "CONN_HEALTH_CHECKS": True,
        }
    raise ValueError(f"DATABASE_URL scheme {parts.scheme!r} is not supported (sqlite or postgres)")


DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'accolade.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "lti_tool",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "lti_tool.urls"
WSGI_APPLICATION = "lti_tool.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Uploads: badge images and credentials to verify stay small.
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["lti_tool.uploads.LimitedMemoryUploadHandler"]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if os.environ.get("BEHIND_TLS_PROXY") == "1" else None
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True

DEFAULT_EXCEPTION_REPORTER_FILTER = "lti_tool.error_reporting.AccoladeReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}


def _read_kek() -> str:
    if os.environ.get("ACCOLADE_KEK"):
        return os.environ["ACCOLADE_KEK"]
    path = Path(os.environ.get("ACCOLADE_KEK_FILE", "" if PRODUCTION else VAR_DIR / "dev-kek"))
    return path.read_text(encoding="ascii").strip() if str(path) and path.is_file() else ""


# The tool's own options, read through lti_tool.conf (defaults live there).
ACCOLADE = {
    "PUBLIC_URL": PUBLIC_URL,
    "KEK": _read_kek(),
    "DEMO_LMS": os.environ.get("ACCOLADE_DEMO_LMS", "0" if PRODUCTION else "1") == "1",
    "KEK_OLD": os.environ.get("ACCOLADE_KEK_OLD", ""),
    "REMOTE_FETCH": os.environ.get("ACCOLADE_REMOTE_FETCH", "1") == "1",
    "REMOTE_FETCH_ALLOW_PRIVATE": os.environ.get(
        "ACCOLADE_REMOTE_FETCH_ALLOW_PRIVATE", "0" if PRODUCTION else "1") == "1",
    # Opens the LTI Dynamic Registration URL (an admin pastes it into the LMS); empty: closed.
    "LTI_REGISTRATION_CODE": os.environ.get("ACCOLADE_LTI_REGISTRATION_CODE", ""),
    # Background work: "embedded" (a worker thread; `manage.py worker`) or "celery" (lti_tool/tasks.py).
    "TASKS": os.environ.get("ACCOLADE_TASKS", "embedded"),
    "WORKER_INTERVAL": float(os.environ.get("ACCOLADE_WORKER_INTERVAL", "30")),
    # Dynamic Registration with an LMS on a private address (campus network): off in production.
    "LTI_REGISTRATION_ALLOW_PRIVATE": os.environ.get(
        "ACCOLADE_LTI_REGISTRATION_ALLOW_PRIVATE", "0" if PRODUCTION else "1") == "1",
    # Student ids from the custom parameters sis_id / student_id (set up by the LMS admin at tool level).
    "LTI_SIS_ID_FROM_CUSTOM": os.environ.get("ACCOLADE_LTI_SIS_ID_FROM_CUSTOM", "0") == "1",
    # Registrar feed: a SIS on the campus network (private address) only if allowed; seconds per
    # request; retry schedule in seconds, comma-separated (empty: Standard Webhooks, about 3 days).
    "FEED_ALLOW_PRIVATE": os.environ.get("ACCOLADE_FEED_ALLOW_PRIVATE", "0") == "1",
    "FEED_TIMEOUT": float(os.environ.get("ACCOLADE_FEED_TIMEOUT", "15")),
    "FEED_LEASE": float(os.environ.get("ACCOLADE_FEED_LEASE", "120")),
    "FEED_RETRY_SCHEDULE": tuple(float(step) for step in os.environ.get("ACCOLADE_FEED_RETRY_SCHEDULE", "").split(",")
                                 if step.strip()) or None,
}


# Celery, when ACCOLADE_TASKS=celery: broker on Redis or RabbitMQ; beat sweeps for due work.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("ACCOLADE_CELERY_QUEUE", "accolade")
CELERY_BEAT_SCHEDULE = {
    "accolade-sweep": {"task": "lti_tool.run_due_work",
                       "schedule": float(os.environ.get("ACCOLADE_WORKER_INTERVAL", "30"))},
}
