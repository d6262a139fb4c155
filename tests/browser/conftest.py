"""Playwright on Debian's Chromium (/usr/bin/chromium), never a downloaded browser."""

import json
import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# Playwright's sync API runs an event loop in this thread; the test itself only touches
# the database through the ORM between browser steps, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A page of a new browser context. Every browser test also checks the Content
    Security Policy: a script, style or other resource the policy refused (Chromium says
    so on the console) fails the test, so no page needs `unsafe-inline`."""
    context = browser.new_context(base_url=live_server.url, locale="it-IT")
    page = context.new_page()
    page.set_default_timeout(10_000)
    refused = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    yield page
    context.close()
    assert not refused, "Refused by the Content Security Policy:\n" + "\n".join(refused)


@pytest.fixture
def axe_check():
    """axe_check(page): fail on any serious or critical accessibility violation."""
    source = AXE_JS.read_text()

    def check(page):
        # evaluate() runs outside the page's CSP, so no inline script needs allowing.
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(source)
        result = page.evaluate(
            "axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        )
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        details = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in bad
        ]
        assert not bad, f"{page.url}: " + json.dumps(details, indent=1)

    return check
