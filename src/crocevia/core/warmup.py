"""A server worker's warm-up: load now what the first requests would load, then set it
aside from the garbage collector.

Called by gunicorn's `post_worker_init` (crocevia/gunicorn_conf.py), once per worker
process, before it serves anything:

1. the URL configuration (every view module), every template of the project compiled
   into the cached loader, and the reference tables read lazily by the registry forms
   (ISO countries and languages);
2. `gc.collect()` then `gc.freeze()`: the ~150,000 objects of a loaded worker move to the
   collector's permanent generation, so that its full collections scan only what requests
   create. Without it a full collection scanned them all, about 100 ms on a quiet machine
   and up to 340 ms under load, stalling every thread of the worker meanwhile: the largest
   part of the latency tail that bench/load.py measured (bench/README.md "Load").
"""

import gc
import logging
import time
from pathlib import Path

log = logging.getLogger(__name__)


def _templates() -> int:
    from django.conf import settings
    from django.template import TemplateDoesNotExist, TemplateSyntaxError
    from django.template.loader import get_template

    compiled = 0
    for directory in settings.TEMPLATES[0]["DIRS"]:
        root = Path(directory)
        for path in sorted(root.rglob("*.html")):
            try:
                get_template(path.relative_to(root).as_posix())
            except (TemplateDoesNotExist, TemplateSyntaxError):  # pragma: no cover
                log.warning("warm-up: template %s not compiled", path)
                continue
            compiled += 1
    return compiled


def _reference_tables() -> None:
    import pycountry

    # pycountry reads its ISO tables on first use (thousands of objects each).
    pycountry.countries.get(alpha_2="IT")
    pycountry.languages.get(alpha_2="it")


def warm_up() -> dict:
    """Load, then freeze. Returns what was done (for the log and the test)."""
    started = time.perf_counter()
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    templates = _templates()
    _reference_tables()
    gc.collect()
    gc.freeze()
    figures = {
        "templates": templates,
        "frozen_objects": gc.get_freeze_count(),
        "seconds": round(time.perf_counter() - started, 3),
    }
    log.info("worker warmed up: %s", figures)
    return figures
