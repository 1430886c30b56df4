"""Template context every page needs: service name, the user's roles, navigation by role."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from pcc_dashboard.roles import ROLE_LABELS, can, user_roles

# (label, URL name, action the user needs or None for everyone). Items whose URL is not wired
# yet are left out, so each app adds its pages here without touching the base template.
NAVIGATION = [
    ("Plan", "home", None),
    ("Performance", "snapshot_latest", None),
    ("Meetings", "meeting_list", "view_meetings"),
    ("Crime outcomes", "outcomes_latest", "view_outcomes"),
    ("Returns", "return_list", "upload_return"),
    ("Tracker", "return_tracker", "view_tracker"),
    ("Snapshots", "snapshot_list", "freeze_snapshot"),
    ("Audit log", "audit_log", "view_audit_log"),
]


def _navigation(request) -> list[dict]:
    items = []
    for label, name, action in NAVIGATION:
        if action is not None and not can(request.user, action):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        current = request.path == url or (url != "/" and request.path.startswith(url))
        items.append({"label": label, "url": url, "current": current})
    return items


def service(request):
    roles = user_roles(request.user)
    return {
        "service_name": settings.PCC_SERVICE_NAME,
        "organisation": settings.PCC_ORGANISATION,
        "user_roles": roles,
        "user_role_labels": [ROLE_LABELS[r] for r in sorted(roles)],
        "navigation": _navigation(request),
    }
