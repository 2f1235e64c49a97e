"""Claiming an open question: "I am working on this", seen by everyone, live.

A claim never blocks anyone: a second reviewer may still decide, but must say
so (``take_over``), and the takeover is recorded. Every change is an event in
the run's log (``review.claimed``, ``review.released``, ``review.taken_over``),
written under the run's lock with the claim row, so watchers see it at once
and the audit trail keeps who held what.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from review import roles
from review.errors import Forbidden
from review.models import ReviewClaim
from workflows.engine import api
from workflows.engine.errors import Conflict
from workflows.models import Suspension

CLAIMED = "review.claimed"
RELEASED = "review.released"
TAKEN_OVER = "review.taken_over"
DEFAULT_IDLE_SECONDS = 900


class ClaimedByOther(Conflict):
    code = "claimed"


def idle_limit() -> timedelta:
    return timedelta(
        seconds=float(getattr(settings, "HANDOFF_CLAIM_IDLE_SECONDS", DEFAULT_IDLE_SECONDS))
    )


def lapses_before(now: datetime | None = None) -> datetime:
    """Claims renewed before this moment have lapsed."""
    return (now or timezone.now()) - idle_limit()


def active_claim(suspension: Suspension) -> ReviewClaim | None:
    claim = ReviewClaim.objects.select_related("user").filter(suspension=suspension).first()
    if claim is None or claim.renewed_at < lapses_before():
        return None
    return claim


def _may_claim(actor: Any) -> None:
    if not (roles.can(actor, roles.DECIDE) or roles.can(actor, roles.EDIT_DRAFT)):
        raise Forbidden("you may not claim review items (review.decide or review.edit_draft)")


def _record(run_id: Any, kind: str, suspension: Suspension, actor: Any, **data: Any) -> None:
    api.record_event(
        run_id,
        kind,
        path=suspension.path_key,
        actor=actor,
        data={"suspension_id": str(suspension.pk), **data},
    )


def claim(*, run_id: Any, suspension_id: Any, actor: Any, take_over: bool = False) -> ReviewClaim:
    """Hold an open question; renew your own claim; take over someone's only when told to."""
    _may_claim(actor)
    with transaction.atomic():
        run = api.locked_run(run_id)
        suspension = api.open_suspension(run.pk, suspension_id=suspension_id)
        held = active_claim(suspension)
        if held is not None and held.user_id != actor.pk:
            if not take_over:
                raise _held_by(held)
            _record(run.pk, TAKEN_OVER, suspension, actor, previous=held.user.get_username())
        now = timezone.now()
        renewing = held is not None and held.user_id == actor.pk
        row, _ = ReviewClaim.objects.update_or_create(
            suspension=suspension,
            defaults={
                "run": run,
                "user": actor,
                "renewed_at": now,
                **({} if renewing else {"claimed_at": now}),
            },
        )
        if not renewing:
            _record(run.pk, CLAIMED, suspension, actor)
    return row


def release(*, run_id: Any, suspension_id: Any, actor: Any) -> None:
    """Let go of your claim; releasing someone else's needs a takeover first."""
    _may_claim(actor)
    with transaction.atomic():
        run = api.locked_run(run_id)
        suspension = api.open_suspension(run.pk, suspension_id=suspension_id)
        held = active_claim(suspension)
        if held is None:
            return
        if held.user_id != actor.pk:
            raise _held_by(held)
        held.delete()
        _record(run.pk, RELEASED, suspension, actor)


def _held_by(held: ReviewClaim) -> ClaimedByOther:
    return ClaimedByOther(
        f"{held.user.get_username()} has claimed this since "
        f"{timezone.localtime(held.claimed_at):%H:%M}; confirm that you take it over",
        holder=held.user.get_username(),
    )


def check_before_deciding(run_id: Any, suspension: Suspension, actor: Any, take_over: bool) -> None:
    """Inside a decision's transaction: someone else's question needs a confirmed takeover."""
    held = active_claim(suspension)
    if held is None or held.user_id == actor.pk:
        return
    if not take_over:
        raise _held_by(held)
    _record(run_id, TAKEN_OVER, suspension, actor, previous=held.user.get_username())


def renew(suspension: Suspension, actor: Any) -> None:
    """The holder is active (an edit saved): push the lapse back."""
    ReviewClaim.objects.filter(suspension=suspension, user=actor).update(renewed_at=timezone.now())
