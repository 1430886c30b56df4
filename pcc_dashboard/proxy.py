"""The address a request came from, behind the documented reverse proxy or not."""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The client's IP address as text: used to throttle sign-ins by username and address together.

    With TRUSTED_PROXY_COUNT = N > 0 (production behind the proxy), the Nth entry from the right of
    X-Forwarded-For: the address the outermost trusted proxy saw. Entries to its left come from the
    client and could be forged, so they are never read. With N = 0, or when the header has fewer
    than N entries (the request did not come through the proxies) or the entry is not an address,
    the connection's own address (REMOTE_ADDR).
    """
    remote = request.META.get("REMOTE_ADDR")
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
