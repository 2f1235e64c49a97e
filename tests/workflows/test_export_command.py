"""``export_brief -o`` writes where it is told, or says why not: no stray file, no traceback."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from workflows.content_brief.workflow import WORKFLOW_ID
from workflows.models import RunStatus, WorkflowRun

pytestmark = pytest.mark.django_db

MARKDOWN = "# Brief\n\nKompost für alle.\n"


@pytest.fixture
def run() -> WorkflowRun:
    return WorkflowRun.objects.create(
        workflow_id=WORKFLOW_ID,
        definition_version="v",
        status=RunStatus.SUCCESS,
        result={"status": "approved", "markdown": MARKDOWN, "target_keyword": "compost"},
    )


def export(run: WorkflowRun, output: str) -> str:
    out = StringIO()
    call_command("export_brief", str(run.pk), "-o", output, stdout=out)
    return out.getvalue()


def test_a_missing_folder_with_a_trailing_slash_is_refused_not_written_as_a_file(
    run: WorkflowRun, tmp_path: Path
) -> None:
    os.chdir(tmp_path)
    with pytest.raises(CommandError, match="missing_dir/ is not an existing folder") as caught:
        export(run, "missing_dir/")
    assert caught.value.returncode == 2
    assert list(tmp_path.iterdir()) == []


def test_a_file_in_a_missing_folder_is_refused_with_the_folder_named(
    run: WorkflowRun, tmp_path: Path
) -> None:
    target = tmp_path / "nope" / "brief.md"
    with pytest.raises(CommandError, match=r"the folder .*nope does not exist") as caught:
        export(run, str(target))
    assert caught.value.returncode == 2
    assert not (tmp_path / "nope").exists()


def test_an_existing_folder_with_or_without_slash_and_a_file_path_are_written(
    run: WorkflowRun, tmp_path: Path
) -> None:
    named = tmp_path / f"brief-compost-{run.short_id}.md"
    assert export(run, f"{tmp_path}/") == f"wrote {named}\n"
    named.unlink()
    export(run, str(tmp_path))
    assert named.read_text(encoding="utf-8") == MARKDOWN
    export(run, str(tmp_path / "mine.md"))
    assert (tmp_path / "mine.md").read_text(encoding="utf-8") == MARKDOWN


def test_a_file_that_cannot_be_written_is_a_clear_error(run: WorkflowRun, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"cannot write .*: File name too long") as caught:
        export(run, str(tmp_path / ("x" * 300 + ".md")))
    assert caught.value.returncode == 4
    plain = tmp_path / "plain.txt"
    plain.write_text("a file, not a folder")
    with pytest.raises(CommandError, match="does not exist") as caught:
        export(run, str(plain / "brief.md"))
    assert caught.value.returncode == 2
