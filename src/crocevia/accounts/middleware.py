from django.shortcuts import redirect
from django.urls import reverse

# Session keys of the sign-in steps.
PENDING_KEY = "crocevia_2fa_pending"  # password right, second step to do (not signed in)
STATE_KEY = "crocevia_2fa"  # "enrol": must activate two-step verification first
ENROL = "enrol"
VERIFIED = "verified"


class TwoFactorEnrolmentMiddleware:
    """An operator signed in only with a password while two-step verification is
    required may reach nothing but the activation page (and log out, change language).

    The state is set in the session at sign-in, so this costs no query per request."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed = None

    def allowed_paths(self) -> set[str]:
        if self._allowed is None:
            self._allowed = {
                reverse("accounts:two_factor_enrol"),
                reverse("logout"),
                reverse("set_language"),
            }
        return self._allowed

    def __call__(self, request):
        if (
            request.session.get(STATE_KEY) == ENROL
            and request.path_info not in self.allowed_paths()
            and request.user.is_authenticated
        ):
            return redirect("accounts:two_factor_enrol")
        return self.get_response(request)
