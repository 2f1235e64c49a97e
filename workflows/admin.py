"""Django admin for runs, executions, suspensions and events.

Rows are read-only here: every change goes through the run API (the actions
below call ``cancel_run`` and ``retry_step``), so the admin can never leave a
run half-advanced or skip an event.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from workflows.admin_support import EstimatedCountPaginator, ResumeForm, graph_html, pretty_json
from workflows.engine import api
from workflows.engine.errors import SchemaMismatch, WorkflowError
from workflows.models import (
    ExecutionStatus,
    RunEvent,
    StepExecution,
    Suspension,
    WorkflowRun,
)

RETRY_SETTLE_SECONDS = 2.0  # how long a retry action waits to report how the step ended


class ReadOnlyAdminMixin:
    """Rows change only through the run API; and nothing is deleted, since the event
    log (the audit trail) refers to runs, steps and questions."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FastListMixin:
    """Lists stay fast at 10,000s of rows: no full COUNT for the 'show all' total,
    and an estimated count for unfiltered lists on PostgreSQL."""

    paginator: ClassVar[type] = EstimatedCountPaginator
    show_full_result_count = False


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


JSON_FIELDS = ("graph", "input", "state", "result", "error")


class ExecutionInline(ReadOnlyAdminMixin, admin.TabularInline[StepExecution, WorkflowRun]):
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
class WorkflowRunAdmin(
    CheckedSelectionMixin, FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin[WorkflowRun]
):
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
    readonly_fields = [
        *(field.name for field in WorkflowRun._meta.fields if field.name not in JSON_FIELDS),
        "answer",
        "step_graph",
        "input_json",
        "state_json",
        "result_json",
        "error_json",
    ]
    inlines = [ExecutionInline]
    actions = ["cancel_runs", "retry_failed_steps"]

    @admin.display(description="Step graph")
    def step_graph(self, run: WorkflowRun) -> Any:
        return graph_html(run.graph or {})

    @admin.display(description="Input")
    def input_json(self, run: WorkflowRun) -> Any:
        return pretty_json(run.input)

    @admin.display(description="State")
    def state_json(self, run: WorkflowRun) -> Any:
        return pretty_json(run.state)

    @admin.display(description="Result")
    def result_json(self, run: WorkflowRun) -> Any:
        return pretty_json(run.result)

    @admin.display(description="Error")
    def error_json(self, run: WorkflowRun) -> Any:
        return pretty_json(run.error)

    @admin.display(description="Waiting steps")
    def answer(self, run: WorkflowRun) -> Any:
        waiting = run.suspensions.open().count()
        if not waiting:
            return "none"
        url = reverse("admin:workflows_workflowrun_resume", args=[run.pk])
        return format_html('{} — <a href="{}">answer one with JSON</a>', waiting, url)

    def get_urls(self) -> list[Any]:
        resume = self.admin_site.admin_view(self.resume_view)
        return [
            path("<path:object_id>/resume/", resume, name="workflows_workflowrun_resume"),
            *super().get_urls(),
        ]

    def resume_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Answer a waiting step with JSON; the engine validates it against the resume schema."""
        if not self.has_cancel_permission(request):
            raise PermissionDenied
        run = self.get_object(request, object_id)
        if run is None:
            raise Http404("No such run")
        open_questions = run.suspensions.open().order_by("created_at")
        choices = [
            (str(q.pk), f"{q.path_key} (asked {q.created_at:%Y-%m-%d %H:%M})")
            for q in open_questions
        ]
        form = ResumeForm(request.POST or None, questions=choices)
        if request.method == "POST" and form.is_valid():
            try:
                api.resume_run(
                    run.pk,
                    form.cleaned_data["answer"],
                    suspension_id=form.cleaned_data["question"],
                    actor=request.user,
                )
            except SchemaMismatch as exc:
                for error in exc.errors:
                    form.add_error("answer", f"{error['field']}: {error['message']}")
            except WorkflowError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"{run.short_id}: answered.", messages.SUCCESS)
                return redirect("admin:workflows_workflowrun_change", run.pk)
        return TemplateResponse(
            request,
            "admin/workflows/workflowrun/resume.html",
            {
                **self.admin_site.each_context(request),
                "run": run,
                "form": form,
                "has_questions": bool(choices),
                "back": reverse("admin:workflows_workflowrun_change", args=[run.pk]),
                "title": f"Answer a waiting step of {run.short_id}",
            },
        )

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
        for run in queryset:
            try:
                row = api.retry_step(run.pk, actor=request.user)
            except WorkflowError as exc:
                self.message_user(request, f"{run.short_id}: {exc.message}", messages.WARNING)
                continue
            self._report_retry(request, run, row)

    def _report_retry(self, request: HttpRequest, run: WorkflowRun, row: StepExecution) -> None:
        """Say what became of the retry: finished, failed again, or still going."""
        deadline = time.monotonic() + RETRY_SETTLE_SECONDS
        while True:
            row.refresh_from_db()
            if row.status in ExecutionStatus.terminal() or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        if row.status == ExecutionStatus.FAILED:
            message = (row.error or {}).get("message", "no message")
            self.message_user(
                request,
                f"{run.short_id}: {row.path_key} ran again and failed again: {message}",
                messages.ERROR,
            )
        elif row.status == ExecutionStatus.SUCCESS:
            self.message_user(
                request,
                f"{run.short_id}: {row.path_key} ran again and succeeded.",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                f"{run.short_id}: {row.path_key} is running again ({row.status}); "
                "reload the run to see how it ends.",
                messages.INFO,
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
class StepExecutionAdmin(
    CheckedSelectionMixin, FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin[StepExecution]
):
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
class SuspensionAdmin(
    CheckedSelectionMixin, FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin[Suspension]
):
    list_display = ("path_key", "run", "status", "label", "created_at", "resumed_by", "resumed_at")
    list_filter = ("status",)
    search_fields = ("path_key", "label", "run__id")
    list_select_related = ("run", "resumed_by")
    readonly_fields = [field.name for field in Suspension._meta.fields]


@admin.register(RunEvent)
class RunEventAdmin(
    CheckedSelectionMixin, FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin[RunEvent]
):
    list_display = ("id", "type", "path_key", "run", "actor", "created_at")
    list_filter = ("type",)
    search_fields = ("run__id", "path_key")
    list_select_related = ("run", "actor")
    readonly_fields = [
        *(field.name for field in RunEvent._meta.fields if field.name != "data"),
        "data_json",
    ]

    @admin.display(description="Data")
    def data_json(self, event: RunEvent) -> Any:
        return pretty_json(event.data)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the event log is append-only: it is the audit trail
