"""Shared fixtures: every test runs the engine in-process unless it starts a cluster itself."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from workflows.engine import queue

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def in_process_queue(settings) -> Iterator[None]:
    settings.HANDOFF_QUEUE = "manual"
    queue.manual_queue.clear()
    yield
    queue.manual_queue.clear()


def need(service: str, available: bool, why: str) -> None:
    """Skip when a service is missing, or fail under REQUIRE_SERVICES=1 (CI)."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{service} is required (REQUIRE_SERVICES=1) but {why}")
    pytest.skip(f"{service} not available: {why}")
