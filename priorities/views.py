"""Plan pages: the home page lists themes, priorities and the measures the user may see."""

from django.shortcuts import render
from django.urls import reverse

from priorities.selectors import plan_tree
from reports.selectors import snapshots_visible_to


def home(request):
    context = plan_tree(request.user)
    latest = snapshots_visible_to(request.user).first()
    if latest is not None:
        as_of = latest.as_of.isoformat()
        context["latest_snapshot"] = latest
        context["latest_snapshot_url"] = reverse("snapshot_overview", args=[as_of])
        context["measure_url_prefix"] = reverse("snapshot_overview", args=[as_of]) + "measures/"
    return render(request, "priorities/home.html", context)
