"""The statements every transition runs, written once as plain SQL.

Compiling an ORM query costs about four times as much as running it on
SQLite. Every step pays for the run lock, the run update, the guarded
completion, the next execution's insert and the events' insert, and the ORM's
share of them was most of the engine's per-step overhead (see
docs/benchmarks.md). So these statements bypass the query compiler. The
columns, converters and parameter preparation still come from the model's
metadata, so a field added to a model is picked up without touching this
module.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignKey, Model

from workflows.models import ExecutionStatus, StepExecution, WorkflowRun

_RUN_TABLE = WorkflowRun._meta.db_table
_EXECUTION_TABLE = StepExecution._meta.db_table
SMALL_INSERT = 999  # parameters every supported database takes in one statement
_PLAIN = {
    "CharField": str,
    "TextField": str,
    "IntegerField": int,
    "PositiveIntegerField": int,
    "BigIntegerField": int,
    "PositiveBigIntegerField": int,
    "SmallIntegerField": int,
    "PositiveSmallIntegerField": int,
    "BooleanField": bool,
}


def _db() -> BaseDatabaseWrapper:
    """The connection itself: each attribute read through ``django.db.connection`` costs a
    lookup of the thread's connection, and a step reads dozens of them."""
    return connections[DEFAULT_DB_ALIAS]


@cache
def _select(model: type[Model], vendor: str) -> tuple[str, list[str], list[Any]]:
    """A one-row SELECT's SQL, the attribute names it loads, and each column's converters.

    A run's graph stays deferred: no transition reads it.
    """
    db = _db()
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if f.name != "graph"]
    quote = db.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"SELECT {columns} FROM {quote(table)} WHERE {quote('id')} = %s"
    if model is WorkflowRun and db.features.has_select_for_update:
        sql += " FOR UPDATE"
    converted = []
    for field in fields:
        column = field.get_col(table)
        converted.append((column, db.ops.get_db_converters(column) + column.get_db_converters(db)))
    return sql, [f.attname for f in fields], converted


def _load(model: type[Model], key: Any) -> Any:
    db = _db()
    sql, names, converted = _select(model, db.vendor)
    with db.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, (column, converters) in zip(row, converted, strict=True):
        for convert in converters:
            value = convert(value, column, db)
        values.append(value)
    return model.from_db(db.alias, names, values)


def lock_run(run_id: Any) -> WorkflowRun:
    """Load the run and hold its row lock until the transaction ends (the graph stays deferred)."""
    pk = WorkflowRun._meta.pk.get_db_prep_value(_as_uuid(run_id), _db())
    run = _load(WorkflowRun, pk)
    if run is None:
        raise WorkflowRun.DoesNotExist(f"no run {run_id}")
    return run


def save_run(run: WorkflowRun, names: list[str]) -> None:
    """``run.save(update_fields=names)`` without the query compiler."""
    db = _db()
    fields = _fields(WorkflowRun, tuple(names))
    changes = [_prepared(field, field.pre_save(run, add=False), db) for field in fields]
    pk = WorkflowRun._meta.pk.get_db_prep_value(run.pk, db)
    _update(db, _RUN_TABLE, fields, changes, ("id",), [pk])


def finish_claimed(row: StepExecution, token: uuid.UUID, names: list[str]) -> bool:
    """Write a claimed row's fields if the claim is still ``token``; False if it was lost."""
    db = _db()
    fields = _fields(StepExecution, tuple(names))
    changes = [_prepared(field, getattr(row, field.attname), db) for field in fields]
    token_field = StepExecution._meta.get_field("claim_token")
    where = [row.pk, ExecutionStatus.RUNNING, token_field.get_db_prep_value(token, db)]
    return bool(
        _update(db, _EXECUTION_TABLE, fields, changes, ("id", "status", "claim_token"), where)
    )


@cache
def _insert_sql(
    model: type[Model], vendor: str
) -> tuple[str, str, str, list[Field], list[ForeignKey]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = _db().ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    keys = [f for f in fields if isinstance(f, ForeignKey)]
    return head, row, f" RETURNING {quote(model._meta.pk.column)}", fields, keys


def insert(objs: list[Model]) -> None:
    """``bulk_create(objs)`` of new rows of one model without the query compiler; sets each pk.

    One statement for all of them (a step's next execution, a transition's
    events), in batches only past the database's limit on parameters.
    """
    if not objs:
        return
    db = _db()
    head, row, tail, fields, keys = _insert_sql(type(objs[0]), db.vendor)
    size = len(objs)
    if size * len(fields) > SMALL_INSERT:
        size = max(1, db.ops.bulk_batch_size(fields, objs))
    for start in range(0, len(objs), size):
        batch = objs[start : start + size]
        for obj in batch:
            _take_related_keys(obj, keys)
        params = [
            _prepared(field, field.pre_save(obj, add=True), db) for obj in batch for field in fields
        ]
        with db.cursor() as cursor:
            cursor.execute(head + ", ".join([row] * len(batch)) + tail, params)
            ids = [found[0] for found in cursor.fetchall()]
        for obj, pk in zip(batch, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = db.alias


def _take_related_keys(obj: Model, keys: list[ForeignKey]) -> None:
    """A foreign key set to a row that was inserted after it was assigned takes its id now
    (an event about an execution inserted in the same transition), as ``save`` would."""
    for key in keys:
        if getattr(obj, key.attname) is None and key.is_cached(obj):
            related = key.get_cached_value(obj)
            if related is not None:
                if related.pk is None:
                    raise ValueError(f"{key.name} of a new {type(obj).__name__} is not saved")
                setattr(obj, key.attname, related.pk)


@cache
def _fields(model: type[Model], names: tuple[str, ...]) -> list[Field]:
    return [model._meta.get_field(name) for name in names]


def _prepared(field: Field, value: Any, db: BaseDatabaseWrapper) -> Any:
    """The value as the driver takes it.

    None is NULL for every field, and a plain ``str`` for a text field or ``int``
    for an integer field is what the field would hand the driver, so those skip
    the field's work (most of a step's values are one or the other).
    """
    if value is None or type(value) is _PLAIN.get(field.get_internal_type()):
        return value
    return field.get_db_prep_save(value, db)


@cache
def _update_sql(vendor: str, table: str, fields: tuple[Field, ...], where: tuple[str, ...]) -> str:
    quote = _db().ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    conditions = " AND ".join(f"{quote(column)} = %s" for column in where)
    return f"UPDATE {quote(table)} SET {assignments} WHERE {conditions}"


def _update(
    db: BaseDatabaseWrapper,
    table: str,
    fields: list[Field],
    changes: list[Any],
    where: tuple[str, ...],
    key: list[Any],
) -> int:
    with db.cursor() as cursor:
        cursor.execute(_update_sql(db.vendor, table, tuple(fields), where), [*changes, *key])
        return cursor.rowcount


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
