"""The console's import and export section in Debian's Chromium, on a live server with loopback S3: a CSV
uploaded straight to storage from the page, its dry run, the import with its progress bar, the reviews it
stored, the downloads; without script too. Screenshots at desktop and phone width, axe-core on each page."""

from __future__ import annotations

import contextlib
import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from localdev.simulate import start_shop
from tests.browser.conftest import accessibility_violations, screenshot
from tests.conftest import ADMIN_TOKEN
from tests.signers import FIXTURES

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ROWS = 1800  # four chunks of 500: the check and the import each take several polls
BAD = (7, 700)  # rows (of the data) with a rating that is no number


def export(rows: int = ROWS) -> bytes:
    """A Judge.me export of `rows` reviews over three products, two of them bad."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["title", "body", "rating", "review_date", "curated", "reviewer_name", "product_id"])
    for n in range(rows):
        rating = "five" if n in BAD else n % 5 + 1
        writer.writerow(
            [f"Review {n}", f"Imported review number {n}.", rating, "2025-05-01", "ok", f"Buyer {n}", f"p-{n % 3}"]
        )
    return out.getvalue().encode()


def serious(page: Any) -> list[str]:
    return [v for v in accessibility_violations(page) if "(serious)" in v or "(critical)" in v]


@pytest.fixture(scope="module")
def shop(live) -> dict[str, str]:
    return start_shop(live.url, ADMIN_TOKEN, "import-store", name="Import & Export Co")


@pytest.fixture(scope="module")
def signed_in(browser, live, shop) -> Iterator[Any]:
    """One sign-in for the module: a context whose pages keep the pages' own Content-Security-Policy."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live.url}/shops/{shop['shop_id']}/dashboard/import")
    page.get_by_label("Owner API key").fill(shop["api_key"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/shops/{shop['shop_id']}/dashboard/import")
    page.close()
    yield context
    context.close()


def open_page(context: Any) -> Any:
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    return page


def checker(browser: Any, signed_in: Any) -> Any:
    """A page of the same session that may take axe-core in (which the pages' policy would refuse), with
    its import's script held from polling, so a running import's page stays as it was drawn."""
    context = browser.new_context(viewport=PHONE, bypass_csp=True, storage_state=signed_in.storage_state())
    page = context.new_page()
    page.route(
        "**/dashboard/import/imp-*",
        lambda route: route.abort() if "json" in route.request.headers.get("accept", "") else route.continue_(),
    )
    return page


def test_a_csv_uploaded_from_the_page_is_checked_imported_with_progress_and_downloaded(browser, signed_in, live, shop):
    page = open_page(signed_in)
    shop_id = shop["shop_id"]
    page.goto(f"{live.url}/shops/{shop_id}/dashboard/import")
    assert page.get_by_role("heading", level=2, name="Import reviews").is_visible()

    # When the owner uploads a Judge.me export of 1,800 rows, the format left to be detected
    page.get_by_label("Format").select_option("auto")
    page.get_by_label("CSV file").set_input_files(
        {"name": "judgeme-reviews.csv", "mimeType": "text/csv", "buffer": export()}
    )
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(f"**/shops/{shop_id}/dashboard/import/imp-*")
    job_url = page.url

    # Then the dry run shows, once the page's script has checked the whole file
    confirm = page.get_by_role("button", name=f"Import {ROWS - len(BAD)} reviews")
    confirm.wait_for(timeout=30_000)
    page.wait_for_load_state()  # the script's reload drew the button; the rejected rows come after it
    assert "Judge.me export" in page.locator(".import-state").inner_text()
    counts = page.locator(".import-counts").inner_text()
    assert str(ROWS) in counts and str(ROWS - len(BAD)) in counts
    rejected = page.locator("table.rejections tbody tr").all_inner_texts()
    assert rejected == [f"{BAD[0] + 2}\trating 'five' is not a number", f"{BAD[1] + 2}\trating 'five' is not a number"]
    screenshot(page, "console-import-desktop")
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    screenshot(page, "console-import-phone")

    # When the owner confirms, with the page's polling held for a moment
    page.route(
        "**/dashboard/import/imp-*",
        lambda route: route.abort() if "json" in route.request.headers.get("accept", "") else route.continue_(),
    )
    confirm.click()
    page.wait_for_load_state()
    # Then the progress page shows a bar and the counts after its first chunk
    bar = page.locator("progress#import-progress")
    assert bar.is_visible() and 0 < float(bar.get_attribute("value")) < float(bar.get_attribute("max"))
    assert page.get_by_role("link", name="Refresh").is_visible()
    screenshot(page, "console-import-progress-phone")
    # And axe finds nothing serious on it (a page of the same session, as drawn)
    checking = checker(browser, signed_in)
    checking.goto(job_url)
    assert checking.locator("progress#import-progress").is_visible()
    assert serious(checking) == []
    checking.goto(f"{live.url}/shops/{shop_id}/dashboard/import")
    assert checking.locator("form[data-import-upload]").is_visible()
    assert serious(checking) == []
    screenshot(checking, "console-import-section-phone")
    checking.context.close()

    # When the polling goes on, the bar moves to the end and the page shows the outcome
    page.unroute("**/dashboard/import/imp-*")
    page.console_errors.clear()  # the held polls, as Chromium logs them
    page.get_by_role("link", name="Refresh").click()
    seen = []
    deadline = time.monotonic() + 120  # three chunks of 500 rows, on a machine that may be busy
    while not page.locator(".notice", has_text="Done:").count() and time.monotonic() < deadline:
        if bar.count():
            # The page reloads itself once the import is over, and the outcome has no bar: the bar found just
            # now may be gone before its value is read.
            with contextlib.suppress(PlaywrightTimeoutError):
                seen.append(float(bar.get_attribute("value", timeout=1_000) or 0))
        page.wait_for_timeout(500)
    assert page.locator(".notice").inner_text() == f"Done: {ROWS - len(BAD)} reviews imported."
    assert seen == sorted(seen)  # the bar only moves forward

    # And the reviews are stored once each, published, with their products' ratings
    answers = [requests.get(f"{live.url}/shops/{shop_id}/products/p-{n}/reviews", timeout=10).json() for n in range(3)]
    assert sum(a["aggregate"]["count"] for a in answers) == ROWS - len(BAD)
    assert answers[0]["reviews"][0]["source"] == "judgeme" and answers[0]["reviews"][0]["verified"] is False

    # And the reviews download from the console's own link
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download every review (CSV)").click()
    rows = list(csv.reader(io.StringIO(Path(downloading.value.path()).read_text(encoding="utf-8"))))
    assert rows[0][0] == "review_id" and len(rows) == 1 + ROWS - len(BAD)
    assert downloading.value.suggested_filename.startswith(f"proofloop-{shop_id}-reviews-")
    assert page.console_errors == []


def test_the_exports_download_with_the_session(signed_in, live, shop):
    page = open_page(signed_in)
    page.goto(f"{live.url}/shops/{shop['shop_id']}/dashboard/import")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Advocates (CSV)").click()
    assert Path(downloading.value.path()).read_text(encoding="utf-8").startswith("customer,name,stage,score")
    page.get_by_label("First day").fill("2025-01-01")
    page.get_by_label("Last day").fill("2025-01-07")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download the report (CSV)").click()
    lines = Path(downloading.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("date,orders") and len(lines) == 1 + 7 + 1
    assert page.console_errors == []


def test_without_script_the_form_posts_the_file_to_storage_and_the_dry_run_follows(browser, signed_in, live, shop):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, storage_state=signed_in.storage_state())
    page = context.new_page()
    try:
        page.goto(f"{live.url}/shops/{shop['shop_id']}/dashboard/import")
        page.get_by_label("Format").select_option("yotpo")
        page.get_by_label("CSV file").set_input_files(str(FIXTURES / "yotpo_export.csv"))
        page.get_by_role("button", name="Upload and check").click()
        page.wait_for_url(f"**/shops/{shop['shop_id']}/dashboard/import/imp-*")  # storage sent the browser back
        assert "Yotpo export" in page.locator(".import-state").inner_text()
        assert page.get_by_role("button", name="Import 2 reviews").is_visible()
        assert page.locator("table.rejections tbody tr").all_inner_texts() == ["4\trating 6 is not between 1 and 5"]
        page.get_by_role("button", name="Cancel").click()
        page.wait_for_load_state()
        assert "cancelled" in page.locator(".notice").inner_text()
    finally:
        context.close()
