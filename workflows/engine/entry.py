"""Entry points of workers and the ticker: claim, commit, fire a timer, expire a lease.

Each opens one transaction, locks the run and reads the row
(:func:`locked_execution`), then makes its change through a
:class:`~workflows.engine.transition.Transition`. A worker's successful step
is first tried as one statement that takes the lock itself
(:mod:`workflows.engine.optimistic`). A run whose workflow this
process does not define (a rolling deploy) waits here instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from workflows.engine import conf, optimistic, registry, rows
from workflows.engine.bookkeeping import Attempts, book_of
from workflows.engine.claims import WorkerTransition
from workflows.engine.constructs import construct_for
from workflows.engine.errors import WorkflowError
from workflows.engine.kinds import FUNCTION_KINDS, SLEEP_KINDS
from workflows.engine.leases import (
    SYSTEM_LEASE_SECONDS,
    heartbeat_lease,
)
from workflows.engine.nodes import StepNode
from workflows.engine.outcomes import (
    Bailed,
    CanceledOutcome,
    Claim,
    Completed,
    Failed,
    Outcome,
    StaleClaim,
    Suspended,
    error_from,
)
from workflows.engine.transition import SUCCEEDED_FIELDS, lock_run, mark_succeeded
from workflows.models import (
    ExecutionStatus,
    RunStatus,
    StepExecution,
    WorkflowRun,
)

logger = logging.getLogger(__name__)

EXTRA_RERUNS_AFTER_LEASE_LOSS = 2


@contextmanager
def locked_execution(execution_id: int) -> Iterator[tuple[WorkflowRun, StepExecution] | None]:
    """One transaction: lock the run an execution belongs to, then read the row (None if gone).

    The run is locked before the row is read, so the row cannot change between
    the read and the transition that acts on it.
    """
    with transaction.atomic():
        run = rows.lock_run_of(execution_id)
        row = rows.load_execution(execution_id) if run is not None else None
        yield (run, row) if run is not None and row is not None else None


def claim(execution_id: int) -> Claim | None:
    """Take a pending execution for this worker, or None if someone else has it or it is done."""
    with locked_execution(execution_id) as locked:
        if locked is None:
            return None
        run, row = locked
        if run.is_terminal or row.status != ExecutionStatus.PENDING:
            return None
        if not registry.is_registered(run.workflow_id):
            wait_for_definition(run, row)
            return None
        transition = WorkerTransition(run)
        transition.forget_missing_definition(row)
        try:
            claimed = transition.claim(row)
        except WorkflowError as exc:  # the deployed definition has no node at this path
            transition.remember(row)
            transition.fail(row, error_from(exc))
            transition.close()
            return None
        if claimed is not None:
            transition.close()
        return claimed


def commit(claimed: Claim, outcome: Outcome, *, continue_inline: bool) -> Claim | None:
    """Record what a worker's execution produced; returns the next execution to run inline.

    A successful step is first tried as one statement (:mod:`workflows.engine.optimistic`);
    when that cannot apply, it is recorded under the run lock, as every other outcome is.
    """
    if isinstance(outcome, Completed):
        taken, following = optimistic.commit(claimed, outcome, continue_inline=continue_inline)
        if taken:
            return following
    try:
        with transaction.atomic():
            return _commit(claimed, outcome, continue_inline=continue_inline)
    except StaleClaim:
        row = claimed.execution
        logger.info("discarding a stale result for execution %s (%s)", row.pk, row.path_key)
        return None


def _commit(claimed: Claim, outcome: Outcome, *, continue_inline: bool) -> Claim | None:
    row = claimed.execution
    now = timezone.now()
    succeeded = outcome if isinstance(outcome, Completed) and row.kind in FUNCTION_KINDS else None
    if succeeded is not None:
        run, stored = _lock_and_succeed(claimed, succeeded.value, now)
        if not stored and not run.is_terminal:
            raise StaleClaim()
    else:
        run, stored = lock_run(claimed.run.pk), False
    transition = WorkerTransition(run, now=now if stored else None)  # the row's finished_at
    transition.remember(row)
    if claimed.parent is not None:
        transition.remember(claimed.parent)
    if succeeded is not None and stored:
        transition.succeeded(row, succeeded)
    else:
        owned = StepExecution.objects.filter(
            pk=row.pk, status=ExecutionStatus.RUNNING, claim_token=claimed.token
        ).exists()
        if not owned:
            raise StaleClaim()
        if run.is_terminal or isinstance(outcome, CanceledOutcome):
            canceled = run.status == RunStatus.CANCELED
            transition.drop(row, ExecutionStatus.CANCELED if canceled else ExecutionStatus.SKIPPED)
            return None
        _apply(transition, row, outcome)
    if continue_inline:
        transition.claim_next_inline()
    return transition.close()


def _lock_and_succeed(claimed: Claim, output: Any, now: datetime) -> tuple[WorkflowRun, bool]:
    """Lock the run and record the row's success in one go, unless the run has ended or the
    claim was lost: the run, and whether the row was written. A row that was not written
    is left as it was."""
    row = claimed.execution
    before = {name: getattr(row, name) for name in SUCCEEDED_FIELDS}
    mark_succeeded(row, output, now)
    run, stored = rows.lock_run_and_finish(claimed.run.pk, row, claimed.token, SUCCEEDED_FIELDS)
    if not stored:
        for name, value in before.items():
            setattr(row, name, value)
    return run, stored


def _apply(
    transition: WorkerTransition,
    row: StepExecution,
    outcome: Completed | Suspended | Bailed | Failed,
) -> None:
    if isinstance(outcome, Failed):
        transition.attempt_failed(row, outcome.error, retryable=outcome.retryable)
        return
    transition.apply_state(outcome.state_patch, row)
    if isinstance(outcome, Suspended):
        transition.suspend(row, outcome.payload, outcome.label)
    elif isinstance(outcome, Bailed):
        transition.bail(row, outcome.result)
    else:
        construct_for(row.kind).evaluated(transition, row, outcome.value)


def fire_timer(execution_id: int) -> bool:
    """A sleep or a retry's backoff is due: continue past it. False if it was not due."""
    with locked_execution(execution_id) as locked:
        if locked is None:
            return False
        run, row = locked
        now = timezone.now()
        if run.is_terminal or row.status != ExecutionStatus.WAITING or (row.wake_at or now) > now:
            return False
        if row.kind in SLEEP_KINDS and not registry.is_registered(run.workflow_id):
            wait_for_definition(run, row)
            return True
        transition = WorkerTransition(run)
        transition.remember(row)
        construct_for(row.kind).fired(transition, row)
        transition.close()
        return True


def expire_lease(execution_id: int) -> bool:
    """A worker held an execution past its lease: it died or overran. Run it again, or fail it."""
    with locked_execution(execution_id) as locked:
        if locked is None:
            return False
        run, row = locked
        now = timezone.now()
        if row.status != ExecutionStatus.RUNNING or (row.lease_expires_at or now) > now:
            return False
        transition = WorkerTransition(run)
        transition.remember(row)
        if run.is_terminal:
            transition.drop(row, ExecutionStatus.CANCELED)
            return True
        if not registry.is_registered(run.workflow_id):
            wait_for_definition(run, row)
            return True
        node = transition.node_of(row)
        retries = node.step.retries if isinstance(node, StepNode) else 0
        losses = book_of(row, Attempts).get("lease_losses", 0) + 1
        book: Attempts = {**book_of(row, Attempts), "lease_losses": losses}
        row.bookkeeping = book
        timeout = node.step.timeout if isinstance(node, StepNode) else SYSTEM_LEASE_SECONDS
        error = {"type": "LeaseExpired", "message": _lease_lost(row, timeout)}
        transition.lease_lost(row, error, rerun=losses <= retries + EXTRA_RERUNS_AFTER_LEASE_LOSS)
        transition.close()
        return True


def _lease_lost(row: StepExecution, timeout: float) -> str:
    short = heartbeat_lease()
    if short > 0:
        return (
            f"attempt {row.attempts} of {row.path_key!r} stopped renewing its {short:g}s lease "
            f"(its worker stopped) or ran past its {timeout:g}s timeout"
        )
    return (
        f"attempt {row.attempts} of {row.path_key!r} did not finish within "
        f"{timeout:g}s: its worker stopped or the step ran past its timeout"
    )


# --- a run whose workflow this process does not define (a rolling deploy) --------------------

UNREGISTERED_RETRY_CAP = 60.0


def missing_definition_seconds() -> float:
    return conf.MISSING_WORKFLOW_SECONDS.get()


def wait_for_definition(run: WorkflowRun, row: StepExecution) -> None:
    """Park a row whose workflow is not registered here; fail the run once that lasted too long.

    During a rolling deploy an old worker may claim a step of a workflow only the
    new version defines (or the reverse). The row waits as a timer, retried with
    backoff (2 s, 4 s, ... at most a minute), so a worker that has the workflow
    picks it up. Each wait is a ``step.retrying`` event (reason
    ``workflow_not_registered``) and the row's error says why, on the run page
    and in the admin. After ``HANDOFF_MISSING_WORKFLOW_SECONDS`` the run fails
    with a message that says what to do. Runs in the caller's transaction,
    under the run lock, and never needs the definition itself.
    """
    transition = WorkerTransition(run)
    transition.remember(row)
    book: Attempts = {**book_of(row, Attempts)}
    since = book.setdefault("definition_missing_since", transition.now.isoformat())
    waited = (transition.now - datetime.fromisoformat(since)).total_seconds()
    limit = missing_definition_seconds()
    modules = ", ".join(conf.WORKFLOW_MODULES.get()) or "none"
    if waited >= limit:
        message = (
            f"workflow {run.workflow_id!r} was not registered on the workers that took "
            f"{row.path_key or 'the run'!r} for {limit:g}s (HANDOFF_MISSING_WORKFLOW_SECONDS); "
            "deploy workers whose HANDOFF_WORKFLOW_MODULES define it, then retry the step"
        )
        row.bookkeeping = book
        transition.fail_without_definition(row, {"type": "WorkflowNotFound", "message": message})
        transition.close()
        return
    book["definition_missing_retries"] = retries = book.get("definition_missing_retries", 0) + 1
    delay = min(UNREGISTERED_RETRY_CAP, 2.0**retries)
    message = (
        f"workflow {run.workflow_id!r} is not registered on a worker that took this step "
        f"(its HANDOFF_WORKFLOW_MODULES: {modules}); trying again in {delay:g}s, and the run "
        f"fails if no worker has it within {limit:g}s of the first try"
    )
    row.bookkeeping = book
    error = {"type": "WorkflowNotFound", "message": message}
    transition.park(row, error, transition.now + timedelta(seconds=delay))
    transition.close()
