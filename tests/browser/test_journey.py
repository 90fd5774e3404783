"""The whole journey, as the product's people go through it, end to end.

A nurse sends a tip with a photo and a new e-signed authorization from her
phone; the strategist drafts a post from it, fixes a compliance finding and
sends it for approval; the doctor opens the e-mailed link on his phone and
approves (the post once, its decision within the first screen), closes his
links, and gets a new one by e-mail from the refused page; at the scheduled
time the worker publishes to the sandbox, where the post shows on the feed
pages with the cleaned photo; the nurse sees her tip as published; the
month's PDF report opens with its summary and charts. Every step is real:
the live server, PostgreSQL, Redis and RQ workers, the sandbox over HTTP,
Chromium, e-mail through Django's mail API. Screenshots of each step go to
test-artifacts/journey/.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import requests
from django.core import mail
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from analytics import jobs
from analytics.models import MonthlyReport
from posts.models import Post, Publication, Tip
from posts.publishing import dispatch
from practices.models import PatientConsent
from tests import media_samples as samples
from tests.browser.conftest import log_in
from tests.publishing_support import platform_account, work

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "journey"
GPS_IFD = 0x8825


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def mail_to(address: str) -> list:
    """Run the e-mail worker, as production does, and read what reached this address."""
    work("email")
    return [message for message in mail.outbox if message.to == [address]]


def test_a_tip_becomes_an_approved_published_post(
    live_server,
    phone,
    laptop,
    browser,
    staff,
    strategist,
    doctor,
    practice,
    sandbox,
    sandbox_server,
    redis_db,
    settings,
    tmp_path,
):
    # The platforms fetch photos from our signed URLs, on the live server.
    settings.SITE_URL = live_server.url
    accounts = {p: platform_account(practice, p, sandbox) for p in ("facebook", "instagram")}

    # 1. The nurse, on her phone: a photo (with its GPS position) and the
    #    patient's authorization, signed on the spot.
    photo = tmp_path / "IMG_2041.jpg"
    photo.write_bytes(samples.jpeg_bytes(1600, 1600, color=(220, 140, 90), gps=True))
    nurse = phone()
    log_in(nurse, live_server.url, "staff")
    nurse.get_by_text("Patient story", exact=True).click()
    nurse.set_input_files("input[name=photos]", [str(photo)])
    nurse.fill(
        "textarea[name=text]",
        "Our patient graduated from physical therapy today! Call her at 773-555-0199.",
    )
    nurse.get_by_text("A patient appears in this or is described").click()
    nurse.get_by_text("Record a new authorization now").click()
    nurse.fill("input[name='consent-patient_label']", "Dana R.")
    nurse.fill("input[name='consent-signer_name']", "Dana Rivera")
    nurse.fill("input[name='consent-signer_email']", "dana@example.org")
    consent_fields = nurse.locator("#new-consent")
    for choice in ("Photo", "Story", "Facebook", "Instagram"):
        consent_fields.locator("label.choice", has_text=choice).click()
    expires = (timezone.now() + timedelta(days=730)).date().isoformat()
    nurse.fill("input[name='consent-expires_on']", expires)
    nurse.get_by_text("The person signing has read the statements above.").click()
    nurse.fill("input[name='consent-typed_signature']", "Dana Rivera")
    if nurse.get_by_text("I have read the practice's social media policy").count():
        nurse.get_by_text("I have read the practice's social media policy").click()
    shot(nurse, "01-nurse-tip-form")
    nurse.get_by_role("button", name="Send tip").click()
    expect(nurse.get_by_text("Thank you! Your tip is on its way to the agency.")).to_be_visible()
    shot(nurse, "02-nurse-tip-sent")
    tip = Tip.objects.get()
    consent = PatientConsent.objects.get()
    assert tip.consent == consent
    (copy,) = mail_to("dana@example.org")  # the signer's own copy
    assert "Right to revoke" in copy.body

    # 2. The strategist drafts a post from it, fixes the finding, sends it.
    desk = laptop
    log_in(desk, live_server.url, "strategist")
    desk.goto(f"{live_server.url}{tip.get_absolute_url()}")
    desk.get_by_role("link", name="Draft a post from this tip").click()
    for account in accounts.values():
        desk.locator(f"input[name=targets][value='{account.pk}']").check()
    compliance = desk.locator("#compliance")
    expect(compliance).to_contain_text("A phone or fax number that is not the practice's")
    shot(desk, "03-strategist-finding")
    desk.locator("textarea[name=caption]").fill(
        "Our patient graduated from physical therapy today! Congratulations! 🎉"
    )
    expect(compliance).not_to_contain_text("A phone or fax number")
    when = timezone.localtime(timezone.now() + timedelta(days=2), practice.zone)
    desk.fill("input[name=date]", when.date().isoformat())
    desk.fill("input[name=time]", "09:30")
    desk.get_by_role("button", name="Save").click()
    expect(desk).to_have_url(re.compile(r"/posts/\d+/edit/$"))
    desk.fill("textarea[name=note]", "Dana's photo from her last session, with her consent.")
    desk.get_by_role("button", name="Send for approval").click()
    expect(desk.locator(".message.success")).to_contain_text("Sent to the practice's doctors")
    shot(desk, "04-strategist-sent")
    post = Post.objects.get()
    assert post.status == Post.Status.IN_REVIEW and post.tip == tip

    # 3. The doctor, on his phone, from the e-mailed link: no password.
    (asked,) = mail_to(doctor.email)
    link = re.search(r"https?://\S+/a/\S+/", asked.body).group(0)
    assert link.startswith(live_server.url)
    physician = phone()
    physician.goto(link)
    review = physician.locator(f"#post-{post.pk}")
    expect(review).to_contain_text("Congratulations!")
    expect(review).to_contain_text("Dana R.: Photo, Story on Facebook, Instagram")
    expect(review).to_contain_text("Dana's photo from her last session")
    expect(review.locator(".preview.instagram img")).to_have_count(1)
    # The lighter page: the decision within the post's first screen on the phone.
    approve = review.get_by_role("button", name="Approve this post")
    assert approve.bounding_box()["y"] - review.bounding_box()["y"] < 844
    shot(physician, "05-doctor-approval-page")
    approve.click()
    expect(physician.locator(".message.success")).to_contain_text("It goes out")
    shot(physician, "06-doctor-approved")
    # Done, he closes his links; the old one is refused and offers a new one by e-mail.
    physician.get_by_role("button", name="Close all my links").click()
    expect(physician.locator("h1")).to_contain_text("Thank you")
    physician.goto(link)
    expect(physician.locator("h1")).to_contain_text("This link no longer works")
    physician.fill("input[name=email]", doctor.email)
    physician.get_by_role("button", name="E-mail me a new link").click()
    expect(physician.locator("h1")).to_contain_text("Check your e-mail")
    (fresh,) = [m for m in mail_to(doctor.email) if "new link" in m.subject]
    physician.goto(re.search(r"https?://\S+/a/\S+/", fresh.body).group(0))
    expect(physician.locator("h1")).to_contain_text("posts for your approval")
    shot(physician, "06b-doctor-new-link")
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    approval = post.approvals.get()
    assert approval.via == "link" and approval.reviewer == doctor
    assert approval.content_hash == post.content_hash()

    # 4. At the scheduled minute the worker publishes, once, to each platform.
    assert dispatch.claim_due(now=post.scheduled_at - timedelta(minutes=1)) == []
    assert len(dispatch.claim_due(now=post.scheduled_at + timedelta(seconds=5))) == 2
    work("publish")
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert set(post.publications.values_list("status", flat=True)) == {Publication.Status.PUBLISHED}
    for platform, account in accounts.items():
        (live,) = sandbox.ledger(platform=platform, account=account.external_id)
        assert live["text"].startswith("Our patient graduated from physical therapy today!")
        desk.goto(f"{sandbox_server.url}/_sandbox/feed/{platform}/{account.external_id}")
        image = desk.locator("article img").first
        expect(image).to_be_visible()
        shot(desk, f"07-sandbox-feed-{platform}")
        received = requests.get(sandbox_server.url + image.get_attribute("src"), timeout=5)
        with Image.open(io.BytesIO(received.content)) as picture:
            assert GPS_IFD not in picture.getexif()  # the cleaned photo, not the phone's

    # 5. The nurse sees her tip published, and was told by e-mail.
    (told,) = mail_to(staff.email)
    assert "published" in told.subject
    nurse.goto(f"{live_server.url}/tips/")
    expect(nurse.locator("#my-tips .tip-card").first).to_contain_text("Published")
    shot(nurse, "08-nurse-tip-published")

    # 6. The month's report as a PDF, as the practice receives it: its summary and charts.
    month = practice.local(post.scheduled_at).date().replace(day=1)
    name = jobs.make_pdf(practice.pk, month.isoformat())
    report = MonthlyReport.objects.get(practice=practice, month=month)
    assert report.pdf.name == name
    text = " ".join(
        " ".join(
            page.extract_text() for page in pypdf.PdfReader(report.pdf.open("rb")).pages
        ).split()
    )
    assert f"{practice}: {month:%b %Y}" in text
    # One post on two platforms: two posts, as the platforms count them.
    assert f"{practice} published 2 posts" in text and "Reach per month" in text
    assert "Engagement rate against peers" in text and "Facebook" in text
    data = report.pdf.open("rb").read()
    (ARTIFACTS / "09-monthly-report.pdf").write_bytes(data)
    # Its first page as a picture, to look at beside the screenshots.
    first_page = pypdfium2.PdfDocument(data)[0].render(scale=1.5).to_pil()
    assert first_page.size == (918, 1188)  # letter paper, 8.5 × 11 inches at 108 dpi
    first_page.save(ARTIFACTS / "09-monthly-report-page-1.png")


def test_a_video_tip_goes_out_to_every_platform_that_takes_video(
    live_server,
    phone,
    laptop,
    staff,
    strategist,
    doctor,
    practice,
    sandbox,
    sandbox_server,
    redis_db,
    settings,
    tmp_path,
):
    """A nurse's phone clip (the place it was shot in its tags) through the tip form, the
    media worker, the editor's previews, the doctor's link and the publishing worker, to
    Instagram as a Reel, Facebook, LinkedIn and X; none of them receives the place."""
    settings.SITE_URL = live_server.url
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    platforms = ("facebook", "instagram", "linkedin", "x")
    accounts = {p: platform_account(practice, p, sandbox) for p in platforms}

    # 1. The nurse sends the clip from her phone.
    clip = tmp_path / "IMG_3107.MOV"
    clip.write_bytes(samples.video_bytes("vertical"))
    assert samples.VIDEO_PLACE.encode() in clip.read_bytes()
    nurse = phone()
    log_in(nurse, live_server.url, "staff")
    nurse.get_by_text("Team", exact=True).click()
    nurse.set_input_files("input[name=video]", [str(clip)])
    nurse.fill("textarea[name=text]", "A 4-second tour of our new physical therapy gym.")
    if nurse.get_by_text("I have read the practice's social media policy").count():
        nurse.get_by_text("I have read the practice's social media policy").click()
    nurse.get_by_role("button", name="Send tip").click()
    expect(nurse.get_by_text("Thank you! Your tip is on its way to the agency.")).to_be_visible()
    tip = Tip.objects.get()
    nurse.goto(f"{live_server.url}{tip.get_absolute_url()}")
    expect(nurse.locator(".video-status.processing")).to_be_visible()
    shot(nurse, "10-nurse-video-being-prepared")

    # 2. The media worker cleans it; the strategist drafts a post with it.
    work("media")
    desk = laptop
    log_in(desk, live_server.url, "strategist")
    desk.goto(f"{live_server.url}{tip.get_absolute_url()}")
    expect(desk.locator("video.video-player")).to_have_count(1)
    desk.get_by_role("link", name="Draft a post from this tip").click()
    for account in accounts.values():
        desk.locator(f"input[name=targets][value='{account.pk}']").check()
    expect(desk.locator("#previews video")).to_have_count(4)
    expect(desk.locator("#publishability")).to_contain_text("Every target takes this post")
    when = timezone.localtime(timezone.now() + timedelta(days=2), practice.zone)
    desk.fill("input[name=date]", when.date().isoformat())
    desk.fill("input[name=time]", "11:00")
    desk.get_by_role("button", name="Save").click()
    expect(desk).to_have_url(re.compile(r"/posts/\d+/edit/$"))
    expect(desk.locator("#video")).to_contain_text("Video and its cover")
    shot(desk, "11-strategist-video-post")
    desk.get_by_role("button", name="Send for approval").click()
    expect(desk.locator(".message.success")).to_contain_text("Sent to the practice's doctors")
    post = Post.objects.get()

    # 3. The doctor approves from the e-mailed link, seeing the clip itself.
    (asked,) = mail_to(doctor.email)
    physician = phone()
    physician.goto(re.search(r"https?://\S+/a/\S+/", asked.body).group(0))
    review = physician.locator(f"#post-{post.pk}")
    review.locator("summary").first.click()
    expect(review.locator(".preview.instagram video")).to_have_count(1)
    shot(physician, "12-doctor-video-approval")
    review.get_by_role("button", name="Approve this post").click()
    expect(physician.locator(".message.success")).to_contain_text("It goes out")

    # 4. Published once to each; what arrived is the cleaned clip, with no place.
    post.refresh_from_db()
    assert len(dispatch.claim_due(now=post.scheduled_at + timedelta(seconds=5))) == 4
    work("publish")
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    for platform, account in accounts.items():
        (live,) = sandbox.ledger(platform=platform, account=account.external_id)
        received = live["video"]
        assert received["video_codec"] == "h264" and received["audio_codec"] == "aac"
        assert not received["has_location"] and "location" not in received["tags"]
        desk.goto(f"{sandbox_server.url}/_sandbox/feed/{platform}/{account.external_id}")
        expect(desk.locator("article").first).to_contain_text("no location")
        shot(desk, f"13-sandbox-video-{platform}")


def test_a_one_star_review_gets_the_safe_reply_not_the_one_that_confirms_a_visit(
    live_server, laptop, strategist, practice, sandbox, sandbox_server, redis_db, settings
):
    """A 1-star Google review arrives; the strategist's first reply is blocked for
    confirming the reviewer's visit; the safe reply goes out, once, and the sandbox shows
    it under the review."""
    from engagement import jobs as engagement_jobs
    from engagement.models import Reply

    settings.SITE_URL = live_server.url
    practice.phone = "555-0100"
    practice.save()
    sandbox.faults(conversation_rate=0)
    google = platform_account(practice, "google_business", sandbox)
    sandbox.add_conversation(
        "google_business",
        "review",
        account=google.external_id,
        rating=1,
        text="Waited two hours for my appointment and the front desk was rude.",
        author_name="Pat Q.",
    )
    assert engagement_jobs.sync_account(google.pk) == 1

    desk = laptop
    log_in(desk, live_server.url, "strategist")
    desk.goto(f"{live_server.url}/inbox/")
    first = desk.locator(".inbox-item").first
    expect(first).to_contain_text("Waited two hours")
    expect(first).to_contain_text("Bad review")
    shot(desk, "14-inbox-bad-review-first")
    first.get_by_role("link").first.click()
    desk.fill("textarea[name=text]", "So sorry about the wait at your appointment, Pat.")
    desk.get_by_role("button", name="Send reply").click()
    expect(desk.locator("#blocked")).to_contain_text("This confirms the reviewer is a patient")
    shot(desk, "15-reply-blocked")
    assert not Reply.objects.exists()

    safe = desk.locator(".saved-replies .saved-text").first.inner_text()
    assert "Privacy rules keep us from discussing anyone's care here" in safe
    desk.fill("textarea[name=text]", safe)
    desk.get_by_role("button", name="Send reply").click()
    expect(desk.locator(".message.success")).to_contain_text("Your reply is on its way.")
    engagement_jobs.dispatch_replies()
    work("publish")
    reply = Reply.objects.get()
    assert reply.status == Reply.Status.SENT

    desk.goto(f"{sandbox_server.url}/_sandbox/feed/google_business/{google.external_id}")
    review = desk.locator("li", has_text="Waited two hours").first
    expect(review).to_contain_text(safe)
    shot(desk, "16-sandbox-review-with-reply")
