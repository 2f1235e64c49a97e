"""The run API's arguments, checked at the boundary.

Programs, views, commands and admin actions call the run API with whatever they
were given. A wrong type must be a refusal that names the argument
(``InvalidArgument``, 400), never a ``TypeError`` from deep inside, and never a
value that one database stores and another refuses.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import Any

from workflows.engine import limits
from workflows.engine.errors import InvalidArgument

PATH_MAX = 500  # StepExecution.path_key
TEXT_MAX = 4000


def path(value: Any, name: str = "path") -> list[str]:
    """A step path: ``"a.b"`` or ``["a", "b"]``, each part non-empty text."""
    if isinstance(value, str):
        parts = [part for part in value.split(".") if part]
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        if not all(isinstance(part, str) and part for part in value):
            raise InvalidArgument(name, "must be a dotted path or a list of step ids (text)")
        parts = list(value)
    else:
        raise InvalidArgument(name, "must be a dotted path ('review') or a list of step ids")
    joined = ".".join(parts)
    if not parts:
        raise InvalidArgument(name, "must name a step")
    _text(joined, name, PATH_MAX)
    return parts


def optional_path(value: Any, name: str = "path") -> list[str] | None:
    return None if value is None else path(value, name)


def text(value: Any, name: str, *, max_chars: int = TEXT_MAX) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(name, "must be text")
    return _text(value, name, max_chars)


def optional_text(value: Any, name: str, *, max_chars: int = TEXT_MAX) -> str | None:
    return None if value is None else text(value, name, max_chars=max_chars)


def _text(value: str, name: str, max_chars: int) -> str:
    if len(value) > max_chars:
        raise InvalidArgument(name, f"is longer than {max_chars:,} characters")
    problem = limits.text_problem(value)
    if problem:
        raise InvalidArgument(name, problem)
    return value


def whole_number(value: Any, name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(name, "must be a whole number")
    if value < minimum:
        raise InvalidArgument(name, f"must be {minimum} or more")
    if value > limits.MAX_INT:
        raise InvalidArgument(name, "is larger than any id or count")
    return int(value)


def optional_whole_number(value: Any, name: str, *, minimum: int = 0) -> int | None:
    return None if value is None else whole_number(value, name, minimum=minimum)


def seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidArgument(name, "must be a number of seconds")
    if value < 0:
        raise InvalidArgument(name, "must be 0 or more")
    return float(value)


def optional_seconds(value: Any, name: str) -> float | None:
    return None if value is None else seconds(value, name)


def identifier(value: Any, name: str) -> uuid.UUID | None:
    """A UUID argument (a suspension id); None when absent."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise InvalidArgument(name, "must be an id (a UUID)")


def choices(value: Any, name: str, allowed: Sequence[str]) -> list[str]:
    """One allowed value, or a list of them."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple | set | frozenset) or not all(
        isinstance(item, str) for item in values
    ):
        raise InvalidArgument(name, f"must be one of {', '.join(allowed)}, or a list of them")
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise InvalidArgument(
            name, f"has unknown values {', '.join(unknown)} (known: {', '.join(allowed)})"
        )
    return list(values)


def mapping(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidArgument(name, "must be a JSON object (a dict)")
    return value
