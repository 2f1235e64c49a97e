"""The engine's own statements on PostgreSQL: bound on the server and kept prepared."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.workflows.flows import add_one, chain
from workflows.engine.testing import run_workflow
from workflows.models import RunStatus

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL"),
]


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_steps_statements_are_prepared_once_they_repeat() -> None:
    steps = [add_one.with_id(f"s{index}") for index in range(8)]
    run = run_workflow(chain("prepared", *steps), {"n": 0})
    assert run.status == RunStatus.SUCCESS
    prepared = _prepared()
    for head in (
        'SELECT "id", "workflow_id"',  # the run lock
        'UPDATE "workflows_stepexecution" SET',  # the guarded completion
        'INSERT INTO "workflows_stepexecution"',  # the next step
        'INSERT INTO "workflows_runevent"',
        'UPDATE "workflows_workflowrun" SET',
    ):
        assert any(text.startswith(head) and "$1" in text for text in prepared), head


def test_the_orms_queries_are_never_prepared() -> None:
    """Django binds them on the client: their text carries the values, so preparing
    them would fill the server with one-off statements."""
    run = run_workflow(chain("orm-only", add_one), {"n": 0})
    list(type(run).objects.filter(pk=run.pk).values_list("status", flat=True))
    assert all("$1" in text for text in _prepared())
