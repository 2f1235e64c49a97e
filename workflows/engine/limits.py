"""What the engine agrees to store: data every database keeps, within sizes people can watch.

Pydantic accepts any Python string, but PostgreSQL refuses NUL characters and
unpaired surrogates (a raw ``DataError``) while SQLite stores them and then
every page that shows them fails to encode. Non-finite floats are refused by
``jsonb``, and integers beyond 64 bits are not portable JSON. So data is checked
here, once, before anything is written, and the refusal names the field.

Sizes are counted as the UTF-8 bytes of compact JSON, computed in Python, so a
limit means the same on SQLite and PostgreSQL. The defaults are documented in
README.md ("Configuration") and docs/engine.md ("Limits").
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from workflows.engine import conf
from workflows.engine.errors import PayloadTooLarge, SchemaMismatch

MAX_DEPTH = 64
MAX_INT = 2**63 - 1  # ids and counts (arguments.py)
# Data: as large as a float can be. PostgreSQL's jsonb gives a float such as 1e308
# back as the 309-digit integer, so that must stay storable; Python refuses to
# write integers of more than 4300 digits as JSON at all.
MAX_DATA_INT = 10**310

# setting name -> (default in bytes, what it bounds), from workflows/engine/conf.py
LIMITS: dict[str, tuple[int, str]] = {
    setting.name: (setting.default, setting.doc) for setting in conf.SIZE_LIMITS
}

Path = tuple[str | int, ...]


def limit(name: str) -> int:
    """The configured limit in bytes for one of :data:`LIMITS`."""
    return int(conf.BY_NAME[name].get())


def field_name(path: Path) -> str:
    """``a.b.0`` as in Pydantic's errors; ``(root)`` for the value itself."""
    return ".".join(shown(str(part)) for part in path) or "(root)"


def shown(text: str) -> str:
    """Text safe to put in a message or a JSON answer: bad characters written as escapes."""
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def text_problem(text: str) -> str | None:
    """Why a string cannot be stored on every database, or None."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (\\ud800-\\udfff), which cannot be stored"
    return None


def _scalar_problem(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, int):
        return None if abs(value) < MAX_DATA_INT else "is an integer of more than 310 digits"
    if isinstance(value, float):
        return None if math.isfinite(value) else "is not a finite number (NaN or infinity)"
    return f"is a {type(value).__name__}, which is not JSON"


def _children(value: Any, path: Path) -> Iterator[tuple[Any, Path, str | None]]:
    """Each child with its path, and a problem with its key if there is one."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                yield item, (*path, str(key)), "has a key that is not text"
                continue
            yield item, (*path, key), text_problem(key) and f"has a key that {text_problem(key)}"
    else:
        for index, item in enumerate(value):
            yield item, (*path, index), None


def problems(value: Any, *, first_only: bool = True, strict: bool = True) -> list[dict[str, str]]:
    """Every place (or the first) where ``value`` holds what no database stores.

    Walks with an explicit stack, in document order, so deep nesting is
    reported rather than raising a RecursionError. ``strict=False`` is for data
    before validation: objects that are not JSON (models, dates) are left to the
    schema, and only text, keys, numbers and depth are looked at.
    """
    found: list[dict[str, str]] = []
    stack: list[tuple[Any, Path, str | None]] = [(value, (), None)]
    while stack and not (first_only and found):
        item, path, problem = stack.pop()
        if problem is None and len(path) > MAX_DEPTH:
            path, problem = path[:MAX_DEPTH], f"nests more than {MAX_DEPTH} levels deep"
        if problem is None and not isinstance(item, dict | list | tuple):
            known = item is None or isinstance(item, str | int | float)
            problem = _scalar_problem(item) if strict or known else None
        if problem is not None:
            found.append({"field": field_name(path), "message": problem})
        elif isinstance(item, dict | list | tuple):
            stack.extend(reversed(list(_children(item, path))))
    return found


def check_depth(value: Any, *, what: str, error: type[SchemaMismatch]) -> None:
    """Refuse what Pydantic cannot even read, before it sees it: naming the field.

    Pydantic and ``json`` recurse, so deep nesting would raise a raw
    ``RecursionError`` or ``ValueError``, and a dict key with a lone surrogate a
    raw ``UnicodeEncodeError`` when the data is dumped.
    """
    found = problems(value, strict=False)
    if found:
        raise error(what, found)


def json_bytes(value: Any) -> int:
    """Size as stored: UTF-8 bytes of compact JSON (call after :func:`problems` found none)."""
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return len(encoded.encode("utf-8"))


def check(
    value: Any,
    *,
    what: str,
    error: type[SchemaMismatch],
    limit_name: str | None = None,
    prefix: str = "",
) -> None:
    """Refuse ``value`` unless every database stores it alike and it fits its limit.

    ``error`` is the refusal that names the field (``InvalidInput``,
    ``InvalidResumeData``...); ``prefix`` is put before field names (``data.``).
    """
    found = problems(value)
    if found:
        for entry in found:
            entry["field"] = _prefixed(prefix, entry["field"])
        raise error(what, found)
    if limit_name is not None:
        check_size(value, what=what, limit_name=limit_name)


def _prefixed(prefix: str, field: str) -> str:
    if not prefix:
        return field
    return prefix.rstrip(".") if field == "(root)" else prefix + field


def check_size(value: Any, *, what: str, limit_name: str) -> None:
    allowed = limit(limit_name)
    size = json_bytes(value)
    if size > allowed:
        raise PayloadTooLarge(
            f"{what} is {size:,} bytes as JSON; the limit is {allowed:,} ({limit_name}). "
            "Send less, or keep large documents elsewhere and pass a reference to them",
            limit=allowed,
            size=size,
        )


def sanitized(value: Any, depth: int = 0) -> Any:
    """A storable copy of what the engine writes about failures (messages, tracebacks).

    An exception's message may quote the very data that could not be stored; the
    failure must still be recorded, so bad characters become visible escapes.
    """
    if isinstance(value, str):
        return shown(value)
    if depth > MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        return {shown(str(key)): sanitized(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [sanitized(item, depth + 1) for item in value]
    if _scalar_problem(value) is None:
        return value
    return shown(repr(value))
