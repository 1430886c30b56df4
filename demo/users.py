"""Demo users: one per role with a random password, plus a staff administrator, written to a file."""

import io
import secrets
from pathlib import Path

from django.contrib.auth.models import Group, User

from pcc_dashboard import roles
from priorities.office import current_office
from returns.models import Submitter, SubmitterMembership
from returns.reference import force_submitter


def demo_users(*, path: Path) -> list[tuple[str, str, str]]:
    """One user per role with a random password (plus a staff administrator): [(username, password,
    role label)], also written to `path` (readable by its owner only). Passwords change on every run."""
    force, office = force_submitter(), current_office()
    # The demo CSP data lead is the first partnership by name; the username is its submitter's code.
    first_csp = Submitter.objects.filter(kind="csp").order_by("name").values_list("code", flat=True).first()
    wanted = [
        ("coordinator", roles.COORDINATOR, None),
        (first_csp, roles.CSP_SUBMITTER, first_csp),
        ("police", roles.POLICE_SUBMITTER, force.code),
        ("panel", roles.PANEL, None),
        ("pdg", roles.PDG, None),
        ("admin", None, None),
    ]
    made = []
    for username, role, submitter_code in wanted:
        password = secrets.token_urlsafe(12)
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.first_name = {"coordinator": "Demo", "admin": "Demo"}.get(username, "Demo")
        user.last_name = (role or "administrator").replace("_", " ").title()
        user.is_staff = user.is_superuser = username == "admin"
        user.save()
        if role:
            user.groups.set([Group.objects.get_or_create(name=role)[0]])
        if submitter_code:
            SubmitterMembership.objects.update_or_create(
                user=user, defaults={"submitter": Submitter.objects.get(code=submitter_code)}
            )
        label = roles.ROLE_LABELS.get(role, "Staff administrator (Django admin)")
        if role == roles.PANEL and office is not None:
            label = f"{office.scrutiny_body} member"
        made.append((username, password, label))
    for role in roles.ROLES:
        Group.objects.get_or_create(name=role)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    for username, password, label in made:
        buffer.write(f"{username:<12} {password:<20} {label}\n")
    path.write_text(buffer.getvalue(), encoding="utf-8")
    path.chmod(0o600)
    return made
