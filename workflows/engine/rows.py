"""The three statements every transition runs, written once as plain SQL.

Compiling an ORM query costs about four times as much as running it on
SQLite. Every step pays for the run lock, the run update and the guarded
completion, and together they were half of the engine's per-step overhead (see
docs/benchmarks.md). So these three statements bypass the query compiler. The
columns, converters and parameter preparation still come from the model's
metadata, so a field added to ``WorkflowRun`` is picked up without touching
this module.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Field

from workflows.models import ExecutionStatus, StepExecution, WorkflowRun

_RUN_TABLE = WorkflowRun._meta.db_table
_EXECUTION_TABLE = StepExecution._meta.db_table


@cache
def _run_select(vendor: str, for_update: bool) -> tuple[str, list[Field], list[list[Any]]]:
    fields = [f for f in WorkflowRun._meta.concrete_fields if f.name != "graph"]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"SELECT {columns} FROM {quote(_RUN_TABLE)} WHERE {quote('id')} = %s"
    if for_update:
        sql += " FOR UPDATE"
    converters = []
    for field in fields:
        column = field.get_col(_RUN_TABLE)
        converters.append(
            connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        )
    return sql, fields, converters


def lock_run(run_id: Any) -> WorkflowRun:
    """Load the run and hold its row lock until the transaction ends (the graph stays deferred)."""
    sql, fields, converters = _run_select(
        connection.vendor, connection.features.has_select_for_update
    )
    pk = WorkflowRun._meta.pk.get_db_prep_value(_as_uuid(run_id), connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        raise WorkflowRun.DoesNotExist(f"no run {run_id}")
    values = []
    for field, value, field_converters in zip(fields, row, converters, strict=True):
        column = field.get_col(_RUN_TABLE)
        for convert in field_converters:
            value = convert(value, column, connection)
        values.append(value)
    return WorkflowRun.from_db(connection.alias, [f.attname for f in fields], values)


def save_run(run: WorkflowRun, names: list[str]) -> None:
    """``run.save(update_fields=names)`` without the query compiler."""
    fields = [WorkflowRun._meta.get_field(name) for name in names]
    for field in fields:
        field.pre_save(run, add=False)  # auto_now fields set their value here
    _update(
        _RUN_TABLE,
        {
            field.column: field.get_db_prep_save(getattr(run, field.attname), connection)
            for field in fields
        },
        {"id": WorkflowRun._meta.pk.get_db_prep_value(run.pk, connection)},
    )


def finish_claimed(row: StepExecution, token: uuid.UUID, names: list[str]) -> bool:
    """Write a claimed row's fields if the claim is still ``token``; False if it was lost."""
    meta = StepExecution._meta
    changes = {
        meta.get_field(name).column: meta.get_field(name).get_db_prep_save(
            getattr(row, meta.get_field(name).attname), connection
        )
        for name in names
    }
    token_field = meta.get_field("claim_token")
    return bool(
        _update(
            _EXECUTION_TABLE,
            changes,
            {
                "id": row.pk,
                "status": ExecutionStatus.RUNNING,
                "claim_token": token_field.get_db_prep_value(token, connection),
            },
        )
    )


def _update(table: str, changes: dict[str, Any], where: dict[str, Any]) -> int:
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column)} = %s" for column in changes)
    conditions = " AND ".join(f"{quote(column)} = %s" for column in where)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(table)} SET {assignments} WHERE {conditions}",
            [*changes.values(), *where.values()],
        )
        return cursor.rowcount


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
