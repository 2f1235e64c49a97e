"""Django admin for runs, executions, suspensions and events.

Rows are read-only here: every change goes through the run API (the actions
below call ``cancel_run`` and ``retry_step``), so the admin can never leave a
run half-advanced or skip an event.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest

from workflows.engine import api
from workflows.engine.errors import WorkflowError
from workflows.models import RunEvent, StepExecution, Suspension, WorkflowRun


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CheckedSelectionMixin:
    """An action posted with ids that are not ids of this model skips them and says so.

    Django's admin filters ``pk__in`` with whatever was posted, so one junk id
    (a forged or stale form) raised a ValidationError and a 500.
    """

    model: Any

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        if request.method == "POST" and helpers.ACTION_CHECKBOX_NAME in request.POST:
            selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            valid = [value for value in selected if self._is_id(value)]
            if len(valid) != len(selected):
                post = request.POST.copy()
                post.setlist(helpers.ACTION_CHECKBOX_NAME, valid)
                request.POST = post  # type: ignore[assignment]
                skipped = len(selected) - len(valid)
                self.message_user(  # type: ignore[attr-defined]
                    request,
                    f"{skipped} selected value(s) are not {self.model._meta.verbose_name} ids "
                    "and were skipped; reload the list and select again.",
                    messages.WARNING,
                )
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def _is_id(self, value: str) -> bool:
        field = self.model._meta.pk
        try:
            parsed = field.to_python(value)
        except (ValidationError, ValueError, TypeError):
            return False
        if isinstance(parsed, int):
            low, high = connection.ops.integer_field_range(field.get_internal_type())
            return (low is None or parsed >= low) and (high is None or parsed <= high)
        return parsed is not None


class ExecutionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StepExecution
    fields = (
        "path_key",
        "kind",
        "iteration",
        "item_index",
        "status",
        "attempts",
        "started_at",
        "finished_at",
        "wake_at",
        "error",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("id",)


@admin.register(WorkflowRun)
class WorkflowRunAdmin(CheckedSelectionMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "short_id",
        "workflow_id",
        "status",
        "steps_completed",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "workflow_id", "bailed")
    search_fields = ("id", "workflow_id", "idempotency_key")
    date_hierarchy = "created_at"
    list_select_related = ("created_by",)
    readonly_fields = [field.name for field in WorkflowRun._meta.fields]
    inlines = [ExecutionInline]
    actions = ["cancel_runs", "retry_failed_steps"]

    @admin.action(description="Cancel the selected runs", permissions=["cancel"])
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet[WorkflowRun]) -> None:
        self._each(
            request,
            queryset,
            lambda run: api.cancel_run(run.pk, actor=request.user, reason="admin"),
            "canceled",
        )

    @admin.action(description="Retry the failed step of the selected runs", permissions=["retry"])
    def retry_failed_steps(self, request: HttpRequest, queryset: QuerySet[WorkflowRun]) -> None:
        self._each(
            request, queryset, lambda run: api.retry_step(run.pk, actor=request.user), "retried"
        )

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("workflows.change_workflowrun")

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("workflows.change_workflowrun")

    def _each(
        self, request: HttpRequest, queryset: QuerySet[WorkflowRun], action: Any, verb: str
    ) -> None:
        done = 0
        for run in queryset:
            try:
                action(run)
                done += 1
            except WorkflowError as exc:
                self.message_user(request, f"{run.short_id}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, f"{done} run(s) {verb}.", messages.SUCCESS)


@admin.register(StepExecution)
class StepExecutionAdmin(CheckedSelectionMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "path_key",
        "kind",
        "run",
        "iteration",
        "item_index",
        "status",
        "attempts",
        "started_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("path_key", "run__id")
    list_select_related = ("run",)
    readonly_fields = [field.name for field in StepExecution._meta.fields]


@admin.register(Suspension)
class SuspensionAdmin(CheckedSelectionMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("path_key", "run", "status", "label", "created_at", "resumed_by", "resumed_at")
    list_filter = ("status",)
    search_fields = ("path_key", "label", "run__id")
    list_select_related = ("run", "resumed_by")
    readonly_fields = [field.name for field in Suspension._meta.fields]


@admin.register(RunEvent)
class RunEventAdmin(CheckedSelectionMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "type", "path_key", "run", "actor", "created_at")
    list_filter = ("type",)
    search_fields = ("run__id", "path_key")
    list_select_related = ("run", "actor")
    readonly_fields = [field.name for field in RunEvent._meta.fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the event log is append-only: it is the audit trail
