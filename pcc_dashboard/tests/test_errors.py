"""Friendly 403, 404 and 500 pages that leak nothing, with DEBUG off."""

import pytest
from django.conf import settings
from django.test import Client, override_settings

from pcc_dashboard.tests.urls_with_errors import SECRET_IN_EXCEPTION

# Things a debug page or a careless error page would show.
LEAKS = ["Traceback", "Exception Value", "Request Method", "settings.py", "SECRET_KEY", "Using the URLconf", "DEBUG"]
ERRORS_URLCONF = "pcc_dashboard.tests.urls_with_errors"


def assert_no_leaks(body: str) -> None:
    for leak in [*LEAKS, SECRET_IN_EXCEPTION, settings.SECRET_KEY, str(settings.BASE_DIR)]:
        assert leak not in body, leak


@pytest.mark.django_db
def test_not_found_page_is_friendly_and_leaks_nothing(client):
    assert settings.DEBUG is False
    response = client.get("/returns/99999999/../no-such-page/?q=<script>alert(1)</script>")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert "If you typed the web address, check it is correct." in body
    assert "<script>alert(1)</script>" not in body
    assert '<html lang="en-GB"' in body
    assert_no_leaks(body)


@pytest.mark.django_db
def test_missing_object_gives_the_friendly_not_found_page(plan, client_for):
    client = client_for("coordinator")
    response = client.get("/returns/99999999/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
def test_forbidden_page_is_friendly_and_leaks_nothing(plan, client_for):
    client = client_for("panel")
    response = client.get("/returns/tracker/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "You cannot see this page" in body
    assert "contact the performance co-ordinator" in body
    assert_no_leaks(body)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=ERRORS_URLCONF)
def test_permission_denied_message_is_not_shown(client_for):
    response = client_for("panel").get("/test-errors/forbidden/")
    assert response.status_code == 403
    assert "You cannot see this page" in response.content.decode()
    assert_no_leaks(response.content.decode())


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=ERRORS_URLCONF)
@pytest.mark.parametrize("signed_in", [False, True])
def test_server_error_page_is_friendly_and_leaks_nothing(make_user, signed_in):
    client = Client(raise_request_exception=False)
    if signed_in:
        client.force_login(make_user("coordinator"))
    response = client.get("/test-errors/explode/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Sorry, there is a problem with the service" in body
    assert "Go to the plan" in body
    assert_no_leaks(body)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_csrf_failure_page_is_friendly_and_leaks_nothing():
    response = Client(enforce_csrf_checks=True).post("/accounts/sign-in/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Your form expired" in body
    assert "CSRF" not in body
    assert_no_leaks(body)


@pytest.mark.django_db
def test_trace_and_other_unused_methods_are_refused(client):
    response = client.generic("TRACE", "/")
    assert response.status_code == 405
    assert "TRACE" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "start"),
    [
        ("/snapshots/freeze/", "/snapshots/"),
        ("/snapshots/2015-03-31/publish/", "/snapshots/2015-03-31/"),
        ("/returns/12/accept/", "/returns/12/"),
        ("/statements/drafts/new/", "/statements/"),
        ("/statements/drafts/3/publish/", "/statements/drafts/3/"),
        ("/accounts/sign-out/", "/"),
    ],
)
def test_opening_an_action_address_gives_a_page_linking_to_where_it_starts(plan, client_for, path, start):
    response = client_for("coordinator").get(path)
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    body = response.content.decode()
    assert '<html lang="en-GB"' in body and 'class="govuk-heading-xl"' in body
    assert "Confirm this action from its form" in body
    assert "has changed nothing" in body
    assert f'href="{start}">Go to the page where this action starts</a>' in body
    assert_no_leaks(body)


@pytest.mark.django_db
def test_action_address_page_is_shown_signed_out_too(client):
    response = client.get("/accounts/sign-out/")
    assert response.status_code == 405
    assert "Confirm this action from its form" in response.content.decode()
