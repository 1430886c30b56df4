"""A snapshot is one version: one consistent read, a digest over everything it froze,
and answers computed later only from what it froze."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.db.models import F

from priorities.models import Area, Measure, PeerGroupMember, Population
from reports import freeze
from reports.models import SnapshotObservation, SnapshotResult
from reports.services import annotation_add, snapshot_freeze, snapshot_publish, snapshot_verify
from reports.tests.snapshot_data import BLABY, LEICESTERSHIRE, demo_history, submit_and_accept
from returns.models import Return, Submitter
from returns.reference import period_for
from returns.services import outcome_audit_create, return_submit

MAY_2014 = dt.date(2014, 5, 31)
Q4 = (dt.date(2014, 1, 1), dt.date(2014, 3, 31))


def _blaby_row(value: float) -> list[dict]:
    return [
        {"measure_code": "youth_first_time_entrants", "area_code": BLABY, "period_start": Q4[0],
         "period_end": Q4[1], "value": value}
    ]  # fmt: skip


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_freeze_racing_an_acceptance_holds_one_version(plan, monkeypatch):
    """Version 2 of a return is accepted after the freeze copied the figures and before it read the
    narratives: the snapshot holds version 1's figures and words, and verifies."""
    if connection.vendor != "postgresql":
        pytest.skip("a race needs PostgreSQL (a TransactionTestCase on SQLite cannot flush frozen rows)")
    submit_and_accept("csp-blaby", _blaby_row(5), period=Q4, narrative={10: "Version 1 words."})
    import pandas as pd

    frame = pd.DataFrame(_blaby_row(9)).assign(numerator=None, denominator=None, respondents=None, comment="")
    second = return_submit(submitter=Submitter.objects.get(code="csp-blaby"), period=period_for(start=Q4[0], end=Q4[1]),
                           rows=frame, raw=b"v2", original_name="v2.csv", narrative={10: "Version 2 words."})  # fmt: skip
    copied, accepted, errors = threading.Event(), threading.Event(), []
    original = freeze.observations_frame

    def pause_after_copy(snapshot_id):
        frame = original(snapshot_id)
        copied.set()
        assert accepted.wait(timeout=60)
        return frame

    def accept():
        from returns.services import return_accept

        try:
            assert copied.wait(timeout=60)
            return_accept(ret=Return.objects.get(pk=second.pk))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()
            accepted.set()

    monkeypatch.setattr(freeze, "observations_frame", pause_after_copy)
    thread = threading.Thread(target=accept)
    thread.start()
    snapshot = snapshot_freeze(as_of=MAY_2014)
    thread.join()
    assert errors == []
    assert Return.objects.get(pk=second.pk).is_current  # the acceptance went through meanwhile
    value = SnapshotObservation.objects.get(snapshot=snapshot, area_code=BLABY).value
    words = [i["text"] for i in SnapshotResult.objects.get(snapshot=snapshot, key="narratives").payload["items"]]
    assert (value, words) == (5.0, ["Version 1 words."])
    assert snapshot_verify() == []


def _payload_text(snapshot, key) -> str:
    return freeze.canonical_json(SnapshotResult.objects.get(snapshot=snapshot, key=key).payload)


def _tamper(snapshot, key: str, old: str, new: str) -> None:
    """Rewrite one stored payload with the trigger lifted inside the test's transaction (rolled back)."""
    row = SnapshotResult.objects.get(snapshot=snapshot, key=key)
    text = freeze.canonical_json(row.payload).replace(old, new)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("DROP TRIGGER reports_snapshotresult_immutable ON reports_snapshotresult")
        else:
            cursor.execute("DROP TRIGGER reports_snapshotresult_no_update")
        cursor.execute("UPDATE reports_snapshotresult SET payload = %s WHERE id = %s", [text, row.pk])


@pytest.mark.parametrize(
    ("key", "frozen_text", "changed_text"),
    [
        ("narratives", "Words on SP10.", "Other words."),
        ("outcomes", "Dip sample note.", "Other note."),
        ("measure:all_crime", "Recording change", "Other change"),
        ("reference", '["E23000021",2016,1068900]', '["E23000021",2016,1068901]'),  # a population estimate
    ],
)
def test_digest_covers_everything_frozen(plan, key, frozen_text, changed_text):
    demo_history()
    submit_and_accept("csp-blaby", _blaby_row(5), period=Q4, narrative={10: "Words on SP10."})
    outcome_audit_create(area=Area.objects.get(code=LEICESTERSHIRE), month=dt.date(2014, 4, 1),
                         crime_group="Burglary", sampled=20, correct=18, note="Dip sample note.")  # fmt: skip
    annotation_add(measure=Measure.objects.get(code="all_crime"), date=dt.date(2013, 4, 1), label="Recording change")
    snapshot = snapshot_freeze(as_of=MAY_2014)
    assert frozen_text in _payload_text(snapshot, key)
    assert snapshot_verify() == []
    _tamper(snapshot, key, frozen_text, changed_text)
    assert [m["as_of"] for m in snapshot_verify()] == [MAY_2014.isoformat()]


def test_msg_window_not_stored_at_freeze_is_answered_from_the_frozen_reference(plan, client):
    """New population estimates and a changed peer group leave a snapshot's answer as it was."""
    demo_history()
    snapshot = snapshot_freeze(as_of=MAY_2014)
    snapshot_publish(snapshot=snapshot)
    url = f"/api/v1/snapshots/{MAY_2014}/measures/all_crime/msg?period_end=2013-12-31&months=6"
    assert not SnapshotResult.objects.filter(snapshot=snapshot, key="msg:all_crime:2013-12-31:6").exists()
    before = client.get(url)
    assert before.status_code == 200, before.content
    assert len(before.json()["members"]) == 8
    Population.objects.update(population=F("population") * 2)
    PeerGroupMember.objects.filter(area__code="E23000026").update(valid_to=dt.date(2012, 1, 1))
    Area.objects.filter(code="E23000028").update(name="Renamed force")
    after = client.get(url)
    assert after.json() == before.json()
