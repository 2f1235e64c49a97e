"""The snapshot tells the truth now and at any past event, and exports as JSON."""

from __future__ import annotations

import json

import pytest

from tests.workflows.control_flow_fixtures import scenario_workflows
from tests.workflows.flows import add_one, approve, chain, double
from workflows.engine import export_snapshot, snapshot
from workflows.engine.errors import RunNotFound
from workflows.engine.testing import resume_and_drain, run_workflow
from workflows.models import EventType

pytestmark = pytest.mark.django_db

COMPARED = ("kind", "status", "iteration", "item_index", "output", "suspend_payload", "resume_data")


def comparable(doc: dict) -> dict:
    """The parts of a snapshot both sources must agree on (timestamps differ by microseconds)."""
    return {
        "status": doc["status"],
        "result": doc["result"],
        "state": doc["state"],
        "active": sorted(doc["active_paths"]),
        "suspended": sorted(doc["suspended_paths"]),
        "suspensions": doc["suspensions"],
        "context": {
            key: {field: entry[field] for field in COMPARED}
            for key, entry in doc["context"].items()
        },
    }


@pytest.mark.parametrize("name", sorted(scenario_workflows()))
def test_replaying_the_event_log_gives_the_same_snapshot_as_the_rows(name: str) -> None:
    workflow, input_data, answers = scenario_workflows()[name]
    run = run_workflow(workflow, input_data)
    for answer in answers:
        assert comparable(snapshot(run.pk, as_of=run.last_event_id)) == comparable(snapshot(run.pk))
        run = resume_and_drain(run, **answer)
    assert comparable(snapshot(run.pk, as_of=run.last_event_id)) == comparable(snapshot(run.pk))


def test_a_past_snapshot_shows_the_run_as_it_was() -> None:
    run = run_workflow(chain("past", add_one, approve, double), {"n": 1})
    suspended_at = run.events.get(type=EventType.RUN_SUSPENDED).id
    run = resume_and_drain(run, {"approved": True})
    then = snapshot(run.pk, as_of=suspended_at)
    assert then["status"] == "suspended"
    assert then["suspended_paths"] == [["approve"]]
    assert "double" not in then["context"]
    assert then["as_of_event_id"] == suspended_at
    first_step = run.events.filter(path_key="add_one", type=EventType.STEP_STARTED).get().id
    assert snapshot(run.pk, as_of=first_step)["active_paths"] == [["add_one"]]
    assert snapshot(run.pk)["status"] == "success"


def test_snapshot_document_has_the_documented_fields() -> None:
    run = run_workflow(chain("doc", add_one, approve), {"n": 1})
    doc = snapshot(run.pk)
    assert doc["format"] == "handoff.snapshot" and doc["version"] == 1
    assert doc["run_id"] == str(run.pk)
    assert doc["graph"]["nodes"][1]["id"] == "approve"
    suspension = doc["suspensions"][0]
    assert set(suspension) >= {"path", "payload", "suspension_id", "fingerprint", "label"}
    assert doc["context"]["add_one"]["attempts"] == 1


def test_export_is_json_that_round_trips() -> None:
    run = run_workflow(chain("export", add_one), {"n": 1})
    assert json.loads(export_snapshot(run.pk)) == json.loads(json.dumps(snapshot(run.pk)))


def test_snapshot_of_an_unknown_run_is_not_found() -> None:
    with pytest.raises(RunNotFound):
        snapshot("00000000-0000-0000-0000-000000000000")
    with pytest.raises(RunNotFound):
        snapshot("not-a-uuid")
