"""Public data files of every vintage through the real commands: the right figure, or a refusal
naming file, row, column and fix with nothing written."""

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reports.models import Annotation
from returns.models import Observation, Return

pytestmark = pytest.mark.django_db
LEICS, BEDS, BLABY, OADBY = "E23000021", "E23000026", "E22000164", "E22000171"  # CSPs by their E22 codes
Q1_2024 = date(2024, 4, 1)
LATER_HEADER = (
    "Financial Year,Financial Quarter,Police Force,Offence Description,Offence Group,"
    "Offence Subgroup,Offence Code,Offence Count\n"
)
PUK_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context\n"
)
LEICS_POLICE = "Leicestershire Police"


def _stored(measure: str, area: str, start: date) -> float | None:
    row = Observation.objects.filter(
        source_return__is_current=True, measure__code=measure, area__code=area, period_start=start
    ).first()
    return None if row is None else row.value


def _state():
    return (Return.objects.count(), Observation.objects.count(), Annotation.objects.count())


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- 1. Home Office recorded crime of later vintages ------------------------------------------


def _later_release(tmp_path, extra: str = "") -> str:
    rows = [
        "2024/25,1,Leicestershire,Burglary Residential,Theft offences,Residential burglary,28E, 1234 ",
        "2024/25,1,Leicestershire,Attempted Burglary Residential,Theft offences,Residential burglary,28F, 100 ",
        "2024/25,1,Leicestershire,Theft or unauthorised taking of motor vehicle,Theft offences,Vehicle offences,48, 300 ",
        "2024/25,1,Leicestershire,Theft from vehicle,Theft offences,Vehicle offences,45, 700 ",
        "2024/25,1,Leicestershire,Shoplifting,Theft offences,Shoplifting,46, 0 ",
        "2024/25,1,Bedfordshire,Burglary Residential,Theft offences,Residential burglary,28E, 500 ",
        "2024/25,1,Action Fraud,Fraud offences recorded by Action Fraud,Fraud offences,Fraud: action fraud,AF, 9999 ",
    ]
    return _write(tmp_path, "prc-pfa-2024-25-q1.csv", LATER_HEADER + "\n".join(rows) + "\n" + extra)


def test_newer_subgroup_names_map_by_offence_code_with_later_column_names(plan, tmp_path, capsys):
    call_command("import_home_office_prc", _later_release(tmp_path))
    assert _stored("burglary_dwelling", LEICS, Q1_2024) == 1334
    assert _stored("theft_of_motor_vehicle", LEICS, Q1_2024) == 300
    assert _stored("theft_from_motor_vehicle", LEICS, Q1_2024) == 700
    assert _stored("all_crime", LEICS, Q1_2024) == 1334 + 300 + 700 + 0  # fraud is outside
    assert _stored("neighbourhood_crime", LEICS, Q1_2024) == 1334 + 300 + 700  # residential burglary and vehicle offences
    assert _stored("burglary_dwelling", BEDS, Q1_2024) == 500
    out = capsys.readouterr().out
    assert "Action Fraud: 1" in out


def test_a_category_with_no_source_row_is_never_zero(plan, tmp_path, capsys):
    call_command("import_home_office_prc", _later_release(tmp_path))
    # no violence with injury rows at all, and no vehicle rows for Bedfordshire: unknown, not 0
    assert _stored("violence_with_injury", LEICS, Q1_2024) is None
    assert _stored("theft_of_motor_vehicle", BEDS, Q1_2024) is None
    out = capsys.readouterr().out
    assert "violence_with_injury: no source row for 2 area-quarters, so not stored there (unknown, never 0)" in out
    assert "theft_of_motor_vehicle: no source row for 1 area-quarters" in out


def test_unknown_offence_codes_are_refused_by_name_and_nothing_written(plan, tmp_path):
    before = _state()
    extra = (
        "2024/25,1,Leicestershire,Something new,Miscellaneous crimes,Miscellaneous crimes,99Z, 4 \n"
        "2024/25,1,Kent,Something else,Miscellaneous crimes,Miscellaneous crimes,77Q, 1 \n"
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_home_office_prc", _later_release(tmp_path, extra))
    message = str(refused.value)
    assert "prc-pfa-2024-25-q1.csv, row 9, column 'Offence Code'" in message
    assert "'99Z (2024-04)', '77Q (2024-04)'" in message
    assert "fixtures/reference/home_office_offence_codes.csv" in message and "Nothing was imported" in message
    assert _state() == before


def test_a_force_name_not_in_the_list_is_refused_not_skipped(plan, tmp_path):
    """A territorial force spelt a new way must not vanish into 'skipped' with its figures unstored."""
    extra = "2024/25,1,Leics Constabulary,Burglary Residential,Theft offences,Residential burglary,28E, 10 \n"
    before = _state()
    with pytest.raises(CommandError) as refused:
        call_command("import_home_office_prc", _later_release(tmp_path, extra))
    message = str(refused.value)
    assert "prc-pfa-2024-25-q1.csv, row 9, column 'Force Name'" in message and "'Leics Constabulary'" in message
    assert "fixtures/reference/home_office_force_names.csv" in message
    assert _state() == before


def test_header_names_are_matched_ignoring_case(plan, tmp_path):
    path = _write(
        tmp_path,
        "prc-lower.csv",
        "financial year,FINANCIAL QUARTER,police force,offence code,offence count\n2024/25,1,Leicestershire,28E, 7 \n",
    )
    call_command("import_home_office_prc", path)
    assert _stored("burglary_dwelling", LEICS, Q1_2024) == 7


def test_a_code_used_outside_the_years_its_mapping_holds_is_refused(plan, tmp_path):
    """Residential burglary (28E) starts in April 2017: a 2016/17 row with it is not guessed at."""
    path = _write(
        tmp_path,
        "prc-2016-17.csv",
        LATER_HEADER + "2016/17,4,Leicestershire,Burglary Residential,Theft offences,Domestic burglary,28E, 10 \n",
    )
    before = _state()
    with pytest.raises(CommandError, match=r"row 2, column 'Offence Code'.*'28E \(2017-01\)'"):
        call_command("import_home_office_prc", path)
    assert _state() == before


def test_the_2017_burglary_series_break_is_an_annotation(plan, tmp_path):
    call_command("import_home_office_prc", _later_release(tmp_path))
    note = Annotation.objects.get(measure__code="burglary_dwelling")
    assert (note.date, note.label, note.recalculate_limits) == (date(2017, 4, 1), "Series break", True)
    assert "residential burglary" in note.text
    call_command("import_home_office_prc", _later_release(tmp_path))
    assert Annotation.objects.filter(measure__code="burglary_dwelling").count() == 1


def _csp_file(tmp_path, csp_rows: list[str]) -> str:
    header = LATER_HEADER.replace("Police Force,", "Police Force,CSP Name,")
    return _write(tmp_path, "prc-csp-2024-25-q1.csv", header + "\n".join(csp_rows) + "\n")


def test_csp_level_file_maps_home_office_csp_names_and_keeps_force_figures(plan, tmp_path, capsys):
    call_command("import_home_office_prc", _later_release(tmp_path))
    path = _csp_file(
        tmp_path,
        [
            "2024/25,1,Leicestershire,Blaby,Burglary Residential,Theft offences,Residential burglary,28E, 61 ",
            "2024/25,1,Leicestershire,Blaby,Theft from vehicle,Theft offences,Vehicle offences,45, 40 ",
            "2024/25,1,Leicestershire,Oadby and Wigston,Burglary Residential,Theft offences,Residential burglary,28E, 22 ",
            "2024/25,1,Greater Manchester,Bolton,Burglary Residential,Theft offences,Residential burglary,28E, 300 ",
        ],
    )
    call_command("import_home_office_prc", path)
    assert _stored("burglary_dwelling", BLABY, Q1_2024) == 61
    assert _stored("theft_from_motor_vehicle", BLABY, Q1_2024) == 40
    assert _stored("all_crime", BLABY, Q1_2024) == 101
    assert _stored("burglary_dwelling", OADBY, Q1_2024) == 22
    assert _stored("theft_from_motor_vehicle", OADBY, Q1_2024) is None  # no source row
    assert _stored("burglary_dwelling", LEICS, Q1_2024) == 1334  # the force file's figure is kept
    out = capsys.readouterr().out
    assert "used for 2 CSP areas" in out and "Bolton: 1" in out
    assert "It replaces version 1, imported from prc-pfa-2024-25-q1.csv" in out
    assert "keeps its 8 figures for other areas" in out  # Leicestershire 5 (neighbourhood crime too), Bedfordshire 3
    call_command("import_home_office_prc", _later_release(tmp_path))  # the force file again: same figures
    assert "No change: Q1 2024/25" in capsys.readouterr().out
    assert Return.objects.filter(period__start=Q1_2024).count() == 2


def test_csp_level_file_with_an_unknown_csp_name_is_refused(plan, tmp_path):
    path = _csp_file(
        tmp_path,
        [
            "2024/25,1,Leicestershire,Blaby,Burglary Residential,Theft offences,Residential burglary,28E, 61 ",
            "2024/25,1,Leicestershire,Blaby District,Burglary Residential,Theft offences,Residential burglary,28E, 1 ",
        ],
    )
    before = _state()
    with pytest.raises(CommandError) as refused:
        call_command("import_home_office_prc", path)
    assert "prc-csp-2024-25-q1.csv, row 3, column 'CSP Name'" in str(refused.value)
    assert "'Blaby District'" in str(refused.value) and "home_office_csp_names.csv" in str(refused.value)
    assert _state() == before


# -- 2-5. data.police.uk ---------------------------------------------------------------------


def _street(tmp_path, name: str, rows: list[tuple], force: str = LEICS_POLICE) -> str:
    """rows: (crime id, month, LSOA name, crime type, outcome)."""
    lines = [
        f"{crime_id},{month},{force},{force},-1.1,52.6,On or near X,E01000001,{lsoa},{crime_type},{outcome},"
        for crime_id, month, lsoa, crime_type, outcome in rows
    ]
    return _write(tmp_path, name, PUK_HEADER + "\n".join(lines) + "\n")


def _burglaries(prefix: str, n: int, month: str = "2021-04", lsoa: str = "Blaby 001A") -> list[tuple]:
    return [(f"{prefix}{i:04d}", month, lsoa, "Burglary", "Under investigation") for i in range(n)]


def test_another_forces_file_is_refused_and_replaces_nothing(plan, tmp_path):
    leics = _street(tmp_path, "2021-04-leicestershire-street.csv", _burglaries("L", 12))
    call_command("import_police_uk", leics)
    before = _state()
    gmp = _street(
        tmp_path,
        "2021-04-greater-manchester-street.csv",
        _burglaries("G", 3, lsoa="Bolton 001A"),
        force="Greater Manchester Police",
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_police_uk", gmp)
    message = str(refused.value)
    assert "2021-04-greater-manchester-street.csv, row 2, column 'Reported by'" in message
    assert "'Greater Manchester Police'" in message and "import only Leicestershire Police's" in message
    assert _state() == before
    assert _stored("police_uk_burglary", LEICS, date(2021, 4, 1)) == 12


def test_a_folder_with_another_forces_file_imports_nothing(plan, tmp_path):
    leics = _street(tmp_path, "2021-04-leicestershire-street.csv", _burglaries("L", 12))
    gmp = _street(tmp_path, "2021-04-gmp-street.csv", _burglaries("G", 3), force="Greater Manchester Police")
    with pytest.raises(CommandError, match="Nothing was imported from 2021-04-leicestershire-street.csv, 2021-04-gmp"):
        call_command("import_police_uk", leics, gmp)
    assert not Return.objects.exists()


def test_a_repeated_crime_id_counts_once_and_is_reported(plan, tmp_path, capsys):
    rows = _burglaries("C", 265)
    rows += rows[:2]  # the same two crimes again
    rows += [("", "2021-04", "Blaby 001A", "Anti-social behaviour", "")] * 3  # ASB has no ID: all count
    call_command("import_police_uk", _street(tmp_path, "2021-04-leicestershire-street.csv", rows))
    assert _stored("police_uk_burglary", LEICS, date(2021, 4, 1)) == 265
    assert _stored("police_uk_anti_social_behaviour", LEICS, date(2021, 4, 1)) == 3
    out = capsys.readouterr().out
    assert "2 repeated Crime IDs counted once: 2021-04-leicestershire-street.csv row 267 repeats" in out


def test_a_repeated_crime_id_with_different_details_is_refused(plan, tmp_path):
    rows = _burglaries("C", 3) + [("C0001", "2021-04", "Blaby 001A", "Robbery", "Under investigation")]
    with pytest.raises(CommandError, match=r"row 5, column 'Crime ID'.*same Crime ID and month as .*row 3"):
        call_command("import_police_uk", _street(tmp_path, "2021-04-leicestershire-street.csv", rows))
    assert not Return.objects.exists()


def test_a_crime_published_again_in_a_later_month_counts_in_each_month(plan, tmp_path):
    """As in the real June and July 2021 Leicestershire files, which share Crime IDs."""
    june = _street(tmp_path, "2021-06-street.csv", _burglaries("A", 5, month="2021-06"))
    july = _street(tmp_path, "2021-07-street.csv", _burglaries("A", 2, month="2021-07"))
    call_command("import_police_uk", june, july)
    assert _stored("police_uk_burglary", LEICS, date(2021, 6, 1)) == 5
    assert _stored("police_uk_burglary", LEICS, date(2021, 7, 1)) == 2


def test_two_halves_of_a_month_in_one_run_are_combined(plan, tmp_path, capsys):
    first = _street(tmp_path, "2021-04-part-1.csv", _burglaries("A", 100))
    second = _street(tmp_path, "2021-04-part-2.csv", _burglaries("B", 165) + _burglaries("A", 2))
    call_command("import_police_uk", first, second)
    assert _stored("police_uk_burglary", LEICS, date(2021, 4, 1)) == 265
    assert _stored("police_uk_burglary", BLABY, date(2021, 4, 1)) == 265
    current = Return.objects.get(is_current=True)
    assert current.original_name == "2021-04-part-1.csv + 2021-04-part-2.csv"
    out = capsys.readouterr().out
    assert "April 2021: combined from 2021-04-part-1.csv and 2021-04-part-2.csv" in out
    assert "2 repeated Crime IDs counted once" in out


def test_a_month_given_again_in_a_later_run_replaces_it_naming_both_files(plan, tmp_path, capsys):
    call_command("import_police_uk", _street(tmp_path, "2021-04-part-1.csv", _burglaries("A", 100)))
    call_command("import_police_uk", _street(tmp_path, "2021-04-full.csv", _burglaries("A", 265)))
    assert _stored("police_uk_burglary", LEICS, date(2021, 4, 1)) == 265
    out = capsys.readouterr().out
    assert (
        "April 2021: imported from 2021-04-full.csv as version 2 (10 figures), accepted. "
        "It replaces version 1, imported from 2021-04-part-1.csv on"
    ) in out


def test_renamed_and_split_categories_join_one_series_with_a_break(plan, tmp_path, capsys):
    april, may = "2013-04", "2013-05"
    rows = [
        ("V1", april, "Blaby 001A", "Violent crime", "Under investigation"),
        ("V2", april, "Blaby 001A", "Violent crime", "Under investigation"),
        ("P1", april, "Blaby 001A", "Public disorder and weapons", "Under investigation"),
        ("V3", may, "Blaby 001A", "Violence and sexual offences", "Under investigation"),
        ("P2", may, "Blaby 001A", "Public order", "Under investigation"),
        ("P3", may, "Blaby 001A", "Possession of weapons", "Under investigation"),
        ("P4", may, "Blaby 001A", "Public order", "Under investigation"),
    ]
    call_command("import_police_uk", _street(tmp_path, "2013-04-05.csv", rows))
    violence = "police_uk_violence_and_sexual_offences"
    assert _stored(violence, LEICS, date(2013, 4, 1)) == 2
    assert _stored(violence, LEICS, date(2013, 5, 1)) == 1
    combined = "police_uk_public_disorder_and_weapons"
    assert _stored(combined, LEICS, date(2013, 4, 1)) == 1
    assert _stored(combined, LEICS, date(2013, 5, 1)) == 3
    assert _stored("police_uk_public_order", LEICS, date(2013, 5, 1)) == 2
    assert _stored("police_uk_public_order", LEICS, date(2013, 4, 1)) is None  # did not exist yet
    assert not Observation.objects.filter(measure__code="police_uk_violent_crime").exists()
    breaks = set(Annotation.objects.values_list("measure__code", "date", "label"))
    assert (violence, date(2013, 5, 1), "Series break") in breaks
    assert (combined, date(2013, 5, 1), "Series break") in breaks


@pytest.mark.parametrize(
    ("crime_type", "month", "named"),
    [("Cyber crime", "2021-04", "'Cyber crime (2021-04)'"), ("Violent crime", "2021-04", "'Violent crime (2021-04)'")],
)
def test_a_crime_type_the_map_does_not_know_is_refused_by_name(plan, tmp_path, crime_type, month, named):
    rows = _burglaries("A", 3, month=month) + [("X1", month, "Blaby 001A", crime_type, "Under investigation")]
    with pytest.raises(CommandError) as refused:
        call_command("import_police_uk", _street(tmp_path, "street.csv", rows))
    message = str(refused.value)
    assert "street.csv, row 5, column 'Crime type'" in message and named in message
    assert "fixtures/reference/police_uk_crime_types.csv" in message
    assert not Return.objects.exists()
