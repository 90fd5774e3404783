from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from practices.models import PatientConsent, Platform, Practice, SocialAccount


class IllegalTransition(Exception):
    """A status change that the workflow does not allow, in plain words."""


class Tip(models.Model):
    class Kind(models.TextChoices):
        PATIENT_STORY = "patient_story", "Patient story"
        TEAM = "team", "Team"
        EVENT = "event", "Event"
        MILESTONE = "milestone", "Milestone"
        HEALTH_TIP = "health_tip", "Health tip"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        NEW = "new", "New"
        DRAFTED = "drafted", "Drafted"
        DECLINED = "declined", "Declined"
        ARCHIVED = "archived", "Archived"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="tips")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tips",
    )
    # Submissions through the secret tip link have no account: name and e-mail.
    submitter_name = models.CharField(max_length=200, blank=True)
    submitter_email = models.EmailField(blank=True)
    via_link = models.BooleanField(default=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField(max_length=5000)
    features_patient = models.BooleanField(default=False)
    consent = models.ForeignKey(
        PatientConsent, null=True, blank=True, on_delete=models.PROTECT, related_name="tips"
    )
    photos = models.ManyToManyField("MediaAsset", through="TipPhoto", related_name="tips")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    decline_reason = models.TextField(blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["practice", "status"], name="tip_practice_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} tip #{self.pk} ({self.practice})"

    def get_absolute_url(self) -> str:
        return reverse("tip_detail", args=[self.pk])

    @property
    def submitter_display(self) -> str:
        if self.submitted_by_id:
            return str(self.submitted_by)
        return self.submitter_name or "Anonymous"

    def decline(self, *, reason: str, by) -> None:
        if self.status != self.Status.NEW:
            raise IllegalTransition(f"only a new tip can be declined; this one is {self.status}")
        if not reason.strip():
            raise IllegalTransition("declining a tip needs a reason for the person who sent it")
        self.status = self.Status.DECLINED
        self.decline_reason = reason.strip()
        self.declined_by = by
        self.save(update_fields=["status", "decline_reason", "declined_by", "updated_at"])


class MediaAsset(models.Model):
    """A cleaned photo: metadata stripped and orientation applied before storage.

    The same bytes uploaded twice to one practice are stored once (sha256).
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to="media/%Y/%m/")
    content_type = models.CharField(max_length=50, default="image/jpeg")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    alt_text = models.CharField(max_length=1000, blank=True)
    # Where the subject is, as fractions of width and height: crops keep it.
    focal_x = models.FloatField(default=0.5)
    focal_y = models.FloatField(default=0.5)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "sha256"], name="media_unique_content"),
            models.CheckConstraint(
                condition=Q(focal_x__gte=0, focal_x__lte=1, focal_y__gte=0, focal_y__lte=1),
                name="media_focal_in_frame",
            ),
        ]

    def __str__(self) -> str:
        return f"Photo {self.sha256[:10]} ({self.width}×{self.height})"


class TipPhoto(models.Model):
    tip = models.ForeignKey(Tip, on_delete=models.CASCADE)
    asset = models.ForeignKey(MediaAsset, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["tip", "asset"], name="tipphoto_unique"),
        ]

    def __str__(self) -> str:
        return f"Photo {self.position + 1} of {self.tip}"


class MediaVariant(models.Model):
    """A rendering of an asset for one platform's frame, made on demand and cached."""

    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="variants")
    spec = models.CharField(max_length=40)
    focal_x = models.FloatField()
    focal_y = models.FloatField()
    file = models.FileField(upload_to="variants/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "spec"], name="variant_unique_spec"),
        ]

    def __str__(self) -> str:
        return f"{self.spec} of {self.asset}"


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHING = "publishing", "Publishing"
        PUBLISHED = "published", "Published"
        PARTIALLY_FAILED = "partially_failed", "Partially failed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    PRE_PUBLISH = frozenset(
        {
            Status.DRAFT,
            Status.IN_REVIEW,
            Status.CHANGES_REQUESTED,
            Status.APPROVED,
            Status.SCHEDULED,
        }
    )
    # Gone out, or going out, on at least one platform and not settled as
    # published: where a single publication may be cancelled (before that,
    # the post's targets change, or the whole post is cancelled).
    SETTLING = frozenset({Status.PUBLISHING, Status.PARTIALLY_FAILED, Status.FAILED})
    # action -> (statuses it may start from, status it leads to). Every status
    # change goes through `_move`, so an illegal one is refused in one place.
    TRANSITIONS = {
        "submit_for_review": ({Status.DRAFT}, Status.IN_REVIEW),
        "approve": ({Status.IN_REVIEW}, Status.APPROVED),
        # When the practice's policy needs no doctor for this post.
        "mark_ready": ({Status.DRAFT}, Status.APPROVED),
        "request_changes": ({Status.IN_REVIEW}, Status.CHANGES_REQUESTED),
        "reopen": (
            {Status.CHANGES_REQUESTED, Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED},
            Status.DRAFT,
        ),
        "schedule": ({Status.APPROVED}, Status.SCHEDULED),
        "unschedule": ({Status.SCHEDULED}, Status.APPROVED),
        "start_publishing": ({Status.SCHEDULED}, Status.PUBLISHING),
        "finish_published": ({Status.PUBLISHING, Status.PARTIALLY_FAILED}, Status.PUBLISHED),
        "finish_partially_failed": ({Status.PUBLISHING}, Status.PARTIALLY_FAILED),
        "finish_failed": ({Status.PUBLISHING, Status.PARTIALLY_FAILED}, Status.FAILED),
        # A person asked to try a failed publication again ("retry now").
        "resume_publishing": ({Status.FAILED, Status.PARTIALLY_FAILED}, Status.PUBLISHING),
        "cancel": (set(PRE_PUBLISH), Status.CANCELLED),
        # Every publication was cancelled on the way out (its patient
        # authorization was revoked while it was being published, or a person
        # cancelled each one that was waiting or had failed).
        "finish_cancelled": (
            {Status.PUBLISHING, Status.PARTIALLY_FAILED, Status.FAILED},
            Status.CANCELLED,
        ),
    }

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="posts")
    tip = models.ForeignKey(
        Tip, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="posts"
    )
    title = models.CharField(max_length=200, blank=True, help_text="For the team; not published.")
    caption = models.TextField(max_length=63206)
    # Per-platform captions where the shared one does not fit: {platform: text}.
    overrides = models.JSONField(default=dict, blank=True)
    media = models.ManyToManyField(MediaAsset, through="PostMedia", related_name="posts")
    targets = models.ManyToManyField(SocialAccount, related_name="posts", blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    features_patient = models.BooleanField(default=False)
    # What the post uses of the patients in it: photo, story, name, testimonial.
    patient_uses = models.JSONField(default=list, blank=True)
    consents = models.ManyToManyField(PatientConsent, related_name="posts", blank=True)
    is_testimonial = models.BooleanField(default=False)
    identifier_review_note = models.TextField(
        blank=True, help_text="Why flagged identifiers in the text are acceptable."
    )
    cancel_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-created_at"]
        indexes = [
            models.Index(fields=["practice", "status"], name="post_practice_status"),
            models.Index(fields=["scheduled_at"], name="post_scheduled_at"),
        ]

    def __str__(self) -> str:
        return self.title or f"Post #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("post_detail", args=[self.pk])

    # -- workflow -----------------------------------------------------------

    def _move(self, action: str) -> None:
        sources, target = self.TRANSITIONS[action]
        if self.status not in sources:
            raise IllegalTransition(
                f"cannot {action.replace('_', ' ')} a post that is "
                f"{self.Status(self.status).label.lower()}"
            )
        # Conditional update: two people (or a person and a worker) acting at
        # once cannot both move the post from the same status. It also takes
        # the post's row lock first: every move that then changes publications
        # (reopen, unschedule, cancel, schedule) locks post, then publications,
        # the order posts.dispatch.claim_due relies on to never deadlock.
        moved = Post.objects.filter(pk=self.pk, status=self.status).update(
            status=target, updated_at=timezone.now()
        )
        if not moved:
            current = Post.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            raise IllegalTransition(
                f"the post changed meanwhile (it is now {current}); reload and try again"
            )
        self.status = target

    def can(self, action: str) -> bool:
        return self.status in self.TRANSITIONS[action][0]

    def needs_doctor_approval(self) -> bool:
        policy = self.practice.approval_policy
        if policy == Practice.ApprovalPolicy.ALWAYS:
            return True
        if policy == Practice.ApprovalPolicy.PATIENT_CONTENT:
            return self.features_patient
        return False

    def submit_for_review(self) -> None:
        self._move("submit_for_review")

    def mark_ready(self, *, by) -> Approval:
        """Approve without a doctor, where the practice's policy allows it."""
        if self.needs_doctor_approval():
            raise IllegalTransition("this practice's policy needs a doctor to approve this post")
        self._require_consents(action="approve", at=timezone.now())
        with transaction.atomic():
            self._move("mark_ready")
            return Approval.objects.create(
                post=self,
                reviewer=by,
                decision=Approval.Decision.APPROVED,
                content_hash=self.content_hash(),
                via=Approval.Via.LOGIN,
                comment="Approved by the agency under the practice's approval policy.",
            )

    def approve(self, *, by, via: str, comment: str = "", ip_address=None, reviewer_label=""):
        self._require_consents(action="approve", at=timezone.now())
        with transaction.atomic():
            self._move("approve")
            return Approval.objects.create(
                post=self,
                reviewer=by,
                reviewer_label=reviewer_label,
                decision=Approval.Decision.APPROVED,
                comment=comment,
                content_hash=self.content_hash(),
                via=via,
                ip_address=ip_address,
            )

    def request_changes(self, *, by, via: str, comment: str, ip_address=None, reviewer_label=""):
        if not comment.strip():
            raise IllegalTransition("asking for changes needs a comment saying what to change")
        with transaction.atomic():
            self._move("request_changes")
            return Approval.objects.create(
                post=self,
                reviewer=by,
                reviewer_label=reviewer_label,
                decision=Approval.Decision.CHANGES_REQUESTED,
                comment=comment.strip(),
                content_hash=self.content_hash(),
                via=via,
                ip_address=ip_address,
            )

    def reopen(self) -> None:
        """Back to draft for editing; any approval given is void from now on."""
        with transaction.atomic():
            self._move("reopen")
            self.approvals.filter(voided_at__isnull=True).update(voided_at=timezone.now())
            self.publications.filter(status=Publication.Status.PENDING).delete()

    def schedule(self, *, at: datetime) -> None:
        if timezone.is_naive(at):
            raise ValueError("scheduled_at must be an aware datetime")
        if not self.approval_is_current():
            raise IllegalTransition(
                "the approved version differs from this one; send it for approval again"
            )
        # Covered from now until it goes out (an expiry before `at` refuses).
        self._require_consents(action="schedule", at=max(at, timezone.now()))
        with transaction.atomic():
            self._move("schedule")
            self.scheduled_at = at
            self.save(update_fields=["scheduled_at", "updated_at"])
            existing = set(self.publications.values_list("account_id", flat=True))
            Publication.objects.bulk_create(
                Publication(post=self, account=account, next_attempt_at=at)
                for account in self.targets.all()
                if account.pk not in existing
            )
            self.publications.filter(status=Publication.Status.PENDING).update(next_attempt_at=at)

    def unschedule(self) -> None:
        with transaction.atomic():
            self._move("unschedule")
            self.publications.filter(status=Publication.Status.PENDING).delete()

    def cancel(self, *, reason: str = "") -> None:
        with transaction.atomic():
            self._move("cancel")
            self.cancel_reason = reason[:500]
            self.save(update_fields=["cancel_reason", "updated_at"])
            self.publications.filter(
                status__in=[Publication.Status.PENDING, Publication.Status.QUEUED]
            ).update(status=Publication.Status.CANCELLED, updated_at=timezone.now())

    def start_publishing(self) -> None:
        self._move("start_publishing")

    def roll_up(self) -> None:
        """Set the post's final status from its publications, once all are settled.

        Lock order: the post's row first, then the publications are read (the
        order every change to a post and its publications keeps, see _move).
        Whoever puts a publication back in line (publishing.retry_publication)
        locks the post first too, so either it committed before our lock and
        its publication reads as pending here (the post stays publishing), or
        it waits for our commit and finds the post settled, which it resumes.
        Reading the statuses before taking the lock, a retry committing in
        between would leave the post settled with a pending publication that
        no dispatch takes (only scheduled and publishing posts are dispatched)
        and no button retries (it is not failed).
        """
        with transaction.atomic():
            # The status under the lock, not the one this copy was loaded
            # with: another worker, or a person, may have moved the post since.
            self.status = (
                Post.objects.select_for_update()
                .filter(pk=self.pk)
                .values_list("status", flat=True)
                .get()
            )
            # READ COMMITTED: this statement starts after the lock is ours,
            # so it sees every change committed by whoever held it.
            statuses = list(self.publications.order_by().values_list("status", flat=True))
            settled = {
                Publication.Status.PUBLISHED,
                Publication.Status.FAILED,
                Publication.Status.CANCELLED,
                Publication.Status.DELETED,
            }
            if not statuses or any(s not in settled for s in statuses):
                return
            published = sum(
                s in (Publication.Status.PUBLISHED, Publication.Status.DELETED) for s in statuses
            )
            failed = statuses.count(Publication.Status.FAILED)
            if published == 0 and failed == 0:
                action = "finish_cancelled"  # nothing went out, nothing failed
            elif failed == 0:
                action = "finish_published"
            elif published == 0:
                action = "finish_failed"
            else:
                action = "finish_partially_failed"
            if self.TRANSITIONS[action][1] != self.status and self.can(action):
                self._move(action)

    # -- patient authorizations ----------------------------------------------

    def relied_consents(self) -> models.QuerySet[PatientConsent]:
        """The authorizations this post relies on: those attached to it, plus
        its tip's when it was drafted from a tip that has one.

        `relying_on` is the same rule read the other way (a revocation uses
        it): change them together.
        """
        attached = Post.consents.through.objects.filter(post_id=self.pk).values("patientconsent_id")
        rule = Q(pk__in=attached)
        if self.tip_id:
            rule |= Q(pk__in=Tip.objects.filter(pk=self.tip_id).values("consent_id"))
        return PatientConsent.objects.filter(rule)

    @classmethod
    def relying_on(cls, consent: PatientConsent) -> models.QuerySet[Post]:
        """Posts that rely on an authorization (see relied_consents).

        Ids through subqueries, not joins: no duplicate rows, hence no
        DISTINCT, so the result can be locked with select_for_update.
        """
        attached = Post.consents.through.objects.filter(patientconsent_id=consent.pk).values(
            "post_id"
        )
        tips = Tip.objects.filter(consent_id=consent.pk).values("pk")
        return cls.objects.filter(Q(pk__in=attached) | Q(tip_id__in=tips))

    def consent_problems(
        self, platforms, *, at: datetime, consents: list[PatientConsent] | None = None
    ) -> list[str]:
        """Why the patient authorizations do not cover this post on these
        platforms at `at`, in plain sentences; [] if they do.

        The same check approves, schedules and, at the moment of publishing,
        publishes. `consents`: the relied authorizations when the caller has
        just read them (the publisher reads them once for all its checks).
        """
        if consents is None:
            consents = list(self.relied_consents())
        uses = set(self.patient_uses)
        problems: list[str] = []
        if self.features_patient and not uses:
            problems.append("say what the post uses of the patient: photo, story, name")
        if self.features_patient and not consents:
            problems.append("the post features a patient but no authorization is attached")
        for consent in consents:
            problems += consent.problems_for(uses=uses, platforms=set(platforms), at=at)
        return problems

    def _require_consents(self, *, action: str, at: datetime) -> None:
        platforms = set(self.targets.values_list("platform", flat=True))
        problems = self.consent_problems(platforms, at=at)
        if problems:
            raise IllegalTransition(f"cannot {action} this post: " + "; ".join(problems))

    # -- content ------------------------------------------------------------

    def caption_for(self, platform: str) -> str:
        return self.overrides.get(platform) or self.caption

    def content_hash(self, *, consents: list[PatientConsent] | None = None) -> str:
        """A fingerprint of exactly what would be published.

        `consents`: the relied authorizations when the caller has just read
        them (the publisher, once per attempt), saving a query.

        An approval stores it; any change to a caption, a photo, its crop or
        alt text, the targets, or what it uses of a patient and under which
        authorizations makes a different hash and voids the approval.
        """
        media = [
            [pm.asset.sha256, pm.asset.focal_x, pm.asset.focal_y, pm.asset.alt_text]
            for pm in self.postmedia_set.select_related("asset").order_by("position")
        ]
        # One query for both (this runs again at every publishing attempt).
        target_rows = list(self.targets.values_list("pk", "platform"))
        targets = sorted(pk for pk, _ in target_rows)
        platforms = sorted({platform for _, platform in target_rows})
        content = {
            "captions": {p: self.caption_for(p) for p in platforms} or {"*": self.caption},
            "media": media,
            "targets": targets,
            "testimonial": self.is_testimonial,
        }
        if consents is None:
            consent_ids = sorted(self.relied_consents().values_list("pk", flat=True))
        else:
            consent_ids = sorted(consent.pk for consent in consents)
        if self.features_patient or self.patient_uses or consent_ids:
            # Only for posts with patient content, so that the approvals of
            # every other post stay valid.
            content["patient"] = {
                "features": self.features_patient,
                "uses": sorted(self.patient_uses),
                "consents": consent_ids,
            }
        encoded = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(encoded).hexdigest()

    def current_approval(self) -> Approval | None:
        return (
            self.approvals.filter(decision=Approval.Decision.APPROVED, voided_at__isnull=True)
            .order_by("-created_at")
            .first()
        )

    def approval_is_current(self, *, consents: list[PatientConsent] | None = None) -> bool:
        approval = self.current_approval()
        return approval is not None and approval.content_hash == self.content_hash(
            consents=consents
        )


class PostMedia(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    asset = models.ForeignKey(MediaAsset, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["post", "asset"], name="postmedia_unique")]

    def __str__(self) -> str:
        return f"Photo {self.position + 1} of {self.post}"


class Approval(models.Model):
    """A doctor's decision on one exact version of a post (kept as documentation)."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"

    class Via(models.TextChoices):
        LOGIN = "login", "Logged in"
        LINK = "link", "Signed e-mail link"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approvals")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewer_label = models.CharField(max_length=200, blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    via = models.CharField(max_length=10, choices=Via.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer or self.reviewer_label}"


class Publication(models.Model):
    """One post on one account: the unit that is published exactly once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued"
        PUBLISHING = "publishing", "Publishing"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"
        # A request may have gone through: the next attempt reads back first.
        UNKNOWN = "unknown", "Unknown (checking)"
        DELETED = "deleted", "Deleted"
        CANCELLED = "cancelled", "Cancelled"

    class ErrorKind(models.TextChoices):
        TRANSIENT = "transient", "Platform error, retrying"
        THROTTLED = "throttled", "Rate limited, retrying later"
        RECONNECT = "reconnect", "Account needs reconnecting"
        REJECTED = "rejected", "Content rejected by the platform"
        DUPLICATE = "duplicate", "Duplicate content"
        AMBIGUOUS = "ambiguous", "Outcome unknown"
        CONSENT = "consent", "Patient authorization does not cover it"
        APPROVAL = "approval", "Approval no longer matches the content"
        MEDIA = "media", "Photo could not be prepared"
        EXHAUSTED = "exhausted", "Gave up after repeated failures"
        CONFIG = "config", "Our platform settings need fixing"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="publications")
    account = models.ForeignKey(
        SocialAccount, on_delete=models.PROTECT, related_name="publications"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    platform_post_id = models.CharField(max_length=300, blank=True)
    permalink = models.URLField(max_length=1000, blank=True)
    # Progress a platform lets us resume, e.g. an Instagram container id: a
    # container already PUBLISHED must never be published again.
    platform_state = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While queued or publishing: past this moment the dispatcher takes it back.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Set when a create request may have reached the platform without us
    # learning the outcome (ambiguous answer, worker killed mid-request). Only
    # a read-back settles it (finding the post, or finding nothing): it
    # survives queued/publishing, failing and "retry now", so whoever attempts
    # next reads back first, and a takedown treats the row as maybe live.
    read_back_first = models.BooleanField(default=False)
    last_error_kind = models.CharField(max_length=12, choices=ErrorKind.choices, blank=True)
    last_error_message = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    takedown_requested_at = models.DateTimeField(null=True, blank=True)
    takedown_done_at = models.DateTimeField(null=True, blank=True)
    # When a delete job for the takedown was last queued or last ran: Redis
    # only carries the job, so posts.takedown.requeue_lost_deletes queues it
    # again when this says it was lost.
    takedown_queued_at = models.DateTimeField(null=True, blank=True)
    # When a person was asked to remove the live post by hand (the platform
    # cannot delete it, or deleting kept failing): no job tries it again.
    takedown_by_hand_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Columns of this table only: "post" or "account__platform" would join
        # both tables into every query that does not order (the roll-up at
        # each attempt, the claims). Pages that list publications order them.
        ordering = ["post_id", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "account"], name="publication_unique_target")
        ]
        indexes = [
            # Used by posts.dispatch.claim_due: due publications, and those
            # whose lease has run out, without scanning the settled ones.
            models.Index(
                fields=["next_attempt_at"],
                name="publication_due",
                condition=Q(status__in=["pending", "unknown"]),
            ),
            models.Index(
                fields=["lease_expires_at"],
                name="publication_leased",
                condition=Q(status__in=["queued", "publishing"]),
            ),
            # Used by posts.takedown.requeue_lost_deletes: live posts still to
            # be deleted by a job, a handful among every publication.
            models.Index(
                fields=["takedown_requested_at"],
                name="publication_takedown_open",
                condition=Q(
                    status="published",
                    takedown_requested_at__isnull=False,
                    takedown_done_at__isnull=True,
                    takedown_by_hand_at__isnull=True,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post} → {self.account}"

    @property
    def platform(self) -> str:
        return self.account.platform

    @property
    def platform_label(self) -> str:
        return Platform(self.account.platform).label

    # -- publishing ---------------------------------------------------------
    # A worker owns a publication from its claim (queued -> publishing, which
    # also counts the attempt) until it records an outcome. Every outcome is a
    # conditional UPDATE fenced on (status=publishing, attempts=this attempt):
    # a worker whose lease ran out, and whose publication the dispatcher has
    # since handed to another worker, cannot overwrite the newer attempt.
    #
    # During an attempt, this copy's `read_back_first` says whether the doubt
    # it was claimed with still stands: `read_back_settled` clears it once a
    # read-back found nothing. Outcomes other than published and unknown
    # write it back as it stands, so a doubt no read-back settled is never
    # erased (a later retry, or a takedown, still knows the post may exist).

    @classmethod
    def claim(cls, pk: int, *, now: datetime | None = None) -> Publication | None:
        """Take a queued publication for one attempt; None if someone else has it."""
        now = now or timezone.now()
        lease = now + timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)
        claimed = cls.objects.filter(pk=pk, status=cls.Status.QUEUED).update(
            status=cls.Status.PUBLISHING,
            attempts=models.F("attempts") + 1,
            lease_expires_at=lease,
            updated_at=now,
        )
        if not claimed:
            return None
        return cls.objects.select_related("post", "post__practice", "account").get(pk=pk)

    def _settle(self, **fields) -> bool:
        fields.setdefault("lease_expires_at", None)
        fields["updated_at"] = timezone.now()
        updated = Publication.objects.filter(
            pk=self.pk, status=self.Status.PUBLISHING, attempts=self.attempts
        ).update(**fields)
        if updated:
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(updated)

    def save_progress(self, state: dict) -> None:
        """Keep what a platform lets us resume (e.g. an Instagram container id)."""
        state = dict(state)
        updated = Publication.objects.filter(
            pk=self.pk, status=self.Status.PUBLISHING, attempts=self.attempts
        ).update(platform_state=state, updated_at=timezone.now())
        if updated:
            self.platform_state = state

    def mark_published(
        self, *, platform_id: str, permalink: str, published_at: datetime | None
    ) -> bool:
        return self._settle(
            status=self.Status.PUBLISHED,
            platform_post_id=platform_id[:300],
            permalink=permalink[:1000],
            published_at=published_at or timezone.now(),
            read_back_first=False,
            next_attempt_at=None,
            last_error_kind="",
            last_error_message="",
        )

    def read_back_settled(self) -> None:
        """This attempt read back and found nothing: no earlier request created
        the post. Recorded with the attempt's outcome."""
        self.read_back_first = False

    def mark_failed(self, *, kind: str, message: str) -> bool:
        """A person has to look. A post that may exist still may (read_back_first
        stays): a retry reads back before it writes."""
        return self._settle(
            status=self.Status.FAILED,
            read_back_first=self.read_back_first,
            next_attempt_at=None,
            last_error_kind=kind,
            last_error_message=message,
        )

    def schedule_retry(self, *, kind: str, message: str, at: datetime) -> bool:
        """This request created nothing: try again at `at` (reading back first
        if an earlier one may have, which no read-back settled)."""
        return self._settle(
            status=self.Status.UNKNOWN if self.read_back_first else self.Status.PENDING,
            read_back_first=self.read_back_first,
            next_attempt_at=at,
            last_error_kind=kind,
            last_error_message=message,
        )

    def mark_unknown(self, *, message: str, at: datetime) -> bool:
        """The post may exist: the next attempt, at `at`, reads back before it writes."""
        return self._settle(
            status=self.Status.UNKNOWN,
            read_back_first=True,
            next_attempt_at=at,
            last_error_kind=self.ErrorKind.AMBIGUOUS,
            last_error_message=message,
        )

    def hold(self, *, kind: str, message: str, at: datetime) -> bool:
        """Not this attempt's fault (account needs reconnecting, quota full): wait.

        The attempt is given back, so waiting never exhausts the retries. The
        dispatcher skips accounts that are not connected, which is what holds
        a publication for a reconnect.
        """
        return self._settle(
            status=self.Status.UNKNOWN if self.read_back_first else self.Status.PENDING,
            read_back_first=self.read_back_first,
            attempts=max(self.attempts - 1, 0),
            next_attempt_at=at,
            last_error_kind=kind,
            last_error_message=message,
        )

    def takedown_was_requested(self) -> bool:
        """Read from the database, not from this copy: a revocation marks the
        row at any moment, also after a worker loaded it at its claim."""
        self.takedown_requested_at = (
            Publication.objects.filter(pk=self.pk)
            .values_list("takedown_requested_at", flat=True)
            .first()
        )
        return self.takedown_requested_at is not None

    def cancel_attempt(self, *, message: str) -> bool:
        """Nothing went out and nothing will (its authorization was revoked).

        A takedown asked of it is done as well, but only when nothing can be
        live: this attempt sent nothing, and a read-back settled any earlier
        request (read_back_first clear). Otherwise the takedown stays open,
        on the dashboard, for a person.
        """
        if not self._settle(
            status=self.Status.CANCELLED,
            read_back_first=self.read_back_first,
            next_attempt_at=None,
            last_error_message=message,
        ):
            return False
        if self.read_back_first:
            return True
        # A separate statement, after the row is cancelled: a revocation that
        # marked it after our last read is closed too (none can mark it now).
        now = timezone.now()
        closed = Publication.objects.filter(
            pk=self.pk,
            status=self.Status.CANCELLED,
            read_back_first=False,
            takedown_requested_at__isnull=False,
            takedown_done_at__isnull=True,
        ).update(takedown_done_at=now, updated_at=now)
        if closed:
            self.takedown_done_at = now
        return True

    def retry_now(self) -> bool:
        """A person asks to try a failed publication again, from a fresh count.

        One that failed while it may be live (read_back_first) comes back
        unknown, and keeps that flag: its next attempt reads back before it
        writes, whatever the attempt count. Decided in the UPDATE itself, from
        the row, not from this copy.
        """
        now = timezone.now()
        updated = Publication.objects.filter(pk=self.pk, status=self.Status.FAILED).update(
            status=models.Case(
                models.When(read_back_first=True, then=models.Value(self.Status.UNKNOWN)),
                default=models.Value(self.Status.PENDING),
            ),
            attempts=0,
            next_attempt_at=now,
            last_error_kind="",
            last_error_message="",
            updated_at=now,
        )
        if updated:
            self.refresh_from_db(
                fields=[
                    "status",
                    "read_back_first",
                    "attempts",
                    "next_attempt_at",
                    "last_error_kind",
                    "last_error_message",
                    "updated_at",
                ]
            )
        return bool(updated)

    # A person's "cancel on this platform": what surely did not go out.
    CANCELLABLE = frozenset({Status.PENDING, Status.FAILED})

    def can_cancel(self) -> bool:
        """For the post page's button; `cancel` decides, from the row."""
        return (
            self.status in self.CANCELLABLE
            and not self.read_back_first
            and self.post.status in Post.SETTLING
        )

    def cancel(self, *, message: str) -> bool:
        """Stop a publication that surely did not go out; False if it may have.

        Pending (waiting its turn, or held for an account to be reconnected)
        or failed, and never a request that may have reached the platform
        (read_back_first): only a read-back settles that. Queued, publishing
        and unknown ones belong to the dispatcher and its workers. One
        conditional UPDATE decides, from the row, so the dispatcher claiming
        it at this moment wins or loses cleanly. An open takedown is closed:
        nothing of it is live.

        The caller holds the post's row lock (publishing.cancel_publication),
        the order the dispatcher relies on.
        """
        now = timezone.now()
        updated = Publication.objects.filter(
            pk=self.pk, status__in=self.CANCELLABLE, read_back_first=False
        ).update(
            status=self.Status.CANCELLED,
            next_attempt_at=None,
            lease_expires_at=None,
            last_error_kind="",
            last_error_message=message,
            takedown_done_at=models.Case(
                models.When(
                    takedown_requested_at__isnull=False,
                    takedown_done_at__isnull=True,
                    then=models.Value(now),
                ),
                default=models.F("takedown_done_at"),
            ),
            updated_at=now,
        )
        self.refresh_from_db(
            fields=["status", "read_back_first", "last_error_kind", "last_error_message"]
        )
        return bool(updated)

    def mark_deleted(self) -> bool:
        """The live post was taken down (consent revoked)."""
        now = timezone.now()
        updated = Publication.objects.filter(pk=self.pk, status=self.Status.PUBLISHED).update(
            status=self.Status.DELETED, takedown_done_at=now, updated_at=now
        )
        if updated:
            self.status = self.Status.DELETED
            self.takedown_done_at = now
        return bool(updated)


class MetricSnapshot(models.Model):
    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="metric_snapshots"
    )
    fetched_at = models.DateTimeField(default=timezone.now, db_index=True)
    reach = models.PositiveIntegerField(null=True, blank=True)
    impressions = models.PositiveIntegerField(null=True, blank=True)
    likes = models.PositiveIntegerField(null=True, blank=True)
    comments = models.PositiveIntegerField(null=True, blank=True)
    shares = models.PositiveIntegerField(null=True, blank=True)
    saves = models.PositiveIntegerField(null=True, blank=True)
    clicks = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-fetched_at"]
        get_latest_by = "fetched_at"

    def __str__(self) -> str:
        return f"{self.publication} at {self.fetched_at:%Y-%m-%d %H:%M}"
