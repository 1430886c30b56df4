"""reports/caching.py: the shared frame with per-user slots is the page a whole render would give."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.test import RequestFactory

from reports.caching import (
    ANONYMOUS,
    FRAME_TEMPLATE,
    role_signature,
    shell_render,
    shell_response,
)
from reports.tests.factories import snapshot_with_results


@pytest.fixture
def snapshot(plan):
    return snapshot_with_results(as_of=dt.date(2014, 5, 31))


def _request(user):
    request = RequestFactory().get("/snapshots/2014-05-31/measures/all_crime/", HTTP_COOKIE="csrftoken=" + "a" * 32)
    request.COOKIES["csrftoken"] = "a" * 32
    CsrfViewMiddleware(lambda r: None).process_request(request)
    request.user = user
    request.session = SessionStore()
    return request


def _context(snapshot) -> dict:
    return {
        "page_title": "All crime",
        "content": "<h1>All crime</h1><p>Figures</p>",
        "has_charts": True,
        "snapshot": snapshot,
        "snapshot_published": True,
        "snapshot_choices": [snapshot.as_of, dt.date(2014, 4, 30)],
    }


def _tokens_blanked(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'value=""', html)


@pytest.mark.parametrize("role", ["coordinator", "panel", "pdg", None])
def test_spliced_page_is_the_whole_render(snapshot, make_user, role):
    user = make_user(role, username="dana<&>") if role else AnonymousUser()
    whole = render(_request(user), FRAME_TEMPLATE, {**_context(snapshot), "messages": ()}).content.decode()
    request = _request(user)
    shell = shell_render(request, _context(snapshot))
    spliced = shell_response(
        request, shell, user_id=user.pk or "", name=user.get_username() if role else ""
    ).content.decode()
    assert _tokens_blanked(spliced) == _tokens_blanked(whole)
    if role:
        assert "Signed in as dana&lt;&amp;&gt;" in spliced


def test_shared_frame_holds_no_name_and_no_token(snapshot, make_user):
    user = make_user("coordinator", username="erin-coordinator")
    parts, slots, _ = shell_render(_request(user), _context(snapshot))
    joined = b"".join(parts)
    assert b"erin-coordinator" not in joined and b"csrfmiddlewaretoken" not in joined
    assert set(slots) == {"signed_in", "csrf_field"}


def test_role_signature_is_shared_by_one_role_and_differs_between_roles(make_user):
    first, second = make_user("coordinator"), make_user("coordinator")
    assert role_signature(first) == role_signature(second)
    assert role_signature(make_user("pdg")) != role_signature(first)
    assert role_signature(make_user("panel")) != role_signature(make_user("pdg"))
    assert role_signature(make_user(None, is_staff=True)) != role_signature(make_user(None))
    assert role_signature(AnonymousUser()) == ANONYMOUS
    inactive = make_user("coordinator", is_active=False)
    assert role_signature(inactive) not in {ANONYMOUS, role_signature(first)}


def test_etag_differs_between_readers_of_one_shell(snapshot, make_user):
    first, second = make_user("coordinator"), make_user("coordinator")
    shell = shell_render(_request(first), _context(snapshot))
    tags = {shell_response(_request(u), shell, user_id=u.pk, name=u.username)["ETag"] for u in (first, second)}
    assert len(tags) == 2
