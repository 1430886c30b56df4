"""Security headers, session timeouts, two-factor enforcement, write conflicts, and cached snapshot pages answered early."""

import logging
import secrets
import time

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, logout
from django.contrib.auth.models import Group
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as CACHED_DB_PREFIX
from django.core.cache import cache
from django.db import OperationalError
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcc_dashboard.roles import second_factor_required

# Scripts only from this site (plotly's strict bundle needs no eval). Plotly and GOV.UK Frontend
# set inline style attributes, which CSP level 2 cannot allow by hash, so styles allow them.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# The service only reads (GET, HEAD) and submits forms (POST); TRACE and friends are refused for
# every view, so a view without @require_GET cannot answer them (QUALITY.md: schemathesis ST204).
ALLOWED_METHODS = ("GET", "HEAD", "POST", "OPTIONS")
API_PREFIX = "/api/"  # answers in JSON, errors included


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ALLOWED_METHODS and request.path.startswith(API_PREFIX):
            from reports.views.api import method_not_allowed  # reports imports this module

            response = method_not_allowed()
        elif request.method not in ALLOWED_METHODS:
            response = HttpResponseNotAllowed(ALLOWED_METHODS)
        else:
            response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # Static files (served by whitenoise, which answers before XFrameOptionsMiddleware) get it too.
        response.setdefault("X-Frame-Options", "DENY")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # A page answered from the cache says so without loading the user (CachedPageMiddleware).
        signed_in = getattr(request, "pcc_signed_in", None)
        if signed_in is None:
            user = getattr(request, "user", None)
            signed_in = user is not None and user.is_authenticated
        if signed_in:
            # Signed-in pages may hold restricted figures: never store them (ASVS 7.4, SE-2).
            response["Cache-Control"] = "no-store"
        return response


class SessionTimeoutMiddleware:
    """Absolute session timeout, and the inactivity timeout (SESSION_COOKIE_AGE) renewed by activity.

    The session is re-saved, which renews its expiry, at most once a minute rather than on every
    request, so a cached page costs no session write (the inactivity limit is exact to a minute).
    """

    KEY = "pcc_signed_in_at"
    SEEN = "pcc_seen_at"
    RENEW_AFTER_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(self.KEY)
            now = time.time()
            if started is None:
                request.session[self.KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(f"{reverse('login')}?next={request.path}&expired=1")
            if now - request.session.get(self.SEEN, 0) > self.RENEW_AFTER_SECONDS:
                request.session[self.SEEN] = now  # marks the session modified: saved with a new expiry
        return self.get_response(request)


logger = logging.getLogger(__name__)
# PostgreSQL: serialization failure, deadlock, lock not available.
CONFLICT_SQLSTATES = {"40001", "40P01", "55P03"}


def is_write_conflict(exc: BaseException) -> bool:
    """True for a write that met another one: SQLite still locked after its busy timeout, or a
    PostgreSQL serialization failure, deadlock or lock timeout."""
    if not isinstance(exc, OperationalError):
        return False
    if getattr(exc.__cause__, "pgcode", None) in CONFLICT_SQLSTATES:
        return True
    return "database is locked" in str(exc) or "database table is locked" in str(exc)


class WriteConflictMiddleware:
    """A write that meets another answers 503 with what to do, never a 500 (issue 13, item 7).

    The request's transaction has already rolled back, so nothing was half-saved; the page is
    static (no database query), like the 500 page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_write_conflict(exception):
            return None
        logger.warning("write conflict on %s %s: %s", request.method, request.path, exception)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "60"
        return response


class TwoFactorRequiredMiddleware:
    """When PCC_REQUIRE_2FA is on, writers and staff must pass a TOTP check before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.PCC_REQUIRE_2FA and self._needs_second_factor(request):
            # The code check, the set-up link beneath it, sign-out and static files stay reachable.
            allowed = request.path.startswith((reverse("two_factor"), settings.STATIC_URL))
            if not allowed and request.path != reverse("logout"):
                return redirect(f"{reverse('two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)

    @staticmethod
    def _needs_second_factor(request) -> bool:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return False
        return second_factor_required(user)


# --- Cached snapshot pages for signed-in readers, without loading the user (issue 8, item 5) ------
#
# The full path (SessionTimeoutMiddleware, TwoFactorRequiredMiddleware, the view) leaves a "page
# pass" in the session once it has served a snapshot page: who the reader is as far as the page
# cares (role signature, name, whether a second factor applies) and the auth tokens it read
# *before* loading the user. A token is a random value in the cache per user, plus one epoch for
# every user; any save of the user, their groups, a group or their TOTP device deletes it. So a
# pass is good only while nothing about the reader has changed since the full path checked them.
PASS_KEY = "pcc_page_pass"
AUTH_TOKEN_PREFIX = "pcc-auth:user:"
AUTH_EPOCH_KEY = "pcc-auth:epoch"
AUTH_TOKEN_SECONDS = 60 * 60
CACHED_PAGE_PREFIX = "/snapshots/"


def _auth_keys(user_id) -> list[str]:
    return [f"{AUTH_TOKEN_PREFIX}{user_id}", AUTH_EPOCH_KEY]


def auth_tokens(user_id) -> list[str | None]:
    """The reader's auth tokens as they are now, created when missing (after a bump or an eviction)."""
    keys = _auth_keys(user_id)
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, secrets.token_hex(16), AUTH_TOKEN_SECONDS)
            found[key] = cache.get(key)
    return [found[key] for key in keys]


def _bump_user(user_id) -> None:
    cache.delete(f"{AUTH_TOKEN_PREFIX}{user_id}")


def _bump_everyone(**kwargs) -> None:
    cache.delete(AUTH_EPOCH_KEY)


def _user_changed(sender, instance, **kwargs) -> None:
    """A user's password, flags, name, last sign-in or existence changed."""
    _bump_user(instance.pk)


def _membership_changed(sender, instance, reverse, pk_set, **kwargs) -> None:
    if not reverse:
        _bump_user(instance.pk)
    elif pk_set:
        for user_id in pk_set:
            _bump_user(user_id)
    else:  # group.user_set.clear(): the members are not named
        _bump_everyone()


def _device_changed(sender, instance, **kwargs) -> None:
    _bump_user(instance.user_id)


_User = get_user_model()
for _signal in (post_save, post_delete):
    _signal.connect(_user_changed, sender=_User, dispatch_uid=f"page-pass-user-{_signal is post_save}")
    _signal.connect(_bump_everyone, sender=Group, dispatch_uid=f"page-pass-group-{_signal is post_save}")
    _signal.connect(_device_changed, sender=TOTPDevice, dispatch_uid=f"page-pass-totp-{_signal is post_save}")
m2m_changed.connect(_membership_changed, sender=_User.groups.through, dispatch_uid="page-pass-groups")


def _session_auth_state(session) -> str:
    """The session's own record of who signed in, how, when and with which second factor."""
    keys = (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY, DEVICE_ID_SESSION_KEY, SessionTimeoutMiddleware.KEY)
    return "|".join(str(session.get(key, "")) for key in keys)


def page_pass_record(request, *, signature: str) -> None:
    """Called by a snapshot page served on the full path: leave (or drop) the reader's page pass."""
    user, session = request.user, request.session
    early = getattr(request, "_pcc_auth_tokens", None)
    if not user.is_authenticated or early is None or early[0] != str(user.pk) or None in early[1]:
        if session.get(PASS_KEY) is not None:
            del session[PASS_KEY]
        return
    page_pass = {
        "state": _session_auth_state(session),
        "tokens": early[1],
        "signature": signature,
        "name": user.get_username(),
        "second_factor": second_factor_required(user),
    }
    if session.get(PASS_KEY) != page_pass:
        session[PASS_KEY] = page_pass


class CachedPageMiddleware:
    """Answer a GET for a cached snapshot page before the user is loaded, when the session proves it may.

    Sits after CsrfViewMiddleware and before AuthenticationMiddleware: it never needs the user.
    Anything uncertain falls through to the full path: a query string, pending messages, a session
    due for renewal or past its absolute limit, a pass that does not match the session or the
    current auth tokens, a second factor now required and missing, or no cached page. Signed-in
    readers are answered early only when the cache is shared by every process (PCC_SHARED_CACHE):
    with a per-process cache, a sign-out or role change in one process would not reach another.
    """

    def __init__(self, get_response):
        from reports import caching  # reports imports this module: import it once the apps are ready

        self.get_response = get_response
        self.caching = caching

    def __call__(self, request):
        response = self._cached(request) if request.method == "GET" else None
        return response if response is not None else self.get_response(request)

    def _cached(self, request):
        if request.META.get("QUERY_STRING") or not request.path_info.startswith(CACHED_PAGE_PREFIX):
            return None
        if CookieStorage.cookie_name in request.COOKIES:
            return None
        read = self._read(request)
        if read is None:
            return None
        session, user_id, tokens, generation = read
        if session.get(SessionStorage.session_key):
            return None  # messages are waiting for this reader
        if user_id is None:
            signature, name = self.caching.ANONYMOUS, ""
        else:
            page_pass = session.get(PASS_KEY)
            if not self._pass_holds(session, page_pass, tokens):
                return None
            signature, name = page_pass["signature"], page_pass["name"]
        if generation is None:
            return None
        key = self.caching.shell_key(path=request.path, signature=signature, generation=generation)
        shell = self.caching.shell_get(key)
        if shell is None:
            return None
        request.pcc_signed_in = user_id is not None
        response = self.caching.shell_response(request, shell, user_id=user_id or "", name=name)
        patch_vary_headers(response, ("Cookie",))  # as SessionMiddleware does for a session it read
        return response

    def _read(self, request):
        """(session data, user id, auth tokens, generation): one cache round trip for a session seen before.

        The auth tokens are read before anything loads the user and kept on the request, so a pass
        recorded by the full path never holds tokens newer than the user it checked.
        """
        generation_key = self.caching.GENERATION_KEY
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        user_id = _SESSION_USERS.get(session_key) if session_key else None
        if user_id is not None and _sessions_in_shared_cache():
            # The user id is this process's memory of the session; the session itself confirms it.
            keys = [CACHED_DB_PREFIX + session_key, *_auth_keys(user_id), generation_key]
            found = cache.get_many(keys)
            data = found.get(keys[0])
            if data is not None and data.get(SESSION_KEY) == user_id:
                tokens = [found.get(key) for key in keys[1:3]]
                request._pcc_auth_tokens = (user_id, tokens if None not in tokens else auth_tokens(user_id))
                return data, user_id, request._pcc_auth_tokens[1], found.get(generation_key)
        session = request.session  # the session store's own read (SessionMiddleware then sends Vary: Cookie)
        user_id = session.get(SESSION_KEY)
        if user_id is None:
            return session, None, None, cache.get(generation_key)
        if not settings.PCC_SHARED_CACHE:
            return None
        _remember_session_user(session_key, user_id)
        keys = _auth_keys(user_id)
        found = cache.get_many([*keys, generation_key])
        tokens = [found.get(key) for key in keys]
        request._pcc_auth_tokens = (user_id, tokens if None not in tokens else auth_tokens(user_id))
        return session, user_id, request._pcc_auth_tokens[1], found.get(generation_key)

    @staticmethod
    def _pass_holds(session, page_pass, tokens) -> bool:
        if not page_pass or page_pass["tokens"] != tokens or page_pass["state"] != _session_auth_state(session):
            return False
        now = time.time()
        started = session.get(SessionTimeoutMiddleware.KEY)
        seen = session.get(SessionTimeoutMiddleware.SEEN)
        if started is None or seen is None or now - started > settings.SESSION_ABSOLUTE_SECONDS:
            return False  # the full path signs the reader out
        if now - seen > SessionTimeoutMiddleware.RENEW_AFTER_SECONDS:
            return False  # the full path renews the session's expiry
        if settings.PCC_REQUIRE_2FA and page_pass["second_factor"] and not session.get(DEVICE_ID_SESSION_KEY):
            return False
        return True


# Which user a session key belongs to, as this process last read it. A key never changes hands
# (signing in cycles or flushes it), and every use is checked against the session itself.
_SESSION_USERS: dict[str, str] = {}
SESSION_USERS_SIZE = 4096


def _remember_session_user(session_key: str | None, user_id: str) -> None:
    if not session_key:
        return
    if len(_SESSION_USERS) >= SESSION_USERS_SIZE:
        _SESSION_USERS.pop(next(iter(_SESSION_USERS)), None)
    _SESSION_USERS[session_key] = user_id


def _sessions_in_shared_cache() -> bool:
    return (
        settings.PCC_SHARED_CACHE
        and settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
        and settings.SESSION_CACHE_ALIAS == "default"
    )
