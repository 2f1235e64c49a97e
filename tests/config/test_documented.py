"""Every environment variable the settings read is in README.md's configuration table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from workflows.content_brief import conf as brief_conf
from workflows.engine import conf as engine_conf

ROOT = Path(__file__).resolve().parents[2]
READERS = re.compile(r"^(env_\w+|redis_url|EnvVar)$")


def variables_read_by_settings() -> set[str]:
    """First arguments of env_*(), redis_url() and EnvVar() calls in config/settings.py."""
    tree = ast.parse((ROOT / "config/settings.py").read_text())
    names = {"SECRET_KEY"}  # read inside secret_key()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            first = node.args[0] if node.args else None
            named = isinstance(first, ast.Constant) and isinstance(first.value, str)
            if READERS.match(node.func.id) and named:
                names.add(first.value)  # type: ignore[union-attr]
    return names | {setting.name for setting in (*engine_conf.SETTINGS, *brief_conf.SETTINGS)}


def configuration_table() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]


def test_every_variable_is_in_the_readme_table() -> None:
    table = configuration_table()
    missing = sorted(name for name in variables_read_by_settings() if f"`{name}`" not in table)
    assert missing == []
