"""The permission helper every view uses: who may do what, and data-level checks (ASVS 8.2.1, 8.2.2)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from pcc_dashboard.roles import ROLES, can, require, user_roles
from returns.models import Submitter

# Expected answers for the actions whose audience the plan fixes (restricted figures never reach
# the Panel or the public; only the co-ordinator decides returns and freezes snapshots).
EXPECTED = {
    "view_restricted": {"coordinator", "csp_submitter", "police_submitter", "pdg"},
    "view_panel_report": {"coordinator", "panel"},
    "decide_return": {"coordinator"},
    "freeze_snapshot": {"coordinator"},
    "publish_snapshot": {"coordinator"},
    "view_tracker": {"coordinator"},
    "upload_return": {"coordinator", "csp_submitter", "police_submitter"},
}
SUBMITTER_OF = {"csp_submitter": "csp-charnwood", "police_submitter": "leicestershire-police"}


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_role_may_do_only_what_the_plan_allows(plan, make_user, role, action):
    user = make_user(role, SUBMITTER_OF.get(role))
    assert can(user, action) is (role in EXPECTED[action])


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_anonymous_visitor_may_do_none_of_it(action):
    assert can(AnonymousUser(), action) is False


def test_unknown_action_is_a_programming_error(make_user):
    with pytest.raises(ValueError, match="unknown action"):
        can(make_user("coordinator"), "view_everything")


def test_deactivated_user_loses_every_right(make_user):
    user = make_user("coordinator")
    user.is_active = False
    assert user_roles(user) == frozenset()
    assert not any(can(user, action) for action in EXPECTED)


def test_user_without_role_may_do_nothing(make_user):
    user = make_user(None)
    assert not any(can(user, action) for action in EXPECTED)


def test_staff_may_do_everything_but_upload_for_a_partnership(make_user):
    staff = make_user(None, is_staff=True)
    assert can(staff, "freeze_snapshot") and can(staff, "view_restricted")
    assert not can(staff, "upload_return")


def test_csp_lead_may_upload_and_view_only_their_own_partnership(plan, make_user):
    user = make_user("csp_submitter", "csp-charnwood")
    own = Submitter.objects.get(code="csp-charnwood")
    other = Submitter.objects.exclude(pk=own.pk).filter(kind="csp").first()
    assert can(user, "upload_return", own) and can(user, "view_return", own)
    assert not can(user, "upload_return", other)
    assert not can(user, "view_return", other)


def test_csp_lead_without_a_partnership_may_upload_for_nobody(plan, make_user):
    user = make_user("csp_submitter")
    assert not can(user, "upload_return", Submitter.objects.filter(kind="csp").first())


def test_coordinator_may_view_every_partnership_return(plan, make_user):
    user = make_user("coordinator")
    assert all(can(user, "view_return", submitter) for submitter in Submitter.objects.all())


def _protected_view():
    @require("freeze_snapshot")
    def view(request):
        return HttpResponse("frozen")

    return view


def test_require_sends_anonymous_visitor_to_sign_in():
    request = RequestFactory().get("/snapshots/freeze/?month=2015-03")
    request.user = AnonymousUser()
    response = _protected_view()(request)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/?next=")
    assert "month%3D2015-03" in response["Location"]


def test_require_refuses_signed_in_user_without_the_right(make_user):
    request = RequestFactory().get("/snapshots/freeze/")
    request.user = make_user("panel")
    with pytest.raises(PermissionDenied):
        _protected_view()(request)


def test_require_lets_the_right_role_through(make_user):
    request = RequestFactory().get("/snapshots/freeze/")
    request.user = make_user("coordinator")
    assert _protected_view()(request).content == b"frozen"
