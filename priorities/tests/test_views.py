"""The home page lists the plan; restricted measures are hidden from those not entitled."""

import pytest


@pytest.mark.parametrize("role", [None, "panel"])
def test_home_hides_restricted_measures_from_public_and_panel(plan, client_for, client, role):
    response = client_for(role) if role else client
    html = response.get("/").content.decode()
    assert "Theme 4: Protecting the Vulnerable" in html
    assert "SP18: Deliver £20 million of revenue savings" in html
    assert "High-risk domestic abuse cases referred to MARAC" not in html
    # SP6 and SP15 still appear, with the narrative saying why no figures are shown.
    assert "SP6:" in html and "SP15:" in html
    assert "No figures are published for this priority" in html


@pytest.mark.parametrize("role", ["coordinator", "pdg", "police_submitter"])
def test_home_shows_restricted_measures_to_entitled_roles(plan, client_for, role):
    html = client_for(role).get("/").content.decode()
    assert "High-risk domestic abuse cases referred to MARAC" in html
    assert "Restricted: not published" in html


def test_home_lists_every_theme_and_priority(plan, client):
    html = client.get("/").content.decode()
    for number in range(1, 19):
        assert f"SP{number}:" in html
    assert html.count('class="govuk-heading-l" id="theme-') == 4
    assert "Stand-in wording" in html


def test_home_query_count_bounded(plan, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200


def test_home_links_measures_to_latest_visible_snapshot(plan, client):
    from datetime import date

    from reports.services import snapshot_freeze, snapshot_publish

    published = snapshot_freeze(as_of=date(2014, 4, 30))
    snapshot_publish(snapshot=published)
    snapshot_freeze(as_of=date(2014, 5, 31))  # frozen, not published: not for the public
    html = client.get("/").content.decode()
    assert 'href="/snapshots/2014-04-30/"' in html
    assert 'href="/snapshots/2014-04-30/measures/all_crime/"' in html
    assert "2014-05-31" not in html


def test_home_tells_a_csp_data_lead_which_returns_they_owe_and_links_the_upload(plan, client_for):
    from reports.tests.snapshot_data import demo_history
    from returns.selectors import returns_owed

    demo_history()  # the force's returns to May 2014: the working date follows them
    client = client_for("csp_submitter", "csp-blaby")
    owed = returns_owed(client.user)
    assert owed, "Blaby has sent nothing, so every ended quarter is owed"
    html = client.get("/").content.decode()
    first = owed[0]
    assert "Your data returns" in html
    assert f"{first.label} return: <strong" in html and f"due {first.due:%-d %B %Y}" in html
    assert f"submitter=csp-blaby&amp;period={first.start:%Y-%m-%d}:{first.end:%Y-%m-%d}" in html
    word = {"missing": "Missing", "rejected": "Rejected", "not_due": "Not sent yet"}[first.state]
    assert f"{word}</strong>, due {first.due:%-d %B %Y}" in html


def test_home_shows_no_returns_section_to_the_public_or_the_coordinator(plan, client, client_for):
    assert "Your data returns" not in client.get("/").content.decode()
    assert "Your data returns" not in client_for("coordinator").get("/").content.decode()
