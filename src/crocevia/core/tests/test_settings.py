import os
import subprocess
import sys


def _run(code, **env):
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    base.pop("CROCEVIA_INSECURE_DEV_KEY", None)
    base.update(env)
    return subprocess.run([sys.executable, "-c", code], env=base, capture_output=True, text=True)


def test_the_wsgi_application_refuses_to_start_without_a_secret_key():
    result = _run("import crocevia.wsgi")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_wsgi_application_starts_with_a_secret_key():
    result = _run("import crocevia.wsgi", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


def test_offline_commands_run_without_a_secret_key():
    result = _run(
        "from crocevia.__main__ import main; import sys; "
        "sys.argv = ['crocevia', 'makemigrations', '--check', '--dry-run']; main()"
    )
    assert result.returncode == 0, result.stderr


def test_the_export_k_is_read_from_the_environment_and_never_below_2():
    code = "from crocevia import settings; print(settings.CROCEVIA_EXPORT_K)"
    env = {"SECRET_KEY": "x" * 50}
    assert _run(code, **env).stdout.strip() == "5"
    assert _run(code, CROCEVIA_EXPORT_K="11", **env).stdout.strip() == "11"
    refused = _run(code, CROCEVIA_EXPORT_K="1", **env)
    assert refused.returncode != 0 and "CROCEVIA_EXPORT_K must be 2 or more" in refused.stderr
