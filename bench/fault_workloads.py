"""The workflows ``bench faults`` runs, and the injected database failures it can switch on.

Imported by the benchmark and by its clusters (``HANDOFF_WORKFLOW_MODULES``).
With ``HANDOFF_FAULTS_DROP_RATE`` set, every process that imports this module
fails that share of its writes to the engine's tables with an
``OperationalError``, as a connection dropped in the middle of a transition
would; the count goes to ``HANDOFF_FAULTS_DIR/<pid>``.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

from django.db import OperationalError
from django.db.backends.signals import connection_created
from pydantic import BaseModel

from workflows.engine import Backoff, StepContext, Workflow, step


class Marked(BaseModel):
    marker: str
    n: int = 0


@step(input=Marked, output=Marked)
def prepare(ctx: StepContext[Marked]) -> Marked:
    return ctx.input


@step(input=Marked, output=Marked)
def victim(ctx: StepContext[Marked]) -> Marked:
    """The first attempt says where it runs and hangs there, for the bench to kill its worker."""
    if ctx.attempt == 1:
        marker = Path(ctx.input.marker)
        draft = marker.with_suffix(".writing")
        draft.write_text(f"{os.getpid()} {time.time()}")
        draft.rename(marker)
        time.sleep(600)
    return Marked(marker=ctx.input.marker, n=ctx.attempt)


@step(input=Marked, output=Marked)
def after(ctx: StepContext[Marked]) -> Marked:
    return ctx.input


kill = Workflow("faults-kill", input=Marked, output=Marked)
kill.then(prepare).then(victim).then(after).commit()


class Count(BaseModel):
    n: int


def _tick(ctx: StepContext[Count]) -> Count:
    time.sleep(0.25)
    ctx.emit({"text": f"{ctx.input.n} "}, type="token")
    return Count(n=ctx.input.n + 1)


chain = Workflow("faults-chain", input=Count, output=Count)
for _index in range(12):
    # Retries: an injected drop can hit a step's own emit, which the step then sees.
    chain.then(
        step(
            _tick,
            id=f"t{_index}",
            input=Count,
            output=Count,
            retries=5,
            backoff=Backoff(initial=0.2, factor=2, maximum=2),
        )
    )
chain.commit()


# --- injected connection drops ---------------------------------------------------------------

DROP_RATE = float(os.environ.get("HANDOFF_FAULTS_DROP_RATE", "0") or 0)
FAULTS_DIR = os.environ.get("HANDOFF_FAULTS_DIR", "")
_dropped = 0


def _drop_some(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    """Fail a share of the writes to the engine's tables inside transactions."""
    global _dropped
    writes = sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE")
    connection = context["connection"]
    inside = writes and "workflows_" in sql and connection.in_atomic_block
    if inside and random.random() < DROP_RATE:
        _dropped += 1
        if FAULTS_DIR:
            Path(FAULTS_DIR, str(os.getpid())).write_text(str(_dropped))
        raise OperationalError("server closed the connection unexpectedly (injected)")
    return execute(sql, params, many, context)


def _install(sender: Any, connection: Any, **_: Any) -> None:
    if _drop_some not in connection.execute_wrappers:
        connection.execute_wrappers.append(_drop_some)


if DROP_RATE > 0:
    connection_created.connect(_install, dispatch_uid="handoff-faults-drop")
