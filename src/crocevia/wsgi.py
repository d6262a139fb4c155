import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crocevia.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402 - after setup, on purpose

if not settings._wrapped.SECRET_KEY:
    # Serving without a key would sign sessions with nothing: refuse to start.
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see the README).")
