"""The workflow the stream benchmark runs (imported by the benchmark, daphne and the cluster).

It waits for a person first, so websocket clients can connect before anything
happens, then runs steps spaced out enough that every event is measured on its own.
"""

from __future__ import annotations

import time

from pydantic import BaseModel

from workflows.engine import StepContext, Workflow, step

STEPS = 10
STEP_SECONDS = 0.05


class Count(BaseModel):
    n: int


class Go(BaseModel):
    go: bool = True


@step(input=Count, output=Count, resume=Go)
def gate(ctx: StepContext[Count]) -> Count:
    if ctx.resume_data is None:
        ctx.suspend({"n": ctx.input.n})
    return ctx.input


def _tick(ctx: StepContext[Count]) -> Count:
    time.sleep(STEP_SECONDS)
    return Count(n=ctx.input.n + 1)


gated = Workflow("bench-stream-gated", input=Count, output=Count).then(gate)
for _index in range(STEPS):
    gated.then(step(_tick, id=f"tick{_index}", input=Count, output=Count))
gated.commit()
