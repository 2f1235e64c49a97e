"""The review product's own records: what people may do, draft revisions, API tokens.

The engine's tables (runs, executions, suspensions, events) stay the engine's;
what reviewers and editors produce lives here and points at them.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models

from workflows.models import StepExecution, Suspension, WorkflowRun

TOKEN_PREFIX = "hnd_"


def optional_person(related_name: str) -> models.ForeignKey[Any, Any]:
    """A person a record names, optional; deleting their account keeps the record.

    Revisions and review items are history that the run's log refers to, so
    they outlive the account, naming no one.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related_name,
    )


class ReviewRights(models.Model):
    """Holds the review product's permissions; it has no table of its own.

    Django model permissions are the one way Handoff decides who may act, so
    groups (roles) are just bundles of these, and a user may hold several.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_all_runs", "Can see every run, not only their own"),
            ("start_run", "Can start runs"),
            ("decide", "Can decide steps that wait for a person"),
            ("edit_draft", "Can edit drafts that wait for review"),
            ("cancel_run", "Can cancel runs"),
            ("retry_step", "Can retry failed steps"),
            ("reassign", "Can reassign review items"),
        ]

    def __str__(self) -> str:
        return "review permissions"


class DraftRevision(models.Model):
    """One saved edit of a draft shown by an open question (revision 0 is the AI's text).

    Revisions are numbered per question, so a decision can say which text it was
    about, and two editors saving from the same revision cannot both win.
    """

    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="draft_revisions")
    execution = models.ForeignKey(
        StepExecution, on_delete=models.CASCADE, related_name="draft_revisions"
    )
    suspension = models.ForeignKey(
        Suspension, on_delete=models.CASCADE, related_name="draft_revisions"
    )
    number = models.PositiveIntegerField()
    text = models.TextField()
    author = optional_person("draft_revisions")
    lines_added = models.PositiveIntegerField(default=0)
    lines_removed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["suspension", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["suspension", "number"], name="draft_revision_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of {self.suspension.path_key}"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A per-user secret for programs (``Authorization: Bearer …``); only its hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for")
    prefix = models.CharField(max_length=16, editable=False, help_text="Its first characters")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: models.Model, name: str) -> tuple[ApiToken, str]:
        """Create a token; the secret is returned once and never stored."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=secret[:12], digest=cls.digest_of(secret)
        )
        return token, secret


class ReviewClaim(models.Model):
    """Someone is working on an open question; others see who, and must confirm to take over.

    A claim lapses once its holder has been idle for ``HANDOFF_CLAIM_IDLE_SECONDS``
    (claiming again, or saving an edit, renews it); a lapsed claim is ignored,
    not deleted, so "who held it" stays visible in the log.
    """

    suspension = models.OneToOneField(
        Suspension, on_delete=models.CASCADE, related_name="claim", primary_key=True
    )
    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(  # indexed as the first column of claim_user_recent
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_claims",
        db_index=False,
    )
    claimed_at = models.DateTimeField()
    renewed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "renewed_at"], name="claim_user_recent")]

    def __str__(self) -> str:
        return f"{self.suspension_id} held by {self.user_id}"


class ReviewTask(models.Model):
    """An open question as work: who it is assigned to, when it is due, whether it is late.

    Made for every question by the review timer (review/assignments.py) from
    the workflow's declared ``Assignment``; the due time counts from when the
    question was asked, so a timer that runs late still dates it right.
    """

    suspension = models.OneToOneField(
        Suspension, on_delete=models.CASCADE, related_name="task", primary_key=True
    )
    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="review_tasks")
    assignee_user = optional_person("review_tasks")
    assignee_group = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["overdue_at", "due_at"], name="task_due"),
            models.Index(fields=["assignee_user"], name="task_user"),
            models.Index(fields=["assignee_group"], name="task_group"),
        ]

    def __str__(self) -> str:
        return f"task for {self.suspension_id}"
