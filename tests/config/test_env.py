"""Every kind of environment variable is parsed one way, and a bad value names its variable."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    ConfigError,
    EnvVar,
    database_from_url,
    env_bool,
    env_float,
    env_http_url,
    env_int,
    env_list,
    env_str,
    from_environment,
    redis_url,
    sqlite_database,
)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", True), ("true", True), ("YES", True), (" on ", True), ("0", False), ("off", False)],
)
def test_booleans_take_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, value: bool
) -> None:
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not value) is value


def test_unset_or_blank_variables_keep_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KNOB", raising=False)
    assert env_bool("KNOB", True) is True
    assert env_int("KNOB", 7) == 7
    monkeypatch.setenv("KNOB", "  ")
    assert env_float("KNOB", 0.5) == 0.5
    assert env_list("KNOB", ["a"]) == ["a"]
    assert env_str("KNOB", "d") == "d"


def test_lists_are_comma_separated_and_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", " a.example , b.example,, ")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_numbers_within_bounds_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNOB", "12")
    assert env_int("KNOB", 1, minimum=1, maximum=20) == 12
    monkeypatch.setenv("KNOB", "2.5")
    assert env_float("KNOB", 1, minimum=0) == 2.5


@pytest.mark.parametrize(
    ("reader", "raw", "says"),
    [
        (lambda: env_bool("KNOB", True), "maybe", "is not a boolean"),
        (lambda: env_int("KNOB", 1), "1.5", "is not a whole number"),
        (lambda: env_int("KNOB", 1, minimum=1), "0", "below the least allowed value, 1"),
        (lambda: env_int("KNOB", 1, maximum=10), "11", "above the most allowed value, 10"),
        (lambda: env_float("KNOB", 1.0), "fast", "is not a number"),
        (lambda: env_float("KNOB", 1.0), "nan", "is not a finite number"),
        (lambda: env_float("KNOB", 1.0, minimum=0), "-1", "below the least allowed value, 0"),
        (lambda: env_http_url("KNOB"), "ftp://host/x", "http:// or https://"),
        (lambda: env_http_url("KNOB"), "http://", "http:// or https://"),
    ],
)
def test_a_bad_value_is_refused_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, reader: Callable[[], object], raw: str, says: str
) -> None:
    monkeypatch.setenv("KNOB", raw)
    with pytest.raises(ImproperlyConfigured, match=says) as caught:
        reader()
    assert "KNOB" in str(caught.value)


def test_a_postgres_url_becomes_the_database_settings() -> None:
    db = database_from_url("postgres://handoff:s%40cret@db.internal:5433/handoff?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("handoff", "handoff", "s@cret")
    assert (db["HOST"], db["PORT"]) == ("db.internal", "5433")
    assert db["OPTIONS"] == {"sslmode": "require", "prepare_threshold": 5}


@pytest.mark.parametrize(
    ("given", "threshold"), [("0", 0), ("20", 20), ("none", None), ("Off", None)]
)
def test_a_postgres_url_sets_how_soon_statements_are_prepared(
    given: str, threshold: int | None
) -> None:
    db = database_from_url(f"postgres://u@h/db?prepare_threshold={given}")
    assert db["OPTIONS"] == {"prepare_threshold": threshold}


def test_a_prepare_threshold_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ConfigError, match="prepare_threshold"):
        database_from_url("postgres://u:pw@h/db?prepare_threshold=soon")


def test_a_sqlite_url_becomes_a_tuned_sqlite_database(tmp_path: Path) -> None:
    db = database_from_url(f"sqlite:///{str(tmp_path).lstrip('/')}/app.sqlite3")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == f"{tmp_path}/app.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_a_sqlite_connection_is_durable_and_checkpoints_seldom(tmp_path: Path) -> None:
    """The pragmas as a connection ends up with them: WAL, a commit that survives a process
    crash, and a checkpoint (the only disk sync) every 10,000 pages rather than 1,000."""
    options = sqlite_database(tmp_path / "app.sqlite3")["OPTIONS"]
    with closing(sqlite3.connect(tmp_path / "app.sqlite3")) as db:
        db.executescript(options["init_command"])
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
        assert db.execute("PRAGMA wal_autocheckpoint").fetchone() == (10000,)
        assert db.execute("PRAGMA journal_size_limit").fetchone() == (64 * 1024 * 1024,)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://u:pw@h/db", "scheme 'mysql' is not supported"),
        ("postgres://u:pw@h:5432/", "needs a database name"),
        ("postgres://u:pw@h:port/db", "port that is not a number"),
        ("sqlite:///", "needs a file path"),
    ],
)
def test_a_bad_database_url_is_refused_without_repeating_the_password(url: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as caught:
        database_from_url(url)
    assert "DATABASE_URL" in str(caught.value) and "pw" not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://:pw@cache.internal:6380/2", "unix:///run/r.sock"]
)
def test_redis_urls_are_accepted(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("REDIS_URL", url)
    assert redis_url() == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://:pw@h:6379/0", "scheme 'http' is not supported"),
        ("redis://:pw@/0", "needs a host"),
        ("redis://:pw@h:6379/cache", "database must be a number"),
    ],
)
def test_a_bad_redis_url_is_refused_without_repeating_it(
    monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("REDIS_URL", url)
    with pytest.raises(ConfigError, match=says) as caught:
        redis_url()
    assert "REDIS_URL" in str(caught.value) and "pw" not in str(caught.value)


def test_declared_settings_are_returned_only_when_their_variable_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("A_SECONDS", "2.5")
    monkeypatch.setenv("A_MODE", "manual")
    monkeypatch.delenv("A_COUNT", raising=False)
    specs = [
        EnvVar("A_SECONDS", "float", minimum=0),
        EnvVar("A_MODE", "str", choices=("django_q", "manual")),
        EnvVar("A_COUNT", "int", minimum=1),
    ]
    assert from_environment(specs) == {"A_SECONDS": 2.5, "A_MODE": "manual"}
    monkeypatch.setenv("A_MODE", "celery")
    with pytest.raises(ConfigError, match="A_MODE='celery' is not one of: django_q, manual"):
        from_environment(specs)
