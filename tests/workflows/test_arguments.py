"""The run API checks its arguments at the boundary: refusals name the argument, not raw errors.

The same limits hold on SQLite and PostgreSQL (these tests run on both).
"""

from __future__ import annotations

import pytest

from tests.workflows.flows import add_one, chain
from workflows.engine import api
from workflows.engine.errors import InvalidArgument
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("k" * 201, "at most 200"),
        ("", "must not be empty"),
        (123, "must be text"),
        ("a\x00b", "NUL"),
        ("\ud800", "surrogate"),
    ],
)
def test_an_idempotency_key_that_does_not_fit_its_column_is_refused(key: object, words: str):
    workflow = chain("key", add_one)
    with pytest.raises(InvalidArgument) as caught:
        api.start_run(workflow, {"n": 1}, idempotency_key=key)  # type: ignore[arg-type]
    assert caught.value.http_status == 400
    assert caught.value.errors[0]["field"] == "idempotency_key"
    assert words in caught.value.errors[0]["message"]
    assert not WorkflowRun.objects.exists()


def test_a_key_of_exactly_the_column_length_is_kept_and_deduplicates() -> None:
    workflow = chain("key-ok", add_one)
    first = api.start_run(workflow, {"n": 1}, idempotency_key="k" * 200)
    again = api.start_run(workflow, {"n": 1}, idempotency_key="k" * 200)
    assert first.pk == again.pk and WorkflowRun.objects.get().idempotency_key == "k" * 200
