"""Settings read from the environment; with nothing set, SQLite and no Redis.

Every knob is listed in README.md under "Configuration". Secrets (SECRET_KEY,
the passwords inside DATABASE_URL and REDIS_URL, LLM_API_KEY) come only from
the environment; docs/deploy.md ("Security") says how they are kept out of
logs and error pages. The engine's and the content brief's settings are
declared once, with their defaults, in workflows/engine/conf.py and
workflows/content_brief/conf.py: here they are set only when the environment
sets them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django_stubs_ext

from config.env import (
    EnvVar,
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    from_environment,
    redis_url,
    secret_key,
    sqlite_database,
)
from workflows.content_brief import conf as content_brief_conf
from workflows.engine import conf as engine_conf

# Admin and paginator classes take type parameters (ModelAdmin[WorkflowRun]) at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HANDOFF_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)
# With DEBUG off, a missing, public or weak key stops startup (config/env.py).
SECRET_KEY = secret_key(DEBUG)
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
    "django_q",
    "axes",
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
    # Last, as django-axes requires: it turns a locked-out sign-in into the 429 page.
    "axes.middleware.AxesMiddleware",
]

# Sign-in attempts are limited (django-axes): after HANDOFF_LOGIN_FAILURE_LIMIT wrong
# passwords for one username from one address, that pair is refused, even with the
# right password, until HANDOFF_LOGIN_COOLOFF_MINUTES have passed since the last
# failure. Counts live in the database, so every web process shares them. Both the
# app's sign-in page and the admin's are covered: both go through authenticate().
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("HANDOFF_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("HANDOFF_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "review.signin.locked_out"
AXES_USERNAME_CALLABLE = "review.signin.attempted_username"
AXES_DISABLE_ACCESS_LOG = True  # failures are kept; successful sign-ins are in last_login
AXES_VERBOSE = False

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

_database_url = env_str("DATABASE_URL")  # not a setting: it may hold the password
DATABASES = {
    "default": database_from_url(_database_url)
    if _database_url
    else sqlite_database(VAR_DIR / "handoff.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = redis_url("REDIS_URL")
HANDOFF_QUEUE_NAME = env_str("HANDOFF_QUEUE_NAME", "handoff")
# Error pages and reports show settings; this filter masks passwords inside addresses.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.redaction.CredentialsFilter"

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # The queue name also separates the live groups of installs sharing one Redis.
            "CONFIG": {
                "hosts": [REDIS_URL],
                "group_expiry": 3600,
                "prefix": "asgi-" + HANDOFF_QUEUE_NAME,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# django-q2 delivers "run this step execution" messages. The engine's own leases
# and sweeper guarantee progress, so the broker's redelivery is only a backstop:
# failures are acknowledged (the engine retries steps itself) and `retry` stays
# above `timeout` so a long task is never handed out twice by the broker.
_task_timeout = env_int("HANDOFF_TASK_TIMEOUT", 1800, minimum=1)
Q_CLUSTER = {
    "name": HANDOFF_QUEUE_NAME,
    "workers": env_int("HANDOFF_WORKERS", 2, minimum=1),
    "timeout": _task_timeout,
    "retry": _task_timeout + 60,
    "max_attempts": 1,
    "ack_failures": True,
    "queue_limit": 4,
    "recycle": 1000,
    "save_limit": 100,
    "catch_up": False,
    "poll": env_float("HANDOFF_ORM_POLL", 0.05, minimum=0.001),
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    # The ORM broker, woken by an enqueue instead of waiting out its poll.
    Q_CLUSTER["broker_class"] = "workflows.engine.broker.WakingORM"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
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
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        "workflows": {"level": env_str("HANDOFF_LOG_LEVEL", "INFO")},
        "django_q": {"level": "WARNING"},
    },
}

# The engine and the content-brief pipeline: only what the environment sets; each
# default is declared once in workflows/engine/conf.py or workflows/content_brief/conf.py.
globals().update(from_environment(engine_conf.SETTINGS + content_brief_conf.SETTINGS))

# The review app's limits; their defaults are beside their readers (review/decisions.py,
# review/claims.py, review/api.py, review/live/messages.py). The largest live message
# stays under daphne's 1 MiB: larger values go by reference, larger pages in parts.
globals().update(
    from_environment(
        [
            EnvVar("HANDOFF_DRAFT_MAX_CHARS", "int", minimum=1),
            EnvVar("HANDOFF_CLAIM_IDLE_SECONDS", "float", minimum=1),
            EnvVar("HANDOFF_API_MAX_BODY_BYTES", "int", minimum=1),
            EnvVar("HANDOFF_API_PAGE_BYTES", "int", minimum=1),
            EnvVar("HANDOFF_LIVE_MESSAGE_BYTES", "int", minimum=1024),
        ]
    )
)

# Live observation (review/live/). Websocket feeds poll the event log as a safety
# net for lost notifications. Redis, or PostgreSQL's LISTEN/NOTIFY, carries those
# notifications between processes; on SQLite without Redis the web process watches
# the database files instead, and the poll is frequent because it is cheap there.
_NOTIFIED_ACROSS_PROCESSES = bool(REDIS_URL) or "postgresql" in DATABASES["default"]["ENGINE"]
HANDOFF_LIVE_POLL_SECONDS = env_float(
    "HANDOFF_LIVE_POLL_SECONDS", 2.0 if _NOTIFIED_ACROSS_PROCESSES else 0.25, minimum=0.01
)
# Embedded (SQLite, no Redis): how often the web process checks the SQLite files for
# commits by other processes, to read the event log at once instead of at the next poll.
HANDOFF_LIVE_WATCH_SECONDS = env_float("HANDOFF_LIVE_WATCH_SECONDS", 0.02, minimum=0.001)
