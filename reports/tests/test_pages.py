"""Snapshot pages: overview, theme, priority, measure; visibility, under-reported wording, caching, query counts."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from priorities.models import Measure
from reports.models import Commentary
from reports.tests.factories import snapshot_with_results

AS_OF = "2014-05-31"
RESTRICTED = "marac_referrals"  # restricted in the plan fixture
RESTRICTED_TITLE = "High-risk domestic abuse cases referred to MARAC"


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def snapshot(plan):
    return snapshot_with_results(as_of=dt.date(2014, 5, 31))


def _pages():
    return [
        reverse("snapshot_overview", args=[AS_OF]),
        reverse("theme_detail", args=[AS_OF, 4]),
        reverse("priority_detail", args=[AS_OF, 16]),
        reverse("measure_detail", args=[AS_OF, "all_crime"]),
        reverse("measure_detail", args=[AS_OF, "hate_crime"]),
        reverse("measure_detail", args=[AS_OF, "victim_satisfaction"]),
        reverse("measure_detail", args=[AS_OF, "revenue_savings"]),
    ]


def test_snapshot_latest_redirects_to_latest_visible_overview(client, plan):
    snapshot_with_results(as_of=dt.date(2014, 4, 30))
    snapshot_with_results(as_of=dt.date(2014, 5, 31), published=False)
    response = client.get(reverse("snapshot_latest"))
    assert response.status_code == 302
    assert response.url == reverse("snapshot_overview", args=["2014-04-30"])


def test_snapshot_latest_without_snapshots_is_a_friendly_page(client, plan):
    response = client.get(reverse("snapshot_latest"))
    assert response.status_code == 200
    assert "No performance figures yet" in response.content.decode()


def test_pages_happy_path_show_banner_and_heading(client, snapshot):
    for url in _pages():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'data-snapshot="2014-05-31"' in html, url
        assert "Data as at 31 May 2014" in html, url
        assert "<h1" in html, url


def test_overview_lists_measures_with_status_tag_and_sentence(client, snapshot):
    html = client.get(reverse("snapshot_overview", args=[AS_OF])).content.decode()
    assert "Theme 3: Making Communities and Neighbourhoods Safer" in html
    assert "All crime: 12 months to May 2014" in html
    assert "govuk-tag govuk-tag--" in html
    assert reverse("measure_detail", args=[AS_OF, "all_crime"]) in html


def test_under_reported_measures_never_get_improvement_or_concern(client, snapshot):
    html = client.get(reverse("measure_detail", args=[AS_OF, "hate_crime"])).content.decode()
    assert "Trend and context only" in html
    assert "govuk-tag--blue" not in html and "govuk-tag--orange" not in html
    assert "Special cause: improvement" not in html and "Special cause: concern" not in html
    theme = client.get(reverse("theme_detail", args=[AS_OF, 4])).content.decode()
    assert "govuk-tag--blue" not in theme and "govuk-tag--orange" not in theme


def test_measure_page_shows_charts_significance_and_downloads(client, snapshot):
    html = client.get(reverse("measure_detail", args=[AS_OF, "all_crime"])).content.decode()
    for text in (
        "chart-trend-data",
        "chart-msg-data",
        "chart-csp-data",
        "Show as table",
        "p-value",
        "Percentage change",
        "95% interval of the change",
        "Most Similar Group position",
        "Definition",
        "Caveats",
        "Recording practice changed",
        "plotly-basic.min.js",
        "js/charts.js",
    ):
        assert text in html, text
    assert reverse("measure_download", args=[AS_OF, "all_crime", "trend", "csv"]) in html
    assert reverse("measure_download", args=[AS_OF, "all_crime", "msg", "xlsx"]) in html
    assert "<script>" not in html  # no inline script (CSP): only json_script data blocks


def test_measure_page_names_its_priority_by_number_and_title(client, snapshot):
    html = client.get(reverse("measure_detail", args=[AS_OF, "all_crime"])).content.decode()
    link = f'href="{reverse("priority_detail", args=[AS_OF, 10])}">SP10: Reduce all crime significantly</a>'
    assert link in html


def test_measure_page_shows_coordinators_context(client, snapshot):
    measure = Measure.objects.get(code="all_crime")
    Commentary.objects.create(snapshot=snapshot, measure=measure, text="Night-time economy operation in May.")
    html = client.get(reverse("measure_detail", args=[AS_OF, "all_crime"])).content.decode()
    assert "Night-time economy operation in May." in html


@pytest.mark.parametrize("restricted_priority", [6, 15])
def test_restricted_priorities_show_narrative_and_why_no_figures(client, snapshot, restricted_priority):
    html = client.get(reverse("priority_detail", args=[AS_OF, restricted_priority])).content.decode()
    assert "Why no figures are published" in html
    assert "vulnerability" in html


@pytest.mark.parametrize("role", [None, "panel"])
def test_restricted_measure_never_reaches_public_or_panel(client, client_for, snapshot, role):
    browser = client_for(role) if role else client
    for url in _pages() + [reverse("theme_detail", args=[AS_OF, n]) for n in (1, 2, 3)]:
        html = browser.get(url).content.decode()
        assert RESTRICTED not in html, url
        assert RESTRICTED_TITLE not in html, url
    assert browser.get(reverse("measure_detail", args=[AS_OF, RESTRICTED])).status_code == 404
    assert browser.get(reverse("measure_download", args=[AS_OF, RESTRICTED, "trend", "csv"])).status_code == 404


def test_measure_restricted_after_freeze_is_hidden_in_old_snapshot(client, snapshot):
    Measure.objects.filter(code="hate_crime").update(restricted=True)
    html = client.get(reverse("snapshot_overview", args=[AS_OF])).content.decode()
    assert "Hate crimes recorded" not in html
    assert client.get(reverse("measure_detail", args=[AS_OF, "hate_crime"])).status_code == 404


def test_coordinator_sees_restricted_measure(client_for, snapshot):
    browser = client_for("coordinator")
    assert RESTRICTED_TITLE in browser.get(reverse("snapshot_overview", args=[AS_OF])).content.decode()
    assert browser.get(reverse("measure_detail", args=[AS_OF, RESTRICTED])).status_code == 200


def test_anonymous_sees_only_published_snapshots(client, client_for, plan):
    snapshot_with_results(as_of=dt.date(2014, 4, 30))
    snapshot_with_results(as_of=dt.date(2014, 5, 31), published=False)
    assert client.get(reverse("snapshot_overview", args=[AS_OF])).status_code == 404
    html = client.get(reverse("snapshot_overview", args=["2014-04-30"])).content.decode()
    assert "2014-05-31" not in html
    panel = client_for("panel")
    html = panel.get(reverse("snapshot_overview", args=[AS_OF])).content.decode()
    assert "not published" in html


def test_snapshot_selector_redirects_to_same_page_for_chosen_snapshot(client, plan):
    snapshot_with_results(as_of=dt.date(2014, 4, 30))
    snapshot_with_results(as_of=dt.date(2014, 5, 31))
    html = client.get(reverse("measure_detail", args=[AS_OF, "all_crime"])).content.decode()
    assert 'name="as_of"' in html and 'value="2014-04-30"' in html
    response = client.get(reverse("measure_detail", args=[AS_OF, "all_crime"]), {"as_of": "2014-04-30"})
    assert response.status_code == 302
    assert response.url == reverse("measure_detail", args=["2014-04-30", "all_crime"])


def test_bad_snapshot_date_is_404(client, snapshot):
    assert client.get(reverse("snapshot_overview", args=["2014-13-45"])).status_code == 404
    assert client.get(reverse("snapshot_overview", args=["not-a-date"])).status_code == 404


@pytest.mark.parametrize("points", [24, 240])
def test_query_counts_bounded_and_independent_of_history(client_for, plan, django_assert_max_num_queries, points):
    snapshot_with_results(as_of=dt.date(2014, 5, 31), points=points)
    browser = client_for("coordinator")
    for url in _pages():
        cache.clear()
        with django_assert_max_num_queries(20):
            assert browser.get(url).status_code == 200


def test_query_counts_equal_for_short_and_long_history(client, plan, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for as_of, points in ((dt.date(2014, 4, 30), 24), (dt.date(2014, 5, 31), 240)):
        snapshot_with_results(as_of=as_of, points=points)
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("measure_detail", args=[as_of.isoformat(), "all_crime"]))
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- caching (reports/caching.py) -------------------------------------------------------------


def test_same_visibility_class_gets_cached_content(client_for, snapshot, django_assert_max_num_queries):
    url = reverse("snapshot_overview", args=[AS_OF])
    first = client_for("panel").get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    second_client = client_for("panel")
    with CaptureQueriesContext(connection) as captured:
        second = second_client.get(url)
    assert not any('"priorities_theme"' in q["sql"] for q in captured.captured_queries)
    assert second.status_code == 200
    body = lambda r: r.content.decode().split('id="main-content">')[1]  # noqa: E731
    assert body(first).split("</main>")[0].replace(first.wsgi_request.user.username, "") == body(second).split(
        "</main>"
    )[0].replace(second.wsgi_request.user.username, "")
    assert f"Signed in as {second.wsgi_request.user.username}" in second.content.decode()


def test_restricted_viewers_cached_page_is_never_served_to_anonymous(client, client_for, snapshot):
    url = reverse("snapshot_overview", args=[AS_OF])
    coordinator = client_for("coordinator")
    assert RESTRICTED_TITLE in coordinator.get(url).content.decode()
    coordinator.logout()
    assert RESTRICTED_TITLE not in client.get(url).content.decode()


def test_etag_and_if_none_match_give_304(client, snapshot):
    url = reverse("measure_detail", args=[AS_OF, "all_crime"])
    response = client.get(url)
    etag = response["ETag"]
    assert etag
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_cached_page_has_no_csrf_token_in_shared_fragment(client_for, snapshot):
    from reports.caching import CACHE_PREFIX  # noqa: F401

    client_for("panel").get(reverse("snapshot_overview", args=[AS_OF]))
    fragments = [v for k, v in cache._cache.items()] if hasattr(cache, "_cache") else []
    assert fragments  # locmem in tests
    for raw in fragments:
        assert b"csrfmiddlewaretoken" not in raw
        assert b"Signed in as" not in raw


# --- end to end: real returns frozen by snapshot_freeze, then every page and a download ----------


def test_end_to_end_freeze_then_render_pages(client, plan):
    from reports.services import snapshot_freeze, snapshot_publish
    from reports.tests.snapshot_data import demo_history

    demo_history()
    snapshot = snapshot_freeze(as_of=dt.date(2014, 5, 31))
    snapshot_publish(snapshot=snapshot)
    urls = [
        reverse("snapshot_overview", args=[AS_OF]),
        reverse("theme_detail", args=[AS_OF, 3]),
        reverse("priority_detail", args=[AS_OF, 6]),
        reverse("priority_detail", args=[AS_OF, 10]),
        reverse("measure_detail", args=[AS_OF, "all_crime"]),
        reverse("measure_detail", args=[AS_OF, "burglary_dwelling"]),
        reverse("measure_detail", args=[AS_OF, "victim_satisfaction"]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "Data as at 31 May 2014" in html and RESTRICTED_TITLE not in html
    html = client.get(reverse("measure_detail", args=[AS_OF, "all_crime"])).content.decode()
    assert "chart-trend-data" in html and "All crime: 12 months to" in html
    csv_response = client.get(reverse("measure_download", args=[AS_OF, "all_crime", "trend", "csv"]))
    assert csv_response.status_code == 200 and snapshot.digest in csv_response.content.decode("utf-8-sig")


def _signed_in(make_user, role, submitter=None) -> Client:
    client = Client()
    client.force_login(make_user(role, submitter))
    return client


def test_coordinator_finds_the_context_forms_on_measure_and_theme_pages(make_user, snapshot):
    measure, theme = reverse("measure_detail", args=[AS_OF, "all_crime"]), reverse("theme_detail", args=[AS_OF, 3])
    write_measure = reverse("commentary_measure", args=[AS_OF, "all_crime"])
    write_theme = reverse("commentary_theme", args=[AS_OF, 3])
    annotations = reverse("annotation_list", args=["all_crime"])
    # The CSP lead shares the co-ordinator's visibility class: the cached page must not carry the forms.
    csp = _signed_in(make_user, "csp_submitter", "csp-blaby")
    assert write_measure not in csp.get(measure).text and write_theme not in csp.get(theme).text
    assert annotations in csp.get(measure).text  # signed-in readers see the events on the series
    coordinator = _signed_in(make_user, "coordinator")
    assert write_measure in coordinator.get(measure).text and write_theme in coordinator.get(theme).text
    assert "Write the context for this measure" in coordinator.get(measure).text
    assert write_measure not in csp.get(measure).text  # nor the other way round
    assert annotations not in Client().get(measure).text  # the public cannot open annotations


def test_overview_leads_signed_in_readers_to_every_snapshot(make_user, snapshot):
    overview = reverse("snapshot_overview", args=[AS_OF])
    assert 'href="/snapshots/"' in _signed_in(make_user, "panel").get(overview).text
    assert 'href="/snapshots/"' not in Client().get(overview).text


def test_measure_page_leaves_out_a_caveat_dated_after_its_snapshot(client, snapshot):
    url = reverse("measure_detail", args=[AS_OF, "burglary_dwelling"])
    assert "residential burglary" not in client.get(url).content.decode()  # dated April 2017 in the plan
    Measure.objects.filter(code="burglary_dwelling").update(caveats_from=None)  # general: every snapshot
    cache.clear()
    assert "residential burglary" in client.get(url).content.decode()


def _visible_text(html: str) -> str:
    """The page's text as a reader sees it: no scripts, data blocks, tags or attributes."""

    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize("code", ["all_crime", "victim_satisfaction", "revenue_savings"])
def test_measure_page_dates_are_in_words(client, snapshot, code):

    text = _visible_text(client.get(reverse("measure_detail", args=[AS_OF, code])).content.decode())
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), re.search(r".{40}\b\d{4}-\d{2}-\d{2}\b.{20}", text)


def test_measure_page_msg_period_in_words(client, snapshot):
    text = _visible_text(client.get(reverse("measure_detail", args=[AS_OF, "all_crime"])).content.decode())
    assert re.search(r"Period \d{1,2} [A-Z][a-z]+ \d{4} to 31 May 2014", text)


def test_priority_page_dates_are_in_words(client, snapshot):

    text = _visible_text(client.get(reverse("priority_detail", args=[AS_OF, 10])).content.decode())
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)
