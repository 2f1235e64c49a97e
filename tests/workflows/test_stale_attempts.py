"""An attempt that lost its step (lease expired, run ended) writes nothing more and learns it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.workflows.flows import Number, chain
from workflows.engine import StepContext, api, step, ticker
from workflows.engine.testing import drain, run_workflow
from workflows.models import RunStatus, StepExecution

pytestmark = pytest.mark.django_db


def tokens(run) -> list[str]:
    return [
        event.data["data"]["text"] for event in run.events.filter(type="step.output").order_by("id")
    ]


def lose_the_lease(ctx: StepContext[Number]) -> None:
    """What a stalled worker suffers: its lease runs out and the ticker hands the step on."""
    StepExecution.objects.filter(pk=ctx.execution_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert ticker.tick().leases_expired == 1


def test_an_attempt_whose_lease_expired_writes_no_more_tokens_and_sees_it() -> None:
    seen: list[tuple[int, bool]] = []

    @step(input=Number, output=Number, retries=1)
    def writer(ctx: StepContext[Number]) -> Number:
        ctx.emit({"text": f"a{ctx.attempt}-first"}, type="token")
        if ctx.attempt == 1:
            lose_the_lease(ctx)
            ctx.emit({"text": "a1-late"}, type="token")
            seen.append((ctx.attempt, ctx.is_canceled()))
            return Number(n=-1)
        ctx.emit({"text": "a2-second"}, type="token")
        seen.append((ctx.attempt, ctx.is_canceled()))
        return Number(n=ctx.attempt)

    run = run_workflow(chain("stale-lease", writer), {"n": 1})
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 2}
    assert seen == [(1, True), (2, False)]
    assert tokens(run) == ["a1-first", "a2-first", "a2-second"]


def test_an_attempt_of_a_canceled_run_writes_nothing_after_run_canceled() -> None:
    seen: list[bool] = []

    @step(input=Number, output=Number)
    def writer(ctx: StepContext[Number]) -> Number:
        ctx.emit({"text": "before"}, type="token")
        api.cancel_run(ctx.run_id, reason="enough")
        ctx.emit({"text": "after"}, type="token")
        seen.append(ctx.is_canceled())
        return ctx.input

    run = run_workflow(chain("stale-cancel", writer), {"n": 1})
    assert run.status == RunStatus.CANCELED and seen == [True]
    assert tokens(run) == ["before"]
    assert run.events.order_by("id").last().type == "run.canceled"


def test_is_canceled_turns_true_without_an_emit_once_the_lease_is_lost() -> None:
    seen: list[bool] = []

    @step(input=Number, output=Number, retries=1)
    def quiet(ctx: StepContext[Number]) -> Number:
        if ctx.attempt == 1:
            seen.append(ctx.is_canceled())
            lose_the_lease(ctx)
            time.sleep(0.3)  # is_canceled asks the database at most four times a second
            seen.append(ctx.is_canceled())
        return ctx.input

    run = run_workflow(chain("stale-quiet", quiet), {"n": 1})
    drain()
    assert seen == [False, True] and run.status == RunStatus.SUCCESS
