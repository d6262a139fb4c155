"""No secrets in the repository (issue 7, static checks).

Every tracked file is read and searched for what a leaked secret looks like: private keys,
cloud and service tokens, and assignments of real-looking values to the settings that
hold our secrets. The development key and the published demo password are named and
allowed; anything else fails with the file and line.
"""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    # SECRET_KEY=..., CROCEVIA_PSEUDONYM_KEY: "...", REDIS_URL=redis://:password@...
    "secret setting with a value": re.compile(
        r"\b(?:SECRET_KEY|CROCEVIA_PSEUDONYM_KEY|DB_PASSWORD|EMAIL_HOST_PASSWORD)\s*[=:]\s*"
        r"['\"]?([A-Za-z0-9_\-+/=!@#$%^&*]{24,})"
    ),
    "password in a URL": re.compile(r"\b(?:postgres(?:ql)?|redis|amqp)://[^:/\s@]+:([^@\s]{6,})@"),
}
# Values that are published on purpose (development key, documentation placeholders).
ALLOWED = {"insecure-development-key-do-not-use-in-production"}
BINARY = {".png", ".jpg", ".ico", ".woff", ".woff2", ".ttf", ".pdf", ".xlsx", ".zip", ".mo"}


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.fail("git ls-files failed: the secrets check needs the git checkout")
    return [ROOT / name for name in out.split("\0") if name]


def test_no_secret_is_committed():
    files = tracked_files()
    assert len(files) > 100  # the whole checkout was read, not an empty list
    found = []
    for path in files:
        if path.suffix in BINARY or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for what, pattern in PATTERNS.items():
                match = pattern.search(line)
                if match and not any(allowed in line for allowed in ALLOWED):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {what}")
    assert not found, "Possible secrets in the repository:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        # Built from pieces, so that this file does not trip the check itself.
        "-----BEGIN RSA " + "PRIVATE KEY-----",
        "SECRET" + "_KEY=k3jH8s9dLq0pZx7vB2nM4cR6tY1uW5eA",
        "DATABASE_URL=postgres://crocevia:" + "S3cretPassw0rd@db:5432/crocevia",
        "token = 'ghp_" + "a" * 36 + "'",
    ],
)
def test_the_check_recognises_a_leaked_secret(line):
    assert any(pattern.search(line) for pattern in PATTERNS.values())
