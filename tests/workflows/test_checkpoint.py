"""The ticker copies SQLite's write-ahead log back into the database, so no step has to."""

from __future__ import annotations

import pytest
from django.db import connection

from workflows.engine.checkpoint import Checkpointer
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_due_checkpoint_copies_every_committed_page_back() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL has no WAL for the app to copy back")
    for number in range(5):
        WorkflowRun.objects.create(workflow_id=f"wal-{number}", definition_version="1")
    busy, pages, copied = Checkpointer(every=0)() or (None, None, None)
    assert busy == 0
    assert pages is not None and pages > 0
    assert copied == pages


def test_no_checkpoint_runs_before_its_interval_has_passed() -> None:
    statements: list[str] = []

    def spy(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        assert Checkpointer(every=3600)() is None
    assert statements == []


def test_postgresql_is_left_alone() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("the PostgreSQL pass checks this")
    assert Checkpointer(every=0)() is None
