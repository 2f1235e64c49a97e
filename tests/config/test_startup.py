"""Starting the app from the environment, in a fresh process as every entry point does.

With DEBUG off, a missing, public, short or repetitive SECRET_KEY stops
startup with ``ImproperlyConfigured`` naming SECRET_KEY and saying how to set
one; every value the environment sets reaches the setting the code reads.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import DEVELOPMENT_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
STARTUP = """
import django
from django.core.exceptions import ImproperlyConfigured
try:
    django.setup()
except ImproperlyConfigured as exc:
    print("refused:", exc)
    raise SystemExit(3)
from django.conf import settings
from workflows.content_brief import conf as brief
from workflows.engine import conf as engine
print("started", settings.DEBUG, {expression})
"""
# What the surrounding shell may have set is left out, so each test says all it sets.
DROPPED = ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
DROPPED_PREFIXES = ("HANDOFF_", "CONTENT_BRIEF_", "LLM_")


def start(tmp_path: Path, expression: str = "''", **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        name: value
        for name, value in os.environ.items()
        if name not in DROPPED and not name.startswith(DROPPED_PREFIXES)
    }
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", HANDOFF_VAR_DIR=str(tmp_path), **env)
    code = STARTUP.format(expression=expression)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "SECRET_KEY is not set"),
        (DEVELOPMENT_SECRET_KEY, "the public development key"),
        ("short-but-random-7f3a", "too short or too repetitive"),
        ("ab" * 40, "too short or too repetitive"),
    ],
)
def test_debug_off_refuses_a_missing_or_weak_secret_key(
    tmp_path: Path, key: str | None, reason: str
) -> None:
    env = {"DEBUG": "0"} if key is None else {"DEBUG": "0", "SECRET_KEY": key}
    result = start(tmp_path, **env)
    assert result.returncode == 3, result.stderr
    assert reason in result.stdout
    assert "Set SECRET_KEY in the environment" in result.stdout
    assert "secrets.token_urlsafe(50)" in result.stdout


def test_debug_off_starts_with_a_long_random_key(tmp_path: Path) -> None:
    key = secrets.token_urlsafe(50)
    result = start(tmp_path, "settings.SECRET_KEY == " + repr(key), DEBUG="0", SECRET_KEY=key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["started", "False", "True"]


def test_debug_on_starts_with_the_development_key(tmp_path: Path) -> None:
    result = start(tmp_path, "settings.SECRET_KEY")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["started", "True", DEVELOPMENT_SECRET_KEY]


def test_engine_and_pipeline_values_come_from_the_environment(tmp_path: Path) -> None:
    values = (
        "[brief.FETCH_MAX_BYTES.get(), brief.LLM_API_KEY.get(), brief.LLM_TIMEOUT.get(),"
        " engine.INLINE_BUDGET_SECONDS.get(), engine.TICKER.get(), settings.AXES_FAILURE_LIMIT,"
        " settings.HANDOFF_DRAFT_MAX_CHARS]"
    )
    result = start(
        tmp_path,
        values,
        CONTENT_BRIEF_FETCH_MAX_BYTES="1234",
        LLM_API_KEY="sk-from-the-environment",
        LLM_TIMEOUT="30",
        HANDOFF_INLINE_BUDGET_SECONDS="2",
        HANDOFF_TICKER="0",
        HANDOFF_LOGIN_FAILURE_LIMIT="3",
        HANDOFF_DRAFT_MAX_CHARS="5000",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == (
        "started True [1234, 'sk-from-the-environment', 30.0, 2.0, False, 3, 5000]"
    )


def test_unset_values_fall_back_to_the_declared_defaults(tmp_path: Path) -> None:
    result = start(tmp_path, "[brief.FETCH_MAX_BYTES.get(), engine.QUEUE.get()]")
    assert result.stdout.strip() == "started True [2000000, 'django_q']", result.stderr


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        ("HANDOFF_WORKERS", "0", "HANDOFF_WORKERS='0' is below the least allowed value, 1"),
        ("HANDOFF_QUEUE", "celery", "HANDOFF_QUEUE='celery' is not one of: django_q, manual"),
        ("CONTENT_BRIEF_FETCH_MAX_BYTES", "2MB", "CONTENT_BRIEF_FETCH_MAX_BYTES='2MB' is not a"),
        ("LLM_BASE_URL", "localhost:11434", "LLM_BASE_URL must be an http:// or https://"),
        ("HANDOFF_LOGIN_COOLOFF_MINUTES", "0", "HANDOFF_LOGIN_COOLOFF_MINUTES='0' is below"),
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
    ],
)
def test_a_bad_value_stops_startup_naming_the_variable(
    tmp_path: Path, name: str, raw: str, says: str
) -> None:
    result = start(tmp_path, **{name: raw})
    assert result.returncode == 3, result.stderr
    assert says in result.stdout
