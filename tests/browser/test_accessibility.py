"""Every page each demo role can reach from its home, checked with axe on a phone, and each
kind of page on a laptop too.

The crawl follows the links a person sees (GET only, same site), so a page a
test author forgot is still visited. It fails on any serious or critical axe
violation, and on any link that answers 403 or 404 to the person it is shown
to (the first twelve links of each kind on the pages visited). Left out: the
Django admin (Django's own pages, for the agency lead only), photo files and
downloads (not pages; their links are still checked) and logging out.
"""

from __future__ import annotations

import io
import re
from collections import Counter, deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import axe_playwright_python
import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from core import mailbox, notifications
from core.models import MailboxMessage
from posts.management.commands.demo_data import DEMO_PASSWORD

pytestmark = pytest.mark.browser

AXE_JS = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}
SKIPPED = ("/admin/", "/media/", "/static/", "/logout/")
# Pages of one kind share a template: a few of each are enough to see them all.
PER_KIND = 2
# And links of one kind share a view and its access rule: the first ones of each
# kind a person is shown are fetched for their answer (the access tests cover
# every role and object; this catches a link shown to someone it refuses).
LINKS_PER_KIND = 12
FAILING_IMPACT = {"serious", "critical"}

# One demo login per role.
ROLES = {
    "agency lead": "lead",
    "strategist": "sam",
    "staff": "lakeside-staff",
    "doctor": "harbor-doctor",
}


def _kind(path: str) -> str:
    """The page's kind: its URL's name, whatever the query string (a calendar's
    next month, a list's next page), so that a few of each are checked."""
    try:
        return resolve(urlsplit(path).path).url_name or path
    except Resolver404:
        return path


def _links(page) -> list[str]:
    return page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")


def _violations(page) -> list[str]:
    page.add_script_tag(content=AXE_JS)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        if violation["impact"] in FAILING_IMPACT:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


def _crawl(context, base: str, start: str = "/") -> tuple[list[str], list[str]]:
    """The pages to check (a few of each kind) and the links that answer 403 or 404."""
    page = context.new_page()
    queue: deque[str] = deque([start])
    seen_links: set[str] = {start}
    kinds: Counter[str] = Counter()
    link_kinds: Counter[str] = Counter()
    pages: list[str] = []
    broken: list[str] = []
    while queue:
        path = queue.popleft()
        kind = _kind(path)
        if kinds[kind] >= PER_KIND:
            continue
        response = page.goto(base + path)
        assert response is not None
        if response.status in (403, 404):
            broken.append(f"{path} answered {response.status}")
            continue
        kinds[kind] += 1
        current = urlsplit(page.url)
        landed = current.path + (f"?{current.query}" if current.query else "")
        if landed not in pages:
            pages.append(landed)
        for href in _links(page):
            href = urldefrag(href).url
            parts = urlsplit(href)
            if f"{parts.scheme}://{parts.netloc}" != base:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in seen_links or parts.path.startswith(SKIPPED):
                continue
            seen_links.add(target)
            link_kind = _kind(target)
            if link_kinds[link_kind] >= LINKS_PER_KIND:
                continue
            link_kinds[link_kind] += 1
            answer = context.request.get(base + target, max_redirects=5)
            if answer.status in (403, 404):
                broken.append(f"{target} answered {answer.status} (linked from {landed})")
                continue
            # A download (the report's CSV) is checked for its answer, not as a page.
            if "text/html" in answer.headers.get("content-type", ""):
                queue.append(target)
    page.close()
    return pages, broken


def _demo(settings) -> None:
    """The demo data, with its e-mails in the demo mailbox, as `make run` has them."""
    settings.MAILERS = {"default": {"BACKEND": mailbox.BACKEND}}
    call_command("demo_data", stdout=io.StringIO())
    notifications.send_due()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_is_accessible(
    browser, live_server, transactional_db, settings, role
):
    _demo(settings)
    base = live_server.url
    # axe is injected as an inline script, which the pages' CSP rightly refuses.
    context = browser.new_context(viewport=SIZES["laptop"], bypass_csp=True)
    context.set_default_timeout(15_000)
    login = context.new_page()
    login.goto(f"{base}/login/")
    login.fill("input[name=username]", ROLES[role])
    login.fill("input[name=password]", DEMO_PASSWORD)
    login.click("button[type=submit]")
    login.wait_for_load_state()
    assert "/login/" not in login.url, f"{role} could not log in"
    login.close()

    pages, broken = _crawl(context, base)
    assert len(pages) >= 2, pages  # the crawl got past the home page
    _check(context, base, pages, broken, role)


def test_every_page_the_doctors_e_mailed_link_reaches_is_accessible(
    browser, live_server, transactional_db, settings
):
    """Not signed in: from the approval e-mail's link, as a doctor opens it on a phone."""
    _demo(settings)
    message = MailboxMessage.objects.filter(to__startswith="harbor-doctor@").first()
    assert message is not None, "the demo sends the doctor an approval e-mail"
    link = re.search(r"https?://\S+?(/a/\S+/)", message.body).group(1)
    context = browser.new_context(viewport=SIZES["phone"], bypass_csp=True)
    context.set_default_timeout(15_000)
    pages, broken = _crawl(context, live_server.url, start=link)
    assert link in pages
    _check(context, live_server.url, [*pages, link.replace("/a/", "/a/x", 1)], broken, "link")


def test_the_invitation_a_new_nurse_opens_is_accessible(
    browser, live_server, transactional_db, settings
):
    """Not signed in: the demo's waiting invitation, opened on a phone."""
    _demo(settings)
    message = MailboxMessage.objects.filter(subject__startswith="Join ").first()
    assert message is not None, "the demo invites a second nurse"
    link = re.search(r"https?://\S+?(/invite/\S+/)", message.body).group(1)
    context = browser.new_context(viewport=SIZES["phone"], bypass_csp=True)
    context.set_default_timeout(15_000)
    pages, broken = _crawl(context, live_server.url, start=link)
    assert link in pages
    _check(context, live_server.url, pages, broken, "invitation")


def _check(context, base: str, pages: list[str], broken: list[str], who: str) -> None:
    """Each page on a phone; on a laptop too, the first page of each kind (the second
    of a kind has the same template and layout)."""
    problems = list(broken)
    first_of_kind: dict[str, str] = {}
    for path in pages:
        first_of_kind.setdefault(_kind(path), path)
    for size, viewport in SIZES.items():
        page = context.new_page()
        page.set_viewport_size(viewport)
        for path in pages:
            if size == "laptop" and first_of_kind[_kind(path)] != path:
                continue
            page.goto(base + path)
            problems += [f"{size} {path}: {v}" for v in _violations(page)]
        page.close()
    context.close()
    print(f"{who}: {len(pages)} pages on a phone, {len(first_of_kind)} on a laptop checked")
    assert problems == [], "\n".join(problems)
