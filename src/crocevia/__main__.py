"""The `crocevia` console script: the project's manage.py."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crocevia.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load the settings now, to report problems plainly
    except ImproperlyConfigured as error:
        # Django would otherwise go on and fail later with an unrelated traceback.
        sys.exit(f"crocevia: {error} (see the Configuration section of the README)")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
