import json
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


def _static_settings(**env):
    code = (
        "import json; from crocevia import settings as s; print(json.dumps(["
        "s.STORAGES['staticfiles']['BACKEND'], s.WHITENOISE_USE_FINDERS, str(s.STATIC_ROOT), "
        "[str(d) for d in s.STATICFILES_DIRS]]))"
    )
    result = _run(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_serves_the_collected_files_under_hashed_names(tmp_path):
    storage, finders, root, dirs = _static_settings(
        SECRET_KEY="x" * 50, CROCEVIA_STATIC_ROOT=str(tmp_path / "static")
    )
    assert storage == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert finders is False and root == str(tmp_path / "static")
    assert not any("node_modules" in d for d in dirs)


def test_debug_and_tests_serve_the_source_files_without_collecting():
    for env in ({"DEBUG": "1", "SECRET_KEY": "x" * 50}, {"CROCEVIA_INSECURE_DEV_KEY": "1"}):
        storage, finders, _, _ = _static_settings(**env)
        assert storage == "django.contrib.staticfiles.storage.StaticFilesStorage", env
        assert finders is True, env


def test_loading_the_settings_creates_no_directory(tmp_path):
    result = _run("import crocevia.settings", CROCEVIA_VAR_DIR=str(tmp_path / "var"))
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_files_are_in_the_database_unless_s3_is_chosen():
    code = (
        "import json; from crocevia import settings; "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    env = {"SECRET_KEY": "x" * 50}
    default = json.loads(_run(code, **env).stdout)
    assert default == {"BACKEND": "crocevia.core.storage.DatabaseStorage"}
    s3 = json.loads(
        _run(
            code,
            CROCEVIA_FILE_STORAGE="s3",
            AWS_STORAGE_BUCKET_NAME="crocevia-files",
            AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
            AWS_S3_REGION_NAME="eu-south-1",
            **env,
        ).stdout
    )
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    options = s3["OPTIONS"]
    assert options["bucket_name"] == "crocevia-files"
    assert options["endpoint_url"] == "http://127.0.0.1:9000"
    assert options["region_name"] == "eu-south-1"
    assert (options["default_acl"], options["querystring_auth"], options["file_overwrite"]) == (
        "private",
        True,
        False,
    )
    assert "access_key" not in options  # boto3 reads the keys from its usual places


def test_an_unknown_file_storage_or_a_bucket_missing_is_refused():
    env = {"SECRET_KEY": "x" * 50}
    typo = _run("import crocevia.settings", CROCEVIA_FILE_STORAGE="s4", **env)
    assert typo.returncode != 0 and "must be 'database' or 's3'" in typo.stderr
    bucketless = _run("import crocevia.settings", CROCEVIA_FILE_STORAGE="s3", **env)
    assert bucketless.returncode != 0 and "AWS_STORAGE_BUCKET_NAME" in bucketless.stderr
