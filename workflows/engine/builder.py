"""The workflow builder: ``Workflow(...).then(...).parallel(...).commit()``.

A workflow is a sequence of nodes (see ``nodes.py``). Node ids are unique
within one workflow, so a path of ids (outermost first) names any step of any
nesting depth, and stays valid when a deploy inserts or reorders other steps.
``commit()`` checks the whole definition (``checks.py``), fixes its version and
keeps it by id in ``COMMITTED``, where the registry finds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Self

from workflows.engine import checks, schemas
from workflows.engine.errors import DefinitionChanged, DefinitionError
from workflows.engine.kinds import NodeKind
from workflows.engine.nodes import (
    BranchNode,
    ForeachNode,
    LoopNode,
    MapNode,
    Node,
    ParallelNode,
    SleepNode,
    Step,
    StepNode,
)


@dataclass(eq=False)
class WorkflowNode(Node):
    workflow: Workflow = field(default=None)  # type: ignore[assignment]
    kind: ClassVar[str] = NodeKind.WORKFLOW

    @property
    def input_schema(self) -> Any:
        return self.workflow.input

    @property
    def output_schema(self) -> Any:
        return self.workflow.output

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "workflow": self.workflow.id,
            "nodes": [node.describe() for node in self.workflow.nodes],
        }

    def problems(self) -> list[str]:
        found = super().problems()
        if not self.workflow.committed:
            found.append(
                f"{self.id!r}: nested workflow {self.workflow.id!r} must be committed first"
            )
        return found


# Every committed workflow by id; a later commit under the same id replaces the
# earlier one (a deploy, a code reload). registry.py finds them here.
COMMITTED: dict[str, Workflow] = {}


class Workflow:
    """A typed sequence of nodes, built fluently and frozen by :meth:`commit`.

    >>> Workflow("greet", input=Name, output=Greeting).then(hello).commit()
    """

    def __init__(
        self,
        id: str,
        *,
        input: Any = None,
        output: Any = None,
        state: Any = None,
        description: str = "",
        version: str | None = None,
    ) -> None:
        self.id = id
        self.input = input
        self.output = output
        self.state = state
        self.description = description
        self.explicit_version = version
        self.nodes: list[Node] = []
        self.committed = False
        self.version = ""
        self._index: dict[str, Node] = {}
        self._positions: dict[str, int] = {}
        self._counters: dict[str, int] = {}

    # -- building ---------------------------------------------------------------------------

    def then(self, item: Step | Workflow, *, id: str | None = None) -> Self:
        return self._add(self._wrap(item, id))

    def parallel(
        self,
        items: Iterable[Step | Workflow],
        *,
        id: str | None = None,
        allow_failure: bool = False,
    ) -> Self:
        branches = tuple(self._wrap(item) for item in items)
        node_id = id or f"parallel[{'|'.join(b.id for b in branches)}]"
        return self._add(ParallelNode(node_id, branches, allow_failure))

    def branch(
        self,
        cases: Iterable[tuple[Callable[..., bool], Step | Workflow]],
        *,
        id: str | None = None,
    ) -> Self:
        wrapped = tuple((cond, self._wrap(item)) for cond, item in cases)
        node_id = id or f"branch[{'|'.join(node.id for _, node in wrapped)}]"
        return self._add(BranchNode(node_id, wrapped))

    def dowhile(
        self,
        item: Step | Workflow,
        condition: Callable[..., bool],
        *,
        max_iterations: int = 100,
        id: str | None = None,
    ) -> Self:
        return self._loop(item, condition, until=False, max_iterations=max_iterations, id=id)

    def dountil(
        self,
        item: Step | Workflow,
        condition: Callable[..., bool],
        *,
        max_iterations: int = 100,
        id: str | None = None,
    ) -> Self:
        return self._loop(item, condition, until=True, max_iterations=max_iterations, id=id)

    def foreach(
        self, item: Step | Workflow, *, concurrency: int = 1, id: str | None = None
    ) -> Self:
        body = self._wrap(item)
        return self._add(ForeachNode(id or f"foreach[{body.id}]", body, concurrency))

    def map(self, fn: Callable[..., Any], *, output: Any = None, id: str | None = None) -> Self:
        return self._add(MapNode(id or self._auto_id(NodeKind.MAP), fn, output))

    def sleep(self, duration: float | Callable[..., float], *, id: str | None = None) -> Self:
        node_id = id or self._auto_id(NodeKind.SLEEP)
        if callable(duration):
            return self._add(SleepNode(node_id, fn=duration))
        return self._add(SleepNode(node_id, seconds=duration))  # checked by commit()

    def sleep_until(
        self, when: datetime | Callable[..., datetime], *, id: str | None = None
    ) -> Self:
        node_id = id or self._auto_id(NodeKind.SLEEP_UNTIL)
        if callable(when):
            return self._add(SleepNode(node_id, fn=when, _fn_is_until=True))
        return self._add(SleepNode(node_id, until=when))

    def commit(self) -> Self:
        """Validate the whole definition, fix its version, and register it by id."""
        if self.committed:
            return self
        problems = checks.problems(self)
        if problems:
            listed = "\n  - ".join(problems)
            raise DefinitionError(
                f"workflow {self.id!r} cannot be committed:\n  - {listed}", problems=problems
            )
        self.committed = True
        self._index = {node.id: node for node in self.all_nodes()}
        self._positions = {node.id: index for index, node in enumerate(self.nodes)}
        self.version = self.explicit_version or self._fingerprint()
        COMMITTED[self.id] = self
        return self

    # -- reading ----------------------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        try:
            return self._index[node_id]
        except KeyError:
            raise DefinitionChanged(
                f"step {node_id!r} no longer exists in workflow {self.id!r} "
                f"(version {self.version}); it was removed or renamed by a deploy",
                step=node_id,
            ) from None

    def position(self, node_id: str) -> int | None:
        """Index of a top-level node in the sequence, None for nodes inside constructs."""
        return self._positions.get(node_id)

    def resolve(self, path: Sequence[str]) -> Node:
        """The node a path of ids names, descending through nested workflows."""
        if not path:
            raise DefinitionError("an empty path names no step")
        current: Workflow = self
        for depth, part in enumerate(path):
            node = current.node(part)
            if depth == len(path) - 1:
                return node
            nested = _nested_workflow(node)
            if nested is None:
                raise DefinitionChanged(
                    f"{'.'.join(path[: depth + 1])!r} is not a nested workflow in {self.id!r}",
                    step=".".join(path),
                )
            current = nested
        raise AssertionError("unreachable")

    def graph(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "description": self.description,
            "input": schemas.schema_name(self.input),
            "output": schemas.schema_name(self.output),
            "nodes": [node.describe() for node in self.nodes],
        }

    def steps(self) -> list[tuple[list[str], Step]]:
        """Every step with its path, outermost first, in definition order."""
        found: list[tuple[list[str], Step]] = []

        def walk(nodes: Iterable[Node], prefix: list[str]) -> None:
            for node in nodes:
                if isinstance(node, StepNode):
                    found.append(([*prefix, node.id], node.step))
                elif isinstance(node, WorkflowNode):
                    walk(node.workflow.nodes, [*prefix, node.id])
                else:
                    walk(node.children(), prefix)

        walk(self.nodes, [])
        return found

    def __repr__(self) -> str:
        return f"<Workflow {self.id} v{self.version or '?'}>"

    # -- internals --------------------------------------------------------------------------

    def _add(self, node: Node) -> Self:
        if self.committed:
            raise DefinitionError(
                f"workflow {self.id!r} is committed; build a new one to change it"
            )
        self.nodes.append(node)
        return self

    def _wrap(self, item: Step | Workflow | Node, node_id: str | None = None) -> Node:
        if isinstance(item, Node):
            return item
        if isinstance(item, Step):
            chosen = item if node_id is None else item.with_id(node_id)
            return StepNode(chosen.id, chosen)
        if isinstance(item, Workflow):
            return WorkflowNode(node_id or item.id, item)
        raise DefinitionError(
            f"workflow {self.id!r}: expected a step or a workflow, got {type(item).__name__}"
        )

    def _loop(
        self,
        item: Step | Workflow,
        condition: Callable[..., bool],
        *,
        until: bool,
        max_iterations: int,
        id: str | None,
    ) -> Self:
        body = self._wrap(item)
        kind = NodeKind.DOUNTIL if until else NodeKind.DOWHILE
        node = LoopNode(id or f"{kind}[{body.id}]", body, condition, until, max_iterations)
        return self._add(node)

    def _auto_id(self, kind: str) -> str:
        self._counters[kind] = self._counters.get(kind, 0) + 1
        return f"{kind}-{self._counters[kind]}"

    def all_nodes(self) -> list[Node]:
        """Every node, constructs and what they hold, outermost first."""
        found: list[Node] = []

        def walk(nodes: Iterable[Node]) -> None:
            for node in nodes:
                found.append(node)
                walk(node.children())

        walk(self.nodes)
        return found

    def _fingerprint(self) -> str:
        described = {"graph": self.graph(), "schemas": self._schema_documents()}
        encoded = json.dumps(described, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()[:12]

    def _schema_documents(self) -> dict[str, Any]:
        documents: dict[str, Any] = {
            "input": schemas.json_schema(self.input),
            "output": schemas.json_schema(self.output),
        }
        for path, found in self.steps():
            documents[".".join(path)] = {
                "input": schemas.json_schema(found.input),
                "output": schemas.json_schema(found.output),
                "suspend": schemas.json_schema(found.suspend),
                "resume": schemas.json_schema(found.resume),
            }
        return documents


def _nested_workflow(node: Node) -> Workflow | None:
    if isinstance(node, WorkflowNode):
        return node.workflow
    return None
