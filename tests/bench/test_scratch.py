"""The benchmarks' throw-away database."""

from __future__ import annotations

from bench.scratch import ScratchDatabase
from config.env import database_from_url


def test_a_scratch_postgres_database_connects_with_the_configured_options() -> None:
    configured = database_from_url(
        "postgres://bench:pw@db.internal:5433/handoff?sslmode=require&prepare_threshold=none"
    )
    scratch = ScratchDatabase("engine", configured)
    assert scratch.url.startswith(f"postgres://bench:pw@db.internal:5433/handoff_{scratch.label}?")
    assert database_from_url(scratch.url)["OPTIONS"] == {
        "sslmode": "require",
        "prepare_threshold": None,
    }
