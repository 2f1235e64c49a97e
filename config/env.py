"""Reading configuration from the environment: one parser per kind of value.

Kept apart from ``settings.py`` so the parsing rules are testable on their own.
Every refusal is a :class:`ConfigError` (an ``ImproperlyConfigured``) whose
message names the variable and says what would be accepted, so a typo stops
startup with a sentence instead of a traceback deep inside a worker.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

# Only for DEBUG on (a laptop, the tests): with DEBUG off it is refused, see secret_key().
DEVELOPMENT_SECRET_KEY = "handoff-insecure-development-key-change-me"
SECRET_KEY_MIN_LENGTH = 50  # the figures of Django's own deploy check (security.W009)
SECRET_KEY_MIN_UNIQUE = 5
REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


class ConfigError(ImproperlyConfigured, ValueError):
    """A setting in the environment cannot be used; the message says which and why."""


def _raw(name: str) -> str | None:
    """The variable's text, or None when it is unset or blank (blank means "the default")."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    return raw.strip()


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _raw(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_str(name: str, default: str = "") -> str:
    raw = _raw(name)
    return default if raw is None else raw


def _bounded(
    name: str, raw: str, value: float, minimum: float | None, maximum: float | None
) -> float:
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={raw!r} is below the least allowed value, {minimum:g}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}={raw!r} is above the most allowed value, {maximum:g}")
    return value


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from exc
    return int(_bounded(name, raw, value, minimum, maximum))


def env_float(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a number") from exc
    if value != value or value in {float("inf"), float("-inf")}:
        raise ConfigError(f"{name}={raw!r} is not a finite number")
    return float(_bounded(name, raw, value, minimum, maximum))


def env_http_url(name: str) -> str:
    """An ``http(s)://host...`` address, or "" when unset."""
    raw = _raw(name)
    if raw is None:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"{name} must be an http:// or https:// address with a host")
    return raw


def redis_url(name: str = "REDIS_URL") -> str:
    """``redis://[:password@]host[:port][/db]`` (or rediss://, unix://), or "" when unset.

    The message never repeats the value: it may hold a password.
    """
    raw = _raw(name)
    if raw is None:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in REDIS_SCHEMES:
        raise ConfigError(
            f"{name} scheme {parts.scheme!r} is not supported "
            "(use redis://host:6379/0, rediss:// or unix://)"
        )
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigError(f"{name} needs a host: redis://host:6379/0")
    db = parts.path.lstrip("/")
    if parts.scheme != "unix" and db and not db.isdigit():
        raise ConfigError(f"{name} database must be a number: redis://host:6379/0")
    return raw


def secret_key(debug: bool) -> str:
    """``SECRET_KEY`` from the environment; with DEBUG off, refused unless long and random.

    Sessions, CSRF tokens and password-reset links are signed with it, so a key
    anyone can read in this repository would let them sign in as anyone.
    """
    key = os.environ.get("SECRET_KEY", "")
    if debug:
        return key or DEVELOPMENT_SECRET_KEY
    how = (
        "Set SECRET_KEY in the environment to a random value of at least "
        f"{SECRET_KEY_MIN_LENGTH} characters, e.g. the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))' "
        "(or set DEBUG=1 on a development machine)."
    )
    if not key:
        raise ConfigError(f"SECRET_KEY is not set and DEBUG is off. {how}")
    if key == DEVELOPMENT_SECRET_KEY:
        raise ConfigError(f"SECRET_KEY is the public development key and DEBUG is off. {how}")
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE:
        raise ConfigError(f"SECRET_KEY is too short or too repetitive to be secret. {how}")
    return key


class SettingSpec(Protocol):
    """What :func:`from_environment` needs of a declared setting (workflows/engine/conf.py)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def minimum(self) -> float | None: ...
    @property
    def choices(self) -> tuple[str, ...]: ...


class EnvVar(NamedTuple):
    """A variable declared in settings.py itself, for settings whose default lives elsewhere."""

    name: str
    kind: str
    minimum: float | None = None
    choices: tuple[str, ...] = ()


def env_choice(name: str, choices: tuple[str, ...]) -> str:
    raw = _raw(name)
    if raw is not None and raw not in choices:
        raise ConfigError(f"{name}={raw!r} is not one of: {', '.join(choices)}")
    return raw or ""


def _parse(spec: SettingSpec) -> Any:
    if spec.kind == "bool":
        return env_bool(spec.name, False)
    if spec.kind == "int":
        minimum = None if spec.minimum is None else int(spec.minimum)
        return env_int(spec.name, 0, minimum=minimum)
    if spec.kind == "float":
        return env_float(spec.name, 0.0, minimum=spec.minimum)
    if spec.kind == "list":
        return env_list(spec.name, [])
    if spec.kind == "url":
        return env_http_url(spec.name)
    if spec.choices:
        return env_choice(spec.name, spec.choices)
    return env_str(spec.name)


def from_environment(specs: Iterable[SettingSpec]) -> dict[str, Any]:
    """The declared settings whose variables are set, parsed; unset ones keep their defaults.

    Only what the environment says is returned, so each default is written once,
    beside its declaration, and read there when the setting is absent.
    """
    return {spec.name: _parse(spec) for spec in specs if _raw(spec.name) is not None}


def sqlite_database(path: Path) -> dict[str, Any]:
    """SQLite tuned for a web server and a worker cluster writing at once.

    WAL lets readers run beside the one writer; IMMEDIATE transactions take the
    write lock up front, so two writers queue on ``timeout`` instead of failing
    with "database is locked" when a read transaction tries to upgrade.

    With ``synchronous=NORMAL`` a commit survives any process crash; only the
    checkpoint that copies the WAL back into the database syncs the disk. A
    step dirties about a dozen pages, so SQLite's default of a checkpoint
    every 1,000 pages synced every 80 steps, a tenth of a step's time (see
    docs/benchmarks.md). The ticker now checkpoints every second beside the
    workers (``workflows/engine/checkpoint.py``), and the automatic checkpoint,
    every 10,000 pages (a WAL of up to 40 MB, cut back to 64 MB at most
    afterwards), is the fallback where no ticker runs. The guarantee is the same.
    """
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; "
                "PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=67108864;"
            ),
        },
        "TEST": {"NAME": str(path.with_name(f"test_{path.name}"))},
    }


PREPARE_THRESHOLD = 5  # psycopg's own default, which Django turns off


def _prepare_threshold(value: str | None) -> int | None:
    """How often the engine's statements run on a connection before the server keeps them
    prepared; ``none`` turns preparing off (a PgBouncer older than 1.21 in transaction mode).

    Only the engine's own statements bind on the server and can be prepared
    (``workflows/engine/rows.py``): skipping their parse and plan made a step
    about 30 % faster (docs/benchmarks.md). The ORM's queries keep Django's client-side
    binding, which never prepares.
    """
    if value is None:
        return PREPARE_THRESHOLD
    if value.lower() in {"none", "off"}:
        return None
    if not value.isdigit():
        raise ConfigError(
            "DATABASE_URL has prepare_threshold that is neither a whole number nor 'none'"
        )
    return int(value)


def database_from_url(url: str) -> dict[str, Any]:
    """Turn ``postgres://user:pass@host:port/name?opt=v`` or ``sqlite:///path`` into DATABASES.

    Messages never repeat the address: it may hold the database password.
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            raise ConfigError("DATABASE_URL for SQLite needs a file path: sqlite:///var/db.sqlite3")
        return sqlite_database(Path(path.lstrip("/") if parts.netloc == "." else path))
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError("DATABASE_URL for PostgreSQL needs a database name: .../handoff")
        options: dict[str, Any] = dict(parse_qsl(parts.query))
        options["prepare_threshold"] = _prepare_threshold(options.get("prepare_threshold"))
        try:
            port = parts.port
        except ValueError as exc:
            raise ConfigError("DATABASE_URL has a port that is not a number") from exc
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
            "TEST": {"NAME": f"test_{name}"},
        }
    raise ConfigError(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported (use postgres:// or sqlite:///)"
    )
