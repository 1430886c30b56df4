"""Read-only API v1: frozen snapshot payloads as JSON, or CSV with ?format=csv.

Anonymous callers see published snapshots and non-restricted measures only; signed-in callers
see what their role may see. A measure the caller may not see answers 404, exactly as a measure
that does not exist, so its existence is not revealed.
"""

import re
from datetime import date
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from pcc_dashboard import vocabulary
from pcc_dashboard.middleware import api_method_not_allowed
from pcc_dashboard.roles import can
from priorities.office import focus_force_code
from priorities.selectors import measures_visible_to
from reports.api_schema import api_schema_dict
from reports.api_selectors import MEMBER_KEYS as API_MEMBER_KEYS
from reports.api_selectors import msg_from_observations
from reports.models import Snapshot
from reports.selectors import snapshot_is_published, snapshot_result, snapshots_visible_to
from returns.exports import csv_bytes
from returns.periods import is_month_end

CODE_RE = re.compile(r"^[a-z0-9_-]{1,60}$")
GSS_RE = re.compile(r"^[EWSN][0-9]{8}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH_RE = re.compile(r"^\d{4}-\d{2}$")
MAX_MONTHS = 36


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def api_view(view):
    """GET and HEAD only; every failure becomes JSON {"error": message} with its status.

    CSRF-exempt because it never changes anything: any other method answers a JSON 405, where the
    CSRF check would have sent an HTML page first.
    """

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return api_method_not_allowed()
        try:
            fmt = request.GET.get("format", "json")
            if fmt not in ("json", "csv"):
                raise ApiError(400, "format must be json or csv")
            return view(request, *args, **kwargs)
        except ApiError as exc:
            return JsonResponse({"error": exc.message}, status=exc.status)
        except Http404 as exc:
            return JsonResponse({"error": str(exc) or "Not found"}, status=404)
        except PermissionDenied:
            return JsonResponse({"error": "Not permitted"}, status=403)

    return wrapped


def month_end_param(name: str, text: str, *, also: str = "", snapshot_day: date | None = None) -> date:
    """`text`, the value of the parameter `name`, as a month-end date; ApiError 400 naming `name` otherwise.

    `also` adds another accepted spelling to the format message (" or 'latest'"). With `snapshot_day`
    the month end must be on or before it: a window cannot end after the data was frozen.
    """
    if not DATE_RE.match(text):
        raise ApiError(400, f"{name} must be a month-end date YYYY-MM-DD{also}")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"{name} is not a valid date") from None
    if not is_month_end(day) or (snapshot_day is not None and day > snapshot_day):
        bound = "" if snapshot_day is None else " on or before the snapshot date"
        raise ApiError(400, f"{name} must be a month end{bound}")
    return day


def api_snapshot(request, as_of: str) -> Snapshot:
    snapshots = snapshots_visible_to(request.user)
    if as_of == "latest":
        snapshot = snapshots.first()
    else:
        snapshot = snapshots.filter(as_of=month_end_param("as_of", as_of, also=" or 'latest'")).first()
    if snapshot is None:
        raise ApiError(404, "No such snapshot")
    return snapshot


def snapshot_block(snapshot: Snapshot) -> dict:
    return {
        "as_of": snapshot.as_of.isoformat(),
        "frozen_at": snapshot.frozen_at.isoformat(),
        "digest": snapshot.digest,
    }


def _visible_codes(user) -> set[str]:
    return set(measures_visible_to(user).values_list("code", flat=True))


def _measure_payload(request, snapshot: Snapshot, code: str) -> dict:
    if not CODE_RE.match(code) or code not in _visible_codes(request.user):
        raise ApiError(404, "No such measure")
    payload = snapshot_result(snapshot, f"measure:{code}")
    if payload is None:
        raise ApiError(404, "No such measure in this snapshot")
    return payload


def api_answer(request, body, *, header: list[str], rows: list[list], snapshot, name: str):
    """JSON by default; CSV with ?format=csv, the snapshot named in its preamble lines."""
    if request.GET.get("format") != "csv":
        return JsonResponse(body, safe=False, json_dumps_params={"ensure_ascii": False})
    preamble = []
    if snapshot is not None:
        preamble = [
            f"# Snapshot: data as at {snapshot.as_of.isoformat()}",
            f"# Frozen at: {snapshot.frozen_at.isoformat()}",
            f"# Digest: {snapshot.digest}",
        ]
    response = HttpResponse(csv_bytes(header, rows, preamble=preamble), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@api_view
def snapshots(request):
    items = [
        {
            **snapshot_block(s),
            "published": snapshot_is_published(s),
        }
        for s in snapshots_visible_to(request.user)
    ]
    header = ["as_of", "frozen_at", "digest", "published"]
    rows = [[item[k] for k in header] for item in items]
    return api_answer(request, items, header=header, rows=rows, snapshot=None, name="snapshots")


@api_view
def measures(request, as_of):
    snapshot = api_snapshot(request, as_of)
    visible = _visible_codes(request.user)
    overview = snapshot_result(snapshot, "overview") or {"measures": []}
    items = [
        {
            **api_measure_block(m),
            "under_reported": m["under_reported"],
            "priorities": list(m.get("priorities") or []),
        }
        for m in overview["measures"]
        if m["code"] in visible
    ]
    header = [*MEASURE_KEYS, "under_reported", "priorities"]
    rows = [[*(i[k] for k in header[:-1]), " ".join(str(n) for n in i["priorities"])] for i in items]
    body = {"snapshot": snapshot_block(snapshot), "measures": items}
    name = f"measures-{snapshot.as_of.isoformat()}"
    return api_answer(request, body, header=header, rows=rows, snapshot=snapshot, name=name)


POINT_KEYS = [
    "period_start",
    "period_end",
    "value",
    "period_value",
    "numerator",
    "denominator",
    "respondents",
    "mean",
    "upper_limit",
    "lower_limit",
    "signal",
    "signal_label",
    "rules",
    "rules_label",
    "provisional",
]
# Machine codes stay in their fields; each *_label field holds the same thing in people's words.
MEASURE_KEYS = ["code", "title", "unit", "unit_label", "direction", "direction_label"]


def api_measure_block(m: dict) -> dict:
    """A measure's header (code, title, unit, direction) with the unit and direction in words."""
    return {
        "code": m["code"],
        "title": m["title"],
        "unit": m["unit"],
        "unit_label": vocabulary.label("unit", m["unit"]),
        "direction": m["direction"],
        "direction_label": vocabulary.label("direction", m["direction"]),
    }


def series_point(p: dict) -> dict:
    """One frozen series point as the API serves it: the stored keys plus its variation and rules in words."""
    labels = {
        "signal_label": vocabulary.label("variation", p.get("signal")) or None,
        "rules_label": vocabulary.rules_label(p.get("rules")) or None,
        "rules": p.get("rules") or None,
    }
    return {k: labels[k] if k in labels else p.get(k) for k in POINT_KEYS}


@api_view
def series(request, as_of, code):
    snapshot = api_snapshot(request, as_of)
    payload = _measure_payload(request, snapshot, code)
    area = request.GET.get("area") or (payload.get("focus_area") or {}).get("code") or focus_force_code() or ""
    if not GSS_RE.match(area):
        raise ApiError(400, "area must be a GSS code such as E23000021")
    result = snapshot_result(snapshot, f"series:{code}:{area}")
    if result is None:
        raise ApiError(404, "No series for this measure and area")
    points = [series_point(p) for p in result.get("points", [])]
    body = {
        "snapshot": snapshot_block(snapshot),
        "measure": api_measure_block(payload["measure"]),
        "area": area,
        "granularity": result.get("granularity"),
        "points": points,
        "limits": result.get("limits") or [],
    }
    rows = [[p[k] for k in POINT_KEYS] for p in points]
    name = f"{code}-{area}-{snapshot.as_of.isoformat()}"
    return api_answer(request, body, header=POINT_KEYS, rows=rows, snapshot=snapshot, name=name)


# What the API gives for each group member: the computed comparison's keys and the position's words.
MEMBER_KEYS = [*API_MEMBER_KEYS, "position_label"]


def window_params(request, snapshot: Snapshot, *, default_end: str | None) -> tuple[date | None, int]:
    """?period_end= (a month end on or before the snapshot; default `default_end`, ISO or None) and ?months=."""
    months_text = request.GET.get("months", str(settings.MSG_WINDOW_MONTHS))
    if not months_text.isdigit() or not 1 <= int(months_text) <= MAX_MONTHS:
        raise ApiError(400, f"months must be a whole number from 1 to {MAX_MONTHS}")
    end_text = request.GET.get("period_end", default_end)
    if end_text is None:
        return None, int(months_text)
    return month_end_param("period_end", end_text, snapshot_day=snapshot.as_of), int(months_text)


def _msg_params(request, payload: dict, snapshot: Snapshot) -> tuple[date, int]:
    default_end = (payload.get("msg") or {}).get("period_end") or snapshot.as_of.isoformat()
    return window_params(request, snapshot, default_end=default_end)


def api_measure_row(request, code: str) -> dict:
    """The visible measure's header from the Measure table (one query; by today's flags), else 404."""
    fields = ("code", "title", "unit", "direction", "msg_comparable")
    row = measures_visible_to(request.user).filter(code=code).values(*fields).first() if CODE_RE.match(code) else None
    if row is None:
        raise ApiError(404, "No such measure")
    return row


@api_view
def msg(request, as_of, code):
    # Read the small stored msg: result first; the whole measure: payload (its full trend) is
    # loaded only when the request needs it (no period_end given, or no stored comparison).
    snapshot = api_snapshot(request, as_of)
    header = api_measure_row(request, code)
    payload = None

    def measure_payload() -> dict:
        nonlocal payload
        if payload is None:
            payload = snapshot_result(snapshot, f"measure:{code}")
            if payload is None:
                raise ApiError(404, "No such measure in this snapshot")
        return payload

    period_end, months = _msg_params(request, {} if "period_end" in request.GET else measure_payload(), snapshot)
    if not header["msg_comparable"]:
        raise ApiError(404, "This measure has no Most Similar Group comparison")
    block = snapshot_result(snapshot, f"msg:{code}:{period_end.isoformat()}:{months}")
    if block is None:
        stored = measure_payload().get("msg") or {}
        if (stored.get("period_end"), stored.get("months")) == (period_end.isoformat(), months):
            block = stored
    if block is None:
        block = msg_from_observations(
            snapshot=snapshot,
            measure_code=code,
            direction=header["direction"],
            period_end=period_end,
            months=months,
        )
    if block is None:
        raise ApiError(404, "No complete Most Similar Group data for this period")
    summary = block.get("summary") or {}
    # Rates are served as stored: the freeze rounded them once, from the exact rate.
    members = [
        {
            **{k: m.get(k) for k in MEMBER_KEYS},
            "position_label": vocabulary.label("msg_position", m.get("position")) or None,
        }
        for m in block.get("members", [])
    ]
    body = {
        "snapshot": snapshot_block(snapshot),
        "measure": api_measure_block(header),
        "period_start": block.get("period_start"),
        "period_end": block.get("period_end"),
        "months": months,
        "group": block.get("group"),
        "average_used": summary.get("average_used"),
        "mean_of_rates": summary.get("mean_of_rates"),
        "pooled_rate": summary.get("pooled_rate"),
        "band_low": summary.get("band_low"),
        "band_high": summary.get("band_high"),
        "members": members,
    }
    rows = [[m[k] for k in MEMBER_KEYS] for m in members]
    name = f"{code}-msg-{period_end.isoformat()}-{months}m"
    return api_answer(request, body, header=MEMBER_KEYS, rows=rows, snapshot=snapshot, name=name)


@api_view
def outcomes(request, as_of):
    """Outcome counts are public once a snapshot is published (police.uk publishes them too);
    before publication only roles that may view outcomes get them (403 otherwise)."""
    snapshot = api_snapshot(request, as_of)
    if not snapshot_is_published(snapshot) and not can(request.user, "view_outcomes"):
        raise PermissionDenied
    payload = snapshot_result(snapshot, "outcomes")
    if not payload or not payload.get("months"):
        raise ApiError(404, "This snapshot holds no crime outcomes")
    month_text = request.GET.get("month", payload["months"][-1][:7])
    if not MONTH_RE.match(month_text):
        raise ApiError(400, "month must be YYYY-MM")
    month = f"{month_text}-01"
    if month not in payload["months"]:
        raise ApiError(404, "No outcomes for this month in this snapshot")
    schemes = payload.get("schemes") or []
    scheme = request.GET.get("scheme", schemes[0] if schemes else "")
    if scheme not in schemes:
        raise ApiError(400, "scheme must be one of: " + ", ".join(schemes))
    types = {t["code"]: t for t in payload.get("outcome_types", []) if t.get("scheme") == scheme}
    order = {code: t.get("order", 0) for code, t in types.items()}
    counts = [
        {
            "crime_group": c["crime_group"],
            "outcome_code": c["outcome_code"],
            "outcome_name": types.get(c["outcome_code"], {}).get("name"),
            "outcome_group": types.get(c["outcome_code"], {}).get("outcome_group"),
            "count": c["count"],
        }
        for c in payload.get("counts", [])
        if c.get("scheme") == scheme and c.get("month") == month
    ]
    counts.sort(key=lambda c: (c["crime_group"], order.get(c["outcome_code"], 0)))
    totals = [
        {"crime_group": t["crime_group"], "total": t["total"]}
        for t in payload.get("totals", [])
        if t.get("scheme") == scheme and t.get("month") == month
    ]
    body = {
        "snapshot": snapshot_block(snapshot),
        "month": month_text,
        "scheme": scheme,
        "counts": counts,
        "totals": totals,
    }
    header = ["crime_group", "outcome_code", "outcome_name", "outcome_group", "count"]
    rows = [[c[k] for k in header] for c in counts]
    name = f"outcomes-{month_text}-{snapshot.as_of.isoformat()}"
    return api_answer(request, body, header=header, rows=rows, snapshot=snapshot, name=name)


@api_view
def schema(request):
    return JsonResponse(api_schema_dict())


urlpatterns = [
    path("schema", schema, name="api_schema"),
    path("snapshots", snapshots, name="api_snapshots"),
    path("snapshots/<str:as_of>/measures", measures, name="api_measures"),
    path("snapshots/<str:as_of>/measures/<str:code>/series", series, name="api_series"),
    path("snapshots/<str:as_of>/measures/<str:code>/msg", msg, name="api_msg"),
    path("snapshots/<str:as_of>/outcomes", outcomes, name="api_outcomes"),
]
