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

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import DateField, Field, ForeignKey, Model

from workflows.models import ExecutionStatus, RunEvent, RunStatus, StepExecution, WorkflowRun

_RUN_TABLE = WorkflowRun._meta.db_table
_EXECUTION_TABLE = StepExecution._meta.db_table
M = TypeVar("M", bound=Model)
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
def _select(model: type[Model], vendor: str, where: str) -> tuple[str, list[str], list[Any]]:
    """A one-row SELECT's SQL, the attribute names it loads, and each column's converters.

    ``where`` is ``"id"`` (by primary key) or ``"execution"`` (the run an
    execution belongs to). A run's graph stays deferred: no transition reads it.
    """
    db = _db()
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if f.name != "graph"]
    quote = db.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    key = "%s"
    if where == "execution":
        key = f"(SELECT {quote('run_id')} FROM {quote(_EXECUTION_TABLE)} WHERE {quote('id')} = %s)"
    sql = f"SELECT {columns} FROM {quote(table)} WHERE {quote('id')} = {key}"
    if model is WorkflowRun and db.features.has_select_for_update:
        sql += " FOR UPDATE"
    converted = []
    for field in fields:
        column = field.get_col(table)
        converted.append((column, db.ops.get_db_converters(column) + column.get_db_converters(db)))
    return sql, [f.attname for f in fields], converted


class _Cursors(threading.local):
    """The cursor of the engine's last statement, kept for its next ones.

    Each statement used to open and close a Django cursor, and that cost as much
    as SQLite running the statement. A cursor is reused only on the same driver
    connection (a closed connection's successor gets a new one) and with the
    same query logging (a test that captures queries gets a logging cursor of
    its own). A worker's one-statement commit runs outside a transaction, so
    the cursor is kept across transactions too.
    """

    key: tuple[Any, bool] | None = None
    cursor: CursorWrapper | None = None

    def get(self, db: BaseDatabaseWrapper) -> CursorWrapper:
        key = (db.connection, db.queries_logged)
        if self.cursor is None or self.key != key:
            self.cursor = _open_cursor(db)
            self.key = key
        return self.cursor


_cursors = _Cursors()


def _open_cursor(db: BaseDatabaseWrapper) -> CursorWrapper:
    """A Django cursor; on PostgreSQL one that binds parameters on the server.

    Django binds on the client, so every statement reaches the server as new
    text to parse and plan. These statements run thousands of times with the
    same text; bound on the server, psycopg prepares each one once it has run
    ``prepare_threshold`` times on the connection (``config/env.py``), and a
    step on PostgreSQL got about 30 % faster (docs/benchmarks.md). It is a
    ``RawCursor``, which takes the statement as ``_numbered`` writes it. The wrapper
    is Django's, so query logging and execute wrappers still see the statements.
    """
    if db.vendor != "postgresql":
        return db.cursor()
    # Imported here so that a SQLite process never loads the driver (docs/benchmarks.md,
    # "What importing a driver cost the SQLite stream").
    import psycopg

    db.ensure_connection()
    db.validate_thread_sharing()
    raw: Any = psycopg.RawCursor(db.connection)  # django-stubs call the driver's cursor a wrapper
    return _LoggedCursor(raw, db) if db.queries_logged else db.make_cursor(raw)


class _LoggedCursor(CursorDebugWrapper):
    """Django's query-logging cursor, logging each statement as sent (``$1``, ``$2``... where
    its parameters go; they are logged beside it).

    Django logs the text the driver last sent, and psycopg keeps none for a
    prepared statement, so the log, ``connection.queries`` and
    ``CaptureQueriesContext`` would read ``None`` for every step's statements.
    """

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


def _execute(db: BaseDatabaseWrapper, sql: str, params: list[Any]) -> CursorWrapper:
    """Run one of this module's statements (written with ``%s`` placeholders)."""
    cursor = _cursors.get(db)
    cursor.execute(_numbered(sql) if db.vendor == "postgresql" else sql, params)
    return cursor


@lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    """``sql`` with PostgreSQL's own placeholders, ``$1``, ``$2``... for a ``RawCursor``.

    psycopg turns ``%s`` into them on every call, with a regular expression over
    the whole statement, and caches the result only for statements of at most
    50 parameters; a step's statement has about 60, and converting it cost more
    than its parameters' adaptation. None of this module's statements holds a
    ``%`` of its own.
    """
    parts = sql.split("%s")
    numbered = [f"{part}${index}" for index, part in enumerate(parts[:-1], start=1)]
    return "".join(numbered) + parts[-1]


def _load(model: type[M], where: str, key: Any) -> M | None:
    db = _db()
    sql, _, _ = _select(model, db.vendor, where)
    found = _execute(db, sql, [key]).fetchall()
    return _loaded(model, where, found[0], db) if found else None


def _loaded(model: type[M], where: str, row: Sequence[Any], db: BaseDatabaseWrapper) -> M:
    """The instance ``_select(model, db.vendor, where)`` read as ``row``."""
    _, names, converted = _select(model, db.vendor, where)
    values = []
    for value, (column, converters) in zip(row, converted, strict=True):
        for convert in converters:
            value = convert(value, column, db)
        values.append(value)
    return model.from_db(db.alias, names, values)


def lock_run(run_id: Any) -> WorkflowRun:
    """Load the run and hold its row lock until the transaction ends (the graph stays deferred)."""
    pk = WorkflowRun._meta.pk.get_db_prep_value(_as_uuid(run_id), _db())
    run = _load(WorkflowRun, "id", pk)
    if run is None:
        raise WorkflowRun.DoesNotExist(f"no run {run_id}")
    return run


def lock_run_and_finish(
    run_id: Any, row: StepExecution, token: uuid.UUID, names: list[str]
) -> tuple[WorkflowRun, bool]:
    """``lock_run``, then ``finish_claimed`` unless the run has ended: the run, and whether
    the row was written (False: the run has ended, or the claim was lost).

    On PostgreSQL the two are one statement, which saves a step a round trip.
    The run's row lock is taken before the execution's row, as every
    transition takes them, so it cannot deadlock with a cancel; and the
    UPDATE rechecks the claim on the row's newest version, so a lease that
    expired while the statement waited for the lock wins.
    """
    db = _db()
    if db.vendor != "postgresql":
        run = lock_run(run_id)
        return run, not run.is_terminal and finish_claimed(row, token, names)
    columns = _fields(StepExecution, tuple(names))
    params = [WorkflowRun._meta.pk.get_db_prep_value(_as_uuid(run_id), db)]
    params += _values(row, columns, db, add=False)
    params += _claim_key(row, token, db)
    params += sorted(RunStatus.terminal())
    found = _execute(db, _lock_and_finish_sql(db.vendor, columns), params).fetchall()
    if not found:
        raise WorkflowRun.DoesNotExist(f"no run {run_id}")
    *run, finished = found[0]
    return _loaded(WorkflowRun, "id", run, db), bool(finished)


@cache
def _lock_and_finish_sql(vendor: str, columns: _Columns) -> str:
    """The run lock as a ``WITH`` that the guarded completion reads, so the lock comes first.

    The completion's condition on the locked run's status is evaluated before
    the UPDATE touches the execution, so the execution's row is never locked
    while the run's is awaited.
    """
    quote = _db().ops.quote_name
    lock, _, _ = _select(WorkflowRun, vendor, "id")
    finish = _update_sql(vendor, _EXECUTION_TABLE, columns, _CLAIMED)
    status = quote(WorkflowRun._meta.get_field("status").column)
    ended = ", ".join(["%s"] * len(RunStatus.terminal()))
    return (
        f"WITH locked AS ({lock}), "
        f"finished AS ({finish} AND (SELECT {status} FROM locked) NOT IN ({ended}) RETURNING 1) "
        f"SELECT locked.*, (SELECT count(*) FROM finished) FROM locked"
    )


def lock_run_of(execution_id: int) -> WorkflowRun | None:
    """``lock_run`` of the run an execution belongs to, in one statement; None if it has none."""
    return _load(WorkflowRun, "execution", execution_id)


def load_execution(execution_id: int) -> StepExecution | None:
    """``StepExecution.objects.filter(pk=...).first()`` without the query compiler."""
    return _load(StepExecution, "id", execution_id)


def save_run(run: WorkflowRun, names: tuple[str, ...]) -> None:
    """``run.save(update_fields=names)`` without the query compiler."""
    db = _db()
    columns = _fields(WorkflowRun, names)
    changes = _values(run, columns, db, add=False)
    pk = WorkflowRun._meta.pk.get_db_prep_value(run.pk, db)
    _update(db, _RUN_TABLE, columns, changes, ("id",), [pk])


def claim_pending(row: StepExecution, names: list[str]) -> bool:
    """Write a row's claim if it is still pending; False if it was not."""
    db = _db()
    columns = _fields(StepExecution, tuple(names))
    changes = _values(row, columns, db, add=False)
    where = [row.pk, ExecutionStatus.PENDING]
    return bool(_update(db, _EXECUTION_TABLE, columns, changes, ("id", "status"), where))


def finish_claimed(row: StepExecution, token: uuid.UUID, names: list[str]) -> bool:
    """Write a claimed row's fields if the claim is still ``token``; False if it was lost."""
    db = _db()
    columns = _fields(StepExecution, tuple(names))
    changes = _values(row, columns, db, add=False)
    key = _claim_key(row, token, db)
    return bool(_update(db, _EXECUTION_TABLE, columns, changes, _CLAIMED, key))


_CLAIMED = ("id", "status", "claim_token")  # the columns that say a claim is still held


def _claim_key(row: StepExecution, token: uuid.UUID, db: BaseDatabaseWrapper) -> list[Any]:
    """The values of ``_CLAIMED`` while ``token`` holds the row."""
    token_field = StepExecution._meta.get_field("claim_token")
    assert isinstance(token_field, Field)
    return [row.pk, ExecutionStatus.RUNNING, token_field.get_db_prep_value(token, db)]


@cache
def _insert_sql(
    model: type[Model], vendor: str
) -> tuple[str, str, str, _Columns, list[ForeignKey[Any, Any]]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = _db().ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    into = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    keys = [f for f in fields if isinstance(f, ForeignKey)]
    return into, row, f" RETURNING {quote(model._meta.pk.column)}", _Columns(fields), keys


def insert(objs: Sequence[Model]) -> None:
    """``bulk_create(objs)`` of new rows of one model without the query compiler; sets each pk.

    One statement for all of them (a step's next execution, a transition's
    events), in batches only past the database's limit on parameters.
    """
    if not objs:
        return
    db = _db()
    into, row, tail, columns, _ = _insert_sql(type(objs[0]), db.vendor)
    size = len(objs)
    if size * len(columns.fields) > SMALL_INSERT:
        size = max(1, db.ops.bulk_batch_size(columns.fields, objs))
    for start in range(0, len(objs), size):
        batch = objs[start : start + size]
        params = [value for obj in batch for value in _new_row_params(db, obj)]
        cursor = _execute(db, into + "VALUES " + ", ".join([row] * len(batch)) + tail, params)
        ids = [found[0] for found in cursor.fetchall()]
        for obj, pk in zip(batch, ids, strict=True):
            _stored(obj, pk, db)


@dataclass(slots=True)
class NewEvent:
    """An event a transition will append: what ``RunEvent`` holds, without a model instance.

    A step appends two events, and building, preparing and inserting them as
    model instances cost about a tenth of the step. The run, the actor and the
    time are the transition's, so they are given once to :func:`insert_events`.
    """

    type: str
    path_key: str
    execution: StepExecution | None
    data: dict[str, Any]
    id: int | None = None

    def as_model(self, run: WorkflowRun, actor: Any, created_at: datetime) -> RunEvent:
        """The stored event as the ORM would load it."""
        event = RunEvent(
            id=self.id,
            run=run,
            type=self.type,
            path_key=self.path_key,
            execution=self.execution,
            data=self.data,
            actor=actor,
            created_at=created_at,
        )
        event._state.adding = False
        event._state.db = _db().alias
        return event


_EVENT_COLUMNS = ("run", "type", "path_key", "execution", "data", "actor", "created_at")
_EXECUTION_COLUMN = _EVENT_COLUMNS.index("execution")
_EVENTS_PER_STATEMENT = SMALL_INSERT // len(_EVENT_COLUMNS)
_NEW_ROW_ID = "(SELECT id FROM started)"


@cache
def _event_sql(vendor: str, about_new_row: tuple[bool, ...], gate: str = "") -> str:
    """The events' INSERT; an event flagged in ``about_new_row`` takes its execution's id
    from the ``started`` row inserted by the same statement instead of a parameter.

    With a ``gate`` (a condition), the rows are inserted only if it holds. They are
    then selected from ``VALUES`` rather than inserted from it, and there PostgreSQL
    types a value by the others in its column, not by the column it fills, so each
    one is cast to its column's type.
    """
    quote = _db().ops.quote_name
    meta = RunEvent._meta
    fields = [f for f in (meta.get_field(name) for name in _EVENT_COLUMNS) if isinstance(f, Field)]
    columns = ", ".join(quote(f.column) for f in fields)
    places = [_typed(f) if gate else "%s" for f in fields]
    values = ", ".join(_event_row(flag, places) for flag in about_new_row)
    into = f"INSERT INTO {quote(meta.db_table)} ({columns}) "
    returning = f" RETURNING {quote('id')}"
    if gate:
        return f"{into}SELECT * FROM (VALUES {values}) AS new WHERE {gate}{returning}"
    return f"{into}VALUES {values}{returning}"


def _event_row(about_new_row: bool, places: list[str]) -> str:
    if about_new_row:
        places = [*places]
        places[_EXECUTION_COLUMN] = _NEW_ROW_ID
    return "(" + ", ".join(places) + ")"


def _typed(field: Field[Any, Any]) -> str:
    """A placeholder cast to the column's type without its length (``varchar``, not
    ``varchar(200)``): a cast to the length would cut a long value short, where
    storing it in the column refuses it, as every other statement here does."""
    kind = field.db_type(_db())
    if kind is None:
        raise TypeError(f"{field} has no column type")
    return f"%s::{kind.split('(')[0]}"


def insert_events(
    run: WorkflowRun, actor_id: int | None, created_at: datetime, events: Sequence[NewEvent]
) -> None:
    """Insert a transition's events in one statement (batched past the parameter limit);
    sets each one's id."""
    db = _db()
    size = _EVENTS_PER_STATEMENT
    for start in range(0, len(events), size):
        batch = events[start : start + size]
        sql = _event_sql(db.vendor, (False,) * len(batch))
        cursor = _execute(db, sql, _event_params(db, run, actor_id, created_at, batch))
        ids = [found[0] for found in cursor.fetchall()]
        for event, pk in zip(batch, ids, strict=True):
            event.id = pk


def _event_params(
    db: BaseDatabaseWrapper,
    run: WorkflowRun,
    actor_id: int | None,
    created_at: datetime,
    events: Sequence[NewEvent],
    new_row: StepExecution | None = None,
) -> list[Any]:
    """The events' parameters; an event about ``new_row`` has none for its execution,
    which the statement takes from the row it inserts."""
    run_key = WorkflowRun._meta.pk.get_db_prep_value(run.pk, db)
    when = db.ops.adapt_datetimefield_value(created_at)
    encoder = RunEvent._meta.get_field("data").encoder
    params: list[Any] = []
    for event in events:
        execution = event.execution
        params += [run_key, event.type, event.path_key]
        if execution is None:
            params.append(None)
        elif execution is not new_row:
            if execution.pk is None:
                raise ValueError(f"the execution of a {event.type} event is not saved")
            params.append(execution.pk)
        params += [db.ops.adapt_json_value(event.data, encoder), actor_id, when]
    return params


RunVersion = tuple[str, str]  # a run row's version on PostgreSQL: its xmin and ctid, as text


@dataclass(slots=True)
class RunWrite:
    """What a transition writes: the run's columns ``names``, its new events, and the
    rows it starts. ``version`` is set once written, on PostgreSQL, when known."""

    run: WorkflowRun
    names: tuple[str, ...]
    actor_id: int | None
    created_at: datetime
    events: Sequence[NewEvent]
    new_rows: Sequence[StepExecution] = ()
    version: RunVersion | None = None

    def fits_one_statement(self) -> bool:
        """Whether PostgreSQL can take it as one statement: at most one new row (the next
        step of a chain), and as many events as one statement has parameters for."""
        return 0 < len(self.events) <= _EVENTS_PER_STATEMENT and len(self.new_rows) <= 1


def write_transition(write: RunWrite) -> None:
    """``insert(new_rows)``, ``insert_events`` and ``save_run``, with the run's
    ``last_event_id`` the last event's.

    On PostgreSQL the run row, the events and a transition's one new row (the
    next step of a chain) go in one statement, as data-modifying ``WITH``
    clauses: a step pays one round trip for what took three. That statement also
    returns the run row's new version. SQLite has no such ``WITH``, and a
    transition that starts several rows, or has more events than one statement
    takes, runs the statements one by one.
    """
    db = _db()
    if db.vendor != "postgresql" or not write.fits_one_statement():
        insert(write.new_rows)
        if write.events:
            insert_events(write.run, write.actor_id, write.created_at, write.events)
            write.run.last_event_id = _last_id(write.events)
        save_run(write.run, write.names)
        return
    new_row = write.new_rows[0] if write.new_rows else None
    sql, columns = _transition_sql(db.vendor, new_row is not None, _about(write), write.names)
    params = [] if new_row is None else _new_row_params(db, new_row)
    params += _transition_params(db, write, columns)
    _take_written(write, _execute(db, sql, params).fetchall(), db)


def write_step(
    row: StepExecution, token: uuid.UUID, names: list[str], version: RunVersion, write: RunWrite
) -> bool:
    """``finish_claimed(row, token, names)`` and ``write_transition(write)`` as one
    statement, which writes nothing unless the run's row is still ``version`` and the
    claim still ``token``. True if it wrote; PostgreSQL only.

    It locks the run's row before it touches the execution's, as every
    transition does. A version names one row version for good: within a
    transaction each update makes a new one at a new ``ctid``, and another
    transaction's has another ``xmin``. So an unchanged version means that no
    transition of the run committed since, or ran earlier in this transaction.
    """
    db = _db()
    new_row = write.new_rows[0] if write.new_rows else None
    finish = _fields(StepExecution, tuple(names))
    sql, columns = _step_sql(db.vendor, finish, new_row is not None, _about(write), write.names)
    params = [WorkflowRun._meta.pk.get_db_prep_value(write.run.pk, db), *version]
    params += _values(row, finish, db, add=False)
    params += _claim_key(row, token, db)
    if new_row is not None:
        params += _new_row_params(db, new_row)
    params += _transition_params(db, write, columns)
    found = _execute(db, sql, params).fetchall()
    if not found:
        return False
    _take_written(write, found, db)
    return True


def _about(write: RunWrite) -> tuple[bool, ...]:
    """Which events are about the write's new row (they take its id in the statement)."""
    new_row = write.new_rows[0] if write.new_rows else None
    return tuple(new_row is not None and event.execution is new_row for event in write.events)


def _transition_params(db: BaseDatabaseWrapper, write: RunWrite, columns: _Columns) -> list[Any]:
    """The parameters of the events and the run row, in ``_events_and_run_sql``'s order."""
    new_row = write.new_rows[0] if write.new_rows else None
    run = write.run
    params = _event_params(db, run, write.actor_id, write.created_at, write.events, new_row)
    params += _values(run, columns, db, add=False)
    params.append(WorkflowRun._meta.pk.get_db_prep_value(run.pk, db))
    return params


def _take_written(write: RunWrite, found: list[Any], db: BaseDatabaseWrapper) -> None:
    """Set the ids a joined statement returned (``_events_and_run_sql``), and the version."""
    for event, (pk, *_) in zip(write.events, found, strict=True):
        event.id = pk
    if write.new_rows:
        _stored(write.new_rows[0], found[0][1], db)
    write.run.last_event_id = _last_id(write.events)
    write.version = (found[0][2], found[0][3])


def _new_row_params(db: BaseDatabaseWrapper, obj: Model) -> list[Any]:
    """A new row's values for ``_insert_sql``, its foreign keys taken from saved rows."""
    _, _, _, columns, keys = _insert_sql(type(obj), db.vendor)
    _take_related_keys(obj, keys)
    return _values(obj, columns, db, add=True)


def _stored(obj: Model, pk: Any, db: BaseDatabaseWrapper) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = db.alias


def _last_id(events: Sequence[NewEvent]) -> int:
    last = events[-1].id
    if last is None:
        raise RuntimeError("an event was not stored")
    return last


@cache
def _transition_sql(
    vendor: str, inserts_row: bool, about_new_row: tuple[bool, ...], names: tuple[str, ...]
) -> tuple[str, _Columns]:
    """The statement of ``write_transition``, and the run columns it sets from parameters."""
    started = ""
    if inserts_row:
        into, row, tail, _, _ = _insert_sql(StepExecution, vendor)
        started = f"started AS ({into}VALUES {row}{tail}), "
    tail, columns = _events_and_run_sql(vendor, inserts_row, about_new_row, names, gate="")
    return f"WITH {started}{tail}", columns


@cache
def _step_sql(
    vendor: str,
    finish: _Columns,
    inserts_row: bool,
    about_new_row: tuple[bool, ...],
    names: tuple[str, ...],
) -> tuple[str, _Columns]:
    """The statement of ``write_step``: the run's row if it is still the version, the
    claimed row's completion if the claim holds, then ``_transition_sql``'s writes if it
    was completed. Every write after the lock reads the one before it, so they happen
    in that order."""
    quote = _db().ops.quote_name
    unchanged = (
        f"SELECT 1 FROM {quote(_RUN_TABLE)} WHERE {quote('id')} = %s "
        "AND xmin = %s::xid AND ctid = %s::tid FOR UPDATE"
    )
    finished = _update_sql(vendor, _EXECUTION_TABLE, finish, _CLAIMED)
    gate = "EXISTS (SELECT FROM finished)"
    started = ""
    if inserts_row:
        into, _, tail, columns, _ = _insert_sql(StepExecution, vendor)
        typed = ", ".join(_typed(field) for field in columns.fields)
        started = f"started AS ({into}SELECT {typed} WHERE {gate}{tail}), "
    rest, run_columns = _events_and_run_sql(vendor, inserts_row, about_new_row, names, gate=gate)
    sql = (
        f"WITH unchanged AS ({unchanged}), "
        f"finished AS ({finished} AND EXISTS (SELECT FROM unchanged) RETURNING 1), "
        f"{started}{rest}"
    )
    return sql, run_columns


def _events_and_run_sql(
    vendor: str,
    inserts_row: bool,
    about_new_row: tuple[bool, ...],
    names: tuple[str, ...],
    gate: str,
) -> tuple[str, _Columns]:
    """The clauses that end a joined statement: the events (``appended``), the run row
    (``saved``, its ``last_event_id`` the largest new event's), and the SELECT of each
    event's id, in order, beside the new row's id and the run row's new version. Also
    the run columns it sets from parameters: all of ``names`` but ``last_event_id``."""
    quote = _db().ops.quote_name
    columns = _fields(WorkflowRun, tuple(name for name in names if name != "last_event_id"))
    last = quote(WorkflowRun._meta.get_field("last_event_id").column)
    condition = f" AND {gate}" if gate else ""
    sql = (
        f"appended AS ({_event_sql(vendor, about_new_row, gate)}), "
        f"saved AS (UPDATE {quote(_RUN_TABLE)} SET {_assignments(columns)}, "
        f"{last} = (SELECT max({quote('id')}) FROM appended) WHERE {quote('id')} = %s{condition} "
        "RETURNING xmin::text AS xmin, ctid::text AS ctid) "
        f"SELECT appended.{quote('id')}, {_NEW_ROW_ID if inserts_row else 'NULL'} AS new_row_id, "
        f"saved.xmin, saved.ctid FROM appended, saved ORDER BY appended.{quote('id')}"
    )
    return sql, columns


def _take_related_keys(obj: Model, keys: list[ForeignKey[Any, Any]]) -> None:
    """A foreign key set to a row that was inserted after it was assigned takes its id now
    (an event about an execution inserted in the same transition), as ``save`` would."""
    for key in keys:
        if getattr(obj, key.attname) is None and key.is_cached(obj):
            related = key.get_cached_value(obj)
            if related is not None:
                if related.pk is None:
                    raise ValueError(f"{key.name} of a new {type(obj).__name__} is not saved")
                setattr(obj, key.attname, related.pk)


class _Columns:
    """Fields written together, with what preparing each one needs: its attribute, its
    internal type, and whether it sets its own value on save (``auto_now``).

    Made once per set of fields, as each step writes the same ones. It hashes by
    identity, so it is a cheap cache key (a ``Field`` hashes in Python).
    """

    def __init__(self, fields: list[Field[Any, Any]]) -> None:
        self.fields = fields
        self.plan = [(f, f.attname, f.get_internal_type(), _sets_itself(f)) for f in fields]


@cache
def _fields(model: type[Model], names: tuple[str, ...]) -> _Columns:
    fields = [model._meta.get_field(name) for name in names]
    columns = [field for field in fields if isinstance(field, Field)]
    if len(columns) != len(fields):
        raise TypeError(f"not every one of {names} is a column of {model.__name__}")
    return _Columns(columns)


def _sets_itself(field: Field[Any, Any]) -> bool:
    if isinstance(field, DateField):
        return bool(field.auto_now or field.auto_now_add)
    return type(field).pre_save is not Field.pre_save


def _values(obj: Model, columns: _Columns, db: BaseDatabaseWrapper, *, add: bool) -> list[Any]:
    """The fields' values as the driver takes them, as ``save`` would prepare them."""
    values = []
    for field, attname, internal, sets_itself in columns.plan:
        value = field.pre_save(obj, add) if sets_itself else getattr(obj, attname)
        values.append(None if value is None else _prepared(field, internal, value, db))
    return values


def _prepared(field: Field[Any, Any], internal: str, value: Any, db: BaseDatabaseWrapper) -> Any:
    """``field.get_db_prep_save(value)``, with its last step taken directly for the values
    a step writes most: the field's own checks and conversions change nothing for them.

    A text field hands any ``str`` (a choice too) to the driver as it is, and an
    integer field a plain ``int`` (not a ``bool``: that would reach PostgreSQL as
    one). An aware datetime and a dict or list of JSON go straight to the
    backend's adapter, which is where the field would send them.
    """
    kind = type(value)
    plain = _PLAIN.get(internal)
    if kind is plain or (plain is str and issubclass(kind, str)):
        return value
    if internal == "DateTimeField" and kind is datetime and value.tzinfo is not None:
        return db.ops.adapt_datetimefield_value(value)
    if internal == "JSONField" and kind in (dict, list):
        return db.ops.adapt_json_value(value, field.encoder)  # type: ignore[attr-defined]
    return field.get_db_prep_save(value, db)


@cache
def _update_sql(vendor: str, table: str, columns: _Columns, where: tuple[str, ...]) -> str:
    quote = _db().ops.quote_name
    conditions = " AND ".join(f"{quote(column)} = %s" for column in where)
    return f"UPDATE {quote(table)} SET {_assignments(columns)} WHERE {conditions}"


def _assignments(columns: _Columns) -> str:
    quote = _db().ops.quote_name
    return ", ".join(f"{quote(field.column)} = %s" for field in columns.fields)


def _update(
    db: BaseDatabaseWrapper,
    table: str,
    columns: _Columns,
    changes: list[Any],
    where: tuple[str, ...],
    key: list[Any],
) -> int:
    cursor = _execute(db, _update_sql(db.vendor, table, columns, where), [*changes, *key])
    return int(cursor.rowcount)


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
