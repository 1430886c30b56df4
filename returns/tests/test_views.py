"""Returns pages through the real views: upload, hostile files, isolation, preview, decisions, tracker."""

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from pcc_dashboard.roles import COORDINATOR, CSP_SUBMITTER, PANEL, POLICE_SUBMITTER
from returns.models import AuditEvent, Observation, OutcomeAudit, Return, ReturnStatus, Submitter
from returns.reference import period_for
from returns.template import TEMPLATE_COLUMNS
from returns.tests.leicestershire import FORCE_SUBMITTER

UPLOADS = Path(__file__).parent / "fixtures" / "uploads"
Q1 = "2014-04-01:2014-06-30"
BLABY = "csp-blaby"
CHARNWOOD = "csp-charnwood"

pytestmark = pytest.mark.django_db


@pytest.fixture
def q1(plan):
    return period_for(start=date(2014, 4, 1), end=date(2014, 6, 30))


def post_upload(client, name: str, content: bytes, submitter: str = FORCE_SUBMITTER, period: str = Q1):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(reverse("return_upload"), {"submitter": submitter, "period": period, "file": upload})


def _post_fixture(client, name: str, **kwargs):
    return post_upload(client, name, (UPLOADS / name).read_bytes(), **kwargs)


def csp_csv(area: str, measure: str = "youth_first_time_entrants", value: str = "12") -> bytes:
    return (
        "measure_code,area_code,period_start,period_end,value,numerator,denominator,respondents,comment\r\n"
        f"{measure},{area},2014-04-01,2014-06-30,{value},,,,\r\n"
    ).encode()


# -- upload ------------------------------------------------------------------------------------


def test_upload_page_shows_form(client_for, q1, django_assert_max_num_queries):
    client = client_for(COORDINATOR)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("return_upload"))
    assert response.status_code == 200
    assert b'type="file"' in response.content
    assert Q1.encode() in response.content


def test_upload_page_links_the_template_for_the_chosen_submitter_and_period(client_for, q1):
    client = client_for(COORDINATOR)
    page = client.get(reverse("return_upload"), {"submitter": CHARNWOOD, "period": Q1}).content.decode()
    name = Submitter.objects.get(code=CHARNWOOD).name
    assert f"Template for <span data-template-for>{name}, Q1 2014/15 (April to June 2014)</span>" in page
    for fmt in ("csv", "xlsx"):
        url = reverse("return_template", args=[CHARNWOOD, "2014-04-01", "2014-06-30", fmt])
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200
    assert "returns page" not in page  # the co-ordinator's returns page has no template links
    assert "Narrative</strong> sheet of the Excel template" in page


def test_upload_page_links_a_data_leads_own_template(client_for, q1):
    page = client_for(CSP_SUBMITTER, BLABY).get(reverse("return_upload"), {"period": Q1}).content.decode()
    assert f'href="{reverse("return_template", args=[BLABY, "2014-04-01", "2014-06-30", "xlsx"])}"' in page
    assert CHARNWOOD not in page


def test_upload_valid_csv_stores_version_and_shows_preview(client_for, q1, django_assert_max_num_queries):
    client = client_for(COORDINATOR)
    with django_assert_max_num_queries(40):
        response = _post_fixture(client, "valid.csv")
    ret = Return.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("return_detail", args=[ret.pk])
    assert (ret.version, ret.status, ret.row_count) == (1, ReturnStatus.SUBMITTED, 5)
    assert Observation.objects.filter(source_return=ret).count() == 5
    page = client.get(response["Location"])
    assert b"<strong>5</strong> new rows" in page.content
    # The count and the table agree: one "New" per row, though the survey row has four figures.
    assert page.content.count(b"govuk-tag--blue\">New</strong>") == 5
    assert b"Accept version 1" in page.content


@pytest.mark.parametrize(
    "name,rows",
    [("bom.csv", 2), ("cp1252.csv", 1), ("mixed_eol.csv", 3), ("formula.csv", 4), ("valid.xlsx", 3)],
)
def test_upload_acceptable_fixture_is_stored(client_for, q1, name, rows):
    response = _post_fixture(client_for(COORDINATOR), name)
    assert response.status_code == 302
    assert Return.objects.get().row_count == rows


def test_upload_cp1252_comment_is_decoded_not_mojibake(client_for, q1):
    _post_fixture(client_for(COORDINATOR), "cp1252.csv")
    assert Observation.objects.get().comment == "£2m saved – côte"


HOSTILE = [
    ("duplicate_rows.csv", "duplicate row: the same measure, area and period as row 2"),
    ("missing_column.csv", "required column"),
    ("negative.csv", "must not be negative"),
    ("non_numeric.csv", "not a number"),
    ("bad_dates.csv", "not a date; write dates as 2014-03-31 (YYYY-MM-DD) or 31/03/2014 (DD/MM/YYYY, day first)"),
    ("nul_bytes.csv", "contains a NUL byte"),
    ("truncated.csv", "the file may have been cut short"),
    ("not_really.xlsx", "is not an Excel workbook"),
    ("billion_laughs.xlsx", "XML entity declarations"),
    ("xxe.xlsx", "XML entity declarations"),
    ("zipbomb.xlsx", "which is too large"),
]


@pytest.mark.parametrize("name,message", HOSTILE)
def test_upload_hostile_fixture_rejected_nothing_written(client_for, q1, name, message):
    client = client_for(COORDINATOR)
    response = _post_fixture(client, name)
    assert response.status_code == 200
    assert b"govuk-error-summary" in response.content
    assert message in response.content.decode()
    assert Return.objects.count() == 0
    assert Observation.objects.count() == 0
    event = AuditEvent.objects.get(action="upload_failed")
    assert event.details["file"] == name
    report = client.get(reverse("return_failed_report", args=[event.pk]))
    assert report.status_code == 200
    assert message in report.content.decode("utf-8-sig")


def test_failed_upload_in_the_audit_log_names_the_period_in_words(client_for, q1):
    client = client_for(COORDINATOR)
    _post_fixture(client, "negative.csv")
    page = client.get(reverse("audit_log"), {"action": "upload_failed"}).content.decode()
    assert "Q1 2014/15 (April to June 2014): negative.csv failed validation with 2 errors" in page
    assert "2014-04-01 to 2014-06-30" not in page


def test_upload_oversize_file_rejected_before_parsing(client_for, q1, settings):
    settings.RETURN_MAX_BYTES = 1000
    response = post_upload(client_for(COORDINATOR), "big.csv", b"x" * 2000)
    assert response.status_code == 200
    assert "The selected file must be smaller than" in response.content.decode()
    assert Return.objects.count() == 0
    assert not AuditEvent.objects.filter(action="upload_failed").exists()


def test_upload_wrong_extension_rejected(client_for, q1):
    response = post_upload(client_for(COORDINATOR), "return.txt", b"hello")
    assert "must be a CSV or .xlsx file" in response.content.decode()
    assert Return.objects.count() == 0


def test_upload_period_not_in_list_rejected(client_for, q1):
    response = _post_fixture(client_for(COORDINATOR), "valid.csv", period="2014-04-01:2014-05-31")
    assert "Select a return period from the list" in response.content.decode()
    assert Return.objects.count() == 0


def test_upload_needs_login_and_role(client, client_for, q1):
    assert client.get(reverse("return_upload")).status_code == 302
    assert client_for(PANEL).get(reverse("return_upload")).status_code == 403


# -- CSP isolation (ASVS 8.2.2 / 8.4.1) ---------------------------------------------------------


def test_csp_upload_offers_only_own_submitter(client_for, q1):
    response = client_for(CSP_SUBMITTER, BLABY).get(reverse("return_upload"))
    assert f'value="{BLABY}"'.encode() in response.content
    assert f'value="{CHARNWOOD}"'.encode() not in response.content


def test_csp_cannot_upload_for_another_csp_by_form_field(client_for, q1):
    charnwood_area = Submitter.objects.get(code=CHARNWOOD).area.code
    response = post_upload(client_for(CSP_SUBMITTER, BLABY), "r.csv", csp_csv(charnwood_area), submitter=CHARNWOOD)
    assert "You can only upload returns for your own organisation" in response.content.decode()
    assert Return.objects.count() == 0


def test_csp_cannot_upload_another_csps_area_in_file(client_for, q1):
    charnwood_area = Submitter.objects.get(code=CHARNWOOD).area.code
    response = post_upload(client_for(CSP_SUBMITTER, BLABY), "r.csv", csp_csv(charnwood_area), submitter=BLABY)
    assert response.status_code == 200
    charnwood = Submitter.objects.get(code=CHARNWOOD)
    blaby = Submitter.objects.get(code=BLABY)
    page = response.content.decode()
    assert f"{charnwood.area.name} ({charnwood_area}) is not in" in page
    assert f"this return is for {blaby.area.name} ({blaby.area.code})" in page
    assert f"or upload {charnwood.name}&#x27;s figures as {charnwood.name}&#x27;s return" in page
    assert Return.objects.count() == 0 and Observation.objects.count() == 0


def test_csp_upload_own_area_is_stored(client_for, q1):
    blaby_area = Submitter.objects.get(code=BLABY).area.code
    response = post_upload(client_for(CSP_SUBMITTER, BLABY), "r.csv", csp_csv(blaby_area), submitter=BLABY)
    assert response.status_code == 302
    assert Return.objects.get().submitter.code == BLABY


def test_csp_cannot_see_another_csps_drafts_by_url(client_for, make_user, q1):
    other = make_user(CSP_SUBMITTER, CHARNWOOD)
    from django.test import Client

    other_client = Client()
    other_client.force_login(other)
    area = Submitter.objects.get(code=CHARNWOOD).area.code
    post_upload(other_client, "r.csv", csp_csv(area), submitter=CHARNWOOD)
    ret = Return.objects.get()
    event_client = client_for(CSP_SUBMITTER, BLABY)
    assert event_client.get(reverse("return_detail", args=[ret.pk])).status_code == 403
    history = reverse("return_history", args=[CHARNWOOD, "2014-04-01", "2014-06-30"])
    assert event_client.get(history).status_code == 403
    template = reverse("return_template", args=[CHARNWOOD, "2014-04-01", "2014-06-30", "csv"])
    assert event_client.get(template).status_code == 403
    assert b"Charnwood" not in event_client.get(reverse("return_list")).content
    assert event_client.post(reverse("return_accept", args=[ret.pk])).status_code == 403


def test_detail_shows_the_returns_words_on_each_priority(client_for, q1):
    """A CSP's narrative is what the co-ordinator reads before accepting."""
    import pandas as pd

    from priorities.models import Priority
    from returns.services import return_submit

    blaby = Submitter.objects.get(code=BLABY)
    rows = pd.DataFrame(
        [
            {
                "measure_code": "youth_first_time_entrants",
                "area_code": blaby.area.code,
                "period_start": date(2014, 4, 1),
                "period_end": date(2014, 6, 30),
                "value": 12.0,
            }
        ]
    )
    words = {3: "Two street-based youth workers started in May.\nReferrals doubled.", 7: "   "}
    ret = return_submit(submitter=blaby, period=q1, rows=rows, raw=b"x", original_name="b.xlsx", narrative=words)
    page = client_for(COORDINATOR).get(reverse("return_detail", args=[ret.pk])).content.decode()
    assert "Work on each priority" in page
    assert f"SP3 {Priority.objects.get(number=3).title}" in page
    assert "Two street-based youth workers started in May.<br>Referrals doubled." in page
    assert "SP7" not in page  # a blank answer is not stored, so not shown
    assert client_for(CSP_SUBMITTER, CHARNWOOD).get(reverse("return_detail", args=[ret.pk])).status_code == 403
    own = client_for(CSP_SUBMITTER, BLABY).get(reverse("return_detail", args=[ret.pk])).content.decode()
    assert "Referrals doubled." in own


def test_failed_report_only_for_uploader_or_coordinator(client, make_user, q1):
    uploader = make_user(CSP_SUBMITTER, BLABY)
    client.force_login(uploader)
    post_upload(client, "r.csv", csp_csv("E23000021"), submitter=BLABY)
    event = AuditEvent.objects.get(action="upload_failed")
    url = reverse("return_failed_report", args=[event.pk])
    assert client.get(url).status_code == 200
    client.force_login(make_user(CSP_SUBMITTER, CHARNWOOD))
    assert client.get(url).status_code == 404
    client.force_login(make_user(COORDINATOR))
    assert client.get(url).status_code == 200


# -- templates ---------------------------------------------------------------------------------


def test_template_csv_prefilled_with_expected_rows(client_for, q1, django_assert_max_num_queries):
    client = client_for(POLICE_SUBMITTER, FORCE_SUBMITTER)
    url = reverse("return_template", args=[FORCE_SUBMITTER, "2014-04-01", "2014-06-30", "csv"])
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("measure_code,area_code,period_start")
    assert "victim_satisfaction,E23000021,2014-04-01,2014-06-30,,,,," in lines
    assert (
        'filename="return-template-leicestershire-police-2014-04-01-2014-06-30.csv"' in response["Content-Disposition"]
    )


def test_template_xlsx_for_csp_has_narrative_sheet(client_for, q1):
    client = client_for(CSP_SUBMITTER, BLABY)
    response = client.get(reverse("return_template", args=[BLABY, "2014-04-01", "2014-06-30", "xlsx"]))
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Return", "Narrative"]
    narrative = list(wb["Narrative"].iter_rows(values_only=True))
    assert narrative[0] == ("priority_number", "priority_title", "work_undertaken")
    assert len(narrative) == 19  # header + SP1–SP18
    assert len(list(wb["Return"].iter_rows(values_only=True))) == 4  # header + 3 CSP measures


def test_template_monthly_period_has_monthly_rows(client_for, q1):
    client = client_for(COORDINATOR)
    response = client.get(reverse("return_template", args=[FORCE_SUBMITTER, "2014-05-01", "2014-05-31", "csv"]))
    lines = response.content.decode("utf-8-sig").splitlines()[1:]
    assert lines and all(",2014-05-01,2014-05-31," in line for line in lines)
    assert not any(line.startswith("victim_satisfaction") for line in lines)


def test_template_rejects_non_period(client_for, q1):
    client = client_for(COORDINATOR)
    url = reverse("return_template", args=[FORCE_SUBMITTER, "2014-04-01", "2014-05-31", "csv"])
    assert client.get(url).status_code == 404


# -- preview, decisions, history ---------------------------------------------------------------


def _valid_v2() -> bytes:
    text = (UPLOADS / "valid.csv").read_text()
    text = text.replace(
        "burglary_dwelling,E07000129,2014-04-01,2014-04-30,41", "burglary_dwelling,E07000129,2014-04-01,2014-04-30,44"
    )
    return (text + "burglary_dwelling,E23000021,2014-04-01,2014-04-30,300,,,,\n").encode()


def test_resubmission_preview_shows_diff_and_accept_supersedes(client_for, q1, django_assert_max_num_queries):
    client = client_for(COORDINATOR)
    _post_fixture(client, "valid.csv")
    v1 = Return.objects.get()
    client.post(reverse("return_accept", args=[v1.pk]))
    post_upload(client, "valid-v2.csv", _valid_v2())
    v2 = Return.objects.get(version=2)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("return_detail", args=[v2.pk]))
    html = page.content.decode()
    assert "<strong>1</strong> new row" in html
    assert "<strong>1</strong> changed row" in html
    assert "<strong>4</strong> unchanged rows" in html
    assert "numeric\">41</td>" in html and "numeric\">44</td>" in html  # whole numbers without ".0"
    client.post(reverse("return_accept", args=[v2.pk]))
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v1.is_current, v2.status, v2.is_current) == ("superseded", False, "accepted", True)
    with django_assert_max_num_queries(12):
        history = client.get(reverse("return_history", args=[FORCE_SUBMITTER, "2014-04-01", "2014-06-30"]))
    assert "Version 1" in history.content.decode() and "Version 2" in history.content.decode()


def test_after_acceptance_the_page_says_it_is_the_accepted_data(client_for, q1):
    client = client_for(COORDINATOR)
    _post_fixture(client, "valid.csv")
    first = Return.objects.get()
    page = client.post(reverse("return_accept", args=[first.pk]), follow=True)
    assert b"This version is the current accepted data" in page.content
    assert b"no version of this return has been accepted yet" not in page.content
    post_upload(client, "v2.csv", _valid_v2())
    second = Return.objects.get(version=2)
    client.post(reverse("return_accept", args=[second.pk]))
    page = client.get(reverse("return_detail", args=[second.pk]))
    assert b"version 1, the accepted version it replaced" in page.content
    assert page.context["diff"].changed >= 1


def test_accept_twice_gives_message_not_500(client_for, q1):
    client = client_for(COORDINATOR)
    _post_fixture(client, "valid.csv")
    ret = Return.objects.get()
    client.post(reverse("return_accept", args=[ret.pk]))
    response = client.post(reverse("return_accept", args=[ret.pk]), follow=True)
    assert response.status_code == 200
    assert "Not accepted: version 1 is already accepted" in response.content.decode()


def test_reject_needs_reason(client_for, q1):
    client = client_for(COORDINATOR)
    _post_fixture(client, "valid.csv")
    ret = Return.objects.get()
    response = client.post(reverse("return_reject", args=[ret.pk]), {"reason": ""})
    assert response.status_code == 400
    assert "Enter the reason for rejecting the return" in response.content.decode()
    client.post(reverse("return_reject", args=[ret.pk]), {"reason": "Totals do not add up"})
    ret.refresh_from_db()
    assert (ret.status, ret.decision_reason) == ("rejected", "Totals do not add up")


def test_police_lead_cannot_decide(client_for, q1):
    client = client_for(POLICE_SUBMITTER, FORCE_SUBMITTER)
    _post_fixture(client, "valid.csv")
    ret = Return.objects.get()
    assert client.post(reverse("return_accept", args=[ret.pk])).status_code == 403
    assert client.post(reverse("return_reject", args=[ret.pk]), {"reason": "x"}).status_code == 403
    assert b"Accept version" not in client.get(reverse("return_detail", args=[ret.pk])).content
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.SUBMITTED


def test_original_download_uses_generated_name(client_for, q1):
    client = client_for(COORDINATOR)
    post_upload(client, "Q1 final (draft 2).csv", (UPLOADS / "valid.csv").read_bytes())
    ret = Return.objects.get()
    response = client.get(reverse("return_original", args=[ret.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="return-leicestershire-police-2014-04-01-2014-06-30-v1.csv"'
    )
    assert b"".join(response.streaming_content) == (UPLOADS / "valid.csv").read_bytes()


def test_original_download_coordinator_only(client_for, q1):
    client = client_for(POLICE_SUBMITTER, FORCE_SUBMITTER)
    _post_fixture(client, "valid.csv")
    assert client.get(reverse("return_original", args=[Return.objects.get().pk])).status_code == 403


def test_return_list_own_only_for_data_lead(client_for, make_user, q1, django_assert_max_num_queries):
    client = client_for(CSP_SUBMITTER, BLABY)
    post_upload(client, "r.csv", csp_csv(Submitter.objects.get(code=BLABY).area.code), submitter=BLABY)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("return_list"))
    assert response.status_code == 200
    assert b"Blaby Community Safety Partnership" in response.content
    assert b"Your returns for Blaby" in response.content
    # Their own due dates and states, for the periods up to the working date.
    assert response.context["periods"] and all(p.submitter.code == BLABY for p in response.context["periods"])
    assert b"Due</th>" in response.content
    assert client_for(PANEL).get(reverse("return_list")).status_code == 403


# -- tracker, audit log, outcome audits ---------------------------------------------------------


def test_tracker_coordinator_only(client_for, plan, django_assert_max_num_queries):
    client = client_for(COORDINATOR)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("return_tracker"))
    assert response.status_code == 200
    assert b"Late" in response.content
    assert client_for(CSP_SUBMITTER, BLABY).get(reverse("return_tracker")).status_code == 403


def test_tracker_filters_by_submitter(client_for, plan):
    response = client_for(COORDINATOR).get(reverse("return_tracker"), {"submitter": BLABY})
    cells = response.context["cells"]
    assert cells and {c.submitter.code for c in cells} == {BLABY}
    assert {c.kind for c in cells} == {"quarter"}


def test_audit_log_lists_and_filters(client_for, q1, django_assert_max_num_queries):
    client = client_for(COORDINATOR)
    _post_fixture(client, "negative.csv")
    _post_fixture(client, "valid.csv")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("audit_log"), {"action": "upload_failed"})
    assert response.status_code == 200
    events = list(response.context["page"])
    assert [e.action for e in events] == ["upload_failed"]
    assert client_for(POLICE_SUBMITTER, FORCE_SUBMITTER).get(reverse("audit_log")).status_code == 403


def test_outcome_audit_entry(client_for, plan, django_assert_max_num_queries):
    client = client_for(POLICE_SUBMITTER, FORCE_SUBMITTER)
    form = {"area": "", "month": "2014-05-01", "crime_group": "Violence", "sampled": "20", "correct": "18", "note": ""}
    from priorities.models import Area

    form["area"] = Area.objects.get(code="E23000021").pk
    with django_assert_max_num_queries(15):
        response = client.post(reverse("outcome_audit_list"), form)
    assert response.status_code == 302
    audit = OutcomeAudit.objects.get()
    assert (audit.sampled, audit.correct) == (20, 18)
    page = client.get(reverse("outcome_audit_list"))
    assert b"90.0%" in page.content


def test_outcome_audit_correct_above_sampled_rejected(client_for, plan):
    from priorities.models import Area

    client = client_for(COORDINATOR)
    form = {
        "area": Area.objects.get(code="E23000021").pk,
        "month": "2014-05",
        "crime_group": "Burglary",
        "sampled": "5",
        "correct": "6",
    }
    response = client.post(reverse("outcome_audit_list"), form)
    assert response.status_code == 200
    assert "cannot be more than the crimes sampled" in response.content.decode()
    assert OutcomeAudit.objects.count() == 0


def test_outcome_audit_forbidden_for_csp(client_for, plan):
    assert client_for(CSP_SUBMITTER, BLABY).get(reverse("outcome_audit_list")).status_code == 403


def test_preview_shows_figures_as_the_product_does(client_for, q1):
    """Thousands separators, percentages to 1 decimal with their sign, no trailing zeros."""
    client = client_for(COORDINATOR)
    response = _post_fixture(client, "valid.csv")
    html = client.get(response["Location"]).content.decode()
    assert 'numeric">20,213</td>' in html and 'numeric">6,712</td>' in html
    assert 'numeric">85.4%</td>' in html and 'numeric">854</td>' in html
    assert 'numeric">1,000</td>' in html
    assert "85.4000" not in html and "854.0000" not in html


def test_problem_value_is_quoted_in_the_body_font_and_a_letter_o_named(client_for, q1):
    rows = "all_crime,E23000021,2014-04-01,2014-06-30,1O,,,,\r\n"
    response = post_upload(client_for(COORDINATOR), "r.csv", (",".join(TEMPLATE_COLUMNS) + "\r\n" + rows).encode())
    page = response.content.decode()
    assert "<code>1O</code>" not in page
    assert "<td class=\"govuk-table__cell\">\u201c1O\u201d</td>" in page
    assert "\u201c1O\u201d contains the letter O (not the digit 0)" in page
