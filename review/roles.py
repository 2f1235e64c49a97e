"""Roles are Django groups holding the review permissions; checks ask for permissions only.

A user may hold several roles. ``ensure_roles`` makes the groups and their
permissions exist (the demo, tests and fresh installs call it), so nothing
anywhere checks a group's name.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

APP = "review"
VIEW_ALL_RUNS = "view_all_runs"
START_RUN = "start_run"
DECIDE = "decide"
EDIT_DRAFT = "edit_draft"
CANCEL_RUN = "cancel_run"
RETRY_STEP = "retry_step"
REASSIGN = "reassign"
ALL = (VIEW_ALL_RUNS, START_RUN, DECIDE, EDIT_DRAFT, CANCEL_RUN, RETRY_STEP, REASSIGN)

ROLES: dict[str, tuple[str, ...]] = {
    "Viewers": (VIEW_ALL_RUNS,),
    "Reviewers": (VIEW_ALL_RUNS, START_RUN, DECIDE),
    "Editors": (VIEW_ALL_RUNS, EDIT_DRAFT),
    "Admins": ALL,
}


def ensure_roles(*, using: str = "default") -> dict[str, Group]:
    """Create the role groups and give each its permissions (idempotent)."""
    permissions = {
        p.codename: p for p in Permission.objects.using(using).filter(content_type__app_label=APP)
    }
    missing = set(ALL) - set(permissions)
    if missing:
        raise LookupError(f"review permissions are not installed (migrate): {sorted(missing)}")
    groups = {}
    for name, codenames in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.add(*(permissions[c] for c in codenames))
        groups[name] = group
    return groups


def grant_role(user: Any, role: str) -> None:
    user.groups.add(ensure_roles()[role])
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        if hasattr(user, cache):
            delattr(user, cache)


def can(user: Any, action: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.has_perm(f"{APP}.{action}"))
