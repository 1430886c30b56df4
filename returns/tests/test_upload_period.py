"""The upload form's period: which one it opens on, a file for another period, a file sent twice."""

import re
from datetime import date

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone

from pcc_dashboard.roles import CSP_SUBMITTER
from returns.loader import OBSERVATION_COLUMNS
from returns.models import Return, Submitter
from returns.reference import period_for
from returns.services import return_submit
from returns.tests.leicestershire import FORCE_SUBMITTER
from returns.tests.test_views import BLABY, csp_csv, post_upload

pytestmark = pytest.mark.django_db

Q3 = (date(2014, 10, 1), date(2014, 12, 31))
Q4 = (date(2015, 1, 1), date(2015, 3, 31))
Q1_NEXT = (date(2015, 4, 1), date(2015, 6, 30))


def _key(period) -> str:
    return f"{period[0].isoformat()}:{period[1].isoformat()}"


def _sent(code: str, start: date, end: date) -> None:
    """A return on record for this submitter and period (its rows do not matter here)."""
    return_submit(
        submitter=Submitter.objects.get(code=code),
        period=period_for(start=start, end=end),
        rows=pd.DataFrame(columns=OBSERVATION_COLUMNS),
        raw=f"{code} {start}".encode(),
        original_name="r.csv",
    )


@pytest.fixture
def q1(plan):
    return period_for(start=date(2014, 4, 1), end=date(2014, 6, 30))


@pytest.fixture
def on_10_april_2015(monkeypatch):
    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kw: real(*args, **kw) if args else date(2015, 4, 10))


def _selected_period(html: str) -> str:
    select = re.search(r'<select[^>]*name="period".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="([^"]+)"[^>]*selected', select).group(1)


def test_form_opens_on_the_latest_ended_period_not_the_running_one(client_for, plan, on_10_april_2015):
    # Everything Blaby owes up to Q3 is sent; Q4 has ended (not yet due); Q1 2015/16 is still running.
    _sent(FORCE_SUBMITTER, date(2015, 3, 1), date(2015, 3, 31))
    for quarter in [(date(2014, 4, 1), date(2014, 6, 30)), (date(2014, 7, 1), date(2014, 9, 30)), Q3]:
        _sent(BLABY, *quarter)
    html = client_for(CSP_SUBMITTER, BLABY).get(reverse("return_upload")).content.decode()
    assert _key(Q1_NEXT) in html  # still offered
    assert _selected_period(html) == _key(Q4)


def test_form_opens_on_the_latest_ended_period_when_all_are_sent(client_for, plan, on_10_april_2015):
    _sent(FORCE_SUBMITTER, date(2015, 3, 1), date(2015, 3, 31))
    for quarter in [(date(2014, 4, 1), date(2014, 6, 30)), (date(2014, 7, 1), date(2014, 9, 30)), Q3, Q4]:
        _sent(BLABY, *quarter)
    html = client_for(CSP_SUBMITTER, BLABY).get(reverse("return_upload")).content.decode()
    assert _selected_period(html) == _key(Q4)


def test_file_for_another_period_is_refused_naming_both_and_the_fix(client_for, q1):
    period_for(start=date(2014, 7, 1), end=date(2014, 9, 30))
    blaby_area = Submitter.objects.get(code=BLABY).area.code
    client = client_for(CSP_SUBMITTER, BLABY)
    response = post_upload(client, "blaby-q1.csv", csp_csv(blaby_area), submitter=BLABY, period="2014-07-01:2014-09-30")
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "This file is for Q1 2014/15 (rows give period ending 30 June 2014) but you chose Q2 2014/15: "
        "choose Q1 2014/15 or upload the Q2 2014/15 file"
    ) in html
    assert "Row 2, column period_end" in html and "blaby-q1.csv" in html
    assert "is outside the return period" not in html  # one clear error per row, not three
    assert Return.objects.count() == 0


def test_identical_file_sent_again_makes_no_new_version(client_for, q1):
    blaby_area = Submitter.objects.get(code=BLABY).area.code
    client = client_for(CSP_SUBMITTER, BLABY)
    assert post_upload(client, "r.csv", csp_csv(blaby_area), submitter=BLABY).status_code == 302
    first = Return.objects.get()
    response = post_upload(client, "r-again.csv", csp_csv(blaby_area), submitter=BLABY)
    sent = timezone.localdate(first.uploaded_at)
    assert f"This file is identical to version 1, sent on {sent:%-d %B %Y}; nothing was changed" in response.content.decode()
    assert Return.objects.count() == 1
    # A changed file is still a new version.
    assert post_upload(client, "r2.csv", csp_csv(blaby_area, value="13"), submitter=BLABY).status_code == 302
    assert Return.objects.count() == 2
