"""Assignment, due times and escalation of review items, fired by the engine's ticker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from review import assignments, queue
from review.errors import Forbidden
from review.models import ReviewTask
from review.roles import grant_role
from tests.review.conftest import make_user
from tests.workflows.flows import Number, approve, unique
from workflows import presentation
from workflows.engine import Workflow, ticker
from workflows.engine.testing import run_workflow
from workflows.models import RunEvent, Suspension, SuspensionStatus, WorkflowRun

pytestmark = pytest.mark.django_db


def assigned_flow(**rule: object) -> Workflow:
    workflow = Workflow(unique("assigned"), input=Number, output=Number).then(approve).commit()
    presentation.register(
        workflow.id, presentation.Presentation(assign={"approve": presentation.Assignment(**rule)})
    )
    return workflow


def question(run: WorkflowRun) -> Suspension:
    return Suspension.objects.get(run=run, status=SuspensionStatus.OPEN)


def test_each_question_gets_a_task_with_its_group_and_due_time() -> None:
    run = run_workflow(assigned_flow(group="Reviewers", due=timedelta(hours=4)), {"n": 1})
    ReviewTask.objects.all().delete()  # drain() ticks, which made it already
    assert assignments.make_tasks() == 1
    assert assignments.make_tasks() == 0
    task = ReviewTask.objects.get()
    assert task.assignee_group.name == "Reviewers" and task.assignee_user is None
    assert task.due_at == question(run).created_at + timedelta(hours=4)


def test_a_function_of_the_run_can_pick_the_reviewer() -> None:
    rosa = make_user("rosa")
    run_workflow(assigned_flow(group="Reviewers", user=lambda run: "rosa"), {"n": 1})
    assignments.make_tasks()
    task = ReviewTask.objects.get()
    assert task.assignee_user == rosa and task.assignee_group is None


def test_an_overdue_item_is_recorded_once_and_escalated() -> None:
    run = run_workflow(
        assigned_flow(group="Reviewers", due=timedelta(hours=1), escalate_to="Admins"), {"n": 1}
    )
    assignments.make_tasks()
    assert assignments.fire_overdue(timezone.now()) == 0  # not due yet
    later = timezone.now() + timedelta(hours=2)
    assert assignments.fire_overdue(later) == 1
    assert assignments.fire_overdue(later) == 0  # never twice
    task = ReviewTask.objects.get()
    assert task.overdue_at == later and task.assignee_group.name == "Admins"
    (overdue,) = RunEvent.objects.filter(run=run, type="review.overdue")
    assert overdue.data["escalated_to"] == "Admins"


def test_an_answered_question_never_goes_overdue(reviewer: User) -> None:
    from review import decisions

    run = run_workflow(assigned_flow(due=timedelta(seconds=1)), {"n": 1})
    assignments.make_tasks()
    decisions.decide(run_id=run.pk, path="approve", data={"approved": True}, actor=reviewer)
    assert assignments.fire_overdue(timezone.now() + timedelta(hours=1)) == 0


def test_the_engine_ticker_runs_the_review_timer() -> None:
    run_workflow(assigned_flow(group="Reviewers"), {"n": 1})
    ReviewTask.objects.all().delete()
    report = ticker.tick()
    assert report.application >= 1 and ReviewTask.objects.count() == 1


def test_the_queue_filters_mine_and_my_groups(reviewer: User) -> None:
    mine = run_workflow(assigned_flow(user=lambda run: "rita"), {"n": 1})
    groups = run_workflow(assigned_flow(group="Reviewers"), {"n": 2})
    other = run_workflow(assigned_flow(group="Admins"), {"n": 3})
    assignments.make_tasks()
    assert [i.run.pk for i in queue.page(reviewer, show="mine")[0]] == [mine.pk]
    assert [i.run.pk for i in queue.page(reviewer, show="groups")[0]] == [groups.pk]
    items = {i.run.pk: i for i in queue.page(reviewer)[0]}
    assert items[other.pk].assignee == "Admins (group)" and items[mine.pk].assignee == "rita"


def test_reassigning_needs_the_permission_and_is_recorded(reviewer: User) -> None:
    run = run_workflow(assigned_flow(group="Reviewers"), {"n": 1})
    with pytest.raises(Forbidden):
        assignments.reassign(
            run_id=run.pk, suspension_id=question(run).pk, actor=reviewer, user="rita"
        )
    boss = make_user("boss")
    grant_role(boss, "Admins")
    task = assignments.reassign(
        run_id=run.pk, suspension_id=question(run).pk, actor=boss, user="rita"
    )
    assert task.assignee_user == reviewer
    event = RunEvent.objects.get(run=run, type="review.reassigned")
    assert event.actor == boss and event.data["user"] == "rita"


def test_the_run_page_shows_assignment_and_due_time_and_reassigns() -> None:
    run = run_workflow(assigned_flow(group="Reviewers", due=timedelta(hours=1)), {"n": 1})
    assignments.make_tasks()
    boss = make_user("boss")
    grant_role(boss, "Admins")
    client = Client()
    client.force_login(boss)
    html = client.get(f"/runs/{run.pk}/").content.decode()
    assert "Assigned to <strong>Reviewers (group)</strong>" in html and "due <time" in html
    answer = client.post(
        f"/runs/{run.pk}/questions/{question(run).pk}/reassign",
        {"user": "nobody-here"},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 400 and "no such user" in answer.content.decode()
