"""Every index of the app's tables earns its writes: none is covered by another."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models


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
