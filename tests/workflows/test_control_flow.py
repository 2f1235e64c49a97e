"""parallel, branch, loops, foreach, sleep and nested workflows, alone and with suspend."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from pydantic import BaseModel

from tests.workflows.flows import (
    Decision,
    Draft,
    Number,
    add_one,
    approve,
    calls,
    double,
    explode,
    unique,
)
from workflows.engine import Workflow, api, snapshot, step
from workflows.engine.testing import drain, resume_and_drain, run_workflow
from workflows.models import ExecutionStatus, RunStatus

pytestmark = pytest.mark.django_db


class Trio(BaseModel):
    add_one: Number
    double: Number
    approve: Number


@step(input=Trio, output=Number)
def total(ctx):
    return Number(n=ctx.input.add_one.n + ctx.input.double.n + ctx.input.approve.n)


# --- parallel -------------------------------------------------------------------------------


def test_parallel_runs_every_branch_on_the_same_input_and_joins_by_id() -> None:
    workflow = (
        Workflow(unique("par"), input=Number, output=Number)
        .parallel([add_one, double, approve])
        .then(total)
        .commit()
    )
    run = run_workflow(workflow, {"n": 5})
    assert run.status == RunStatus.SUSPENDED
    doc = snapshot(run.pk)
    assert doc["suspended_paths"] == [["approve"]]
    assert doc["context"]["add_one"]["output"] == {"n": 6}
    run = resume_and_drain(run, {"approved": True}, path="approve")
    assert run.result == {"n": 6 + 10 + 5}


def test_snapshot_shows_all_three_parallel_branches_active() -> None:
    workflow = Workflow(unique("three"), input=Number).parallel([add_one, double, approve]).commit()
    run = api.start_run(workflow, {"n": 1})
    doc = snapshot(run.pk)
    assert sorted(doc["active_paths"]) == [["add_one"], ["approve"], ["double"]]
    assert doc["status"] == RunStatus.RUNNING


def test_several_suspended_branches_resume_in_any_order() -> None:
    workflow = (
        Workflow(unique("multi"), input=Number)
        .parallel([approve, approve.with_id("second"), add_one])
        .commit()
    )
    run = run_workflow(workflow, {"n": 3})
    assert sorted(snapshot(run.pk)["suspended_paths"]) == [["approve"], ["second"]]
    run = resume_and_drain(run, {"approved": False}, path="second")
    assert run.status == RunStatus.SUSPENDED
    assert snapshot(run.pk)["suspended_paths"] == [["approve"]]
    run = resume_and_drain(run, {"approved": True}, path="approve")
    assert run.status == RunStatus.SUCCESS
    assert run.result == {"approve": {"n": 3}, "second": {"n": 0}, "add_one": {"n": 4}}


def test_a_failed_branch_fails_the_run_after_the_others_finish() -> None:
    workflow = Workflow(unique("pfail"), input=Number).parallel([add_one, explode]).commit()
    run = run_workflow(workflow, {"n": 1})
    assert run.status == RunStatus.FAILED
    assert "1 of 2 branches failed (explode): boom at 1" in run.error["message"]
    assert run.executions.get(path_key="add_one").status == ExecutionStatus.SUCCESS


def test_allow_failure_passes_none_for_the_failed_branch() -> None:
    workflow = (
        Workflow(unique("allow"), input=Number)
        .parallel([add_one, explode], allow_failure=True)
        .commit()
    )
    run = run_workflow(workflow, {"n": 1})
    assert run.status == RunStatus.SUCCESS
    assert run.result == {"add_one": {"n": 2}, "explode": None}


# --- branch ---------------------------------------------------------------------------------


def test_branch_runs_every_case_whose_condition_holds() -> None:
    workflow = (
        Workflow(unique("branch"), input=Number)
        .branch(
            [
                (lambda c: c.input["n"] > 0, add_one),
                (lambda c: c.input["n"] > 10, double),
                (lambda c: c.input["n"] % 2 == 1, approve),
            ]
        )
        .commit()
    )
    run = run_workflow(workflow, {"n": 3})
    assert run.status == RunStatus.SUSPENDED
    run = resume_and_drain(run, {"approved": True})
    assert run.result == {"add_one": {"n": 4}, "approve": {"n": 3}}
    assert "double" not in calls


def test_branch_with_no_matching_case_outputs_an_empty_mapping() -> None:
    workflow = Workflow(unique("none"), input=Number).branch([(lambda c: False, add_one)]).commit()
    assert run_workflow(workflow, {"n": 1}).result == {}


def test_a_condition_that_raises_fails_the_run_with_its_message() -> None:
    def broken(check):
        raise ValueError("cannot decide")

    workflow = Workflow(unique("bad-cond"), input=Number).branch([(broken, add_one)]).commit()
    run = run_workflow(workflow, {"n": 1})
    assert run.status == RunStatus.FAILED
    assert run.error["message"] == "cannot decide"


# --- loops ----------------------------------------------------------------------------------


@step(input=Draft, output=Draft, resume=Decision)
def review_draft(ctx):
    """One round of review per iteration; each iteration waits for its own answer."""
    if ctx.resume_data is None:
        ctx.suspend({"round": ctx.input.round, "text": ctx.input.text})
    text = (
        ctx.input.text if ctx.resume_data.approved else f"{ctx.input.text}+{ctx.resume_data.note}"
    )
    return Draft(text=text, round=ctx.input.round + 1, approved=ctx.resume_data.approved)


def review_loop(cap: int = 10) -> Workflow:
    return (
        Workflow(unique("loop"), input=Draft, output=Draft)
        .dowhile(review_draft, lambda c: not c.output.approved, max_iterations=cap)
        .commit()
    )


def test_dowhile_with_suspension_neither_exits_early_nor_hangs() -> None:
    run = run_workflow(review_loop(), {"text": "v0"})
    for note in ("more", "again"):
        assert run.status == RunStatus.SUSPENDED
        run = resume_and_drain(run, {"approved": False, "note": note})
    assert run.status == RunStatus.SUSPENDED
    doc = snapshot(run.pk)
    assert doc["suspensions"][0]["iteration"] == 3
    assert doc["suspensions"][0]["payload"] == {"round": 2, "text": "v0+more+again"}
    run = resume_and_drain(run, {"approved": True})
    assert run.status == RunStatus.SUCCESS
    assert run.result == {"text": "v0+more+again", "round": 3, "approved": True}
    rows = run.executions.filter(path_key="review_draft").order_by("iteration")
    assert [r.iteration for r in rows] == [1, 2, 3]
    assert [r.resume_data["note"] for r in rows] == ["more", "again", ""]


def test_each_loop_iteration_starts_without_the_previous_resume_data() -> None:
    run = run_workflow(review_loop(), {"text": "v0"})
    run = resume_and_drain(run, {"approved": False, "note": "x"})
    latest = run.executions.filter(path_key="review_draft").latest("iteration")
    assert latest.status == ExecutionStatus.SUSPENDED and latest.resume_data is None


def test_dountil_stops_when_the_condition_holds() -> None:
    workflow = (
        Workflow(unique("until"), input=Number, output=Number)
        .dountil(add_one, lambda c: c.output.n >= 5)
        .commit()
    )
    run = run_workflow(workflow, {"n": 1})
    assert run.result == {"n": 5}
    assert calls["add-one"] == 4


def test_a_loop_that_reaches_its_cap_fails_with_a_clear_message() -> None:
    workflow = (
        Workflow(unique("cap"), input=Number)
        .dowhile(add_one, lambda c: True, max_iterations=3)
        .commit()
    )
    run = run_workflow(workflow, {"n": 0})
    assert run.status == RunStatus.FAILED
    assert "reached its cap of 3 iterations" in run.error["message"]
    assert calls["add-one"] == 3


def test_loop_condition_sees_the_iteration_count() -> None:
    seen: list[int] = []

    def condition(check):
        seen.append(check.iteration)
        return check.iteration < 3

    workflow = Workflow(unique("iter"), input=Number).dowhile(add_one, condition).commit()
    assert run_workflow(workflow, {"n": 0}).result == {"n": 3}
    assert seen == [1, 2, 3]


# --- foreach --------------------------------------------------------------------------------


def test_foreach_processes_every_item_in_order_within_the_concurrency_limit() -> None:
    workflow = Workflow(unique("each"), input=list[Number]).foreach(double, concurrency=2).commit()
    run = api.start_run(workflow, [{"n": i} for i in range(5)])
    assert len(snapshot(run.pk)["active_paths"]) == 2
    drain()
    run.refresh_from_db()
    assert run.result == [{"n": i * 2} for i in range(5)]


def test_foreach_of_an_empty_list_outputs_an_empty_list() -> None:
    workflow = Workflow(unique("empty"), input=list[Number]).foreach(double).commit()
    assert run_workflow(workflow, []).result == []


def test_foreach_items_suspend_and_resume_by_index() -> None:
    workflow = (
        Workflow(unique("each-s"), input=list[Number]).foreach(approve, concurrency=3).commit()
    )
    run = run_workflow(workflow, [{"n": 1}, {"n": 2}, {"n": 3}])
    doc = snapshot(run.pk)
    assert [s["item_index"] for s in doc["suspensions"]] == [0, 1, 2]
    run = resume_and_drain(run, {"approved": False}, path="approve", foreach_index=1)
    run = resume_and_drain(run, {"approved": True}, foreach_index=2)
    run = resume_and_drain(run, {"approved": True}, foreach_index=0)
    assert run.result == [{"n": 1}, {"n": 0}, {"n": 3}]
    assert calls["approve"] == 6


def test_a_failing_item_fails_the_foreach_after_in_flight_items_settle() -> None:
    @step(input=Number, output=Number)
    def odd_fails(ctx):
        if ctx.input.n % 2:
            raise ValueError(f"odd {ctx.input.n}")
        return ctx.input

    workflow = (
        Workflow(unique("each-f"), input=list[Number]).foreach(odd_fails, concurrency=2).commit()
    )
    run = run_workflow(workflow, [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 4}])
    assert run.status == RunStatus.FAILED
    assert "item 1: odd 1" in run.error["message"]


# --- sleep ----------------------------------------------------------------------------------


def test_sleep_is_a_durable_timer_that_passes_data_through() -> None:
    workflow = (
        Workflow(unique("sleep"), input=Number).then(add_one).sleep(0.2).then(double).commit()
    )
    run = api.start_run(workflow, {"n": 1})
    started = time.monotonic()
    drain()
    run.refresh_from_db()
    assert run.result == {"n": 4}
    assert time.monotonic() - started >= 0.2
    assert snapshot(run.pk)["context"]["sleep-1"]["status"] == "success"


def test_sleep_shows_as_waiting_while_it_waits() -> None:
    workflow = Workflow(unique("wait"), input=Number).sleep(30).then(add_one).commit()
    run = api.start_run(workflow, {"n": 1})
    doc = snapshot(run.pk)
    assert doc["waiting_paths"] == [["sleep-1"]] and doc["status"] == RunStatus.RUNNING


def test_sleep_until_a_time_computed_from_the_data() -> None:
    due = timezone.now() + timedelta(seconds=0.1)
    workflow = (
        Workflow(unique("until"), input=Number).sleep_until(lambda c: due).then(add_one).commit()
    )
    run = run_workflow(workflow, {"n": 1})
    assert run.result == {"n": 2}
    assert run.executions.get(path_key="sleep_until-1").wake_at == due


def test_an_overdue_timer_fires_at_once() -> None:
    workflow = (
        Workflow(unique("overdue"), input=Number)
        .sleep_until(timezone.now() - timedelta(hours=1))
        .then(add_one)
        .commit()
    )
    assert run_workflow(workflow, {"n": 1}).result == {"n": 2}


# --- nested workflows -----------------------------------------------------------------------


def test_nested_workflow_runs_as_a_step_and_its_suspension_has_the_full_path() -> None:
    inner = (
        Workflow(unique("inner"), input=Number, output=Number).then(double).then(approve).commit()
    )
    outer = (
        Workflow(unique("outer"), input=Number, output=Number)
        .then(add_one)
        .then(inner, id="review")
        .then(add_one.with_id("after"))
        .commit()
    )
    run = run_workflow(outer, {"n": 1})
    doc = snapshot(run.pk)
    assert doc["suspended_paths"] == [["review", "approve"]]
    assert doc["context"]["review.double"]["output"] == {"n": 4}
    run = resume_and_drain(run, {"approved": True}, path=["review", "approve"])
    assert run.result == {"n": 5}
    assert calls == {"add-one": 2, "double": 1, "approve": 2}


def test_nested_workflows_inside_parallel_suspend_independently() -> None:
    inner = Workflow(unique("leg"), input=Number, output=Number).then(approve).commit()
    outer = (
        Workflow(unique("legs"), input=Number)
        .parallel(
            [inner.__class__(unique("x"), input=Number, output=Number).then(double).commit(), inner]
        )
        .commit()
    )
    run = run_workflow(outer, {"n": 2})
    assert snapshot(run.pk)["suspended_paths"] == [[inner.id, "approve"]]
    run = resume_and_drain(run, {"approved": True}, path=f"{inner.id}.approve")
    assert run.status == RunStatus.SUCCESS
