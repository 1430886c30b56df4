"""CSV and XLSX downloads of a chart's table, each naming the snapshot it comes from."""

from __future__ import annotations

from django.http import HttpResponse

from reports.charts.base import Chart
from returns.exports import csv_bytes, xlsx_bytes

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LICENCE = "Contains public sector information licensed under the Open Government Licence v3.0."


def snapshot_preamble(snapshot, *, title: str) -> list[str]:
    """Lines above the header: what the table is and exactly which frozen snapshot it shows."""
    return [
        title,
        f"Data as at {snapshot.as_of:%-d %B %Y} ({snapshot.as_of.isoformat()})",
        f"Snapshot frozen at {snapshot.frozen_at.isoformat(timespec='seconds')} by {snapshot.frozen_by_name}",
        f"Snapshot digest (SHA-256) {snapshot.digest}",
        LICENCE,
    ]


def chart_file(chart: Chart, *, snapshot, fmt: str) -> bytes:
    """The chart's table as CSV or XLSX bytes; every text cell is formula-escaped by returns.exports."""
    preamble = snapshot_preamble(snapshot, title=chart.title)
    if fmt == "csv":
        return csv_bytes(chart.table_header, chart.table_rows, preamble=preamble)
    return xlsx_bytes([(chart.id, chart.table_header, chart.table_rows)], preamble=preamble)


def download_response(content: bytes, *, filename: str, fmt: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def chart_download(chart: Chart, *, snapshot, fmt: str) -> HttpResponse:
    """The chart's table as an attachment ("csv" or "xlsx"), named after the chart's csv_name."""
    return download_response(chart_file(chart, snapshot=snapshot, fmt=fmt), filename=chart.csv_name, fmt=fmt)
