"""One class per node kind: how its row starts, what its children's ends mean, what its code said.

The :class:`~workflows.engine.transition.Transition` owns the rows and the
events; it asks the class of a row's kind (:func:`construct_for`) what to do,
handing itself over as :class:`Changes`:

- ``start`` a new row of this kind (a leaf is made ready for a worker; a
  construct opens and starts its first children);
- ``settle`` a construct when one of its children reached a terminal status
  (start the next child, join, repeat, or finish);
- take what a worker ``evaluated`` for the row (a step's output, a branch's
  choice, a loop's condition, a sleep's wake time);
- go on when the row's timer ``fired`` (a sleep ends; a retry's backoff ends);
- ``reopen`` a construct whose failed child is retried.

Adding a kind of node means adding one class here and registering it in
``CONSTRUCTS``, its member of ``NodeKind`` (``kinds.py``; the choices of
``StepExecution.kind`` then need a migration) and its node type in ``nodes.py``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol, cast

from workflows.engine import schemas
from workflows.engine.bookkeeping import Bookkeeping, BranchBook, ForeachBook, LoopBook, book_of
from workflows.engine.builder import Workflow, WorkflowNode
from workflows.engine.errors import SchemaMismatch, WorkflowError
from workflows.engine.kinds import LOOP_KINDS, SLEEP_KINDS, NodeKind
from workflows.engine.nodes import (
    BranchNode,
    ForeachNode,
    LoopNode,
    Node,
    ParallelNode,
    SleepNode,
    StepNode,
)
from workflows.engine.outcomes import error_from, public_error
from workflows.models import EventType, ExecutionPhase, ExecutionStatus, StepExecution


class Changes(Protocol):
    """What a construct may do to its run: the part of the Transition it is handed.

    Spelled out here, so that this module need not import the transition that
    imports it, and so a new construct's author sees the whole of what it may use.
    """

    now: datetime

    def start(
        self,
        node: Node,
        *,
        parent: StepExecution,
        input_json: Any,
        prefix: list[str],
        iteration: int | None = None,
        item_index: int | None = None,
    ) -> StepExecution: ...

    def complete(
        self, row: StepExecution, output: Any, *, guard: uuid.UUID | None = None, **extra: Any
    ) -> None: ...

    def fail(self, row: StepExecution, error: dict[str, Any]) -> None: ...

    def make_ready(self, row: StepExecution) -> None: ...

    def start_timer(self, row: StepExecution, wake_at: datetime) -> None: ...

    def open_construct(
        self, row: StepExecution, bookkeeping: Bookkeeping | None = None
    ) -> None: ...

    def validated_input(self, row: StepExecution, schema: Any) -> bool: ...

    def release(self, row: StepExecution) -> None: ...

    def remember(self, row: StepExecution) -> StepExecution: ...

    def flush(self) -> None: ...

    def event(
        self,
        type: str,
        *,
        execution: StepExecution | None = None,
        path_key: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None: ...

    def node_of(self, row: StepExecution) -> Node | Workflow: ...

    def workflow_of(self, container: StepExecution) -> Workflow: ...


class Construct:
    """What rows of some node kinds do; the defaults suit a leaf that a worker runs."""

    kinds: ClassVar[tuple[str, ...]] = ()

    def start(self, t: Changes, row: StepExecution, node: Node) -> None:
        """A new, unsaved row of this kind: make it ready, open it, or fail it."""
        raise NotImplementedError

    def settle(self, t: Changes, parent: StepExecution, child: StepExecution) -> None:
        """``child`` of ``parent`` (a row of this kind) reached a terminal status."""
        raise AssertionError(f"a {parent.kind} row has no children to settle")

    def evaluated(self, t: Changes, row: StepExecution, value: Any) -> None:
        """A worker ran the row's code and it returned ``value`` (already checked)."""
        t.complete(row, value)

    def fired(self, t: Changes, row: StepExecution) -> None:
        """The row's timer is due: by default a retry's backoff ended, so it is ready again."""
        row.wake_at = None
        t.make_ready(row)

    def reopen(self, t: Changes, row: StepExecution, child: StepExecution) -> None:
        """``row`` failed because ``child`` did, and runs again as ``child`` is retried."""


class StepRows(Construct):
    """A typed step: its input is validated when the row is made, then a worker runs it."""

    kinds = (NodeKind.STEP,)

    def start(self, t: Changes, row: StepExecution, node: Node) -> None:
        assert isinstance(node, StepNode)
        if t.validated_input(row, node.step.input):
            t.make_ready(row)


class MapRows(Construct):
    """``.map(fn)``: a worker evaluates the function, and its result is the output."""

    kinds = (NodeKind.MAP,)

    def start(self, t: Changes, row: StepExecution, node: Node) -> None:
        row.phase = ExecutionPhase.EVALUATE
        t.make_ready(row)


class SequenceRows(Construct):
    """A workflow's nodes, one after the other: the root and every nested workflow."""

    kinds = (NodeKind.WORKFLOW,)

    def start(self, t: Changes, row: StepExecution, node: Node) -> None:
        assert isinstance(node, WorkflowNode)
        if not t.validated_input(row, node.workflow.input):
            return
        t.open_construct(row)
        t.start(node.workflow.nodes[0], parent=row, input_json=row.input, prefix=row.path)

    def settle(self, t: Changes, parent: StepExecution, child: StepExecution) -> None:
        """Start the node after ``child`` with its output, or finish with the workflow's output."""
        if child.status == ExecutionStatus.FAILED:
            t.fail(parent, child.error or {"message": "a step failed"})
            return
        if child.status != ExecutionStatus.SUCCESS:
            return
        try:
            workflow = t.workflow_of(parent)
            index = workflow.position(child.step_id)
            if index is None:
                workflow.node(child.step_id)  # raises DefinitionChanged naming the step
                raise AssertionError(f"{child.step_id!r} is not a top-level node")
        except WorkflowError as exc:
            t.fail(parent, error_from(exc))
            return
        if index + 1 < len(workflow.nodes):
            t.start(
                workflow.nodes[index + 1],
                parent=parent,
                input_json=child.output,
                prefix=parent.path,
            )
            return
        try:
            output = schemas.dump(
                workflow.output,
                schemas.validate(
                    workflow.output, child.output, what=f"output of workflow {workflow.id!r}"
                ),
            )
        except SchemaMismatch as exc:
            t.fail(parent, error_from(exc))
            return
        t.complete(parent, output)


class JoinRows(Construct):
    """Children that run side by side; the row settles once every one of them has."""

    def settle(self, t: Changes, parent: StepExecution, child: StepExecution) -> None:
        """Output ``{child_id: output}``; fail listing the failed children unless allowed."""
        t.flush()
        siblings = list(StepExecution.objects.filter(parent=parent).order_by("id"))
        if any(s.status not in ExecutionStatus.terminal() for s in siblings):
            return
        node = t.node_of(parent)
        failed = [s for s in siblings if s.status == ExecutionStatus.FAILED]
        if failed and not getattr(node, "allow_failure", False):
            names = ", ".join(s.step_id for s in failed)
            t.fail(
                parent,
                {
                    "type": "BranchFailed",
                    "message": f"{len(failed)} of {len(siblings)} branches failed ({names}): "
                    + "; ".join(public_error(s.error or {})["message"] for s in failed),
                    "branches": {s.step_id: public_error(s.error or {}) for s in failed},
                },
            )
            return
        output = {
            s.step_id: s.output if s.status == ExecutionStatus.SUCCESS else None for s in siblings
        }
        t.complete(parent, output)


class ParallelRows(JoinRows):
    """Every branch starts at once with the same input."""

    kinds = (NodeKind.PARALLEL,)

    def start(self, t: Changes, row: StepExecution, node: Node) -> None:
        assert isinstance(node, ParallelNode)
        t.open_construct(row)
        for branch in node.branches:
            t.start(branch, parent=row, input_json=row.input, prefix=row.path[:-1])


class BranchRows(JoinRows):
    """A worker evaluates the conditions; the cases they select run side by side."""

    kinds = (NodeKind.BRANCH,)

    def start(self, t: Changes, row: StepExecution, node: Node) -> None:
        row.phase = ExecutionPhase.EVALUATE
        t.make_ready(row)

    def evaluated(self, t: Changes, row: StepExecution, value: Any) -> None:
        """``value`` lists the ids of the cases whose condition held."""
        selected = list(value)
        node = t.node_of(row)
        assert isinstance(node, BranchNode)
        row.status = ExecutionStatus.RUNNING
        row.phase = ExecutionPhase.NONE
        row.bookkeeping = BranchBook(selected=selected)
        t.release(row)
        row.save()
        t.event(
            EventType.STEP_STARTED,
            execution=row,
            data={"kind": NodeKind.BRANCH, "selected": selected},
        )
        chosen = [case for _, case in node.cases if case.id in selected]
        if not chosen:
            t.complete(row, {})
            return
        for case in chosen:
            t.start(case, parent=row, input_json=row.input, prefix=row.path[:-1])


class LoopRows(Construct):
    """``dowhile`` / ``dountil``: a new body row per iteration, a condition checked after each."""

    kinds = LOOP_KINDS

    def start(self, t: Changes, row: StepExecution, node: Node) -> None:
        assert isinstance(node, LoopNode)
        t.open_construct(row, LoopBook(iteration=1))
        t.start(node.body, parent=row, input_json=row.input, prefix=row.path[:-1], iteration=1)

    def settle(self, t: Changes, parent: StepExecution, child: StepExecution) -> None:
        """The body finished an iteration: a worker checks the condition next."""
        if child.status == ExecutionStatus.FAILED:
            t.fail(parent, child.error or {"message": "the loop body failed"})
            return
        if child.status != ExecutionStatus.SUCCESS:
            return
        book: LoopBook = {**book_of(parent, LoopBook), "last_output": child.output}
        parent.bookkeeping = book
        parent.phase = ExecutionPhase.CHECK
        t.make_ready(parent)

    def evaluated(self, t: Changes, row: StepExecution, value: Any) -> None:
        """``value`` is the condition's result: repeat, finish, or fail at the cap."""
        node = t.node_of(row)
        assert isinstance(node, LoopNode)
        repeat = bool(value) != node.until
        book = book_of(row, LoopBook)
        iteration = book.get("iteration", 1)
        last_output = book.get("last_output")
        if not repeat:
            t.complete(row, last_output, iterations=iteration)
            return
        if iteration >= node.max_iterations:
            t.fail(
                row,
                {
                    "type": "LoopLimitReached",
                    "message": f"loop {node.id!r} reached its cap of {node.max_iterations} "
                    "iterations and its condition still asked for another",
                },
            )
            return
        next_round: LoopBook = {**book, "iteration": iteration + 1}
        row.bookkeeping = next_round
        row.status = ExecutionStatus.RUNNING
        row.phase = ExecutionPhase.NONE
        t.release(row)
        row.save()
        t.start(
            node.body,
            parent=row,
            input_json=last_output,
            prefix=row.path[:-1],
            iteration=iteration + 1,
        )


class ForeachRows(Construct):
    """One body row per item of a list, at most ``concurrency`` at a time, outputs in order."""

    kinds = (NodeKind.FOREACH,)

    def start(self, t: Changes, row: StepExecution, node: Node) -> None:
        assert isinstance(node, ForeachNode)
        if not isinstance(row.input, list):
            row.save()
            t.remember(row)
            t.fail(
                row,
                {
                    "type": "InvalidInput",
                    "message": f"foreach {node.id!r} needs a list as input, "
                    f"got {type(row.input).__name__}; reshape the data with .map()",
                },
            )
            return
        t.open_construct(row, ForeachBook(total=len(row.input), next=0, settled=0, failed=False))
        if not row.input:
            t.complete(row, [])
            return
        for _ in range(min(node.concurrency, len(row.input))):
            self._start_next_item(t, row, node)

    def settle(self, t: Changes, parent: StepExecution, child: StepExecution) -> None:
        """Count the item; start the next one, or finish once none is in flight."""
        node = t.node_of(parent)
        assert isinstance(node, ForeachNode)
        book = book_of(parent, ForeachBook)
        if child.status not in (ExecutionStatus.SUCCESS, ExecutionStatus.FAILED):
            return
        t.flush()
        book["settled"] += 1
        if child.status == ExecutionStatus.FAILED:
            book["failed"] = True
        parent.save(update_fields=["bookkeeping"])
        if (
            child.status == ExecutionStatus.SUCCESS
            and book["next"] < book["total"]
            and not book["failed"]
        ):
            self._start_next_item(t, parent, node)
        if book["settled"] < book["next"]:
            return  # items still in flight
        if book["failed"]:
            errors = [
                f"item {i}: {public_error(e or {})['message']}"
                for i, e in StepExecution.objects.filter(
                    parent=parent, status=ExecutionStatus.FAILED
                ).values_list("item_index", "error")
            ]
            t.fail(
                parent,
                {
                    "type": "ItemFailed",
                    "message": f"foreach {node.id!r} failed: " + "; ".join(errors),
                },
            )
            return
        if book["settled"] == book["total"]:
            outputs = dict(
                StepExecution.objects.filter(
                    parent=parent, status=ExecutionStatus.SUCCESS
                ).values_list("item_index", "output")
            )
            t.complete(parent, [outputs.get(i) for i in range(book["total"])])

    def reopen(self, t: Changes, row: StepExecution, child: StepExecution) -> None:
        """One item is retried: it is in flight again, and the others may all have succeeded."""
        book = book_of(row, ForeachBook)
        book["settled"] -= 1
        book["failed"] = (
            StepExecution.objects.filter(parent=row, status=ExecutionStatus.FAILED)
            .exclude(pk=child.pk)
            .exists()
        )

    def _start_next_item(self, t: Changes, row: StepExecution, node: ForeachNode) -> None:
        book = book_of(row, ForeachBook)
        index = book["next"]
        book["next"] = index + 1
        row.save(update_fields=["bookkeeping"])
        t.start(
            node.body,
            parent=row,
            input_json=cast(list[Any], row.input)[index],
            prefix=row.path[:-1],
            item_index=index,
        )


class SleepRows(Construct):
    """A durable timer; a worker first evaluates a sleep function, when there is one."""

    kinds = SLEEP_KINDS

    def start(self, t: Changes, row: StepExecution, node: Node) -> None:
        assert isinstance(node, SleepNode)
        if node.fn is not None:
            row.phase = ExecutionPhase.EVALUATE
            t.make_ready(row)
            return
        wake_at = (
            node.until if node.until is not None else t.now + timedelta(seconds=node.seconds or 0)
        )
        row.save()
        t.remember(row)
        t.start_timer(row, wake_at)

    def evaluated(self, t: Changes, row: StepExecution, value: datetime) -> None:
        """The sleep function said when to wake."""
        if row.status == ExecutionStatus.RUNNING:
            t.start_timer(row, value)
        else:
            t.complete(row, value)

    def fired(self, t: Changes, row: StepExecution) -> None:
        """The sleep is over: it passes its input on."""
        t.complete(row, row.input)


CONSTRUCTS: dict[str, Construct] = {
    kind: construct
    for construct in (
        StepRows(),
        MapRows(),
        SequenceRows(),
        ParallelRows(),
        BranchRows(),
        LoopRows(),
        ForeachRows(),
        SleepRows(),
    )
    for kind in construct.kinds
}


def construct_for(kind: str) -> Construct:
    """The class that handles rows of ``kind``."""
    return CONSTRUCTS[kind]
