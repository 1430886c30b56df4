"""Chart downloads: CSV and XLSX equal the chart's table, name the snapshot, and escape formulas."""

import csv
import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook

from priorities.models import Measure
from reports.charts.measure import measure_charts
from reports.models import SnapshotResult
from reports.tests.factories import snapshot_with_results

AS_OF = "2014-05-31"
NASTY = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tTab"]


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()


@pytest.fixture
def snapshot(plan):
    return snapshot_with_results(as_of=dt.date(2014, 5, 31))


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _chart(snapshot, code, chart_id):
    payload = SnapshotResult.objects.get(snapshot=snapshot, key=f"measure:{code}").payload
    return next(c for c in measure_charts(payload, as_of=snapshot.as_of) if c.id == chart_id)


@pytest.mark.parametrize("chart_id", ["trend", "msg", "csp"])
def test_csv_matches_table_and_names_snapshot(client, snapshot, chart_id):
    response = client.get(reverse("measure_download", args=[AS_OF, "all_crime", chart_id, "csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"all_crime-{chart_id}-2014-05-31.csv" in response["Content-Disposition"]
    rows = _csv_rows(response.content)
    chart = _chart(snapshot, "all_crime", chart_id)
    preamble = [r[0] for r in rows[:5]]
    assert preamble[0] == chart.title
    assert "Data as at 31 May 2014" in preamble[1]
    assert snapshot.digest in preamble[3] and "frozen at" in preamble[2].lower()
    assert rows[5] == chart.table_header
    expected = [["" if v is None else str(v) for v in row] for row in chart.table_rows]
    assert rows[6:] == expected


def test_xlsx_matches_table_and_names_snapshot(client, snapshot):
    response = client.get(reverse("measure_download", args=[AS_OF, "all_crime", "msg", "xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    chart = _chart(snapshot, "all_crime", "msg")
    assert "Data as at 31 May 2014" in values[1][0] and snapshot.digest in values[3][0]
    assert values[5] == chart.table_header
    assert [row[: len(chart.table_header)] for row in values[6:]] == chart.table_rows


def test_survey_and_savings_downloads(client, snapshot):
    assert (
        client.get(reverse("measure_download", args=[AS_OF, "victim_satisfaction", "survey", "csv"])).status_code == 200
    )
    assert (
        client.get(reverse("measure_download", args=[AS_OF, "revenue_savings", "savings", "xlsx"])).status_code == 200
    )
    assert client.get(reverse("measure_download", args=[AS_OF, "all_crime", "nothing", "csv"])).status_code == 404
    assert client.get(f"/snapshots/{AS_OF}/measures/all_crime/trend.exe").status_code == 404


def test_cells_starting_with_formula_characters_are_escaped(client, plan):
    def poison(payload):
        for area, name in zip(payload["csp"], NASTY):
            area["name"] = name

    snapshot_with_results(
        as_of=dt.date(2014, 5, 31), measures=Measure.objects.filter(code="all_crime"), payload_hook=poison
    )
    rows = _csv_rows(client.get(reverse("measure_download", args=[AS_OF, "all_crime", "csp", "csv"])).content)
    names = {r[0] for r in rows[6:]}
    assert names == {"'" + n for n in NASTY}
    response = client.get(reverse("measure_download", args=[AS_OF, "all_crime", "csp", "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = {row[0] for row in list(sheet.iter_rows(values_only=True))[6:]}
    assert cells == {"'" + n for n in NASTY}


def test_restricted_measure_download_is_404_for_public_but_not_for_coordinator(client, client_for, snapshot):
    url = reverse("measure_download", args=[AS_OF, "marac_referrals", "trend", "csv"])
    assert client.get(url).status_code == 404
    assert client_for("coordinator").get(url).status_code == 200


def test_unpublished_snapshot_download_is_404_for_public(client, plan):
    snapshot_with_results(as_of=dt.date(2014, 5, 31), published=False)
    assert client.get(reverse("measure_download", args=[AS_OF, "all_crime", "trend", "csv"])).status_code == 404
