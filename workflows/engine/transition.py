"""The transition: one locked change to a run, accumulated and then written in ``close``.

Every change to a run happens inside one transaction that holds the run row's
lock, so parallel branches finishing together cannot both advance a join, and
the events of one run are committed in id order. No user code runs here: step
functions, conditions and map functions run in the worker before the commit.

A run is a tree of :class:`StepExecution` rows. The root row is the workflow
itself; a construct row (nested workflow, parallel, branch, loop, foreach)
settles when its children do. The transition keeps the rows, the events and
the run; what a row of each kind does when it starts, when a child settles and
when its code was evaluated is the business of its class in
:mod:`workflows.engine.constructs`.

Two subclasses add what only one kind of caller does: a worker's claims and
what ends them (:class:`workflows.engine.claims.WorkerTransition`, opened by
``entry.py``), and the resumes, cancels, retries and fork copies people ask
for (:class:`workflows.engine.requested.RequestedTransition`, opened by
``api.py`` and ``forking.py``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, Self

from django.db.models import Q
from django.utils import timezone

from workflows.engine import queue, registry, rows, schemas
from workflows.engine.bookkeeping import Attempts, Bookkeeping, book_of
from workflows.engine.builder import Workflow, WorkflowNode
from workflows.engine.constructs import construct_for
from workflows.engine.errors import SchemaMismatch
from workflows.engine.kinds import LEAF_KINDS, NodeKind
from workflows.engine.nodes import Node, StepNode
from workflows.engine.outcomes import Claim, error_from, public_error
from workflows.models import (
    EventType,
    ExecutionPhase,
    ExecutionStatus,
    RunEvent,
    RunStatus,
    StepExecution,
    Suspension,
    SuspensionStatus,
    WorkflowRun,
)


def fingerprint(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_run(run_id: Any) -> WorkflowRun:
    """Lock the run row; every transition of a run holds this lock until it commits."""
    return rows.lock_run(run_id)


SUCCEEDED_FIELDS = ["status", "output", "phase", "finished_at", "claim_token", "lease_expires_at"]


def mark_succeeded(row: StepExecution, output: Any, now: datetime) -> None:
    """Set what a successful row holds (``SUCCEEDED_FIELDS``), without writing it."""
    row.status = ExecutionStatus.SUCCESS
    row.output = output
    row.phase = ExecutionPhase.NONE
    row.finished_at = now
    row.claim_token = None
    row.lease_expires_at = None


RUN_FIELDS = (
    "state",
    "result",
    "error",
    "bailed",
    "steps_completed",
    "last_event_id",
    "finished_at",
    "updated_at",
)


class Transition:
    """Accumulates the effects of one locked change to a run, then writes them in ``close``."""

    def __init__(
        self,
        run: WorkflowRun,
        workflow: Workflow | None = None,
        *,
        actor: Any = None,
        now: datetime | None = None,
    ):
        self.run = run
        self._workflow = workflow
        self.actor = actor
        self.now = now or timezone.now()
        self._stored_status = run.status
        self.events: list[rows.NewEvent] = []
        self.events_written_at: datetime | None = None
        self.ready: list[StepExecution] = []
        self.timers_started = False
        self.claimed: Claim | None = None
        self._rows: dict[int, StepExecution] = {}
        self._unsaved: list[StepExecution] = []

    @classmethod
    def begin(
        cls,
        workflow: Workflow,
        *,
        actor: Any,
        started: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Self:
        """Create a running run of ``workflow`` and its ``run.started`` event.

        ``fields`` are the run's own (input, state, idempotency key, fork links);
        ``started`` adds to the event's data. The caller starts the nodes.
        """
        run = WorkflowRun.objects.create(
            workflow_id=workflow.id,
            definition_version=workflow.version,
            graph=workflow.graph(),
            status=RunStatus.RUNNING,
            created_by=actor,
            **fields,
        )
        transition = cls(run, workflow, actor=actor)
        transition.event(
            EventType.RUN_STARTED,
            data={
                "input": run.input,
                "definition_version": run.definition_version,
                **(started or {}),
            },
        )
        return transition

    @property
    def workflow(self) -> Workflow:
        """The deployed definition, looked up when first needed: a transition that only
        closes rows (cancel, a run whose workflow this process lacks) works without it."""
        if self._workflow is None:
            self._workflow = registry.get(self.run.workflow_id)
        return self._workflow

    # -- bookkeeping -------------------------------------------------------------------------

    def event(
        self,
        type: str,
        *,
        execution: StepExecution | None = None,
        path_key: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        if path_key is None:
            path_key = execution.path_key if execution is not None else ""
        self.events.append(rows.NewEvent(type, path_key, execution, data or {}))

    def remember(self, row: StepExecution) -> StepExecution:
        self._rows[row.pk] = row
        return row

    def row(self, pk: int) -> StepExecution:
        if pk not in self._rows:
            self._rows[pk] = StepExecution.objects.get(pk=pk)
        return self._rows[pk]

    def node_of(self, row: StepExecution) -> Node | Workflow:
        if not row.path_key:
            return self.workflow
        return self.workflow.resolve(row.path)

    def workflow_of(self, container: StepExecution) -> Workflow:
        node = self.node_of(container)
        if isinstance(node, Workflow):
            return node
        assert isinstance(node, WorkflowNode)
        return node.workflow

    def apply_state(self, patch: dict[str, Any], execution: StepExecution) -> None:
        if not patch:
            return
        self.run.state = {**(self.run.state or {}), **patch}
        self.event(
            EventType.STATE_CHANGED,
            execution=execution,
            data={"state": self.run.state, "changed": sorted(patch)},
        )

    # -- starting nodes ------------------------------------------------------------------------

    def start_root(self) -> None:
        root = self._new_row(
            WorkflowNode(self.workflow.id, self.workflow),
            parent=None,
            path=[],
            input_json=self.run.input,
        )
        root.kind = NodeKind.WORKFLOW
        root.status = ExecutionStatus.RUNNING
        root.started_at = self.now
        root.save()
        self.remember(root)
        self.event(EventType.STEP_STARTED, execution=root, data={"kind": NodeKind.WORKFLOW})
        self.start(self.workflow.nodes[0], parent=root, input_json=self.run.input, prefix=[])

    def start(
        self,
        node: Node,
        *,
        parent: StepExecution,
        input_json: Any,
        prefix: list[str],
        iteration: int | None = None,
        item_index: int | None = None,
    ) -> StepExecution:
        """A new row for ``node`` under ``parent``, started as its kind starts (see constructs)."""
        row = self._new_row(
            node,
            parent=parent,
            path=[*prefix, node.id],
            input_json=input_json,
            iteration=iteration,
            item_index=item_index,
        )
        construct_for(node.kind).start(self, row, node)
        return row

    def _new_row(
        self,
        node: Node,
        *,
        parent: StepExecution | None,
        path: list[str],
        input_json: Any,
        iteration: int | None = None,
        item_index: int | None = None,
    ) -> StepExecution:
        return StepExecution(
            run=self.run,
            parent=parent,
            kind=node.kind,
            step_id=node.id,
            path_key=".".join(path),
            iteration=iteration if iteration is not None else (parent.iteration if parent else 0),
            item_index=item_index
            if item_index is not None
            else (parent.item_index if parent else None),
            input=input_json,
        )

    def validated_input(self, row: StepExecution, schema: Any) -> bool:
        """Validate the row's input in place; on mismatch the row fails with the field list."""
        try:
            value = schemas.validate(schema, row.input, what=f"input of {row.path_key!r}")
            row.input = schemas.dump(schema, value)
            schemas.keep(row, schema, value, row.input)
        except SchemaMismatch as exc:
            row.save()
            self.remember(row)
            self.fail(row, error_from(exc))
            return False
        return True

    def make_ready(self, row: StepExecution) -> None:
        """Make a row ready. A new row is inserted at ``flush`` or ``close``, already claimed if
        inline."""
        row.status = ExecutionStatus.PENDING
        row.enqueued_at = self.now
        if row.pk is None:
            self._unsaved.append(row)
        else:
            row.save()
            self.remember(row)
        self.ready.append(row)

    def flush(self) -> None:
        """Insert the rows made ready in this transition; before any query that must see them."""
        rows.insert(self._unsaved)
        for row in self._unsaved:
            self.remember(row)
        self._unsaved = []

    def open_construct(self, row: StepExecution, bookkeeping: Bookkeeping | None = None) -> None:
        row.status = ExecutionStatus.RUNNING
        row.started_at = self.now
        row.bookkeeping = bookkeeping if bookkeeping is not None else {}
        row.save()
        self.remember(row)
        self.event(
            EventType.STEP_STARTED,
            execution=row,
            data={"kind": row.kind, "iteration": row.iteration, "item_index": row.item_index},
        )

    def start_timer(self, row: StepExecution, wake_at: datetime) -> None:
        row.status = ExecutionStatus.WAITING
        row.phase = ExecutionPhase.NONE
        row.wake_at = wake_at
        row.started_at = row.started_at or self.now
        self.release(row)
        row.save()
        self.timers_started = True
        self.event(
            EventType.STEP_WAITING,
            execution=row,
            data={"wake_at": wake_at.isoformat(), "kind": row.kind, "input": row.input},
        )

    # -- finishing nodes -----------------------------------------------------------------------

    def release(self, row: StepExecution) -> None:
        row.claim_token = None
        row.lease_expires_at = None

    def complete(
        self,
        row: StepExecution,
        output: Any,
        *,
        stored: bool = False,
        **extra: Any,
    ) -> None:
        """Record success. ``stored`` says a worker already wrote the row, under its claim
        and in the statement that locked the run (``rows.lock_run_and_finish``)."""
        if not stored:
            mark_succeeded(row, output, self.now)
            row.save(update_fields=SUCCEEDED_FIELDS)
        self.remember(row)
        if row.kind == NodeKind.STEP:
            self.run.steps_completed += 1
        self.event(
            EventType.STEP_COMPLETED,
            execution=row,
            data={
                "kind": row.kind,
                "output": output,
                "iteration": row.iteration,
                "item_index": row.item_index,
                **extra,
            },
        )
        self.settle(row)

    def fail(self, row: StepExecution, error: dict[str, Any], *, settle: bool = True) -> None:
        """Record a failed row; without ``settle`` its parent is left alone (no definition)."""
        row.status = ExecutionStatus.FAILED
        row.error = error
        row.phase = ExecutionPhase.NONE
        row.finished_at = self.now
        self.release(row)
        row.save()
        self.remember(row)
        self.event(
            EventType.STEP_FAILED,
            execution=row,
            data={"kind": row.kind, "error": public_error(error), "attempt": row.attempts},
        )
        if settle:
            self.settle(row)

    def suspend(self, row: StepExecution, payload: Any, label: str) -> Suspension:
        row.status = ExecutionStatus.SUSPENDED
        row.suspend_payload = payload
        self.release(row)
        row.save()
        self.remember(row)
        suspension = Suspension.objects.create(
            run=self.run,
            execution=row,
            path_key=row.path_key,
            label=label,
            payload=payload,
            fingerprint=fingerprint(payload),
        )
        self.event(
            EventType.STEP_SUSPENDED,
            execution=row,
            data={
                "payload": payload,
                "suspension_id": str(suspension.id),
                "fingerprint": suspension.fingerprint,
                "label": label,
                "iteration": row.iteration,
                "item_index": row.item_index,
            },
        )
        return suspension

    def attempt_failed(self, row: StepExecution, error: dict[str, Any], *, retryable: bool) -> None:
        node = self.node_of(row)
        retries = node.step.retries if isinstance(node, StepNode) else 0
        failures = book_of(row, Attempts).get("failures", 0) + 1
        book: Attempts = {**book_of(row, Attempts), "failures": failures}
        row.bookkeeping = book
        if retryable and failures <= retries:
            assert isinstance(node, StepNode)
            delay = node.step.backoff.delay(failures)
            row.error = error
            row.save()
            self.start_timer(row, self.now + timedelta(seconds=delay))
            self.event(
                EventType.STEP_RETRYING,
                execution=row,
                data={
                    "attempt": row.attempts,
                    "retry": failures,
                    "of": retries,
                    "delay_seconds": delay,
                    "error": public_error(error),
                },
            )
            return
        self.fail(row, error)

    # -- what comes next -----------------------------------------------------------------------

    def settle(self, row: StepExecution) -> None:
        """A row reached a terminal status: let its parent decide what happens next."""
        if row.parent_id is None:
            self._finish_run(row)
            return
        parent = self.row(row.parent_id)
        if parent.status in ExecutionStatus.terminal():
            return
        construct_for(parent.kind).settle(self, parent, row)

    # -- the run as a whole --------------------------------------------------------------------

    def _finish_run(self, root: StepExecution) -> None:
        if self.run.is_terminal:
            return
        self.run.finished_at = self.now
        if root.status == ExecutionStatus.SUCCESS:
            self.run.status = RunStatus.SUCCESS
            self.run.result = root.output
            self.event(EventType.RUN_COMPLETED, data={"result": root.output, "bailed": False})
        else:
            self.run.status = RunStatus.FAILED
            self.run.error = root.error
            self.event(EventType.RUN_FAILED, data={"error": public_error(root.error or {})})

    def bail(self, row: StepExecution, result: Any) -> None:
        row.status = ExecutionStatus.SUCCESS
        row.output = result
        row.finished_at = self.now
        self.release(row)
        row.save()
        self.event(
            EventType.STEP_COMPLETED,
            execution=row,
            data={"kind": row.kind, "output": result, "bailed": True, "iteration": row.iteration},
        )
        self.end_open_work(ExecutionStatus.SKIPPED)
        self.run.status = RunStatus.SUCCESS
        self.run.bailed = True
        self.run.result = result
        self.run.finished_at = self.now
        self.event(
            EventType.RUN_COMPLETED, data={"result": result, "bailed": True, "by": row.path_key}
        )

    def end_open_work(self, status: str) -> None:
        """Close every row and question still open when a run ends early (bail, cancel)."""
        self.flush()
        self.run.executions.open().exclude(
            status=ExecutionStatus.RUNNING, kind__in=LEAF_KINDS
        ).update(status=status, finished_at=self.now, claim_token=None, lease_expires_at=None)
        self.run.suspensions.open().update(status=SuspensionStatus.CLOSED)

    def derive_status(self) -> str:
        if self.run.is_terminal:
            return self.run.status
        if self.ready or self.timers_started or self.claimed is not None:
            return RunStatus.RUNNING
        self.flush()
        open_rows = self.run.executions.open()
        busy = open_rows.filter(
            Q(status__in=(ExecutionStatus.PENDING, ExecutionStatus.WAITING))
            | Q(status=ExecutionStatus.RUNNING, kind__in=LEAF_KINDS)
        ).exists()
        if busy:
            return RunStatus.RUNNING
        if open_rows.suspended().exists():
            return RunStatus.SUSPENDED
        return RunStatus.RUNNING

    def close(self, *, status_may_change: bool = True) -> Claim | None:
        """Write the run row and the events; enqueue ready work once the transaction commits.

        ``status_may_change=False`` is for transitions that only append an event
        (progress, a review note): they skip the query that derives the status.
        """
        write = self.prepare_close(status_may_change=status_may_change)
        rows.write_transition(write)
        return self.written(write)

    def prepare_close(self, *, status_may_change: bool = True) -> rows.RunWrite:
        """Settle the run's status and take what ``close`` writes, without writing it.

        Separate from the write for a worker's one-statement commit
        (:mod:`workflows.engine.optimistic`), which writes it with the step's completion.
        """
        previous = self.run.status
        status = self.derive_status() if status_may_change else previous
        if status != previous and not self.run.is_terminal:
            if status == RunStatus.SUSPENDED:
                self.event(
                    EventType.RUN_SUSPENDED, data={"suspended_paths": self._suspended_paths()}
                )
            elif previous == RunStatus.SUSPENDED:
                self.event(EventType.RUN_RESUMED, data={})
            self.run.status = status
        self.events_written_at = timezone.now()
        actor_id = self.actor.pk if self.actor is not None else None
        new_rows, self._unsaved = self._unsaved, []
        return rows.RunWrite(
            self.run, self._run_fields(), actor_id, self.events_written_at, self.events, new_rows
        )

    def written(self, write: rows.RunWrite) -> Claim | None:
        """After ``write`` was sent: enqueue ready work and tell observers once it commits."""
        for row in write.new_rows:
            self.remember(row)
        if self.claimed is not None:
            self.claimed.run_version = write.version
        queue.enqueue_after_commit([row.pk for row in self.ready])
        from workflows.engine import notify

        notify.run_changed(self.run.pk, self.run.last_event_id)
        return self.claimed

    def stored_event(self, index: int = -1) -> RunEvent:
        """One of the events ``close`` wrote, as a model instance."""
        assert self.events_written_at is not None, "the transition has not been closed"
        return self.events[index].as_model(self.run, self.actor, self.events_written_at)

    def _run_fields(self) -> tuple[str, ...]:
        """The run's columns to write. The status is indexed, and on SQLite an UPDATE that
        sets an indexed column rewrites its index entries even to the same value, so it
        is left out of the many transitions that do not change it."""
        if self.run.status == self._stored_status:
            return RUN_FIELDS
        return ("status", *RUN_FIELDS)

    def _suspended_paths(self) -> list[list[str]]:
        keys = self.run.executions.suspended().values_list("path_key", flat=True)
        return [key.split(".") for key in keys]


def started_data(row: StepExecution) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "attempt": row.attempts,
        "iteration": row.iteration,
        "item_index": row.item_index,
        "input": row.input,
        "resumed": row.resume_data is not None,
    }
