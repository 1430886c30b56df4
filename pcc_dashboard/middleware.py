"""Security headers, session timeouts, two-factor enforcement and write conflicts."""

import logging
import time

from django.conf import settings
from django.contrib.auth import logout
from django.db import OperationalError
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse

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
# every view, so a view without @require_GET cannot answer them (the API schema tests send them).
ALLOWED_METHODS = ("GET", "HEAD", "POST", "OPTIONS")
API_PREFIX = "/api/"  # answers in JSON, errors included


def api_method_not_allowed() -> JsonResponse:
    """The API's answer to any method but GET and HEAD: JSON 405 with an Allow header."""
    response = JsonResponse({"error": "Only GET and HEAD are allowed: the API is read-only"}, status=405)
    response["Allow"] = "GET, HEAD"
    return response


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ALLOWED_METHODS and request.path.startswith(API_PREFIX):
            response = api_method_not_allowed()
        elif request.method not in ALLOWED_METHODS:
            response = HttpResponseNotAllowed(ALLOWED_METHODS)
        else:
            response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # Static files (served by whitenoise, which answers before XFrameOptionsMiddleware) get it too.
        response.setdefault("X-Frame-Options", "DENY")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Signed-in pages may hold restricted figures: never store them (ASVS 7.4).
            response["Cache-Control"] = "no-store"
        return response


def start_of_action(path: str) -> str:
    """The nearest address above `path` that is a page, for a link back from an action's address.

    Input: a request path such as "/returns/12/accept/". Output: the longest leading part of it, cut
    at a slash, that the URL configuration answers ("/returns/12/"), or "/" at worst. Actions sit
    beneath the page whose form sends them, so walking up the path finds where to start again.
    """
    parts = path.strip("/").split("/")
    for end in range(len(parts) - 1, 0, -1):
        candidate = "/" + "/".join(parts[:end]) + "/"
        try:
            resolve(candidate)
        except Resolver404:
            continue
        return candidate
    return "/"


class MethodNotAllowedPageMiddleware:
    """A page, not a blank 405, for an action's address opened directly (a bookmark, a typed link).

    Freezing, publishing, accepting and the like only happen when their form is sent (POST); the
    views refuse anything else with an empty HttpResponseNotAllowed. That answer keeps its status
    and Allow header but gains a page saying so, with a link to where the action starts. The API
    answers in JSON and is left alone. Placed after the session, authentication and message
    middleware, so the page has the user and navigation like any other.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed) or request.path.startswith(API_PREFIX):
            return response
        context = {"start_url": start_of_action(request.path)}
        page = render(request, "405.html", context, status=405)
        page["Allow"] = response["Allow"]
        return page


class SessionTimeoutMiddleware:
    """Absolute session timeout, and the inactivity timeout (SESSION_COOKIE_AGE) renewed by activity.

    The session is re-saved, which renews its expiry, at most once a minute rather than on every
    request, so reading pages costs no session write each time (the inactivity limit is exact to a minute).
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
    """A write that meets another answers 503 with what to do, never a 500.

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
