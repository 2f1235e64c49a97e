"""A worker's side of a transition: claiming a row, going on inline, and what ends a claim.

:class:`WorkerTransition` is the :class:`~workflows.engine.transition.Transition`
the entry points of workers and the ticker (``entry.py``) open: it claims a
pending row (or the next ready one, inline), drops the result of a claim whose
run ended, puts a row whose lease was lost back in the queue, parks a row
whose workflow this process does not define, and fails the run once no worker
has had that workflow for too long.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from workflows.engine import rows
from workflows.engine.bookkeeping import Attempts, book_of
from workflows.engine.builder import Workflow
from workflows.engine.kinds import LEAF_KINDS, NodeKind
from workflows.engine.leases import attempt_seconds, lease_seconds
from workflows.engine.nodes import Node
from workflows.engine.outcomes import Claim, Completed
from workflows.engine.transition import Transition, started_data
from workflows.models import EventType, ExecutionStatus, RunStatus, StepExecution

UNREGISTERED = "workflow_not_registered"  # the reason of a step.retrying while a row is parked
CLAIMED_FIELDS = ["status", "claim_token", "lease_expires_at", "attempts", "started_at"]


class WorkerTransition(Transition):
    """A transition opened by a worker or the ticker."""

    def claim(self, row: StepExecution) -> Claim | None:
        """Take a pending row for this worker; None if another worker's claim won.

        The row was read under the run lock, and the UPDATE still checks that it
        is pending, so of two workers handed the same row only one runs it.
        """
        node = self.node_of(row)
        self._take(row, node)
        if not rows.claim_pending(row, CLAIMED_FIELDS):
            return None
        self.event(EventType.STEP_STARTED, execution=row, data=started_data(row))
        self.claimed = self._claim_of(row, node)
        return self.claimed

    def claim_next_inline(self) -> None:
        """Take the first ready execution for this worker, saving a queue round trip."""
        if not self.ready or self.run.is_terminal:
            return
        row = self.ready.pop(0)
        node = self.node_of(row)
        self._take(row, node)
        if row.pk is not None:
            row.save()
        self.event(EventType.STEP_STARTED, execution=row, data=started_data(row))
        self.claimed = self._claim_of(row, node)

    def succeeded(self, row: StepExecution, outcome: Completed) -> None:
        """Go on from a row a worker already wrote as succeeded: its state patch, its
        ``step.completed``, and whatever its end starts."""
        self.apply_state(outcome.state_patch, row)
        self.complete(row, outcome.value, stored=True)

    def _take(self, row: StepExecution, node: Node | Workflow) -> None:
        row.status = ExecutionStatus.RUNNING
        row.claim_token = uuid.uuid4()
        row.lease_expires_at = self.now + timedelta(seconds=lease_seconds(node))
        row.attempts += 1  # the row was read under the run lock: no one else changed it
        row.started_at = row.started_at or self.now

    def _claim_of(self, row: StepExecution, node: Node | Workflow) -> Claim:
        assert row.claim_token is not None
        parent = self._rows.get(row.parent_id) if row.parent_id else None
        reusable = parent if parent is not None and parent.kind == NodeKind.WORKFLOW else None
        return Claim(
            execution=row,
            run=self.run,
            token=row.claim_token,
            parent=reusable,
            deadline=self.now + timedelta(seconds=attempt_seconds(node)),
        )

    def fail_without_definition(self, row: StepExecution, error: dict[str, Any]) -> None:
        """Fail the step and the run when no worker has the definition: nothing can be
        settled, so every open row is closed and the run fails with the error."""
        self.fail(row, error, settle=False)
        self.end_open_work(ExecutionStatus.CANCELED)
        self.run.executions.open().filter(kind__in=LEAF_KINDS).update(
            status=ExecutionStatus.CANCELED, finished_at=self.now
        )
        self.run.status = RunStatus.FAILED
        self.run.error = error
        self.run.finished_at = self.now
        self.event(EventType.RUN_FAILED, data={"error": error})

    def drop(self, row: StepExecution, status: str) -> None:
        """End a claimed row without recording what it produced (its run ended while it
        ran, or it was canceled): it ends ``status``, canceled or skipped."""
        row.status = status
        row.finished_at = self.now
        self.release(row)
        row.save()
        self.remember(row)

    def lease_lost(self, row: StepExecution, error: dict[str, Any], *, rerun: bool) -> None:
        """The row's worker held it past its lease: run it again, or fail it."""
        if not rerun:
            self.fail(row, error)
            return
        self.release(row)
        self.event(
            EventType.STEP_RETRYING,
            execution=row,
            data={"attempt": row.attempts, "reason": "lease_expired", "error": error},
        )
        self.make_ready(row)

    def park(self, row: StepExecution, error: dict[str, Any], wake_at: datetime) -> None:
        """Set a row aside until ``wake_at`` without running it (its workflow is not
        defined here): a ``step.retrying`` event says why, and the ticker wakes it."""
        row.error = error
        self.event(
            EventType.STEP_RETRYING,
            execution=row,
            data={"attempt": row.attempts, "reason": UNREGISTERED, "error": error},
        )
        row.status = ExecutionStatus.WAITING
        row.wake_at = wake_at
        self.release(row)
        row.save()
        self.remember(row)
        self.timers_started = True

    def forget_missing_definition(self, row: StepExecution) -> None:
        """A row that waited for its workflow's definition found it: clear why it waited."""
        book = book_of(row, Attempts)
        if "definition_missing_since" not in book:
            return
        book.pop("definition_missing_since")
        book.pop("definition_missing_retries", None)
        row.error = None
        row.save(update_fields=["bookkeeping", "error"])
