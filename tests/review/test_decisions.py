"""The review services: decisions bound to the revision seen, edits as revisions, permissions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User

from review import decisions
from review.errors import DraftChanged, Forbidden, RevisionRequired, TooLarge
from review.models import DraftRevision
from review.roles import grant_role
from tests.review.conftest import make_user
from tests.review.drafting import drafting_workflow
from tests.workflows.flows import add_one, approve, chain
from workflows.engine import api
from workflows.engine.errors import (
    InvalidInput,
    InvalidResumeData,
    RunNotFound,
    StaleSuspension,
    WorkflowError,
)
from workflows.engine.testing import drain, run_workflow
from workflows.models import EventType, RunStatus, Suspension, SuspensionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(db: None) -> User:
    user = make_user("eddie")
    grant_role(user, "Editors")
    return user


@pytest.fixture
def viewer(db: None) -> User:
    user = make_user("vera")
    grant_role(user, "Viewers")
    return user


@dataclass
class WaitingDraft:
    """A drafting run waiting for its review, and the two calls made on its question."""

    run_id: str
    question: Suspension

    def save(self, actor: User, text: object, base_revision: int = 0) -> Any:
        return decisions.save_draft(
            run_id=self.run_id,
            actor=actor,
            text=text,
            base_revision=base_revision,
            suspension_id=self.question.pk,
        )

    def decide(self, actor: User, data: dict[str, Any], revision: int | None = None) -> Any:
        return decisions.decide(
            run_id=self.run_id,
            actor=actor,
            data=data,
            suspension_id=self.question.pk,
            revision=revision,
        )


@pytest.fixture
def draft(db: None) -> WaitingDraft:
    run = run_workflow(drafting_workflow(), {"topic": "compost"})
    question = Suspension.objects.get(run_id=run.pk, status=SuspensionStatus.OPEN)
    return WaitingDraft(str(run.pk), question)


def test_a_decision_resumes_the_step_and_records_who_decided_what(reviewer: User) -> None:
    run = run_workflow(chain("decide", add_one, approve), {"n": 1})
    decisions.decide(run_id=run.pk, path="approve", data={"approved": True}, actor=reviewer)
    resumed, decided = run.events.filter(type__in=[EventType.STEP_RESUMED, "review.decided"])
    assert (resumed.type, decided.type) == (EventType.STEP_RESUMED, "review.decided")
    assert decided.actor == reviewer and decided.path_key == "approve"
    assert decided.data["decision"] == {"approved": True, "note": ""}
    assert decided.data["summary"] == "answered approve"
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS


def test_a_refused_decision_records_nothing(reviewer: User) -> None:
    run = run_workflow(chain("refused", approve), {"n": 1})
    before = run.events.count()
    with pytest.raises(InvalidResumeData):
        decisions.decide(run_id=run.pk, path="approve", data={"approved": "?"}, actor=reviewer)
    assert run.events.count() == before


@pytest.mark.parametrize("role", [None, "Viewers", "Editors"])
def test_deciding_needs_the_decide_permission(role: str | None) -> None:
    user = make_user(f"user-{role}")
    if role:
        grant_role(user, role)
    run = run_workflow(chain("perm", approve), {"n": 1})
    run.created_by = user
    run.save()
    with pytest.raises(Forbidden, match=r"review\.decide"):
        decisions.decide(run_id=run.pk, path="approve", data={"approved": True}, actor=user)
    assert not run.events.filter(type="review.decided").exists()
    assert api.get_run(run.pk).status == RunStatus.SUSPENDED


def test_a_run_the_user_may_not_see_is_not_found() -> None:
    stranger = make_user("stranger")
    stranger.user_permissions.add(*Permission.objects.filter(codename="decide"))
    run = run_workflow(chain("hidden", approve), {"n": 1})
    with pytest.raises(RunNotFound):
        decisions.decide(run_id=run.pk, path="approve", data={"approved": True}, actor=stranger)


def test_an_edit_is_saved_as_the_next_revision_with_its_diff(
    editor: User, draft: WaitingDraft
) -> None:
    revision, saved = draft.save(editor, "# compost\n\nA first line.\nEditor's line.\n")
    assert revision is not None and revision.number == 1 and revision.author == editor
    assert (revision.lines_added, revision.lines_removed) == (1, 0)
    assert saved.latest.number == 1 and saved.original.text == "# compost\n\nA first line.\n"
    event = api.get_run(draft.run_id).events.get(type="review.draft_edited")
    assert event.data["revision"] == 1 and "+Editor's line.\n" in event.data["diff"]
    assert event.actor == editor


def test_an_edit_that_changes_nothing_saves_no_revision(editor: User, draft: WaitingDraft) -> None:
    revision, _ = draft.save(editor, draft.question.payload["text"])
    assert revision is None and not DraftRevision.objects.exists()


def test_two_editors_saving_from_the_same_revision_conflict(
    editor: User, draft: WaitingDraft
) -> None:
    draft.save(editor, "first\n")
    with pytest.raises(DraftChanged) as refused:
        draft.save(editor, "second\n")
    assert refused.value.http_status == 409
    assert refused.value.details == {"current_revision": 1, "text": "first\n"}
    assert list(DraftRevision.objects.values_list("text", flat=True)) == ["first\n"]


def test_editing_needs_the_edit_permission(reviewer: User, draft: WaitingDraft) -> None:
    with pytest.raises(Forbidden, match=r"review\.edit_draft"):
        draft.save(reviewer, "x")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a\x00b", InvalidInput),
        ("bad \ud800", InvalidInput),
        (12, InvalidInput),
        ("", InvalidInput),
        (" \n\t\n", InvalidInput),
    ],
)
def test_draft_text_that_cannot_be_stored_is_refused(
    editor: User, draft: WaitingDraft, text: object, error: type
) -> None:
    with pytest.raises(error):
        draft.save(editor, text)
    assert not DraftRevision.objects.exists()


def test_draft_text_over_the_limit_is_refused_with_413(
    editor: User, draft: WaitingDraft, settings
) -> None:
    settings.HANDOFF_DRAFT_MAX_CHARS = 10
    with pytest.raises(TooLarge) as refused:
        draft.save(editor, "x" * 11)
    assert refused.value.http_status == 413


def test_a_decision_on_a_draft_must_name_the_revision_it_saw(
    reviewer: User, draft: WaitingDraft
) -> None:
    with pytest.raises(RevisionRequired):
        draft.decide(reviewer, {"decision": "approve"})


def test_a_decision_on_a_draft_that_changed_since_is_refused(
    reviewer: User, editor: User, draft: WaitingDraft
) -> None:
    draft.save(editor, "edited\n")
    with pytest.raises(DraftChanged, match="revision 1 was saved by eddie") as refused:
        draft.decide(reviewer, {"decision": "approve"}, revision=0)
    assert refused.value.details["text"] == "edited\n"
    question = draft.question
    question.refresh_from_db()
    assert question.status == SuspensionStatus.OPEN
    assert not api.get_run(draft.run_id).events.filter(type="review.decided").exists()


def test_changes_requested_after_an_edit_start_from_the_edited_text(
    reviewer: User, editor: User, draft: WaitingDraft
) -> None:
    draft.save(editor, "# compost\n\nEditor's line.\n")
    draft.decide(reviewer, {"decision": "request_changes", "feedback": "more"}, revision=1)
    drain()
    decided = api.get_run(draft.run_id).events.get(type="review.decided")
    assert decided.data["revision"] == 1
    assert decided.data["decision"]["edited_text"] == "# compost\n\nEditor's line.\n"
    nxt = Suspension.objects.get(run_id=draft.run_id, status=SuspensionStatus.OPEN)
    assert nxt.payload["text"] == "# compost\n\nEditor's line.\nRevised for: more\n"


def test_a_rejection_does_not_carry_the_edits(
    reviewer: User, editor: User, draft: WaitingDraft
) -> None:
    draft.save(editor, "edited\n")
    draft.decide(reviewer, {"decision": "reject", "feedback": "off-topic"}, revision=1)
    question = draft.question
    question.refresh_from_db()
    assert "edited_text" not in question.resume_data or question.resume_data["edited_text"] is None


def test_an_editor_may_approve_an_edited_draft_but_not_decide_otherwise(
    editor: User, draft: WaitingDraft
) -> None:
    with pytest.raises(Forbidden):
        draft.decide(editor, {"decision": "approve"}, revision=0)
    draft.save(editor, "edited\n")
    with pytest.raises(Forbidden):
        draft.decide(editor, {"decision": "request_changes", "feedback": "x"}, revision=1)
    draft.decide(editor, {"decision": "approve"}, revision=1)
    drain()
    run = api.get_run(draft.run_id)
    assert run.status == RunStatus.SUCCESS and run.result["text"] == "edited\n"


def test_an_answer_to_an_old_question_is_refused(reviewer: User, draft: WaitingDraft) -> None:
    draft.decide(reviewer, {"decision": "request_changes", "feedback": "again"}, revision=0)
    drain()
    with pytest.raises(StaleSuspension):
        draft.decide(reviewer, {"decision": "approve"}, revision=0)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("step.completed", "engine's namespace"),
        ("decided", "not an application event type"),
        ("Review.Decided", "not an application event type"),
        ("review." + "x" * 40, "longer than 32"),
    ],
)
def test_application_events_are_namespaced_outside_the_engine(kind: str, message: str) -> None:
    run = run_workflow(chain("forge", approve), {"n": 1})
    with pytest.raises(WorkflowError, match=message):
        api.record_event(run.pk, kind, data={})
