"""Records of what the research providers found and the writers wrote, in one place.

The workflow's own step, suspend and resume schemas are in ``step_schemas.py``.

They are Pydantic models so a workflow step can store them as JSON, show them to
a reviewer and validate them again on resume without bespoke serialisation.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Shape(BaseModel):
    # Frozen: a step's output is a record of what happened, not a scratchpad.
    model_config = ConfigDict(frozen=True)


# --- fetching -------------------------------------------------------------------------------


class FetchedPage(_Shape):
    url: str = Field(description="The address that was asked for.")
    final_url: str = Field(description="Where the page really came from, after redirects.")
    status: int
    content_type: str
    html: str


# --- outline --------------------------------------------------------------------------------


class Heading(_Shape):
    level: int = Field(ge=1, le=3)
    text: str
    children: list[Heading] = Field(default_factory=list)


class Link(_Shape):
    href: str = Field(description="Absolute address.")
    text: str
    internal: bool = Field(description="Same site as the page (ignoring a leading 'www.').")


class PageOutline(_Shape):
    url: str = Field(description="Where the page was fetched from, after redirects.")
    title: str
    meta_description: str
    headings: list[Heading] = Field(
        default_factory=list, description="H1-H3 of the main content, nested."
    )
    word_count: int = Field(description="Words of the main content.")
    links: list[Link] = Field(default_factory=list, description="Links in the main content.")
    text: str = Field(description="The main content's text, one block per line.")
    # Defaults keep outlines stored before these fields existed readable.
    language: str = Field(default="en", description="ISO 639-1 code of the main text.")
    language_source: str = Field(
        default="", description="'detected' from the text, or 'declared' by the markup."
    )
    published: str | None = Field(default=None, description="Publication date, YYYY-MM-DD.")
    canonical_url: str = Field(default="", description="The page's own canonical address.")

    def heading_texts(self) -> list[str]:
        """Flat list, document order; what keyword coverage is measured against."""
        found: list[str] = []

        def walk(nodes: list[Heading]) -> None:
            for node in nodes:
                found.append(node.text)
                walk(node.children)

        walk(self.headings)
        return found


# --- keywords -------------------------------------------------------------------------------


class Keyword(_Shape):
    phrase: str
    score: float = Field(description="YAKE score: lower means more important.")
    relevance: float = Field(ge=0.0, le=1.0, description="Same ranking as 0..1, higher is better.")
    in_headings: bool
    occurrences: int


class KeywordAnalysis(_Shape):
    keywords: list[Keyword] = Field(default_factory=list)
    heading_coverage: float = Field(ge=0.0, le=1.0)
    missing_from_headings: list[str] = Field(default_factory=list)
    language: str = Field(default="en", description="Whose stopwords YAKE used.")


# --- search ---------------------------------------------------------------------------------


class SearchResult(_Shape):
    title: str
    url: str
    snippet: str = ""
    engine: str | None = None


# --- community ------------------------------------------------------------------------------


class Thread(_Shape):
    title: str
    url: str
    subreddit: str
    score: int = 0
    num_comments: int = 0
    selftext: str = ""
    created_utc: float = 0.0


class CommunityInsights(_Shape):
    questions: list[str] = Field(default_factory=list)
    pain_points: list[str] = Field(default_factory=list)
    top_threads: list[Thread] = Field(default_factory=list)


# --- brief ----------------------------------------------------------------------------------


class PageSummary(_Shape):
    """The part of a PageOutline a writer needs; the full text would only cost tokens."""

    title: str
    meta_description: str = ""
    headings: list[str] = Field(default_factory=list, description="'H2: text' lines, in order.")
    word_count: int = 0
    language: str = Field(default="en", description="The page's language: the brief's too.")

    @classmethod
    def from_outline(cls, outline: PageOutline) -> PageSummary:
        lines: list[str] = []

        def walk(nodes: list[Heading]) -> None:
            for node in nodes:
                lines.append(f"H{node.level}: {node.text}")
                walk(node.children)

        walk(outline.headings)
        return cls(
            title=outline.title,
            meta_description=outline.meta_description,
            headings=lines,
            word_count=outline.word_count,
            language=outline.language,
        )


class BriefRequest(_Shape):
    url: str
    page: PageSummary
    angle: str = Field(description="The editorial angle the reviewer chose.")
    target_keyword: str
    keywords: KeywordAnalysis
    search_results: list[SearchResult] = Field(default_factory=list)
    competitor_gaps: list[str] = Field(default_factory=list)
    community: CommunityInsights = Field(default_factory=CommunityInsights)


class OutlineSection(_Shape):
    heading: str = Field(description="An H2.")
    subheadings: list[str] = Field(default_factory=list, description="H3s under it.")


class BriefDraft(_Shape):
    target_keyword: str
    search_intent: str
    audience: str
    outline: list[OutlineSection] = Field(default_factory=list)
    questions_to_answer: list[str] = Field(default_factory=list)
    keywords_to_include: list[str] = Field(default_factory=list)
    competitor_gaps: list[str] = Field(default_factory=list)
    community_insights: list[str] = Field(default_factory=list)
    word_count_target: int = Field(ge=0)
    sources: list[str] = Field(default_factory=list)
    generator: str = Field(description="Who wrote this draft: a model name or the offline rules.")
    markdown: str = ""
    revision_note: str | None = None
    language: str = Field(default="en", description="ISO 639-1 code the brief is written in.")
