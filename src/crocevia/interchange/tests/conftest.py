import pytest

from .helpers import job_world


@pytest.fixture(autouse=True)
def _job_world(settings, tmp_path_factory):
    """Every interchange test runs its jobs with no disk of the server's: and leaves VAR_DIR
    as empty as it found it."""
    var_dir = job_world(settings, tmp_path_factory.mktemp("jobs"))
    yield
    written = sorted(str(p.relative_to(var_dir)) for p in var_dir.rglob("*"))
    assert not written, f"written under VAR_DIR: {written}"
