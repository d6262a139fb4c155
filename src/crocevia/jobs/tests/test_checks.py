"""The system checks of the job queue: heartbeats that outlive their interval, a private
file cache when there is no Redis."""

import os

from crocevia.jobs.checks import heartbeats_outlive_their_interval, jobs_cache_directory_is_private


def _file_cache(settings, directory):
    settings.CACHES = {
        **settings.CACHES,
        "jobs": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(directory),
        },
    }


def test_a_heartbeat_expiring_before_the_next_one_is_refused(settings):
    settings.CROCEVIA_JOBS_HEARTBEAT_SECONDS = 5
    settings.CROCEVIA_JOBS_HEARTBEAT_TTL = 30
    assert heartbeats_outlive_their_interval() == []
    settings.CROCEVIA_JOBS_HEARTBEAT_TTL = 10
    assert [e.id for e in heartbeats_outlive_their_interval()] == ["jobs.E002"]


def test_the_file_cache_directory_must_be_private(settings, tmp_path):
    directory = tmp_path / "jobs-cache"
    _file_cache(settings, directory)
    assert jobs_cache_directory_is_private() == []  # not there yet: Django makes it 0700
    directory.mkdir(mode=0o700)
    os.chmod(directory, 0o700)
    assert jobs_cache_directory_is_private() == []
    os.chmod(directory, 0o770)  # noqa: S103 - as if opened up to others
    assert [e.id for e in jobs_cache_directory_is_private()] == ["jobs.E003"]


def test_redis_needs_no_directory(settings):
    settings.CACHES = {
        **settings.CACHES,
        "jobs": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "x"},
    }
    assert jobs_cache_directory_is_private() == []
