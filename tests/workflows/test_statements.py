"""The engine's own statements: on PostgreSQL bound on the server and kept prepared."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.env import PREPARE_THRESHOLD
from tests.workflows.flows import add_one, chain
from workflows.engine import rows
from workflows.engine.testing import run_workflow
from workflows.engine.transition import RUN_FIELDS
from workflows.models import EventType, RunEvent, RunStatus

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
    for head in (
        'SELECT "id", "workflow_id"',  # the run lock
        'UPDATE "workflows_stepexecution" SET',  # the guarded completion
        'INSERT INTO "workflows_stepexecution"',  # the next step
        'WITH appended AS (INSERT INTO "workflows_runevent"',  # events and the run row
    ):
        assert any(text.startswith(head) and "$1" in text for text in prepared), head


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
def test_a_transitions_events_and_its_run_row_are_written_in_one_statement() -> None:
    steps = [add_one.with_id(f"s{index}") for index in range(3)]
    with CaptureQueriesContext(connection) as captured:
        run = run_workflow(chain("one-statement", *steps), {"n": 0})
    statements = [query["sql"] for query in captured.captured_queries]
    assert not [sql for sql in statements if sql.startswith('UPDATE "workflows_workflowrun"')]
    assert not [sql for sql in statements if sql.startswith('INSERT INTO "workflows_runevent"')]
    assert run.last_event_id == RunEvent.objects.filter(run=run).latest("id").id
    assert run.status == RunStatus.SUCCESS and run.steps_completed == 3


def test_events_past_one_statements_limit_are_all_stored_and_the_run_names_the_last() -> None:
    run = run_workflow(chain("many-events", add_one), {"n": 0})
    events = [rows.NewEvent(EventType.STEP_OUTPUT, "s", None, {"i": index}) for index in range(300)]
    with transaction.atomic():
        locked = rows.lock_run(run.pk)
        rows.append_events_and_save_run(locked, RUN_FIELDS, None, timezone.now(), events)
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
