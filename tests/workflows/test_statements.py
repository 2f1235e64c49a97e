"""The engine's own statements: on PostgreSQL bound on the server and kept prepared."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.env import PREPARE_THRESHOLD
from tests.workflows.flows import add_one, chain
from workflows.engine import api, rows
from workflows.engine.testing import drain, run_workflow
from workflows.engine.transition import RUN_FIELDS
from workflows.models import EventType, ExecutionStatus, RunEvent, RunStatus, WorkflowRun

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements and data-modifying WITH"
)


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@postgres_only
def test_a_steps_statements_are_prepared_once_they_repeat() -> None:
    steps = [add_one.with_id(f"s{index}") for index in range(8)]
    run = run_workflow(chain("prepared", *steps), {"n": 0})
    assert run.status == RunStatus.SUCCESS
    prepared = _prepared()
    head = 'WITH unchanged AS (SELECT 1 FROM "workflows_workflowrun"'  # a step's one statement
    assert any(text.startswith(head) and "$1" in text for text in prepared)


@postgres_only
def test_the_orms_queries_are_never_prepared() -> None:
    """Django binds them on the client: their text carries the values, so preparing
    them would fill the server with one-off statements."""
    run = run_workflow(chain("orm-only", add_one), {"n": 0})
    orm_query = type(run).objects.filter(pk=run.pk).values_list("status", flat=True)
    for _ in range(PREPARE_THRESHOLD + 1):  # past the count at which psycopg would prepare
        list(orm_query.all())
    assert all("$1" in text for text in _prepared())
    assert not [text for text in _prepared() if '"workflows_workflowrun"."status"' in text]


@postgres_only
def test_logged_queries_show_the_engines_statements_once_they_are_prepared() -> None:
    """psycopg keeps no text for a prepared statement, and Django logs the driver's text."""
    steps = [add_one.with_id(f"s{index}") for index in range(PREPARE_THRESHOLD + 3)]
    run = api.start_run(chain("logged", *steps), {"n": 0})
    with CaptureQueriesContext(connection) as captured:
        drain()
    logged = [query["sql"] for query in captured.captured_queries]
    assert None not in logged
    steps_sql = [sql for sql in logged if sql.startswith("WITH unchanged AS")]
    assert len(steps_sql) == len(steps) - 2 and len(set(steps_sql)) == 1  # see the next test
    assert any(text.startswith("WITH unchanged AS") for text in _prepared())
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS


def _statements_of_chain(length: int) -> tuple[Counter[str], WorkflowRun]:
    steps = [add_one.with_id(f"s{index}") for index in range(length)]
    run = api.start_run(chain(f"chain-of-{length}", *steps), {"n": 0})
    with CaptureQueriesContext(connection) as captured:
        drain()
    run.refresh_from_db()
    logged = [query["sql"] for query in captured.captured_queries]
    transactions = ("SAVEPOINT", "RELEASE SAVEPOINT")  # the test's own transaction nests them
    return Counter(sql[:30] for sql in logged if not sql.startswith(transactions)), run


@postgres_only
def test_a_step_is_one_statement_that_records_it_and_starts_the_next() -> None:
    """Each step of a chain but the first (its parent row is not yet read) and the last
    (it ends the run) records its success, starts and claims the next step, and writes
    the events and the run row in one statement, with no lock taken before it."""
    three, _ = _statements_of_chain(3)
    six, run = _statements_of_chain(6)
    assert six - three == {"WITH unchanged AS (SELECT 1 FR": 3}
    assert run.status == RunStatus.SUCCESS and run.steps_completed == 6
    assert run.last_event_id == RunEvent.objects.filter(run=run).latest("id").id
    started = RunEvent.objects.filter(
        run=run, type=EventType.STEP_STARTED, path_key__startswith="s"
    )
    for event in started.select_related("execution"):
        assert event.execution is not None and event.execution.path_key == event.path_key
        assert event.execution.status == ExecutionStatus.SUCCESS
        assert event.execution.attempts == 1


def test_events_past_one_statements_limit_are_all_stored_and_the_run_names_the_last() -> None:
    run = run_workflow(chain("many-events", add_one), {"n": 0})
    events = [rows.NewEvent(EventType.STEP_OUTPUT, "s", None, {"i": index}) for index in range(300)]
    with transaction.atomic():
        locked = rows.lock_run(run.pk)
        rows.write_transition(rows.RunWrite(locked, RUN_FIELDS, None, timezone.now(), events))
    ids = [event.id for event in events]
    assert ids == sorted(ids) and None not in ids
    stored = RunEvent.objects.filter(run=run, type=EventType.STEP_OUTPUT).order_by("id")
    assert [event.data["i"] for event in stored] == list(range(300))
    run.refresh_from_db()
    assert run.last_event_id == ids[-1] == stored.last().id


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_with_preparing_turned_off_nothing_is_prepared_and_runs_still_finish() -> None:
    """``?prepare_threshold=none``: what a deployment behind an old PgBouncer sets."""
    options = connection.settings_dict["OPTIONS"]
    connection.close()
    connection.settings_dict["OPTIONS"] = {**options, "prepare_threshold": None}
    try:
        steps = [add_one.with_id(f"s{index}") for index in range(8)]
        run = run_workflow(chain("unprepared", *steps), {"n": 0})
        assert run.status == RunStatus.SUCCESS and run.result == {"n": 8}
        assert _prepared() == []
    finally:
        connection.close()
        connection.settings_dict["OPTIONS"] = options
