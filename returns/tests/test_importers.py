"""Public data importers: numbers on real extracts, idempotence, police.uk measures and outcomes."""

from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from priorities.models import Measure
from returns.importers import home_office_prc_import, police_uk_import, police_uk_slug
from returns.models import AuditEvent, Observation, OutcomeCount, Return

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
HO_SAMPLE = SAMPLES / "prc-pfa-2017-18-sample.csv"
PUK_SAMPLE = SAMPLES / "2021-04-leicestershire-street-sample.csv"
LEICS = "E23000021"
BLABY = "E22000164"  # Blaby CSP
COMBINED = "police_uk_public_disorder_and_weapons"  # the sum of public order and possession of weapons

pytestmark = pytest.mark.django_db


def _value(measure: str, area: str, start: date) -> float:
    return Observation.objects.get(
        source_return__is_current=True, measure__code=measure, area__code=area, period_start=start
    ).value


def test_home_office_sample_one_accepted_return_per_quarter(plan):
    result = home_office_prc_import(raw=HO_SAMPLE.read_bytes(), file_name=HO_SAMPLE.name)
    assert [p.start for p in result.periods] == [
        date(2017, 4, 1),
        date(2017, 7, 1),
        date(2017, 10, 1),
        date(2018, 1, 1),
    ]
    assert Return.objects.filter(submitter__code="public-data", status="accepted", is_current=True).count() == 4
    assert result.summary["skipped"]["British Transport Police"] > 0
    assert AuditEvent.objects.filter(action="import_home_office_prc").count() == 4


def test_home_office_import_twice_is_no_change(plan, capsys):
    call_command("import_home_office_prc", str(HO_SAMPLE))
    before = (Return.objects.count(), Observation.objects.count(), AuditEvent.objects.count())
    call_command("import_home_office_prc", str(HO_SAMPLE))
    out = capsys.readouterr().out
    assert (
        "No change: Q1 2017/18 (April to June 2017) from prc-pfa-2017-18-sample.csv already imported as version 1"
        in out
    )
    assert (Return.objects.count(), Observation.objects.count(), AuditEvent.objects.count()) == before


def test_home_office_changed_file_is_new_accepted_version(plan, tmp_path):
    call_command("import_home_office_prc", str(HO_SAMPLE))
    changed = tmp_path / "prc-changed.csv"
    text = HO_SAMPLE.read_text()
    changed.write_text(
        text.replace("2017/18,1,", "2017/18,1,", 1)
        + "2017/18,1,Leicestershire,Extra,Theft offences,Domestic burglary,28E, 7 \n"
    )
    home_office_prc_import(raw=changed.read_bytes(), file_name=changed.name)
    q1 = Return.objects.filter(period__start=date(2017, 4, 1)).order_by("version")
    assert [(r.version, r.status) for r in q1] == [(1, "superseded"), (2, "accepted")]
    q2 = Return.objects.filter(period__start=date(2017, 7, 1))
    assert q2.count() == 1  # same figures for Q2: no new version


def test_home_office_full_file_leicestershire_all_crime(plan, shared_data, capsys):
    path = shared_data / "home-office-prc-pfa" / "prc-pfa-2017-18.csv"
    call_command("import_home_office_prc", str(path))
    quarters = [date(2017, 4, 1), date(2017, 7, 1), date(2017, 10, 1), date(2018, 1, 1)]
    assert [_value("all_crime", LEICS, q) for q in quarters] == [20213, 21161, 21417, 21002]
    assert (
        Observation.objects.filter(source_return__is_current=True, measure__code="all_crime")
        .values("area")
        .distinct()
        .count()
        == 43
    )
    out = capsys.readouterr().out
    assert "536 rows skipped for 5 bodies or areas outside the product" in out
    call_command("import_home_office_prc", str(path))
    assert capsys.readouterr().out.count("No change:") == 4


def test_police_uk_sample_counts_measures_and_outcomes(plan, capsys):
    call_command("import_police_uk", str(PUK_SAMPLE))
    out = capsys.readouterr().out
    assert "14 outside the force's districts" in out and "10 with no LSOA" in out
    asb = Measure.objects.get(code="police_uk_anti_social_behaviour")
    assert asb.title == "data.police.uk: Anti-social behaviour"
    assert (asb.unit, asb.direction, asb.frequency, asb.priorities.count()) == ("count", "neither", "monthly", 0)
    april = date(2021, 4, 1)
    force_total = sum(
        Observation.objects.filter(
            area__code=LEICS, period_start=april, measure__code__startswith="police_uk_"
        )
        .exclude(measure__code=COMBINED)
        .values_list("value", flat=True)
    )
    assert force_total == 294
    blaby_total = sum(
        Observation.objects.filter(
            area__code=BLABY, period_start=april, measure__code__startswith="police_uk_"
        )
        .exclude(measure__code=COMBINED)
        .values_list("value", flat=True)
    )
    assert blaby_total == 150
    outcomes = OutcomeCount.objects.filter(area__code=LEICS, month=april)
    assert outcomes.exists() and all(o.outcome.scheme == "police_uk" for o in outcomes)
    assert not outcomes.filter(crime_group="Anti-social behaviour").exists()
    assert Return.objects.get().period.kind == "month"


def test_police_uk_import_twice_is_no_change(plan, capsys):
    police_uk_import(files=[(PUK_SAMPLE.name, PUK_SAMPLE.read_bytes())])
    counts = (Return.objects.count(), Observation.objects.count(), OutcomeCount.objects.count())
    call_command("import_police_uk", str(PUK_SAMPLE))
    assert "No change: April 2021" in capsys.readouterr().out
    assert (Return.objects.count(), Observation.objects.count(), OutcomeCount.objects.count()) == counts


def test_police_uk_slug():
    assert police_uk_slug("Criminal damage and arson") == "police_uk_criminal_damage_and_arson"
    assert police_uk_slug("Anti-social behaviour") == "police_uk_anti_social_behaviour"


def test_police_uk_full_files(plan, shared_data, capsys):
    files = sorted((shared_data / "police-uk-leicestershire").glob("*.csv"))
    call_command("import_police_uk", *map(str, files))
    april = Observation.objects.filter(
        source_return__is_current=True, area__code=LEICS, period_start=date(2021, 4, 1)
    ).exclude(measure__code=COMBINED)
    assert sum(april.values_list("value", flat=True)) == 8217  # every row of the April file, once
    assert Return.objects.filter(is_current=True).count() == len(files)
    out = capsys.readouterr().out
    assert out.count("as version 1 (") == len(files)
