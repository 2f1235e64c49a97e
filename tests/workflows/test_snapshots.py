"""The snapshot tells the truth now and at any past event, and exports as JSON."""

from __future__ import annotations

import json

import pytest

from tests.workflows.control_flow_fixtures import scenario_workflows
from tests.workflows.flows import Number, add_one, approve, chain, double, unique
from workflows.engine import Workflow, api, export_snapshot, snapshot
from workflows.engine.errors import Conflict, InvalidInput, RunNotFound
from workflows.engine.forking import UnknownForkPath
from workflows.engine.testing import resume_and_drain, run_workflow
from workflows.models import EventType, WorkflowRun

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


def test_fork_reruns_from_a_step_without_touching_the_original() -> None:
    run = run_workflow(chain("fork", add_one, approve, double), {"n": 1})
    run = resume_and_drain(run, {"approved": False})
    assert run.result == {"n": 0}
    original_events = run.events.count()
    fork = api.fork_run(run.pk, "approve", resume_data={"approved": True})
    from workflows.engine.testing import drain

    drain()
    fork.refresh_from_db()
    assert fork.result == {"n": 4}
    assert fork.forked_from == run and fork.forked_at_path == "approve"
    assert fork.executions.get(path_key="add_one").output == {"n": 2}
    run.refresh_from_db()
    assert run.result == {"n": 0} and run.events.count() == original_events
    assert snapshot(fork.pk)["forked_from"] == str(run.pk)


def test_fork_with_new_input_waits_for_a_person_again() -> None:
    run = run_workflow(chain("fork-in", add_one, approve), {"n": 1})
    run = resume_and_drain(run, {"approved": True})
    fork = api.fork_run(run.pk, "approve", input={"n": 50})
    from workflows.engine.testing import drain

    drain()
    fork.refresh_from_db()
    assert fork.status == "suspended"
    assert snapshot(fork.pk)["suspensions"][0]["payload"]["n"] == 50


def test_fork_from_inside_a_nested_workflow() -> None:
    inner = Workflow(unique("fin"), input=Number, output=Number).then(double).then(approve).commit()
    outer = (
        Workflow(unique("fout"), input=Number, output=Number)
        .then(add_one)
        .then(inner, id="rev")
        .commit()
    )
    run = run_workflow(outer, {"n": 1})
    run = resume_and_drain(run, {"approved": False}, path="rev.approve")
    fork = api.fork_run(run.pk, ["rev", "approve"], resume_data={"approved": True})
    from workflows.engine.testing import drain

    drain()
    fork.refresh_from_db()
    assert fork.result == {"n": 4}


def test_fork_inside_a_parallel_is_refused_with_advice() -> None:
    workflow = Workflow(unique("fpar"), input=Number).parallel([add_one, approve]).commit()
    run = run_workflow(workflow, {"n": 1})
    with pytest.raises(Conflict, match="fork from that construct"):
        api.fork_run(run.pk, "approve")


def test_fork_with_input_that_does_not_fit_creates_nothing() -> None:
    run = run_workflow(chain("fork-bad", add_one, approve), {"n": 1})
    before = WorkflowRun.objects.count()
    with pytest.raises(InvalidInput, match="input for approve"):
        api.fork_run(run.pk, "approve", input={"n": "one"})
    assert WorkflowRun.objects.count() == before


def test_fork_at_a_step_that_does_not_exist_names_the_steps() -> None:
    run = run_workflow(chain("fork-typo", add_one, approve), {"n": 1})
    with pytest.raises(UnknownForkPath, match="its steps: add_one, approve"):
        api.fork_run(run.pk, "aprove")
