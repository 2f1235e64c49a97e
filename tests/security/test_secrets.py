"""Secrets come only from the environment and never show on error pages or in output.

The settings module is read as source: a setting or a variable whose name
says it is secret may have no literal default, except the development key
that DEBUG off refuses (tests/config/test_startup.py).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory, override_settings
from django.views.debug import get_default_exception_reporter_filter, technical_500_response

from config.redaction import redact_url
from workflows.content_brief import conf as brief_conf
from workflows.engine import conf as engine_conf

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAME = re.compile(r"(KEY|SECRET|PASSWORD|TOKEN)S?$")
ALLOWED_LITERALS = {"DEVELOPMENT_SECRET_KEY"}  # refused with DEBUG off (config/env.py)
# Built, not written, so an error page's source excerpt cannot contain it by accident.
PASSWORD = "hunter" + "2"
REDIS_WITH_PASSWORD = f"redis://:{PASSWORD}-redis@cache.internal:6379/0"


def literals(node: ast.AST) -> list[str]:
    """Non-empty string constants inside an expression."""
    return [
        sub.value
        for sub in ast.walk(node)
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value
    ]


def given_a_literal(value: ast.AST | None) -> bool:
    """A string written in code, or a call (an env read) with a written default."""
    if isinstance(value, ast.Call):
        return any(literals(a) for a in [*value.args[1:], *(k.value for k in value.keywords)])
    return value is not None and bool(literals(value))


def secret_defaults(path: Path) -> list[str]:
    """Secret-looking names given a literal: settings, and env variables read with a default."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for name in [t.id for t in targets if isinstance(t, ast.Name)]:
                secret = bool(SECRET_NAME.search(name)) and name not in ALLOWED_LITERALS
                if secret and given_a_literal(node.value):
                    found.append(f"{path.name}:{node.lineno} {name}")
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            variable = node.args[0].value
            if isinstance(variable, str) and SECRET_NAME.search(variable) and given_a_literal(node):
                found.append(f"{path.name}:{node.lineno} {variable}")
    return found


@pytest.mark.parametrize("module", ["config/settings.py", "config/env.py", "tests/settings.py"])
def test_no_secret_has_a_default_written_in_code(module: str) -> None:
    assert secret_defaults(ROOT / module) == []


def test_the_scan_catches_a_secret_default(tmp_path: Path) -> None:
    bad = tmp_path / "bad_settings.py"
    bad.write_text(
        'API_TOKEN = "abc123"\nLLM_KEY = os.environ.get("LLM_API_KEY", "sk-live")\n'
        'OK_KEY = os.environ.get("OK_KEY", "")\n'
    )
    assert sorted(secret_defaults(bad)) == [
        "bad_settings.py:1 API_TOKEN",
        "bad_settings.py:2 LLM_API_KEY",
        "bad_settings.py:2 LLM_KEY",
    ]


def test_declared_secret_settings_have_no_default() -> None:
    declared = [*engine_conf.SETTINGS, *brief_conf.SETTINGS]
    secret = [setting for setting in declared if SECRET_NAME.search(setting.name)]
    assert [setting.name for setting in secret] == ["LLM_API_KEY"]
    assert all(setting.default == "" and setting.kind == "secret" for setting in secret)


def test_addresses_show_without_their_password() -> None:
    assert redact_url(REDIS_WITH_PASSWORD) == "redis://:********@cache.internal:6379/0"
    assert redact_url("postgres://app:p%40ss@db/handoff") == "postgres://app:********@db/handoff"
    assert redact_url("http://127.0.0.1:8000/demo") == "http://127.0.0.1:8000/demo"


def explode() -> None:
    raise RuntimeError("boom")


@override_settings(
    REDIS_URL=REDIS_WITH_PASSWORD,
    CHANNEL_LAYERS={"default": {"CONFIG": {"hosts": [REDIS_WITH_PASSWORD]}}},
    LLM_API_KEY=f"sk-{PASSWORD}-llm",
)
def test_error_pages_hide_keys_and_passwords_in_addresses() -> None:
    shown = get_default_exception_reporter_filter().get_safe_settings()
    assert shown["REDIS_URL"] == "redis://:********@cache.internal:6379/0"
    hosts = shown["CHANNEL_LAYERS"]["default"]["CONFIG"]["hosts"]
    assert hosts == ["redis://:********@cache.internal:6379/0"]
    assert PASSWORD not in shown["LLM_API_KEY"]
    request = RequestFactory().get("/boom")
    try:
        explode()
    except RuntimeError:
        page = technical_500_response(request, *sys.exc_info()).content.decode()
    assert "REDIS_URL" in page and "LLM_API_KEY" in page
    assert PASSWORD not in page


def test_a_local_env_file_is_never_committed() -> None:
    for name in (".env", ".env.production", "config/.env"):
        ignored = subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT, check=False)
        assert ignored.returncode == 0, f"{name} is not ignored by .gitignore"
