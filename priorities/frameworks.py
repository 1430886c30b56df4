"""Frameworks in the plan file (`frameworks:`): the local plan, the national priorities and any later one.

A framework is data: a code, a title, who sets it and, unless it is the local plan itself, its
priorities, each saying whether it applies locally and why (the office's words), which local
priorities it corresponds to and which measures serve it. A measure may serve priorities in
several frameworks. Adding a framework to the file needs no code change.
"""

from __future__ import annotations

from django.db import transaction

from priorities.models import Framework, FrameworkPriority, Measure, Priority


class FrameworkFileError(ValueError):
    """The `frameworks:` section cannot be loaded; the message names the place in the file."""


def _text(item: dict, key: str, where: str, *, required: bool = True) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    if required and (value is None or str(value).strip() == ""):
        raise FrameworkFileError(f"{where}: '{key}' is required")
    return "" if value is None else str(value).strip()


def _codes(item: dict, key: str, where: str, known: dict) -> list:
    values = item.get(key) or []
    if not isinstance(values, list):
        raise FrameworkFileError(f"{where}: '{key}' must be a list")
    missing = [v for v in values if v not in known]
    if missing:
        raise FrameworkFileError(f"{where}: {key} names {', '.join(map(repr, missing))}, which the plan does not hold")
    return [known[v] for v in values]


def _unique_codes(items: list, where: str, *, what: str, scope: str = ""):
    """Yield (place, code, item) for each item of a list at `where` in the file, in order.

    Each item needs a `code` no earlier item has; otherwise FrameworkFileError names the place, the
    kind of item (`what`: "framework") and, in `scope`, where the code must be unique.
    """
    seen = set()
    for index, item in enumerate(items, start=1):
        place = f"{where}[{index}]"
        code = _text(item, "code", place)
        if code in seen:
            raise FrameworkFileError(f"{place}: {what} code {code!r} appears twice{scope}")
        seen.add(code)
        yield place, code, item


def _priority_parse(p: dict, place: str, code: str) -> dict:
    """One priority of a framework in canonical form (see frameworks_parse); raises FrameworkFileError."""
    if not isinstance(p.get("applies_locally", True), bool):
        raise FrameworkFileError(f"{place}: 'applies_locally' must be true or false")
    return {
        "code": code,
        "title": _text(p, "title", place),
        "summary": _text(p, "summary", place, required=False),
        "applies_locally": p.get("applies_locally", True),
        "why": _text(p, "why", place),
        "local_priorities": [int(n) for n in p.get("local_priorities") or []],
        "measures": [str(c) for c in p.get("measures") or []],
    }


def frameworks_parse(raw) -> list[dict]:
    """Check the plan file's `frameworks:` list and return it in canonical form.

    Input: a list of {code, title, summary?, source?, local?: bool, priorities?: [{code, title,
    summary?, applies_locally: bool, why, local_priorities?: [SP numbers], measures?: [codes]}]}.
    Output: the same with every key present. Raises FrameworkFileError naming the place, for a
    missing key, a repeated code, more than one local framework, a local framework with priorities,
    or (checked on import) a priority number or measure code the plan does not hold.
    """
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise FrameworkFileError("frameworks: must be a list of frameworks")
    out = []
    for where, code, item in _unique_codes(raw, "frameworks", what="framework"):
        local = bool(item.get("local", False))
        priorities = item.get("priorities") or []
        if local and priorities:
            raise FrameworkFileError(f"{where}: the local plan's priorities are the themes' priorities; list none here")
        parsed = [
            _priority_parse(p, place, p_code)
            for place, p_code, p in _unique_codes(
                priorities, f"{where}.priorities", what="priority", scope=" in the framework"
            )
        ]
        out.append(
            {
                "code": code,
                "title": _text(item, "title", where),
                "summary": _text(item, "summary", where, required=False),
                "source": _text(item, "source", where, required=False),
                "local": local,
                "priorities": parsed,
            }
        )
    if sum(f["local"] for f in out) > 1:
        raise FrameworkFileError("frameworks: only one framework can be the local plan (local: true)")
    return out


@transaction.atomic
def frameworks_import(raw) -> list[str]:
    """Create, update or remove frameworks to match the plan file's `frameworks:` list (the file is the
    whole truth: a framework or priority no longer in it is removed). Returns a line per framework created.
    Raises FrameworkFileError (nothing is changed then, inside the plan import's transaction)."""
    frameworks = frameworks_parse(raw)
    measures = {m.code: m for m in Measure.objects.all()}
    priorities = {p.number: p for p in Priority.objects.all()}
    changes = []
    for order, item in enumerate(frameworks, start=1):
        framework, created = Framework.objects.update_or_create(
            code=item["code"],
            defaults={key: item[key] for key in ("title", "summary", "source", "local")} | {"order": order},
        )
        if created:
            changes.append(f"created framework {item['code']}")
        kept = []
        for p_order, p in enumerate(item["priorities"], start=1):
            where = f"frameworks[{order}].priorities[{p_order}]"
            row, _ = FrameworkPriority.objects.update_or_create(
                framework=framework,
                code=p["code"],
                defaults={
                    "title": p["title"],
                    "summary": p["summary"],
                    "applies_locally": p["applies_locally"],
                    "local_reason": p["why"],
                    "order": p_order,
                },
            )
            row.measures.set(_codes(p, "measures", where, measures))
            row.local_priorities.set(_codes(p, "local_priorities", where, priorities))
            kept.append(row.pk)
        framework.priorities.exclude(pk__in=kept).delete()
    Framework.objects.exclude(code__in=[f["code"] for f in frameworks]).delete()
    return changes


def frameworks_export() -> list[dict]:
    """The frameworks as the plan file holds them (the inverse of frameworks_import)."""
    out = []
    for framework in Framework.objects.prefetch_related("priorities__measures", "priorities__local_priorities"):
        item = {"code": framework.code, "title": framework.title, "summary": framework.summary}
        if framework.source:
            item["source"] = framework.source
        if framework.local:
            item["local"] = True
        else:
            item["priorities"] = [
                {
                    "code": p.code,
                    "title": p.title,
                    "summary": p.summary,
                    "applies_locally": p.applies_locally,
                    "why": p.local_reason,
                    "local_priorities": sorted(n.number for n in p.local_priorities.all()),
                    "measures": sorted(m.code for m in p.measures.all()),
                }
                for p in framework.priorities.all()
            ]
        out.append(item)
    return out
