"""The README's workflow example runs exactly as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from workflows.engine import api
from workflows.engine.testing import drain

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(heading: str = "## Define a workflow") -> list[str]:
    section = README.read_text().split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


class DrainingApi:
    """The run API, with the in-process queue drained after each call (no cluster in tests)."""

    def __getattr__(self, name: str) -> Any:
        function = getattr(api, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = function(*args, **kwargs)
            drain()
            return result

        return call


@pytest.mark.django_db
def test_readme_example_defines_and_drives_a_review_loop() -> None:
    definition, usage = python_blocks()
    namespace: dict[str, Any] = {}
    exec(compile(definition, "README.md", "exec"), namespace)
    usage = usage.replace("from workflows.engine import api\n", "")
    exec(compile(usage, "README.md", "exec"), {**namespace, "api": DrainingApi()})
    run = api.list_runs(workflow_id="article").get()
    assert run.status == "success"
    assert run.result == {
        "text": "A short piece about composting. (revised: add an example)",
        "approved": True,
    }
    assert run.executions.filter(path_key="review").count() == 2


def test_readme_presentation_example_registers_what_the_pages_use() -> None:
    from workflows import presentation

    (example,) = python_blocks("## Presenting a workflow to people")
    exec(compile(example, "README.md", "exec"), {})
    shown = presentation.get("article")
    assert shown.start_label == "New article"
    assert shown.form_for("review").submit_label == "Send verdict"
