"""The production profile: `check --deploy` is clean, HTTPS is enforced and cookies are locked down (CF-1, CF-2)."""

import json

import pytest

from pcc_dashboard.tests.conftest import DUMMY_KEY, run_manage, run_python

PRODUCTION = {"PCC_PROFILE": "production", "SECRET_KEY": DUMMY_KEY, "DEBUG": "0"}

# Runs in a production-profile process with an in-memory database: signs a Panel member in over
# HTTPS (as the TLS proxy reports it) and reports the headers and cookies the browser would get.
_PRODUCTION_CLIENT = """
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
user = User.objects.create_user("panel-member", password="a long enough passphrase here")
user.groups.add(Group.objects.create(name="panel"))
https = {"HTTP_X_FORWARDED_PROTO": "https"}
plain = Client().get("/accounts/sign-in/")
client = Client()
page = client.get("/accounts/sign-in/", **https)
signed_in = client.post("/accounts/sign-in/", {"username": "panel-member",
    "password": "a long enough passphrase here",
    "csrfmiddlewaretoken": page.cookies[settings.CSRF_COOKIE_NAME].value}, **https)
home = client.get("/", **https)
def cookie(c):
    return {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]), "samesite": c["samesite"], "path": c["path"]}
print("RESULT=" + json.dumps({
    "plain_status": plain.status_code, "plain_location": plain.get("Location", ""),
    "hsts": page.get("Strict-Transport-Security", ""),
    "signed_in_status": signed_in.status_code,
    "session_cookie_name": settings.SESSION_COOKIE_NAME,
    "session_cookie": cookie(signed_in.cookies[settings.SESSION_COOKIE_NAME]),
    "csrf_cookie": cookie(page.cookies[settings.CSRF_COOKIE_NAME]),
    "home_status": home.status_code, "home_cache": home.get("Cache-Control", ""),
    "home_signed_in": "Signed in as panel-member" in home.content.decode(),
}))
"""


@pytest.fixture(scope="module")
def production_responses():
    result = run_python(_PRODUCTION_CLIENT, DATABASE_URL="sqlite://:memory:", **PRODUCTION)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.split("RESULT=", 1)[1])


def test_check_deploy_passes_with_production_profile():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_without_production_profile():
    """The check has teeth: the development profile does not pass it."""
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=DUMMY_KEY)
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS


def test_production_redirects_plain_http_to_https(production_responses):
    assert production_responses["plain_status"] == 301
    assert production_responses["plain_location"].startswith("https://")


def test_production_sends_hsts_for_a_year_with_subdomains(production_responses):
    hsts = production_responses["hsts"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts


def test_production_session_cookie_is_secure_http_only_same_site(production_responses):
    assert production_responses["signed_in_status"] == 302
    assert production_responses["session_cookie_name"].startswith("__Host-")
    assert production_responses["session_cookie"] == {
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
        "path": "/",
    }


def test_production_csrf_cookie_is_secure_http_only_same_site(production_responses):
    assert production_responses["csrf_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax", "path": "/"}


def test_production_reader_is_signed_in_and_page_not_cached(production_responses):
    assert production_responses["home_status"] == 200
    assert production_responses["home_signed_in"]
    assert "no-store" in production_responses["home_cache"]
