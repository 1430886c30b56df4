"""Security headers, session timeouts and two-factor enforcement for every request."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse

from pcc_dashboard.roles import WRITER_ROLES, user_roles

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


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ALLOWED_METHODS:
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


class TwoFactorRequiredMiddleware:
    """When PCC_REQUIRE_2FA is on, writers and staff must pass a TOTP check before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.PCC_REQUIRE_2FA and self._needs_second_factor(request):
            allowed = {reverse("two_factor"), reverse("logout")}
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                return redirect(f"{reverse('two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)

    @staticmethod
    def _needs_second_factor(request) -> bool:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return False
        return user.is_staff or bool(user_roles(user) & WRITER_ROLES)
