"""Reference and population files: every figure is a number in its own cell, never read out of words."""

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from priorities.models import Area, Population
from priorities.reference import REFERENCE_DIR, PopulationFileError, reference_import
from reports.analysis.msg import choose_population

pytestmark = pytest.mark.django_db
LEICS, LEICESTER, RUTLAND, BLABY = "E23000021", "E22000168", "E22000172", "E22000164"  # CSPs by their E22 codes


def _population(code: str, mid_year: int) -> int | None:
    row = Population.objects.filter(area__code=code, mid_year=mid_year).first()
    return row.population if row else None


def _reference_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, folder)
    return folder


def test_a_note_holding_digits_is_never_a_population():
    """Rutland's note says 'approximately 37700 in mid-2014': no mid-2014 figure, and never 377,002."""
    call_command("import_reference")
    assert _population(RUTLAND, 2014) is None
    assert _population(LEICESTER, 2014) is None
    assert not Population.objects.filter(population__in=[377002, 37700, 337700]).exists()
    # the real ONS figures now in the reference data
    assert _population(BLABY, 2014) == 95900
    assert _population(RUTLAND, 2019) == 39927  # csp_population_mid2019.csv, CSP E22000172
    assert _population(LEICS, 2002) == 934700
    assert _population(LEICS, 2014) == 1043400
    assert _population(LEICS, 2018) == 1093200


def test_force_populations_cover_mid_2002_to_mid_2018_for_every_force():
    reference_import()
    years = set(Population.objects.filter(area__code=LEICS).values_list("mid_year", flat=True))
    assert years == set(range(2002, 2019))
    assert Population.objects.filter(area__kind="force", mid_year=2010).count() == 43


def test_a_word_in_a_population_cell_is_refused_naming_file_row_column_and_fix(tmp_path):
    folder = _reference_copy(tmp_path)
    path = folder / "community_safety_partnerships.csv"
    text = path.read_text().replace(
        "E06000017,Rutland,unitary authority,E23000021,,",
        "E06000017,Rutland,unitary authority,E23000021,approximately 37700,",
    )
    path.write_text(text)
    with pytest.raises(PopulationFileError) as refused:
        reference_import(directory=folder)
    message = str(refused.value)
    assert "community_safety_partnerships.csv, row 3, column population_mid_2014" in message
    assert "'approximately 37700' is not a population" in message
    assert "digits only" in message
    assert not Area.objects.exists() and not Population.objects.exists()


def test_the_command_refuses_and_writes_nothing(tmp_path, settings, monkeypatch):
    folder = _reference_copy(tmp_path)
    path = folder / "pfa_population_mid2002_to_mid2016.csv"
    path.write_text(path.read_text().replace("E23000021,2010,", "E23000021,2010,c. ", 1))
    monkeypatch.setattr("priorities.reference.REFERENCE_DIR", folder)
    with pytest.raises(CommandError) as refused:
        call_command("import_reference")
    assert "pfa_population_mid2002_to_mid2016.csv, row" in str(refused.value)
    assert "column population" in str(refused.value) and "Nothing was imported" in str(refused.value)
    assert not Population.objects.exists()


def test_two_reference_files_disagreeing_on_one_mid_year_are_refused(tmp_path):
    folder = _reference_copy(tmp_path)
    path = folder / "police_force_area_populations.csv"
    lines = path.read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("E23000021,2016,"))
    lines[row] = "E23000021,2016,1"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(PopulationFileError, match=r"E23000021 mid-2016 is 1 here but 1,068,900 in pfa_population"):
        reference_import(directory=folder)
    assert not Population.objects.exists()


def test_the_same_area_and_mid_year_twice_in_one_file_is_refused_naming_both_rows(tmp_path):
    reference_import()
    before = list(Population.objects.order_by("pk").values_list("area__code", "mid_year", "population"))
    pops = tmp_path / "pops.csv"
    pops.write_text(
        "area_code,mid_year,population\nE23000021,2019,1100000\nE23000019,2019,1150000\nE23000021,2019,1200000\n"
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_populations", str(pops))
    assert "pops.csv, rows 2 and 4: E23000021 mid-2019 appears twice" in str(refused.value)
    assert "Nothing was imported" in str(refused.value)
    assert list(Population.objects.order_by("pk").values_list("area__code", "mid_year", "population")) == before


def test_a_note_column_in_a_population_file_is_never_read(tmp_path):
    reference_import()
    pops = tmp_path / "pops.csv"
    pops.write_text(
        'area_code,mid_year,population,note\nE06000017,2020,,about 40000 (2020)\nE06000016,2020,"357,000",\n'
    )
    with pytest.raises(CommandError, match="pops.csv, row 2, column population: blank"):
        call_command("import_populations", str(pops))
    assert _population(RUTLAND, 2020) is None and _population(LEICESTER, 2020) is None


@pytest.mark.parametrize(
    ("period_end", "force_mid_year", "force_population"),
    [(date(2010, 6, 30), 2009, 999400), (date(2014, 3, 31), 2012, 1025300), (date(2015, 3, 31), 2013, 1033300)],
)
def test_the_2010_to_2015_demo_periods_resolve_a_population_for_every_area(
    period_end, force_mid_year, force_population
):
    """README: the latest mid-year published by the period end (mid-year + 12 months), else the earliest held."""
    reference_import()
    frame = pd.DataFrame(
        list(Population.objects.values_list("area__code", "mid_year", "population")),
        columns=["area_code", "mid_year", "population"],
    )
    chosen = choose_population(frame, period_end=period_end).set_index("area_code")
    leicestershire = [LEICS, *Area.objects.filter(parent__code=LEICS).values_list("code", flat=True)]
    assert set(leicestershire) <= set(chosen.index)
    assert (chosen.loc[LEICS, "population_mid_year"], chosen.loc[LEICS, "population"]) == (
        force_mid_year,
        force_population,
    )
    assert (chosen.loc[BLABY, "population_mid_year"], chosen.loc[BLABY, "population"]) == (2014, 95900)
    assert (chosen.loc[RUTLAND, "population_mid_year"], chosen.loc[RUTLAND, "population"]) == (2019, 39927)
