"""``manage.py bench engine|stream|pages|research|faults|load [--json FILE] [--quick]``:
benchmarks that print their figures.

The command re-runs itself in a subprocess pointed at a scratch database of
the configured kind (SQLite file or PostgreSQL database) and the configured
broker, with DEBUG off, then drops the scratch database. ``research`` touches no
database and runs in the command's own process.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench.scratch import ScratchDatabase
from config.redaction import redact_url

BENCHMARKS = {
    "engine": ("bench.engine", "bench.engine_workloads"),
    "stream": ("bench.stream", "bench.stream_workloads"),
    "research": ("bench.research", None),
    "pages": ("bench.pages", "workflows.content_brief.workflow"),
    "faults": ("bench.faults", "bench.fault_workloads"),
    "load": ("bench.load", "workflows.content_brief.workflow"),
}


class Command(BaseCommand):
    help = "Run a benchmark and print its table (and write JSON with --json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", choices=sorted(BENCHMARKS), help="which benchmark")
        parser.add_argument("--json", type=Path, help="also write the figures to this file")
        parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
        parser.add_argument("--inside", action="store_true", help="(used by the command itself)")

    def handle(self, *args: Any, **options: Any) -> None:
        module_name, workflow_module = BENCHMARKS[options["name"]]
        if options["inside"] or workflow_module is None:
            module = import_module(module_name)
            report = module.run(quick=options["quick"])
            module.write(report, options["json"], self.stdout)
            return
        scratch = ScratchDatabase(f"bench_{options['name']}")
        scratch.create()
        env = {
            **os.environ,
            "DATABASE_URL": scratch.url,
            "DEBUG": "0",
            # DEBUG off refuses a weak key (config/env.py); the scratch install gets its own.
            "SECRET_KEY": secrets.token_urlsafe(50),
            "HANDOFF_QUEUE": "django_q",
            "HANDOFF_QUEUE_NAME": f"bench-{os.getpid()}",
            "HANDOFF_WORKFLOW_MODULES": workflow_module,
        }
        command = [sys.executable, "manage.py", "bench", options["name"], "--inside"]
        if options["json"]:
            command += ["--json", str(options["json"].resolve())]
        if options["quick"]:
            command.append("--quick")
        where = redact_url(scratch.url)
        self.stdout.write(f"benchmarking on a scratch {scratch.kind} database ({where})")
        self.stdout.flush()
        try:
            completed = subprocess.run(command, cwd=settings.BASE_DIR, env=env, check=False)
        finally:
            scratch.drop()
        if completed.returncode:
            raise CommandError(
                f"the {options['name']} benchmark failed (exit {completed.returncode})"
            )
