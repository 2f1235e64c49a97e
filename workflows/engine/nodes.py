"""The nodes a workflow is made of: typed steps, and the constructs that hold other nodes.

A node is a step, a map, a sleep, or a control-flow construct (parallel,
branch, loop, foreach) holding other nodes; a nested workflow's node is in
``builder.py`` beside the workflow it wraps. Each node describes itself for
the stored graph and reports its own problems, which ``commit()`` lists.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import GenericAlias
from typing import TYPE_CHECKING, Any, ClassVar, TypeGuard, TypeVar, overload

from workflows.engine import schemas
from workflows.engine.kinds import NodeKind

if TYPE_CHECKING:
    from workflows.engine.context import StepContext

InputT = TypeVar("InputT")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-:|\[\]]{0,119}$")
DEFAULT_STEP_TIMEOUT = 300.0
MAX_STEP_TIMEOUT = 366 * 86400.0  # a lease must be a date the database can hold
MAX_SLEEP_SECONDS = 100 * 365 * 86400.0


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

    def problems(self) -> list[str]:
        """What is wrong with this node by itself; ``commit()`` lists them all."""
        if ID_PATTERN.match(self.id or ""):
            return []
        return [
            f"id {self.id!r} must start with a letter or digit and use only letters, digits, "
            "'-', '_', ':', '|', '[' or ']' ('.' separates path parts)"
        ]


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

    def problems(self) -> list[str]:
        found, step = super().problems(), self.step
        if not callable(step.fn):
            found.append(f"{self.id!r}: the step has no function")
        retries = step.retries
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            found.append(
                f"{self.id!r}: retries must be a whole number, 0 or more (got {retries!r})"
            )
        if not _is_number(step.timeout) or not 0 < step.timeout <= MAX_STEP_TIMEOUT:
            found.append(
                f"{self.id!r}: timeout must be seconds, more than 0 and at most "
                f"{MAX_STEP_TIMEOUT:g} (got {step.timeout!r})"
            )
        backoff = step.backoff
        numbers = (backoff.initial, backoff.factor, backoff.maximum)
        if not isinstance(backoff, Backoff) or not all(_is_number(n) and n >= 0 for n in numbers):
            found.append(f"{self.id!r}: backoff needs finite numbers of seconds, 0 or more")
        return found


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

    def problems(self) -> list[str]:
        found = super().problems()
        if not self.branches:
            found.append(f"{self.id!r}: parallel() needs at least one step")
        return found


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

    def problems(self) -> list[str]:
        found = super().problems()
        if not self.cases:
            found.append(f"{self.id!r}: branch() needs at least one (condition, step) case")
        found.extend(
            f"{self.id!r}: the condition for {case.id!r} is not callable"
            for cond, case in self.cases
            if not callable(cond)
        )
        return found


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

    def problems(self) -> list[str]:
        found = super().problems()
        if not callable(self.condition):
            found.append(f"{self.id!r}: the loop condition is not callable")
        return found + _count_problem(self.id, "max_iterations", self.max_iterations)


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

    def problems(self) -> list[str]:
        return super().problems() + _count_problem(self.id, "concurrency", self.concurrency)


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

    def problems(self) -> list[str]:
        found = super().problems()
        if not callable(self.fn):
            found.append(f"{self.id!r}: map() needs a function")
        return found


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

    def problems(self) -> list[str]:
        return super().problems() + self._timing_problems()

    def _timing_problems(self) -> list[str]:
        if self.fn is not None:
            return [] if callable(self.fn) else [f"{self.id!r}: the sleep function is not callable"]
        if self.until is not None:
            if isinstance(self.until, datetime):
                return []
            return [f"{self.id!r}: sleep_until takes a datetime or a function returning one"]
        if not _is_number(self.seconds) or not 0 <= self.seconds <= MAX_SLEEP_SECONDS:
            return [
                f"{self.id!r}: a sleep takes seconds from 0 to {MAX_SLEEP_SECONDS:g}, or a "
                f"function returning them (got {self.seconds!r})"
            ]
        return []


def _callable_name(fn: Callable[..., Any] | None) -> str:
    if fn is None:
        return ""
    return getattr(fn, "__qualname__", None) or repr(fn)


def _is_number(value: Any) -> TypeGuard[float]:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _count_problem(node_id: str, name: str, value: Any) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return [f"{node_id!r}: {name} must be at least 1, as a whole number (got {value!r})"]
    return []
