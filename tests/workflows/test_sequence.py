"""then(): data flows step to step, typed, validated, with state, emitted events and lookups."""

from __future__ import annotations

import itertools

import pytest
from pydantic import BaseModel, field_validator

from tests.workflows.flows import Number, add_one, calls, chain, double, unique
from workflows.engine import Workflow, api, step
from workflows.engine.errors import InvalidInput
from workflows.engine.testing import run_workflow
from workflows.models import EventType, RunStatus

pytestmark = pytest.mark.django_db


def test_each_step_receives_the_previous_output() -> None:
    run = run_workflow(chain("seq", add_one, double, add_one.with_id("again")), {"n": 3})
    assert run.status == RunStatus.SUCCESS
    assert run.result == {"n": 9}
    assert run.steps_completed == 3


def test_invalid_run_input_is_refused_with_the_fields_and_nothing_is_created() -> None:
    workflow = chain("bad-input", add_one)
    with pytest.raises(InvalidInput) as caught:
        api.start_run(workflow, {"n": "three"})
    assert caught.value.errors[0]["field"] == "n"
    assert caught.value.http_status == 400
    assert not api.list_runs(workflow_id=workflow.id).exists()


def test_a_step_returning_the_wrong_shape_fails_the_run_with_the_field() -> None:
    @step(input=Number, output=Number)
    def wrong(ctx):
        return {"m": 1}

    run = run_workflow(chain("wrong", wrong), {"n": 1})
    assert run.status == RunStatus.FAILED
    assert "output of 'wrong' is invalid: n: Field required" in run.error["message"]


def test_events_record_every_transition_in_order() -> None:
    run = run_workflow(chain("events", add_one, double), {"n": 1})
    types = [(e.type, e.path_key) for e in run.events.all()]
    assert types == [
        (EventType.RUN_STARTED, ""),
        (EventType.STEP_STARTED, ""),
        (EventType.STEP_STARTED, "add_one"),
        (EventType.STEP_COMPLETED, "add_one"),
        (EventType.STEP_STARTED, "double"),
        (EventType.STEP_COMPLETED, "double"),
        (EventType.STEP_COMPLETED, ""),
        (EventType.RUN_COMPLETED, ""),
    ]
    ids = list(run.events.values_list("id", flat=True))
    assert ids == sorted(ids) and run.last_event_id == ids[-1]


def test_a_chain_steps_start_is_the_end_of_the_step_before_it() -> None:
    """One commit ends a step and starts the next: the times the run page and the
    benchmark read from the rows must show no gap or overlap between them."""
    run = run_workflow(chain("timed", add_one, double, add_one.with_id("again")), {"n": 1})
    steps = list(run.executions.filter(path_key__in=("add_one", "double", "again")).order_by("id"))
    assert len(steps) == 3
    for before, after in itertools.pairwise(steps):
        assert before.finished_at is not None and before.finished_at == after.started_at


def test_state_set_by_one_step_is_seen_by_later_steps() -> None:
    @step(input=Number, output=Number)
    def remember(ctx):
        ctx.set_state(seen=ctx.input.n, tags=["a"])
        return ctx.input

    @step(input=Number, output=Number)
    def recall(ctx):
        return Number(n=ctx.state["seen"] * 100)

    run = run_workflow(chain("state", remember, recall), {"n": 4})
    assert run.result == {"n": 400}
    assert run.state == {"seen": 4, "tags": ["a"]}
    assert run.events.filter(type=EventType.STATE_CHANGED).count() == 1


def test_step_output_reads_an_earlier_step_typed() -> None:
    @step(input=Number, output=Number)
    def look_back(ctx):
        first = ctx.step_output("add_one")
        assert isinstance(first, Number)
        return Number(n=first.n + ctx.input.n)

    run = run_workflow(chain("lookup", add_one, double, look_back), {"n": 1})
    assert run.result == {"n": 6}


def test_emit_publishes_progress_events_to_watchers() -> None:
    @step(input=Number, output=Number)
    def stream(ctx):
        for token in ["a", "b", "c"]:
            ctx.emit({"token": token}, type="token")
        return ctx.input

    run = run_workflow(chain("emit", stream), {"n": 1})
    outputs = run.events.filter(type=EventType.STEP_OUTPUT)
    assert [e.data["data"]["token"] for e in outputs] == ["a", "b", "c"]
    assert {e.data["type"] for e in outputs} == {"token"}


def test_context_offers_run_id_and_a_stable_idempotency_key() -> None:
    seen: list[tuple[str, str]] = []

    @step(input=Number, output=Number)
    def keys(ctx):
        seen.append((ctx.run_id, ctx.idempotency_key))
        return ctx.input

    run = run_workflow(chain("keys", keys), {"n": 1})
    assert seen[0][0] == str(run.pk)
    assert seen[0][1].startswith(str(run.pk) + ":")


def test_idempotency_key_on_start_returns_the_same_run() -> None:
    workflow = chain("idem", add_one)
    first = api.start_run(workflow, {"n": 1}, idempotency_key="order-42")
    second = api.start_run(workflow, {"n": 1}, idempotency_key="order-42")
    assert first.pk == second.pk
    assert api.list_runs(workflow_id=workflow.id).count() == 1


def test_watch_yields_every_event_until_the_run_ends() -> None:
    run = run_workflow(chain("watch", add_one), {"n": 1})
    watched = [event.type for event in api.watch(run.pk, after=0, timeout=1)]
    assert watched[0] == EventType.RUN_STARTED and watched[-1] == EventType.RUN_COMPLETED
    third = run.events.all()[2].id
    assert next(e.id for e in api.watch(run.pk, after=third, timeout=1)) > third


def test_map_reshapes_data_between_steps() -> None:
    class Words(BaseModel):
        words: list[str]

    @step(input=Words, output=Number)
    def count(ctx):
        return Number(n=len(ctx.input.words))

    workflow = (
        Workflow(unique("map"), input=Number, output=Number)
        .then(add_one)
        .map(lambda c: {"words": ["w"] * c.input["n"]}, output=Words)
        .then(count)
        .commit()
    )
    run = run_workflow(workflow, {"n": 2})
    assert run.result == {"n": 3}
    assert calls["add-one"] == 1


def test_an_emit_writes_its_event_without_reading_the_steps_again() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflows.engine import entry, queue
    from workflows.engine.worker import record_output

    run = api.start_run(chain("emit-cost", add_one), {"n": 1})
    row = entry.claim(queue.manual_queue.popleft()).execution  # the step is running
    with CaptureQueriesContext(connection) as queries:
        record_output(run.pk, row, "progress", {"done": 1})
    touched = [q["sql"] for q in queries.captured_queries if "stepexecution" in q["sql"]]
    assert touched == []
    assert run.events.filter(type=EventType.STEP_OUTPUT).count() == 1


def test_a_step_taken_inline_gets_the_input_its_row_was_validated_into() -> None:
    """The next step's input is validated once, when its row is made; the worker that goes
    straight on to it does not validate the same JSON again."""
    validations: list[int] = []

    class Counted(BaseModel):
        n: int

        @field_validator("n")
        @classmethod
        def count(cls, value: int) -> int:
            validations.append(value)
            return value

    @step(input=Number, output=Counted)
    def first(ctx):
        return {"n": ctx.input.n + 1}

    @step(input=Counted, output=Number)
    def second(ctx):
        return {"n": ctx.input.n * 10}

    run = run_workflow(chain("validated-once", first, second), {"n": 1})
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 20}
    # first's output once, then second's input once when its row was made: not a third time.
    assert validations == [2, 2]
