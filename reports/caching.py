"""Cache frozen snapshot pages: the rendered content fragment per visibility class, with an ETag.

A frozen snapshot never changes (R11), so the body of a snapshot page depends only on the view,
its arguments, the snapshot, what the reader may see (their visibility class) and two things that
can change after a freeze: which measures are restricted *now* (R6) and the co-ordinator's context
for the snapshot. All of those are in the cache key. The per-user shell (the "Signed in as" line,
the CSRF token in the sign-out form, messages, the snapshot selector and the banner) is rendered
around the cached fragment on every request, so nothing personal is ever cached or shared.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import wraps

from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.http import HttpResponseBase, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import quote_etag

from pcc_dashboard.roles import can
from priorities.models import Measure
from reports.models import Commentary
from reports.selectors import snapshot_get, snapshot_is_published, snapshots_visible_to

PUBLIC, PANEL, RESTRICTED_VIEWER = "public", "panel", "restricted-viewer"
CACHE_PREFIX = "snapshot-page:v1"
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
    """Who sees what on a snapshot page: restricted measures (R6), else unpublished snapshots, else public."""
    if can(user, "view_restricted"):
        return RESTRICTED_VIEWER
    if can(user, "view_unpublished"):
        return PANEL
    return PUBLIC


def _freshness(snapshot) -> str:
    """What can change after a freeze and shows on the page: current restricted flags and commentary."""
    restricted = Measure.objects.filter(Q(restricted=True) | Q(priorities__restricted=True)).values_list(
        "code", flat=True
    )
    context = Commentary.objects.filter(snapshot=snapshot).aggregate(n=Count("id"), last=Max("updated_at"))
    return f"{sorted(set(restricted))}|{context['n']}|{context['last']}"


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


def snapshot_page(view):
    """Decorator for `view(request, snapshot, **kwargs) -> Page | HttpResponse` under /snapshots/<as_of>/…"""

    @wraps(view)
    def wrapped(request, as_of: str, **kwargs):
        view_name = request.resolver_match.view_name if request.resolver_match else view.__name__
        if "as_of" in request.GET:
            response = _switch_target(request, view_name, kwargs)
            if response is not None:
                return response
        snapshot = snapshot_get(request.user, as_of)
        visibility = visibility_class(request.user)
        key = page_cache_key(
            view=view_name, kwargs=kwargs, snapshot=snapshot, visibility=visibility, freshness=_freshness(snapshot)
        )
        fragment = cache.get(key)
        if fragment is None:
            page = view(request, snapshot, **kwargs)
            if isinstance(page, HttpResponseBase):
                return page
            # Rendered without the request: no CSRF token, no user, nothing personal in the fragment.
            html = render_to_string(
                page.template, {**page.context, "snapshot": snapshot, "as_of": snapshot.as_of.isoformat()}
            )
            fragment = {"title": page.title, "html": html, "has_charts": page.has_charts}
            cache.set(key, fragment)
        published = snapshot_is_published(snapshot)
        snapshots = list(snapshots_visible_to(request.user).values_list("as_of", flat=True))
        user_id = request.user.pk if request.user.is_authenticated else ""
        etag = quote_etag(
            hashlib.sha256(
                "|".join([fragment["html"], visibility, str(user_id), str(published), repr(snapshots)]).encode()
            ).hexdigest()[:32]
        )
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            response = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        response = render(
            request,
            FRAME_TEMPLATE,
            {
                "page_title": fragment["title"],
                "content": fragment["html"],
                "has_charts": fragment["has_charts"],
                "snapshot": snapshot,
                "snapshot_published": published,
                "snapshot_choices": snapshots,
            },
        )
        response["ETag"] = etag
        return response

    return wrapped
