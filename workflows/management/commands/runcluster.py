"""``manage.py runcluster``: the django-q2 worker cluster, with a ticker in each worker.

Plain ``manage.py qcluster`` is as complete (the ticker starts with any
cluster's workers, workflows/engine/ticker.py); this command adds
``--workers``, ``--no-ticker`` and a line that says when the cluster runs.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from workflows.engine import conf


class Command(BaseCommand):
    help = (
        "Run the worker cluster that executes workflow steps; each worker also runs the "
        "ticker that fires timers, recovers steps whose worker died and re-sends lost work. "
        "Ctrl-C stops it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers", type=int, help="worker processes (default: HANDOFF_WORKERS)"
        )
        parser.add_argument(
            "--no-ticker",
            action="store_true",
            help="run only the workers (when tickers run elsewhere); same as HANDOFF_TICKER=0",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django_q.cluster import Cluster
        from django_q.conf import Conf

        if options["workers"] is not None:
            if options["workers"] < 1:
                raise CommandError("--workers must be at least 1", returncode=2)
            Conf.WORKERS = options["workers"]
        if options["no_ticker"]:
            settings.HANDOFF_TICKER = False  # the forked workers inherit it
            os.environ["HANDOFF_TICKER"] = "0"
        stop = threading.Event()
        connections.close_all()  # forked workers must not share this process's connections
        cluster = Cluster()
        cluster.start()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        ticking = "in each worker" if conf.TICKER.get() else "off"
        self.stdout.write(f"cluster running with {Conf.WORKERS} workers; ticker {ticking}")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            cluster.stop()
            self.stdout.write("cluster stopped")
