"""The workflows the engine benchmark runs (imported by the benchmark and by its cluster)."""

from __future__ import annotations

import time

from pydantic import BaseModel

from workflows.engine import StepContext, Workflow, step


class Count(BaseModel):
    n: int


class Go(BaseModel):
    go: bool = True


def _increment(ctx: StepContext[Count]) -> Count:
    return Count(n=ctx.input.n + 1)


def _nap(ctx: StepContext[Count]) -> Count:
    time.sleep(0.2)
    return ctx.input


def chain(workflow_id: str, length: int) -> Workflow:
    workflow = Workflow(workflow_id, input=Count, output=Count)
    for index in range(length):
        workflow.then(step(_increment, id=f"s{index}", input=Count, output=Count))
    return workflow.commit()


def fan(workflow_id: str, width: int) -> Workflow:
    branches = [step(_nap, id=f"b{index}", input=Count, output=Count) for index in range(width)]
    return Workflow(workflow_id, input=Count).parallel(branches).commit()


@step(input=Count, output=Count, resume=Go)
def gate(ctx: StepContext[Count]) -> Count:
    if ctx.resume_data is None:
        ctx.suspend({"n": ctx.input.n})
    return ctx.input


chain_100 = chain("bench-chain-100", 100)
chain_1000 = chain("bench-chain-1000", 1000)
chain_5 = chain("bench-chain-5", 5)
fan_3 = fan("bench-fan-3", 3)
fan_20 = fan("bench-fan-20", 20)
gated = Workflow("bench-gate", input=Count, output=Count).then(gate).commit()
