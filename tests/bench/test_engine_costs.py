"""The engine benchmark's statement count: what a sequential step costs the database."""

from __future__ import annotations

import pytest
from django.db import connection

from bench import engine_costs, engine_workloads  # noqa: F401 - registers the chains

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_sequential_step_is_one_transaction_of_a_few_statements() -> None:
    costs = engine_costs.measure(runs=1)
    if connection.vendor == "postgresql":
        # the first claim and the first and last commits; the 98 steps between them are
        # one statement each, outside a transaction (workflows.engine.optimistic)
        assert costs.transactions_per_step == pytest.approx(0.03)
        assert 1 <= costs.queries_per_step <= 1.2
    else:
        assert costs.transactions_per_step == pytest.approx(1.01)  # 100 commits, the claim
        assert 1 <= costs.queries_per_step <= 6
    assert costs.round_trips_per_step == pytest.approx(
        costs.queries_per_step + 2 * costs.transactions_per_step
    )
    assert costs.cpu_ms_per_step > 0


def test_statements_outside_a_transaction_count_no_transaction() -> None:
    counter = engine_costs.StatementCounter()
    with connection.execute_wrapper(counter), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert (counter.statements, counter.transactions, counter.round_trips) == (1, 0, 1)
