"""The definition language: typed steps and a fluent workflow builder.

A workflow is a sequence of nodes. A node is a step, a nested workflow, or a
control-flow construct holding other nodes. Node ids are unique within one
workflow, so a path of ids (outermost first) names any step of any nesting
depth, and stays valid when a deploy inserts or reorders other steps.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import GenericAlias
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeGuard, TypeVar, overload

from pydantic import BaseModel

from workflows.engine import schemas
from workflows.engine.errors import DefinitionChanged, DefinitionError
from workflows.engine.kinds import NodeKind
from workflows.engine.limits import problems as problems_in
from workflows.engine.limits import text_problem

if TYPE_CHECKING:
    from workflows.engine.context import StepContext

InputT = TypeVar("InputT")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-:|\[\]]{0,119}$")
DEFAULT_STEP_TIMEOUT = 300.0
VERSION_MAX = 64  # WorkflowRun.definition_version


@dataclass(frozen=True)
class Backoff:
    """Delay before retry ``n`` (1-based): ``initial * factor**(n-1)``, capped at ``maximum``."""

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 300.0

    def delay(self, retry_number: int) -> float:
        return min(self.maximum, self.initial * self.factor ** max(0, retry_number - 1))


@dataclass(frozen=True, eq=False)
class Step:
    """A typed unit of work. ``fn(ctx)`` returns the output or calls ``ctx.suspend``/``ctx.bail``.

    ``retries`` counts extra attempts after the first failure; ``timeout`` bounds
    one attempt (its lease), after which the attempt counts as failed.
    """

    id: str
    fn: Callable[..., Any]
    input: Any = None
    output: Any = None
    suspend: Any = None
    resume: Any = None
    retries: int = 0
    backoff: Backoff = field(default_factory=Backoff)
    timeout: float = DEFAULT_STEP_TIMEOUT
    description: str = ""

    def with_id(self, new_id: str) -> Step:
        """The same step under another id, to use it twice in one workflow."""
        return replace(self, id=new_id)

    @property
    def can_suspend(self) -> bool:
        return self.suspend is not None or self.resume is not None


StepFunction = Callable[["StepContext[InputT]"], Any]


@overload
def step(
    fn: Callable[..., Any],
    /,
    *,
    id: str | None = None,
    input: Any = None,
    output: Any = None,
    suspend: Any = None,
    resume: Any = None,
    retries: int = 0,
    backoff: Backoff | None = None,
    timeout: float = DEFAULT_STEP_TIMEOUT,
    description: str | None = None,
) -> Step: ...


@overload
def step(
    *,
    id: str | None = None,
    input: type[InputT],
    output: Any = None,
    suspend: Any = None,
    resume: Any = None,
    retries: int = 0,
    backoff: Backoff | None = None,
    timeout: float = DEFAULT_STEP_TIMEOUT,
    description: str | None = None,
) -> Callable[[StepFunction[InputT]], Step]: ...


@overload
def step(
    *,
    id: str | None = None,
    input: None = None,
    output: Any = None,
    suspend: Any = None,
    resume: Any = None,
    retries: int = 0,
    backoff: Backoff | None = None,
    timeout: float = DEFAULT_STEP_TIMEOUT,
    description: str | None = None,
) -> Callable[[Callable[..., Any]], Step]: ...


def step(
    fn: Callable[..., Any] | None = None,
    *,
    id: str | None = None,
    input: Any = None,
    output: Any = None,
    suspend: Any = None,
    resume: Any = None,
    retries: int = 0,
    backoff: Backoff | None = None,
    timeout: float = DEFAULT_STEP_TIMEOUT,
    description: str | None = None,
) -> Step | Callable[[Callable[..., Any]], Step]:
    """Decorator turning ``def fn(ctx) -> Output`` into a :class:`Step`.

    The overloads let a type checker hold ``input=`` against the annotation of
    ``ctx``: ``@step(input=Brief)`` on ``def f(ctx: StepContext[Other])`` is an
    error in the author's editor, and ``ctx.input`` completes as a ``Brief``.
    """

    def build(func: Callable[..., Any]) -> Step:
        return Step(
            id=id or func.__name__,
            fn=func,
            input=input,
            output=output,
            suspend=suspend,
            resume=resume,
            retries=retries,
            backoff=backoff or Backoff(),
            timeout=timeout,
            description=description if description is not None else (func.__doc__ or "").strip(),
        )

    return build(fn) if fn is not None else build


# --- nodes ------------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    id: str
    kind: ClassVar[str] = "node"

    @property
    def input_schema(self) -> Any:
        return None

    @property
    def output_schema(self) -> Any:
        return None

    def children(self) -> Sequence[Node]:
        return ()

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind}


@dataclass(eq=False)
class StepNode(Node):
    step: Step = field(default=None)  # type: ignore[assignment]
    kind: ClassVar[str] = NodeKind.STEP

    @property
    def input_schema(self) -> Any:
        return self.step.input

    @property
    def output_schema(self) -> Any:
        return self.step.output

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "description": self.step.description,
            "input": schemas.schema_name(self.step.input),
            "output": schemas.schema_name(self.step.output),
            "suspend": schemas.schema_name(self.step.suspend) if self.step.suspend else None,
            "resume": schemas.schema_name(self.step.resume) if self.step.resume else None,
            "can_suspend": self.step.can_suspend,
            "retries": self.step.retries,
            "timeout": self.step.timeout,
        }


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


@dataclass(eq=False)
class ParallelNode(Node):
    branches: tuple[Node, ...] = ()
    allow_failure: bool = False
    kind: ClassVar[str] = NodeKind.PARALLEL

    def children(self) -> Sequence[Node]:
        return self.branches

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "allow_failure": self.allow_failure,
            "branches": [child.describe() for child in self.branches],
        }


@dataclass(eq=False)
class BranchNode(Node):
    cases: tuple[tuple[Callable[..., bool], Node], ...] = ()
    kind: ClassVar[str] = NodeKind.BRANCH

    def children(self) -> Sequence[Node]:
        return [node for _, node in self.cases]

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "cases": [
                {"condition": _callable_name(cond), "node": node.describe()}
                for cond, node in self.cases
            ],
        }


@dataclass(eq=False)
class LoopNode(Node):
    """``dowhile`` repeats while the condition holds; ``dountil`` until it does."""

    body: Node = field(default=None)  # type: ignore[assignment]
    condition: Callable[..., bool] = field(default=None)  # type: ignore[assignment]
    until: bool = False
    max_iterations: int = 100

    @property
    def kind(self) -> str:  # type: ignore[override]
        return NodeKind.DOUNTIL if self.until else NodeKind.DOWHILE

    @property
    def input_schema(self) -> Any:
        return self.body.input_schema

    @property
    def output_schema(self) -> Any:
        return self.body.output_schema

    def children(self) -> Sequence[Node]:
        return (self.body,)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "condition": _callable_name(self.condition),
            "max_iterations": self.max_iterations,
            "body": self.body.describe(),
        }


@dataclass(eq=False)
class ForeachNode(Node):
    body: Node = field(default=None)  # type: ignore[assignment]
    concurrency: int = 1
    kind: ClassVar[str] = NodeKind.FOREACH

    @property
    def input_schema(self) -> Any:
        inner = self.body.input_schema
        return GenericAlias(list, (inner,)) if inner is not None else list

    @property
    def output_schema(self) -> Any:
        inner = self.body.output_schema
        return GenericAlias(list, (inner,)) if inner is not None else list

    def children(self) -> Sequence[Node]:
        return (self.body,)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "concurrency": self.concurrency,
            "body": self.body.describe(),
        }


@dataclass(eq=False)
class MapNode(Node):
    fn: Callable[..., Any] = field(default=None)  # type: ignore[assignment]
    output: Any = None
    kind: ClassVar[str] = NodeKind.MAP

    @property
    def output_schema(self) -> Any:
        return self.output

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "fn": _callable_name(self.fn),
            "output": schemas.schema_name(self.output),
        }


@dataclass(eq=False)
class SleepNode(Node):
    """A durable timer. Passes its input through unchanged."""

    seconds: float | None = None
    until: datetime | None = None
    fn: Callable[..., Any] | None = None

    @property
    def kind(self) -> str:  # type: ignore[override]
        return (
            NodeKind.SLEEP_UNTIL if self.until is not None or self._fn_is_until else NodeKind.SLEEP
        )

    _fn_is_until: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "seconds": self.seconds,
            "until": self.until.isoformat() if self.until else None,
            "fn": _callable_name(self.fn) if self.fn else None,
        }


Item = Step | Node  # what builder methods accept; a Workflow is wrapped separately


def _callable_name(fn: Callable[..., Any] | None) -> str:
    if fn is None:
        return ""
    return getattr(fn, "__qualname__", None) or repr(fn)


# --- the workflow builder -----------------------------------------------------------------


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
        from workflows.engine import registry

        if self.committed:
            return self
        problems = self._problems()
        if problems:
            listed = "\n  - ".join(problems)
            raise DefinitionError(
                f"workflow {self.id!r} cannot be committed:\n  - {listed}", problems=problems
            )
        self.committed = True
        self._index = {node.id: node for node in self._all_nodes()}
        self._positions = {node.id: index for index, node in enumerate(self.nodes)}
        self.version = self.explicit_version or self._fingerprint()
        registry.register(self)
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

    def _all_nodes(self) -> list[Node]:
        found: list[Node] = []

        def walk(nodes: Iterable[Node]) -> None:
            for node in nodes:
                found.append(node)
                walk(node.children())

        walk(self.nodes)
        return found

    def _problems(self) -> list[str]:
        problems: list[str] = []
        if not ID_PATTERN.match(self.id or ""):
            problems.append(f"workflow id {self.id!r} must be letters, digits, '-', '_' or ':'")
        if not self.nodes:
            problems.append("it has no steps; add one with .then(step)")
            return problems
        seen: set[str] = set()
        for node in self._all_nodes():
            problems.extend(_node_problems(node))
            if node.id in seen:
                problems.append(
                    f"duplicate id {node.id!r}; use step.with_id('other-id') for a second use"
                )
            seen.add(node.id)
        problems.extend(self._flow_problems())
        problems.extend(self._storable_problems())
        return problems

    def _storable_problems(self) -> list[str]:
        """The graph and version are stored with every run: they must fit every database."""
        version = self.explicit_version
        if version is not None and (
            not isinstance(version, str)
            or not 0 < len(version) <= VERSION_MAX
            or text_problem(version)
        ):
            return [f"version must be text of 1 to {VERSION_MAX} characters (got {version!r})"]
        try:
            found = problems_in(self.graph())
        except (TypeError, ValueError, AttributeError) as exc:
            return [f"its description cannot be stored: {exc}"]
        return [
            f"its description cannot be stored: {item['field']} {item['message']}" for item in found
        ]

    def _flow_problems(self) -> list[str]:
        problems: list[str] = []
        previous_schema, previous_name = self.input, "the workflow input"
        for node in self.nodes:
            problems.extend(_feed_problems(previous_schema, previous_name, node))
            if isinstance(node, LoopNode):
                problems.extend(
                    _feed_problems(node.body.output_schema, f"{node.body.id!r} output", node.body)
                )
            previous_schema, previous_name = _output_after(node), f"{node.id!r} output"
        if self.output is not None:
            missing = _missing_fields(previous_schema, self.output)
            if missing:
                problems.append(
                    f"the last node's output ({schemas.schema_name(previous_schema)}) lacks "
                    f"{sorted(missing)} required by the workflow output "
                    f"{schemas.schema_name(self.output)}"
                )
        return problems

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


def _node_problems(node: Node) -> list[str]:
    problems = []
    if not ID_PATTERN.match(node.id or ""):
        problems.append(
            f"id {node.id!r} must start with a letter or digit and use only letters, digits, "
            "'-', '_', ':', '|', '[' or ']' ('.' separates path parts)"
        )
    if isinstance(node, ParallelNode) and not node.branches:
        problems.append(f"{node.id!r}: parallel() needs at least one step")
    if isinstance(node, BranchNode):
        if not node.cases:
            problems.append(f"{node.id!r}: branch() needs at least one (condition, step) case")
        problems.extend(
            f"{node.id!r}: the condition for {case.id!r} is not callable"
            for cond, case in node.cases
            if not callable(cond)
        )
    if isinstance(node, LoopNode):
        if not callable(node.condition):
            problems.append(f"{node.id!r}: the loop condition is not callable")
        problems.extend(_count_problem(node.id, "max_iterations", node.max_iterations))
    if isinstance(node, ForeachNode):
        problems.extend(_count_problem(node.id, "concurrency", node.concurrency))
    if isinstance(node, MapNode) and not callable(node.fn):
        problems.append(f"{node.id!r}: map() needs a function")
    if isinstance(node, SleepNode):
        problems.extend(_sleep_problems(node))
    if isinstance(node, WorkflowNode) and not node.workflow.committed:
        problems.append(
            f"{node.id!r}: nested workflow {node.workflow.id!r} must be committed first"
        )
    if isinstance(node, StepNode):
        problems.extend(_step_problems(node))
    return problems


MAX_STEP_TIMEOUT = 366 * 86400.0  # a lease must be a date the database can hold
MAX_SLEEP_SECONDS = 100 * 365 * 86400.0


def _is_number(value: Any) -> TypeGuard[float]:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _count_problem(node_id: str, name: str, value: Any) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return [f"{node_id!r}: {name} must be at least 1, as a whole number (got {value!r})"]
    return []


def _step_problems(node: StepNode) -> list[str]:
    found, step = [], node.step
    if not callable(step.fn):
        found.append(f"{node.id!r}: the step has no function")
    retries = step.retries
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        found.append(f"{node.id!r}: retries must be a whole number, 0 or more (got {retries!r})")
    if not _is_number(step.timeout) or not 0 < step.timeout <= MAX_STEP_TIMEOUT:
        found.append(
            f"{node.id!r}: timeout must be seconds, more than 0 and at most "
            f"{MAX_STEP_TIMEOUT:g} (got {step.timeout!r})"
        )
    backoff = step.backoff
    numbers = (backoff.initial, backoff.factor, backoff.maximum)
    if not isinstance(backoff, Backoff) or not all(_is_number(n) and n >= 0 for n in numbers):
        found.append(f"{node.id!r}: backoff needs finite numbers of seconds, 0 or more")
    return found


def _sleep_problems(node: SleepNode) -> list[str]:
    if node.fn is not None:
        return [] if callable(node.fn) else [f"{node.id!r}: the sleep function is not callable"]
    if node.until is not None:
        if isinstance(node.until, datetime):
            return []
        return [f"{node.id!r}: sleep_until takes a datetime or a function returning one"]
    if not _is_number(node.seconds) or not 0 <= node.seconds <= MAX_SLEEP_SECONDS:
        return [
            f"{node.id!r}: a sleep takes seconds from 0 to {MAX_SLEEP_SECONDS:g}, or a "
            f"function returning them (got {node.seconds!r})"
        ]
    return []


def _output_after(node: Node) -> Any:
    if isinstance(node, ParallelNode | BranchNode):
        return _ParallelOutput(tuple(child.id for child in node.children()))
    if isinstance(node, SleepNode):
        return _PASSTHROUGH
    return node.output_schema


@dataclass(frozen=True)
class _ParallelOutput:
    """Stands for ``{branch_id: output}`` while checking how outputs feed inputs."""

    keys: tuple[str, ...]


_PASSTHROUGH = object()


def _feed_problems(source: Any, source_name: str, node: Node) -> list[str]:
    target = node.input_schema
    if isinstance(node, ParallelNode | BranchNode):
        problems = []
        for child in node.children():
            problems.extend(_feed_problems(source, source_name, child))
        return problems
    if isinstance(node, ForeachNode):
        if _is_model(source):
            return [
                f"{node.id!r}: foreach needs a list, but {source_name} is "
                f"{schemas.schema_name(source)} (reshape it with .map())"
            ]
        return []
    if target is None or source is None or source is _PASSTHROUGH:
        return []
    missing = _missing_fields(source, target)
    if missing:
        return [
            f"{node.id!r} needs {sorted(missing)} in its input "
            f"({schemas.schema_name(target)}), which {source_name} "
            f"({_source_label(source)}) does not provide"
        ]
    return []


def _missing_fields(source: Any, target: Any) -> set[str]:
    required = schemas.fields_of(target)
    if required is None:
        return set()
    if isinstance(source, _ParallelOutput):
        return required - set(source.keys)
    provided = schemas.provided_fields(source)
    if provided is None:
        return set()
    return required - provided


def _source_label(source: Any) -> str:
    if isinstance(source, _ParallelOutput):
        return "{" + ", ".join(source.keys) + "}"
    return schemas.schema_name(source)


def _is_model(schema: Any) -> bool:
    return isinstance(schema, type) and issubclass(schema, BaseModel)
