"""Database constraints for what must never happen in the plan and reference data."""

import pytest
from django.db import IntegrityError, transaction

from priorities.models import Area, Measure, PeerGroup, PeerGroupMember, Population, Priority, Theme


@pytest.fixture
def theme(db):
    return Theme.objects.create(number=1, title="Reducing Offending and Re-offending")


def test_priority_number_twice_in_plan_rejected(theme):
    Priority.objects.create(number=1, theme=theme, title="One")
    with pytest.raises(IntegrityError), transaction.atomic():
        Priority.objects.create(number=1, theme=theme, title="Another one")


def test_priority_number_zero_rejected(theme):
    with pytest.raises(IntegrityError), transaction.atomic():
        Priority.objects.create(number=0, theme=theme, title="Zero")


def test_measure_code_duplicate_rejected(db):
    fields = dict(title="x", definition="x", unit="count", direction="down", frequency="monthly")
    Measure.objects.create(code="all_crime", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Measure.objects.create(code="all_crime", **fields)


def test_under_reported_measure_with_direction_rejected(db):
    """An under-reported measure has no good direction, enforced by the database."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Measure.objects.create(
            code="hate",
            title="Hate crime",
            definition="x",
            unit="count",
            direction="down",
            frequency="monthly",
            under_reported=True,
        )


def test_area_code_must_be_gss(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.create(code="LEICS", name="Leicestershire", kind="force")


def test_population_twice_for_same_year_rejected(db):
    area = Area.objects.create(code="E23000021", name="Leicestershire", kind="force")
    Population.objects.create(area=area, mid_year=2016, population=1_050_000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Population.objects.create(area=area, mid_year=2016, population=1_060_000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Population.objects.create(area=area, mid_year=2017, population=0)


def test_peer_group_membership_dates_must_be_ordered(db):
    area = Area.objects.create(code="E23000021", name="Leicestershire", kind="force")
    group = PeerGroup.objects.create(name="MSG", focus_area=area)
    from datetime import date

    with pytest.raises(IntegrityError), transaction.atomic():
        PeerGroupMember.objects.create(group=group, area=area, valid_from=date(2015, 1, 1), valid_to=date(2014, 1, 1))
