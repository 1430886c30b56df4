"""One-time set-up links for the authenticator app.

Knowing a writer's password is not enough to enrol an authenticator: a staff administrator issues
a set-up link (the admin's user list, or `manage.py authenticator_link USERNAME`), hands it to the
person by another channel, and it works once, for that person, signed in, within
SETUP_LINK_SECONDS. Issuing a new link cancels the previous one; using it replaces any earlier
authenticator (a lost phone).
"""

from django.core import signing
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

SALT = "pcc_dashboard.authenticator.set-up"
SETUP_LINK_SECONDS = 3 * 24 * 60 * 60


def setup_link_issue(*, user) -> str:
    """A new set-up link (a path) for `user`; links issued before it stop working."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    token = signing.dumps({"user": user.pk, "device": device.pk}, salt=SALT)
    return reverse("two_factor_setup", kwargs={"token": token})


def setup_device(*, user, token: str) -> TOTPDevice | None:
    """The device a link sets up, when the link is `user`'s, signed by us, unexpired, not replaced
    and not yet used; otherwise None (the reason is not told)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=SETUP_LINK_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("user") != user.pk:
        return None
    return TOTPDevice.objects.filter(pk=data.get("device"), user=user, confirmed=False).first()


def setup_confirm(device: TOTPDevice) -> None:
    """The link has been used: its device is the person's authenticator, and the only one."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
