"""What flows between the content-brief steps, and what people see and answer.

What the providers found and wrote (outline, keywords, search results, drafts)
lives in ``records.py``; these are the workflow's own schemas: its input and
output, each step's output, and the suspend/resume schemas of the two human
decisions.
"""

from __future__ import annotations

from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator, model_validator

from workflows.content_brief.records import (
    BriefDraft,
    CommunityInsights,
    KeywordAnalysis,
    PageOutline,
    SearchResult,
    Thread,
)

# Bounds on what people type. SQLite does not enforce column lengths, so the schema is the
# one place where oversized input is refused the same way on every database.
SHORT_TEXT = 300
KEYWORD_TEXT = 200
LONG_TEXT = 4000
URL_TEXT = 2000
MARKDOWN_TEXT = 200_000


class BriefInput(BaseModel):
    url: str = Field(title="URL", max_length=URL_TEXT, description="The page the brief is for.")
    topic: str = Field(
        default="",
        title="Topic",
        max_length=SHORT_TEXT,
        description="Optional: what to search for, if not the title.",
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be a web address starting with http:// or https://")
        return value


class SearchResearch(BaseModel):
    query: str
    results: list[SearchResult] = Field(default_factory=list)
    competitor_gaps: list[str] = Field(default_factory=list)


class CommunityResearch(BaseModel):
    query: str
    threads: list[Thread] = Field(default_factory=list)
    insights: CommunityInsights = Field(default_factory=CommunityInsights)


class Research(BaseModel):
    """The parallel stage's output: one field per branch, named by the branch's step id."""

    keywords: KeywordAnalysis
    search: SearchResearch
    community: CommunityResearch


# --- angle review (human) ---------------------------------------------------------------------


class AngleOption(BaseModel):
    title: str
    target_keyword: str
    rationale: str


class AngleProposal(BaseModel):
    """Shown to the reviewer: the research in brief and the angles it suggests."""

    url: str
    page_title: str
    summary: list[str]
    suggested_keywords: list[str]
    angles: list[AngleOption]
    problem: str = Field(default="", description="Why the previous answer could not be used.")
    # What the page says about itself, so the reviewer can judge the source. Defaults keep
    # proposals stored before these fields existed readable.
    language: str = Field(default="en", description="ISO 639-1 code of the page's text.")
    language_name: str = Field(default="English", description="The language, in English.")
    language_source: str = Field(
        default="", description="'detected' from the text, or 'declared' by the markup."
    )
    published: str | None = Field(default=None, description="Publication date, YYYY-MM-DD.")
    canonical_url: str = Field(default="", description="The address the page names as its own.")
    word_count: int = Field(default=0, description="Words of the page's main content.")


class AngleChoice(BaseModel):
    """Pick one of the suggested angles by number, or write your own.

    A custom angle may leave ``target_keyword`` empty: ``angle_review`` then derives
    one from the research, so a reviewer is never blocked on choosing a keyword.
    """

    option: int | None = Field(
        default=None, ge=0, title="Angle", description="Index of a suggested angle."
    )
    custom_angle: str = Field(default="", title="Custom angle", max_length=SHORT_TEXT)
    target_keyword: str = Field(
        default="",
        title="Target keyword",
        max_length=KEYWORD_TEXT,
        description="Overrides the angle's keyword.",
    )
    note: str = Field(default="", title="Note", max_length=LONG_TEXT)

    @model_validator(mode="after")
    def _one_choice(self) -> Self:
        has_custom = bool(self.custom_angle.strip())
        if (self.option is None) == (not has_custom):
            raise ValueError("choose a suggested angle (option) or write a custom_angle, not both")
        return self


class ChosenAngle(BaseModel):
    angle: str
    target_keyword: str
    note: str = ""
    research: Research


# --- brief review loop (human) ----------------------------------------------------------------


class ReviewRound(BaseModel):
    """One turn of the review loop: the draft as it stands and where the loop is."""

    draft: BriefDraft
    round: int = 1
    status: Literal["awaiting_review", "approved"] = "awaiting_review"
    edited_by_people: bool = False


class DraftForReview(BaseModel):
    round: int
    draft: BriefDraft
    generator: str
    revision_note: str | None = None


class ReviewDecision(BaseModel):
    """Approve (optionally with an editor's changes), ask for changes, or reject.

    ``edited_markdown`` travels with approval and with a request for changes alike:
    editors edit the text while the review waits, and a revision must start from
    what they wrote rather than from the draft as the writer left it.
    """

    decision: Literal["approve", "request_changes", "reject"]
    feedback: str = Field(
        default="",
        title="Feedback",
        max_length=LONG_TEXT,
        description="What to change: needed when you request changes.",
    )
    reason: str = Field(
        default="",
        title="Reason",
        max_length=LONG_TEXT,
        description="Why the brief is rejected: needed when you reject it.",
    )
    edited_draft: BriefDraft | None = Field(
        default=None, description="The draft as people edited it, approved as it stands."
    )
    edited_markdown: str | None = Field(
        default=None,
        max_length=MARKDOWN_TEXT,
        description="The brief's text as people edited it: approved as it stands, or the "
        "starting point of the revision (request_changes).",
    )

    @field_validator("edited_markdown")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        """Approved, a blank text would be a brief with nothing in it."""
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("edited_markdown")
    @classmethod
    def _unix_newlines(cls, value: str | None) -> str | None:
        """Browsers submit textareas with CRLF; without this an untouched text looks edited."""
        if value is None:
            return None
        return value.replace("\r\n", "\n").replace("\r", "\n")

    @model_validator(mode="after")
    def _explained(self) -> Self:
        if self.decision == "request_changes" and not self.feedback.strip():
            raise ValueError("say what should change (feedback)")
        if self.decision == "reject" and not self.reason.strip():
            raise ValueError("say why the brief is rejected (reason)")
        if self.decision == "reject" and self.edited_markdown is not None:
            raise ValueError(
                "a rejected brief keeps no edits; leave out edited_markdown, or send it with "
                "decision=approve or decision=request_changes"
            )
        if self.edited_draft is not None and self.decision != "approve":
            raise ValueError("edited_draft is approved as it stands; send it with decision=approve")
        return self


# --- outcome ----------------------------------------------------------------------------------


class FinalBrief(BaseModel):
    status: Literal["approved"] = "approved"
    url: str
    page_title: str
    angle: str
    target_keyword: str
    rounds: int
    edited_by_people: bool
    generator: str
    draft: BriefDraft
    markdown: str


class Rejection(BaseModel):
    status: Literal["rejected"] = "rejected"
    url: str
    round: int
    reason: str


class OutlineStep(BaseModel):
    """The outline step's output: the page, plus what the run searches for."""

    outline: PageOutline
    topic: str
