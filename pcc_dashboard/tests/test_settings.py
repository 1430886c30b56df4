"""Settings come from the environment with safe defaults (DEBUG off, SQLite, no production secrets)."""

import pytest

from pcc_dashboard.tests.conftest import DUMMY_KEY, run_python, settings_in_subprocess


def test_debug_is_off_unless_set():
    assert settings_in_subprocess(["DEBUG"], DEBUG="")["DEBUG"] is False


def test_debug_can_be_switched_on_for_development():
    assert settings_in_subprocess(["DEBUG"], DEBUG="1")["DEBUG"] is True


def test_production_profile_ignores_debug():
    values = settings_in_subprocess(["DEBUG"], DEBUG="1", PCC_PROFILE="production")
    assert values["DEBUG"] is False


def test_database_is_sqlite_by_default_and_postgres_from_database_url():
    sqlite = settings_in_subprocess(["DATABASES"], DATABASE_URL="")
    assert sqlite["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    postgres = settings_in_subprocess(["DATABASES"], DATABASE_URL="postgres://u@db.example:5432/pcc")
    database = postgres["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"]) == ("db.example", "pcc")


def test_allowed_hosts_come_from_the_environment():
    values = settings_in_subprocess(["ALLOWED_HOSTS"], ALLOWED_HOSTS="pcc.example.gov.uk, www.pcc.example.gov.uk")
    assert values["ALLOWED_HOSTS"] == ["pcc.example.gov.uk", "www.pcc.example.gov.uk"]


def test_missing_secret_key_with_debug_off_says_how_to_set_it():
    result = run_python("print('started')", SECRET_KEY="", DEBUG="0")
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "SECRET_KEY is not set" in result.stderr
    assert "secrets.token_urlsafe" in result.stderr


def test_missing_secret_key_is_an_error_in_production_even_if_insecure_key_allowed():
    result = run_python("print('started')", SECRET_KEY="", PCC_PROFILE="production", PCC_ALLOW_INSECURE_KEY="1")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_unknown_profile_is_refused():
    result = run_python("print('started')", PCC_PROFILE="prod")
    assert result.returncode != 0
    assert "PCC_PROFILE must be" in result.stderr


def test_production_profile_turns_on_every_hardening_setting():
    names = [
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_NAME",
        "CSRF_COOKIE_NAME",
        "PCC_REQUIRE_2FA",
        "SECRET_KEY",
    ]
    values = settings_in_subprocess(names, PCC_PROFILE="production", SECRET_KEY=DUMMY_KEY)
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["PCC_REQUIRE_2FA"] is True
    assert values["SECRET_KEY"] == DUMMY_KEY


@pytest.mark.parametrize("profile", ["development", "production"])
def test_two_factor_can_be_set_explicitly(profile):
    values = settings_in_subprocess(["PCC_REQUIRE_2FA"], PCC_PROFILE=profile, PCC_REQUIRE_2FA="0")
    assert values["PCC_REQUIRE_2FA"] is False
