"""Cached snapshot pages: who gets a page from the cache, and who never does.

Anonymous readers of a published snapshot get the whole page from the cache (seen from outside as
a page served without one database query). Signed-in readers always take the full path through
authentication, session timeouts and two-factor checks; only the page's content fragment is
cached. Every test that revokes something checks that the next request does not get the old page:
a restricted figure never reaches someone not entitled to it.
"""

import datetime as dt
import re
import time
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcc_dashboard.middleware import SessionTimeoutMiddleware
from reports.tests.factories import snapshot_with_results

AS_OF = "2014-05-31"
RESTRICTED_URL = f"/snapshots/{AS_OF}/measures/marac_referrals/"  # restricted in the plan fixture
RESTRICTED_TITLE = "High-risk domestic abuse cases referred to MARAC"
PUBLIC_URL = f"/snapshots/{AS_OF}/measures/all_crime/"
OVERVIEW_URL = f"/snapshots/{AS_OF}/"
CACHED_DB = "django.contrib.sessions.backends.cached_db"


@pytest.fixture
def shared(settings):
    """Sessions read through the cache, as in production with CACHE_URL=redis://…"""
    settings.SESSION_ENGINE = CACHED_DB
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def snapshot(plan):
    return snapshot_with_results(as_of=dt.date(2014, 5, 31))


def _signed_in(make_user, role="coordinator", **extra) -> tuple[Client, object]:
    user = make_user(role, **extra)
    client = Client()
    client.force_login(user)
    return client, user


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _cached_bytes() -> list[bytes]:
    """Every value in the test cache (local memory: pickled bytes)."""
    return list(cache._cache.values())


def test_signed_in_reader_gets_the_page_with_their_own_name(shared, snapshot, make_user):
    client, user = _signed_in(make_user)
    for _ in range(2):  # the second request reads the cached fragment
        response = client.get(RESTRICTED_URL)
        assert response.status_code == 200
        html = response.content.decode()
        assert RESTRICTED_TITLE in html and f"Signed in as {user.username} (Performance co-ordinator)." in html
        assert response["Cache-Control"] == "no-store"


def test_signed_in_page_csrf_token_belongs_to_this_browser(shared, snapshot, make_user):
    client, _ = _signed_in(make_user)
    client.get(PUBLIC_URL)
    token = _csrf_token(client.get(PUBLIC_URL).content.decode())
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
    tokens = [_csrf_token(c.get(PUBLIC_URL).content.decode()) for c in (first, second)]
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


def test_change_without_a_signal_takes_effect_at_the_next_request(shared, snapshot, make_user):
    """A queryset .update() sends no signal; the user is read afresh on every request all the same."""
    client, user = _signed_in(make_user)
    assert RESTRICTED_TITLE in client.get(RESTRICTED_URL).content.decode()
    type(user).objects.filter(pk=user.pk).update(is_active=False)
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


def test_session_due_for_renewal_is_renewed(shared, snapshot, make_user):
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


def test_pending_message_is_shown_then_gone(shared, snapshot, make_user):
    client, _ = _signed_in(make_user)
    client.get(PUBLIC_URL)
    client.cookies["messages"] = _message_cookie("Return accepted")  # what a POST's redirect leaves
    assert "Return accepted" in client.get(PUBLIC_URL).content.decode()
    assert "Return accepted" not in client.get(PUBLIC_URL).content.decode()


def test_pending_message_for_an_anonymous_reader_is_shown(snapshot, client):
    cache.clear()
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


def test_anonymous_reader_of_a_published_snapshot_is_served_from_the_cache(snapshot, client, django_assert_num_queries):
    cache.clear()
    full = client.get(PUBLIC_URL)
    with django_assert_num_queries(0):
        cached = client.get(PUBLIC_URL)
    assert cached.content == full.content
    assert "You are viewing published information" in cached.content.decode()
    assert "Cache-Control" not in cached or "no-store" not in cached["Cache-Control"]
    assert cached["Content-Security-Policy"] == full["Content-Security-Policy"]


def test_cached_anonymous_page_answers_if_none_match_with_304(snapshot, client, django_assert_num_queries):
    cache.clear()
    etag = client.get(PUBLIC_URL)["ETag"]
    with django_assert_num_queries(0):
        again = client.get(PUBLIC_URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    assert client.get(PUBLIC_URL, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_restricted_figures_never_reach_the_anonymous_page_cache(shared, snapshot, make_user):
    coordinator, _ = _signed_in(make_user)
    for url in (OVERVIEW_URL, RESTRICTED_URL, PUBLIC_URL):
        coordinator.get(url)  # a restricted viewer reads first
    anonymous = Client()
    assert anonymous.get(RESTRICTED_URL).status_code == 404
    for _ in range(2):  # rendered, then from the whole-page cache
        assert RESTRICTED_TITLE not in anonymous.get(OVERVIEW_URL).content.decode()
    assert anonymous.get(RESTRICTED_URL).status_code == 404


def test_unpublished_snapshot_read_by_the_panel_is_never_served_to_anonymous(shared, plan, make_user):
    snapshot_with_results(as_of=dt.date(2014, 5, 31), published=False)
    panel, _ = _signed_in(make_user, "panel")
    assert panel.get(PUBLIC_URL).status_code == 200
    assert panel.get(PUBLIC_URL).status_code == 200
    assert Client().get(PUBLIC_URL).status_code == 404


def test_withdrawn_publication_ends_the_anonymous_cached_page(snapshot, client):
    from reports.models import SnapshotPublication

    cache.clear()
    assert client.get(PUBLIC_URL).status_code == 200
    assert client.get(PUBLIC_URL).status_code == 200  # from the cache
    SnapshotPublication.objects.filter(snapshot=snapshot).delete()
    assert client.get(PUBLIC_URL).status_code == 404


def test_query_string_and_posts_take_the_full_path(shared, snapshot, make_user):
    client, _ = _signed_in(make_user)
    client.get(PUBLIC_URL)
    switched = client.get(PUBLIC_URL + "?as_of=2014-05-31")
    assert switched.status_code == 302


def test_cache_holds_no_signed_in_name_and_no_csrf_token(shared, snapshot, make_user):
    client, _ = _signed_in(make_user, username="carol-coordinator")
    for url in (RESTRICTED_URL, PUBLIC_URL, OVERVIEW_URL):
        client.get(url)
        client.get(url)
    Client().get(PUBLIC_URL)  # an anonymous whole page in the cache too
    cached = _cached_bytes()
    assert cached
    for raw in cached:
        assert b"carol-coordinator" not in raw
        assert b"csrfmiddlewaretoken" not in raw and b"Signed in as" not in raw


# The early answer: reports.middleware answers a bare anonymous GET or HEAD before the session middleware.
EARLY = "reports.middleware.AnonymousSnapshotPageMiddleware"


@pytest.fixture
def session_spy():
    """Counts the requests that reached the session middleware (took the full path)."""
    with mock.patch.object(
        SessionMiddleware, "process_request", autospec=True, side_effect=SessionMiddleware.process_request
    ) as spy:
        yield spy


def _ask(client: Client, kind: str, etag: str = ""):
    if kind == "HEAD":
        return client.head(PUBLIC_URL)
    return client.get(PUBLIC_URL, HTTP_IF_NONE_MATCH=etag) if kind == "If-None-Match" else client.get(PUBLIC_URL)


@pytest.mark.parametrize("kind", ["GET", "HEAD", "If-None-Match"])
def test_early_answer_equals_the_full_paths_without_session_or_query(
    snapshot, settings, session_spy, django_assert_num_queries, kind
):
    cache.clear()
    etag = Client().get(PUBLIC_URL)["ETag"]  # rendered by the full path, and cached
    session_spy.reset_mock()
    with django_assert_num_queries(0):
        early = _ask(Client(), kind, etag)
    assert session_spy.call_count == 0
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != EARLY]
    full = _ask(Client(), kind, etag)  # the same cache entry, after the whole stack
    assert session_spy.call_count == 1
    assert early.status_code == full.status_code == (304 if kind == "If-None-Match" else 200)
    assert early.content == full.content
    assert sorted(early.headers.items()) == sorted(full.headers.items())
    assert early["ETag"] == etag and early["Vary"] == "Cookie" and early["Content-Security-Policy"]


@pytest.mark.parametrize("extra", ["signed in", "stale session cookie", "messages cookie", "Authorization"])
def test_any_cookie_or_credential_takes_the_full_path(snapshot, make_user, session_spy, extra):
    cache.clear()
    Client().get(PUBLIC_URL)  # the anonymous page is in the cache
    client = Client()
    headers = {}
    if extra == "signed in":
        client.force_login(make_user("coordinator"))
    elif extra == "stale session cookie":
        client.cookies[django_settings.SESSION_COOKIE_NAME] = "no-such-session"
    elif extra == "messages cookie":
        client.cookies["messages"] = _message_cookie("Welcome back")
    else:
        headers["HTTP_AUTHORIZATION"] = "Bearer anything"
    session_spy.reset_mock()
    response = client.get(PUBLIC_URL, **headers)
    assert session_spy.call_count == 1 and response.status_code == 200
    html = response.content.decode()
    assert ("Signed in as" in html) == (extra == "signed in")
    assert ("Welcome back" in html) == (extra == "messages cookie")


def test_snapshot_selector_is_redirected_after_an_early_answer(snapshot):
    cache.clear()
    for _ in range(2):
        Client().get(PUBLIC_URL)
    switched = Client().get(PUBLIC_URL + "?as_of=2014-05-31")
    assert switched.status_code == 302 and switched["Location"] == PUBLIC_URL


def test_restricted_canary_never_reaches_the_early_answer(shared, snapshot, make_user, session_spy):
    coordinator, _ = _signed_in(make_user)
    for url in (OVERVIEW_URL, RESTRICTED_URL, PUBLIC_URL):
        coordinator.get(url)
        coordinator.get(url)
    for _ in range(2):  # written by the full path, then answered early
        assert RESTRICTED_TITLE not in Client().get(OVERVIEW_URL).content.decode()
        assert Client().get(RESTRICTED_URL).status_code == 404
    whole_pages = [raw for key, raw in cache._cache.items() if ":public:" in key]
    assert whole_pages and all(RESTRICTED_TITLE.encode() not in raw for raw in whole_pages)


@pytest.mark.parametrize("change", ["withdraw", "restrict the measure", "new commentary"])
def test_a_change_reaches_the_next_early_request(snapshot, session_spy, change):
    from priorities.models import Measure
    from reports.models import Commentary, SnapshotPublication

    cache.clear()
    for _ in range(2):
        assert Client().get(PUBLIC_URL).status_code == 200
    assert session_spy.call_count == 1  # the second was answered early
    measure = Measure.objects.get(code="all_crime")
    if change == "withdraw":
        SnapshotPublication.objects.filter(snapshot=snapshot).delete()
    elif change == "restrict the measure":
        measure.restricted = True
        measure.save()
    else:
        Commentary.objects.create(snapshot=snapshot, measure=measure, text="Canary context")
    response = Client().get(PUBLIC_URL)
    if change == "new commentary":
        assert "Canary context" in response.content.decode()
    else:
        assert response.status_code == 404


def test_publishing_reaches_the_next_anonymous_request(plan):
    from django.utils import timezone

    from reports.models import SnapshotPublication

    cache.clear()
    unpublished = snapshot_with_results(as_of=dt.date(2014, 5, 31), published=False)
    assert Client().get(PUBLIC_URL).status_code == 404
    SnapshotPublication.objects.create(snapshot=unpublished, published_at=timezone.now())
    for _ in range(2):  # rendered, then answered early
        assert Client().get(PUBLIC_URL).status_code == 200
