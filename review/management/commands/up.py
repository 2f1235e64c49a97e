"""``manage.py up``: the whole app in one command: migrate, demo data, web server, workers.

The web server (daphne, ASGI: pages and websockets) and the worker cluster run
as child processes; Ctrl-C or SIGTERM stops both, and if either dies the other
is stopped too, so nothing is left running half-way.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

ROOT = Path(settings.BASE_DIR)


class Command(BaseCommand):
    help = "Migrate, load demo data, and run the web server and the worker cluster until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--no-demo", action="store_true", help="skip the demo accounts and runs"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("database ready: " + settings.DATABASES["default"]["NAME"])
        if not options["no_demo"]:
            self.stdout.write("demo accounts:")
            call_command("seed_demo", stdout=self.stdout)
        host, port = options["host"], options["port"]
        local_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        demo_base = os.environ.get("CONTENT_BRIEF_DEMO_BASE_URL") or f"http://{local_host}:{port}"
        children = self._start_children(host, port, demo_base)
        if self._wait_for_port(local_host, port) and not options["no_demo"]:
            call_command("seed_demo", runs=True, base_url=demo_base, stdout=self.stdout)
        url = f"http://{local_host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"Handoff is running at {url}  (Ctrl-C stops it)"))
        self.stdout.flush()
        exit_code = self._supervise(children)
        raise SystemExit(exit_code)

    def _start_children(
        self, host: str, port: int, demo_base: str
    ) -> dict[str, subprocess.Popen[bytes]]:
        python = sys.executable
        env = {**os.environ, "CONTENT_BRIEF_DEMO_BASE_URL": demo_base}
        return {
            "web server": subprocess.Popen(
                [python, "manage.py", "runserver", "--noreload", f"{host}:{port}"],
                cwd=ROOT,
                env=env,
            ),
            "worker cluster": subprocess.Popen(
                [python, "manage.py", "runcluster"], cwd=ROOT, env=env
            ),
        }

    def _wait_for_port(self, host: str, port: int, timeout: float = 30.0) -> bool:
        """The demo runs fetch this server's own pages, so start them once it answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((host, port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.2)
        self.stderr.write(f"the web server did not answer on {host}:{port} within {timeout:g}s")
        return False

    def _supervise(self, children: dict[str, subprocess.Popen[bytes]]) -> int:
        stopping = False

        def request_stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        failed = ""
        while not stopping and not failed:
            failed = next((name for name, p in children.items() if p.poll() is not None), "")
            time.sleep(0.2)
        if failed:
            self.stderr.write(
                f"the {failed} stopped (exit {children[failed].returncode}); stopping"
            )
        for process in children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in children.items():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.stderr.write(f"the {name} did not stop in 30s; killing it")
                process.kill()
        self.stdout.write("stopped")
        return 1 if failed else 0
