"""Report views: boards and their meetings, each meeting's pack from its snapshot."""

from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from pcc_dashboard.roles import PDG, can, require
from reports.cover import cover_context
from reports.forms import FreezeForm
from reports.models import Meeting, Snapshot
from reports.report_pages import measure_payloads
from reports.selectors import (
    boards_with_meetings,
    meeting_previous,
    meeting_snapshot_date,
    overview_visible_to,
    snapshot_context,
    snapshots_visible_to,
)
from returns.selectors import working_date


@require_GET
@require("view_meetings")
def meeting_list(request):
    context = {"boards": boards_with_meetings(today=working_date())}
    return render(request, "reports/meetings/list.html", context)


def _measure_url(as_of: str, code: str) -> str | None:
    try:
        return reverse("measure_detail", args=[as_of, code])
    except NoReverseMatch:
        return None


@require_GET
@require("view_meetings")
def meeting_detail(request, pk):
    meeting = get_object_or_404(Meeting.objects.select_related("board"), pk=pk)
    as_of = meeting_snapshot_date(meeting.date)
    snapshot = snapshots_visible_to(request.user).filter(as_of=as_of).first()
    context = {"meeting": meeting, "as_of": as_of, **snapshot_context(request.user, snapshot)}
    # What this board's members come to the meeting for: the Panel's thematic report and the
    # PDG's crime outcomes, each from the meeting's own snapshot.
    context["panel_report"] = meeting.board.is_panel and can(request.user, "view_panel_report")
    context["outcomes"] = meeting.board.audience_role == PDG and can(request.user, "view_outcomes")
    if snapshot is not None:
        # The pack is made for the board's audience: the Panel's never holds restricted measures.
        codes = [
            item["code"] for item in overview_visible_to(request.user, snapshot, audience=meeting.board.audience_role)
        ]
        exceptions = request.GET.get("show") == "exceptions"
        context.update(
            cover_context(
                meeting=meeting,
                snapshot=snapshot,
                user=request.user,
                codes=codes,
                payloads=measure_payloads(snapshot, codes, recent=True),
                exceptions=exceptions,
            ),
            cover_all_url=request.path,
            cover_exceptions_url=f"{request.path}?show=exceptions",
        )
        for row in context["cover"]:
            row["url"] = _measure_url(as_of.isoformat(), row["code"])
        previous = meeting_previous(meeting)
        if previous is not None:
            previous_as_of = meeting_snapshot_date(previous.date)
            context["previous"] = previous
            context["previous_frozen"] = Snapshot.objects.filter(as_of=previous_as_of).exists()
            context["compare_query"] = f"from={previous_as_of.isoformat()}&to={as_of.isoformat()}"
    elif can(request.user, "freeze_snapshot") and as_of < timezone.localdate():
        context["freeze_form"] = FreezeForm(initial={"as_of": as_of.isoformat()}, months=[as_of])
    return render(request, "reports/meetings/detail.html", context)


urlpatterns = [
    path("meetings/", meeting_list, name="meeting_list"),
    path("meetings/<int:pk>/", meeting_detail, name="meeting_detail"),
]
