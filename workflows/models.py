"""The engine's tables: runs, step executions, suspensions and the append-only event log.

The database is the source of truth. Every row here is written only by the
transition code: ``workflows.engine.transition`` with the rules of each kind
of node in ``workflows.engine.constructs``, driven by the workers' and the
ticker's entry points (``workflows.engine.entry``) and the run API
(``workflows.engine.api``). The reads that many places make are named once,
as QuerySet methods (``StepExecution.objects.suspended()``,
``RunEvent.objects.for_run(run).after(n)``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from workflows.engine.kinds import LEAF_KINDS, LOOP_KINDS, NodeKind


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUSPENDED = "suspended", "Suspended"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"

    @classmethod
    def terminal(cls) -> frozenset[str]:
        return frozenset({cls.SUCCESS, cls.FAILED, cls.CANCELED})


class ExecutionStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # ready; a worker may claim it
    RUNNING = "running", "Running"  # claimed (leaf) or has live children (construct)
    WAITING = "waiting", "Waiting"  # a timer: a sleep, or a retry's backoff
    SUSPENDED = "suspended", "Suspended"  # waits for a person
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"
    SKIPPED = "skipped", "Skipped"  # never ran: the run bailed or was canceled first

    @classmethod
    def terminal(cls) -> frozenset[str]:
        return frozenset({cls.SUCCESS, cls.FAILED, cls.CANCELED, cls.SKIPPED})


class WorkflowRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by run_workflow_recent (workflow_id, -created_at), and status by
    # run_status_recent: a single-column index beside either would only cost writes.
    workflow_id = models.CharField(max_length=120)
    definition_version = models.CharField(max_length=64)
    graph = models.JSONField(default=dict, help_text="The step graph as it was when the run began")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    input = models.JSONField(default=dict)
    state = models.JSONField(default=dict, help_text="Workflow-level state set by steps")
    result = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    bailed = models.BooleanField(default=False, help_text="Ended early by a step's bail()")
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULL = no key, so the unique constraint skips it
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forks"
    )
    forked_at_path = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="started_runs",
    )
    steps_completed = models.PositiveIntegerField(default=0)
    last_event_id = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="run_status_recent"),
            models.Index(fields=["workflow_id", "-created_at"], name="run_workflow_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow_id", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="run_unique_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id} {self.short_id} ({self.status})"

    @property
    def short_id(self) -> str:
        return str(self.id)[:8]

    @property
    def is_terminal(self) -> bool:
        return self.status in RunStatus.terminal()


# Not finished: queued or claimed, waiting on a timer, or waiting for a person.
OPEN_STATUSES = (
    ExecutionStatus.PENDING,
    ExecutionStatus.RUNNING,
    ExecutionStatus.WAITING,
    ExecutionStatus.SUSPENDED,
)
# Rows a worker may hold a lease on: leaves, and branches and loops while their code runs.
LEASED_KINDS = (*LEAF_KINDS, NodeKind.BRANCH, *LOOP_KINDS)


class StepExecutionQuerySet(models.QuerySet["StepExecution"]):
    """The reads of executions that the engine, the admin and the pages share."""

    def open(self) -> Self:
        """Rows not finished: pending, running, waiting on a timer or suspended."""
        return self.filter(status__in=OPEN_STATUSES)

    def suspended(self) -> Self:
        """Rows waiting for a person."""
        return self.filter(status=ExecutionStatus.SUSPENDED)

    def timers(self) -> Self:
        """Sleeps and retry backoffs still waiting, the earliest to wake first."""
        return self.filter(status=ExecutionStatus.WAITING).order_by("wake_at")

    def due_timers(self, now: datetime) -> Self:
        """Sleeps and retry backoffs due at ``now``, the longest overdue first."""
        return self.timers().filter(wake_at__lte=now)

    def expired_leases(self, now: datetime) -> Self:
        """Rows whose worker held them past the lease: it stopped, or the step overran.

        Ordered by the indexed column, as each sweep is: ordered by id, SQLite
        would rather walk the whole table in id order than use the index.
        """
        return self.filter(
            status=ExecutionStatus.RUNNING, kind__in=LEASED_KINDS, lease_expires_at__lt=now
        ).order_by("lease_expires_at")

    def queued_before(self, moment: datetime) -> Self:
        """Rows handed to the queue before ``moment`` and still not taken, oldest first."""
        return self.filter(status=ExecutionStatus.PENDING, enqueued_at__lt=moment).order_by(
            "enqueued_at"
        )


class ExecutionPhase(models.TextChoices):
    """What a construct row waits for while it is pending: a worker to run its code."""

    NONE = "", "None"
    EVALUATE = "evaluate", "Evaluate"  # a branch's conditions, a map, a sleep's function
    CHECK = "check", "Check"  # a loop's condition, after an iteration


class StepExecution(models.Model):
    """One execution of one node at one path, loop iteration and foreach index.

    Leaves (steps, maps, sleeps) do work; constructs (nested workflows, parallel,
    branch, loops, foreach) are rows too, so every run is a tree the snapshot
    and the run page can draw as it is.
    """

    # Every step inserts and updates a row here, and each index is written with it:
    # run and parent are indexed as the first columns of the composite indexes below.
    run = models.ForeignKey(
        WorkflowRun, on_delete=models.CASCADE, related_name="executions", db_index=False
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        db_index=False,
    )
    kind = models.CharField(max_length=16, choices=NodeKind.choices)
    step_id = models.CharField(max_length=120)
    path_key = models.CharField(max_length=500, help_text="Ids outermost first, joined by '.'")
    iteration = models.PositiveIntegerField(default=0, help_text="Loop iteration, from 1")
    item_index = models.PositiveIntegerField(null=True, blank=True, help_text="foreach index")
    status = models.CharField(
        max_length=16, choices=ExecutionStatus.choices, default=ExecutionStatus.PENDING
    )
    phase = models.CharField(
        max_length=16,
        choices=ExecutionPhase.choices,
        blank=True,
        default=ExecutionPhase.NONE,
        help_text="What a construct waits for",
    )
    input = models.JSONField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    suspend_payload = models.JSONField(null=True, blank=True)
    resume_data = models.JSONField(null=True, blank=True)
    bookkeeping = models.JSONField(default=dict, blank=True)  # see engine/bookkeeping.py
    attempts = models.PositiveIntegerField(default=0)
    claim_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    wake_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.ForeignKey(  # indexed by exec_resumed_by, only where set
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resumed_steps",
        db_index=False,
    )

    objects = StepExecutionQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["run", "status"], name="exec_run_status"),
            models.Index(fields=["run", "path_key"], name="exec_run_path"),
            models.Index(fields=["parent", "status"], name="exec_parent_status"),
            # The ticker's sweeps. Partial, so the finished rows (nearly all of them)
            # are in none of them and a step's status change writes no entry here.
            models.Index(
                fields=["wake_at"],
                condition=Q(status=ExecutionStatus.WAITING),
                name="exec_timers",
            ),
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(status=ExecutionStatus.RUNNING),
                name="exec_leases",
            ),
            models.Index(
                fields=["enqueued_at"],
                condition=Q(status=ExecutionStatus.PENDING),
                name="exec_queued",
            ),
            # Only answered steps have a resumer; a user's deletion finds them here.
            models.Index(
                fields=["resumed_by"],
                condition=Q(resumed_by__isnull=False),
                name="exec_resumed_by",
            ),
        ]

    def __str__(self) -> str:
        suffix = f"#{self.iteration}" if self.iteration else ""
        if self.item_index is not None:
            suffix += f"[{self.item_index}]"
        return f"{self.path_key or self.step_id}{suffix} ({self.status})"

    @property
    def path(self) -> list[str]:
        return self.path_key.split(".") if self.path_key else []

    @property
    def is_leaf(self) -> bool:
        return self.kind in LEAF_KINDS

    @property
    def duration_seconds(self) -> float | None:
        """Wall time of a finished execution, from its first start to its end."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class SuspensionStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESUMED = "resumed", "Resumed"
    CLOSED = "closed", "Closed"  # the run ended (canceled, bailed) before anyone answered


class SuspensionQuerySet(models.QuerySet["Suspension"]):
    def open(self) -> Self:
        """Questions no one has answered yet, and whose run has not ended."""
        return self.filter(status=SuspensionStatus.OPEN)


class Suspension(models.Model):
    """One time a step waited for a person: what it showed them and what they answered.

    A multi-turn step has several; a resume may name the one it answers, so an
    answer to an outdated question is refused instead of applied.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(  # indexed as the first column of suspension_run_status
        WorkflowRun, on_delete=models.CASCADE, related_name="suspensions", db_index=False
    )
    execution = models.ForeignKey(
        StepExecution, on_delete=models.CASCADE, related_name="suspensions"
    )
    path_key = models.CharField(max_length=500)
    label = models.CharField(max_length=120, blank=True, default="")
    payload = models.JSONField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=SuspensionStatus.choices, default=SuspensionStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="answered_suspensions",
    )
    resume_data = models.JSONField(null=True, blank=True)

    objects = SuspensionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["run", "status"], name="suspension_run_status"),
            models.Index(fields=["status", "created_at"], name="suspension_open_recent"),
            models.Index(fields=["label"], name="suspension_label"),
        ]

    def __str__(self) -> str:
        return f"{self.path_key} {self.status} ({self.fingerprint[:8]})"


class EventType(models.TextChoices):
    RUN_STARTED = "run.started", "Run started"
    RUN_SUSPENDED = "run.suspended", "Run suspended"
    RUN_RESUMED = "run.resumed", "Run resumed"
    RUN_COMPLETED = "run.completed", "Run completed"
    RUN_FAILED = "run.failed", "Run failed"
    RUN_CANCELED = "run.canceled", "Run canceled"
    RUN_RETRIED = "run.retried", "Run retried"
    STEP_STARTED = "step.started", "Step started"
    STEP_COMPLETED = "step.completed", "Step completed"
    STEP_FAILED = "step.failed", "Step failed"
    STEP_SUSPENDED = "step.suspended", "Step suspended"
    STEP_RESUMED = "step.resumed", "Step resumed"
    STEP_RETRYING = "step.retrying", "Step retrying"
    STEP_WAITING = "step.waiting", "Step waiting"
    STATE_CHANGED = "state.changed", "State changed"
    STEP_OUTPUT = "step.output", "Step output"  # ctx.emit(): progress, streamed tokens

    @classmethod
    def label_of(cls, value: str) -> str:
        """A readable name for any event type, the engine's or an application's own."""
        if value in cls.values:
            return str(cls(value).label)
        return value.replace("_", " ").replace(".", ": ", 1).capitalize()


class RunEventQuerySet(models.QuerySet["RunEvent"]):
    def for_run(self, run: WorkflowRun | uuid.UUID | str) -> Self:
        """The events of one run (given as the run or its id)."""
        return self.filter(run_id=run.pk if isinstance(run, WorkflowRun) else run)

    def after(self, event_id: int) -> Self:
        """Events with ids above ``event_id``, in id order: what a reader that saw it missed."""
        return self.filter(id__gt=event_id).order_by("id")


class RunEvent(models.Model):
    """The append-only log: every transition, with who and why. Ids only grow.

    Events of one run are written while that run's row is locked, so within a
    run ids are committed in order: a reader that saw event N and asks for
    ``id > N`` can never miss one that commits later with a smaller id.
    """

    id = models.BigAutoField(primary_key=True)
    # Indexed as the first column of event_run_id.
    run = models.ForeignKey(
        WorkflowRun, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    # Engine types are EventType; applications add namespaced ones (api.record_event).
    type = models.CharField(max_length=32)
    path_key = models.CharField(max_length=500, blank=True, default="")
    execution = models.ForeignKey(
        StepExecution, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(  # indexed by event_actor, only where set
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="workflow_events",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RunEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["run", "id"], name="event_run_id"),
            # Engine events have no actor: left out, they cost this index nothing. A
            # user's deletion finds theirs here (actor_id IN (...) implies NOT NULL).
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="event_actor"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.type} {self.path_key}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "run_id": str(self.run_id),
            "type": self.type,
            "path": self.path_key.split(".") if self.path_key else [],
            "execution_id": self.execution_id,
            "data": self.data,
            "actor": self.actor.get_username() if self.actor_id and self.actor else None,
            "at": self.created_at.isoformat(),
        }
