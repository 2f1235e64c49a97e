"""fork_run checks everything before it writes: a refused fork leaves no run and no event."""

from __future__ import annotations

import pytest

from tests.workflows.flows import Number, Text, add_one, approve, chain, double, unique
from workflows.engine import StepContext, Workflow, api, step
from workflows.engine.errors import InvalidInput, InvalidResumeData
from workflows.engine.forking import ForkRefused
from workflows.engine.testing import drain, run_workflow
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
