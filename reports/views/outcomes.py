"""PDG crime outcomes: outcomes by type and group, by crime group, counts and shares, with audits."""

from dataclasses import replace

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse

from pcc_dashboard.roles import can, require
from priorities.models import OutcomeScheme
from reports import outcomes_table as ot
from reports.charts.outcomes import fig_outcomes
from reports.selectors import snapshot_context, snapshot_get, snapshot_result
from returns.exports import csv_bytes


def _scheme_label(scheme: str) -> str:
    return OutcomeScheme(scheme).label if scheme in OutcomeScheme.values else scheme.replace("_", " ")


def _view(request, as_of):
    snapshot = snapshot_get(request.user, as_of)
    payload = snapshot_result(snapshot, "outcomes")
    month = request.GET.get("month") or None
    scheme = request.GET.get("scheme") or None
    if not payload:
        return snapshot, None, None, "This snapshot holds no crime outcomes."
    try:
        return snapshot, payload, ot.outcome_view(payload, month=month, scheme=scheme), None
    except ot.OutcomeChoiceError as exc:
        if month is None and scheme is None:
            return snapshot, payload, None, str(exc)
        raise Http404(str(exc)) from None


@require("view_outcomes")
def outcomes(request, as_of):
    snapshot, payload, view, problem = _view(request, as_of)
    context = {
        **snapshot_context(request.user, snapshot),
        "target": "outcomes",
        "problem": problem,
        "may_enter_audit": can(request.user, "enter_outcome_audit"),
    }
    if view is not None:
        group = request.GET.get("crime_group") or (view.crime_groups[0] if view.crime_groups else "")
        if group and group not in view.crime_groups:
            raise Http404("No such crime group")
        window = ot.window_payload(payload, view)
        chart_args = {"outcomes": window, "as_of": snapshot.as_of, "scheme": view.scheme, "crime_group": group}
        chart_list = [fig_outcomes(**chart_args), fig_outcomes(**chart_args, share=True)]
        query = request.GET.urlencode()
        context.update(
            view=view,
            scheme_labels=[(s, _scheme_label(s)) for s in view.schemes],
            crime_group=group,
            type_rows=ot.month_rows(view, group),
            group_rows=ot.group_rows(view, group),
            trend=ot.trend_rows(view, group),
            outcome_groups=ot.outcome_groups(view, group),
            month_label=ot.month_name(view.month),
            month_choices=[(m[:7], ot.month_name(m), m == view.month) for m in view.all_months],
            audits=[{**a, "month_label": ot.month_name(a["month"])} for a in view.audits],
            charts=[replace(c, id=f"{c.id}-view") for c in chart_list if c is not None],
            csv_url=reverse("outcomes_csv", args=[snapshot.as_of.isoformat()]) + (f"?{query}" if query else ""),
        )
    return render(request, "reports/outcomes/outcomes.html", context)


@require("view_outcomes")
def outcomes_csv(request, as_of):
    snapshot, _payload, view, problem = _view(request, as_of)
    if view is None:
        raise Http404(problem)
    preamble = [
        f"Crime outcomes ({_scheme_label(view.scheme)}), {view.months[0][:7]} to {view.month[:7]}",
        f"Snapshot: data as at {snapshot.as_of.isoformat()}, frozen {snapshot.frozen_at.isoformat()}",
        f"Digest: {snapshot.digest}",
        "Share of crimes = outcomes of the type / crimes of the group recorded that month",
    ]
    response = HttpResponse(
        csv_bytes(ot.CSV_HEADER, ot.csv_rows(view), preamble=preamble), content_type="text/csv; charset=utf-8"
    )
    name = f"outcomes-{view.scheme}-{view.month[:7]}-{snapshot.as_of.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require("view_outcomes")
def outcomes_latest(request):
    snapshot = snapshot_get(request.user, "latest")
    return redirect("outcomes", as_of=snapshot.as_of.isoformat())


urlpatterns = [
    path("outcomes/", outcomes_latest, name="outcomes_latest"),
    path("snapshots/<str:as_of>/outcomes/", outcomes, name="outcomes"),
    path("snapshots/<str:as_of>/outcomes.csv", outcomes_csv, name="outcomes_csv"),
]
