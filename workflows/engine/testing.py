"""Running workflows in-process, for tests and the README's examples.

With ``HANDOFF_QUEUE = "manual"`` nothing leaves the process: ``drain`` runs
every queued execution here, fires timers as they fall due, and returns when
the runs have nothing left to do but wait for a person.
"""

from __future__ import annotations

import time
from typing import Any

from workflows.engine import api, queue, ticker, worker
from workflows.engine.definition import Workflow
from workflows.models import WorkflowRun


def drain(*, timeout: float = 10.0) -> int:
    """Run queued executions and due timers until none are left; returns how many ran."""
    deadline = time.monotonic() + timeout
    executed = 0
    while time.monotonic() < deadline:
        while queue.manual_queue:
            executed += worker.run_execution(queue.manual_queue.popleft())
        if ticker.tick().total:
            continue
        pause = ticker.seconds_until_next_timer(default=-1.0)
        if pause < 0 and not queue.manual_queue:
            return executed
        time.sleep(min(max(pause, 0.005), 0.05))
    raise TimeoutError(f"work was still queued after {timeout}s")


def run_workflow(workflow: Workflow | str, input: Any = None, **kwargs: Any) -> WorkflowRun:
    """Start a run and drive it until it ends or waits for a person."""
    run = api.start_run(workflow, input, **kwargs)
    drain()
    run.refresh_from_db()
    return run


def resume_and_drain(run: WorkflowRun, resume_data: Any = None, **kwargs: Any) -> WorkflowRun:
    api.resume_run(run.pk, resume_data, **kwargs)
    drain()
    run.refresh_from_db()
    return run


class ClusterProcess:
    """``manage.py runcluster`` in a subprocess, for tests and benchmarks against real workers."""

    def __init__(self, *, workers: int, env: dict[str, str], cwd: str) -> None:
        import subprocess
        import sys

        self._subprocess = subprocess
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runcluster", "--workers", str(workers)],
            cwd=cwd,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        seen: list[str] = []
        while self.process.stdout is not None:
            line = self.process.stdout.readline()
            seen.append(line)
            if "cluster running" in line:
                return
            if not line:  # the process ended before it was ready
                break
        rest = self.stop()
        raise RuntimeError(f"the cluster did not start: {''.join(seen)}{rest}")

    def stop(self) -> str:
        """Stop it with SIGTERM (as Ctrl-C would) and return what it printed."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            output, _ = self.process.communicate(timeout=30)
        except self._subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return output or ""
