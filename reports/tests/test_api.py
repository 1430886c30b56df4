"""Read-only API v1: snapshots, measures, series, MSG and outcomes; anonymous vs signed in."""

import csv
import io
from collections import defaultdict
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pcc_dashboard.roles import COORDINATOR, PANEL, PDG
from priorities.selectors import restricted_measure_codes
from reports.tests.factories import snapshot_make

AS_OF = "2014-05-31"


@pytest.fixture
def published(plan):
    return snapshot_make(as_of=date(2014, 5, 31), published=True)


@pytest.fixture
def unpublished(plan):
    return snapshot_make(as_of=date(2014, 6, 30), published=False)


def test_snapshots_anonymous_sees_published_only(client, published, unpublished):
    response = client.get("/api/v1/snapshots")
    assert response.status_code == 200
    assert [s["as_of"] for s in response.json()] == [AS_OF]
    assert response.json()[0]["digest"] == published.digest
    assert response.json()[0]["published"] is True


def test_snapshots_signed_in_sees_unpublished(client_for, published, unpublished):
    client = client_for(PANEL)
    body = client.get("/api/v1/snapshots").json()
    assert [(s["as_of"], s["published"]) for s in body] == [("2014-06-30", False), (AS_OF, True)]


def test_measures_anonymous_omit_restricted(client, published):
    restricted = restricted_measure_codes()
    assert "marac_referrals" in restricted
    body = client.get(f"/api/v1/snapshots/{AS_OF}/measures").json()
    codes = {m["code"] for m in body["measures"]}
    assert "all_crime" in codes
    assert not codes & restricted
    assert body["snapshot"] == {
        "as_of": AS_OF,
        "frozen_at": published.frozen_at.isoformat(),
        "digest": published.digest,
    }
    all_crime = next(m for m in body["measures"] if m["code"] == "all_crime")
    assert set(all_crime) == {
        *("code", "title", "unit", "direction", "under_reported", "priorities"),
        *("unit_label", "direction_label"),
    }
    # Machine codes stay in the code fields; the label fields say the same in people's words.
    assert (all_crime["unit"], all_crime["unit_label"]) == ("count", "Number")
    assert (all_crime["direction"], all_crime["direction_label"]) == ("down", "Lower is better")
    assert 10 in all_crime["priorities"]


def test_measures_latest_resolves_to_newest_visible(client, client_for, published, unpublished):
    assert client.get("/api/v1/snapshots/latest/measures").json()["snapshot"]["as_of"] == AS_OF
    panel = client_for(PANEL)
    assert panel.get("/api/v1/snapshots/latest/measures").json()["snapshot"]["as_of"] == "2014-06-30"


def test_measures_coordinator_sees_restricted(client_for, published):
    body = client_for(COORDINATOR).get(f"/api/v1/snapshots/{AS_OF}/measures").json()
    assert "marac_referrals" in {m["code"] for m in body["measures"]}


def test_series_default_area_is_focus_force(client, published):
    response = client.get(f"/api/v1/snapshots/{AS_OF}/measures/all_crime/series")
    assert response.status_code == 200
    body = response.json()
    assert body["area"] == "E23000021"
    assert body["measure"]["code"] == "all_crime"
    assert body["snapshot"]["digest"] == published.digest
    assert len(body["points"]) == 24
    assert set(body["points"][0]) == {
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
    }
    # Every key the API answers is documented in the schema, provisional and the gap included.
    schema = client.get("/api/v1/schema").json()
    series = schema["paths"]["/snapshots/{as_of}/measures/{code}/series"]["get"]["responses"]["200"]
    properties = series["content"]["application/json"]["schema"]["properties"]
    assert set(properties["points"]["items"]["properties"]) == set(body["points"][0])
    assert "null: the period was never returned" in properties["points"]["items"]["properties"]["value"]["description"]
    assert set(properties) >= set(body)
    assert set(properties["limits"]["items"]["properties"]) == set(body["limits"][0])
    assert all(isinstance(p["provisional"], bool) for p in body["points"])


def test_series_point_has_labels_beside_its_codes():
    from reports.views.api import series_point

    point = series_point(
        {"period_end": "2014-05-31", "value": 7.0, "signal": "concern", "rules": "beyond_limit,two_of_three"}
    )
    assert (point["signal"], point["rules"]) == ("concern", "beyond_limit,two_of_three")
    assert point["signal_label"] == "Special cause: concern"
    assert point["rules_label"] == "a point beyond a process limit; 2 of 3 points beyond the same 2-sigma line"
    assert series_point({"period_end": "2014-05-31", "signal": None, "rules": ""})["signal_label"] is None


def test_series_restricted_is_404_for_anonymous_and_200_for_entitled(client, client_for, published):
    url = f"/api/v1/snapshots/{AS_OF}/measures/marac_referrals/series"
    anonymous = client.get(url)
    assert anonymous.status_code == 404
    assert anonymous.json() == {"error": "No such measure"}
    unknown = client.get(f"/api/v1/snapshots/{AS_OF}/measures/no_such_measure/series")
    assert unknown.json() == anonymous.json()  # existence is not revealed
    assert client_for(PANEL).get(url).status_code == 404
    assert client_for(PDG).get(url).status_code == 200


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/snapshots/2014-05-30/measures", 400),
        ("/api/v1/snapshots/not-a-date/measures", 400),
        ("/api/v1/snapshots/2014-02-31/measures", 400),
        ("/api/v1/snapshots/2013-05-31/measures", 404),
        ("/api/v1/snapshots/2014-06-30/measures", 404),  # unpublished: not for the public
        (f"/api/v1/snapshots/{AS_OF}/measures?format=xml", 400),
        (f"/api/v1/snapshots/{AS_OF}/measures/all_crime/series?area=nowhere", 400),
        (f"/api/v1/snapshots/{AS_OF}/measures/all_crime/series?area=E23000001", 404),
        (f"/api/v1/snapshots/{AS_OF}/measures/all_crime/msg?months=0", 400),
        (f"/api/v1/snapshots/{AS_OF}/measures/all_crime/msg?months=x", 400),
        (f"/api/v1/snapshots/{AS_OF}/measures/all_crime/msg?period_end=2014-05-30", 400),
        (f"/api/v1/snapshots/{AS_OF}/measures/all_crime/msg?period_end=2014-08-31", 400),
        (f"/api/v1/snapshots/{AS_OF}/measures/domestic_abuse/msg", 404),
        (f"/api/v1/snapshots/{AS_OF}/outcomes?month=May", 400),
        (f"/api/v1/snapshots/{AS_OF}/outcomes?month=2010-01", 404),
        (f"/api/v1/snapshots/{AS_OF}/outcomes?scheme=police_uk", 400),
    ],
)
def test_errors_are_json_with_status(client, published, unpublished, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"error"}


def test_only_get_and_head_allowed(client, published):
    url = f"/api/v1/snapshots/{AS_OF}/measures"
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405
    assert client.delete(url).status_code == 405


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
@pytest.mark.parametrize("url", ["/api/v1/snapshots", f"/api/v1/snapshots/{AS_OF}/measures", "/api/v1/schema"])
def test_other_methods_get_a_json_405_not_a_csrf_page(published, method, url):
    """With CSRF checks on (as in a browser), a POST gets the API's own answer."""
    response = getattr(Client(enforce_csrf_checks=True), method)(url)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "GET, HEAD"
    assert response.json() == {"error": "Only GET and HEAD are allowed: the API is read-only"}


def test_msg_precomputed_payload(client, published):
    body = client.get(f"/api/v1/snapshots/{AS_OF}/measures/all_crime/msg?period_end={AS_OF}&months=12").json()
    assert body["group"] == "Leicestershire MSG"
    assert len(body["members"]) == 8
    assert body["period_start"] == "2013-06-01"
    assert body["mean_of_rates"] == 54.5
    assert set(body["members"][0]) == {
        "area_code",
        "name",
        "count",
        "population",
        "population_mid_year",
        "rate_per_1000",
        "rank",
        "position",
        "position_label",
    }


def test_csv_names_snapshot_in_preamble(client, published):
    response = client.get(f"/api/v1/snapshots/{AS_OF}/measures/all_crime/series?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == f"# Snapshot: data as at {AS_OF}"
    assert lines[2] == f"# Digest: {published.digest}"
    assert lines[3].startswith("period_start,period_end,value")
    assert len(lines) == 3 + 1 + 24


def test_outcomes_counts_for_month(client, published):
    body = client.get(f"/api/v1/snapshots/{AS_OF}/outcomes?month=2014-05").json()
    assert body["month"] == "2014-05"
    assert body["scheme"] == "home_office"
    assert {c["crime_group"] for c in body["counts"]} == {"Burglary", "Violence against the person"}
    burglary = [c["outcome_code"] for c in body["counts"] if c["crime_group"] == "Burglary"]
    assert burglary == ["1", "8", "14", "18"]  # the outcome's own code order, not a ranking
    assert body["snapshot"]["as_of"] == AS_OF


def test_outcomes_unpublished_needs_outcome_role(client_for, unpublished):
    url = "/api/v1/snapshots/2014-06-30/outcomes"
    response = client_for(PANEL).get(url)
    assert response.status_code == 403
    assert response.json() == {"error": "Not permitted"}
    assert client_for(PDG).get(url).status_code == 200


def test_schema_is_openapi(client):
    response = client.get("/api/v1/schema")
    assert response.status_code == 200
    body = response.json()
    assert body["openapi"].startswith("3.")
    assert "/snapshots/{as_of}/measures/{code}/msg" in body["paths"]


def test_api_query_count_bounded(client, client_for, published):
    urls = [
        "/api/v1/snapshots",
        f"/api/v1/snapshots/{AS_OF}/measures",
        f"/api/v1/snapshots/{AS_OF}/measures/all_crime/series",
        f"/api/v1/snapshots/{AS_OF}/measures/all_crime/msg",
        f"/api/v1/snapshots/{AS_OF}/outcomes",
    ]
    for caller in (client, client_for(COORDINATOR)):
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert caller.get(url).status_code == 200
            assert len(queries) <= 10, (url, [q["sql"] for q in queries])


# --- the real data: Home Office recorded crime 2017/18 → freeze → MSG comparison --------------


def _home_office_import(path):
    call_command("import_home_office_prc", str(path))


def _expected_all_crime(path) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Offence Group"].strip() != "Fraud offences":  # total recorded crime excluding fraud
                totals[row["Force Name"].strip()] += int(row["Number of Offences"].strip())
    return totals


def test_msg_from_home_office_file_matches_file_sums(client, plan, shared_data, tmp_path):
    services = pytest.importorskip("reports.services")
    if not hasattr(services, "snapshot_freeze"):
        pytest.skip("snapshot_freeze not yet in this tree")
    source = shared_data / "home-office-prc-pfa" / "prc-pfa-2017-18.csv"
    reference = shared_data.parent / "reference" / "police_force_area_populations.csv"
    with reference.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["mid_year"] == "2016"]
    populations = tmp_path / "populations-2016.csv"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["area_code", "mid_year", "population"])
    writer.writeheader()
    writer.writerows(rows)
    populations.write_text(out.getvalue())

    _home_office_import(source)
    call_command("import_populations", str(populations))
    services.snapshot_freeze(as_of=date(2018, 3, 31))

    from reports.models import Snapshot, SnapshotPublication

    snapshot = Snapshot.objects.get(as_of=date(2018, 3, 31))
    SnapshotPublication.objects.get_or_create(snapshot=snapshot, defaults={"published_at": snapshot.frozen_at})

    response = client.get("/api/v1/snapshots/2018-03-31/measures/all_crime/msg?period_end=2018-03-31&months=12")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period_start"] == "2017-04-01"
    expected = _expected_all_crime(source)
    population = {r["area_code"]: int(r["population"]) for r in rows}
    members = body["members"]
    assert len(members) == 8
    for member in members:
        count = expected[member["name"]]
        assert member["count"] == count
        assert member["population"] == population[member["area_code"]]
        assert member["population_mid_year"] == 2016
        assert member["rate_per_1000"] == round(count / population[member["area_code"]] * 1000, 2)
