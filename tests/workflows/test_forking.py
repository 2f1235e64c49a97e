"""Forking: a new run from one step of an earlier run, which stays as it was.

fork_run checks everything before it writes: a refused fork leaves no run and no event.
"""

from __future__ import annotations

import pytest

from tests.workflows.flows import Number, Text, add_one, approve, chain, double, unique
from workflows.engine import StepContext, Workflow, api, snapshot, step
from workflows.engine.errors import Conflict, InvalidInput, InvalidResumeData
from workflows.engine.forking import ForkRefused, UnknownForkPath
from workflows.engine.testing import drain, resume_and_drain, run_workflow
from workflows.models import RunEvent, RunStatus, StepExecution, WorkflowRun


@step(input=Text, output=Text)
def shout(ctx: StepContext[Text]) -> Text:
    return Text(text=ctx.input.text.upper())


pytestmark = pytest.mark.django_db


def nothing_written(before: tuple[int, int]) -> bool:
    return (WorkflowRun.objects.count(), RunEvent.objects.count()) == before


def counts() -> tuple[int, int]:
    return WorkflowRun.objects.count(), RunEvent.objects.count()


def fan_flow() -> Workflow:
    return (
        Workflow(unique("fork-fan"), input=Number)
        .then(add_one)
        .parallel([double, approve], id="fan")
        .commit()
    )


def test_fork_reruns_from_a_step_without_touching_the_original() -> None:
    run = run_workflow(chain("fork", add_one, approve, double), {"n": 1})
    run = resume_and_drain(run, {"approved": False})
    assert run.result == {"n": 0}
    original_events = run.events.count()
    fork = api.fork_run(run.pk, "approve", resume_data={"approved": True})
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


def test_input_at_a_parallel_is_checked_against_every_branch_before_anything_is_written():
    run = run_workflow(fan_flow(), {"n": 1})
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        api.fork_run(run.pk, "fan", input={"n": "many"})
    assert caught.value.errors[0]["field"] == "n"
    assert nothing_written(before)
    forked = api.fork_run(run.pk, "fan", input={"n": 10})
    drain()
    forked.refresh_from_db()
    assert forked.status == RunStatus.SUSPENDED
    assert StepExecution.objects.get(run=forked, path_key="double").output == {"n": 20}


def test_an_original_input_that_no_longer_fits_is_refused_not_started() -> None:
    run = run_workflow(chain("fork-stale", add_one, approve), {"n": 1})
    StepExecution.objects.filter(run=run, path_key="approve").update(input={"n": "two"})
    before = counts()
    with pytest.raises(InvalidInput, match="had in the original run"):
        api.fork_run(run.pk, "approve")
    assert nothing_written(before)


def test_refusals_about_the_path_and_the_resume_data_write_nothing() -> None:
    run = run_workflow(chain("fork-refusals", add_one, approve, double), {"n": 1})
    before = counts()
    with pytest.raises(ForkRefused, match="did not complete"):
        api.fork_run(run.pk, "double")
    with pytest.raises(ForkRefused, match="takes no resume data"):
        api.fork_run(run.pk, "add_one", resume_data={"approved": True})
    with pytest.raises(InvalidResumeData):
        api.fork_run(run.pk, "approve", resume_data={"approved": "perhaps"})
    assert nothing_written(before)


def test_fork_input_is_stored_as_the_schema_dumps_it() -> None:
    workflow = Workflow(unique("fork-text"), input=Text, output=Text).then(shout).commit()
    run = run_workflow(workflow, {"text": "a"})
    forked = api.fork_run(run.pk, "shout", input=Text(text="b"))
    drain()
    forked.refresh_from_db()
    assert forked.result == {"text": "B"}
