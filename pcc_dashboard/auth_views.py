"""Sign in, sign out and two-factor (TOTP) sign-in."""

import base64
import io
import time

import qrcode
import qrcode.image.svg
from crispy_forms_gds.layout import Field, Fixed, Fluid
from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcc_dashboard.authenticator import setup_confirm, setup_device
from pcc_dashboard.forms import gds_helper
from pcc_dashboard.middleware import SessionTimeoutMiddleware


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with GOV.UK wording and crispy-forms-gds rendering."""

    error_messages = {
        **AuthenticationForm.error_messages,
        # One message for a wrong username or password, so neither is confirmed to exist.
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"
        self.helper = gds_helper(
            self,
            Field.text("username", field_width=Fluid.TWO_THIRDS),
            Field.text("password", field_width=Fluid.TWO_THIRDS),
        )


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # The absolute session limit counts from sign-in (ASVS 7.3.2), not from the first page after it.
        self.request.session[SessionTimeoutMiddleware.KEY] = time.time()
        return response


class SignOutView(auth_views.LogoutView):
    pass


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a GOV.UK page that says what to do, not why the token failed."""
    return render(request, "403_csrf.html", status=403)


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Security code",
        help_text="The 6-digit code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(self, Field.text("token", field_width=Fixed.TEN))


def _qr_data_uri(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _verified(request, device: TOTPDevice, form: TokenForm):
    """Check the code; on success mark the session verified and send the person on (None otherwise)."""
    if not device.verify_token(form.cleaned_data["token"].strip()):
        form.add_error("token", "The security code is not right. Check your app and try again.")
        return None
    otp_login(request, device)
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = "home"
    return redirect(target)


@login_required
def two_factor(request):
    """Check a TOTP code; the session is then verified for this sign-in. With no authenticator set
    up, say how to get a set-up link: signing in with the password never enrols one."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return render(request, "registration/two_factor.html", {"no_device": True})
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = _verified(request, device, form)
        if response is not None:
            return response
    return render(request, "registration/two_factor.html", {"form": form})


@login_required
def two_factor_setup(request, token):
    """Set up the authenticator from a one-time link a staff administrator issued (see authenticator.py)."""
    device = setup_device(user=request.user, token=token)
    if device is None:
        return render(request, "registration/two_factor.html", {"link_invalid": True}, status=404)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = _verified(request, device, form)
        if response is not None:
            setup_confirm(device)
            return response
    context = {"form": form, "setting_up": True, "qr": _qr_data_uri(device)}
    context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "registration/two_factor.html", context)
