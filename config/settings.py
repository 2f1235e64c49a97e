"""Settings read from the environment; with nothing set, SQLite and no Redis.

Every knob is listed in README.md under "Configuration".
"""

from __future__ import annotations

import os
from pathlib import Path

from config.env import database_from_url, env_bool, env_int, env_list, sqlite_database

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HANDOFF_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "handoff-insecure-development-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "django_q",
    "workflows",
    "review",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "review.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {
    "default": database_from_url(DATABASE_URL)
    if DATABASE_URL
    else sqlite_database(VAR_DIR / "handoff.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # The queue name also separates the live groups of installs sharing one Redis.
            # redis-py 8 gives reads a 5 s timeout, as long as channels-redis's blocking
            # receive: an idle websocket's consumer then failed with TimeoutError and
            # its socket closed with 1011. A longer one still notices a dead server.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "group_expiry": 3600,
                "prefix": "asgi-" + os.environ.get("HANDOFF_QUEUE_NAME", "handoff"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# django-q2 delivers "run this step execution" messages. The engine's own leases
# and sweeper guarantee progress, so the broker's redelivery is only a backstop:
# failures are acknowledged (the engine retries steps itself) and `retry` stays
# above `timeout` so a long task is never handed out twice by the broker.
Q_CLUSTER = {
    "name": os.environ.get("HANDOFF_QUEUE_NAME", "handoff"),
    "workers": env_int("HANDOFF_WORKERS", 2),
    "timeout": env_int("HANDOFF_TASK_TIMEOUT", 1800),
    "retry": env_int("HANDOFF_TASK_TIMEOUT", 1800) + 60,
    "max_attempts": 1,
    "ack_failures": True,
    "queue_limit": 4,
    "recycle": 1000,
    "save_limit": 100,
    "catch_up": False,
    "poll": float(os.environ.get("HANDOFF_ORM_POLL", "0.05")),
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"

LOGIN_URL = "review:login"
LOGIN_REDIRECT_URL = "review:dashboard"
LOGOUT_REDIRECT_URL = "review:login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "workflows": {"level": os.environ.get("HANDOFF_LOG_LEVEL", "INFO")},
        "django_q": {"level": "WARNING"},
    },
}

# The engine. Modules that define workflows, imported when the app is ready.
HANDOFF_WORKFLOW_MODULES = env_list(
    "HANDOFF_WORKFLOW_MODULES", ["workflows.content_brief.workflow"]
)
# How long a sequential chain may keep running inline in one worker task before
# the rest is handed back to the queue (so a worker is never monopolised).
HANDOFF_INLINE_BUDGET_SECONDS = float(os.environ.get("HANDOFF_INLINE_BUDGET_SECONDS", "5"))
# Seconds past a step's timeout before its claim is presumed lost (worker died).
HANDOFF_LEASE_GRACE_SECONDS = float(os.environ.get("HANDOFF_LEASE_GRACE_SECONDS", "15"))
# A short lease the worker renews while a step runs (0: the lease is the step's whole
# timeout + grace). 20 in production: a dead worker's step reruns within ~20 s.
HANDOFF_LEASE_SECONDS = float(os.environ.get("HANDOFF_LEASE_SECONDS", "0"))
# A run whose workflow the claiming worker does not define (a rolling deploy) waits and is
# retried; after this many seconds it fails with a message (docs/engine.md).
HANDOFF_MISSING_WORKFLOW_SECONDS = float(os.environ.get("HANDOFF_MISSING_WORKFLOW_SECONDS", "600"))
# Limits on what people and programs send, in bytes of compact UTF-8 JSON; the same on
# every database. Over a limit the call is refused with 413 (workflows/engine/limits.py).
HANDOFF_MAX_INPUT_BYTES = env_int("HANDOFF_MAX_INPUT_BYTES", 1_000_000)
HANDOFF_MAX_RESUME_BYTES = env_int("HANDOFF_MAX_RESUME_BYTES", 1_000_000)
HANDOFF_MAX_EMIT_BYTES = env_int("HANDOFF_MAX_EMIT_BYTES", 100_000)
HANDOFF_MAX_EVENT_BYTES = env_int("HANDOFF_MAX_EVENT_BYTES", 2_000_000)
# Each django-q2 worker (of `runcluster` or plain `qcluster`) runs the ticker that fires
# timers and recovers lost work; 0 when tickers run elsewhere (workflows/engine/ticker.py).
HANDOFF_TICKER = env_bool("HANDOFF_TICKER", True)
# "django_q" in production; tests use "manual" and drain the queue in-process.
HANDOFF_QUEUE = os.environ.get("HANDOFF_QUEUE", "django_q")

# The content-brief pipeline. With nothing set, every provider is the app's own
# demo corpus at /demo/ on CONTENT_BRIEF_DEMO_BASE_URL, reached over HTTP.
CONTENT_BRIEF_DEMO_BASE_URL = os.environ.get("CONTENT_BRIEF_DEMO_BASE_URL", "http://127.0.0.1:8000")
CONTENT_BRIEF_SEARCH_URL = os.environ.get("CONTENT_BRIEF_SEARCH_URL", "")
CONTENT_BRIEF_COMMUNITY_URL = os.environ.get("CONTENT_BRIEF_COMMUNITY_URL", "")
CONTENT_BRIEF_FETCH_ALLOW_HOSTS = env_list("CONTENT_BRIEF_FETCH_ALLOW_HOSTS", [])
CONTENT_BRIEF_FETCH_TIMEOUT = float(os.environ.get("CONTENT_BRIEF_FETCH_TIMEOUT", "10"))

# Live observation (review/live/). Websocket feeds poll the event log as a safety
# net for lost notifications. Redis, or PostgreSQL's LISTEN/NOTIFY, carries those
# notifications between processes; on SQLite without Redis the web process watches
# the database files instead, and the poll is frequent because it is cheap there.
_NOTIFIED_ACROSS_PROCESSES = bool(REDIS_URL) or "postgresql" in DATABASES["default"]["ENGINE"]
HANDOFF_LIVE_POLL_SECONDS = float(
    os.environ.get("HANDOFF_LIVE_POLL_SECONDS", "2.0" if _NOTIFIED_ACROSS_PROCESSES else "0.25")
)
# Embedded (SQLite, no Redis): how often the web process checks the SQLite files for
# commits by other processes, to read the event log at once instead of at the next poll.
HANDOFF_LIVE_WATCH_SECONDS = float(os.environ.get("HANDOFF_LIVE_WATCH_SECONDS", "0.02"))
# The largest websocket message the live streams send (daphne refuses over 1 MiB): larger
# values go by reference, larger pages in parts (review/live/messages.py).
HANDOFF_LIVE_MESSAGE_BYTES = env_int("HANDOFF_LIVE_MESSAGE_BYTES", 256 * 1024)
# The most a page of GET /api/runs/<id>/events holds, in bytes (at least one event).
HANDOFF_API_PAGE_BYTES = env_int("HANDOFF_API_PAGE_BYTES", 4_000_000)
