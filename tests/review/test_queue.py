"""The review queue and claims: who may act, oldest first, claims seen live, takeovers kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from review import claims, decisions, queue
from review.models import ReviewClaim
from review.roles import grant_role
from tests.review.conftest import connected, make_user, ws_headers
from tests.review.drafting import drafting_workflow
from tests.workflows.flows import approve, chain
from workflows.engine import api
from workflows.engine.testing import run_workflow
from workflows.models import RunStatus, Suspension, SuspensionStatus, WorkflowRun

pytestmark = pytest.mark.django_db


def person(name: str, role: str) -> User:
    user = make_user(name)
    grant_role(user, role)
    return user


def open_question(run: WorkflowRun) -> Suspension:
    return Suspension.objects.get(run=run, status=SuspensionStatus.OPEN)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_queue_lists_what_a_reviewer_may_decide_oldest_first(reviewer: User) -> None:
    first = run_workflow(chain("q1", approve), {"n": 1})
    second = run_workflow(drafting_workflow(), {"topic": "worms"})
    items, total = queue.page(reviewer)
    assert total == 2
    assert [item.run.pk for item in items] == [first.pk, second.pk]
    assert items[1].subject == "worms" and items[1].step_id == "check" and items[1].round == 1
    html = signed_in(reviewer).get("/queue/").content.decode()
    assert "2 waiting" in html and "worms" in html and f"#review-{open_question(second).pk}" in html


def test_editors_see_only_drafts_and_viewers_nothing() -> None:
    run_workflow(chain("q2", approve), {"n": 1})
    drafted = run_workflow(drafting_workflow(), {"topic": "worms"})
    editor, viewer = person("eddie", "Editors"), person("vera", "Viewers")
    assert [item.run.pk for item in queue.page(editor)[0]] == [drafted.pk]
    assert queue.page(viewer) == ([], 0)
    assert "Nothing waits for you" in signed_in(viewer).get("/queue/").content.decode()


def test_the_navigation_counts_the_viewers_open_items(reviewer: User) -> None:
    run_workflow(chain("q3", approve), {"n": 1})
    html = signed_in(reviewer).get("/").content.decode()
    assert '<span class="count-badge" id="queue-count">1</span>' in html


def test_a_claim_is_recorded_and_another_reviewer_must_confirm_to_take_over(
    reviewer: User,
) -> None:
    run = run_workflow(chain("q4", approve), {"n": 1})
    question = open_question(run)
    other = person("rosa", "Reviewers")
    claims.claim(run_id=run.pk, suspension_id=question.pk, actor=reviewer)
    with pytest.raises(claims.ClaimedByOther, match="rita has claimed this"):
        claims.claim(run_id=run.pk, suspension_id=question.pk, actor=other)
    claims.claim(run_id=run.pk, suspension_id=question.pk, actor=other, take_over=True)
    assert ReviewClaim.objects.get().user == other
    kinds = list(
        run.events.filter(type__startswith="review.").values_list("type", "actor__username")
    )
    assert kinds == [
        ("review.claimed", "rita"),
        ("review.taken_over", "rosa"),
        ("review.claimed", "rosa"),
    ]
    taken = run.events.get(type="review.taken_over")
    assert taken.data["previous"] == "rita"


def test_only_the_holder_releases_a_claim(reviewer: User) -> None:
    run = run_workflow(chain("q5", approve), {"n": 1})
    question = open_question(run)
    claims.claim(run_id=run.pk, suspension_id=question.pk, actor=reviewer)
    with pytest.raises(claims.ClaimedByOther):
        claims.release(run_id=run.pk, suspension_id=question.pk, actor=person("rosa", "Reviewers"))
    claims.release(run_id=run.pk, suspension_id=question.pk, actor=reviewer)
    assert not ReviewClaim.objects.exists()
    assert run.events.filter(type="review.released").count() == 1


def test_deciding_a_question_someone_else_holds_needs_a_recorded_takeover(
    reviewer: User,
) -> None:
    run = run_workflow(chain("q6", approve), {"n": 1})
    question = open_question(run)
    claims.claim(run_id=run.pk, suspension_id=question.pk, actor=reviewer)
    other = person("rosa", "Reviewers")
    with pytest.raises(claims.ClaimedByOther):
        decisions.decide(
            run_id=run.pk, suspension_id=question.pk, data={"approved": True}, actor=other
        )
    question.refresh_from_db()
    assert question.status == SuspensionStatus.OPEN
    decisions.decide(
        run_id=run.pk,
        suspension_id=question.pk,
        data={"approved": True},
        actor=other,
        take_over=True,
    )
    assert run.events.filter(type="review.taken_over", actor=other).exists()
    assert api.get_run(run.pk).status != RunStatus.SUSPENDED


def test_a_claim_lapses_after_the_idle_time(reviewer: User, settings) -> None:
    settings.HANDOFF_CLAIM_IDLE_SECONDS = 60
    run = run_workflow(chain("q7", approve), {"n": 1})
    question = open_question(run)
    claims.claim(run_id=run.pk, suspension_id=question.pk, actor=reviewer)
    assert claims.active_claim(question) is not None
    ReviewClaim.objects.update(renewed_at=timezone.now() - timedelta(seconds=61))
    assert claims.active_claim(question) is None
    other = person("rosa", "Reviewers")
    claims.claim(run_id=run.pk, suspension_id=question.pk, actor=other)  # no takeover needed
    assert not run.events.filter(type="review.taken_over").exists()


def test_claiming_needs_a_role_that_can_act(reviewer: User) -> None:
    run = run_workflow(chain("q8", approve), {"n": 1})
    with pytest.raises(decisions.Forbidden):
        claims.claim(
            run_id=run.pk, suspension_id=open_question(run).pk, actor=person("vera", "Viewers")
        )


def test_the_run_page_shows_who_holds_an_item_and_asks_others_to_confirm(reviewer: User) -> None:
    run = run_workflow(chain("q9", approve), {"n": 1})
    question = open_question(run)
    client = signed_in(reviewer)
    response = client.post(f"/runs/{run.pk}/questions/{question.pk}/claim", HTTP_HX_REQUEST="true")
    assert "You are working on this" in response.content.decode()
    assert ">Release</button>" in response.content.decode()
    html = signed_in(person("rosa", "Reviewers")).get(f"/runs/{run.pk}/").content.decode()
    assert "rita is working on this" in html and "Take over from rita" in html
    assert 'name="take_over"' in html


def test_a_claim_posted_without_htmx_goes_back_to_the_run_page(reviewer: User) -> None:
    run = run_workflow(chain("q11", approve), {"n": 1})
    question = open_question(run)
    response = signed_in(reviewer).post(f"/runs/{run.pk}/questions/{question.pk}/claim")
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"
    assert ReviewClaim.objects.get().user == reviewer


@pytest.mark.django_db(transaction=True)
async def test_the_live_queue_shows_new_items_and_claims() -> None:
    user = await database_sync_to_async(person)("rita", "Reviewers")
    flow = await database_sync_to_async(chain)("q10", approve)
    headers = await database_sync_to_async(ws_headers)(user)
    async with connected("/ws/queue/", headers) as ws:
        state = await ws.receive_from(timeout=3)
        assert "0 waiting" in state
        run = await database_sync_to_async(run_workflow)(flow, {"n": 1})
        update = ""
        while "1 waiting" not in update:
            update = await ws.receive_from(timeout=3)
        assert '<span class="count-badge" id="queue-count">1</span>' in update
        question = await database_sync_to_async(open_question)(run)
        await database_sync_to_async(claims.claim)(
            run_id=run.pk, suspension_id=question.pk, actor=user
        )
        while 'class="claimed"' not in update:
            update = await ws.receive_from(timeout=3)
