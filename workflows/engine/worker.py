"""Worker side: claim an execution, run its user code outside any transaction, commit.

After a commit the same worker goes straight on to the next ready execution
(``claim_next_inline``) for up to ``HANDOFF_INLINE_BUDGET_SECONDS``, so a
sequential chain costs no queue round trips; fan-out still goes through the
queue so other workers pick up the branches.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from workflows.engine import conf, limits, registry, schemas
from workflows.engine.bookkeeping import LoopBook, book_of
from workflows.engine.builder import Workflow
from workflows.engine.context import Bail, Canceled, Check, RunView, StepContext, Suspend
from workflows.engine.entry import claim, commit
from workflows.engine.errors import InvalidData, SchemaMismatch, WorkflowError
from workflows.engine.kinds import NodeKind
from workflows.engine.leases import heartbeat_lease, renew_lease
from workflows.engine.nodes import BranchNode, LoopNode, MapNode, Node, SleepNode, Step, StepNode
from workflows.engine.outcomes import (
    Bailed,
    CanceledOutcome,
    Claim,
    Completed,
    Failed,
    Outcome,
    Suspended,
    error_from,
)
from workflows.engine.transition import Transition, lock_run
from workflows.models import (
    EventType,
    ExecutionStatus,
    RunStatus,
    StepExecution,
    Suspension,
    WorkflowRun,
)

logger = logging.getLogger(__name__)
LABEL_MAX = Suspension._meta.get_field("label").max_length or 120
EMIT_TYPE_MAX = 100


def run_execution(execution_id: int) -> int:
    """Run one execution and whatever follows it inline; returns how many were run."""
    budget = conf.INLINE_BUDGET_SECONDS.get()
    deadline = time.monotonic() + budget
    claimed = claim(execution_id)
    count = 0
    while claimed is not None:
        with heartbeat(claimed):
            outcome = evaluate(claimed)
        count += 1
        claimed = commit(claimed, outcome, continue_inline=time.monotonic() < deadline)
    return count


@contextmanager
def heartbeat(claimed: Claim) -> Iterator[None]:
    """While user code runs, renew the claim every quarter of ``HANDOFF_LEASE_SECONDS``.

    A thread, so a step that blocks (a slow model call) still renews; it stops
    with the step, or once the claim is lost. Off when no short lease is set.
    """
    lease = heartbeat_lease()
    if lease <= 0:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(lease / 4):
                if not renew_lease(claimed):
                    return
        except Exception:
            logger.warning("could not renew the lease of %s", claimed.execution.pk, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=beat, name="handoff-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def evaluate(claimed: Claim) -> Outcome:
    row, run = claimed.execution, claimed.run
    try:
        workflow = registry.get(run.workflow_id)
        node = workflow.resolve(row.path)
    except WorkflowError as exc:
        return Failed(error_from(exc), retryable=False)
    if isinstance(node, StepNode):
        return _run_step(node, row, run, workflow, claimed.token)
    try:
        return Completed(_evaluate_system(node, row, run, workflow))
    except Exception as exc:
        return Failed(error_from(exc), retryable=False)


def _run_view(run: WorkflowRun) -> RunView:
    return RunView(
        run_id=str(run.pk), workflow_id=run.workflow_id, input=run.input, state=dict(run.state)
    )


def _run_step(
    node: StepNode, row: StepExecution, run: WorkflowRun, workflow: Workflow, token: uuid.UUID
) -> Outcome:
    step = node.step
    try:
        typed_input = schemas.validated(
            row, step.input, row.input, what=f"input of {row.path_key!r}"
        )
        resume = (
            schemas.validate(step.resume, row.resume_data, what=f"resume data of {row.path_key!r}")
            if row.resume_data is not None
            else None
        )
    except SchemaMismatch as exc:
        return Failed(error_from(exc), retryable=False)
    ctx: StepContext[Any] = StepContext(
        input=typed_input,
        resume_data=resume,
        run=_run_view(run),
        execution_id=row.pk,
        path=row.path,
        attempt=row.attempts,
        iteration=row.iteration,
        item_index=row.item_index,
        _read_output=lambda step_id: read_output(run, workflow, row, step_id),
        _emit=lambda kind, data: record_output(run.pk, row, kind, data, token=token),
        _is_canceled=lambda: not still_claimed(row.pk, token),
    )
    try:
        result = step.fn(ctx)
    except Suspend as signal:
        return _suspended(step, row, signal, ctx.state_patch)
    except Bail as signal:
        result = schemas.to_json(signal.result)
        bailed = Bailed(result, ctx.state_patch)
        return _stored(bailed, row, {"bail result": result, "state": ctx.state_patch})
    except Canceled:
        return CanceledOutcome()
    except Exception as exc:
        # An exception may say that trying again cannot help (a refused URL, a 4xx).
        return Failed(error_from(exc), retryable=bool(getattr(exc, "retryable", True)))
    try:
        output = schemas.dump(
            step.output, schemas.validate(step.output, result, what=f"output of {row.path_key!r}")
        )
    except SchemaMismatch as exc:
        return Failed(error_from(exc), retryable=True)
    completed = Completed(output, ctx.state_patch)
    return _stored(completed, row, {"output": output, "state": ctx.state_patch}, retryable=True)


def _suspended(
    step: Step, row: StepExecution, signal: Suspend, state_patch: dict[str, Any]
) -> Outcome:
    try:
        payload = schemas.dump(
            step.suspend,
            schemas.validate(
                step.suspend, signal.payload, what=f"suspend payload of {row.path_key!r}"
            ),
        )
    except SchemaMismatch as exc:
        return Failed(error_from(exc), retryable=False)
    label = signal.label
    if not isinstance(label, str) or len(label) > LABEL_MAX or limits.text_problem(label):
        message = f"must be text of at most {LABEL_MAX} characters that can be stored"
        refused = InvalidData(
            f"the suspend label of {row.path_key!r}", [{"field": "label", "message": message}]
        )
        return Failed(error_from(refused), retryable=False)
    suspended = Suspended(payload, label, state_patch)
    return _stored(suspended, row, {"suspend payload": payload, "state": state_patch})


def _stored(
    outcome: Outcome, row: StepExecution, values: dict[str, Any], *, retryable: bool = False
) -> Outcome:
    """The outcome, or a failure naming the field when one of its ``values`` cannot be stored.

    The step's own result is refused here, before the commit, because PostgreSQL
    would refuse it with a raw error inside the transition (and SQLite would keep
    it, breaking every page that shows the run).
    """
    for name, value in values.items():
        try:
            limits.check(value, what=f"the {name} of {row.path_key!r}", error=InvalidData)
        except InvalidData as exc:
            return Failed(error_from(exc), retryable=retryable)
    return outcome


def _evaluate_system(node: Node, row: StepExecution, run: WorkflowRun, workflow: Workflow) -> Any:
    check = Check(
        input=_typed_input_for(node, row, workflow),
        iteration=book_of(row, LoopBook).get("iteration", row.iteration),
        state=dict(run.state),
        run_input=run.input,
        _read_output=lambda step_id: read_output(run, workflow, row, step_id),
    )
    if isinstance(node, MapNode):
        value = node.fn(check)
        output = schemas.dump(
            node.output, schemas.validate(node.output, value, what=f"output of {row.path_key!r}")
        )
        limits.check(output, what=f"the output of {row.path_key!r}", error=InvalidData)
        return output
    if isinstance(node, BranchNode):
        return [case.id for condition, case in node.cases if condition(check)]
    if isinstance(node, LoopNode):
        return bool(node.condition(check))
    if isinstance(node, SleepNode) and node.fn is not None:
        return _wake_time(
            node.fn(check), until=node.kind == NodeKind.SLEEP_UNTIL, path=row.path_key
        )
    raise AssertionError(f"nothing to evaluate for {node.kind} {row.path_key!r}")


def _typed_input_for(node: Node, row: StepExecution, workflow: Workflow) -> Any:
    """Loop conditions see the body's output typed by its schema; others get JSON as stored."""
    if isinstance(node, LoopNode):
        latest = book_of(row, LoopBook).get("last_output")
        return schemas.validate(node.body.output_schema, latest, what=f"output of {node.body.id!r}")
    return row.input


def _wake_time(value: Any, *, until: bool, path: str) -> datetime:
    if until:
        if not isinstance(value, datetime):
            raise TypeError(f"the sleep_until function of {path!r} must return a datetime")
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if not isinstance(value, int | float) or value < 0:
        raise TypeError(f"the sleep function of {path!r} must return seconds (>= 0)")
    return timezone.now() + timedelta(seconds=float(value))


def read_output(run: WorkflowRun, workflow: Workflow, row: StepExecution, step_id: str) -> Any:
    """The latest successful output of an earlier step, typed by that step's output schema."""
    candidates = [step_id] if "." in step_id else [".".join([*row.path[:-1], step_id]), step_id]
    for key in candidates:
        found = (
            StepExecution.objects.filter(run=run, path_key=key, status=ExecutionStatus.SUCCESS)
            .order_by("-id")
            .values_list("output", flat=True)
            .first()
        )
        if found is not None:
            node = workflow.resolve(key.split("."))
            schema = node.output_schema if isinstance(node, Node) else None
            return schemas.validate(schema, found, what=f"output of {key!r}")
    raise LookupError(f"step {step_id!r} has no output in run {run.pk} yet")


def still_claimed(execution_id: int, token: uuid.UUID) -> bool:
    """Whether this attempt still owns its execution: not expired, retried, or ended with the run.

    An attempt that lost its lease keeps running until it notices; from then on
    it is stale, and ``ctx.is_canceled()`` tells it so.
    """
    return (
        StepExecution.objects.filter(
            pk=execution_id, status=ExecutionStatus.RUNNING, claim_token=token
        )
        .exclude(run__status__in=RunStatus.terminal())
        .exists()
    )


def record_output(
    run_id: Any, row: StepExecution, kind: str, data: Any, *, token: uuid.UUID | None = None
) -> bool:
    """``ctx.emit``: one event, written under the run lock like every other.

    Refused before anything is written when the data cannot be stored or is over
    ``HANDOFF_MAX_EMIT_BYTES``: the step sees the refusal where it emitted.
    Dropped (returns False) when the attempt is stale: it lost its lease, or the
    run ended. Checked under the lock, so a stale attempt's tokens never land
    after the retry's, or after ``run.completed`` / ``run.canceled``.
    """
    what = f"data emitted by {row.path_key!r}"
    if not isinstance(kind, str) or not 0 < len(kind) <= EMIT_TYPE_MAX or limits.text_problem(kind):
        raise InvalidData(
            what, [{"field": "type", "message": f"must be text of 1 to {EMIT_TYPE_MAX} characters"}]
        )
    limits.check(data, what=what, error=InvalidData, limit_name="HANDOFF_MAX_EMIT_BYTES")
    with transaction.atomic():
        run = lock_run(run_id)
        if token is not None and not still_claimed(row.pk, token):
            return False
        transition = Transition(run)
        transition.event(
            EventType.STEP_OUTPUT,
            execution=row,
            data={
                "type": kind,
                "data": data,
                "iteration": row.iteration,
                "item_index": row.item_index,
            },
        )
        transition.close(status_may_change=False)
        return True
