"""``manage.py export_brief RUN_ID [-o FILE]``: write an approved brief as Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.content_brief.export import brief_filename, brief_markdown
from workflows.engine import api
from workflows.engine.errors import WorkflowError


class Command(BaseCommand):
    help = "Write the approved content brief of a run as Markdown (to stdout, or -o FILE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id")
        parser.add_argument("-o", "--output", type=Path, help="file to write ('-' for stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = api.get_run(options["run_id"])
            markdown = brief_markdown(run)
        except WorkflowError as exc:
            raise CommandError(exc.message, returncode=2 if exc.http_status == 404 else 3) from exc
        output = options["output"]
        if output is None or str(output) == "-":
            self.stdout.write(markdown)
            return
        if output.is_dir():
            output = output / brief_filename(run)
        output.write_text(markdown)
        self.stdout.write(f"wrote {output}")
