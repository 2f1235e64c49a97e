"""``manage.py bench load --quick`` runs end to end and writes the keys docs/reliability.md cites.

Like ``bench faults``, its correctness figures are asserted: load may cost
time, never a run, a step, a decision or an event a watcher should have had.
Timings are read by people from the table, never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.cluster

KEYS = {
    "runs_total",
    "runs_completed",
    "runs_per_minute",
    "waiting_max",
    "decisions_total",
    "decision_latency_ms_p50",
    "decision_latency_ms_p95",
    "errors",
    "lost_work",
    "duplicated_work",
    "watchers",
    "watcher_gaps",
}


def test_bench_load_finishes_every_brief_with_nothing_lost_or_doubled(tmp_path: Path) -> None:
    output = tmp_path / "load.json"
    completed = subprocess.run(
        [sys.executable, "manage.py", "bench", "load", "--quick", "--json", str(output)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    figures = json.loads(output.read_text())
    assert set(figures) >= KEYS and set(figures["figures"]) >= KEYS
    assert figures["errors"] == 0, figures["error_samples"]
    assert figures["lost_work"] == 0 and figures["duplicated_work"] == 0
    assert figures["watcher_gaps"] == 0
    assert figures["runs_completed"] == figures["runs_total"]
    assert figures["watchers"] == figures["figures"]["watchers"]["baseline"]
    assert figures["decisions_total"] == figures["figures"]["decisions_total"]["baseline"]
    assert figures["waiting_max"] >= figures["figures"]["waiting_max"]["baseline"]
    assert figures["figures"]["errors"]["verdict"] == "meets target"
