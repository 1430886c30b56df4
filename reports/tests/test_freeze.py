"""snapshot_freeze: what a snapshot holds, refusals, corrections after a freeze, digests."""

import datetime as dt

import pytest

from reports.models import Snapshot, SnapshotObservation, SnapshotResult
from reports.services import SnapshotError, snapshot_freeze, snapshot_verify
from reports.tests.snapshot_data import LEICESTERSHIRE, demo_history, submit_and_accept
from returns.services import FORCE_SUBMITTER

MAY_2014 = dt.date(2014, 5, 31)
MAY_PERIOD = (dt.date(2014, 5, 1), dt.date(2014, 5, 31))


@pytest.fixture
def history(plan):
    return demo_history()


def test_freeze_holds_observations_and_payloads(history, make_user):
    user = make_user("coordinator", first_name="Ada", last_name="Lovelace")
    snapshot = snapshot_freeze(as_of=MAY_2014, user=user)
    assert snapshot.frozen_by_name == "Ada Lovelace"
    assert len(snapshot.digest) == 64
    assert snapshot.observation_count == SnapshotObservation.objects.filter(snapshot=snapshot).count() > 0
    keys = set(SnapshotResult.objects.filter(snapshot=snapshot).values_list("key", flat=True))
    assert {"overview", "outcomes", "narratives", "measure:all_crime", f"series:all_crime:{LEICESTERSHIRE}"} <= keys
    payload = SnapshotResult.objects.get(snapshot=snapshot, key="measure:all_crime").payload
    assert payload["trend"]["granularity"] == "month"
    assert payload["trend"]["points"][-1]["period_end"] == "2014-05-31"
    assert payload["msg"]["months"] == 12
    assert payload["status"]["sentence"].startswith("All crime: 12 months to")
    assert snapshot_verify() == []


@pytest.mark.parametrize(
    ("as_of", "message"),
    [(dt.date(2014, 5, 30), "not the last day of a month"), (dt.date(2999, 1, 31), "has not finished")],
)
def test_freeze_refuses_bad_dates(plan, as_of, message):
    with pytest.raises(SnapshotError, match=message):
        snapshot_freeze(as_of=as_of)
    assert not Snapshot.objects.exists()


def test_freeze_twice_is_refused_and_leaves_one_snapshot(history):
    snapshot_freeze(as_of=MAY_2014)
    with pytest.raises(SnapshotError, match="already frozen"):
        snapshot_freeze(as_of=MAY_2014)
    assert Snapshot.objects.count() == 1


def test_freeze_takes_only_periods_to_as_of(history):
    snapshot = snapshot_freeze(as_of=dt.date(2013, 12, 31))
    ends = SnapshotObservation.objects.filter(snapshot=snapshot).values_list("period_end", flat=True)
    assert max(ends) == dt.date(2013, 12, 31)
    assert snapshot.frozen_by_name == "system"


def test_freeze_prefers_own_area_submitter_over_public_data(history):
    _, public = history
    quarter = {"measure_code": "all_crime", "area_code": LEICESTERSHIRE, "period_start": dt.date(2014, 1, 1)}
    force_quarter = submit_and_accept(
        FORCE_SUBMITTER, [{**quarter, "period_end": dt.date(2014, 3, 31), "value": 17000.0}], period=MAY_PERIOD
    )
    snapshot = snapshot_freeze(as_of=MAY_2014)
    row = SnapshotObservation.objects.get(snapshot=snapshot, period_end=dt.date(2014, 3, 31), **quarter)
    assert (row.return_id, row.value) == (force_quarter.pk, 17000.0)
    other = SnapshotObservation.objects.get(
        snapshot=snapshot, measure_code="all_crime", area_code="E23000026", period_end=dt.date(2014, 3, 31)
    )
    assert other.return_id == public.pk


def test_correction_after_freeze_changes_only_the_next_snapshot(history):
    force, _ = history
    may = snapshot_freeze(as_of=MAY_2014)
    digest = may.digest
    before = SnapshotResult.objects.get(snapshot=may, key="measure:all_crime").payload
    # A corrected version of the force return: January 2014 all crime revised.
    rows = [
        {
            "measure_code": o.measure.code,
            "area_code": o.area.code,
            "period_start": o.period_start,
            "period_end": o.period_end,
            "value": 9999.0
            if (o.measure.code, o.area.code, o.period_start) == ("all_crime", LEICESTERSHIRE, dt.date(2014, 1, 1))
            else o.value,
            "respondents": o.respondents,
        }
        for o in force.observations.select_related("measure", "area")
    ]
    submit_and_accept(FORCE_SUBMITTER, rows)
    june = snapshot_freeze(as_of=dt.date(2014, 6, 30))

    may.refresh_from_db()
    assert may.digest == digest
    assert SnapshotResult.objects.get(snapshot=may, key="measure:all_crime").payload == before
    jan = {"measure_code": "all_crime", "area_code": LEICESTERSHIRE, "period_end": dt.date(2014, 1, 31)}
    assert SnapshotObservation.objects.get(snapshot=may, **jan).value != 9999.0
    assert SnapshotObservation.objects.get(snapshot=june, **jan).value == 9999.0
    assert snapshot_verify() == []


def _may_outcomes(theft_18: int) -> list[dict]:
    base = {"area_code": LEICESTERSHIRE, "month": dt.date(2014, 5, 1), "scheme": "home_office"}
    return [
        {**base, "crime_group": "Theft offences", "outcome_code": "1", "count": 40},
        {**base, "crime_group": "Theft offences", "outcome_code": "18", "count": theft_18},
    ]


def _outcome_counts(snapshot, month: str) -> dict:
    payload = SnapshotResult.objects.get(snapshot=snapshot, key="outcomes").payload
    return {(c["crime_group"], c["outcome_code"]): c["count"] for c in payload["counts"] if c["month"] == month}


def test_outcomes_corrected_after_freeze_reach_every_later_snapshot(history):
    """May's outcomes, corrected after the June freeze, are in July's snapshot with the new counts."""
    force, _ = history
    rows = [
        {"measure_code": o.measure.code, "area_code": o.area.code, "period_start": o.period_start,
         "period_end": o.period_end, "value": o.value, "respondents": o.respondents}
        for o in force.observations.select_related("measure", "area")
    ]  # fmt: skip
    submit_and_accept(FORCE_SUBMITTER, rows, period=MAY_PERIOD, outcomes=_may_outcomes(100))
    june = snapshot_freeze(as_of=dt.date(2014, 6, 30))
    submit_and_accept(FORCE_SUBMITTER, rows, period=MAY_PERIOD, outcomes=_may_outcomes(123))
    july = snapshot_freeze(as_of=dt.date(2014, 7, 31))
    august = snapshot_freeze(as_of=dt.date(2014, 8, 31))
    assert _outcome_counts(june, "2014-05-01")[("Theft offences", "18")] == 100
    for later in (july, august):
        assert _outcome_counts(later, "2014-05-01") == {("Theft offences", "1"): 40, ("Theft offences", "18"): 123}


def test_freeze_command(history, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("freeze_snapshot", "--as-of", "2014-05-31")
    assert "Froze data as at 31 May 2014" in capsys.readouterr().out
    for value, message in [
        ("2014-05-31", "already frozen"),
        ("2014-05-30", "not the last day"),
        ("2999-12-31", "has not finished"),
        ("31/05/2014", "not a date"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("freeze_snapshot", "--as-of", value)


def test_freeze_stores_text_with_escapes_exactly_and_verifies(history):
    """Payload JSON is written as text (COPY on PostgreSQL): backslashes, tabs, newlines, quotes and
    non-ASCII characters come back unchanged, and the digest recomputed from the stored rows matches."""
    from priorities.models import Measure
    from reports.models import Annotation

    tricky = 'C:\\path\\n "quoted"\ttab\nnew line\r\\t é – ✓'
    Annotation.objects.create(measure=Measure.objects.get(code="all_crime"), date=dt.date(2013, 3, 1), label=tricky)
    snapshot = snapshot_freeze(as_of=MAY_2014)
    payload = SnapshotResult.objects.get(snapshot=snapshot, key="measure:all_crime").payload
    assert [a["label"] for a in payload["annotations"]] == [tricky]
    assert snapshot_verify() == []
