"""Reads about editable drafts: the AI's text, its revisions, and the diffs between them.

Revision 0 is the text the step showed (its suspend payload); saved edits are
``DraftRevision`` rows numbered from 1. Diffs are computed when asked for, so
the log stays small and any two revisions can be compared.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from review.models import DraftRevision
from workflows import presentation
from workflows.models import Suspension


@dataclass(frozen=True)
class Revision:
    number: int
    text: str
    author: str | None  # None: the AI's (the step's) original
    created_at: datetime | None
    lines_added: int = 0
    lines_removed: int = 0


@dataclass(frozen=True)
class Draft:
    suspension: Suspension
    hook: presentation.EditableDraft
    revisions: list[Revision]  # revision 0 first

    @property
    def original(self) -> Revision:
        return self.revisions[0]

    @property
    def latest(self) -> Revision:
        return self.revisions[-1]

    @property
    def edited(self) -> bool:
        return self.latest.number > 0

    def revision(self, number: int) -> Revision | None:
        if 0 <= number < len(self.revisions):
            return self.revisions[number]
        return None


def hook_for(suspension: Suspension, workflow_id: str) -> presentation.EditableDraft | None:
    step_id = suspension.path_key.rsplit(".", 1)[-1]
    return presentation.get(workflow_id).drafts.get(step_id)


def draft_of(suspension: Suspension, workflow_id: str) -> Draft | None:
    """The draft a question shows, with every saved revision; None if it shows none."""
    hook = hook_for(suspension, workflow_id)
    if hook is None:
        return None
    original = Revision(number=0, text=hook.text(suspension.payload), author=None, created_at=None)
    saved = [
        Revision(
            number=row.number,
            text=row.text,
            author=row.author.get_username() if row.author else None,
            created_at=row.created_at,
            lines_added=row.lines_added,
            lines_removed=row.lines_removed,
        )
        for row in DraftRevision.objects.filter(suspension=suspension)
        .select_related("author")
        .order_by("number")
    ]
    return Draft(suspension=suspension, hook=hook, revisions=[original, *saved])


def latest_number(suspension: Suspension) -> int:
    last = (
        DraftRevision.objects.filter(suspension=suspension)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return last or 0


def unified_diff(before: str, after: str, *, old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=old,
            tofile=new,
        )
    )


def line_counts(before: str, after: str) -> tuple[int, int]:
    """Lines added and removed, as ``+N -M`` in the timeline."""
    added = removed = 0
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("+ "):
            added += 1
        elif line.startswith("- "):
            removed += 1
    return added, removed
