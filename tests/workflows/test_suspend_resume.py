"""suspend/resume: data is never lost, only waiting steps resume, one answer wins."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from tests.workflows.flows import Decision, Number, add_one, approve, calls, chain, double
from workflows.engine import api, step
from workflows.engine.errors import (
    AmbiguousResume,
    InvalidResumeData,
    RunNotActive,
    StaleSuspension,
    StepNotSuspended,
)
from workflows.engine.testing import drain, resume_and_drain, run_workflow
from workflows.models import EventType, ExecutionStatus, RunStatus, Suspension

pytestmark = pytest.mark.django_db


def test_a_suspended_run_shows_the_payload_and_waits() -> None:
    run = run_workflow(chain("wait", add_one, approve, double), {"n": 1})
    assert run.status == RunStatus.SUSPENDED
    suspension = Suspension.objects.get(run=run)
    assert suspension.payload == {"question": "approve 2?", "n": 2}
    assert suspension.path_key == "approve"
    assert len(suspension.fingerprint) == 64


def test_resume_reruns_only_that_step_with_its_original_input() -> None:
    run = run_workflow(chain("resume", add_one, approve, double), {"n": 1})
    run = resume_and_drain(run, {"approved": True}, path="approve")
    assert run.status == RunStatus.SUCCESS
    assert run.result == {"n": 4}
    assert calls == {"add-one": 1, "approve": 2, "double": 1}
    row = run.executions.get(path_key="approve")
    assert row.input == {"n": 2} and row.resume_data == {"approved": True, "note": ""}


def test_invalid_resume_data_lists_the_fields_and_changes_nothing() -> None:
    run = run_workflow(chain("invalid", approve), {"n": 1})
    before = run.events.count()
    with pytest.raises(InvalidResumeData) as caught:
        api.resume_run(run.pk, {"approved": "maybe"}, path="approve")
    assert caught.value.errors == [
        {
            "field": "approved",
            "message": "Input should be a valid boolean, unable to interpret input",
        }
    ]
    run.refresh_from_db()
    assert run.status == RunStatus.SUSPENDED and run.events.count() == before
    assert Suspension.objects.get(run=run).status == "open"


def test_resuming_a_step_that_is_not_suspended_is_a_conflict() -> None:
    run = run_workflow(chain("conflict", add_one, approve), {"n": 1})
    with pytest.raises(
        StepNotSuspended, match=r"add_one is not waiting.*steps waiting now: approve"
    ):
        api.resume_run(run.pk, {"approved": True}, path="add_one")
    resume_and_drain(run, {"approved": True}, path="approve")
    with pytest.raises(RunNotActive, match="the run is success"):
        api.resume_run(run.pk, {"approved": True}, path="approve")


def test_a_second_resume_of_the_same_step_is_refused() -> None:
    run = run_workflow(chain("twice", approve), {"n": 1})
    api.resume_run(run.pk, {"approved": True}, path="approve")
    with pytest.raises(StepNotSuspended):
        api.resume_run(run.pk, {"approved": False}, path="approve")
    drain()
    run.refresh_from_db()
    assert run.result == {"n": 1}


def test_resume_naming_an_outdated_suspension_is_a_conflict() -> None:
    @step(input=Number, output=Number, resume=Decision)
    def ask_twice(ctx):
        if ctx.resume_data is None or ctx.resume_data.note != "final":
            ctx.suspend({"asked": ctx.resume_data.note if ctx.resume_data else "first"})
        return ctx.input

    run = run_workflow(chain("multi", ask_twice), {"n": 5})
    first = Suspension.objects.get(run=run)
    run = resume_and_drain(run, {"approved": True, "note": "more"}, suspension_id=first.id)
    assert run.status == RunStatus.SUSPENDED
    second = Suspension.objects.filter(run=run).latest("created_at")
    assert second.payload == {"asked": "more"} and second.id != first.id
    with pytest.raises(StaleSuspension, match="already answered or replaced"):
        api.resume_run(run.pk, {"approved": True, "note": "final"}, suspension_id=first.id)
    with pytest.raises(StaleSuspension, match="different content"):
        api.resume_run(run.pk, {"approved": True, "note": "final"}, fingerprint=first.fingerprint)
    run = resume_and_drain(run, {"approved": True, "note": "final"}, fingerprint=second.fingerprint)
    assert run.status == RunStatus.SUCCESS
    assert list(Suspension.objects.filter(run=run).values_list("status", flat=True)) == [
        "resumed",
        "resumed",
    ]


def test_resume_without_a_path_picks_the_only_waiting_step() -> None:
    run = run_workflow(chain("auto", approve), {"n": 2})
    run = resume_and_drain(run, {"approved": False})
    assert run.result == {"n": 0}


def test_resume_records_who_answered() -> None:
    from django.contrib.auth.models import User

    reviewer = User.objects.create(username="rita")
    run = run_workflow(chain("who", approve), {"n": 2})
    api.resume_run(run.pk, {"approved": True}, actor=reviewer)
    row = run.executions.get(path_key="approve")
    assert row.resumed_by == reviewer
    assert run.events.get(type=EventType.STEP_RESUMED).actor == reviewer
    assert Suspension.objects.get(run=run).resumed_by == reviewer


def test_resume_by_label() -> None:
    @step(input=Number, output=Number, resume=Decision)
    def labelled(ctx):
        if ctx.resume_data is None:
            ctx.suspend({"n": ctx.input.n}, label=f"order-{ctx.input.n}")
        return ctx.input

    run = run_workflow(chain("label", labelled), {"n": 7})
    with pytest.raises(StepNotSuspended, match="label 'order-8'"):
        api.resume_run(run.pk, {"approved": True}, label="order-8")
    run = resume_and_drain(run, {"approved": True}, label="order-7")
    assert run.status == RunStatus.SUCCESS


def test_invalid_suspend_payload_fails_the_step_clearly() -> None:
    @step(input=Number, output=Number, suspend=Decision, resume=Decision)
    def bad_payload(ctx):
        ctx.suspend({"unexpected": True})

    run = run_workflow(chain("payload", bad_payload), {"n": 1})
    assert run.status == RunStatus.FAILED
    assert (
        "suspend payload of 'bad_payload' is invalid: approved: Field required"
        in run.error["message"]
    )


def test_ambiguous_resume_lists_the_waiting_steps() -> None:
    from tests.workflows.flows import unique
    from workflows.engine import Workflow

    workflow = (
        Workflow(unique("amb"), input=Number)
        .parallel([approve, approve.with_id("approve_b")])
        .commit()
    )
    run = run_workflow(workflow, {"n": 1})
    with pytest.raises(AmbiguousResume, match="approve, approve_b"):
        api.resume_run(run.pk, {"approved": True})


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_resumes_exactly_one_wins() -> None:
    run = run_workflow(chain("race", approve), {"n": 3})
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(approved: bool) -> None:
        try:
            barrier.wait()
            api.resume_run(run.pk, {"approved": approved}, path="approve")
            outcomes.append("won")
        except StepNotSuspended:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(flag,)) for flag in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "won"]
    assert run.events.filter(type=EventType.STEP_RESUMED).count() == 1
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS
    assert run.executions.get(path_key="approve").status == ExecutionStatus.SUCCESS


def test_resume_by_label_costs_the_same_however_many_steps_wait() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.workflows.flows import unique
    from workflows.engine import Workflow

    @step(input=Number, output=Number, resume=Decision)
    def tagged(ctx):
        if ctx.resume_data is None:
            ctx.suspend({"n": ctx.input.n}, label=f"item-{ctx.item_index}")
        return ctx.input

    def resume_cost(items: int) -> int:
        workflow = (
            Workflow(unique("labels"), input=list[Number])
            .foreach(tagged, concurrency=items)
            .commit()
        )
        run = run_workflow(workflow, [{"n": i} for i in range(items)])
        with CaptureQueriesContext(connection) as queries:
            api.resume_run(run.pk, {"approved": True}, label="item-0")
        return len(queries.captured_queries)

    assert resume_cost(2) == resume_cost(6)


def test_deleting_a_person_keeps_the_runs_they_answered() -> None:
    """The history stays whole: the step and its events lose only the link to the person."""
    person = get_user_model().objects.create_user("leaving")
    run = run_workflow(chain("left", add_one, approve, double), {"n": 1})
    run = resume_and_drain(run, {"approved": True}, path="approve", actor=person)
    assert run.events.filter(actor=person).exists()
    person.delete()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 4}
    answered = run.executions.get(path_key="approve")
    assert answered.resumed_by is None and answered.resumed_at is not None
    resumed = run.events.get(type=EventType.STEP_RESUMED)
    assert resumed.actor is None and resumed.data["resume_data"]["approved"] is True
