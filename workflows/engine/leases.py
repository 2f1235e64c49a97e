"""How long a claim holds, and the heartbeat that renews a short one.

A worker owns an execution until its lease runs out; the ticker then assumes
the worker is gone and runs the step again (``entry.expire_lease``).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from workflows.engine import conf
from workflows.engine.builder import Workflow
from workflows.engine.nodes import Node, StepNode
from workflows.engine.outcomes import Claim
from workflows.models import ExecutionStatus, StepExecution

SYSTEM_LEASE_SECONDS = 60.0


def attempt_seconds(node: Node | Workflow | None) -> float:
    """The most one attempt may take: a step's timeout plus the grace, after which it is lost."""
    if isinstance(node, StepNode):
        return node.step.timeout + conf.LEASE_GRACE_SECONDS.get()
    return SYSTEM_LEASE_SECONDS


def heartbeat_lease() -> float:
    """``HANDOFF_LEASE_SECONDS``: a short lease that the worker renews; 0 for none."""
    return conf.LEASE_SECONDS.get()


def lease_seconds(node: Node | Workflow | None) -> float:
    """How long a claim holds before the ticker assumes its worker is gone.

    By default that is the whole attempt (timeout + grace), so a dead worker's
    step is rerun only that long after the crash (5 min for the default 300 s
    timeout). With ``HANDOFF_LEASE_SECONDS`` the claim holds that long and the
    worker renews it while the step runs (``renew_lease``), up to the attempt's
    limit: a dead worker is noticed within the short lease, a slow step is not
    mistaken for one.
    """
    limit = attempt_seconds(node)
    short = heartbeat_lease()
    return min(limit, short) if short > 0 else limit


def renew_lease(claimed: Claim) -> bool:
    """Extend a claim by the short lease, never past its attempt's limit; False once it is lost.

    Touches only the row, with the claim token as its guard, so it needs no run
    lock: the ticker re-reads the lease under the run lock before expiring it.
    """
    now = timezone.now()
    until = now + timedelta(seconds=heartbeat_lease())
    if claimed.deadline is not None:
        until = min(until, claimed.deadline)
    renewed = StepExecution.objects.filter(
        pk=claimed.execution.pk, status=ExecutionStatus.RUNNING, claim_token=claimed.token
    ).update(lease_expires_at=until)
    return renewed == 1
