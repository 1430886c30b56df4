"""Cached snapshot pages answered early (pcc_dashboard.middleware.CachedPageMiddleware): who gets them, and who never does.

"Answered early" is seen from outside as a page served without one database query: the session,
the reader's pass and the page all come from the cache. Every test that revokes something checks
that the next request is not served the old page (R6: a restricted figure never reaches someone
not entitled to it).
"""

import datetime as dt
import re
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcc_dashboard import middleware
from pcc_dashboard.middleware import PASS_KEY, SessionTimeoutMiddleware
from reports import caching
from reports.tests.factories import snapshot_with_results

AS_OF = "2014-05-31"
RESTRICTED_URL = f"/snapshots/{AS_OF}/measures/marac_referrals/"  # restricted in the plan fixture (R6)
RESTRICTED_TITLE = "High-risk domestic abuse cases referred to MARAC"
PUBLIC_URL = f"/snapshots/{AS_OF}/measures/all_crime/"
CACHED_DB = "django.contrib.sessions.backends.cached_db"


def _forget():
    cache.clear()
    middleware._SESSION_USERS.clear()
    caching._SHELL_MEMO.clear()


@pytest.fixture
def shared(settings):
    """A cache every process shares (as with CACHE_URL=redis://…), sessions read through it."""
    settings.PCC_SHARED_CACHE = True
    settings.SESSION_ENGINE = CACHED_DB
    _forget()
    yield
    _forget()


@pytest.fixture
def snapshot(plan):
    return snapshot_with_results(as_of=dt.date(2014, 5, 31))


def _signed_in(make_user, role="coordinator", **extra) -> tuple[Client, object]:
    user = make_user(role, **extra)
    client = Client()
    client.force_login(user)
    return client, user


def _served_early(client, url, django_assert_num_queries):
    with django_assert_num_queries(0):
        return client.get(url)


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)


def test_signed_in_reader_is_served_early_with_their_own_name(shared, snapshot, make_user, django_assert_num_queries):
    client, user = _signed_in(make_user)
    full = client.get(RESTRICTED_URL)  # the full path checks the reader and leaves a page pass
    assert full.status_code == 200
    early = _served_early(client, RESTRICTED_URL, django_assert_num_queries)
    assert early.status_code == 200
    html = early.content.decode()
    assert RESTRICTED_TITLE in html and f"Signed in as {user.username} (Performance co-ordinator)." in html
    assert _without_tokens(html) == _without_tokens(full.content.decode())


def test_early_page_keeps_every_header_of_the_full_path(shared, snapshot, make_user, django_assert_num_queries):
    client, _ = _signed_in(make_user, "panel")
    full = client.get(PUBLIC_URL)
    early = _served_early(client, PUBLIC_URL, django_assert_num_queries)
    for name in (
        "Content-Security-Policy",
        "X-Frame-Options",
        "Permissions-Policy",
        "Cross-Origin-Resource-Policy",
        "Cross-Origin-Opener-Policy",
        "Referrer-Policy",
        "X-Content-Type-Options",
        "Content-Type",
        "ETag",
    ):
        assert early[name] == full[name], name
    assert early["Cache-Control"] == "no-store"
    assert "Cookie" in early["Vary"]
    assert early.cookies[django_settings.CSRF_COOKIE_NAME]["httponly"]


def test_early_page_csrf_token_belongs_to_this_browser(shared, snapshot, make_user, django_assert_num_queries):
    from django.middleware.csrf import _unmask_cipher_token

    client, _ = _signed_in(make_user)
    client.get(PUBLIC_URL)
    early = _served_early(client, PUBLIC_URL, django_assert_num_queries)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', early.content.decode()).group(1)
    assert _unmask_cipher_token(token) == client.cookies[django_settings.CSRF_COOKIE_NAME].value
    # and it works: signing out with it succeeds
    assert client.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302


def test_two_readers_with_one_role_never_see_each_others_name_or_token(shared, snapshot, make_user):
    first, alice = _signed_in(make_user, username="alice-coordinator")
    second, bob = _signed_in(make_user, username="bob-coordinator")
    for _ in range(3):
        for client, me, other in ((first, alice, bob), (second, bob, alice)):
            html = client.get(RESTRICTED_URL).content.decode()
            assert f"Signed in as {me.username}" in html
            assert other.username not in html
    tokens = [
        re.search(r'csrfmiddlewaretoken" value="([^"]+)"', c.get(PUBLIC_URL).content.decode()).group(1)
        for c in (first, second)
    ]
    from django.middleware.csrf import _unmask_cipher_token

    assert _unmask_cipher_token(tokens[0]) == first.cookies[django_settings.CSRF_COOKIE_NAME].value
    assert _unmask_cipher_token(tokens[1]) == second.cookies[django_settings.CSRF_COOKIE_NAME].value


def test_signed_out_session_cookie_gets_no_restricted_page(shared, snapshot, make_user):
    client, user = _signed_in(make_user)
    client.get(RESTRICTED_URL)
    assert RESTRICTED_TITLE in client.get(RESTRICTED_URL).content.decode()
    old_cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("logout")).status_code == 302
    replay = Client()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = old_cookie
    response = replay.get(RESTRICTED_URL)
    assert response.status_code == 404
    assert user.username not in replay.get(PUBLIC_URL).content.decode()


def test_another_browsers_session_cookie_gets_the_page_of_that_session_only(shared, snapshot, make_user):
    first, alice = _signed_in(make_user, username="alice-coordinator")
    first.get(RESTRICTED_URL)
    anonymous = Client()
    assert anonymous.get(RESTRICTED_URL).status_code == 404
    assert "alice-coordinator" not in anonymous.get(PUBLIC_URL).content.decode()


@pytest.mark.parametrize("change", ["user.groups", "group.user_set", "group.user_set.clear"])
def test_role_change_takes_effect_at_the_next_request(shared, snapshot, make_user, change):
    panel = Group.objects.get_or_create(name="panel")[0]
    client, user = _signed_in(make_user)
    client.get(RESTRICTED_URL)
    assert RESTRICTED_TITLE in client.get(RESTRICTED_URL).content.decode()
    coordinators = Group.objects.get(name="coordinator")
    if change == "user.groups":
        user.groups.remove(coordinators)
    elif change == "group.user_set":
        coordinators.user_set.remove(user)
    else:
        coordinators.user_set.clear()
    user.groups.add(panel)
    assert client.get(RESTRICTED_URL).status_code == 404
    assert "(Police and Crime Panel member)" in client.get(PUBLIC_URL).content.decode()


def test_deactivated_user_gets_no_page_at_the_next_request(shared, snapshot, make_user):
    client, user = _signed_in(make_user)
    client.get(RESTRICTED_URL)
    assert RESTRICTED_TITLE in client.get(RESTRICTED_URL).content.decode()
    user.is_active = False
    user.save()
    assert client.get(RESTRICTED_URL).status_code == 404
    assert user.username not in client.get(PUBLIC_URL).content.decode()


def test_password_changed_elsewhere_ends_this_session(shared, snapshot, make_user):
    client, user = _signed_in(make_user)
    client.get(RESTRICTED_URL)
    user.set_password("another-long-passphrase-entirely")
    user.save()
    assert client.get(RESTRICTED_URL).status_code == 404


def test_change_without_a_signal_reaches_the_page_when_the_session_is_next_renewed(shared, snapshot, make_user):
    """A queryset .update() sends no signal: the pass then holds until the once-a-minute renewal."""
    client, user = _signed_in(make_user)
    client.get(RESTRICTED_URL)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    session = client.session
    session[SessionTimeoutMiddleware.SEEN] = time.time() - SessionTimeoutMiddleware.RENEW_AFTER_SECONDS - 1
    session.save()
    assert client.get(RESTRICTED_URL).status_code == 404


def test_session_past_its_absolute_limit_is_signed_out_not_served(shared, snapshot, make_user):
    client, _ = _signed_in(make_user)
    client.get(RESTRICTED_URL)
    session = client.session
    session[SessionTimeoutMiddleware.KEY] = time.time() - django_settings.SESSION_ABSOLUTE_SECONDS - 5
    session.save()
    response = client.get(RESTRICTED_URL)
    assert response.status_code == 302 and "expired=1" in response["Location"]
    assert client.get(RESTRICTED_URL).status_code == 404


def test_session_due_for_renewal_takes_the_full_path_and_is_renewed(shared, snapshot, make_user):
    client, _ = _signed_in(make_user)
    client.get(RESTRICTED_URL)
    session = client.session
    stale = time.time() - SessionTimeoutMiddleware.RENEW_AFTER_SECONDS - 5
    session[SessionTimeoutMiddleware.SEEN] = stale
    session.save()
    assert RESTRICTED_TITLE in client.get(RESTRICTED_URL).content.decode()
    assert client.session[SessionTimeoutMiddleware.SEEN] > stale


def test_expired_session_gets_no_page(shared, snapshot, make_user):
    from django.contrib.sessions.models import Session

    client, _ = _signed_in(make_user)
    client.get(RESTRICTED_URL)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    # Gone from the store (expired and cleared, or deleted): neither the cache nor the database has it.
    Session.objects.filter(session_key=key).delete()
    cache.delete(f"django.contrib.sessions.cached_db{key}")
    assert client.get(RESTRICTED_URL).status_code == 404


def _message_cookie(text: str) -> str:
    storage = CookieStorage(type("Request", (), {"COOKIES": {}})())
    return storage._encode([Message(constants.SUCCESS, text)])


def test_pending_message_is_shown_by_the_full_path_then_gone(shared, snapshot, make_user):
    client, _ = _signed_in(make_user)
    client.get(PUBLIC_URL)
    client.cookies["messages"] = _message_cookie("Return accepted")  # what a POST's redirect leaves
    assert "Return accepted" in client.get(PUBLIC_URL).content.decode()
    assert "Return accepted" not in client.get(PUBLIC_URL).content.decode()


def test_pending_message_for_an_anonymous_reader_is_shown(snapshot, client):
    _forget()
    client.get(PUBLIC_URL)
    client.cookies["messages"] = _message_cookie("Welcome back")
    assert "Welcome back" in client.get(PUBLIC_URL).content.decode()


def test_writer_without_second_factor_is_sent_to_it_not_served(shared, snapshot, make_user, settings):
    client, _ = _signed_in(make_user)
    client.get(RESTRICTED_URL)
    assert RESTRICTED_TITLE in client.get(RESTRICTED_URL).content.decode()
    settings.PCC_REQUIRE_2FA = True  # as after a restart with two-factor sign-in switched on
    response = client.get(RESTRICTED_URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor"))


def test_removed_device_sends_a_verified_writer_back_to_two_factor(shared, snapshot, make_user, settings):
    from django_otp import DEVICE_ID_SESSION_KEY

    settings.PCC_REQUIRE_2FA = True
    client, user = _signed_in(make_user)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    client.get(RESTRICTED_URL)
    assert RESTRICTED_TITLE in client.get(RESTRICTED_URL).content.decode()
    device.delete()
    response = client.get(RESTRICTED_URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor"))


def test_per_process_cache_never_answers_signed_in_readers_early(snapshot, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _forget()
    client, _ = _signed_in(make_user)
    client.get(RESTRICTED_URL)
    client.get(RESTRICTED_URL)
    assert PASS_KEY not in client.session
    with CaptureQueriesContext(connection) as captured:
        assert RESTRICTED_TITLE in client.get(RESTRICTED_URL).content.decode()
    assert any("auth_user" in q["sql"] for q in captured.captured_queries)


def test_anonymous_reader_is_served_early_from_any_cache(snapshot, client, django_assert_num_queries):
    _forget()
    full = client.get(PUBLIC_URL)
    early = _served_early(client, PUBLIC_URL, django_assert_num_queries)
    assert early.content == full.content
    assert "You are viewing published information" in early.content.decode()
    assert "Cache-Control" not in early or "no-store" not in early["Cache-Control"]
    assert early["Content-Security-Policy"] == full["Content-Security-Policy"]


def test_early_page_answers_if_none_match_with_304(shared, snapshot, make_user, django_assert_num_queries):
    client, _ = _signed_in(make_user)
    etag = client.get(PUBLIC_URL)["ETag"]
    with django_assert_num_queries(0):
        again = client.get(PUBLIC_URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    assert client.get(PUBLIC_URL, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_query_string_and_posts_take_the_full_path(shared, snapshot, make_user):
    client, _ = _signed_in(make_user)
    client.get(PUBLIC_URL)
    switched = client.get(PUBLIC_URL + "?as_of=2014-05-31")
    assert switched.status_code == 302


def test_shared_cache_holds_no_name_and_no_csrf_token(shared, snapshot, make_user):
    client, user = _signed_in(make_user, username="carol-coordinator")
    client.get(RESTRICTED_URL)
    client.get(RESTRICTED_URL)
    shells = [key for key in cache._cache if caching.SHELL_PREFIX in key]
    assert shells
    for key in shells:
        raw = cache._cache[key]
        assert b"carol-coordinator" not in raw
        assert b"csrfmiddlewaretoken" not in raw and b"Signed in as" not in raw
