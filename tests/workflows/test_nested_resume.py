"""Resuming by a nested workflow's id answers the one step waiting inside it, as peers do."""

from __future__ import annotations

import pytest

from tests.workflows.flows import Number, add_one, approve, double, unique
from workflows.engine import Workflow, api
from workflows.engine.errors import AmbiguousResume, StepNotSuspended
from workflows.engine.testing import resume_and_drain, run_workflow
from workflows.models import RunStatus

pytestmark = pytest.mark.django_db


def outer_with(inner: Workflow) -> Workflow:
    return (
        Workflow(unique("outer"), input=Number, output=Number)
        .then(add_one)
        .then(inner, id="rev")
        .commit()
    )


def test_the_nested_workflows_id_resumes_its_only_waiting_step() -> None:
    inner = Workflow(unique("inner"), input=Number, output=Number).then(approve).then(double)
    run = run_workflow(outer_with(inner.commit()), {"n": 1})
    assert run.status == RunStatus.SUSPENDED
    run = resume_and_drain(run, {"approved": True}, path="rev")
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 4}
    assert api.get_run(run.pk).executions.get(path_key="rev.approve").resumed_at is not None


def test_two_steps_waiting_inside_are_ambiguous_and_listed() -> None:
    inner = Workflow(unique("inner2"), input=Number).parallel(
        [approve, approve.with_id("second_look")]
    )
    run = run_workflow(outer_with(inner.commit()), {"n": 1})
    with pytest.raises(AmbiguousResume) as caught:
        api.resume_run(run.pk, {"approved": True}, path="rev")
    assert "inside 'rev'" in caught.value.message
    assert caught.value.details["candidates"] == ["rev.approve", "rev.second_look"]
    api.resume_run(run.pk, {"approved": True}, path="rev.second_look")


def test_a_prefix_that_is_not_a_whole_id_matches_nothing() -> None:
    inner = Workflow(unique("inner3"), input=Number, output=Number).then(approve)
    run = run_workflow(outer_with(inner.commit()), {"n": 1})
    with pytest.raises(StepNotSuspended):
        api.resume_run(run.pk, {"approved": True}, path="re")
