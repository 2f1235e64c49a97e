"""The run page's live stream renders controls per viewer and keeps a form's revision."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from review import decisions
from review.roles import grant_role
from tests.review.conftest import connected, make_user, ws_headers
from tests.review.drafting import drafting_workflow
from workflows.engine.testing import run_workflow
from workflows.models import Suspension, SuspensionStatus

pytestmark = pytest.mark.django_db(transaction=True)


def setup_run() -> tuple[str, Suspension, dict[str, object]]:
    run = run_workflow(drafting_workflow(), {"topic": "compost"})
    people = {}
    for name, role in (("vera", "Viewers"), ("rita", "Reviewers"), ("eddie", "Editors")):
        people[role] = make_user(name)
        grant_role(people[role], role)
    question = Suspension.objects.get(run=run, status=SuspensionStatus.OPEN)
    return str(run.pk), question, people


async def state_for(run_id: str, user: object) -> str:
    headers = await database_sync_to_async(ws_headers)(user)
    async with connected(f"/ws/runs/{run_id}/", headers) as ws:
        return await ws.receive_from(timeout=3)


async def test_controls_in_the_live_state_depend_on_who_watches() -> None:
    run_id, _, people = await database_sync_to_async(setup_run)()
    viewer = await state_for(run_id, people["Viewers"])
    reviewer = await state_for(run_id, people["Reviewers"])
    editor = await state_for(run_id, people["Editors"])
    assert f'id="run-{run_id}-review"' in viewer
    for control in (">Approve</button>", ">Edit draft</button>", ">Reject</button>"):
        assert control not in viewer
    assert ">Approve</button>" in reviewer and ">Edit draft</button>" not in reviewer
    assert ">Edit draft</button>" in editor and ">Request changes</button>" not in editor


async def test_a_saved_edit_updates_the_draft_but_not_the_reviewers_form() -> None:
    run_id, question, people = await database_sync_to_async(setup_run)()
    headers = await database_sync_to_async(ws_headers)(people["Reviewers"])
    async with connected(f"/ws/runs/{run_id}/", headers) as ws:
        state = await ws.receive_from(timeout=3)
        assert f'id="revision-{question.pk}" value="0"' in state
        await database_sync_to_async(decisions.save_draft)(
            run_id=run_id,
            actor=people["Editors"],
            text="# compost\n\nEdited live.\n",
            base_revision=0,
            suspension_id=question.pk,
        )
        update = ""
        while f'id="draft-{question.pk}"' not in update:
            update = await ws.receive_from(timeout=3)
        assert "Edited live." in update and "Revision 1, edited by eddie" in update
        assert f'id="revision-{question.pk}"' not in update
        assert ">Edit draft</button>" not in update
        assert "eddie edited the draft (+1 \u22121 lines)" in update


def test_streamed_tokens_fill_the_running_card_and_stay_out_of_the_timeline() -> None:
    from review import rendering
    from review.selectors import executions_of
    from workflows.engine.worker import record_output
    from workflows.models import StepExecution, WorkflowRun

    run_id, question, _ = setup_run()
    row = StepExecution.objects.get(pk=question.execution_id)
    StepExecution.objects.filter(pk=row.pk).update(status="running")
    run = WorkflowRun.objects.get(pk=run_id)
    shown = {r.pk: rendering.signature(r) for r in executions_of(run)}
    before = run.last_event_id
    record_output(run_id, row, "token", {"text": "Hello <b>"})
    record_output(run_id, row, "token", {"text": "world"})
    events = [event.as_dict() for event in run.events.filter(id__gt=before).order_by("id")]
    html, _ = rendering.run_update_html(run_id, events, shown)
    assert f'<div hx-swap-oob="beforeend:#stream-{row.pk}">Hello &lt;b&gt;world</div>' in html
    assert "afterbegin:#run-" not in html  # no timeline rows for tokens
    state, _, _ = rendering.run_state_html(run_id, None)
    assert f'id="stream-{row.pk}" aria-live="off">Hello &lt;b&gt;world</div>' in state
