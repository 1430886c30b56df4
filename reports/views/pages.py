"""Snapshot pages: overview, theme, priority and measure, with chart downloads (read frozen payloads only)."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, re_path

from priorities.models import Priority
from priorities.selectors import measures_visible_to, plan_tree
from reports.caching import Page, snapshot_page
from reports.charts.measure import measure_charts
from reports.downloads import chart_download
from reports.models import Commentary, Snapshot
from reports.payloads.window import page_window
from reports.presenters import attach_statuses, msg_rows, significance_rows, status_tag
from reports.report_pages import caveat_applies, measure_payloads
from reports.selectors import narratives_visible_to, snapshot_get, snapshot_result, snapshots_visible_to


def _label(snapshot) -> str:
    return f"data as at {snapshot.as_of:%-d %B %Y}"


def snapshot_latest(request):
    """The latest snapshot this user may see, or a page saying there is none yet."""
    snapshot = snapshots_visible_to(request.user).first()
    if snapshot is None:
        return render(request, "reports/pages/no_snapshot.html")
    return redirect("snapshot_overview", as_of=snapshot.as_of.isoformat())


@snapshot_page
def snapshot_overview(request, snapshot):
    tree = plan_tree(request.user)
    priorities = [p for t in tree["themes"] for p in t.ordered_priorities] + tree["cross_cutting"]
    attach_statuses(priorities, snapshot_result(snapshot, "overview"))
    # Signed-in readers see every frozen snapshot, so the one before is theirs to compare with.
    tree["previous"] = Snapshot.objects.filter(as_of__lt=snapshot.as_of).order_by("-as_of").first()
    return Page("reports/pages/overview.html", tree, title=f"Performance, {_label(snapshot)}")


@snapshot_page
def theme_detail(request, snapshot, number):
    tree = plan_tree(request.user)
    theme = next((t for t in tree["themes"] if t.number == number), None)
    if theme is None:
        raise Http404("No such theme")
    attach_statuses(theme.ordered_priorities, snapshot_result(snapshot, "overview"))
    context = Commentary.objects.filter(snapshot=snapshot, theme=theme).first()
    return Page(
        "reports/pages/theme.html",
        {"theme": theme, "commentary": context},
        title=f"Theme {theme.number}: {theme.title}, {_label(snapshot)}",
    )


@snapshot_page
def priority_detail(request, snapshot, number):
    priority = get_object_or_404(Priority.objects.select_related("theme"), number=number)
    priority.visible_measures = list(measures_visible_to(request.user).filter(priorities=priority))
    attach_statuses([priority], snapshot_result(snapshot, "overview"))
    narratives = [i for i in narratives_visible_to(request.user, snapshot) if i.get("priority_number") == number]
    return Page(
        "reports/pages/priority.html",
        {"priority": priority, "narratives": narratives},
        title=f"SP{priority.number}: {priority.title}, {_label(snapshot)}",
    )


def _measure_payload(user, snapshot, code, *, recent: bool = False):
    """The visible measure (by today's restricted flags) and its frozen payload, else 404.

    recent=True: the bounded `measure_recent:` payload, whose size does not grow with history.
    """
    measure = measures_visible_to(user).filter(code=code).first()
    payload = measure_payloads(snapshot, [code], recent=recent).get(code) if measure else None
    if payload is None:
        raise Http404("No such measure in this snapshot")
    return measure, payload


@snapshot_page
def measure_detail(request, snapshot, code):
    measure, payload = _measure_payload(request.user, snapshot, code, recent=True)
    block = payload.get("measure") or {}
    shown, window = page_window(payload)
    numbers = block.get("priorities") or []
    titles = dict(Priority.objects.filter(number__in=numbers).values_list("number", "title"))
    context = {
        "measure": measure,
        "payload": payload,
        "priority_links": [(n, f"SP{n}: {titles[n]}" if n in titles else f"SP{n}") for n in numbers],
        "charts": measure_charts(shown, as_of=snapshot.as_of),
        "window": window,
        "tag": status_tag(payload, under_reported=measure.under_reported or bool(block.get("under_reported"))),
        "significance": significance_rows(payload.get("change"), measure=block),
        "msg_rows": msg_rows(payload.get("msg"), under_reported=measure.under_reported),
        "commentary": Commentary.objects.filter(snapshot=snapshot, measure=measure).first(),
        # The frozen words, unless the caveat is dated after this snapshot's as-of date.
        "caveats": (block.get("caveats") or measure.caveats) if caveat_applies(measure, as_of=snapshot.as_of) else "",
    }
    return Page("reports/pages/measure.html", context, title=f"{measure.title}, {_label(snapshot)}", has_charts=True)


def measure_download(request, as_of, code, chart, fmt):
    """One chart's table as CSV or XLSX, with a preamble naming the snapshot."""
    snapshot = snapshot_get(request.user, as_of)
    _, payload = _measure_payload(request.user, snapshot, code)
    found = next((c for c in measure_charts(payload, as_of=snapshot.as_of) if c.id == chart), None)
    if found is None:
        raise Http404("No such chart")
    return chart_download(found, snapshot=snapshot, fmt=fmt)


urlpatterns = [
    path("snapshots/latest/", snapshot_latest, name="snapshot_latest"),
    path("snapshots/<str:as_of>/", snapshot_overview, name="snapshot_overview"),
    path("snapshots/<str:as_of>/themes/<int:number>/", theme_detail, name="theme_detail"),
    path("snapshots/<str:as_of>/priorities/<int:number>/", priority_detail, name="priority_detail"),
    path("snapshots/<str:as_of>/measures/<slug:code>/", measure_detail, name="measure_detail"),
    re_path(
        r"^snapshots/(?P<as_of>[^/]+)/measures/(?P<code>[-\w]+)/(?P<chart>[-\w]+)\.(?P<fmt>csv|xlsx)$",
        measure_download,
        name="measure_download",
    ),
]
