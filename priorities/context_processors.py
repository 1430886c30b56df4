"""Template context every page needs from the plan: the office, its name, and role labels in its words."""

from django.utils.functional import SimpleLazyObject

from pcc_dashboard.roles import PANEL, ROLE_LABELS, user_roles
from priorities.office import current_office


def office(request) -> dict:
    """`office` (priorities.models.Office, or None before a plan is loaded) and `organisation` (its
    name, or "") are read only when a template uses them. `user_role_labels` names the user's roles
    as the office does: a Panel member is a member of the office's scrutiny body."""
    lazy_office = SimpleLazyObject(current_office)
    return {
        "office": lazy_office,
        "organisation": SimpleLazyObject(lambda: lazy_office.name if lazy_office else ""),
        "user_role_labels": [
            f"{lazy_office.scrutiny_body} member" if r == PANEL and lazy_office else ROLE_LABELS[r]
            for r in sorted(user_roles(request.user))
        ],
    }
