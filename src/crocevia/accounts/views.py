"""Sign-in (password, then the second step), the operator's account page, two-step
verification, password change and "log out everywhere"."""

import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from . import services
from .forms import CodeForm, EnrolCodeForm, SignInForm
from .lockout import active_lock, client_address, locked_message
from .middleware import ENROL, PENDING_KEY, STATE_KEY, VERIFIED
from .models import TwoFactorDevice, User

ENROL_SECRET_KEY = "crocevia_2fa_secret"  # noqa: S105 - a session key name, not a secret
# Between the password and the code: long enough to open the app, short enough that an
# unattended screen does not keep a half-open sign-in.
PENDING_SECONDS = 300


class SignInView(LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"

    def form_valid(self, form):
        user = form.get_user()
        next_url = self.get_redirect_url() or resolve_url(settings.LOGIN_REDIRECT_URL)
        if TwoFactorDevice.objects.filter(user=user).exists():
            # Not signed in yet: the second step signs in. The lockout count is reset
            # only then, so the password cannot be used to reset it between wrong codes.
            self.request.session.cycle_key()
            self.request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "next": next_url,
            }
            return redirect("login_verify")
        services.login_success_record(username=user.get_username())
        auth_login(self.request, user)
        if services.two_factor_required():
            self.request.session[STATE_KEY] = ENROL
            messages.info(
                self.request,
                _("Two-step verification is required: activate it to continue."),
            )
            return redirect("accounts:two_factor_enrol")
        return redirect(next_url)


@login_not_required
@sensitive_post_parameters("code")
@never_cache
def login_verify(request):
    """Second step of the sign-in: a code of the authenticator app or a recovery code."""
    pending = request.session.get(PENDING_KEY)
    user = None
    if pending and time.time() - pending["at"] <= PENDING_SECONDS:
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        messages.warning(request, _("The sign-in has expired: enter the password again."))
        return redirect("login")

    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        if active_lock(username=user.get_username(), address=address):
            form.add_error(None, locked_message())
        else:
            how = services.two_factor_verify(user=user, code=form.cleaned_data["code"])
            if how is None:
                lock = services.login_failure_record(username=user.get_username(), address=address)
                if lock:
                    form.add_error(None, locked_message())
                else:
                    form.add_error("code", _("The code is not valid or has already been used."))
            else:
                del request.session[PENDING_KEY]
                services.login_success_record(username=user.get_username())
                auth_login(request, user, backend=pending["backend"])
                request.session[STATE_KEY] = VERIFIED
                if how == "recovery":
                    left = user.two_factor_device.recovery_codes.filter(
                        used_at__isnull=True
                    ).count()
                    messages.warning(
                        request,
                        ngettext(
                            "A recovery code was used: %(left)d is left. If the phone is "
                            "lost, ask an administrator to reset two-step verification.",
                            "A recovery code was used: %(left)d are left. If the phone is "
                            "lost, ask an administrator to reset two-step verification.",
                            left,
                        )
                        % {"left": left},
                    )
                return redirect(pending["next"])
    return render(request, "registration/login_verify.html", {"form": form})


@login_not_required
def admin_login(request):
    """The admin signs in through the same two steps as everybody else."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = resolve_url("admin:index")
    return redirect_to_login(next_url)


def account(request):
    device = TwoFactorDevice.objects.filter(user=request.user).first()
    recovery_left = device.recovery_codes.filter(used_at__isnull=True).count() if device else None
    return render(
        request,
        "accounts/account.html",
        {
            "device": device,
            "recovery_left": recovery_left,
            "two_factor_required": services.two_factor_required(),
            "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        },
    )


def _qr_data_uri(uri: str) -> str:
    # An <img> with a data: URI: the CSP allows images from data:, never inline SVG styles.
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)


@sensitive_post_parameters("code")
@never_cache
def two_factor_enrol(request):
    if TwoFactorDevice.objects.filter(user=request.user).exists():
        messages.info(request, _("Two-step verification is already active."))
        return redirect("accounts:account")
    secret = request.session.get(ENROL_SECRET_KEY)
    if not secret:
        secret = services.two_factor_new_secret()
        request.session[ENROL_SECRET_KEY] = secret
    form = EnrolCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.two_factor_enrol(
                user=request.user, secret=secret, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            del request.session[ENROL_SECRET_KEY]
            if request.session.get(STATE_KEY) == ENROL:
                request.session[STATE_KEY] = VERIFIED
            # Shown once, in this response: only their hashes are kept.
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
    uri = services.two_factor_provisioning_uri(user=request.user, secret=secret)
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr": _qr_data_uri(uri),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        },
    )


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    for field in form.fields.values():
        field.widget.attrs.setdefault("class", "form-control")
    if request.method == "POST" and form.is_valid():
        services.password_change(user=request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(
            request, _("The password has been changed. Other open sessions have been closed.")
        )
        return redirect("accounts:account")
    return render(request, "accounts/password_change.html", {"form": form})


@require_POST
def logout_everywhere(request):
    services.sessions_revoke(user=request.user, actor=request.user)
    auth_logout(request)
    messages.success(request, _("You have been signed out on every device."))
    return redirect("login")
