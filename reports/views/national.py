"""The national picture: a measure's position among all forces, as an API answer, a page and downloads."""

from django.http import Http404
from django.urls import path, re_path

from priorities.selectors import measures_visible_to
from reports.caching import Page, snapshot_page
from reports.charts.forces import fig_forces
from reports.downloads import chart_download
from reports.forces_selectors import MEMBER_KEYS, NoComparison, forces_comparison
from reports.selectors import snapshot_get
from reports.views.api import (
    CODE_RE,
    ApiError,
    api_answer,
    api_measure_block,
    api_measure_row,
    api_snapshot,
    api_view,
    snapshot_block,
    window_params,
)


def _comparison(snapshot, measure: dict, period_end, months: int) -> dict:
    if not measure["msg_comparable"]:
        raise ApiError(404, "This measure is not compared between forces")
    try:
        return forces_comparison(
            snapshot=snapshot,
            measure_code=measure["code"],
            direction=measure["direction"],
            period_end=period_end,
            months=months,
        )
    except NoComparison as exc:
        raise ApiError(404, str(exc)) from None


@api_view
def api_forces(request, as_of, code):
    snapshot = api_snapshot(request, as_of)
    measure = api_measure_row(request, code)
    period_end, months = window_params(request, snapshot, default_end=None)
    found = _comparison(snapshot, measure, period_end, months)
    body = {
        "snapshot": snapshot_block(snapshot),
        "measure": api_measure_block(measure),
        "period_start": found["period_start"],
        "period_end": found["period_end"],
        "months": months,
        "group": found["group"],
        "all_forces_rate": found["all_forces_rate"],
        "group_rate": found["group_rate"],
        "members": found["members"],
    }
    rows = [[m[k] for k in MEMBER_KEYS] for m in found["members"]]
    name = f"{code}-forces-{found['period_end']}-{months}m"
    return api_answer(request, body, header=list(MEMBER_KEYS), rows=rows, snapshot=snapshot, name=name)


def _page_chart(user, snapshot, code: str):
    """The visible, comparable measure's forces chart for the snapshot's default window, else 404."""
    fields = ("code", "title", "unit", "direction", "msg_comparable", "under_reported")
    measure = measures_visible_to(user).filter(code=code).values(*fields).first() if CODE_RE.match(code) else None
    if measure is None or not measure["msg_comparable"]:
        raise Http404("No comparison of all forces for this measure")
    try:
        found = forces_comparison(snapshot=snapshot, measure_code=code, direction=measure["direction"], period_end=None)
    except NoComparison:
        return measure, None, None
    return measure, found, fig_forces(measure=measure, comparison=found, as_of=snapshot.as_of)


@snapshot_page
def forces_page(request, snapshot, code):
    measure, found, chart = _page_chart(request.user, snapshot, code)
    context = {"measure": measure, "comparison": found, "chart": chart}
    title = f"{measure['title']}: position among all forces, data as at {snapshot.as_of:%-d %B %Y}"
    return Page("reports/pages/forces.html", context, title=title, has_charts=chart is not None)


def forces_download(request, as_of, code, fmt):
    """The chart's table as CSV or XLSX, with a preamble naming the snapshot."""
    snapshot = snapshot_get(request.user, as_of)
    _, _, chart = _page_chart(request.user, snapshot, code)
    if chart is None:
        raise Http404("No comparison of all forces in this snapshot")
    return chart_download(chart, snapshot=snapshot, fmt=fmt)


urlpatterns = [
    path("api/v1/snapshots/<str:as_of>/measures/<str:code>/forces", api_forces, name="api_forces"),
    path("snapshots/<str:as_of>/measures/<slug:code>/forces/", forces_page, name="measure_forces"),
    re_path(
        r"^snapshots/(?P<as_of>[^/]+)/measures/(?P<code>[-\w]+)/forces\.(?P<fmt>csv|xlsx)$",
        forces_download,
        name="measure_forces_download",
    ),
]
