"""Approved briefs export as Markdown; anything else is refused with an exit code and reason."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from workflows.content_brief.workflow import WORKFLOW_ID
from workflows.models import RunStatus, WorkflowRun

pytestmark = pytest.mark.django_db


def make_run(status: str, result: dict | None, workflow_id: str = WORKFLOW_ID) -> WorkflowRun:
    return WorkflowRun.objects.create(
        workflow_id=workflow_id, definition_version="v", status=status, result=result
    )


APPROVED = {
    "status": "approved",
    "markdown": "# Brief\n\nBody\n",
    "target_keyword": "Home Compost!",
}


def test_an_approved_brief_is_written_to_stdout_and_to_a_folder(tmp_path: Path) -> None:
    run = make_run(RunStatus.SUCCESS, APPROVED)
    out = StringIO()
    call_command("export_brief", str(run.pk), stdout=out)
    assert out.getvalue() == "# Brief\n\nBody\n"
    call_command("export_brief", str(run.pk), "-o", str(tmp_path), stdout=StringIO())
    written = tmp_path / f"brief-home-compost-{run.short_id}.md"
    assert written.read_text() == "# Brief\n\nBody\n"


@pytest.mark.parametrize(
    ("status", "result", "code", "message"),
    [
        (RunStatus.SUSPENDED, None, 3, "not approved yet (the run is suspended)"),
        (
            RunStatus.SUCCESS,
            {"status": "rejected", "round": 2, "reason": "off topic"},
            3,
            "rejected in round 2: off topic",
        ),
    ],
)
def test_unfinished_or_rejected_briefs_are_refused(status, result, code, message) -> None:
    run = make_run(status, result)
    with pytest.raises(CommandError, match=re.escape(message)) as caught:
        call_command("export_brief", str(run.pk))
    assert caught.value.returncode == code


def test_unknown_runs_and_other_workflows_are_not_found() -> None:
    with pytest.raises(CommandError, match="no run with id") as caught:
        call_command("export_brief", "00000000-0000-0000-0000-000000000000")
    assert caught.value.returncode == 2
    other = make_run(RunStatus.SUCCESS, {}, workflow_id="something-else")
    with pytest.raises(CommandError, match="not a content brief"):
        call_command("export_brief", str(other.pk))
