"""The content-brief workflow: research a page, let a person pick the angle, draft the
brief, and loop through review until someone approves it (or rejects it).

    outline ─▶ ┌ keywords  ┐ ─▶ angle_review ─▶ draft ─▶ ⟲ brief_review ─▶ finalise
               ├ search    ┤     (person)                 (person, until approved)
               └ community ┘
"""

from __future__ import annotations

from workflows import presentation
from workflows.content_brief import WORKFLOW_ID
from workflows.content_brief.presentation import CONTENT_BRIEF
from workflows.content_brief.step_schemas import BriefInput, FinalBrief
from workflows.content_brief.steps import (
    angle_review,
    brief_review,
    community_threads,
    draft,
    finalise,
    keywords,
    outline,
    search_results,
)
from workflows.engine import Check, Workflow

__all__ = ["MAX_REVIEW_ROUNDS", "WORKFLOW_ID", "content_brief"]
MAX_REVIEW_ROUNDS = 12


def not_yet_approved(check: Check) -> bool:
    status: str = check.output.status
    return status != "approved"


content_brief = (
    Workflow(
        WORKFLOW_ID,
        input=BriefInput,
        output=FinalBrief,
        description="Turn a URL into an approved content brief, with people deciding mid-flow.",
    )
    .then(outline)
    .parallel([keywords, search_results, community_threads], id="research")
    .then(angle_review)
    .then(draft)
    .dowhile(brief_review, not_yet_approved, max_iterations=MAX_REVIEW_ROUNDS, id="review_loop")
    .then(finalise)
    .commit()
)
presentation.register(WORKFLOW_ID, CONTENT_BRIEF)
