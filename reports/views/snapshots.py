"""Report views: the snapshot list, freezing, publishing, comparing, commentary and annotations."""

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pcc_dashboard.roles import can, require
from priorities.models import Area, Measure, Theme
from priorities.selectors import measures_visible_to
from reports.forms import AnnotationForm, CommentaryForm, FreezeForm
from reports.models import Snapshot
from reports.selectors import (
    annotations_for,
    commentary_for,
    freeze_preview,
    months_not_frozen,
    snapshot_context,
    snapshot_get,
    snapshot_is_published,
    snapshots_visible_to,
)
from reports.services import (
    SnapshotError,
    annotation_add,
    commentary_save,
    snapshot_compare,
    snapshot_freeze,
    snapshot_freeze_check,
    snapshot_publish,
)


@require_GET
@require("view_unpublished")
def snapshot_list(request):
    snapshots = list(snapshots_visible_to(request.user))
    context = {
        "snapshots": snapshots,
        "may_publish": can(request.user, "publish_snapshot"),
        **snapshot_context(request.user, snapshots[0] if snapshots else None),
    }
    if can(request.user, "freeze_snapshot"):
        first = Snapshot.objects.order_by("as_of").values_list("as_of", flat=True).first()
        context["freeze_form"] = FreezeForm(months=months_not_frozen(today=timezone.localdate()), first_frozen=first)
    return render(request, "reports/snapshots/list.html", context)


def _confirmed(request) -> bool:
    """The second step of a consequential action: the confirmation page's button sends confirm=yes."""
    return request.POST.get("confirm") == "yes"


@require_POST
@require("freeze_snapshot")
def snapshot_freeze_view(request):
    """Two steps: the month end chosen → a page saying what freezing it does → the freeze itself."""
    form = FreezeForm(request.POST)
    meeting = request.POST.get("meeting", "")
    back = redirect("meeting_detail", pk=int(meeting)) if meeting.isdigit() else redirect("snapshot_list")
    if not form.is_valid():
        messages.error(request, "Choose a month end to freeze.")
        return back
    as_of = form.cleaned_data["as_of"]
    try:
        if not _confirmed(request):
            snapshot_freeze_check(as_of=as_of)
            context = {"as_of": as_of, "meeting": meeting if meeting.isdigit() else "", **freeze_preview(as_of)}
            context["cancel_url"] = back.url
            return render(request, "reports/snapshots/confirm_freeze.html", context)
        snapshot = snapshot_freeze(as_of=as_of, user=request.user)
    except SnapshotError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Froze data as at {snapshot.as_of:%-d %B %Y} ({snapshot.observation_count:,} figures)."
        )
    return back


@require_POST
@require("publish_snapshot")
def snapshot_publish_view(request, as_of):
    """Two steps: a page saying what the public will see and that it cannot be undone, then publishing."""
    snapshot = snapshot_get(request.user, as_of)
    if not _confirmed(request) and not snapshot_is_published(snapshot):
        public = measures_visible_to(None).count()
        context = {"target": snapshot, "public_measures": public, "withheld": Measure.objects.count() - public}
        return render(request, "reports/snapshots/confirm_publish.html", context)
    try:
        snapshot_publish(snapshot=snapshot, user=request.user)
    except SnapshotError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Published data as at {snapshot.as_of:%-d %B %Y}.")
    return redirect("snapshot_list")


@require_GET
def snapshot_select(request):
    """The snapshot selector's target: the same page (a URL name taking as_of) for the chosen snapshot."""
    as_of, target = request.GET.get("as_of", ""), request.GET.get("target", "")
    snapshot = snapshot_get(request.user, as_of)
    try:
        return redirect(reverse(target, kwargs={"as_of": snapshot.as_of.isoformat()}))
    except NoReverseMatch:
        raise Http404("No such page") from None


@require_GET
def snapshot_compare_view(request):
    """Changes between two snapshots this user may see (default: the latest two)."""
    visible = list(snapshots_visible_to(request.user)[:2])
    newer = (
        snapshot_get(request.user, request.GET["to"]) if request.GET.get("to") else (visible[0] if visible else None)
    )
    older = (
        snapshot_get(request.user, request.GET["from"])
        if request.GET.get("from")
        else (visible[1] if len(visible) > 1 else None)
    )
    if newer is None or older is None:
        raise Http404("Two snapshots are needed for a comparison")
    if older.as_of > newer.as_of:
        older, newer = newer, older
    codes = dict(measures_visible_to(request.user).values_list("code", "title"))
    changes = snapshot_compare(older=older, newer=newer)
    for key in ("periods_added", "revised", "removed", "status_changed"):
        changes[key] = [
            dict(row, title=codes[row["measure_code"]]) for row in changes[key] if row["measure_code"] in codes
        ]
    revised_areas = {r["area_code"] for r in changes["revised"]}
    names = dict(Area.objects.filter(code__in=revised_areas).values_list("code", "name")) if revised_areas else {}
    for row in changes["revised"]:
        row["area_name"] = names.get(row["area_code"], "Unknown area")
    context = {"older": older, "newer": newer, "changes": changes, **snapshot_context(request.user, newer)}
    return render(request, "reports/snapshots/compare.html", context)


def _commentary(request, as_of, *, measure=None, theme=None):
    snapshot = snapshot_get(request.user, as_of)
    existing = commentary_for(snapshot, measure_code=measure and measure.code, theme_number=theme and theme.number)
    form = CommentaryForm(request.POST or None, initial={"text": existing.text if existing else ""})
    if request.method == "POST" and form.is_valid():
        commentary_save(
            snapshot=snapshot, text=form.cleaned_data["text"], user=request.user, measure=measure, theme=theme
        )
        messages.success(request, "Context saved.")
        return redirect(request.path)
    subject = measure.title if measure else f"Theme {theme.number}: {theme.title}"
    day = snapshot.as_of.isoformat()
    back = reverse("measure_detail", args=[day, measure.code]) if measure else reverse("theme_detail", args=[day, theme.number])
    context = {
        "form": form,
        "subject": subject,
        "existing": existing,
        "back_url": back,
        **snapshot_context(request.user, snapshot),
    }
    return render(request, "reports/snapshots/commentary.html", context)


@require_http_methods(["GET", "POST"])
@require("write_commentary")
def commentary_measure(request, as_of, code):
    return _commentary(request, as_of, measure=get_object_or_404(measures_visible_to(request.user), code=code))


@require_http_methods(["GET", "POST"])
@require("write_commentary")
def commentary_theme(request, as_of, number):
    return _commentary(request, as_of, theme=get_object_or_404(Theme, number=number))


@require_http_methods(["GET", "POST"])
@require("view_unpublished")
def annotation_list(request, code):
    measure = get_object_or_404(measures_visible_to(request.user), code=code)
    may_write = can(request.user, "write_commentary")
    form = AnnotationForm(request.POST or None) if may_write else None
    if request.method == "POST":
        if not may_write:
            return render(request, "403.html", status=403)
        if form.is_valid():
            annotation_add(measure=measure, **form.cleaned_data)
            messages.success(request, "Annotation added. It appears on charts from the next freeze.")
            return redirect("annotation_list", code=code)
    context = {"measure": measure, "annotations": list(annotations_for(code)), "form": form, "today": date.today()}
    return render(request, "reports/snapshots/annotations.html", context)


urlpatterns = [
    path("snapshots/", snapshot_list, name="snapshot_list"),
    path("snapshots/freeze/", snapshot_freeze_view, name="snapshot_freeze"),
    path("snapshots/compare/", snapshot_compare_view, name="snapshot_compare"),
    path("snapshots/select/", snapshot_select, name="snapshot_select"),
    path("snapshots/<str:as_of>/publish/", snapshot_publish_view, name="snapshot_publish"),
    path("snapshots/<str:as_of>/commentary/measure/<slug:code>/", commentary_measure, name="commentary_measure"),
    path("snapshots/<str:as_of>/commentary/theme/<int:number>/", commentary_theme, name="commentary_theme"),
    path("measures/<slug:code>/annotations/", annotation_list, name="annotation_list"),
]
