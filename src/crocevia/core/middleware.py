from django.conf import settings

# Strict policy: scripts and styles from our own origin only, no inline code anywhere.
# Fonts may also be data: URIs (Bootstrap Italia's stylesheet embeds the VideoJS icon font
# that way; a font cannot run code). tests/browser fail on anything the policy refuses.
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_CSP)

    def __call__(self, request):
        response = self.get_response(request)
        # Every page, the admin's included (its scripts and styles are static files:
        # tests/browser/test_admin_csp.py walks it under this policy).
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class DefaultLanguageMiddleware:
    """Italian unless the operator chose another language (cookie set by set_language).

    The browser's Accept-Language is deliberately ignored: office PCs often carry an
    English browser while the service, its forms and its records are Italian.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
