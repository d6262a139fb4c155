"""The packaged gunicorn settings, for `gunicorn -c deploy/gunicorn.conf.py` in a checkout.

The settings are src/crocevia/gunicorn_conf.py: `gunicorn -c python:crocevia.gunicorn_conf`.
"""

from crocevia.gunicorn_conf import *  # noqa: F403
