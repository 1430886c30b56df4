"""Reads for the plan: what a user may see of themes, priorities and measures."""

from django.db.models import Prefetch, QuerySet

from pcc_dashboard.roles import can, role_can
from priorities.models import Measure, Plan, Priority, Theme


def may_see_restricted(user, *, audience: str | None = None) -> bool:
    """The reader is entitled to restricted content (figures, narratives, context, annotations,
    caveats), and so is the audience (a role) of the paper being made, when there is one: a paper
    made for the Panel holds only what the Panel may see, whoever downloads it."""
    return can(user, "view_restricted") and (audience is None or role_can(audience, "view_restricted"))


def measures_visible_to(user, *, audience: str | None = None) -> QuerySet[Measure]:
    """Restricted measures, and measures serving only restricted priorities, need entitlement
    (the reader's and, for a paper made for an audience, the audience's: see may_see_restricted)."""
    measures = Measure.objects.all()
    if may_see_restricted(user, audience=audience):
        return measures
    return measures.filter(restricted=False).exclude(priorities__restricted=True).distinct()


def restricted_measure_codes() -> set[str]:
    """Codes no public page, export or API answer may carry."""
    public = set(measures_visible_to(None).values_list("code", flat=True))
    return set(Measure.objects.values_list("code", flat=True)) - public


def plan_tree(user) -> dict:
    """Themes → priorities → the measures this user may see, plus cross-cutting priorities."""
    visible = measures_visible_to(user).order_by("order", "code")
    priorities = Priority.objects.order_by("number").prefetch_related(
        Prefetch("measures", queryset=visible, to_attr="visible_measures")
    )
    themes = list(
        Theme.objects.order_by("number").prefetch_related(
            Prefetch("priorities", queryset=priorities, to_attr="ordered_priorities")
        )
    )
    cross_cutting = list(priorities.filter(theme__isnull=True))
    return {
        "plan": Plan.objects.first(),
        "themes": themes,
        "cross_cutting": cross_cutting,
        "priority_count": sum(len(t.ordered_priorities) for t in themes) + len(cross_cutting),
        "measure_count": visible.count(),
    }
