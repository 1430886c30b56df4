"""Public pages: the published plan with non-restricted figures, their CSVs, accessibility."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path

from priorities.selectors import measures_visible_to, plan_tree
from reports.report_pages import main_chart, measure_payloads, public_figures
from reports.selectors import snapshot_get, snapshots_visible_to
from returns.exports import csv_bytes

OGL = "Contains public sector information licensed under the Open Government Licence v3.0"


def public(request):
    """The plan, how performance is judged, and the latest published snapshot's public figures.

    Always the anonymous view, even for a signed-in user, so the page shows what the public sees.
    """
    snapshot = snapshots_visible_to(None).first()
    context = plan_tree(None)
    context.update(
        snapshot=snapshot,
        snapshot_published=True,
        figures=public_figures(snapshot) if snapshot else [],
    )
    return render(request, "reports/public.html", context)


def public_measure_csv(request, as_of, code):
    """The data behind a public chart; restricted measures and unpublished snapshots are 404."""
    snapshot = snapshot_get(None, as_of)
    if not measures_visible_to(None).filter(code=code).exists():
        raise Http404("No such measure")
    payload = measure_payloads(snapshot, [code]).get(code)
    if payload is None:
        raise Http404("No such measure in this snapshot")
    chart = main_chart(payload, as_of=snapshot.as_of, suffix=code)
    preamble = [
        chart.title,
        f"Snapshot: data as at {snapshot.as_of.isoformat()}, frozen {snapshot.frozen_at.isoformat()}",
        f"Digest: {snapshot.digest}",
        OGL,
    ]
    response = HttpResponse(
        csv_bytes(chart.table_header, chart.table_rows, preamble=preamble),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{code}-{snapshot.as_of.isoformat()}.csv"'
    return response


def accessibility(request):
    return render(request, "reports/accessibility.html")


urlpatterns = [
    path("public/", public, name="public"),
    path("public/<str:as_of>/measures/<slug:code>.csv", public_measure_csv, name="public_measure_csv"),
    path("accessibility/", accessibility, name="accessibility"),
]
