from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.workflows import flows


@pytest.fixture(autouse=True)
def reset_call_counts() -> Iterator[None]:
    flows.calls.clear()
    yield
    flows.calls.clear()
