"""Changes people and programs ask for through the run API: resume, cancel, retry, fork.

:class:`RequestedTransition` is the :class:`~workflows.engine.transition.Transition`
``api.py`` and ``forking.py`` open once they have found and checked what was
asked: it answers a question, ends a run, reopens a failed step and the
constructs its failure closed, or copies a finished run's rows into a fork.
"""

from __future__ import annotations

from typing import Any

from workflows.engine.bookkeeping import Attempts, book_of
from workflows.engine.constructs import construct_for
from workflows.engine.kinds import NodeKind
from workflows.engine.transition import Transition
from workflows.models import (
    EventType,
    ExecutionStatus,
    RunStatus,
    StepExecution,
    Suspension,
    SuspensionStatus,
)


class RequestedTransition(Transition):
    """A transition a person or a program asked for."""

    def resume(self, row: StepExecution, suspension: Suspension, data: Any) -> None:
        """Answer ``suspension``: its step runs again with its original input and ``data``."""
        suspension.status = SuspensionStatus.RESUMED
        suspension.resumed_at = self.now
        suspension.resumed_by = self.actor
        suspension.resume_data = data
        suspension.save()
        row.resume_data = data
        row.resumed_at = self.now
        row.resumed_by = self.actor
        book: Attempts = {**book_of(row, Attempts), "failures": 0}
        row.bookkeeping = book
        self.remember(row)
        self.event(
            EventType.STEP_RESUMED,
            execution=row,
            data={
                "resume_data": data,
                "suspension_id": str(suspension.id),
                "iteration": row.iteration,
                "item_index": row.item_index,
            },
        )
        self.make_ready(row)

    def cancel(self, reason: str) -> None:
        """End the run now: open rows and questions close, a running step's result is dropped."""
        self.end_open_work(ExecutionStatus.CANCELED)
        self.run.status = RunStatus.CANCELED
        self.run.finished_at = self.now
        self.event(EventType.RUN_CANCELED, data={"reason": reason})

    def retry(self, row: StepExecution) -> None:
        """Run a failed step again, reopening the constructs (and the run) its failure closed."""
        self._reopen_ancestors(row)
        row.error = None
        row.finished_at = None
        book: Attempts = {**book_of(row, Attempts), "failures": 0, "lease_losses": 0}
        row.bookkeeping = book
        self.remember(row)
        if self.run.status == RunStatus.FAILED:
            self.run.status = RunStatus.RUNNING
            self.run.error = None
            self.run.finished_at = None
            self.event(EventType.RUN_RETRIED, data={"path": row.path})
        self.event(
            EventType.STEP_RETRYING,
            execution=row,
            data={"reason": "manual", "attempt": row.attempts},
        )
        self.make_ready(row)

    def _reopen_ancestors(self, row: StepExecution) -> None:
        parent_id = row.parent_id
        while parent_id is not None:
            parent = self.row(parent_id)
            if parent.status != ExecutionStatus.FAILED:
                break
            parent.status = ExecutionStatus.RUNNING
            parent.error = None
            parent.finished_at = None
            construct_for(parent.kind).reopen(self, parent, row)
            parent.save()
            row, parent_id = parent, parent.parent_id

    def copy_finished(
        self,
        old: StepExecution,
        parent: StepExecution,
        children: dict[int | None, list[StepExecution]],
    ) -> None:
        """Copy a row that succeeded in another run, with its successful descendants (a fork)."""
        new = self.copy_row(old, parent=parent, status=ExecutionStatus.SUCCESS)
        if new.kind == NodeKind.STEP:
            self.run.steps_completed += 1
        for child in children[old.pk]:
            if child.status == ExecutionStatus.SUCCESS:
                self.copy_finished(child, new, children)

    def copy_row(
        self, old: StepExecution, *, parent: StepExecution | None, status: str
    ) -> StepExecution:
        """A row of another run in this one: done with its output, or running (on the fork path)."""
        done = status == ExecutionStatus.SUCCESS
        new = StepExecution.objects.create(
            run=self.run,
            parent=parent,
            kind=old.kind,
            step_id=old.step_id,
            path_key=old.path_key,
            iteration=old.iteration,
            item_index=old.item_index,
            status=status,
            input=old.input,
            output=old.output if done else None,
            bookkeeping=old.bookkeeping,
            attempts=old.attempts if done else 0,
            started_at=old.started_at if done else self.now,
            finished_at=old.finished_at if done else None,
            resume_data=old.resume_data if done else None,
        )
        self.remember(new)
        data = {"kind": new.kind, "iteration": new.iteration, "item_index": new.item_index}
        if done:
            self.event(
                EventType.STEP_COMPLETED,
                execution=new,
                data={**data, "output": new.output, "copied_from": old.pk},
            )
        else:
            self.event(EventType.STEP_STARTED, execution=new, data={**data, "input": new.input})
        return new

    def answer_ahead(self, row: StepExecution, data: Any) -> None:
        """A fork's first step starts as if a person had just answered it with ``data``."""
        if row.status == ExecutionStatus.PENDING:
            row.resume_data = data  # a new row: it is inserted when the transition closes
