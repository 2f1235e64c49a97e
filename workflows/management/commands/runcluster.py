"""``manage.py runcluster``: django-q2 workers plus the engine's ticker, stopped by a signal."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from workflows.engine import ticker


class Command(BaseCommand):
    help = (
        "Run the worker cluster that executes workflow steps, and the ticker that fires "
        "timers, recovers steps whose worker died and re-sends lost work. Ctrl-C stops both."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers", type=int, help="worker processes (default: HANDOFF_WORKERS)"
        )
        parser.add_argument(
            "--no-ticker",
            action="store_true",
            help="run only the workers (when a ticker runs elsewhere)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django_q.cluster import Cluster
        from django_q.conf import Conf

        if options["workers"] is not None:
            if options["workers"] < 1:
                raise CommandError("--workers must be at least 1", returncode=2)
            Conf.WORKERS = options["workers"]
        stop = threading.Event()
        connections.close_all()  # forked workers must not share this process's connections
        cluster = Cluster()
        cluster.start()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        ticking = "off" if options["no_ticker"] else "on"
        self.stdout.write(f"cluster running with {Conf.WORKERS} workers; ticker {ticking}")
        self.stdout.flush()
        try:
            if options["no_ticker"]:
                stop.wait()
            else:
                ticker.run_forever(stop)
        finally:
            cluster.stop()
            self.stdout.write("cluster stopped")
