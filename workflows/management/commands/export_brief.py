"""``manage.py export_brief RUN_ID [-o FILE_OR_DIR]``: write an approved brief as Markdown.

Exit codes: 2 when the run, or the folder to write into, does not exist; 3 when
the brief is not approved; 4 when the file cannot be written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.content_brief.export import brief_filename, brief_markdown
from workflows.engine import api
from workflows.engine.errors import WorkflowError
from workflows.models import WorkflowRun


class Command(BaseCommand):
    help = (
        "Write the approved content brief of a run as Markdown: to stdout, to -o FILE, or "
        "into an existing folder with -o DIR/ (named after the brief's keyword)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id")
        parser.add_argument(
            "-o",
            "--output",
            help="a file to write, an existing folder (a trailing '/' says it is one), or '-'",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = api.get_run(options["run_id"])
            markdown = brief_markdown(run)
        except WorkflowError as exc:
            raise CommandError(exc.message, returncode=2 if exc.http_status == 404 else 3) from exc
        output = options["output"]
        if output is None or output == "-":
            self.stdout.write(markdown)
            return
        target = destination(output, run)
        try:
            target.write_text(markdown, encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CommandError(f"cannot write {target}: {reason}", returncode=4) from exc
        self.stdout.write(f"wrote {target}")


def destination(output: str, run: WorkflowRun) -> Path:
    """The file to write; refused (exit 2) when its folder does not exist.

    ``Path`` drops a trailing slash, so it is looked at on the raw argument: with
    one, the argument is a folder, never a file of that name.
    """
    path = Path(output)
    if output.endswith(("/", os.sep)) or _is_dir(path):
        if not _is_dir(path):
            raise CommandError(
                f"{output} is not an existing folder; create it first, or name a file to write",
                returncode=2,
            )
        return path / brief_filename(run)
    folder = path.parent
    if not _is_dir(folder):
        raise CommandError(
            f"cannot write {output}: the folder {folder} does not exist; create it first",
            returncode=2,
        )
    return path


def _is_dir(path: Path) -> bool:
    """``Path.is_dir`` that answers False where the OS refuses to look (a name too long)."""
    try:
        return path.is_dir()
    except OSError:
        return False
