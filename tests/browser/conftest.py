"""Browser tier: pages of a real server process, in Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localdev.live import LiveServer

CHROMIUM = os.environ.get("PROOFLOOP_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # from package.json, installed by `npm ci`
# Chromium's background services try the network at start; this machine allows loopback only.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}: run `apt-get install -y chromium` (make test does it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # bypass_csp lets the accessibility check inject axe-core; the pages' own scripts are what they are.
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)  # a phone
    page = context.new_page()
    page.console_errors = []
    page.dialogs = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    yield page
    context.close()


@pytest.fixture(scope="session")
def live() -> Iterator[LiveServer]:
    # As `make run` starts it: its own embedded DynamoDB, and the demo store's month seeded.
    server = LiveServer(None, seed=True)
    yield server
    server.stop()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def accessibility_violations(page: Any) -> list[str]:
    """What the axe-core engine finds on the page as it stands (WCAG 2.1 A and AA rules and best practices)."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not at {AXE}: run `npm ci` (make test does it)")
    page.wait_for_load_state("load")  # a click that posts a form may still be loading the page it leads to
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = result["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} - {[n['target'] for n in v['nodes']][:3]}" for v in found]
