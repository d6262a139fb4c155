import os

import pytest

from crocevia.core.files import atomic_output


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(tmp_path):
    target = tmp_path / "report.xlsx"
    with pytest.raises(RuntimeError), atomic_output(str(target)) as stream:
        stream.write(b"half")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_replaced_only_when_the_new_one_is_whole(tmp_path):
    target = tmp_path / "persone.csv"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(str(target)) as stream:
        stream.write(b"new but broken")
        raise RuntimeError
    assert target.read_bytes() == b"old"
    with atomic_output(str(target), private=True) as stream:
        stream.write(b"new")
    assert target.read_bytes() == b"new"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["persone.csv"]


def test_a_public_file_gets_the_usual_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_output(str(tmp_path / "r.json")) as stream:
            stream.write(b"{}")
    finally:
        os.umask(umask)
    assert oct((tmp_path / "r.json").stat().st_mode & 0o777) == "0o644"
