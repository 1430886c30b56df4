"""Roles and the one permission helper every view uses."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

COORDINATOR = "coordinator"
CSP_SUBMITTER = "csp_submitter"
POLICE_SUBMITTER = "police_submitter"
PANEL = "panel"
PDG = "pdg"
ROLES = (COORDINATOR, CSP_SUBMITTER, POLICE_SUBMITTER, PANEL, PDG)
ROLE_LABELS = {
    COORDINATOR: "Performance co-ordinator",
    CSP_SUBMITTER: "CSP data lead",
    POLICE_SUBMITTER: "Police data lead",
    PANEL: "Panel member",  # pages name the office's scrutiny body instead (priorities.context_processors)
    PDG: "Performance Delivery Group attendee",
}
# Roles whose members write data: two-factor sign-in applies to them when it is switched on.
WRITER_ROLES = {COORDINATOR, CSP_SUBMITTER, POLICE_SUBMITTER}

# Who may do what. Staff administrators may do everything.
_ACTIONS: dict[str, set[str]] = {
    # Restricted measures reach the office and the force, never the public or the Panel.
    "view_restricted": {COORDINATOR, CSP_SUBMITTER, POLICE_SUBMITTER, PDG},
    "view_unpublished": set(ROLES),
    "view_meetings": set(ROLES),
    "view_panel_report": {COORDINATOR, PANEL},
    "view_outcomes": {COORDINATOR, POLICE_SUBMITTER, PDG},
    "enter_outcome_audit": {COORDINATOR, POLICE_SUBMITTER},
    "upload_return": {COORDINATOR, CSP_SUBMITTER, POLICE_SUBMITTER},
    "view_return": {COORDINATOR, CSP_SUBMITTER, POLICE_SUBMITTER},
    "decide_return": {COORDINATOR},
    "view_tracker": {COORDINATOR},
    "view_audit_log": {COORDINATOR},
    "freeze_snapshot": {COORDINATOR},
    "publish_snapshot": {COORDINATOR},
    "write_commentary": {COORDINATOR},
    "manage_meetings": {COORDINATOR},
    "edit_plan": {COORDINATOR},
}


def role_can(role: str, action: str) -> bool:
    """True when members of `role` may do `action`: what a paper made for that audience may hold."""
    return role in _ACTIONS[action]


def user_roles(user) -> frozenset[str]:
    """The roles a user holds (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_pcc_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._pcc_roles = cached
    return cached


def second_factor_required(user) -> bool:
    """Two-factor sign-in applies (when PCC_REQUIRE_2FA is on) to writers, staff, and superusers,
    who may do everything whether or not they are staff."""
    return bool(user.is_staff or user.is_superuser or user_roles(user) & WRITER_ROLES)


def can(user, action: str, obj=None) -> bool:
    """True when `user` may do `action` (on `obj`, a Submitter or Return, where it matters)."""
    if action not in _ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser or (user.is_staff and action not in {"upload_return"}):
        return True
    roles = user_roles(user)
    if not roles & _ACTIONS[action]:
        return False
    if action in {"upload_return", "view_return"} and COORDINATOR not in roles:
        # CSP and police data leads act only for their own submitter (ASVS 8.2.2, 8.4.1).
        if obj is None:
            return True
        submitter = getattr(obj, "submitter", obj)
        return submitter.members.filter(user=user).exists()  # a data lead belongs to one submitter
    return True


def require(action: str):
    """View decorator: anonymous users go to sign in; signed-in users without the right get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
