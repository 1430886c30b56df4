"""Public page, public CSVs and the restricted-measure canary over every public URL."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pcc_dashboard.roles import COORDINATOR
from priorities.models import Measure
from priorities.selectors import restricted_measure_codes
from reports.tests.factories import snapshot_make

AS_OF = "2014-05-31"


@pytest.fixture
def published(plan):
    return snapshot_make(as_of=date(2014, 5, 31), published=True)


def test_public_page_shows_plan_and_published_figures(client, published):
    response = client.get("/public/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Reducing Offending and Re-offending" in html
    assert "How performance is judged" in html
    assert "All crime: figures to May 2014 show common cause variation." in html
    assert f"/public/{AS_OF}/measures/all_crime.csv" in html
    assert published.digest[:12] in html
    assert 'data-chart-figure="chart-trend-all_crime-data"' in html


def test_public_page_ignores_unpublished_snapshot(client, plan):
    snapshot_make(as_of=date(2014, 5, 31), published=True)
    snapshot_make(as_of=date(2014, 6, 30), published=False)
    html = client.get("/public/").content.decode()
    assert "Data as at 31 May 2014" in html
    assert "30 June 2014" not in html


def test_public_page_without_published_snapshot(client, plan):
    snapshot_make(as_of=date(2014, 5, 31), published=False)
    response = client.get("/public/")
    assert response.status_code == 200
    assert "No figures have been published yet." in response.content.decode()


def test_public_page_signed_in_still_public_view(client_for, published):
    html = client_for(COORDINATOR).get("/public/").content.decode()
    assert "High-risk domestic abuse cases referred to MARAC" not in html


def test_public_csv_names_snapshot(client, published):
    response = client.get(f"/public/{AS_OF}/measures/all_crime.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert f"Digest: {published.digest}" in text
    assert "Open Government Licence" in text
    assert "Period start,Period end" in text


def test_public_csv_unpublished_or_restricted_is_404(client, plan):
    snapshot_make(as_of=date(2014, 5, 31), published=True)
    snapshot_make(as_of=date(2014, 6, 30), published=False)
    assert client.get("/public/2014-06-30/measures/all_crime.csv").status_code == 404
    assert client.get(f"/public/{AS_OF}/measures/marac_referrals.csv").status_code == 404
    assert client.get(f"/public/{AS_OF}/measures/nonsense.csv").status_code == 404
    assert client.get("/public/latest/measures/all_crime.csv").status_code == 200


def test_public_page_query_count_bounded(client, published):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/public/").status_code == 200
    assert len(queries) <= 13  # they include the latest quarterly statements, the office and its force's name


def test_accessibility_statement(client, db):
    response = client.get("/accessibility/")
    assert response.status_code == 200
    assert "WCAG" in response.content.decode() or "Web Content Accessibility Guidelines" in response.content.decode()


def _public_urls(codes: list[str]) -> list[str]:
    urls = ["/public/", "/accessibility/", "/api/v1/schema", "/api/v1/snapshots", "/api/v1/snapshots?format=csv"]
    for as_of in (AS_OF, "latest"):
        base = f"/api/v1/snapshots/{as_of}"
        urls += [f"{base}/measures", f"{base}/measures?format=csv", f"{base}/outcomes", f"{base}/outcomes?format=csv"]
        for code in codes:
            urls += [
                f"/public/{as_of}/measures/{code}.csv",
                f"{base}/measures/{code}/series",
                f"{base}/measures/{code}/series?format=csv",
                f"{base}/measures/{code}/msg",
                f"{base}/measures/{code}/msg?format=csv",
                f"{base}/measures/{code}/series?area=E23000021",
            ]
    return urls


def test_restricted_measures_appear_in_no_public_answer(client, published):
    """Canary: crawl every public URL; no restricted code or title may appear anywhere."""
    restricted = restricted_measure_codes()
    assert restricted, "the plan fixture should hold restricted measures"
    needles = set(restricted) | set(Measure.objects.filter(code__in=restricted).values_list("title", flat=True))
    codes = list(Measure.objects.values_list("code", flat=True))
    seen_ok = 0
    for url in _public_urls(codes):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        seen_ok += response.status_code == 200
        body = response.content.decode("utf-8-sig")
        for needle in needles:
            assert needle not in body, (url, needle)
    assert seen_ok > 40  # the crawl really read figures, not only errors
