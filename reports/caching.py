"""Cache frozen snapshot pages: the rendered content fragment for everyone, the whole page for anonymous readers.

A frozen snapshot never changes, so the body of a snapshot page depends only on the view, its
arguments, the snapshot, what the reader may see (their visibility class) and two things that
can change after a freeze: which measures are restricted *now* and the co-ordinator's context
for the snapshot. All of those are in the fragment's cache key; the last two as a generation token
kept in the cache and bumped by signals (connected in ReportsConfig.ready), so a hit needs no query
of its own. The frame around the fragment (the "Signed in as" line, the sign-out form's CSRF token,
messages, the snapshot selector, the banner) is rendered for every signed-in request, so nothing
personal is ever cached or shared.

Anonymous readers of a published snapshot all see the same page, so that page is cached whole, per
address and generation, with an ETag. Only a request with no signed-in user ever reads or writes it,
and its fragment is the public visibility class's, so a restricted figure cannot reach it. Signed-in
pages are never cached whole: SecurityHeadersMiddleware marks them no-store. A request with no
session or messages cookie is answered from that entry before the session middleware
(reports.middleware), through the same `cached_public_page`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date
from functools import wraps

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import quote_etag

from pcc_dashboard.roles import can
from reports.models import Snapshot
from reports.selectors import snapshot_get, snapshot_is_published, snapshots_visible_to

PUBLIC, PANEL, RESTRICTED_VIEWER = "public", "panel", "restricted-viewer"
CACHE_PREFIX = "snapshot-page:v3"
GENERATION_KEY = "snapshot-page:generation"
# How long a generation lives. Saves through the ORM bump it at once (signals), in every process
# when the cache is shared (Redis); with the per-process local-memory cache, or after a queryset
# .update() that sends no signal, another process shows the change within this time.
GENERATION_SECONDS = 30
FRAME_TEMPLATE = "reports/pages/frame.html"


@dataclass
class Page:
    """What a snapshot page view returns: the content template and context, and the page title."""

    template: str
    context: dict
    title: str
    has_charts: bool = False
    extra: dict = field(default_factory=dict)


def visibility_class(user) -> str:
    """Who sees what on a snapshot page: restricted measures, else unpublished snapshots, else public."""
    if can(user, "view_restricted"):
        return RESTRICTED_VIEWER
    if can(user, "view_unpublished"):
        return PANEL
    return PUBLIC


def page_links(user) -> dict[str, bool]:
    """Which of a snapshot page's own links this reader gets: snapshots, comparisons and annotations (signed-in
    roles) and the context forms (the co-ordinator). Part of the cache key, like the visibility class."""
    return {"may_see_unpublished": can(user, "view_unpublished"), "may_write_context": can(user, "write_commentary")}


def freshness_generation() -> str:
    """A token for "restricted flags, commentary, snapshots and publications as they are now".

    Kept in the cache instead of read from the database on every hit: a new token (after a bump,
    an eviction or GENERATION_SECONDS) makes every cached fragment and snapshot list unreachable.
    """
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, secrets.token_hex(8), GENERATION_SECONDS)
        token = cache.get(GENERATION_KEY) or "uncached"
    return token


def freshness_bump(**kwargs) -> None:
    """Signal receiver: something a cached snapshot page shows has changed."""
    cache.delete(GENERATION_KEY)


def visible_snapshots(user, generation: str) -> list[Snapshot]:
    """The snapshots this user may see (newest first), cached per generation: frozen rows never change."""
    unpublished = can(user, "view_unpublished")
    key = f"{CACHE_PREFIX}:snapshots:{int(unpublished)}:{generation}"
    snapshots = cache.get(key)
    if snapshots is None:
        snapshots = list(snapshots_visible_to(user))
        cache.set(key, snapshots, GENERATION_SECONDS)
    return snapshots


def snapshot_lookup(user, as_of: str, snapshots: list[Snapshot]) -> Snapshot:
    """`snapshot_get` answered from the cached list; the database only for a date the list lacks."""
    if as_of == "latest" and snapshots:
        return snapshots[0]
    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        raise Http404("Not a snapshot date") from None
    found = next((s for s in snapshots if s.as_of == day), None)
    # A snapshot frozen or published in another process since the list was cached.
    return found if found is not None else snapshot_get(user, as_of)


def page_cache_key(*, view: str, kwargs: dict, snapshot, visibility: str, freshness: str) -> str:
    parts = [
        view,
        repr(sorted(kwargs.items())),
        snapshot.as_of.isoformat(),
        str(snapshot.pk),
        snapshot.digest,
        visibility,
        freshness,
    ]
    return f"{CACHE_PREFIX}:{hashlib.sha256('|'.join(parts).encode()).hexdigest()}"


def _switch_target(request, view_name: str, kwargs: dict):
    """The snapshot selector's GET ?as_of=YYYY-MM-DD: the same page for the chosen snapshot."""
    try:
        chosen = date.fromisoformat(request.GET["as_of"])
    except ValueError:
        return None
    return redirect(reverse(view_name, kwargs={**kwargs, "as_of": chosen.isoformat()}))


def public_page_key(path: str) -> str:
    """Where an anonymous reader's whole page for `path` (with its query string) is cached.

    The value is (generation, body, ETag): one round trip reads it with the current generation,
    and a page of an older generation is simply not used.
    """
    return f"{CACHE_PREFIX}:public:{hashlib.sha256(path.encode()).hexdigest()}"


def public_page_response(request, page: tuple[bytes, str]) -> HttpResponse:
    """A cached anonymous page (body, ETag), or 304 when the browser already holds it."""
    body, etag = page
    if etag in [tag.strip() for tag in request.META.get("HTTP_IF_NONE_MATCH", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body)
    response["ETag"] = etag
    return response


def cached_public_page(request) -> HttpResponse | None:
    """The anonymous whole page cached for this address (path and query string), or None.

    Output: the page (200, or 304 when If-None-Match holds its ETag) when it is cached and was
    rendered in the current generation; None otherwise (not cached, evicted, or rendered before a
    bump), and the caller renders it afresh. One cache round trip. The caller must already know the
    request has no signed-in user and no messages waiting: the page is the public visibility
    class's, written only for a published snapshot.
    """
    key = public_page_key(request.get_full_path())
    found = cache.get_many([GENERATION_KEY, key])
    page = found.get(key)
    if page is None or page[0] != found.get(GENERATION_KEY):
        return None
    return public_page_response(request, page[1:])


def snapshot_page(view):
    """Decorator for `view(request, snapshot, **kwargs) -> Page | HttpResponse` under /snapshots/<as_of>/…

    The view runs only on a fragment cache miss. Anonymous readers with no messages waiting get the
    whole page from the cache when it is there, and leave it there when it is not.
    """

    @wraps(view)
    def wrapped(request, as_of: str, **kwargs):
        view_name = request.resolver_match.view_name if request.resolver_match else view.__name__
        if "as_of" in request.GET:
            response = _switch_target(request, view_name, kwargs)
            if response is not None:
                return response
        whole_page = not request.user.is_authenticated and not len(get_messages(request))
        if whole_page and (cached := cached_public_page(request)) is not None:
            return cached
        public_key = public_page_key(request.get_full_path()) if whole_page else None
        generation = freshness_generation()
        snapshots = visible_snapshots(request.user, generation)
        snapshot = snapshot_lookup(request.user, as_of, snapshots)
        links = page_links(request.user)
        visibility = "|".join([visibility_class(request.user), *(name for name, shown in links.items() if shown)])
        key = page_cache_key(
            view=view_name, kwargs=kwargs, snapshot=snapshot, visibility=visibility, freshness=generation
        )
        fragment = cache.get(key)
        if fragment is None:
            page = view(request, snapshot, **kwargs)
            if isinstance(page, HttpResponseBase):
                return page
            # Rendered without the request: no CSRF token, no user, nothing personal in the fragment.
            html = render_to_string(
                page.template, {**page.context, **links, "snapshot": snapshot, "as_of": snapshot.as_of.isoformat()}
            )
            fragment = {"title": page.title, "html": html, "has_charts": page.has_charts}
            cache.set(key, fragment)
        published = snapshot_is_published(snapshot)
        context = {
            "page_title": fragment["title"],
            "content": fragment["html"],
            "has_charts": fragment["has_charts"],
            "snapshot": snapshot,
            "snapshot_published": published,
            "snapshot_choices": [s.as_of for s in snapshots],
        }
        response = render(request, FRAME_TEMPLATE, context)
        if public_key is not None and published:
            etag = quote_etag(hashlib.sha256(response.content).hexdigest()[:32])
            cache.set(public_key, (generation, response.content, etag), GENERATION_SECONDS * 2)
            return public_page_response(request, (response.content, etag))
        return response

    return wrapped
