"""Returns pages: upload, validation report, preview and decision, history, tracker, audit log."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pcc_dashboard import vocabulary
from pcc_dashboard.roles import can, require
from priorities.models import Area, Measure
from reports.analysis.status import format_value
from returns import preview, selectors, services
from returns.exports import template_csv, template_xlsx
from returns.forms import OutcomeAuditForm, RejectForm, UploadForm
from returns.models import Return, ReturnStatus, Submitter
from returns.periods import due_date, period_label
from returns.problems import human_size, problems_csv

PROBLEMS_SHOWN = 1000


def _submitter_for(request, code: str, action: str = "upload_return") -> Submitter:
    submitter = get_object_or_404(Submitter, code=code)
    if not can(request.user, action, submitter):
        raise PermissionDenied
    return submitter


def _period(start: str, end: str) -> tuple[date, date]:
    try:
        dates = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as exc:
        raise Http404("not a date") from exc
    if selectors.period_kind(*dates) is None:
        raise Http404("not a month or financial quarter")
    return dates


def _return_for(request, pk: int, action: str = "view_return") -> Return:
    try:
        ret = selectors.return_get(pk)
    except Return.DoesNotExist as exc:
        raise Http404 from exc
    if not can(request.user, action, ret):
        raise PermissionDenied
    return ret


@require_GET
@require("upload_return")
def return_list(request):
    status = request.GET.get("status", "")
    returns = selectors.returns_for_user(request.user)
    if status in ReturnStatus.values:
        returns = returns.filter(status=status)
    context = {
        "returns": returns[:200],
        "periods": selectors.upload_periods_for(request.user),
        "as_at": selectors.working_date(),
        "statuses": ReturnStatus.choices,
        "selected_status": status,
        "may_enter_audit": can(request.user, "enter_outcome_audit"),
    }
    return render(request, "returns/list.html", context)


@require_GET
@require("upload_return")
def return_template(request, submitter_code: str, start: str, end: str, fmt: str):
    submitter = _submitter_for(request, submitter_code)
    period_start, period_end = _period(start, end)
    rows = selectors.expected_rows(submitter, period_start, period_end)
    name = f"return-template-{submitter.code}-{period_start}-{period_end}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(template_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        body = template_xlsx(rows, narrative_priorities=selectors.narrative_priorities(submitter))
        response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
@require("upload_return")
def return_upload(request):
    initial = {"submitter": request.GET.get("submitter"), "period": request.GET.get("period")}
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    outcome = None
    if request.method == "POST" and form.is_valid():
        submitter = form.cleaned_data["submitter"]
        if not can(request.user, "upload_return", submitter):
            raise PermissionDenied
        start, end = form.cleaned_data["period"]
        upload = form.cleaned_data["file"]
        try:
            outcome = services.return_upload(
                submitter=submitter, start=start, end=end, raw=upload.read(), file_name=upload.name, user=request.user
            )
        except services.ReturnConflict as exc:
            form.add_error(None, f"The return could not be stored: {exc}.")
        else:
            if outcome.identical_to is not None:
                form.add_error("file", outcome.identical_message)
            elif outcome.ret is not None:
                warned = f" with {len(outcome.warnings)} warnings" if outcome.warnings else ""
                messages.success(request, f"Version {outcome.ret.version} uploaded{warned}. Check the changes below.")
                return redirect("return_detail", pk=outcome.ret.pk)
    context = {
        "form": form,
        "outcome": outcome,
        "problems_shown": PROBLEMS_SHOWN,
        "max_size": human_size(settings.RETURN_MAX_BYTES),
        "template_for": _template_for(form),
    }
    if outcome is not None:
        context["errors_shown"] = outcome.problems[:PROBLEMS_SHOWN]
    return render(request, "returns/upload.html", context, status=200)


def _template_for(form: UploadForm) -> dict | None:
    """The template links' submitter, period (dates and words) for the upload page, or None."""
    choice = form.template_choice()
    if choice is None:
        return None
    submitter, start, end = choice
    return {"submitter": submitter, "start": start, "end": end, "label": period_label(start, end)}


@require_GET
@require("upload_return")
def failed_report(request, pk: int):
    event = selectors.failed_upload_get(pk=pk, user=request.user)
    if event is None:
        raise Http404
    response = HttpResponse(problems_csv(services.problems_from_event(event)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="validation-report-{event.pk}.csv"'
    return response


@require_GET
@require("view_return")
def return_detail(request, pk: int):
    return _detail(request, _return_for(request, pk), RejectForm())


def _named(diff):
    """The preview in people's words (2 queries): each row's measure title and area name beside its
    codes, and each figure as the product shows it (`before_text`, `after_text`; "–" when absent):
    the value in the measure's unit, the other figures as counts (reports.analysis.status.format_value)."""
    measures = Measure.objects.filter(code__in={r.measure for r in diff.rows}).values_list("code", "title", "unit")
    titles = {code: (title, unit) for code, title, unit in measures}
    names = dict(Area.objects.filter(code__in={r.area for r in diff.rows}).values_list("code", "name"))
    for row in diff.rows:
        row.measure_title, unit = titles.get(row.measure, (row.measure, "count"))
        row.area_name = names.get(row.area, row.area)
        for change in row.changes:
            figure_unit = unit if change.figure == "value" else "count"
            change.before_text, change.after_text = (
                "–" if v is None else format_value(v, figure_unit) for v in (change.before, change.after)
            )
    return diff


def _detail(request, ret, reject_form: RejectForm, status: int = 200):
    context = {
        "ret": ret,
        "diff": _named(preview.return_diff(ret)),
        "narratives": selectors.return_narratives(ret),
        "due": due_date(ret.period.end, settings.RETURN_DUE_WORKING_DAYS),
        "can_decide": can(request.user, "decide_return") and ret.status == "submitted",
        "can_download": can(request.user, "decide_return"),
        "reject_form": reject_form,
    }
    return render(request, "returns/detail.html", context, status=status)


def _decision_done(request, ret, decide, *, verb: str, success: str):
    """Run `decide()` (a decision service on `ret`), say how it went, and go back to the return's page.

    A services.ReturnConflict (the return moved on meanwhile: decided by someone else, or a newer
    version) becomes the error message "Not <verb>: <reason>."; otherwise `success` is shown.
    """
    try:
        decide()
    except services.ReturnConflict as exc:
        messages.error(request, f"Not {verb}: {exc}.")
    else:
        messages.success(request, success)
    return redirect("return_detail", pk=ret.pk)


@require_POST
@require("decide_return")
def return_accept(request, pk: int):
    ret = _return_for(request, pk, "decide_return")
    return _decision_done(
        request,
        ret,
        lambda: services.return_accept(ret=ret, user=request.user),
        verb="accepted",
        success=f"Version {ret.version} accepted. It is now the current return.",
    )


@require_POST
@require("decide_return")
def return_reject(request, pk: int):
    ret = _return_for(request, pk, "decide_return")
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _detail(request, ret, form, status=400)
    reason = form.cleaned_data["reason"]
    return _decision_done(
        request,
        ret,
        lambda: services.return_reject(ret=ret, user=request.user, reason=reason),
        verb="rejected",
        success=f"Version {ret.version} rejected.",
    )


@require_GET
@require("decide_return")
def return_original(request, pk: int):
    ret = _return_for(request, pk, "decide_return")
    path = services.return_file_path(ret)
    if path is None:
        raise Http404("the original file is not held")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=services.return_download_name(ret),
        content_type="application/octet-stream",
    )


@require_GET
@require("view_return")
def return_history(request, submitter_code: str, start: str, end: str):
    submitter = _submitter_for(request, submitter_code, "view_return")
    period_start, period_end = _period(start, end)
    context = {
        "submitter": submitter,
        "period_start": period_start,
        "period_end": period_end,
        "period_label": period_label(period_start, period_end),
        "versions": selectors.return_history(submitter=submitter, start=period_start, end=period_end),
        "can_upload": can(request.user, "upload_return", submitter),
        "period_key": selectors.period_key(period_start, period_end),
    }
    return render(request, "returns/history.html", context)


@require_GET
@require("view_tracker")
def return_tracker(request):
    as_at_text = request.GET.get("as_at", "").strip()
    as_at, as_at_error = None, ""
    if as_at_text:
        try:
            as_at = date.fromisoformat(as_at_text)
        except ValueError:
            as_at_error = "Enter the date as year-month-day, for example 2015-07-20"
    state = request.GET.get("state", "")
    data = selectors.tracker(
        as_at=as_at,
        submitter_code=request.GET.get("submitter", ""),
        period=request.GET.get("period", ""),
        state=state if state in selectors.TRACKER_FILTERS else "",
    )
    data["submitter_choices"] = [(s.code, s.name) for s in data["submitters"]]
    data["selected_submitter"] = request.GET.get("submitter", "")
    data["selected_period"] = request.GET.get("period", "")
    data["selected_state"] = state
    data["as_at_text"] = as_at_text if as_at_error else data["as_at"].isoformat()
    data["as_at_error"] = as_at_error
    data["due_days"] = settings.RETURN_DUE_WORKING_DAYS
    return render(request, "returns/tracker.html", data)


@require_GET
@require("view_audit_log")
def audit_log(request):
    action = request.GET.get("action", "")
    context = {
        "page": selectors.audit_events(action=action, page=request.GET.get("page", 1)),
        "actions": vocabulary.AUDIT_EVENTS.items(),
        "selected_action": action,
    }
    return render(request, "returns/audit_log.html", context)


@require_http_methods(["GET", "POST"])
@require("enter_outcome_audit")
def outcome_audit_list(request):
    form = OutcomeAuditForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.outcome_audit_create(user=request.user, **form.cleaned_data)
        except services.OutcomeAuditError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Outcome audit findings saved.")
            return redirect("outcome_audit_list")
    return render(request, "returns/outcome_audits.html", {"form": form, "audits": selectors.outcome_audits()})
