"""Position among all forces: the analysis by hand, and the API and page on the real 2017/18 Home Office file."""

import csv
import re
from collections import defaultdict
from datetime import date

import pandas as pd
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pcc_dashboard.roles import COORDINATOR
from reports.analysis.forces import forces_position

LEICS = "E23000021"


def test_forces_position_ranks_lowest_first_and_pools_rates():
    frame = pd.DataFrame(
        {
            "area_code": ["A", "B", "C", "D"],
            "name": ["Alpha", "Beta", "Gamma", "Delta"],
            "count": [50.0, 300.0, 100.0, None],
            "population": [1000.0, 2000.0, 1000.0, 5000.0],
            "population_mid_year": [2016, 2016, 2016, 2016],
        }
    )
    ranked, summary = forces_position(frame, focus_area="C", group_codes={"B", "C"}, direction="down")
    # Rates by hand: A 50, B 150, C 100 per 1,000; D has no complete window, so no rate or rank.
    assert ranked["area_code"].tolist() == ["A", "C", "B", "D"]
    assert ranked["rate_per_1000"].tolist()[:3] == [50.0, 100.0, 150.0]
    assert ranked["rank"].tolist()[:3] == [1, 2, 3] and pd.isna(ranked["rank"].iloc[3])
    assert ranked["in_group"].tolist() == [False, True, True, False]
    assert ranked["is_focus"].tolist() == [False, True, False, False]
    # Pooled: (50 + 300 + 100) / 4,000 × 1,000 = 112.5; the group (300 + 100) / 3,000 × 1,000 = 133.33.
    assert summary["all_forces_rate"] == 112.5
    assert summary["group_rate"] == 133.33
    assert (summary["focus_rank"], summary["focus_rate"], summary["focus_vs_all"]) == (2, 100.0, "below")
    assert summary["forces_ranked"] == 3


def test_forces_position_higher_is_better_and_ties_share_a_rank():
    frame = pd.DataFrame(
        {
            "area_code": ["A", "B", "C"],
            "name": ["A", "B", "C"],
            "count": [10, 20, 20],
            "population": [1000, 1000, 1000],
            "population_mid_year": [2016] * 3,
        }  # fmt: skip
    )
    ranked, summary = forces_position(frame, focus_area="C", group_codes=set(), direction="up")
    assert dict(zip(ranked["area_code"], ranked["rank"])) == {"B": 1, "C": 1, "A": 3}
    assert summary["focus_rank_shared"] == 2 and summary["rank_1_is"] == "highest"
    assert summary["group_rate"] is None


def _file_expectations(shared_data) -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    """From the files alone: all crime excluding fraud per territorial force, mid-2016 populations, names."""
    reference = shared_data.parent / "reference"
    with (reference / "police_force_areas.csv").open(encoding="utf-8", newline="") as handle:
        names = {row["name"]: row["area_code"] for row in csv.DictReader(handle)}
    counts: dict[str, int] = defaultdict(int)
    source = shared_data / "home-office-prc-pfa" / "prc-pfa-2017-18.csv"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            force = row["Force Name"].strip()
            # Total recorded crime excluding fraud, territorial forces only (not BTP, not fraud bodies).
            if force in names and row["Offence Group"].strip() != "Fraud offences":
                counts[names[force]] += int(row["Number of Offences"].strip())
    # A window ending March 2018 uses the latest estimate published by then: mid-2016 (ONS publishes a
    # mid-year a year later, so mid-2017 came out in June 2018).
    with (reference / "police_force_area_populations.csv").open(encoding="utf-8", newline="") as handle:
        populations = {r["area_code"]: int(r["population"]) for r in csv.DictReader(handle) if r["mid_year"] == "2016"}
    return counts, populations, {code: name for name, code in names.items()}


@pytest.fixture
def frozen_2018(plan, shared_data):
    from reports.services import snapshot_freeze

    call_command("import_home_office_prc", str(shared_data / "home-office-prc-pfa" / "prc-pfa-2017-18.csv"))
    return snapshot_freeze(as_of=date(2018, 3, 31))


def test_forces_api_on_home_office_file_matches_file_sums_and_ranks(client_for, frozen_2018, shared_data):
    counts, populations, names = _file_expectations(shared_data)
    assert len(counts) == 43
    client = client_for(COORDINATOR)
    response = client.get("/api/v1/snapshots/2018-03-31/measures/all_crime/forces?period_end=2018-03-31&months=12")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["period_start"], body["period_end"]) == ("2017-04-01", "2018-03-31")
    assert body["snapshot"]["digest"] == frozen_2018.digest
    members = {m["area_code"]: m for m in body["members"]}
    assert set(members) == set(counts)
    rates = {code: counts[code] / populations[code] * 1000 for code in counts}
    for code, member in members.items():
        assert member["count"] == counts[code], names[code]
        assert member["population"] == populations[code]
        assert member["population_mid_year"] == 2016
        assert member["rate_per_1000"] == pytest.approx(round(rates[code], 2), abs=0.006)
        # Rank 1 = lowest rate (lower crime is better); ties share the lowest rank.
        assert member["rank"] == 1 + sum(rate < rates[code] for rate in rates.values()), names[code]
    assert [m["rank"] for m in body["members"]] == sorted(m["rank"] for m in body["members"])
    group = {"E23000021", "E23000026", "E23000028", "E23000030", "E23000027", "E23000032", "E23000019", "E23000033"}
    assert {c for c, m in members.items() if m["in_group"]} == group
    assert [c for c, m in members.items() if m["is_focus"]] == [LEICS]
    total = sum(counts.values()) / sum(populations[c] for c in counts) * 1000
    assert body["all_forces_rate"] == pytest.approx(total, abs=0.006)
    in_group = sum(counts[c] for c in group) / sum(populations[c] for c in group) * 1000
    assert body["group_rate"] == pytest.approx(in_group, abs=0.006)
    # Every key of the answer is in the OpenAPI schema.
    schema = client.get("/api/v1/schema").json()["paths"]["/snapshots/{as_of}/measures/{code}/forces"]
    documented = schema["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    assert set(body) <= set(documented)
    assert set(body["members"][0]) == set(documented["members"]["items"]["properties"])


def test_forces_page_draws_every_force_with_the_force_and_group_in_words(client_for, frozen_2018, shared_data):
    counts, _, _ = _file_expectations(shared_data)
    client = client_for(COORDINATOR)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/snapshots/2018-03-31/measures/all_crime/forces/")
    assert response.status_code == 200
    assert len(queries) <= 20
    page = response.content.decode()
    assert "Leicestershire (this force)" in page and "Kent (in group)" in page
    assert (
        "position among all forces (rate per 1,000 population, 12 months to March 2018). Data as at 31 March 2018"
        in page
    )
    assert "ranked" in page and "of 43" in page
    csv_text = client.get("/snapshots/2018-03-31/measures/all_crime/forces.csv").content.decode("utf-8-sig")
    assert "Snapshot digest (SHA-256) " + frozen_2018.digest in csv_text
    rows = [r for r in csv.reader(csv_text.splitlines()) if r and r[0].isdigit()]
    assert len(rows) == 43
    leics = next(r for r in rows if r[2] == LEICS)
    assert int(leics[5]) == counts[LEICS] and leics[4] == "Yes"
    detail = client.get("/snapshots/2018-03-31/measures/all_crime/").content.decode()
    assert "/snapshots/2018-03-31/measures/all_crime/forces/" in detail


def test_forces_refuses_restricted_and_uncomparable_measures(client, client_for, frozen_2018):
    from reports.models import SnapshotPublication

    SnapshotPublication.objects.create(snapshot=frozen_2018, published_at=frozen_2018.frozen_at)
    assert client.get("/api/v1/snapshots/2018-03-31/measures/all_crime/forces").status_code == 200
    for code in ("marac_referrals", "no_such_measure"):
        response = client.get(f"/api/v1/snapshots/2018-03-31/measures/{code}/forces")
        assert response.status_code == 404 and response.json() == {"error": "No such measure"}
        assert client.get(f"/snapshots/2018-03-31/measures/{code}/forces/").status_code == 404
    assert client.get("/api/v1/snapshots/2018-03-31/measures/hate_crime/forces").status_code == 404
    bad = client.get("/api/v1/snapshots/2018-03-31/measures/all_crime/forces?period_end=2018-03-30")
    assert bad.status_code == 400 and "month end" in bad.json()["error"]


NEIGHBOURHOOD_SUBGROUPS = {
    "Domestic burglary",
    "Robbery of personal property",
    "Theft from the person",
    "Theft of a motor vehicle",
    "Theft from a vehicle",
    "Vehicle interference",
}


def test_neighbourhood_crime_from_the_offence_map_equals_the_file_subgroups(client_for, frozen_2018, shared_data):
    from reports.models import Annotation

    reference = shared_data.parent / "reference"
    with (reference / "police_force_areas.csv").open(encoding="utf-8", newline="") as handle:
        names = {row["name"]: row["area_code"] for row in csv.DictReader(handle)}
    expected: dict[str, int] = defaultdict(int)
    source = shared_data / "home-office-prc-pfa" / "prc-pfa-2017-18.csv"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Force Name"].strip() in names and row["Offence Subgroup"].strip() in NEIGHBOURHOOD_SUBGROUPS:
                expected[names[row["Force Name"].strip()]] += int(row["Number of Offences"].strip())
    body = client_for(COORDINATOR).get("/api/v1/snapshots/2018-03-31/measures/neighbourhood_crime/forces").json()
    assert (body["period_start"], body["period_end"]) == ("2017-04-01", "2018-03-31")
    assert {m["area_code"]: m["count"] for m in body["members"]} == expected
    # The definition's series break is data: the map's dated row becomes an annotation that restarts SPC limits.
    brk = Annotation.objects.get(measure__code="neighbourhood_crime", label="Series break")
    assert brk.date == date(2017, 4, 1) and brk.recalculate_limits and "residential burglary" in brk.text


def test_forces_page_and_statement_say_when_only_some_forces_have_figures(client_for, plan, shared_data, tmp_path):
    """A snapshot holding only the peer group's 8 forces says so beside the all-forces rate."""
    from priorities.models import Measure
    from reports.services import snapshot_freeze
    from reports.statements import forces_words

    _, _, names = _file_expectations(shared_data)
    group = {"E23000021", "E23000026", "E23000028", "E23000030", "E23000027", "E23000032", "E23000019", "E23000033"}
    kept = {names[code] for code in group}
    source = shared_data / "home-office-prc-pfa" / "prc-pfa-2017-18.csv"
    lines = source.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    header = next(csv.reader(lines[:1]))
    column = header.index("Force Name")
    part = tmp_path / "prc-group-only.csv"
    part.write_text(
        lines[0] + "".join(line for line in lines[1:] if next(csv.reader([line]))[column].strip() in kept),
        encoding="utf-8",
    )
    call_command("import_home_office_prc", str(part))
    snapshot = snapshot_freeze(as_of=date(2018, 3, 31))
    sentence = "Figures for 8 of the 43 forces are in this snapshot; the all-forces rate is the rate of those 8."
    page = client_for(COORDINATOR).get("/snapshots/2018-03-31/measures/all_crime/forces/").content.decode()
    assert sentence in page
    assert "Every force&#x27;s rate" not in page and "Every force's rate" not in page
    words = forces_words(snapshot, Measure.objects.get(code="all_crime"))
    assert "of 8 forces" in words
    assert words.endswith(
        "(figures for 8 of the 43 forces are in this snapshot; the all-forces rate is the rate of those 8)"
    )


def test_forces_page_says_its_period_in_words(client_for, frozen_2018, shared_data):
    page = client_for(COORDINATOR).get("/snapshots/2018-03-31/measures/all_crime/forces/").content.decode()
    assert "months from 1 April 2017 to 31 March 2018" in page
    visible = re.sub(r"<script\b.*?</script>", " ", page, flags=re.S)
    visible = re.sub(r"<[^>]+>", " ", visible)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", visible), re.search(r".{40}\d{4}-\d{2}-\d{2}.{20}", visible)


def test_forces_page_gives_its_summary_once(client_for, frozen_2018, shared_data):
    page = client_for(COORDINATOR).get("/snapshots/2018-03-31/measures/all_crime/forces/").content.decode()
    summary = re.search(r'app-chart__summary"[^>]*>([^<]+)<', page).group(1)
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<script\b.*?</script>", " ", page, flags=re.S))
    # The chart's own text summary, once; its figure's aria-label gives it to screen readers.
    assert visible.count(summary) == 1
