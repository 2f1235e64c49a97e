"""docs/api.md, run as written: every ```sh block through the real curl, against a live server.

Each ```sh block is followed by an ```http block: the status line and the JSON
body the docs promise. The blocks run in order, in one story (a content brief
from start to approval, a fork, a cancel, a retry), with the environment the
docs describe: ``$HANDOFF`` (the server), ``$TOKEN`` (an Admins member's API
token), ``$VIEWER_TOKEN`` (a Viewers member's) and the demo account
``reviewer``. Between blocks the in-process queue is drained, as the workers
would run the steps. In a documented body:

- ``"…"`` is any value, and a string ending in ``…`` is a prefix;
- ``"$NAME"`` is a value later examples use: the first one sets ``$NAME``,
  later ones must equal it;
- objects show some of their fields; a list ending in ``"…"`` may have more items.

Other commands (``export``, ``manage.py``) are in ```console blocks and are not run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import review.api  # noqa: F401 - defines the API's own refusals
import workflows.engine.forking  # noqa: F401 - defines fork_refused
from review.models import ApiToken
from review.roles import grant_role
from review.urls import urlpatterns
from tests.review.conftest import make_user
from workflows.engine.errors import WorkflowError
from workflows.engine.testing import drain

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.S | re.M)
PLACEHOLDER = re.compile(r"\$[A-Z_]+")
ANY = "…"
CURL = "/usr/bin/curl"
PATH = "/usr/bin:/bin"


@dataclass(frozen=True)
class Example:
    command: str
    status: int
    body: Any  # the documented JSON, or None when the docs show no body
    line: int

    def __str__(self) -> str:
        return f"docs/api.md line {self.line}:\n{self.command}"


def _blocks(text: str) -> list[tuple[str, str, int]]:
    return [
        (match[1], match[2], text.count("\n", 0, match.start()) + 1)
        for match in FENCE.finditer(text)
    ]


def examples(text: str) -> list[Example]:
    """Each ```sh block with the ```http block that must follow it."""
    blocks = _blocks(text)
    found = []
    for index, (lang, content, line) in enumerate(blocks):
        if lang != "sh":
            continue
        after = blocks[index + 1] if index + 1 < len(blocks) else ("", "", 0)
        assert after[0] == "http", f"docs/api.md line {line}: no ```http block follows"
        status_line, _, body = after[1].partition("\n")
        status = int(status_line.split()[1])
        found.append(Example(content, status, json.loads(body) if body.strip() else None, line))
    return found


def match(documented: Any, actual: Any, env: dict[str, str], where: str = "body") -> None:
    """Check ``actual`` against what the docs show (see the module docstring)."""
    if documented == ANY:
        return
    if isinstance(documented, str) and PLACEHOLDER.fullmatch(documented):
        _capture(documented[1:], actual, env, where)
    elif isinstance(documented, str) and documented.endswith(ANY):
        assert isinstance(actual, str) and actual.startswith(documented[:-1]), (where, actual)
    elif isinstance(documented, dict):
        assert isinstance(actual, dict), (where, actual)
        for key, value in documented.items():
            assert key in actual, f"{where}: no {key!r} in {actual}"
            match(value, actual[key], env, f"{where}.{key}")
    elif isinstance(documented, list):
        _match_list(documented, actual, env, where)
    else:
        assert documented == actual, (where, actual)


def _capture(name: str, actual: Any, env: dict[str, str], where: str) -> None:
    assert isinstance(actual, str | int) and not isinstance(actual, bool), (where, actual)
    if name in env:
        assert env[name] == str(actual), (where, name, actual)
    else:
        env[name] = str(actual)


def _match_list(documented: list[Any], actual: Any, env: dict[str, str], where: str) -> None:
    assert isinstance(actual, list), (where, actual)
    if documented and documented[-1] == ANY:
        documented = documented[:-1]
        assert len(actual) >= len(documented), (where, actual)
    else:
        assert len(actual) == len(documented), (where, actual)
    for index, (shown, real) in enumerate(zip(documented, actual, strict=False)):
        match(shown, real, env, f"{where}[{index}]")


def response_of(output: str) -> tuple[int, Any]:
    """The status and JSON body of ``curl -i`` output (newlines already universal)."""
    head, _, body = output.partition("\n\n")
    status = int(head.split()[1])
    return status, json.loads(body) if body.strip() else None


def run(example: Example, env: dict[str, str], cwd: Path) -> tuple[int, Any]:
    done = subprocess.run(
        ["/bin/bash", "-euo", "pipefail", "-c", example.command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"{example}\nfailed: {done.stderr}"
    return response_of(done.stdout)


@pytest.fixture
def people(transactional_db: None) -> dict[str, str]:
    """The docs' people: ``admin`` (Admins, $TOKEN), ``viewer`` and the demo ``reviewer``."""
    admin, viewer = make_user("admin"), make_user("viewer")
    grant_role(admin, "Admins")
    grant_role(viewer, "Viewers")
    grant_role(make_user("reviewer"), "Reviewers")
    return {
        "TOKEN": ApiToken.issue(user=admin, name="docs")[1],
        "VIEWER_TOKEN": ApiToken.issue(user=viewer, name="docs")[1],
    }


@pytest.fixture
def server(live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """The live server, serving the demo corpus too, with the offline writer."""
    settings.CONTENT_BRIEF_DEMO_BASE_URL = live_server.url
    settings.LLM_BASE_URL = settings.LLM_API_KEY = ""
    return live_server.url


def test_every_example_in_the_api_docs_answers_as_documented(
    server: str, people: dict[str, str], tmp_path: Path
) -> None:
    assert shutil.which("curl", path=PATH) == CURL
    env = {"PATH": PATH, "HOME": str(tmp_path), "HANDOFF": server, **people}
    for example in examples(DOC.read_text()):
        status, body = run(example, env, tmp_path)
        assert status == example.status, f"{example}\nanswered {status}: {body}"
        if example.body is not None:
            try:
                match(example.body, body, env)
            except AssertionError as exc:
                raise AssertionError(f"{example}\nanswered {body}\n{exc}") from None
        drain(timeout=60)


def test_the_docs_show_every_api_route_and_curl_in_every_example() -> None:
    text = DOC.read_text()
    found = examples(text)
    assert all(example.command.lstrip().startswith(("curl", "#")) for example in found)
    commands = "\n".join(example.command for example in found)
    routes = [str(p.pattern) for p in urlpatterns if (p.name or "").startswith("api-")]
    assert len(routes) == 9
    for route in routes:
        tail = route.rsplit("/", 1)[-1] or route
        if tail.startswith("<"):  # a route ending in an id: its example names the parent
            tail = route.rsplit("/", 2)[-2] + "/$"
        assert tail in commands, f"no example calls {route}"
        shown = route.replace("<uuid:run_id>", "<id>").replace("<int:event_id>", "<event id>")
        assert f" /{shown}" in text, f"{route} is not described"


def _statuses(cls: type) -> dict[str, int]:
    found = {cls.code: cls.http_status}
    for sub in cls.__subclasses__():
        found.update(_statuses(sub))
    return found


def test_the_documented_error_codes_are_the_ones_the_api_uses() -> None:
    known = _statuses(WorkflowError) | {
        "not_authenticated": 403,
        "invalid_token": 401,
        "csrf_failed": 403,
    }
    table = dict(re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", DOC.read_text(), re.M))
    assert {code: int(status) for code, status in table.items()} == {
        code: known[code] for code in table
    }
    not_the_apis = {"workflow_error", "invalid_definition", "schema_mismatch", "brief_not_ready"}
    assert set(known) - set(table) <= not_the_apis
