"""The kinds of node a workflow is built from, which are also the kinds of execution rows.

Plain choices with no model behind them, so definitions can use them at
import time, before Django's apps are ready; ``StepExecution.kind`` takes them
as its choices.
"""

from __future__ import annotations

from django.db import models


class NodeKind(models.TextChoices):
    STEP = "step", "Step"
    MAP = "map", "Map"
    SLEEP = "sleep", "Sleep"
    SLEEP_UNTIL = "sleep_until", "Sleep until"
    WORKFLOW = "workflow", "Workflow"
    PARALLEL = "parallel", "Parallel"
    BRANCH = "branch", "Branch"
    DOWHILE = "dowhile", "Do while"
    DOUNTIL = "dountil", "Do until"
    FOREACH = "foreach", "For each"


# Leaves do work themselves; constructs hold children.
LEAF_KINDS = (NodeKind.STEP, NodeKind.MAP, NodeKind.SLEEP, NodeKind.SLEEP_UNTIL)
CONSTRUCT_KINDS = (
    NodeKind.WORKFLOW,
    NodeKind.PARALLEL,
    NodeKind.BRANCH,
    NodeKind.DOWHILE,
    NodeKind.DOUNTIL,
    NodeKind.FOREACH,
)
# A worker runs the user's function and stores what it returns; a failure can be retried.
FUNCTION_KINDS = (NodeKind.STEP, NodeKind.MAP)
SLEEP_KINDS = (NodeKind.SLEEP, NodeKind.SLEEP_UNTIL)
LOOP_KINDS = (NodeKind.DOWHILE, NodeKind.DOUNTIL)
