"""Demo data for the quick start: practices, people, accounts, tips and posts in every status.

Idempotent: a second run keeps what is there. Each run adds one fresh post
scheduled a couple of minutes ahead, so a person watching the sandbox feed
sees it arrive.
"""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator, slugify

import imaging
from core.models import Assignment, User
from posts.approval import requests as approval_requests
from posts.demo_history import load_history
from posts.media import photos as media
from posts.models import (
    Approval,
    CaptionTemplate,
    MediaAsset,
    MonthTotals,
    Post,
    PostMedia,
    Publication,
    Tip,
)
from practices import invitations
from practices.models import (
    Invitation,
    Membership,
    PatientConsent,
    Platform,
    PostingSlot,
    Practice,
    SocialAccount,
)

# A public demo credential, printed by `make run`; the command refuses production.
DEMO_PASSWORD = "rounds-demo"  # noqa: S105

PRACTICES = [
    ("Lakeside Fertility", "lakeside-fertility", "fertility", "America/Chicago", "Chicago", "IL"),
    (
        "Harbor Dermatology",
        "harbor-dermatology",
        "dermatology",
        "America/Los_Angeles",
        "San Diego",
        "CA",
    ),
    (
        "Maple Street Dental",
        "maple-street-dental",
        "dental",
        "America/New_York",
        "Burlington",
        "VT",
    ),
    ("Summit Orthopedics", "summit-orthopedics", "orthopedics", "America/Denver", "Denver", "CO"),
]
# The demo's peers for the first practice (a fertility clinic): accounts and
# history only, no people of their own.
PEER_CLINICS = [
    ("Bayview Fertility Center", "America/Los_Angeles", "San Diego", "CA"),
    ("Prairie Reproductive Health", "America/Chicago", "Omaha", "NE"),
    ("Harborline IVF", "America/New_York", "Baltimore", "MD"),
    ("Red Rock Fertility", "America/Denver", "Boulder", "CO"),
    ("Magnolia Fertility Clinic", "America/Chicago", "Memphis", "TN"),
]
STRATEGISTS = [("sam", "Sam", "Rivera"), ("alex", "Alex", "Chen"), ("jordan", "Jordan", "Patel")]

CAPTIONS = {
    Post.Status.DRAFT: "Meet our new patient coordinator, Dana! Say hi at the front desk.",
    Post.Status.IN_REVIEW: "Flu season is here: book your shot this week. #flushot #health",
    Post.Status.CHANGES_REQUESTED: "Our team ran the city 5K this weekend for a good cause!",
    Post.Status.APPROVED: "Five tips for healthy skin this winter. Tip 1: sunscreen, still!",
    Post.Status.SCHEDULED: "Join us at the community health fair on Saturday, 10am-2pm.",
    Post.Status.PUBLISHING: "Reminder: masks are welcome in our waiting room.",
    Post.Status.PUBLISHED: "Thank you for 10 wonderful years, Nurse Jo! #teamwork",
    Post.Status.PARTIALLY_FAILED: "New evening hours on Thursdays until 7pm.",
    Post.Status.FAILED: "We are closed Monday for the holiday. Happy holidays!",
    Post.Status.CANCELLED: "Open house next Friday (postponed).",
    Post.Status.AGENCY_REVIEW: "Meet Dr. Lee, who joins us in January. Welcome aboard!",
    Post.Status.APPROVAL_EXPIRED: "Our office is closed this afternoon for staff training.",
}


def _demo_photo(practice: Practice) -> MediaAsset:
    """A cheerful, made-up picture (no patient in it), cleaned and stored like any upload.

    One per practice, shared by its demo posts.
    """
    from PIL import Image, ImageDraw, ImageFont

    alt_text = f"A colourful card with the name {practice.name}"
    existing = practice.media.filter(alt_text=alt_text).first()
    if existing is not None:
        return existing
    seed = sum(map(ord, practice.slug))
    hue = seed % 360
    picture = Image.new("HSV", (1600, 1200))
    draw = ImageDraw.Draw(picture)
    for y in range(0, 1200, 4):
        draw.rectangle([0, y, 1600, y + 4], fill=(hue * 255 // 360, 120, 255 - y // 12))
    picture = picture.convert("RGB")
    draw = ImageDraw.Draw(picture)
    for i in range(7):
        x, y, r = (seed * (i + 3)) % 1400 + 100, (seed * (i + 7)) % 1000 + 100, 60 + i * 15
        draw.ellipse([x - r, y - r, x + r, y + r], outline=(255, 255, 255), width=6)
    font = ImageFont.load_default(size=72)
    draw.text((80, 980), practice.name, fill=(255, 255, 255), font=font)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    cleaned = imaging.clean_image(
        buffer.getvalue(), max_bytes=settings.MAX_PHOTO_BYTES, max_pixels=settings.MAX_PHOTO_PIXELS
    )
    asset = media.store_cleaned(practice=practice, cleaned=cleaned)
    asset.alt_text = alt_text
    asset.save(update_fields=["alt_text"])
    return asset


def _demo_video_tip(practice: Practice, staff: User) -> None:
    """A nurse's 6-second phone clip (with the place in its tags, as phones write it),
    sent in as a tip: the workers `make run` starts clean it in a few seconds."""
    import subprocess
    import tempfile
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    import video
    from posts.media import videos

    with tempfile.TemporaryDirectory(prefix="demo-video-") as folder:
        clip = Path(folder) / "IMG_4410.MOV"
        try:
            video.make_demo_clip(
                clip,
                width=720,
                height=1280,
                seconds=6,
                tags={"location": "+41.8781-087.6298/", "model": "iPhone 15"},
            )
        except (OSError, subprocess.SubprocessError):
            return  # no ffmpeg here: the demo goes without its video
        upload = SimpleUploadedFile(clip.name, clip.read_bytes(), "video/quicktime")
    checked = videos.check_upload(upload)
    try:
        asset = videos.store_checked(practice=practice, checked=checked, by=staff)
    finally:
        checked.discard()
    tip = Tip.objects.create(
        practice=practice,
        submitted_by=staff,
        kind=Tip.Kind.TEAM,
        text="A quick tour of the new waiting room, filmed this morning.",
    )
    tip.photos.add(asset, through_defaults={"position": 0})


def _demo_user(username: str, first: str, last: str, *, agency_role: str = "") -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "email": f"{username}@rounds.example",
            "first_name": first,
            "last_name": last,
            "agency_role": agency_role,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if not user.two_factor_exempt:
        # Demo accounts sign in with the printed password alone, so that
        # `make run` stays one step (the flag is ignored in production, and
        # this command refuses to run there).
        user.two_factor_exempt = True
        user.save(update_fields=["two_factor_exempt"])
    return user


class Command(BaseCommand):
    help = "Load demo practices, people, accounts, tips and posts (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo data is for laptops and demos, never production")
        with transaction.atomic():
            created = self.load()
            self.schedule_welcome_post()
        self.stdout.write("Demo data loaded." if created else "Demo data already present.")
        # The conversation lives in the engagement app, above this one: asked for by
        # its command's name, not imported.
        if apps.is_installed("engagement"):
            call_command("demo_inbox", stdout=self.stdout)

    def load(self) -> bool:
        if Practice.objects.filter(slug=PRACTICES[0][1]).exists():
            return False
        now = timezone.now()
        lead = _demo_user("lead", "Morgan", "Lee", agency_role=User.AgencyRole.LEAD)
        lead.is_staff = lead.is_superuser = True
        lead.save(update_fields=["is_staff", "is_superuser"])
        strategists = [
            _demo_user(u, f, la, agency_role=User.AgencyRole.STRATEGIST) for u, f, la in STRATEGISTS
        ]
        for index, (name, slug, specialty, zone, city, state) in enumerate(PRACTICES):
            practice = Practice.objects.create(
                name=name,
                slug=slug,
                specialty=specialty,
                time_zone=zone,
                city=city,
                state=state,
                posts_per_week=3,
                approval_policy=Practice.ApprovalPolicy.ALWAYS,
                default_hashtags=f"#{slug.replace('-', '')}",
                social_media_policy=(
                    "Only photograph people who agreed to it. No other patients, screens, "
                    "charts or wristbands in the picture."
                ),
            )
            # Its weekly posting goal as slots: Tuesday, Thursday, Saturday.
            for weekday, clock in ((1, time(9, 30)), (3, time(12, 0)), (5, time(10, 0))):
                for platform in ("facebook", "instagram"):
                    PostingSlot.objects.create(
                        practice=practice, platform=platform, weekday=weekday, time=clock
                    )
            CaptionTemplate.objects.create(
                practice=practice,
                name="Holiday closure",
                text=f"{name} is closed on [date] for the holiday. For urgent needs, call "
                "our main line. Happy holidays from all of us!",
            )
            short = slug.split("-")[0]
            strategist = strategists[index % len(strategists)]
            Assignment.objects.create(strategist=strategist, practice=practice)
            staff = _demo_user(f"{short}-staff", "Casey", name.split()[0])
            doctor = _demo_user(f"{short}-doctor", "Dr. Robin", name.split()[0])
            Membership.objects.create(
                user=staff, practice=practice, role="staff", title="Office manager"
            )
            Membership.objects.create(user=doctor, practice=practice, role="doctor", title="MD")
            accounts = [
                SocialAccount.objects.create(
                    practice=practice,
                    platform=platform,
                    external_id=self.external_id(platform, index),
                    display_name=name,
                    access_token=f"demo-{platform}-{index}",
                    # Facebook gives no refresh token; Instagram renews its own.
                    refresh_token=""
                    if platform in ("facebook", "instagram")
                    else f"demo-refresh-{platform}-{index}",
                    token_expires_at=now + timedelta(days=50),
                    connected_by=lead,
                )
                for platform in Platform.values
            ]
            consent = PatientConsent.objects.create(
                practice=practice,
                patient_label="Maria G.",
                signer_name="Maria Garcia",
                uses=["photo", "story"],
                platforms=["facebook", "instagram"],
                expires_at=now + timedelta(days=730),
                method=PatientConsent.Method.ESIGNATURE,
                signed_at=now - timedelta(days=3),
                typed_signature="Maria Garcia",
                statements_acknowledged=True,
                recorded_by=staff,
            )
            Tip.objects.create(
                practice=practice,
                submitted_by=staff,
                kind=Tip.Kind.TEAM,
                text="Nurse Jo celebrates ten years with us on Friday!",
            )
            Tip.objects.create(
                practice=practice,
                submitted_by=staff,
                kind=Tip.Kind.PATIENT_STORY,
                features_patient=True,
                consent=consent,
                text="Maria finished physical therapy and ran her first 5K.",
            )
            Tip.objects.create(
                practice=practice,
                submitted_by=staff,
                kind=Tip.Kind.MILESTONE,
                status=Tip.Status.ARCHIVED,
                text="Our parking lot was repaved.",
            )
            drafted = Tip.objects.create(
                practice=practice,
                submitted_by=staff,
                kind=Tip.Kind.HEALTH_TIP,
                status=Tip.Status.DRAFTED,
                text="Remind people to get their flu shot.",
            )
            Tip.objects.create(
                practice=practice,
                submitted_by=staff,
                kind=Tip.Kind.EVENT,
                status=Tip.Status.DECLINED,
                declined_by=strategist,
                decline_reason="We posted about this event last week.",
                text="Health fair photos from last month.",
            )
            for status in CAPTIONS:
                post = self.make_post(practice, strategist, doctor, accounts[:2], status, now)
                if status == Post.Status.IN_REVIEW:
                    Post.objects.filter(pk=post.pk).update(tip=drafted)
            load_history(practice, accounts[:2], author=strategist, staff=staff, now=now)
            if index == 0:
                _demo_video_tip(practice, staff)
                # A second nurse invited and not joined yet: the invitation waits in
                # the demo mailbox, and on the practice's people page.
                invitations.invite(
                    practice=practice,
                    email=f"{short}-nurse@rounds.example",
                    role=Invitation.Role.STAFF,
                    first_name="Jo",
                    last_name="Park",
                    title="RN",
                    by=strategist,
                )
        self.load_peers(strategists, now)
        # The history above went in as rows: its month totals are worked out once.
        MonthTotals.recount_all()
        return True

    def load_peers(self, strategists: list[User], now: datetime) -> None:
        """Five more fertility clinics with three months of posts, so that the first
        practice's analytics show a peer band (it needs five peers)."""
        for number, (name, zone, city, state) in enumerate(PEER_CLINICS):
            peer = Practice.objects.create(
                name=name,
                slug=slugify(name),
                specialty=Practice.Specialty.FERTILITY,
                time_zone=zone,
                city=city,
                state=state,
                posts_per_week=3,
            )
            Assignment.objects.create(
                strategist=strategists[number % len(strategists)], practice=peer
            )
            accounts = [
                SocialAccount.objects.create(
                    practice=peer,
                    platform=platform,
                    external_id=self.external_id(platform, 10 + number),
                    display_name=name,
                    access_token=f"demo-{platform}-peer-{number}",
                    refresh_token=""
                    if platform in ("facebook", "instagram")
                    else f"demo-refresh-{platform}-peer-{number}",
                    token_expires_at=now + timedelta(days=50),
                )
                for platform in Platform.values
            ]
            load_history(
                peer, accounts[:2], author=None, staff=None, now=now, size=0.5 + 0.3 * number
            )

    @staticmethod
    def external_id(platform: str, index: int) -> str:
        return {
            "facebook": f"10{index}200300400",
            "instagram": f"178414{index}0000001",
            "linkedin": f"urn:li:organization:{7000 + index}",
            "x": f"15{index}0000000001",
            "google_business": f"accounts/1{index}/locations/2{index}",
        }[platform]

    def make_post(
        self,
        practice: Practice,
        strategist: User,
        doctor: User,
        targets: list[SocialAccount],
        status: Post.Status,
        now: datetime,
    ) -> Post:
        post = Post.objects.create(
            practice=practice,
            author=strategist,
            caption=CAPTIONS[status],
            title=Truncator(CAPTIONS[status].split("!")[0].split(":")[0]).chars(48),
            scheduled_at=now + timedelta(days=2),
        )
        post.targets.set(targets)
        PostMedia.objects.create(post=post, asset=_demo_photo(practice))
        self._advance(post, doctor, status, now)
        return post

    def _advance(self, post: Post, doctor: User, status: Post.Status, now: datetime) -> None:
        if status == Post.Status.DRAFT:
            return
        if status == Post.Status.AGENCY_REVIEW:
            post.submit_for_agency_review()
            return
        post.submit_for_review()
        if status == Post.Status.IN_REVIEW:
            # The doctors' e-mail with their link: the demo mailbox shows it.
            approval_requests.ask_doctors(post)
            return
        if status == Post.Status.APPROVAL_EXPIRED:
            Post.objects.filter(pk=post.pk).update(scheduled_at=now - timedelta(hours=1))
            post.expire_approval()
            return
        if status == Post.Status.CHANGES_REQUESTED:
            post.request_changes(
                by=doctor,
                via=Approval.Via.LINK,
                comment="Please use the photo where everyone is smiling.",
            )
            return
        post.approve(by=doctor, via=Approval.Via.LINK, comment="Looks good.")
        if status == Post.Status.APPROVED:
            return
        if status == Post.Status.CANCELLED:
            post.cancel(reason="Event postponed")
            return
        post.schedule(at=now + timedelta(days=2))
        if status == Post.Status.SCHEDULED:
            return
        if status == Post.Status.PUBLISHING:
            # Due now: the publishing engine takes it from here at start-up.
            Post.objects.filter(pk=post.pk).update(scheduled_at=now)
            post.publications.update(next_attempt_at=now)
            post.start_publishing()
            return
        # Past posts: pretend they went out yesterday.
        when = now - timedelta(days=1)
        Post.objects.filter(pk=post.pk).update(scheduled_at=when)
        post.start_publishing()
        outcomes = {
            Post.Status.PUBLISHED: [Publication.Status.PUBLISHED, Publication.Status.PUBLISHED],
            Post.Status.PARTIALLY_FAILED: [Publication.Status.PUBLISHED, Publication.Status.FAILED],
            Post.Status.FAILED: [Publication.Status.FAILED, Publication.Status.FAILED],
        }[status]
        for publication, outcome in zip(
            post.publications.order_by("account__platform"), outcomes, strict=True
        ):
            publication.status = outcome
            publication.attempts = 1
            if outcome == Publication.Status.PUBLISHED:
                publication.platform_post_id = f"demo-{publication.pk}"
                publication.published_at = when
            else:
                publication.last_error_kind = Publication.ErrorKind.REJECTED
                publication.last_error_message = (
                    "The platform rejected the photo: images must be under 8 MB."
                )
            publication.save()
        post.roll_up()

    def schedule_welcome_post(self) -> None:
        """One post two minutes ahead, so the quick start shows publishing end to end."""
        practice = Practice.objects.get(slug=PRACTICES[0][1])
        assignment = practice.assignments.select_related("strategist").first()
        membership = practice.memberships.filter(role="doctor").first()
        assert assignment is not None and membership is not None  # load() made both
        strategist, doctor = assignment.strategist, membership.user
        at = timezone.now() + timedelta(minutes=2)
        local = practice.local(at)
        post = Post.objects.create(
            practice=practice,
            author=strategist,
            title=f"Welcome post {local:%H:%M}",
            caption=(
                f"Good day from {practice.name}! Our doors open at 8am "
                f"(posted {local:%b %d, %H:%M} local time)."
            ),
        )
        post.targets.set(practice.social_accounts.all())
        PostMedia.objects.create(post=post, asset=_demo_photo(practice))
        post.submit_for_review()
        post.approve(by=doctor, via=Approval.Via.LINK, comment="Welcome aboard.")
        post.schedule(at=at)
        self.stdout.write(f"Scheduled “{post.title}” for {local:%H:%M} {practice.time_zone}.")
