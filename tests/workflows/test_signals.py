"""suspend, bail and cancel cannot be swallowed by a step's own ``except Exception``."""

from __future__ import annotations

import pytest

from tests.workflows.flows import Decision, Number, Question, chain
from workflows.engine import StepContext, api, step
from workflows.engine.context import Bail, Canceled, StepSignal, Suspend
from workflows.engine.testing import resume_and_drain, run_workflow
from workflows.models import RunStatus

pytestmark = pytest.mark.django_db

swallowed: list[str] = []


@step(input=Number, output=Number, suspend=Question, resume=Decision)
def careless_review(ctx: StepContext[Number]) -> Number:
    try:
        if ctx.resume_data is None:
            ctx.suspend(Question(question="ok?", n=ctx.input.n))
        return Number(n=ctx.input.n if ctx.resume_data.approved else 0)
    except Exception:
        swallowed.append("suspend")
        return Number(n=-1)


@step(input=Number, output=Number)
def careless_bail(ctx: StepContext[Number]) -> Number:
    try:
        ctx.bail({"early": True})
    except Exception:
        swallowed.append("bail")
    return Number(n=-1)


@step(input=Number, output=Number)
def careless_cancel(ctx: StepContext[Number]) -> Number:
    api.cancel_run(ctx.run_id)
    try:
        ctx.raise_if_canceled()
    except Exception:
        swallowed.append("cancel")
    return Number(n=-1)


@pytest.fixture(autouse=True)
def nothing_swallowed():
    swallowed.clear()
    yield
    assert swallowed == []


def test_the_signals_are_base_exceptions_like_cancelled_error() -> None:
    for signal in (StepSignal, Suspend, Bail, Canceled):
        assert issubclass(signal, BaseException) and not issubclass(signal, Exception)


def test_a_suspend_inside_except_exception_still_suspends() -> None:
    run = run_workflow(chain("swallow-suspend", careless_review), {"n": 3})
    assert run.status == RunStatus.SUSPENDED
    run = resume_and_drain(run, {"approved": True})
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 3}


def test_a_bail_inside_except_exception_still_ends_the_run() -> None:
    run = run_workflow(chain("swallow-bail", careless_bail), {"n": 3})
    assert run.status == RunStatus.SUCCESS and run.bailed and run.result == {"early": True}


def test_a_cancel_inside_except_exception_still_stops_the_step() -> None:
    run = run_workflow(chain("swallow-cancel", careless_cancel), {"n": 3})
    assert run.status == RunStatus.CANCELED
    assert run.executions.get(path_key="careless_cancel").status == "canceled"
