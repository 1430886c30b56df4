"""Sign-in hardening (ASVS v5.0.0 V6, V7): passwords, throttling, two-factor, session lifetime, sign-out."""

import time

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcc_dashboard.middleware import SessionTimeoutMiddleware

PASSWORD = "correct-horse-battery-staple"  # the root conftest's make_user password
SIGN_IN = "/accounts/sign-in/"
SIGN_OUT = "/accounts/sign-out/"
TWO_FACTOR = "/accounts/two-factor/"
ANONYMOUS_BANNER = "You are viewing published information"


def _messages(password: str) -> list[str]:
    try:
        validate_password(password)
    except ValidationError as error:
        return list(error.messages)
    return []


# --- Passwords (ASVS 6.2.1, 6.2.4, 6.2.5, 6.2.9) ------------------------------------------------


def test_password_shorter_than_12_is_rejected():
    assert any("at least 12 characters" in m for m in _messages("tangerine-7"))  # 11 characters


@pytest.mark.parametrize("common", ["qwerty123456", "1q2w3e4r5t6y", "123456654321"])
def test_password_on_common_list_is_rejected(common):
    assert any("too common" in m for m in _messages(common))


def test_password_of_64_characters_is_accepted():
    long_password = "a quiet river runs under the old stone bridge near market harbour"[:64]
    assert len(long_password) == 64
    assert _messages(long_password) == []


@pytest.mark.parametrize("password", ["lowercase words only here", "ALLCAPSNODIGITSHERE", "98127364518273"])
def test_password_needs_no_mix_of_character_types(password):
    assert _messages(password) == []


# --- Throttling (ASVS 6.3.1) ---------------------------------------------------------------------


def _attempt(client, username, password, **extra):
    return client.post(SIGN_IN, {"username": username, "password": password}, **extra)


def test_wrong_password_and_unknown_user_get_the_same_generic_message(client, make_user):
    user = make_user("panel")
    wrong_password = _attempt(client, user.username, "not-the-password-at-all")
    unknown_user = _attempt(client, "nobody-by-this-name", "not-the-password-at-all")
    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert "Enter a correct username and password" in response.content.decode()
    assert "nobody-by-this-name" not in unknown_user.content.decode().split("<form", 1)[0]


def test_sign_in_is_paused_after_failure_limit_even_with_right_password(client, make_user):
    user = make_user("coordinator")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, user.username, "guessing-the-password")
    response = _attempt(client, user.username, PASSWORD)
    assert response.status_code == 429
    body = response.content.decode()
    assert "too many attempts to sign in" in body
    assert user.username not in body
    assert ANONYMOUS_BANNER in client.get("/").content.decode()


def test_lockout_does_not_stop_the_same_user_from_another_address(client, make_user):
    """Locks apply to username + address, so nobody can lock a colleague out from elsewhere."""
    user = make_user("coordinator")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, user.username, "guessing-the-password", REMOTE_ADDR="203.0.113.9")
    response = _attempt(Client(), user.username, PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_an_attacker_cannot_lock_out_a_colleague(client, make_user):
    """Every request comes from the proxy's address; the lock is on the address it forwards."""
    user = make_user("coordinator")
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for n in range(settings.AXES_FAILURE_LIMIT + 2):
        # The attacker may forge entries, but the proxy appends the address it really saw.
        _attempt(client, user.username, "guessing", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.9", **proxy)
    assert _attempt(Client(), user.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy).status_code == 429
    colleague = _attempt(Client(), user.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert colleague.status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=0)
def test_without_a_trusted_proxy_a_forged_forwarded_address_is_ignored(client, make_user):
    user = make_user("coordinator")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, user.username, "guessing", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}", REMOTE_ADDR="203.0.113.9")
    forged = _attempt(Client(), user.username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.1", REMOTE_ADDR="203.0.113.9")
    assert forged.status_code == 429


# --- Two-factor sign-in (ASVS 6.3.2) -------------------------------------------------------------


def _current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


@override_settings(PCC_REQUIRE_2FA=True)
@pytest.mark.parametrize("role", ["coordinator", "csp_submitter", "police_submitter", "staff", "superuser"])
def test_writer_roles_must_pass_two_factor_before_any_page(client, make_user, plan, role):
    if role == "staff":
        user = make_user(None, is_staff=True)
    elif role == "superuser":  # A superuser without staff status may do everything
        user = make_user(None, is_superuser=True, is_staff=False)
    elif role == "csp_submitter":
        user = make_user(role, "csp-charnwood")
    elif role == "police_submitter":
        user = make_user(role, "leicestershire-police")
    else:
        user = make_user(role)
    response = _attempt(client, user.username, PASSWORD)
    assert response.status_code == 302
    for path in ("/", "/returns/", "/snapshots/"):
        blocked = client.get(path)
        assert blocked.status_code == 302, path
        assert blocked["Location"].startswith(TWO_FACTOR)


@override_settings(PCC_REQUIRE_2FA=True)
@pytest.mark.parametrize("role", ["panel", "pdg"])
def test_reader_roles_do_not_need_two_factor(client, make_user, role):
    user = make_user(role)
    _attempt(client, user.username, PASSWORD)
    response = client.get("/")
    assert response.status_code == 200
    assert f"Signed in as {user.username}" in response.content.decode()


def _set_up_link(user) -> str:
    from pcc_dashboard.authenticator import setup_link_issue

    return setup_link_issue(user=user)


@override_settings(PCC_REQUIRE_2FA=True)
def test_two_factor_set_up_from_a_link_then_sign_in_again_with_totp(client, make_user):
    user = make_user("coordinator")
    link = _set_up_link(user)  # issued by a staff administrator
    _attempt(client, user.username, PASSWORD)

    setup_page = client.get(link + "?next=/returns/")
    assert setup_page.status_code == 200
    assert "Set up two-factor sign in" in setup_page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    right = client.post(link + "?next=/returns/", {"token": _current_code(device)})
    assert right.status_code == 302 and right["Location"] == "/returns/"
    home = client.get("/")
    assert home.status_code == 200
    assert f"Signed in as {user.username}" in home.content.decode()
    device.refresh_from_db()
    assert device.confirmed

    # A new sign-in asks for a code again, without showing the key; the link cannot be used again.
    client.post(SIGN_OUT)
    _attempt(client, user.username, PASSWORD)
    check_page = client.get(TWO_FACTOR)
    assert "Check it&#x27;s you" in check_page.content.decode() or "Check it's you" in check_page.content.decode()
    assert "Key:" not in check_page.content.decode()
    assert client.get("/")["Location"].startswith(TWO_FACTOR)
    assert client.get(link).status_code == 404


@override_settings(PCC_REQUIRE_2FA=True)
def test_a_password_alone_never_enrols_an_authenticator(client, make_user):
    """Whoever signs in first with a writer's password gets no key to enrol."""
    user = make_user("coordinator")
    _attempt(client, user.username, PASSWORD)
    for _ in range(2):
        page = client.get(TWO_FACTOR)
        assert page.status_code == 200
        assert "Ask a staff administrator for a one-time set-up link" in page.content.decode()
        assert "Key:" not in page.content.decode()
        assert client.post(TWO_FACTOR, {"token": "123456"}).status_code == 200
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get("/returns/")["Location"].startswith(TWO_FACTOR)


@override_settings(PCC_REQUIRE_2FA=True)
def test_set_up_link_works_only_for_its_user_and_only_the_latest(client, make_user):
    user, other = make_user("coordinator"), make_user("coordinator")
    first = _set_up_link(user)
    latest = _set_up_link(user)
    _attempt(client, other.username, PASSWORD)
    assert client.get(latest).status_code == 404  # someone else's link
    client.post(SIGN_OUT)
    _attempt(client, user.username, PASSWORD)
    assert client.get(first).status_code == 404  # replaced by the latest
    assert client.get(latest[:-3] + "xx/").status_code == 404  # tampered
    assert client.get(latest).status_code == 200


@override_settings(PCC_REQUIRE_2FA=True)
def test_staff_administrator_issues_a_set_up_link_in_the_admin(client, make_user):

    admin_user = make_user(None, is_staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=admin_user, name="app", confirmed=True)
    _attempt(client, admin_user.username, PASSWORD)
    assert client.post(TWO_FACTOR, {"token": _current_code(device)}).status_code == 302
    writer = make_user("csp_submitter")
    response = client.post(
        "/admin/auth/user/",
        {"action": "issue_authenticator_link", "_selected_action": [writer.pk]},
        follow=True,
    )
    body = response.content.decode()
    assert f"Set-up link for {writer.username}" in body
    link = body.split("/accounts/two-factor/set-up/", 1)[1].split("/", 1)[0]
    writer_client = Client()
    _attempt(writer_client, writer.username, PASSWORD)
    assert writer_client.get(f"/accounts/two-factor/set-up/{link}/").status_code == 200


def test_authenticator_link_command(make_user, capsys):
    from django.core.management import call_command

    user = make_user("coordinator")
    call_command("authenticator_link", user.username, "--base-url", "https://pcc.example/")
    assert capsys.readouterr().out.startswith("https://pcc.example/accounts/two-factor/set-up/")


@override_settings(PCC_REQUIRE_2FA=True)
def test_two_factor_wrong_code_is_refused_and_further_tries_slowed(client, make_user):
    user = make_user("coordinator")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    _attempt(client, user.username, PASSWORD)
    right_code = _current_code(device)
    wrong_code = f"{(int(right_code) + 1) % 1000000:06d}"
    wrong = client.post(TWO_FACTOR, {"token": wrong_code})
    assert wrong.status_code == 200
    assert "The security code is not right" in wrong.content.decode()
    assert client.get("/")["Location"].startswith(TWO_FACTOR)
    # django-otp throttles: straight after a failure even the right code is refused for a while.
    assert client.post(TWO_FACTOR, {"token": right_code}).status_code == 200
    assert client.get("/")["Location"].startswith(TWO_FACTOR)


@override_settings(PCC_REQUIRE_2FA=True)
def test_two_factor_next_parameter_cannot_send_users_off_site(client, make_user):
    user = make_user("coordinator")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    _attempt(client, user.username, PASSWORD)
    response = client.post(TWO_FACTOR + "?next=https://evil.example/", {"token": _current_code(device)})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


# --- Sessions (ASVS 7.2.4, 7.3.1, 7.3.2, 7.4.1, 7.4.2) -------------------------------------------


def test_session_key_changes_at_sign_in(client, make_user):
    user = make_user("panel")
    session = client.session
    session["seen"] = True
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    before = session.session_key
    _attempt(client, user.username, PASSWORD)
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after and after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_session_ends_after_inactivity(client, make_user):
    user = make_user("panel")
    _attempt(client, user.username, PASSWORD)
    assert f"Signed in as {user.username}" in client.get("/").content.decode()
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Each request renews the expiry; a session untouched for longer than the idle limit has lapsed.
    renewed = Session.objects.get(session_key=key).expire_date
    assert abs((renewed - timezone.now()).total_seconds() - settings.SESSION_COOKIE_AGE) < 60
    idle = timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    Session.objects.filter(session_key=key).update(expire_date=renewed - idle)
    assert ANONYMOUS_BANNER in client.get("/").content.decode()


def test_inactivity_limit_is_at_most_30_minutes():
    assert 0 < settings.SESSION_COOKIE_AGE <= 30 * 60


def test_activity_renews_session_at_most_once_a_minute(client, make_user):
    user = make_user("panel")
    _attempt(client, user.username, PASSWORD)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.get("/")
    first = Session.objects.get(session_key=key).expire_date
    client.get("/")  # within the minute: no session write
    assert Session.objects.get(session_key=key).expire_date == first
    session = client.session
    session[SessionTimeoutMiddleware.SEEN] = time.time() - SessionTimeoutMiddleware.RENEW_AFTER_SECONDS - 5
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=first - timezone.timedelta(minutes=10))
    client.get("/")  # a minute later: renewed to a full idle period from now
    renewed = Session.objects.get(session_key=key).expire_date
    assert abs((renewed - timezone.now()).total_seconds() - settings.SESSION_COOKIE_AGE) < 60


def test_session_ends_at_absolute_limit_despite_activity(client, make_user):
    user = make_user("panel")
    _attempt(client, user.username, PASSWORD)
    session = client.session
    assert session[SessionTimeoutMiddleware.KEY] <= time.time()
    session[SessionTimeoutMiddleware.KEY] = time.time() - settings.SESSION_ABSOLUTE_SECONDS - 5
    session.save()
    response = client.get("/returns/")
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN) and "expired=1" in response["Location"]
    assert "Your session ended" in client.get(response["Location"]).content.decode()
    assert ANONYMOUS_BANNER in client.get("/").content.decode()


def test_absolute_limit_counts_from_sign_in_not_first_page(client, make_user):
    user = make_user("panel")
    started = time.time()
    _attempt(client, user.username, PASSWORD)
    assert started - 1 <= client.session[SessionTimeoutMiddleware.KEY] <= time.time()


def test_sign_out_ends_the_session_and_old_cookie_is_useless(client, make_user):
    user = make_user("pdg")
    _attempt(client, user.username, PASSWORD)
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(SIGN_OUT)
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=old_cookie).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    assert ANONYMOUS_BANNER in replay.get("/").content.decode()


def test_sign_out_needs_a_post(client, make_user):
    user = make_user("pdg")
    _attempt(client, user.username, PASSWORD)
    assert client.get(SIGN_OUT).status_code == 405
    assert f"Signed in as {user.username}" in client.get("/").content.decode()


def test_deactivated_user_is_signed_out_at_next_request(client, make_user):
    user = make_user("coordinator")
    _attempt(client, user.username, PASSWORD)
    user.is_active = False
    user.save()
    assert ANONYMOUS_BANNER in client.get("/").content.decode()


def test_signed_in_user_visiting_sign_in_goes_home(client, make_user):
    user = make_user("panel")
    _attempt(client, user.username, PASSWORD)
    assert client.get(SIGN_IN).status_code == 302


def test_sign_in_next_parameter_cannot_send_users_off_site(client, make_user):
    user = make_user("panel")
    response = client.post(SIGN_IN + "?next=https://evil.example/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
