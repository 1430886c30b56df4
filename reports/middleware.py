"""Anonymous readers of published snapshot pages answered from the whole-page cache, before the session."""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from reports.caching import cached_public_page


class AnonymousSnapshotPageMiddleware:
    """Answer a GET or HEAD of a snapshot page that carries no session cookie, no messages cookie and no
    Authorization header from the whole-page cache reports.caching writes; pass anything else on.

    Such a request can only be anonymous with no message waiting, so the full path would answer it
    from the same entry with the same generation check (`cached_public_page`): nothing about users,
    sessions, two-factor or lockout applies. It sits after the middleware that set the security
    headers, which add them to this answer as to any other, and before the session middleware. It
    adds what the later middleware add to the full path's answer: Vary: Cookie (the session is read
    there to find the reader anonymous) and Content-Length (CommonMiddleware). The snapshot
    selector's address (?as_of=a date) is never cached, as the full path redirects it first.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = reverse("snapshot_list")  # every cached snapshot page lives under /snapshots/

    def __call__(self, request):
        if (
            request.method in ("GET", "HEAD")
            and request.path_info.startswith(self.prefix)
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and CookieStorage.cookie_name not in request.COOKIES
            and "HTTP_AUTHORIZATION" not in request.META
            and (response := cached_public_page(request)) is not None
        ):
            patch_vary_headers(response, ("Cookie",))
            response["Content-Length"] = str(len(response.content))
            return response
        return self.get_response(request)
