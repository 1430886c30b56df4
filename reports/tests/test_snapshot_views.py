"""Snapshot pages: list, freeze, publish, select, commentary and annotations; permissions; query counts."""

import datetime as dt
import re

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from priorities.models import Measure
from reports.models import Annotation, Commentary, Snapshot, SnapshotPublication
from reports.services import annotation_add, snapshot_freeze, snapshot_publish
from reports.tests.snapshot_data import LEICESTERSHIRE, demo_history, month_rows, submit_and_accept
from returns.models import Submitter
from returns.reference import period_for
from returns.services import return_submit
from returns.tests.leicestershire import FORCE_SUBMITTER

MAY = dt.date(2014, 5, 31)


def _words(html: str) -> str:
    """The page's text with tags dropped and white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def frozen(plan):
    demo_history()
    return snapshot_freeze(as_of=MAY)


def test_snapshot_list_shows_snapshots_and_freeze_form(client_for, frozen, django_assert_max_num_queries):
    client = client_for("coordinator")
    with django_assert_max_num_queries(15):
        response = client.get(reverse("snapshot_list"))
    assert response.status_code == 200
    assert "31 May 2014" in response.text and frozen.digest[:16] in response.text
    assert "Freeze this month" in response.text and "Publish" in response.text
    assert 'value="2014-05-31"' not in response.text.split("Frozen snapshots")[0]  # already frozen: not offered


def test_snapshot_list_permissions(client, client_for, frozen):
    url = reverse("snapshot_list")
    assert client.get(url).status_code == 302
    assert client_for(None).get(url).status_code == 403
    panel = client_for("panel").get(url)
    assert panel.status_code == 200 and "Freeze this month" not in panel.text and "Not published" in panel.text


def test_freeze_from_page_and_refusals(client_for, plan):
    demo_history()
    client = client_for("coordinator", first_name="Grace", last_name="Hopper")
    response = client.post(reverse("snapshot_freeze"), {"as_of": "2014-05-31", "confirm": "yes"}, follow=True)
    assert "Froze data as at 31 May 2014" in response.text
    assert Snapshot.objects.get().frozen_by_name == "Grace Hopper"
    # Refusals come before the confirmation page, and again if a confirmation is replayed.
    for confirm in ("", "yes"):
        again = client.post(reverse("snapshot_freeze"), {"as_of": "2014-05-31", "confirm": confirm}, follow=True)
        assert "already frozen" in again.text and "Freeze data as at 31 May 2014?" not in again.text
        bad = client.post(reverse("snapshot_freeze"), {"as_of": "2014-05-30", "confirm": confirm}, follow=True)
        assert "not the last day of a month" in bad.text
    assert Snapshot.objects.count() == 1


def test_freeze_asks_for_confirmation_saying_what_will_happen(client_for, plan):
    demo_history()  # the force's monthly figures to May 2014, public quarterly figures to March 2014
    frame = pd.DataFrame(
        [("youth_first_time_entrants", "E22000165", dt.date(2014, 4, 1), dt.date(2014, 6, 30), 9.0)],
        columns=["measure_code", "area_code", "period_start", "period_end", "value"],
    ).assign(numerator=None, denominator=None, respondents=None, comment="")
    q1 = period_for(start=dt.date(2014, 4, 1), end=dt.date(2014, 6, 30))
    charnwood = Submitter.objects.get(code="csp-charnwood")
    return_submit(submitter=charnwood, period=q1, rows=frame, raw=b"x", original_name="c.csv")
    client = client_for("coordinator")
    response = client.post(reverse("snapshot_freeze"), {"as_of": "2014-05-31"})
    assert response.status_code == 200 and not Snapshot.objects.exists()
    text = _words(response.text)
    assert "Freeze data as at 31 May 2014?" in text
    assert "Accepted returns included 2, of which 1 for periods ending in May 2014" in text
    assert "A frozen snapshot cannot be changed or undone" in text
    # Charnwood's return, awaiting a decision, covers a quarter ending after 31 May: not in this snapshot.
    assert "Returns awaiting a decision None" in text
    assert 'name="confirm" value="yes"' in response.text and 'href="/snapshots/">Cancel' in response.text
    june = _words(client.post(reverse("snapshot_freeze"), {"as_of": "2014-06-30"}).text)
    assert "1, left out: only accepted figures are frozen" in june
    assert "2, of which 0 for periods ending in June 2014" in june


def test_freeze_form_offers_month_ends_within_the_data_newest_first(client_for, plan):
    # The force's monthly figures, January 2012 to May 2014, in its return for May 2014.
    rows = month_rows("all_crime", LEICESTERSHIRE, dt.date(2012, 1, 1), [500.0] * 29)
    submit_and_accept(FORCE_SUBMITTER, rows, period=(dt.date(2014, 5, 1), dt.date(2014, 5, 31)))
    snapshot_freeze(as_of=dt.date(2014, 4, 30))
    response = client_for("coordinator").get(reverse("snapshot_list"))
    form = response.text.split("Frozen snapshots")[0]
    offered = re.findall(r'<option value="(\d{4}-\d{2}-\d{2})"', form)
    # Newest first: June (the month before the working date, when May's return is due: its meetings
    # come next), the data's last month, then back to its first; never April (frozen) nor the future.
    assert offered[:4] == ["2014-06-30", "2014-05-31", "2014-03-31", "2014-02-28"]
    assert offered[-1] == "2012-01-31" and len(offered) == 29  # 30 month ends, one frozen
    assert offered == sorted(offered, reverse=True)


def test_freeze_form_offers_nothing_without_accepted_data(client_for, plan):
    response = client_for("coordinator").get(reverse("snapshot_list"))
    assert "<option" not in response.text and "No month can be frozen" in response.text


def test_freeze_and_publish_need_the_coordinator(client, client_for, frozen):
    assert client.post(reverse("snapshot_freeze"), {"as_of": "2014-04-30"}).status_code == 302
    panel = client_for("panel")
    assert panel.post(reverse("snapshot_freeze"), {"as_of": "2014-04-30", "confirm": "yes"}).status_code == 403
    assert panel.post(reverse("snapshot_publish", args=["2014-05-31"]), {"confirm": "yes"}).status_code == 403
    assert panel.get(reverse("snapshot_freeze")).status_code == 405
    assert Snapshot.objects.count() == 1 and not SnapshotPublication.objects.exists()


def test_publish_asks_for_confirmation_then_publishes(client_for, frozen):
    client = client_for("coordinator")
    asked = client.post(reverse("snapshot_publish", args=["2014-05-31"]))
    assert asked.status_code == 200 and not SnapshotPublication.objects.exists()
    text = _words(asked.text)
    assert "Publish data as at 31 May 2014?" in text
    assert "Publication cannot be undone" in text and "anyone, without signing in" in text
    assert f"{Measure.objects.filter(restricted=True).count()} restricted measure" in text
    response = client.post(reverse("snapshot_publish", args=["2014-05-31"]), {"confirm": "yes"}, follow=True)
    assert "Published data as at 31 May 2014" in response.text
    assert SnapshotPublication.objects.filter(snapshot=frozen).exists()
    again = client.post(reverse("snapshot_publish", args=["2014-05-31"]), follow=True)
    assert "already published" in again.text


def test_freeze_and_publish_are_in_the_audit_log_with_a_filter_each(client_for, plan):
    demo_history()
    client = client_for("coordinator", first_name="Grace", last_name="Hopper")
    client.post(reverse("snapshot_freeze"), {"as_of": "2014-05-31", "confirm": "yes"})
    client.post(reverse("snapshot_publish", args=["2014-05-31"]), {"confirm": "yes"})
    snapshot = Snapshot.objects.get()
    log = client.get(reverse("audit_log"))
    assert '<option value="snapshot_freeze"' in log.text and '<option value="snapshot_publish"' in log.text
    frozen = _words(client.get(reverse("audit_log"), {"action": "snapshot_freeze"}).text)
    assert f"Froze data as at 31 May 2014: {snapshot.observation_count:,} figures" in frozen
    assert "Published data" not in frozen
    published = _words(client.get(reverse("audit_log"), {"action": "snapshot_publish"}).text)
    assert "Snapshot published" in published and "Published data as at 31 May 2014" in published


def test_selector_redirects_to_the_chosen_snapshot(client, client_for, frozen):
    url = reverse("snapshot_select") + "?target=snapshot_overview&as_of=2014-05-31"
    response = client_for("panel").get(url)
    assert response.status_code == 302 and response["Location"] == "/snapshots/2014-05-31/"
    assert client_for("panel").get(reverse("snapshot_select") + "?target=nope&as_of=2014-05-31").status_code == 404


def test_public_sees_only_published_snapshots(client, frozen):
    url = reverse("snapshot_select") + "?target=snapshot_overview&as_of=2014-05-31"
    assert client.get(url).status_code == 404
    snapshot_publish(snapshot=frozen)
    assert client.get(url).status_code == 302


def test_commentary_on_measure_and_theme(client_for, frozen, django_assert_max_num_queries):
    client = client_for("coordinator")
    url = reverse("commentary_measure", args=["2014-05-31", "all_crime"])
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200
    response = client.post(url, {"text": "Shoplifting drove the rise."}, follow=True)
    assert "Context saved" in response.text and "Data as at 31 May 2014" in response.text
    client.post(url, {"text": "Edited: shoplifting."})
    assert Commentary.objects.get(snapshot=frozen, measure__code="all_crime").text == "Edited: shoplifting."
    theme_url = reverse("commentary_theme", args=["2014-05-31", 3])
    client.post(theme_url, {"text": "Safer communities context."})
    from reports.selectors import commentary_for

    assert commentary_for(frozen, theme_number=3).text == "Safer communities context."
    assert commentary_for(frozen, measure_code="all_crime").text == "Edited: shoplifting."


def test_commentary_permissions(client, client_for, frozen):
    url = reverse("commentary_measure", args=["2014-05-31", "all_crime"])
    assert client.get(url).status_code == 302
    assert client_for("panel").get(url).status_code == 403
    assert client_for("panel").post(url, {"text": "x"}).status_code == 403
    assert not Commentary.objects.exists()


def test_annotations_add_and_recalculate_limits_at_the_next_freeze(client_for, frozen):
    client = client_for("coordinator")
    url = reverse("annotation_list", args=["all_crime"])
    assert client.get(url).status_code == 200
    fields = {"date": "2013-04-01", "label": "New recording standard", "text": "", "area": "", "recalculate_limits": "on"}
    # Limits restart only at a dated, explained change.
    response = client.post(url, fields)
    assert "Say what changed on this date" in response.text
    assert not Annotation.objects.exists()
    response = client.post(url, {**fields, "text": "Crime recording audit."}, follow=True)
    assert "New recording standard" in response.text
    assert Annotation.objects.get().recalculate_limits
    june = snapshot_freeze(as_of=dt.date(2014, 6, 30))
    points = june.results.get(key="measure:all_crime").payload["trend"]["points"]
    means = (
        {p["mean"] for p in points if p["period_end"] < "2013-04-01"},
        {p["mean"] for p in points if p["period_end"] >= "2013-04-01"},
    )
    assert len(means[0]) == 1 and len(means[1]) == 1 and means[0] != means[1]
    may_points = frozen.results.get(key="measure:all_crime").payload["trend"]["points"]
    assert len({p["mean"] for p in may_points}) == 1  # the earlier snapshot keeps its limits
    assert june.results.get(key="measure:all_crime").payload["annotations"][0]["label"] == "New recording standard"
    limits = june.results.get(key="measure:all_crime").payload["trend"]["limits"]
    assert limits[1]["recalculated"] == {"date": "2013-04-01", "label": "New recording standard",
                                         "text": "Crime recording audit."}  # fmt: skip


def test_annotation_permissions(client, client_for, plan):
    url = reverse("annotation_list", args=["all_crime"])
    assert client.get(url).status_code == 302
    assert client_for(None).get(url).status_code == 403
    panel = client_for("panel")
    assert panel.get(url).status_code == 200
    assert panel.post(url, {"date": "2013-04-01", "label": "x"}).status_code == 403
    Measure.objects.filter(code="all_crime").update(restricted=True)
    assert panel.get(url).status_code == 404
    assert not Annotation.objects.exists()


def test_a_recalculation_needs_its_reason_in_the_service_and_the_model(plan):
    measure = Measure.objects.get(code="all_crime")
    with pytest.raises(ValueError, match="needs its reason"):
        annotation_add(measure=measure, date=dt.date(2013, 4, 1), label="New rules", recalculate_limits=True)
    with pytest.raises(ValidationError):
        Annotation(measure=measure, date=dt.date(2013, 4, 1), label="New rules", recalculate_limits=True).full_clean()
    assert not Annotation.objects.exists()
    annotation_add(measure=measure, date=dt.date(2013, 4, 1), label="Event", text="")  # no recalculation: optional


def test_a_month_before_the_first_snapshot_is_offered_as_back_dated(client_for, plan):
    from reports.forms import FreezeForm

    form = FreezeForm(months=[dt.date(2014, 5, 31), dt.date(2014, 3, 31)], first_frozen=dt.date(2014, 4, 30))
    labels = [label for _, label in form.fields["as_of"].choices]
    assert labels == ["31 May 2014", "31 March 2014 (back-dated: before the first snapshot)"]


def _selected(form) -> str:
    found = re.search(r'<option value="([^"]*)"[^>]*selected', str(form["as_of"]))
    return found.group(1) if found else ""


def test_freeze_form_selects_the_month_end_due_not_a_back_dated_one():
    from reports.forms import FreezeForm

    # A gap after the first snapshot is due; back-dated months come after it and are never selected.
    form = FreezeForm(months=[dt.date(2014, 6, 30), dt.date(2014, 3, 31)], first_frozen=dt.date(2014, 4, 30))
    assert _selected(form) == "2014-06-30"
    # Every month end since the first snapshot is frozen: nothing is selected, not the newest back-dated month.
    form = FreezeForm(months=[dt.date(2014, 2, 28), dt.date(2014, 1, 31)], first_frozen=dt.date(2014, 3, 31))
    assert _selected(form) == ""
    assert form.fields["as_of"].choices[0][0] == ""
    assert "back-dated" not in form.fields["as_of"].choices[0][1]


def test_freeze_form_after_freezing_the_latest_month_selects_no_back_dated_month(client_for, plan):
    rows = month_rows("all_crime", LEICESTERSHIRE, dt.date(2014, 1, 1), [500.0] * 5)
    submit_and_accept(FORCE_SUBMITTER, rows, period=(dt.date(2014, 5, 1), dt.date(2014, 5, 31)))
    for as_of in (dt.date(2014, 4, 30), dt.date(2014, 5, 31), dt.date(2014, 6, 30)):
        snapshot_freeze(as_of=as_of)
    form = client_for("coordinator").get(reverse("snapshot_list")).text.split("Frozen snapshots")[0]
    assert "2014-03-31" in form  # still offered, for whoever means to back-date
    options = re.findall(r"<option[^>]*>[^<]*", form)
    shown = next((o for o in options if " selected" in o), options[0])  # what a browser shows first
    assert "back-dated" not in shown, shown


def test_publish_confirmation_writes_the_figure_count_with_thousands_separators(db):
    import datetime as dt
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    target = SimpleNamespace(as_of=dt.date(2015, 4, 30), observation_count=6236, digest="ab" * 32)
    html = render_to_string("reports/snapshots/confirm_publish.html", {"target": target})
    assert "6,236" in html and "6236" not in html
