"""The plan file's `office:` section: who owns the plan, the force it covers, its peer group, boards
and context values. Parsed and stored by plan_import; the peer group is derived from it once the
reference data is loaded (either order of import_reference and import_plan gives the same result).

The section, with every key (peer group members and boards may be empty lists):

    office:
      force: E23…                          # GSS code of the police force area the office covers
      name: Office of the Police and Crime Commissioner for …
      title: Police and Crime Commissioner # or "Police, Fire and Crime Commissioner", "Mayor", ...
      scrutiny_body: Police and Crime Panel
      peer_group:
        name: … MSG
        source: iQuanta Most Similar Group
        members:                           # the office's own force is always a member
          - {force: E23000026, from: 2010-04-01}            # to: 2016-03-31 ends a membership
      boards:
        - {name: ..., slug: ..., audience: panel, frequency: Quarterly, purpose: ..., scrutiny: true,
           meetings: [2014-06-09, ...]}
      context:                             # a value drawn on a measure's chart, never a target
        - {measure: revenue_savings, name: savings challenge, value: 20000000}
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

from django.conf import settings

from priorities.models import Area, AreaKind, Office, PeerGroup, PeerGroupMember
from priorities.services import upsert

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# The roles a board's pack can be made for (pcc_dashboard.roles).
AUDIENCES = ("coordinator", "csp_submitter", "police_submitter", "panel", "pdg")


class OfficeError(ValueError):
    """An `office:` section that cannot be loaded; the message names the place and the fix."""


def _forces() -> dict[str, str]:
    """GSS code → name of every police force area in fixtures/reference (read from the file, so a
    plan can be checked before the reference data is loaded)."""
    path = Path(settings.BASE_DIR) / "fixtures" / "reference" / "police_force_areas.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["area_code"]: row["name"] for row in csv.DictReader(handle)}


def _text(mapping: dict, key: str, where: str, *, required: bool = True) -> str:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    if value in (None, ""):
        if required:
            raise OfficeError(f"{where}: '{key}' is required")
        return ""
    return str(value).strip()


def _day(value, where: str, key: str) -> str:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise OfficeError(f"{where}: '{key}' is {value!r}; write a date like 2014-06-09") from None


def _force(value, forces: dict[str, str], where: str) -> str:
    code = str(value or "").strip().upper()
    if code not in forces:
        raise OfficeError(
            f"{where}: {value!r} is not a police force area's GSS code; use one of "
            "fixtures/reference/police_force_areas.csv (E23…, W15…)"
        )
    return code


def office_parse(raw) -> dict:
    """Check a plan file's `office:` mapping and return it in canonical form (every key present,
    dates as ISO text, members sorted by force and start).

    Output: {force, name, title, scrutiny_body, peer_group: {name, source, members: [{force, from,
    to}]}, boards: [{name, slug, audience, frequency, purpose, scrutiny, meetings: [iso dates]}],
    context: [{measure, name, value}]}. Raises OfficeError naming the place in the file.
    """
    if not isinstance(raw, dict):
        raise OfficeError("office: must be a mapping with force, name, title and scrutiny_body")
    forces = _forces()
    force = _force(raw.get("force"), forces, "office.force")
    group = raw.get("peer_group") or {}
    if not isinstance(group, dict):
        raise OfficeError("office.peer_group: must be a mapping with name and members")
    members = []
    for index, member in enumerate(group.get("members") or [], start=1):
        where = f"office.peer_group.members[{index}]"
        if not isinstance(member, dict):
            member = {"force": member}
        start = _day(member.get("from") or "2000-01-01", where, "from")
        end = _day(member["to"], where, "to") if member.get("to") else None
        if end and end < start:
            raise OfficeError(f"{where}: 'to' ({end}) is before 'from' ({start})")
        members.append({"force": _force(member.get("force"), forces, where), "from": start, "to": end})
    if members and not any(m["force"] == force for m in members):
        members.append({"force": force, "from": min(m["from"] for m in members), "to": None})
    members.sort(key=lambda m: (m["force"], m["from"]))
    peer_group = {}
    if group:
        peer_group = {
            "name": _text(group, "name", "office.peer_group"),
            "source": _text(group, "source", "office.peer_group", required=False),
            "members": members,
        }
    boards, slugs = [], set()
    for index, board in enumerate(raw.get("boards") or [], start=1):
        where = f"office.boards[{index}]"
        slug = _text(board, "slug", where)
        if not SLUG_RE.match(slug) or slug in slugs:
            raise OfficeError(f"{where}: slug {slug!r} must be unique, lower case words joined by hyphens")
        slugs.add(slug)
        audience = _text(board, "audience", where)
        if audience not in AUDIENCES:
            raise OfficeError(f"{where}: audience {audience!r}; use one of {', '.join(AUDIENCES)}")
        boards.append(
            {
                "name": _text(board, "name", where),
                "slug": slug,
                "audience": audience,
                "frequency": _text(board, "frequency", where, required=False),
                "purpose": _text(board, "purpose", where, required=False),
                "scrutiny": bool(board.get("scrutiny", False)),
                "meetings": sorted(_day(d, where, "meetings") for d in board.get("meetings") or []),
            }
        )
    context = []
    for index, item in enumerate(raw.get("context") or [], start=1):
        where = f"office.context[{index}]"
        value = item.get("value") if isinstance(item, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise OfficeError(f"{where}: 'value' must be a positive number (no units or commas)")
        context.append({"measure": _text(item, "measure", where), "name": _text(item, "name", where), "value": value})
    return {
        "force": force,
        "name": _text(raw, "name", "office"),
        "title": _text(raw, "title", "office"),
        "scrutiny_body": _text(raw, "scrutiny_body", "office"),
        "peer_group": peer_group,
        "boards": boards,
        "context": context,
    }


def office_values(office: dict) -> dict:
    """The Office row's fields for a canonical office mapping (office_parse's output)."""
    return {
        "force_code": office["force"],
        "name": office["name"],
        "title": office["title"],
        "scrutiny_body": office["scrutiny_body"],
        "peer_group": office["peer_group"],
        "boards": office["boards"],
        "context": office["context"],
    }


def office_export(office: Office | None) -> dict | None:
    """The plan file's `office:` mapping for the stored office (the inverse of office_parse)."""
    if office is None:
        return None
    return {
        "force": office.force_code,
        "name": office.name,
        "title": office.title,
        "scrutiny_body": office.scrutiny_body,
        "peer_group": office.peer_group,
        "boards": office.boards,
        "context": office.context,
    }


def current_office() -> Office | None:
    """The office that owns the loaded plan, or None before a plan with an `office:` section."""
    return Office.objects.first()


def focus_force_code() -> str | None:
    """GSS code of the force the office covers, or None before the plan is loaded."""
    office = current_office()
    return office.force_code if office else None


def peer_group_name() -> str | None:
    """Name of the office's peer group, or None when the plan names none."""
    office = current_office()
    return (office.peer_group or {}).get("name") if office else None


def office_areas():
    """The areas the office's pages speak of: its force, the force's CSP areas and its peer group
    members (a queryset of Area, force first then CSPs, by name)."""
    from django.db.models import Q

    focus = focus_force_code() or ""
    peers = PeerGroupMember.objects.filter(group__name=peer_group_name() or "").values("area")
    return Area.objects.filter(Q(code=focus) | Q(parent__code=focus) | Q(pk__in=peers)).order_by("kind", "name")


def context_values(measure_code: str) -> list[dict]:
    """The office's context values for one measure: [{name, value}] (e.g. a savings challenge)."""
    office = current_office()
    items = office.context if office else []
    return [{"name": c["name"], "value": c["value"]} for c in items if c["measure"] == measure_code]


def peer_group_derive(count) -> None:
    """(Re)make the office's peer group and its dated members from the stored office, once the
    force areas are loaded; members no longer listed are removed. Does nothing before then."""
    office = current_office()
    spec = (office.peer_group or {}) if office else {}
    forces = {a.code: a for a in Area.objects.filter(kind=AreaKind.FORCE)}
    if not spec or office.force_code not in forces:
        return
    group = upsert(
        PeerGroup,
        lookup={"name": spec["name"]},
        values={"focus_area": forces[office.force_code], "source": spec.get("source", "")},
        count=count,
        label=f"peer group {spec['name']}",
    )
    kept = set()
    for member in spec["members"]:
        row = upsert(
            PeerGroupMember,
            lookup={"group": group, "area": forces[member["force"]], "valid_from": date.fromisoformat(member["from"])},
            values={"valid_to": date.fromisoformat(member["to"]) if member["to"] else None},
            count=count,
            label=f"{member['force']} in {group.name}",
        )
        kept.add(row.pk)
    stale = PeerGroupMember.objects.filter(group=group).exclude(pk__in=kept)
    if stale.exists():
        count.updated += stale.count()
        count.details.append(f"removed {stale.count()} members no longer in {group.name}")
        stale.delete()
