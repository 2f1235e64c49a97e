"""Django admin for the review product's records: API tokens, draft revisions, claims.

An API token's secret exists only at the moment it is issued: the admin creates
it with ``ApiToken.issue`` semantics, shows it once in a message, and keeps only
its digest, which no admin page shows. Tokens are revoked rather than edited,
so the audit of who used which token stays readable. Draft revisions are
history (the run's log refers to them by number), so the admin only reads them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from review.models import ApiToken, DraftRevision, ReviewClaim, ReviewTask
from workflows.admin import ReadOnlyAdminMixin, WorkflowRunAdmin
from workflows.models import WorkflowRun

SECRET_NOTICE = (
    "The API token {name!r} for {user} was created. Its secret is {secret} . "
    "Copy it now: it is not stored and will not be shown again. "
    "Send it as the header Authorization: Bearer <secret>."
)


class RevokedFilter(admin.SimpleListFilter):
    title = "revoked"
    parameter_name = "revoked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Active"), ("yes", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
        if self.value() in ("yes", "no"):
            return queryset.filter(revoked_at__isnull=self.value() == "no")
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked")
    list_filter = (RevokedFilter,)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    actions = ("revoke",)

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        """Creating asks for whom and what for; the rest is set by issuing and using it."""
        if obj is None:
            return ["user", "name"]
        return ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        if obj is None:
            return []
        return ["user", "prefix", "created_at", "last_used_at", "revoked_at"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """A token acts as its user, so only superusers may issue one for someone else."""
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = get_user_model()._default_manager.filter(pk=request.user.pk or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: ApiToken, form: ModelForm[ApiToken], change: bool
    ) -> None:
        """A new token is issued (its secret made, shown once, and only its digest kept)."""
        if change:
            super().save_model(request, obj, form, change)
            return
        issued, secret = ApiToken.issue(user=obj.user, name=obj.name)
        obj.pk, obj.prefix, obj.digest = issued.pk, issued.prefix, issued.digest
        obj.created_at = issued.created_at
        messages.success(request, SECRET_NOTICE.format(name=obj.name, user=obj.user, secret=secret))

    @admin.display(boolean=True, ordering="revoked_at", description="revoked")
    def revoked(self, obj: ApiToken) -> bool:
        return obj.revoked_at is not None

    @admin.action(description="Revoke the selected API tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} API token(s) revoked.", messages.SUCCESS)


@admin.register(DraftRevision)
class DraftRevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[DraftRevision]):
    list_display = (
        "__str__",
        "run",
        "number",
        "author",
        "lines_added",
        "lines_removed",
        "created_at",
    )
    list_select_related = ("run", "suspension", "author")
    search_fields = ("text", "suspension__path_key", "author__username", "run__workflow_id")
    date_hierarchy = "created_at"
    fields = (
        "run",
        "execution",
        "suspension",
        "number",
        "author",
        "lines_added",
        "lines_removed",
        "created_at",
        "text",
    )
    readonly_fields = fields


@admin.register(ReviewClaim)
class ReviewClaimAdmin(admin.ModelAdmin[ReviewClaim]):
    """Who is working on which open question; a stuck claim can be removed here."""

    list_display = ("suspension", "run", "user", "claimed_at", "renewed_at")
    list_select_related = ("suspension", "run", "user")
    search_fields = ("user__username", "suspension__path_key", "run__workflow_id")
    readonly_fields = ("suspension", "run", "user", "claimed_at", "renewed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RunWithPageAdmin(WorkflowRunAdmin):
    """The engine's run admin, plus a link to the run's page in the review product."""

    list_display: Any = (*WorkflowRunAdmin.list_display, "page")
    readonly_fields = ["page", *WorkflowRunAdmin.readonly_fields]

    @admin.display(description="Run page")
    def page(self, run: WorkflowRun) -> str:
        return format_html('<a href="{}">open</a>', reverse("review:run", args=[run.pk]))


admin.site.unregister(WorkflowRun)
admin.site.register(WorkflowRun, RunWithPageAdmin)


@admin.register(ReviewTask)
class ReviewTaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ReviewTask]):
    """Review items: who each open question is assigned to, when it is due, whether it is late.

    Reassigning is done on the run page (it is recorded in the run's log).
    """

    list_display = ("suspension", "run", "assignee_user", "assignee_group", "due_at", "overdue_at")
    list_filter = ("assignee_group", ("overdue_at", admin.EmptyFieldListFilter))
    list_select_related = ("suspension", "run", "assignee_user", "assignee_group")
    search_fields = ("assignee_user__username", "suspension__path_key", "run__workflow_id")
    readonly_fields = (
        "suspension",
        "run",
        "assignee_user",
        "assignee_group",
        "due_at",
        "overdue_at",
        "escalated_to",
        "created_at",
    )
    show_full_result_count = False
