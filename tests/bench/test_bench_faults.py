"""``manage.py bench faults --quick`` runs end to end and writes the keys docs/reliability.md cites.

Unlike the speed benchmarks, its correctness figures are asserted: a fault may
cost time, never a run, a duplicate commit or a gap in a run's event log.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.cluster


def test_bench_faults_survives_every_fault_and_writes_the_figures(tmp_path: Path) -> None:
    output = tmp_path / "faults.json"
    completed = subprocess.run(
        [sys.executable, "manage.py", "bench", "faults", "--quick", "--json", str(output)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    figures = json.loads(output.read_text())
    assert set(figures) >= {
        "sigkill_runs_ok",
        "sigkill_runs_total",
        "duplicate_commits",
        "event_gaps",
        "recovery_s_p50",
    }
    assert figures["sigkill_runs_ok"] == figures["sigkill_runs_total"]
    assert figures["duplicate_commits"] == 0 and figures["event_gaps"] == 0
    assert figures["recovery_s_p50"] < 30
    assert figures["cluster_kill_runs_ok"] == figures["figures"]["cluster_kill_runs_ok"]["baseline"]
    assert figures["daphne_restart_clients_ok"] > 0
    assert figures["figures"]["daphne_restart_clients_ok"]["verdict"] == "meets target"
    assert figures["drop_runs_ok"] == figures["figures"]["drop_runs_ok"]["baseline"]
    assert figures["database_locked"] == 0 and figures["load_http_5xx"] == 0
