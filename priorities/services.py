"""Writes shared by the plan and reference imports: create or update one row, counting what changed."""

from dataclasses import dataclass, field


@dataclass
class ChangeCount:
    """What an import changed: rows created, updated and left alone, and one line per change
    ("created SP3", "updated measure x: title"), so a re-run can say "No change"."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def upsert(model, *, lookup: dict, values: dict, count: ChangeCount, label: str):
    """Create or update one row, counting what changed (so a re-import can say 'no change')."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        count.created += 1
        count.details.append(f"created {label}")
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        count.updated += 1
        count.details.append(f"updated {label}: {', '.join(changed)}")
    else:
        count.unchanged += 1
    return obj
