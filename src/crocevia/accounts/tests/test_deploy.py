"""`crocevia check --deploy` with the production settings of the README."""

import json
import os
import subprocess
import sys

PRODUCTION_ENV = {
    "SECRET_KEY": "k3y-for-the-deploy-check-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "crocevia.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://crocevia.example.org",
    "DATABASE_URL": "postgres://crocevia@127.0.0.1:5432/crocevia",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "TRUST_X_FORWARDED_PROTO": "true",
}


# Not inherited from the test process: its own settings, and the browser tests'
# DJANGO_ALLOW_ASYNC_UNSAFE (set for Playwright), which no deployment has.
NOT_INHERITED = {
    "SECRET_KEY",
    "DEBUG",
    "CROCEVIA_INSECURE_DEV_KEY",
    "DATABASE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def crocevia(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "crocevia", *args], env=base, capture_output=True, text=True
    )


def settings_of(names, **env):
    """The values of some settings in a fresh process with this environment."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps([getattr(settings, n, None) for n in {list(names)!r}]))"
    )
    result = crocevia("shell", "--no-imports", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_is_clean_with_production_settings():
    result = crocevia("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_them():
    result = crocevia("check", "--deploy", CROCEVIA_INSECURE_DEV_KEY="1")
    assert "security.W009" in result.stdout + result.stderr  # the development key


def test_production_settings_use_redis_and_https():
    engine, caches, redirect, hsts, proxy_header = settings_of(
        [
            "SESSION_ENGINE",
            "CACHES",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_PROXY_SSL_HEADER",
        ],
        **PRODUCTION_ENV,
    )
    assert engine == "django.contrib.sessions.backends.cache"
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert caches["default"]["LOCATION"] == PRODUCTION_ENV["REDIS_URL"]
    assert redirect is True and hsts >= 31536000
    assert proxy_header == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_tests_and_demo_need_no_https():
    redirect, proxy_header = settings_of(
        ["SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER"], CROCEVIA_INSECURE_DEV_KEY="1"
    )
    assert redirect is False and proxy_header is None
