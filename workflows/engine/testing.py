"""Running workflows in-process, for tests and the README's examples.

With ``HANDOFF_QUEUE = "manual"`` nothing leaves the process: ``drain`` runs
every queued execution here, fires timers as they fall due, and returns when
the runs have nothing left to do but wait for a person.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from workflows.engine import api, queue, ticker, worker
from workflows.engine.builder import Workflow
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
    """``manage.py runcluster`` in a subprocess, for tests and benchmarks against real workers.

    It runs in its own process group, so ``kill_all`` can SIGKILL the whole
    cluster (sentinel, workers, their tickers) as a power cut would. Its output
    is read by a thread as it comes, so a chatty cluster never blocks on a full pipe.
    """

    def __init__(
        self, *, workers: int, env: dict[str, str], cwd: str, command: str = "runcluster"
    ) -> None:
        self._subprocess = subprocess
        arguments = ["--workers", str(workers)] if command == "runcluster" else []
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", command, *arguments],
            cwd=cwd,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._lines: list[str] = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        ready = "Q Cluster" if command == "qcluster" else "cluster running"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            if any(ready in line for line in self._lines):
                return
            time.sleep(0.05)
        rest = self.stop()
        raise RuntimeError(f"the cluster did not start: {rest}")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.append(line)
            if len(self._lines) > 5000:
                del self._lines[:1000]

    @property
    def output(self) -> str:
        return "".join(self._lines)

    def pids(self) -> list[int]:
        """Every process of the cluster (Linux: read from /proc by process group)."""
        group = os.getpgid(self.process.pid)
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getpgid(int(entry.name)) == group:
                        found.append(int(entry.name))
                except (ProcessLookupError, PermissionError):
                    continue
        return found

    def kill_all(self) -> None:
        """SIGKILL the whole cluster at once: nothing gets to clean up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(self.process.pid), signal.SIGKILL)
        self.process.wait()
        self._reader.join(timeout=5)

    def stop(self) -> str:
        """Stop it with SIGTERM (as Ctrl-C would) and return what it printed."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except self._subprocess.TimeoutExpired:
            self.kill_all()
        self._reader.join(timeout=5)
        return self.output
