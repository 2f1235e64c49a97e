"""Every index of the app's tables earns its writes: none is covered by another."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models
from django.db.models import QuerySet
from django.utils import timezone

from workflows.models import RunEvent, StepExecution


def _indexed_columns(model: type[models.Model]) -> list[tuple[str, tuple[str, ...]]]:
    """(name, columns) of each plain index on the model's table, single-column ones included."""
    found = []
    for field in model._meta.local_concrete_fields:
        if field.db_index and not field.unique and not field.primary_key:
            found.append((field.name, (field.column,)))
    for index in model._meta.indexes:
        if index.condition is None:
            columns = tuple(model._meta.get_field(name.lstrip("-")).column for name in index.fields)
            found.append((index.name, columns))
    return found


@pytest.mark.parametrize("label", ["workflows", "review"])
def test_no_index_is_a_leading_part_of_another(label: str) -> None:
    """An index whose columns begin another index only slows every insert and update."""
    covered = []
    for model in apps.get_app_config(label).get_models():
        indexes = _indexed_columns(model)
        for name, columns in indexes:
            for other, wider in indexes:
                if other != name and len(wider) > len(columns) and wider[: len(columns)] == columns:
                    covered.append(f"{model.__name__}.{name} is covered by {other}")
    assert covered == []


def _sweeps(now: datetime) -> dict[str, tuple[str, QuerySet[Any]]]:
    """The ticker's reads across every run, each with the index it must use."""
    return {
        "due timers": ("exec_timers", StepExecution.objects.due_timers(now)),
        "next timer": ("exec_timers", StepExecution.objects.timers()),
        "expired leases": ("exec_leases", StepExecution.objects.expired_leases(now)),
        "lost queue messages": ("exec_queued", StepExecution.objects.queued_before(now)),
        # What deleting a user reads to set its references to NULL.
        "a deleted user's events": ("event_actor", RunEvent.objects.filter(actor__in=[1, 2])),
        "a deleted user's answers": (
            "exec_resumed_by",
            StepExecution.objects.filter(resumed_by__in=[1, 2]),
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sweep",
    [
        "due timers",
        "next timer",
        "expired leases",
        "lost queue messages",
        "a deleted user's events",
        "a deleted user's answers",
    ],
)
def test_reads_across_every_run_use_their_partial_index(sweep: str) -> None:
    """The partial indexes hold only unfinished rows, or only rows a person touched; a read
    that could not use its index would read the whole table (on every tick, for the
    ticker's sweeps)."""
    index, query = _sweeps(timezone.now())[sweep]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a near-empty table reads faster whole
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert index in plan
