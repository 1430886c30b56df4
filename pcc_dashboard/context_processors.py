"""Template context every page needs: service name, the user's roles, navigation by role."""

import re

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from pcc_dashboard.roles import can, user_roles

# (label, URL name, action the user needs or None for everyone). Items whose URL is not wired
# yet are left out, so each app adds its pages here without touching the base template.
NAVIGATION = [
    ("Plan", "home", None),
    ("Performance", "snapshot_latest", None),
    ("Statements", "statement_list", None),
    ("Meetings", "meeting_list", "view_meetings"),
    ("Crime outcomes", "outcomes_latest", "view_outcomes"),
    ("Returns", "return_list", "upload_return"),
    ("Tracker", "return_tracker", "view_tracker"),
    ("Snapshots", "snapshot_list", "freeze_snapshot"),
    ("Audit log", "audit_log", "view_audit_log"),
]


# Pages that belong to a navigation item although their address does not start with its URL.
CURRENT_PATTERNS = {
    "snapshot_latest": re.compile(r"^/snapshots/(latest|\d{4}-\d{2}-\d{2})/"),
    "snapshot_list": re.compile(r"^/snapshots/(compare/)?$"),
    "home": re.compile(r"^/$"),
}


def _navigation(request) -> list[dict]:
    items = []
    for label, name, action in NAVIGATION:
        if action is not None and not can(request.user, action):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        pattern = CURRENT_PATTERNS.get(name)
        current = bool(pattern.match(request.path)) if pattern else request.path.startswith(url)
        items.append({"label": label, "url": url, "current": current})
    # One item is current: where two addresses match (Returns /returns/, Tracker /returns/tracker/),
    # the longer one wins.
    matching = [item for item in items if item["current"]]
    if len(matching) > 1:
        best = max(matching, key=lambda item: len(item["url"]))
        for item in matching:
            item["current"] = item is best
    return items


def service(request):
    """Every page's context: the service name, the user's roles and the navigation they may use.
    The office, its name and the role labels in its words come from priorities.context_processors."""
    return {
        "service_name": settings.PCC_SERVICE_NAME,
        "user_roles": user_roles(request.user),
        "navigation": _navigation(request),
    }
