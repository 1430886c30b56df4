"""Thematic Panel report: one theme per Panel meeting from its snapshot, as a page and a PDF."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import path

from pcc_dashboard.roles import can, require
from reports.models import Meeting
from reports.pdf import html_to_pdf
from reports.report_pages import panel_report, panel_theme
from reports.selectors import snapshot_is_published, snapshots_visible_to
from returns.periods import previous_month_end

TEMPLATE = "reports/panel/report.html"


def _context(request, pk) -> dict:
    meeting = get_object_or_404(Meeting.objects.select_related("board", "theme_override"), pk=pk, board__is_panel=True)
    as_of = previous_month_end(meeting.date)  # a meeting sees the data as at the month end before it
    snapshot = snapshots_visible_to(request.user).filter(as_of=as_of).first()
    theme = panel_theme(meeting)
    context = {"meeting": meeting, "theme": theme, "as_of": as_of, "snapshot": snapshot, "pdf": False}
    context["may_write_context"] = can(request.user, "write_commentary")
    if snapshot is not None and theme is not None:
        context["snapshot_published"] = snapshot_is_published(snapshot)
        exceptions = request.GET.get("show") == "exceptions"
        context.update(
            panel_report(meeting=meeting, theme=theme, snapshot=snapshot, user=request.user, exceptions=exceptions),
            cover_all_url=request.path,
            cover_exceptions_url=f"{request.path}?show=exceptions",
        )
    return context


@require("view_panel_report")
def report(request, pk):
    return render(request, TEMPLATE, _context(request, pk))


@require("view_panel_report")
def report_pdf(request, pk):
    context = _context(request, pk)
    html = render_to_string(TEMPLATE, {**context, "pdf": True}, request=request)
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    meeting = context["meeting"]
    response["Content-Disposition"] = f'attachment; filename="panel-report-{meeting.date.isoformat()}.pdf"'
    return response


urlpatterns = [
    path("meetings/<int:pk>/report/", report, name="panel_report"),
    path("meetings/<int:pk>/report.pdf", report_pdf, name="panel_report_pdf"),
]
