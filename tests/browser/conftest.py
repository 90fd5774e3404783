"""Shared fixtures for the browser tests: one headless Chromium for the run, phone pages.

Playwright's sync API runs an event loop in this thread for as long as the
browser is open, and Django refuses ORM calls from a thread with a running
loop unless told it is fine: the tests call the ORM between browser steps,
never concurrently with it. The permission is given while the browser is
open only, so that it does not reach subprocesses that other tests start
before (manage.py check --deploy rightly refuses it).
"""

from __future__ import annotations

import os

import pytest

from core.models import AuthenticatorApp
from tests.factories import totp_code

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"
    ),
}
PASSWORD = "correct horse battery staple"  # tests.factories.make_user's default


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests last (after pytest-django's own ordering).

    From the first browser test until the end of the run the browser is
    open, with its event loop and the permission above: no other test runs
    in that state.
    """
    browser_tests = [item for item in items if item.get_closest_marker("browser")]
    if browser_tests:
        others = [item for item in items if not item.get_closest_marker("browser")]
        items[:] = others + browser_tests


@pytest.fixture(scope="session")
def browser():
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API switches greenlets in this thread, and Django
    # keeps connections per context: the connection made before it starts
    # would otherwise sit idle to the end and keep the test database from
    # being dropped.
    connections.close_all()
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def phone(browser):
    """A new phone-sized browser context: its own cookies, touch, mobile viewport."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(**(PHONE | options))
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def log_in(page, base_url: str, username: str) -> None:
    """Through the real login page; with the code from the person's app when asked."""
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    # Wait for the page the login leads to, not just the one it was sent from.
    with page.expect_navigation():
        page.click("button[type=submit]")
    if "/login/code/" in page.url:
        device = AuthenticatorApp.objects.get(user__username=username, confirmed=True)
        page.fill("input[name=code]", totp_code(device))
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
