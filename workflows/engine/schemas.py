"""Schemas: any type Pydantic can validate, wrapped once so the engine handles them alike.

A step's input may be a model, a ``list[Model]`` (what ``foreach`` needs), a
``dict`` (what ``parallel`` produces) or a plain type; ``TypeAdapter`` covers all
of them with one API for validating, dumping to JSON and describing.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from workflows.engine.errors import SchemaMismatch


@cache
def adapter(schema: Any) -> TypeAdapter[Any]:
    return TypeAdapter(schema)


def validate(schema: Any, data: Any, *, what: str) -> Any:
    """Validate ``data`` (JSON-like or already typed) against ``schema``."""
    if schema is None:
        return data
    try:
        return adapter(schema).validate_python(data)
    except ValidationError as exc:
        raise SchemaMismatch(what, field_errors(exc)) from exc


_KEPT = "_handoff_validated"


def keep(holder: object, schema: Any, value: Any, dumped: Any) -> None:
    """Remember on ``holder`` (a row) that ``dumped`` is ``value`` validated against ``schema``.

    A step's input is validated when its row is made, and the worker that runs
    the row builds the typed input from the same JSON again. When that worker
    is this process (the next step of a chain, taken inline), ``validated``
    hands back the object the first validation built instead.
    """
    setattr(holder, _KEPT, (schema, dumped, value))


def validated(holder: object, schema: Any, data: Any, *, what: str) -> Any:
    """``validate(schema, data)``, or the value ``keep`` remembered for exactly this data."""
    kept = getattr(holder, _KEPT, None)
    if kept is not None and kept[0] is schema and kept[1] is data:
        return kept[2]
    return validate(schema, data, what=what)


def dump(schema: Any, value: Any) -> Any:
    """The JSON form stored in the database and shown to people."""
    if value is None:
        return None
    if schema is None:
        return to_json(value)
    return adapter(schema).dump_python(value, mode="json")


def to_json(value: Any) -> Any:
    """JSON form of a value whose schema is not known (bail results, emitted data)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return TypeAdapter(type(value)).dump_python(value, mode="json")


def json_schema(schema: Any) -> dict[str, Any] | None:
    if schema is None:
        return None
    try:
        return adapter(schema).json_schema()
    except Exception:  # a type with no JSON schema still serialises as its name
        return {"title": getattr(schema, "__name__", repr(schema))}


def schema_name(schema: Any) -> str:
    if schema is None:
        return "any"
    return getattr(schema, "__name__", None) or repr(schema)


VALIDATOR_PREFIXES = ("Value error, ", "Assertion failed, ")


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic's errors as ``[{"field": "a.b", "message": "..."}]`` for people and APIs.

    A validator's own message is given in its author's words: Pydantic's
    "Value error, " before it says nothing to the person who has to fix the data.
    """
    errors = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error.get("loc", ())) or "(root)"
        message = error.get("msg", "invalid")
        for prefix in VALIDATOR_PREFIXES:
            message = message.removeprefix(prefix)
        errors.append({"field": location, "message": message})
    return errors


def fields_of(schema: Any) -> set[str] | None:
    """Field names a model requires, or None when that cannot be known."""
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return {name for name, info in schema.model_fields.items() if info.is_required()}
    return None


def provided_fields(schema: Any) -> set[str] | None:
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return set(schema.model_fields)
    return None
