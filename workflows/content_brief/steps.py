"""The content-brief steps. Each one calls providers and returns typed data; no step
knows about the queue, the database or the review pages."""

from __future__ import annotations

from typing import Any

from workflows.content_brief import angles, providers
from workflows.content_brief.records import (
    BriefDraft,
    BriefRequest,
    KeywordAnalysis,
    PageOutline,
    PageSummary,
)
from workflows.content_brief.research.community import community_insights
from workflows.content_brief.research.fetching import fetch_page
from workflows.content_brief.research.keywords import extract_keywords
from workflows.content_brief.research.outline import extract_outline
from workflows.content_brief.research.search import competitor_gaps
from workflows.content_brief.step_schemas import (
    AngleChoice,
    AngleProposal,
    BriefInput,
    ChosenAngle,
    CommunityResearch,
    DraftForReview,
    FinalBrief,
    OutlineStep,
    Rejection,
    Research,
    ReviewDecision,
    ReviewRound,
    SearchResearch,
)
from workflows.content_brief.writers.markdown import render_markdown
from workflows.content_brief.writers.streaming import TokenBatcher
from workflows.engine import Backoff, StepContext, step

NETWORK_RETRIES = Backoff(initial=2, factor=2, maximum=30)
MODEL_RETRIES = Backoff(initial=3, factor=2, maximum=60)
RESULTS = 10


@step(input=BriefInput, output=OutlineStep, retries=2, backoff=NETWORK_RETRIES, timeout=60)
def outline(ctx: StepContext[BriefInput]) -> OutlineStep:
    """Fetch the page and read its title, description, headings, words and links."""
    policy = providers.fetch_policy()
    page = fetch_page(
        ctx.input.url,
        allow_hosts=policy.allow_hosts,
        timeout=policy.timeout,
        max_bytes=policy.max_bytes,
    )
    parsed = extract_outline(page.html, page.final_url)
    topic = ctx.input.topic.strip() or parsed.title or ctx.input.url
    ctx.set_state(subject=run_subject(parsed))
    return OutlineStep(outline=parsed, topic=topic)


def run_subject(page: PageOutline) -> str:
    """What the run is about, for lists of runs: the page's title, else where it was fetched.

    The outline's title is the ``<title>``, or the first H1 without one; its ``url``
    is the address after redirects, so a page with neither is named by where its
    content really came from.
    """
    return page.title.strip() or page.url


@step(input=OutlineStep, output=KeywordAnalysis)
def keywords(ctx: StepContext[OutlineStep]) -> KeywordAnalysis:
    """YAKE keywords over the page text in its language, and how well the headings cover them."""
    page = ctx.input.outline
    return extract_keywords(page.text, page.heading_texts(), language=page.language)


@step(
    id="search",
    input=OutlineStep,
    output=SearchResearch,
    retries=2,
    backoff=NETWORK_RETRIES,
    timeout=60,
)
def search_results(ctx: StepContext[OutlineStep]) -> SearchResearch:
    """Search results for the topic, and what competitors cover that the page does not."""
    results = providers.search_provider().search(ctx.input.topic, limit=RESULTS)
    gaps = competitor_gaps(ctx.input.outline, results)
    return SearchResearch(query=ctx.input.topic, results=results, competitor_gaps=gaps)


@step(
    id="community",
    input=OutlineStep,
    output=CommunityResearch,
    retries=2,
    backoff=NETWORK_RETRIES,
    timeout=60,
)
def community_threads(ctx: StepContext[OutlineStep]) -> CommunityResearch:
    """Discussion threads on the topic: the questions people ask, their pain points."""
    threads = providers.community_provider().search(ctx.input.topic, limit=RESULTS)
    return CommunityResearch(
        query=ctx.input.topic, threads=threads, insights=community_insights(threads)
    )


@step(input=Research, output=ChosenAngle, suspend=AngleProposal, resume=AngleChoice)
def angle_review(ctx: StepContext[Research]) -> ChosenAngle:
    """A person picks the brief's angle and target keyword from the research."""
    page = ctx.step_output("outline").outline
    proposal = angles.propose(page, ctx.input)
    choice = ctx.resume_data
    if choice is None:
        ctx.suspend(proposal)
    if choice.option is not None:
        if choice.option >= len(proposal.angles):
            last = len(proposal.angles) - 1
            ctx.suspend(
                proposal.model_copy(
                    update={
                        "problem": f"There is no option {choice.option}; pick 0 to {last} "
                        "or write your own angle."
                    }
                )
            )
        picked = proposal.angles[choice.option]
        angle, keyword = picked.title, choice.target_keyword.strip() or picked.target_keyword
    else:
        angle = choice.custom_angle.strip()
        keyword = choice.target_keyword.strip() or _custom_keyword(ctx.input, angle, proposal)
    ctx.set_state(angle=angle, target_keyword=keyword)
    return ChosenAngle(angle=angle, target_keyword=keyword, note=choice.note, research=ctx.input)


def _custom_keyword(research: Research, angle: str, proposal: AngleProposal) -> str:
    """A keyword for a custom angle given without one: the research phrase closest to the
    angle, else the keyword the first suggested angle targets."""
    return angles.keyword_for_angle(research, angle) or proposal.angles[0].target_keyword


def brief_request(ctx: StepContext[Any], chosen: ChosenAngle) -> BriefRequest:
    page = ctx.step_output("outline").outline
    research = chosen.research
    return BriefRequest(
        url=page.url,
        page=PageSummary.from_outline(page),
        angle=chosen.angle,
        target_keyword=chosen.target_keyword,
        keywords=research.keywords,
        search_results=research.search.results,
        competitor_gaps=research.search.competitor_gaps,
        community=research.community.insights,
    )


def _token_stream(ctx: StepContext[Any], round_number: int) -> TokenBatcher:
    return TokenBatcher(lambda text: ctx.emit({"text": text, "round": round_number}, type="token"))


@step(
    input=ChosenAngle,
    output=ReviewRound,
    retries=3,
    backoff=MODEL_RETRIES,
    timeout=300,
)
def draft(ctx: StepContext[ChosenAngle]) -> ReviewRound:
    """The writer drafts the brief; its tokens stream to anyone watching the run."""
    request = brief_request(ctx, ctx.input)
    with _token_stream(ctx, 1) as stream:
        written = providers.brief_writer().write_brief(request, on_token=stream)
    return ReviewRound(draft=written, round=1)


@step(
    input=ReviewRound,
    output=ReviewRound,
    suspend=DraftForReview,
    resume=ReviewDecision,
    retries=3,
    backoff=MODEL_RETRIES,
    timeout=300,
)
def brief_review(ctx: StepContext[ReviewRound]) -> ReviewRound:
    """A person approves the draft (with edits), asks for changes, or rejects it."""
    current = ctx.input
    decision = ctx.resume_data
    if decision is None:
        ctx.suspend(
            DraftForReview(
                round=current.round,
                draft=current.draft,
                generator=current.draft.generator,
                revision_note=current.draft.revision_note,
            )
        )
    if decision.decision == "reject":
        page = ctx.step_output("outline").outline
        ctx.bail(Rejection(url=page.url, round=current.round, reason=decision.reason.strip()))
    if decision.decision == "approve":
        return _approved(current, decision)
    previous, edited = _as_people_left_it(current, decision)
    chosen = ctx.step_output("angle_review")
    with _token_stream(ctx, current.round + 1) as stream:
        revised = providers.brief_writer().revise_brief(
            brief_request(ctx, chosen), previous, decision.feedback.strip(), on_token=stream
        )
    return ReviewRound(draft=revised, round=current.round + 1, edited_by_people=edited)


def _as_people_left_it(current: ReviewRound, decision: ReviewDecision) -> tuple[BriefDraft, bool]:
    """The draft a revision starts from, and whether people have edited the brief so far.

    Editors change the text while the review waits; revising the writer's own draft
    instead would throw their work away. Text sent back unchanged is not an edit.
    """
    text = decision.edited_markdown
    if text is None or text == current.draft.markdown:
        return current.draft, current.edited_by_people
    return current.draft.model_copy(update={"markdown": text}), True


def _approved(current: ReviewRound, decision: ReviewDecision) -> ReviewRound:
    final: BriefDraft = current.draft
    edited = False
    if decision.edited_draft is not None:
        final = decision.edited_draft.model_copy(update={"generator": current.draft.generator})
        final = final.model_copy(update={"markdown": render_markdown(final)})
        edited = True
    if decision.edited_markdown is not None and decision.edited_markdown != final.markdown:
        final = final.model_copy(update={"markdown": decision.edited_markdown})
        edited = True
    return ReviewRound(
        draft=final,
        round=current.round,
        status="approved",
        edited_by_people=current.edited_by_people or edited,
    )


@step(input=ReviewRound, output=FinalBrief)
def finalise(ctx: StepContext[ReviewRound]) -> FinalBrief:
    """The approved brief, with where it came from, ready to download as Markdown."""
    page = ctx.step_output("outline").outline
    chosen = ctx.step_output("angle_review")
    approved = ctx.input
    return FinalBrief(
        url=page.url,
        page_title=page.title,
        angle=chosen.angle,
        target_keyword=approved.draft.target_keyword or chosen.target_keyword,
        rounds=approved.round,
        edited_by_people=approved.edited_by_people,
        generator=approved.draft.generator,
        draft=approved.draft,
        markdown=approved.draft.markdown,
    )
