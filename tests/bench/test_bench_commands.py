"""``manage.py bench engine|stream`` run end to end and write every figure they promise.

This checks that the scripts work, not how fast anything is: figures are read by
people from their tables (docs/benchmarks.md), never asserted against a clock here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

pytestmark = pytest.mark.cluster


def run_bench(name: str, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    output = tmp_path / f"{name}.json"
    completed = subprocess.run(
        [sys.executable, "manage.py", "bench", name, "--quick", "--json", str(output)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "baseline" in completed.stdout
    return completed.stdout, json.loads(output.read_text())


def test_bench_engine_prints_a_table_and_writes_the_figures(tmp_path: Path) -> None:
    table, figures = run_bench("engine", tmp_path)
    assert "chain_growth_ratio" in table
    assert set(figures) >= {
        "per_step_ms_median",
        "chain_growth_ratio",
        "resume_to_next_step_ms_p50",
        "fanout_overhead_ms",
        "throughput_steps_per_s",
        "queries_per_step",
        "round_trips_per_step",
        "durable_commit_ms_median",
        "durable_commit_ms_p95",
        "cpu_reference_ns",
    }
    assert set(figures["fanout_overhead_ms"]) == {"3", "20"}
    assert 0 < figures["durable_commit_ms_median"] <= figures["durable_commit_ms_p95"]
    assert figures["throughput_steps_per_s"] > 0
    assert figures["round_trips_per_step"] > figures["queries_per_step"] > 0


def test_bench_stream_prints_a_table_and_writes_the_figures(tmp_path: Path) -> None:
    table, figures = run_bench("stream", tmp_path)
    assert "event_latency_ms_p95" in table
    assert set(figures) >= {
        "event_latency_ms_p50",
        "event_latency_ms_p95",
        "fanout_clients",
        "fanout_latency_ms_p95",
    }
    assert figures["fanout_clients"] > 0
    assert figures["figures"]["event_latency_ms_p95"]["baseline"] in (50.0, 500.0)
