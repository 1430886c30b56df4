"""Agreed data sets come from the plan file: any set-up order, re-runs, new measures, measure kinds."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from pcc_dashboard.roles import COORDINATOR, CSP_SUBMITTER
from returns.models import DataSetItem, Observation, Return, ReturnStatus, Submitter

PLAN_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "plan_leicestershire_2014.yaml"
Q1 = "2014-04-01:2014-06-30"
BLABY_AREA = "E22000164"  # Blaby CSP

pytestmark = pytest.mark.django_db


@pytest.fixture
def q1(plan):
    from returns.reference import period_for

    return period_for(start=date(2014, 4, 1), end=date(2014, 6, 30))


def _data_set() -> set[tuple[str, str, str, str]]:
    return set(
        DataSetItem.objects.values_list("submitter__code", "measure__code", "area__code", "frequency")
    )


def _template_rows(client, submitter: str, start: str, end: str) -> list[dict]:
    response = client.get(reverse("return_template", args=[submitter, start, end, "csv"]))
    assert response.status_code == 200
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _upload_row(client, name: str, row: str):
    """Upload a one-row CSV return for Blaby, Q1 2014/15, as the CSP lead would."""
    content = f"measure_code,area_code,period_start,period_end,value,numerator,denominator,respondents,comment\r\n{row}\r\n"
    upload = io.BytesIO(content.encode())
    upload.name = name
    return client.post(reverse("return_upload"), {"submitter": "csp-blaby", "period": Q1, "file": upload})


def test_set_up_in_either_order_gives_the_same_data_sets_and_reruns_change_nothing():
    call_command("import_plan", str(PLAN_FILE), verbosity=0)
    call_command("import_reference", verbosity=0)  # the order `make setup` used when it broke
    plan_first = _data_set()
    assert ("csp-blaby", "adult_reoffending_rate", BLABY_AREA, "quarterly") in plan_first
    assert ("leicestershire-police", "all_crime", BLABY_AREA, "monthly") in plan_first
    assert ("leicestershire-police", "victim_satisfaction", "E23000021", "quarterly") in plan_first
    assert ("public-data", "all_crime", "E23000001", "quarterly") in plan_first  # another force: national data

    out = io.StringIO()
    call_command("import_reference", stdout=out)
    call_command("import_plan", str(PLAN_FILE), stdout=out)
    assert _data_set() == plan_first
    assert out.getvalue().count("No change") == 2

    DataSetItem.objects.all().delete()
    Submitter.objects.all().delete()
    call_command("import_reference", verbosity=0)  # the Makefile's order
    call_command("import_plan", str(PLAN_FILE), verbosity=0)
    assert _data_set() == plan_first


def test_fresh_set_up_gives_a_csp_lead_a_template_with_rows_and_an_upload_is_taken(q1, client_for):
    client = client_for(CSP_SUBMITTER, "csp-blaby")
    rows = _template_rows(client, "csp-blaby", "2014-04-01", "2014-06-30")
    assert [(r["measure_code"], r["area_code"]) for r in rows] == [
        ("youth_first_time_entrants", BLABY_AREA),
        ("adult_reoffending_rate", BLABY_AREA),
        ("youth_reoffending_rate", BLABY_AREA),
    ]
    # Filled truthfully: a count, and two rates worked out from a numerator and a denominator;
    # nobody invents a number of "respondents" for a re-offending cohort.
    filled = {
        "youth_first_time_entrants": ("14", "", ""),
        "adult_reoffending_rate": ("25", "30", "120"),
        "youth_reoffending_rate": ("40", "12", "30"),
    }
    for row in rows:
        row["value"], row["numerator"], row["denominator"] = filled[row["measure_code"]]
    body = io.StringIO()
    writer = csv.DictWriter(body, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    upload = io.BytesIO(body.getvalue().encode())
    upload.name = "blaby-q1.csv"
    response = client.post(reverse("return_upload"), {"submitter": "csp-blaby", "period": Q1, "file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    ret = Return.objects.get()
    assert ret.status == ReturnStatus.SUBMITTED
    stored = Observation.objects.get(source_return=ret, measure__code="adult_reoffending_rate")
    assert (stored.value, stored.numerator, stored.denominator, stored.respondents) == (25, 30, 120, None)


def test_a_ratio_measure_without_its_numerator_is_refused_naming_the_column(q1, client_for):
    client = client_for(CSP_SUBMITTER, "csp-blaby")
    response = _upload_row(client, "blaby.csv", f"adult_reoffending_rate,{BLABY_AREA},2014-04-01,2014-06-30,25,,120,,")
    text = response.content.decode()
    assert "numerator required" in text
    assert Return.objects.count() == 0 and Observation.objects.count() == 0


def test_a_measure_added_to_the_plan_file_is_in_the_template_upload_and_snapshot(q1, client_for, tmp_path):
    data = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    data["measures"].append(
        {
            "code": "knife_crime",
            "title": "Knife crime",
            "definition": "Offences involving a knife or sharp instrument.",
            "unit": "count",
            "direction": "down",
            "frequency": "quarterly",
            "priorities": [14],
            "reported_by": [{"submitter": "csp", "areas": ["own"]}],
        }
    )
    edited = tmp_path / "plan.yaml"
    edited.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    call_command("import_plan", str(edited), verbosity=0)

    client = client_for(CSP_SUBMITTER, "csp-blaby")
    rows = _template_rows(client, "csp-blaby", "2014-04-01", "2014-06-30")
    assert ("knife_crime", BLABY_AREA) in [(r["measure_code"], r["area_code"]) for r in rows]
    response = _upload_row(client, "blaby-knife.csv", f"knife_crime,{BLABY_AREA},2014-04-01,2014-06-30,17,,,,")
    assert response.status_code == 302
    ret = Return.objects.get()
    coordinator = client_for(COORDINATOR)
    assert coordinator.post(reverse("return_accept", args=[ret.pk]), {"version": ret.version}).status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.ACCEPTED

    from reports.models import SnapshotResult
    from reports.services import snapshot_freeze

    snapshot = snapshot_freeze(as_of=date(2014, 6, 30))
    payload = SnapshotResult.objects.get(snapshot=snapshot, key="measure:knife_crime").payload
    assert [p["value"] for p in payload["trend"]["points"]] == [17.0]


def test_the_plan_file_refuses_a_reporter_for_areas_it_cannot_report(plan, tmp_path):
    data = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    data["measures"][0]["reported_by"] = [{"submitter": "csp", "areas": ["all_forces"]}]
    edited = tmp_path / "plan.yaml"
    edited.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    before = _data_set()
    with pytest.raises(Exception, match=r"measures\[1\]\.reported_by\[1\]: areas has 'all_forces'"):
        call_command("import_plan", str(edited), verbosity=0)
    assert _data_set() == before


def test_plan_export_round_trips_kinds_and_data_sets(plan):
    from priorities.plan_file import plan_export

    exported = {m["code"]: m for m in plan_export()["measures"]}
    assert exported["adult_reoffending_rate"]["kind"] == "ratio"
    assert exported["victim_satisfaction"]["kind"] == "survey"
    assert {"submitter": "csp", "areas": ["own"], "frequency": "quarterly"} in exported["adult_reoffending_rate"][
        "reported_by"
    ]


def test_the_coordinator_edits_the_plan_file_on_the_page(plan, client_for):
    client = client_for(COORDINATOR)
    download = client.get(reverse("plan_file"), {"download": "1"})
    assert download.status_code == 200
    data = yaml.safe_load(download.content.decode())
    reoffending = next(m for m in data["measures"] if m["code"] == "adult_reoffending_rate")
    reoffending["reported_by"].append({"submitter": "force", "areas": ["force"], "frequency": "quarterly"})
    upload = io.BytesIO(yaml.safe_dump(data, sort_keys=False).encode())
    upload.name = "plan.yaml"
    page = client.post(reverse("plan_file"), {"file": upload}, follow=True)
    assert b"Plan updated from plan.yaml" in page.content
    assert ("leicestershire-police", "adult_reoffending_rate", "E23000021", "quarterly") in _data_set()

    broken = io.BytesIO(b"plan: {title: x}\nthemes: [\n")
    broken.name = "broken.yaml"
    before = _data_set()
    page = client.post(reverse("plan_file"), {"file": broken})
    assert b"broken.yaml: not valid YAML at line" in page.content
    assert _data_set() == before
    assert client_for(CSP_SUBMITTER, "csp-blaby").get(reverse("plan_file")).status_code == 403
