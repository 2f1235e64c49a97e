"""Management commands that expose the run API: clear output, clear exit codes."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.workflows.flows import add_one, approve, chain
from workflows.engine.testing import resume_and_drain, run_workflow
from workflows.models import EventType

pytestmark = pytest.mark.django_db


def test_snapshot_command_prints_the_current_and_a_past_snapshot(tmp_path: Path) -> None:
    run = run_workflow(chain("cmd", add_one, approve), {"n": 1})
    suspended_at = run.events.get(type=EventType.RUN_SUSPENDED).id
    resume_and_drain(run, {"approved": True})
    out = StringIO()
    call_command("snapshot", str(run.pk), stdout=out)
    assert json.loads(out.getvalue())["status"] == "success"
    target = tmp_path / "then.json"
    call_command(
        "snapshot", str(run.pk), "--as-of", str(suspended_at), "-o", str(target), stdout=StringIO()
    )
    assert json.loads(target.read_text())["suspended_paths"] == [["approve"]]


def test_snapshot_command_of_an_unknown_run_exits_2() -> None:
    with pytest.raises(CommandError, match="no run with id 'nope'") as caught:
        call_command("snapshot", "nope")
    assert caught.value.returncode == 2


def test_runcluster_refuses_zero_workers_before_starting_anything() -> None:
    with pytest.raises(CommandError, match="--workers must be at least 1") as caught:
        call_command("runcluster", "--workers", "0")
    assert caught.value.returncode == 2
