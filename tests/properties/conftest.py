"""Property tests: how many examples each input surface ran, written for docs/reliability.md.

``HANDOFF_PROPERTY_EXAMPLES`` scales every surface's example count (1 by default,
as in CI; the campaign figures in docs/reliability.md used 5).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

SCALE = float(os.environ.get("HANDOFF_PROPERTY_EXAMPLES", "1"))
examples: Counter[str] = Counter()
refusals: Counter[str] = Counter()

settings.register_profile(
    "handoff",
    deadline=None,
    database=None,
    derandomize=os.environ.get("HANDOFF_PROPERTY_SEED") is None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
settings.load_profile("handoff")


def scaled(count: int) -> int:
    return max(1, int(count * SCALE))


def counted(surface: str, refused: bool) -> None:
    examples[surface] += 1
    if refused:
        refusals[surface] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not examples:
        return
    terminalreporter.section("property examples per input surface")
    for surface in sorted(examples):
        terminalreporter.write_line(
            f"{surface}: {examples[surface]} examples, {refusals[surface]} refused"
        )
    folder = Path(os.environ.get("HANDOFF_VAR_DIR", "var")) / "test-output"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "property-examples.json").write_text(
        json.dumps(
            {s: {"examples": examples[s], "refused": refusals[s]} for s in sorted(examples)},
            indent=2,
        )
    )
