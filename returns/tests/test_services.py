"""Services: dense versions, acceptance supersedes, one current, all-or-nothing, upload validation."""

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from returns import preview, selectors
from returns.models import AuditEvent, Observation, OutcomeAudit, Return, ReturnStatus, Submitter
from returns.periods import add_months, month_bounds
from returns.reference import period_for
from returns.services import (
    OutcomeAuditError,
    ReturnConflict,
    outcome_audit_create,
    return_accept,
    return_files_orphans_remove,
    return_reject,
    return_submit,
    return_upload,
)
from returns.tests.leicestershire import FORCE_SUBMITTER

UPLOADS = Path(__file__).parent / "fixtures" / "uploads"
START, END = date(2014, 4, 1), date(2014, 6, 30)

pytestmark = pytest.mark.django_db


@pytest.fixture
def force(plan):
    return Submitter.objects.get(code=FORCE_SUBMITTER)


def _rows(value: float = 10.0, measure: str = "all_crime") -> pd.DataFrame:
    return pd.DataFrame(
        [{"measure_code": measure, "area_code": "E23000021", "period_start": START, "period_end": END, "value": value}]
    )


def _submit(force, value: float = 10.0) -> Return:
    return return_submit(
        submitter=force,
        period=period_for(start=START, end=END),
        rows=_rows(value),
        raw=b"x%f" % value,
        original_name="r.csv",
    )


def test_return_submit_versions_are_dense(force):
    versions = [_submit(force, v).version for v in range(1, 5)]
    assert versions == [1, 2, 3, 4]


def test_return_accept_supersedes_earlier_current(force):
    v1, v2 = _submit(force, 1), _submit(force, 2)
    return_accept(ret=v1)
    return_accept(ret=v2)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v1.is_current) == (ReturnStatus.SUPERSEDED, False)
    assert (v2.status, v2.is_current) == (ReturnStatus.ACCEPTED, True)
    assert Return.objects.filter(is_current=True).count() == 1
    assert AuditEvent.objects.filter(action="accept").count() == 2


def test_one_current_is_a_database_constraint(force):
    v1, v2 = _submit(force, 1), _submit(force, 2)
    return_accept(ret=v1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Return.objects.filter(pk=v2.pk).update(status=ReturnStatus.ACCEPTED, is_current=True)


def test_return_accept_rejected_version_conflicts(force):
    ret = _submit(force)
    return_reject(ret=ret, reason="wrong totals")
    with pytest.raises(ReturnConflict):
        return_accept(ret=ret)


def test_return_submit_failing_row_leaves_nothing(force):
    rows = pd.concat([_rows(1), _rows(2, measure="no_such_measure")], ignore_index=True)
    with pytest.raises(ValueError):
        return_submit(
            submitter=force, period=period_for(start=START, end=END), rows=rows, raw=b"x", original_name="r.csv"
        )
    assert Return.objects.count() == 0 and Observation.objects.count() == 0


def test_return_submit_database_check_rolls_back_everything(force):
    rows = _rows(1)
    rows["numerator"] = 5.0
    rows["denominator"] = 2.0  # numerator above denominator: the DB CHECK fails mid-insert
    with pytest.raises(IntegrityError):
        return_submit(
            submitter=force, period=period_for(start=START, end=END), rows=rows, raw=b"x", original_name="r.csv"
        )
    assert Return.objects.count() == 0 and Observation.objects.count() == 0


def test_return_upload_with_bad_row_writes_only_failure_audit(force):
    raw = (UPLOADS / "negative.csv").read_bytes()
    outcome = return_upload(submitter=force, start=START, end=END, raw=raw, file_name="negative.csv")
    assert outcome.ret is None
    assert Return.objects.count() == 0 and Observation.objects.count() == 0
    details = AuditEvent.objects.get(action="upload_failed").details
    assert any(p["column"] == "value" and "must not be negative" in p["message"] for p in details["problems"])


def test_return_upload_valid_stores_with_warnings(force):
    outcome = return_upload(
        submitter=force, start=START, end=END, raw=(UPLOADS / "valid.csv").read_bytes(), file_name="valid.csv"
    )
    assert outcome.ret.row_count == 5
    # The force's quarterly data set has six measures; valid.csv holds only two of them.
    assert outcome.ret.warnings and all(w["severity"] == "warning" for w in outcome.ret.warnings)


def test_return_upload_accept_makes_it_current(force):
    outcome = return_upload(
        submitter=force,
        start=START,
        end=END,
        raw=(UPLOADS / "valid.csv").read_bytes(),
        file_name="valid.csv",
        accept=True,
    )
    assert outcome.ret.is_current and outcome.ret.status == ReturnStatus.ACCEPTED


def test_return_upload_rejects_non_period(force):
    with pytest.raises(ValueError):
        return_upload(submitter=force, start=START, end=date(2014, 5, 31), raw=b"", file_name="r.csv")


def test_upload_context_survey_measures_need_respondents(force):
    ctx = selectors.upload_context(submitter=force, start=START, end=END, file_name="r.csv")
    assert ctx.measures["victim_satisfaction"].needs_respondents
    assert not ctx.measures["all_crime"].needs_respondents
    assert ("victim_satisfaction", "E23000021") in ctx.allowed
    assert ("victim_satisfaction", "E23000021", START, END) in ctx.expected
    assert not any(m == "all_crime" for m, *_ in ctx.expected)  # monthly, not in a quarter's expected rows


def test_return_diff_new_changed_unchanged(force):
    v1 = _submit(force, 10)
    return_accept(ret=v1)
    period = period_for(start=START, end=END)
    rows = pd.concat([_rows(12), _rows(5, measure="burglary_dwelling")], ignore_index=True)
    v2 = return_submit(submitter=force, period=period, rows=rows, raw=b"v2", original_name="r.csv")
    diff = preview.return_diff(v2)
    assert (diff.new, diff.changed, diff.unchanged, diff.removed) == (1, 1, 0, 0)
    changed = next(r for r in diff.rows if r.state == "changed")
    assert [(c.figure, c.before, c.after) for c in changed.changes] == [("value", 10.0, 12.0)]
    v3 = return_submit(submitter=force, period=period, rows=_rows(10), raw=b"v3", original_name="r.csv")
    diff3 = preview.return_diff(v3)
    assert (diff3.new, diff3.changed, diff3.unchanged) == (0, 0, 1)


def _tracker_state(cells, code, start):
    return next(c for c in cells if c.submitter.code == code and c.start == start and c.kind == "month")


def test_tracker_states_including_late(force):
    today = timezone.localdate()
    accepted_month = month_bounds(add_months(today, -3))
    late_month = month_bounds(add_months(today, -2))
    submitted_month = month_bounds(today)
    ret = return_submit(
        submitter=force,
        period=period_for(start=accepted_month[0], end=accepted_month[1]),
        rows=_rows(1).iloc[0:0],
        raw=b"a",
        original_name="a.csv",
    )
    return_accept(ret=ret)
    return_submit(
        submitter=force,
        period=period_for(start=submitted_month[0], end=submitted_month[1]),
        rows=_rows(1).iloc[0:0],
        raw=b"b",
        original_name="b.csv",
    )
    late_submitted = return_submit(
        submitter=force,
        period=period_for(start=late_month[0], end=late_month[1]),
        rows=_rows(1).iloc[0:0],
        raw=b"c",
        original_name="c.csv",
    )
    cells = selectors.tracker(as_at=today)["cells"]
    assert _tracker_state(cells, FORCE_SUBMITTER, accepted_month[0]).state == "accepted"
    late = _tracker_state(cells, FORCE_SUBMITTER, late_month[0])
    assert (late.state, late.late, late.latest) == ("awaiting_decision", True, late_submitted)
    on_time = _tracker_state(cells, FORCE_SUBMITTER, submitted_month[0])
    assert (on_time.state, on_time.late) == ("awaiting_decision", False)
    missing = _tracker_state(cells, FORCE_SUBMITTER, month_bounds(add_months(today, -1))[0])
    assert (missing.state, missing.late) == ("missing", True)
    # As at the day after a month ended, a month with nothing received is not yet due, not missing.
    missing_month = month_bounds(add_months(today, -1))
    before_due = selectors.tracker(as_at=missing_month[1] + timedelta(days=1))["cells"]
    assert _tracker_state(before_due, FORCE_SUBMITTER, missing_month[0]).state == "not_due"
    # The state filter and its groupings.
    late_only = selectors.tracker(as_at=today, submitter_code=FORCE_SUBMITTER, state="late")["cells"]
    assert all(c.late for c in late_only) and late in late_only
    submitted = selectors.tracker(as_at=today, submitter_code=FORCE_SUBMITTER, state="submitted")["cells"]
    assert {c.state for c in submitted} == {"accepted", "awaiting_decision"}
    # CSPs report quarterly only: never a monthly row for them.
    assert not any(c.submitter.code.startswith("csp-") and c.kind == "month" for c in cells)
    assert not any(c.submitter.code == "public-data" for c in cells)


def test_tracker_not_due_and_rejected(force):
    today = timezone.localdate()
    this_month = month_bounds(today)[0]
    cells = selectors.tracker(as_at=today)["cells"]
    assert _tracker_state(cells, FORCE_SUBMITTER, this_month).state == "not_due"
    ret = return_submit(
        submitter=force,
        period=period_for(start=this_month, end=month_bounds(today)[1]),
        rows=_rows(1).iloc[0:0],
        raw=b"r",
        original_name="r.csv",
    )
    return_reject(ret=ret, reason="no")
    cells = selectors.tracker(as_at=today)["cells"]
    assert _tracker_state(cells, FORCE_SUBMITTER, this_month).state == "rejected"
    earlier = _tracker_state(cells, FORCE_SUBMITTER, month_bounds(add_months(today, -4))[0])
    assert (earlier.state, earlier.late) == ("missing", True)


def test_outcome_audit_create_validates(plan):
    from priorities.models import Area

    area = Area.objects.get(code="E23000021")
    with pytest.raises(OutcomeAuditError):
        outcome_audit_create(area=area, month=date(2014, 5, 1), crime_group="Violence", sampled=5, correct=6)
    audit = outcome_audit_create(area=area, month=date(2014, 5, 17), crime_group="Violence", sampled=5, correct=4)
    assert audit.month == date(2014, 5, 1) and OutcomeAudit.objects.count() == 1
    assert AuditEvent.objects.filter(action="outcome_audit").exists()


def test_return_submit_stores_float_respondents_as_whole_numbers(force):
    """Respondents arriving as floats (e.g. from a pandas frame with gaps) store as integers."""
    rows = pd.DataFrame(
        [
            {"measure_code": "victim_satisfaction", "area_code": "E23000021", "period_start": START,
             "period_end": END, "value": 85.5, "numerator": 379.0, "denominator": 443.0, "respondents": 443.0},
        ]
    )  # fmt: skip
    ret = return_submit(
        submitter=force, period=period_for(start=START, end=END), rows=rows, raw=b"survey", original_name="s.csv"
    )
    assert list(ret.observations.values_list("respondents", flat=True)) == [443]


@pytest.mark.parametrize("value", [0.1, 1 / 3, 12349.0, 1e-7, 123456789012.345, 2.5e15, 0.0])
def test_return_submit_stores_each_value_exactly(force, value):
    """The bulk path writes numbers as text (COPY on PostgreSQL): what is read back is the same float."""
    ret = _submit(force, value)
    assert list(ret.observations.values_list("value", flat=True)) == [value]


def test_orphan_cleanup_deletes_only_unnamed_stored_files(force, settings, tmp_path):
    settings.RETURN_FILES_DIR = tmp_path
    kept = _submit(force)
    orphan = tmp_path / ("0" * 32 + ".bin")
    orphan.write_bytes(b"left by a killed upload")
    (tmp_path / "notes.txt").write_text("not ours")
    assert return_files_orphans_remove(older_than=timedelta(hours=1)) == []  # too young
    assert return_files_orphans_remove(older_than=timedelta(0)) == [orphan.name]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([kept.stored_name, "notes.txt"])


def test_failed_submit_writes_no_file(force, settings, tmp_path):
    settings.RETURN_FILES_DIR = tmp_path
    bad = pd.concat([_rows(), _rows()], ignore_index=True)  # the same row twice breaks a unique constraint
    with pytest.raises(IntegrityError):
        return_submit(
            submitter=force, period=period_for(start=START, end=END), rows=bad, raw=b"x", original_name="r.csv"
        )
    assert list(tmp_path.iterdir()) == []


def test_working_date_follows_the_latest_period_a_force_or_csp_sent_even_beside_public_data(force, settings):
    from returns.periods import due_date
    from returns.reference import PUBLIC_SUBMITTER

    assert selectors.working_date(today=date(2026, 11, 29)) == date(2026, 11, 29)  # no returns: today
    quarter = period_for(start=date(2014, 1, 1), end=date(2014, 3, 31))
    for submitter in (Submitter.objects.get(code=PUBLIC_SUBMITTER), force):
        return_submit(submitter=submitter, period=quarter, rows=_rows(1).iloc[0:0], raw=b"q", original_name="q.csv")
    april_due = due_date(date(2014, 4, 30), settings.RETURN_DUE_WORKING_DAYS)
    assert selectors.working_date(today=date(2026, 11, 29)) == april_due
    # A live office (returns this month) works as at today.
    assert selectors.working_date(today=date(2014, 4, 3)) == date(2014, 4, 3)
