"""Workflows the real-cluster tests run; imported by the test and by the cluster subprocess."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from tests.workflows.flows import Number, add_one, approve, double
from workflows import presentation
from workflows.engine import Backoff, StepContext, Workflow, step


class Nap(BaseModel):
    seconds: float


class Stamp(BaseModel):
    pid: int
    started: float
    ended: float


def _nap(ctx: StepContext[Nap]) -> Stamp:
    started = time.time()
    time.sleep(ctx.input.seconds)
    return Stamp(pid=os.getpid(), started=started, ended=time.time())


branch_a = step(_nap, id="branch_a", input=Nap, output=Stamp)
branch_b = step(_nap, id="branch_b", input=Nap, output=Stamp)
branch_c = step(_nap, id="branch_c", input=Nap, output=Stamp)

parallel_naps = (
    Workflow("cluster-parallel", input=Nap).parallel([branch_a, branch_b, branch_c]).commit()
)


class Marker(BaseModel):
    path: str


@step(input=Marker, output=Marker, timeout=2)
def fragile(ctx: StepContext[Marker]) -> Marker:
    """The first attempt announces its pid and hangs, so the test can kill its worker.

    The pid is written beside the marker and renamed onto it, so the test never
    sees the marker before the pid is in it.
    """
    marker = Path(ctx.input.path)
    if ctx.attempt == 1:
        draft = marker.with_suffix(".writing")
        draft.write_text(str(os.getpid()))
        draft.rename(marker)
        time.sleep(60)
    return ctx.input


@step(input=Marker, output=Marker)
def after_fragile(ctx: StepContext[Marker]) -> Marker:
    return ctx.input


crash = Workflow("cluster-crash", input=Marker).then(fragile).then(after_fragile).commit()

review = (
    Workflow("cluster-review", input=Number, output=Number)
    .then(add_one)
    .then(approve)
    .then(double)
    .commit()
)


class Triage(BaseModel):
    """More than five choices, so the review form draws a select (review/schema_forms.py)."""

    team: Literal["billing", "content", "legal", "platform", "sales", "support"] = "support"
    note: str = ""


@step(input=Number, output=Number, suspend=Number, resume=Triage)
def triage(ctx: StepContext[Number]) -> Number:
    if ctx.resume_data is None:
        ctx.suspend(ctx.input)
    return ctx.input


triaged = Workflow("cluster-triage", input=Number, output=Number).then(triage).commit()


class Tick(BaseModel):
    n: int = 0


def _tick(ctx: StepContext[Tick]) -> Tick:
    time.sleep(0.25)
    return Tick(n=ctx.input.n + 1)


live_chain = Workflow("cluster-live-chain", input=Tick, output=Tick)
for _index in range(8):
    live_chain.then(step(_tick, id=f"tick{_index}", input=Tick, output=Tick))
live_chain.commit()


class Size(BaseModel):
    megabytes: float


class Blob(BaseModel):
    text: str


class Note(BaseModel):
    note: str


@step(input=Size, output=Blob)
def big_output(ctx: StepContext[Size]) -> Blob:
    """Megabytes of text, with non-ASCII and markup, as a model's long answer could be."""
    unit = "Ünïcödé <b>&amp;</b> 🦊 "
    return Blob(text=unit * int(ctx.input.megabytes * 1_000_000 / len(unit.encode())))


@step(input=Blob, output=Blob, suspend=Blob, resume=Note)
def read_it(ctx: StepContext[Blob]) -> Blob:
    if ctx.resume_data is None:
        ctx.suspend(Blob(text=ctx.input.text[:100]))
    return Blob(text=ctx.resume_data.note)


big_run = Workflow("cluster-big", input=Size, output=Blob).then(big_output).then(read_it).commit()


@step(input=Number, output=Number)
def before_nap(ctx: StepContext[Number]) -> Number:
    return ctx.input


sleepy = (
    Workflow("cluster-sleep", input=Number, output=Number)
    .then(before_nap)
    .sleep(1.0, id="nap")
    .then(add_one)
    .commit()
)


@step(input=Number, output=Number, retries=3, backoff=Backoff(initial=0.3, factor=2, maximum=1))
def flaky_twice(ctx: StepContext[Number]) -> Number:
    if ctx.attempt < ctx.input.n:
        raise ConnectionError(f"attempt {ctx.attempt} failed")
    return Number(n=ctx.attempt)


flaky = Workflow("cluster-flaky", input=Number, output=Number).then(flaky_twice).commit()


# A review item due two seconds after it is asked, escalated to the Admins.
due_review = Workflow("cluster-due", input=Number, output=Number).then(approve).commit()
presentation.register(
    "cluster-due",
    presentation.Presentation(
        assign={
            "approve": presentation.Assignment(
                group="Reviewers", due=timedelta(seconds=2), escalate_to="Admins"
            )
        }
    ),
)
