"""Small typed steps shared by the engine's behaviour tests."""

from __future__ import annotations

import itertools

from pydantic import BaseModel

from workflows.engine import Backoff, StepContext, Workflow, step

_ids = itertools.count()


def unique(name: str) -> str:
    """Workflow ids are global; each test builds its own under a fresh id."""
    return f"{name}-{next(_ids)}"


class Number(BaseModel):
    n: int


class Text(BaseModel):
    text: str


class Decision(BaseModel):
    approved: bool
    note: str = ""


class Question(BaseModel):
    question: str
    n: int


class Draft(BaseModel):
    text: str
    round: int = 0
    approved: bool = False


calls: dict[str, int] = {}


def counted(name: str) -> None:
    calls[name] = calls.get(name, 0) + 1


@step(input=Number, output=Number)
def add_one(ctx: StepContext[Number]) -> Number:
    counted("add-one")
    return Number(n=ctx.input.n + 1)


@step(input=Number, output=Number)
def double(ctx: StepContext[Number]) -> Number:
    counted("double")
    return Number(n=ctx.input.n * 2)


@step(input=Number, output=Number, suspend=Question, resume=Decision)
def approve(ctx: StepContext[Number]) -> Number:
    """Waits for a person; approved keeps n, rejected zeroes it."""
    counted("approve")
    if ctx.resume_data is None:
        ctx.suspend(Question(question=f"approve {ctx.input.n}?", n=ctx.input.n))
    return Number(n=ctx.input.n if ctx.resume_data.approved else 0)


@step(input=Number, output=Number)
def explode(ctx: StepContext[Number]) -> Number:
    counted("explode")
    raise RuntimeError(f"boom at {ctx.input.n}")


flaky_failures: dict[str, int] = {}


@step(input=Number, output=Number, retries=2, backoff=Backoff(initial=0.01, factor=2, maximum=0.05))
def flaky(ctx: StepContext[Number]) -> Number:
    """Fails until it has been tried ``n`` times."""
    counted("flaky")
    if ctx.attempt < ctx.input.n:
        raise ConnectionError(f"attempt {ctx.attempt} failed")
    return Number(n=ctx.attempt)


def chain(name: str, *steps_: object) -> Workflow:
    workflow = Workflow(unique(name), input=Number, output=Number)
    for item in steps_:
        workflow.then(item)  # type: ignore[arg-type]
    return workflow.commit()
