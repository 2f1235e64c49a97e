"""``manage.py snapshot RUN_ID [--as-of EVENT_ID] [-o FILE]``: export a run's snapshot as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.engine import api
from workflows.engine.errors import WorkflowError


class Command(BaseCommand):
    help = "Print (or write) the snapshot of a run, now or as of an event id (docs/snapshot.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id")
        parser.add_argument("--as-of", type=int, help="the run as it was right after this event")
        parser.add_argument("-o", "--output", type=Path, help="write to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            document = api.export_snapshot(options["run_id"], as_of=options["as_of"])
        except WorkflowError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        if options["output"]:
            options["output"].write_text(document + "\n")
            self.stdout.write(f"wrote {options['output']}")
        else:
            self.stdout.write(document)
