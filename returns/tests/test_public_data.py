"""Tests for returns.public_data on the committed extracts and, when present, the full files."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from returns.police_uk import (
    CRIME_FRAME_COLUMNS,
    OUTCOME_FRAME_COLUMNS,
    lsoa_district,
    police_uk_counts,
    police_uk_dedupe,
    police_uk_rows,
)
from returns.public_data import HO_FRAME_COLUMNS, DatedMap, PublicDataError, parse_home_office_prc

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "fixtures" / "samples"
REFERENCE = ROOT / "fixtures" / "reference"
SHARED_DATA = ROOT.parent / "shared" / "data"
HO_FULL = SHARED_DATA / "home-office-prc-pfa" / "prc-pfa-2017-18.csv"
POLICE_UK_FULL = sorted((SHARED_DATA / "police-uk-leicestershire").glob("*.csv"))
LEICS, BEDS, BLABY, OADBY = "E23000021", "E23000026", "E07000129", "E07000135"
Q = {
    1: (date(2017, 4, 1), date(2017, 6, 30)),
    2: (date(2017, 7, 1), date(2017, 9, 30)),
    3: (date(2017, 10, 1), date(2017, 12, 31)),
    4: (date(2018, 1, 1), date(2018, 3, 31)),
}
HO_HEADER = (
    "Financial Year,Financial Quarter,Force Name,Offence Description,Offence Group,"
    "Offence Subgroup,Offence Code,Number of Offences\n"
)


def reference(name: str, key: str) -> dict[str, str]:
    with (REFERENCE / name).open(encoding="utf-8", newline="") as f:
        return {row[key]: row["area_code"] for row in csv.DictReader(f)}


with (REFERENCE / "home_office_force_names.csv").open(encoding="utf-8", newline="") as _f:
    HO_FORCE_NAMES = {row["home_office_name"]: row["area_code"] or None for row in csv.DictReader(_f)}
FORCES = reference("police_force_areas.csv", "name")
DISTRICTS = reference("community_safety_partnerships.csv", "name")
OFFENCES = DatedMap.read(
    (REFERENCE / "home_office_offence_codes.csv").read_bytes(),
    file_name="home_office_offence_codes.csv",
    key="offence_code",
    target="measure",
)
CRIME_TYPES = DatedMap.read(
    (REFERENCE / "police_uk_crime_types.csv").read_bytes(),
    file_name="police_uk_crime_types.csv",
    key="crime_type",
    target="series",
)


def parse_ho(raw: bytes, file_name: str = "t.csv"):
    return parse_home_office_prc(raw, force_names=HO_FORCE_NAMES, offence_map=OFFENCES, file_name=file_name)


def parse_police_uk(raw: bytes, *, file_name: str, lsoa_districts=DISTRICTS, force_code=LEICS):
    rows, _ = police_uk_dedupe(police_uk_rows(raw, file_name=file_name, force_names={"Leicestershire Police", "L"}))
    return police_uk_counts(rows, lsoa_districts=lsoa_districts, force_code=force_code, crime_types=CRIME_TYPES)


def value(frame, measure: str, area: str, quarter: int) -> int:
    start, end = Q[quarter]
    hit = frame[
        (frame.measure_code == measure)
        & (frame.area_code == area)
        & (frame.period_start == start)
        & (frame.period_end == end)
    ]
    assert len(hit) == 1
    return int(hit.iloc[0].value)


def parse_ho_sample():
    raw = (SAMPLES / "prc-pfa-2017-18-sample.csv").read_bytes()
    return parse_ho(raw, "sample.csv")


# -- Home Office --------------------------------------------------------------------------


def test_home_office_sample_maps_subgroups_and_quarters():
    frame, summary = parse_ho_sample()
    assert list(frame.columns) == list(HO_FRAME_COLUMNS)
    assert [value(frame, "burglary_dwelling", LEICS, q) for q in Q] == [
        1545,
        1542,
        1717,
        1524,
    ]
    assert value(frame, "theft_of_motor_vehicle", LEICS, 4) == 529
    assert value(frame, "theft_from_motor_vehicle", LEICS, 1) == 2069
    assert value(frame, "violence_with_injury", LEICS, 1) == 1664
    assert value(frame, "burglary_dwelling", BEDS, 1) == 1150
    # all_crime in the extract is the kept subgroups plus shoplifting and bicycle theft.
    assert value(frame, "all_crime", LEICS, 1) == 7664
    assert summary["periods"] == list(Q.values())
    assert summary["negative_rows"] == 1


def test_home_office_sample_skips_non_territorial_rows_and_counts_them():
    _, summary = parse_ho_sample()
    assert summary["skipped"] == {
        "Action Fraud": 4,
        "British Transport Police": 26,
        "CIFAS": 4,
        "Financial Fraud Action UK": 1,
        "UK Finance": 3,
    }
    msg = {"E23000021", "E23000026", "E23000028", "E23000030", "E23000027", "E23000032"}
    msg |= {"E23000019", "E23000033"}
    assert msg <= set(summary["areas"])
    assert FORCES["London, City of"] in summary["areas"]
    assert summary["rows_read"] == summary["rows_used"] + sum(
        summary["skipped"].values()
    )


def test_home_office_fraud_excluded_from_all_crime():
    raw = (
        HO_HEADER
        + "2017/18,1,Leicestershire,Burglary,Theft offences,Domestic burglary,28E, 10 \n"
        + "2017/18,1,Leicestershire,Fraud,Fraud offences,Fraud: action fraud,AF, 99 \n"
    ).encode()
    frame, summary = parse_ho(raw)
    assert value(frame, "all_crime", LEICS, 1) == 10
    assert value(frame, "burglary_dwelling", LEICS, 1) == 10
    # no source row for violence with injury: no figure at all, never 0
    assert frame[frame.measure_code == "violence_with_injury"].empty
    assert summary["no_source_row"]["violence_with_injury"] == 1


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("2017/18,1,Leicestershire,x,Robbery,Robbery,34B, five ", "Number of Offences"),
        ("2017/18,1,Leicestershire,x,Robbery,Robbery,34B, 1e3 ", "Number of Offences"),
        ("2017/18,5,Leicestershire,x,Robbery,Robbery,34B, 3 ", "Financial Quarter"),
        ("2017/19,1,Leicestershire,x,Robbery,Robbery,34B, 3 ", "Financial Year"),
    ],
)
def test_home_office_bad_rows_raise_naming_row_and_column(row, column):
    raw = (
        HO_HEADER + "2017/18,1,Leicestershire,x,Robbery,Robbery,34B, 1 \n" + row
    ).encode()
    with pytest.raises(PublicDataError) as caught:
        parse_ho(raw)
    assert (caught.value.file, caught.value.row, caught.value.column) == (
        "t.csv",
        3,
        column,
    )
    assert isinstance(caught.value, ValueError)


def test_home_office_missing_column_raises():
    with pytest.raises(PublicDataError, match="Number of Offences"):
        parse_ho(b"Financial Year,Force Name\n", "t")


@pytest.mark.skipif(not HO_FULL.exists(), reason="shared data not present")
def test_home_office_full_file_leicestershire_all_crime():
    frame, summary = parse_ho(HO_FULL.read_bytes(), HO_FULL.name)
    assert [value(frame, "all_crime", LEICS, q) for q in Q] == [
        20213,
        21161,
        21417,
        21002,
    ]
    assert len(summary["areas"]) == 43
    assert summary["skipped"]["British Transport Police"] == 524
    assert len(frame) == 43 * 4 * 7  # all crime, burglary, two vehicle crimes, violence, robbery, neighbourhood crime
    assert summary["no_source_row"] == {}


# -- data.police.uk ----------------------------------------------------------------------


def parse_police_uk_sample():
    raw = (SAMPLES / "2021-04-leicestershire-street-sample.csv").read_bytes()
    return parse_police_uk(
        raw, file_name="sample.csv", lsoa_districts=DISTRICTS, force_code=LEICS
    )


def count(frame, crime_type: str, area: str) -> int:
    hit = frame[(frame.series == crime_type) & (frame.area_code == area)]
    return int(hit["count"].sum())


@pytest.mark.parametrize(
    ("lsoa", "district"),
    [
        ("Charnwood 012A", "Charnwood"),
        ("North West Leicestershire 001A", "North West Leicestershire"),
        ("Hinckley and Bosworth 003B", "Hinckley and Bosworth"),
        ("Oadby and Wigston 004C", "Oadby and Wigston"),
        ("Barrow-in-Furness 010E", "Barrow-in-Furness"),
    ],
)
def test_lsoa_district_strips_trailing_code(lsoa, district):
    assert lsoa_district(lsoa) == district


def test_police_uk_sample_counts_force_and_csps():
    crimes, outcomes, summary = parse_police_uk_sample()
    assert list(crimes.columns) == list(CRIME_FRAME_COLUMNS)
    assert list(outcomes.columns) == list(OUTCOME_FRAME_COLUMNS)
    assert summary["rows"] == 294
    assert summary["by_area"] == {BLABY: 150, OADBY: 120}
    assert summary["no_lsoa"] == 10
    assert summary["outside_districts"]["Barrow-in-Furness"] == 2
    assert sum(summary["outside_districts"].values()) == 14
    assert summary["months"] == [date(2021, 4, 1)]
    own = crimes[crimes.series != "Public disorder and weapons"]  # the sum of two other series
    force_total = int(own[own.area_code == LEICS]["count"].sum())
    assert force_total == 294  # outside and no-LSOA rows still count for the force
    assert int(own[own.area_code == BLABY]["count"].sum()) == 150
    assert count(crimes, "Anti-social behaviour", LEICS) == 24
    assert set(crimes.month) == {date(2021, 4, 1)}


def test_police_uk_outcomes_only_for_rows_with_a_category():
    _, outcomes, summary = parse_police_uk_sample()
    assert "Anti-social behaviour" not in set(outcomes.crime_type)
    with_outcome = int(outcomes[outcomes.area_code == LEICS]["count"].sum())
    assert with_outcome == summary["rows"] - summary["no_outcome"]


def test_police_uk_district_matching_is_whole_name():
    header = (
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n"
    )
    rows = [
        ",2021-04,L,L,,,,E1,North West Leicestershire 001A,Burglary,,",
        ",2021-04,L,L,,,,E2,Leicester 001A,Burglary,,",
        ",2021-04,L,L,,,,E3,Leicestershire 001A,Burglary,,",
    ]
    crimes, _, summary = parse_police_uk(
        (header + "\n".join(rows)).encode(),
        file_name="t.csv",
        lsoa_districts={
            "Leicester": "E06000016",
            "North West Leicestershire": "E07000134",
        },
        force_code=LEICS,
    )
    assert summary["by_area"] == {"E06000016": 1, "E07000134": 1}
    assert summary["outside_districts"] == {"Leicestershire": 1}
    assert count(crimes, "Burglary", LEICS) == 3


def test_police_uk_bad_month_raises():
    header = ",".join(
        ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude"]
        + [
            "Location",
            "LSOA code",
            "LSOA name",
            "Crime type",
            "Last outcome category",
            "Context",
        ]
    )
    raw = f"{header}\n,2021-13,L,L,,,,,,Burglary,,\n".encode()
    with pytest.raises(PublicDataError) as caught:
        parse_police_uk(
            raw, file_name="t.csv", lsoa_districts=DISTRICTS, force_code=LEICS
        )
    assert (caught.value.row, caught.value.column) == (2, "Month")


@pytest.mark.skipif(not POLICE_UK_FULL, reason="shared data not present")
@pytest.mark.parametrize("path", POLICE_UK_FULL, ids=lambda p: p.name)
def test_police_uk_full_files_balance(path):
    crimes, _, summary = parse_police_uk(
        path.read_bytes(),
        file_name=path.name,
        lsoa_districts=DISTRICTS,
        force_code=LEICS,
    )
    crimes = crimes[crimes.series != "Public disorder and weapons"]  # the sum of two other series
    force_total = int(crimes[crimes.area_code == LEICS]["count"].sum())
    csp_total = int(crimes[crimes.area_code != LEICS]["count"].sum())
    outside = sum(summary["outside_districts"].values())
    assert force_total == summary["rows"]
    assert csp_total == force_total - outside - summary["no_lsoa"]
    assert set(summary["by_area"]) == set(DISTRICTS.values())
    assert len(summary["months"]) == 1
