"""Cache frozen snapshot pages: the rendered content fragment per visibility class, with an ETag.

A frozen snapshot never changes (R11), so the body of a snapshot page depends only on the view,
its arguments, the snapshot, what the reader may see (their visibility class) and two things that
can change after a freeze: which measures are restricted *now* (R6) and the co-ordinator's context
for the snapshot. All of those are in the cache key; the last two as a generation token kept in the
cache and bumped by signals, so a cache hit needs no query of its own. The per-user shell (the "Signed in as" line,
the CSRF token in the sign-out form, messages, the snapshot selector and the banner) is rendered
around the cached fragment on every request, so nothing personal is ever cached or shared.

The rendered frame is cached too, per page address, role signature (what the shell shows for a set
of roles) and generation, with the per-user bits cut out: the "Signed in as" line and the sign-out
form's CSRF field are slots filled for each request (`shell_response`). Every snapshot page, on the
full path or answered early by pcc_dashboard.middleware.CachedPageMiddleware, is built that way, so
both paths send the same bytes; a page with messages pending is rendered whole, as before.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from functools import wraps

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import Http404, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import quote_etag
from django.utils.html import escape, format_html

from pcc_dashboard.middleware import page_pass_record
from pcc_dashboard.roles import can, user_roles
from priorities.models import Measure, Priority
from reports.models import Commentary, Snapshot, SnapshotPublication
from reports.selectors import snapshot_get, snapshot_is_published, snapshots_visible_to

PUBLIC, PANEL, RESTRICTED_VIEWER = "public", "panel", "restricted-viewer"
CACHE_PREFIX = "snapshot-page:v2"
GENERATION_KEY = "snapshot-page:generation"
# How long a generation lives. Saves through the ORM bump it at once (signals below), in every
# process when the cache is shared (Redis); with the per-process local-memory cache, or after a
# queryset .update() that sends no signal, another process shows the change within this time.
GENERATION_SECONDS = 30
FRAME_TEMPLATE = "reports/pages/frame.html"
SHELL_PREFIX = "snapshot-page:shell:v1"
ANONYMOUS = "anonymous"


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


for _model in (Measure, Priority, Commentary, Snapshot, SnapshotPublication):
    post_save.connect(freshness_bump, sender=_model, dispatch_uid=f"snapshot-page-save-{_model.__name__}")
    post_delete.connect(freshness_bump, sender=_model, dispatch_uid=f"snapshot-page-delete-{_model.__name__}")
m2m_changed.connect(freshness_bump, sender=Measure.priorities.through, dispatch_uid="snapshot-page-m2m")


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


def role_signature(user) -> str:
    """Everything the frame shows that depends on who reads it, except their name: roles and flags.

    The navigation, the role labels, the snapshot list and the content (by visibility class) are
    all functions of these, so two users with one signature see the same page but for their name.
    """
    if not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    roles = ",".join(sorted(user_roles(user)))
    flags = f"{int(user.is_active)}{int(user.is_staff)}{int(user.is_superuser)}"
    return f"{visibility_class(user)}|{flags}|{roles}"


def shell_key(*, path: str, signature: str, generation: str) -> str:
    digest = hashlib.sha256("|".join([path, signature, generation]).encode()).hexdigest()
    return f"{SHELL_PREFIX}:{digest}"


class _MarkedUser:
    """Stands in for the signed-in user while the shared frame is rendered: a marker, not a name."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, marker: str):
        self.marker = marker

    def get_username(self) -> str:
        return self.marker


# Slots cover the whole per-user element, so the shared page holds neither the sign-in line nor a
# CSRF field: only the text around them.
SIGNED_IN, USERNAME, CSRF_FIELD, CSRF = "signed_in", "username", "csrf_field", "csrf"


def _csrf_field(token: str) -> str:
    # Exactly what {% csrf_token %} writes (django.template.defaulttags.CsrfTokenNode).
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


def shell_render(request, context: dict) -> tuple[tuple[bytes, ...], tuple[str, ...], str]:
    """The frame for this request's role signature, split at the per-user slots: (parts, slots, digest)."""
    user_marker, csrf_marker = f"pcc-user-{secrets.token_hex(16)}", f"pcc-csrf-{secrets.token_hex(16)}"
    signed_in = request.user.is_authenticated
    html = render_to_string(
        FRAME_TEMPLATE,
        {
            **context,
            "user": _MarkedUser(user_marker) if signed_in else request.user,
            "csrf_token": csrf_marker,
            "messages": (),
        },
        request=request,
    )
    texts = {
        SIGNED_IN: f"Signed in as {user_marker}",
        USERNAME: user_marker,
        CSRF_FIELD: _csrf_field(csrf_marker),
        CSRF: csrf_marker,
    }
    by_text = {text: slot for slot, text in texts.items()}
    pieces = re.split("(" + "|".join(re.escape(t) for t in sorted(by_text, key=len, reverse=True)) + ")", html)
    parts = tuple(p.encode() for p in pieces[0::2])
    slots = tuple(by_text[t] for t in pieces[1::2])
    digest = hashlib.sha256(b"\0".join(parts) + "|".join(slots).encode()).hexdigest()
    return parts, slots, digest


# A key names one rendered frame (page, role signature, generation), so a copy kept in this process
# is as good as the cache's and saves fetching 100 KB per request; the checks are never memoised.
_SHELL_MEMO: dict[str, tuple] = {}
SHELL_MEMO_SIZE = 64


def shell_get(key: str):
    """The cached frame for `key`, from this process's memo or the cache."""
    shell = _SHELL_MEMO.get(key)
    if shell is None:
        shell = cache.get(key)
        if shell is not None:
            shell_remember(key, shell)
    return shell


def shell_remember(key: str, shell) -> None:
    if len(_SHELL_MEMO) >= SHELL_MEMO_SIZE:
        _SHELL_MEMO.pop(next(iter(_SHELL_MEMO)), None)  # the oldest: keys of past generations
    _SHELL_MEMO[key] = shell


def page_etag(digest: str, *, user_id, name: str) -> str:
    return quote_etag(hashlib.sha256(f"{digest}|{user_id}|{name}".encode()).hexdigest()[:32])


def shell_response(request, shell, *, user_id, name: str) -> HttpResponse:
    """The cached frame with this request's name and CSRF token in its slots (304 when the ETag matches)."""
    parts, slots, digest = shell
    etag = page_etag(digest, user_id=user_id or "", name=name)
    if etag in [tag.strip() for tag in request.META.get("HTTP_IF_NONE_MATCH", "").split(",")]:
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    values = {}
    if CSRF in slots or CSRF_FIELD in slots:
        token = get_token(request)  # as {% csrf_token %} would: the cookie is (re)sent by CsrfViewMiddleware
        values[CSRF], values[CSRF_FIELD] = token.encode(), _csrf_field(token).encode()
    if SIGNED_IN in slots or USERNAME in slots:
        values[USERNAME] = escape(name).encode()
        values[SIGNED_IN] = b"Signed in as " + values[USERNAME]
    pieces = [parts[0]]
    for slot, part in zip(slots, parts[1:], strict=True):
        pieces += [values[slot], part]
    response = HttpResponse(b"".join(pieces))
    response["ETag"] = etag
    return response


def snapshot_page(view):
    """Decorator for `view(request, snapshot, **kwargs) -> Page | HttpResponse` under /snapshots/<as_of>/…"""

    @wraps(view)
    def wrapped(request, as_of: str, **kwargs):
        view_name = request.resolver_match.view_name if request.resolver_match else view.__name__
        if "as_of" in request.GET:
            response = _switch_target(request, view_name, kwargs)
            if response is not None:
                return response
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
        context = {
            "page_title": fragment["title"],
            "content": fragment["html"],
            "has_charts": fragment["has_charts"],
            "snapshot": snapshot,
            "snapshot_published": snapshot_is_published(snapshot),
            "snapshot_choices": [s.as_of for s in snapshots],
        }
        if len(get_messages(request)):
            # Messages are the reader's own: this page is rendered whole and never shared.
            return render(request, FRAME_TEMPLATE, context)
        user = request.user
        signature = role_signature(user)
        skey = shell_key(path=request.path, signature=signature, generation=generation)
        shell = shell_get(skey)
        if shell is None:
            shell = shell_render(request, context)
            cache.set(skey, shell, GENERATION_SECONDS * 2)
            shell_remember(skey, shell)
        page_pass_record(request, signature=signature)
        signed_in = user.is_authenticated
        return shell_response(
            request, shell, user_id=user.pk if signed_in else "", name=user.get_username() if signed_in else ""
        )

    return wrapped
