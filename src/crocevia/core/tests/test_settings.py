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
