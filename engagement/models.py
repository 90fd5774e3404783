"""The conversation kept for each practice: comments, mentions and reviews, and our replies.

What the platforms report is copied here by the sync (engagement.sync): an
item per comment, mention or review, updated when it is edited there and
marked deleted (never shown as if it still stood) when it is gone. The
inbox is these rows; a reply is ours, checked by the reply rules, approved
where the practice asks for it, and sent once by the reply engine
(engagement.sending).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from posts.models import Publication
from practices.models import PatientConsent, Practice, SocialAccount


class InboxItem(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        MENTION = "mention", "Mention"
        REVIEW = "review", "Review"

    class State(models.TextChoices):
        NEW = "new", "New"
        NEEDS_REPLY = "needs_reply", "Needs a reply"
        REPLIED = "replied", "Replied"
        DONE = "done", "Done (no reply needed)"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="inbox_items")
    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    external_id = models.CharField(max_length=300)
    # The post it belongs to: ours (a comment's) when we published it, and the
    # platform's id either way; the comment it answers, in a thread.
    publication = models.ForeignKey(
        Publication, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    post_external_id = models.CharField(max_length=300, blank=True)
    parent_external_id = models.CharField(max_length=300, blank=True)
    author_name = models.CharField(max_length=300, blank=True)
    author_id = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)  # a review's stars
    permalink = models.URLField(max_length=1000, blank=True)
    posted_at = models.DateTimeField()  # when it was written, by the platform's clock
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    state = models.CharField(max_length=12, choices=State.choices, default=State.NEW)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A bad review or a comment the rules call a complaint: its strategist is
    # told at once.
    complaint = models.BooleanField(default=False)
    # The first reply that went out (the response time is from posted_at).
    first_response_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-posted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "external_id"], name="inbox_item_once"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="inbox_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["practice", "state", "-posted_at"], name="inbox_practice_state"),
            models.Index(fields=["practice", "-posted_at"], name="inbox_practice_newest"),
            models.Index(fields=["account", "post_external_id"], name="inbox_account_post"),
            # The open items in the order the inbox shows them (engagement.views._inbox:
            # bad reviews and complaints first, then the newest). A page of 25 across a
            # strategist's practices reads about 25 / (their share of the open items)
            # entries, instead of joining and sorting every open item of their practices.
            # With deleted_at, a count of the open items and of their complaints can read
            # the index alone.
            models.Index(
                fields=["-complaint", "-posted_at", "-id"],
                condition=Q(state__in=["new", "needs_reply"]),
                include=["practice", "deleted_at"],
                name="inbox_open_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id} on {self.account}"

    @property
    def platform(self) -> str:
        return self.account.platform

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def bad_review(self) -> bool:
        return self.kind == self.Kind.REVIEW and self.rating is not None and self.rating <= 2


class SyncCursor(models.Model):
    """Where the next fetch of one kind on one account starts."""

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=InboxItem.Kind.choices)
    cursor = models.CharField(max_length=500, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind"], name="sync_cursor_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.account}"


class Reply(models.Model):
    """Our answer to one item: written, checked, approved where asked, sent once."""

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", "Waiting for the doctor"
        QUEUED = "queued", "Going out"
        SENDING = "sending", "Going out"
        UNKNOWN = "unknown", "Checking whether it went out"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not sent"
        DELETED = "deleted", "Deleted"
        CANCELLED = "cancelled", "Cancelled"

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="replies")
    text = models.TextField(max_length=5000)
    content_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the rules found when it was written, and the lead's reason to send
    # it all the same (audited).
    findings = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The doctor's approval binds this exact text (content_hash).
    approved_hash = models.CharField(max_length=64, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # Sending: claimed with a lease, read back first after an unclear answer.
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    read_back_first = models.BooleanField(default=False)
    retry_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    platform_reply_id = models.CharField(max_length=300, blank=True)
    permalink = models.URLField(max_length=1000, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["queued", "unknown"]),
                name="reply_due",
            )
        ]

    def __str__(self) -> str:
        return f"Reply {self.pk} to {self.item}"

    @staticmethod
    def hash_of(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def approved_as_is(self) -> bool:
        return bool(self.approved_hash) and self.approved_hash == self.hash_of(self.text)

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.SENT

    def due(self) -> bool:
        return self.next_attempt_at is None or self.next_attempt_at <= timezone.now()


class SavedReply(models.Model):
    """A practice's ready answer, checked by the rules like any reply."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(max_length=100)
    text = models.TextField(max_length=2000)
    for_reviews = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-for_reviews", "title"]

    def __str__(self) -> str:
        return self.title


class ShareRequest(models.Model):
    """Asking the person behind a mention for their HIPAA authorization to repost it.

    Reposting a patient's own post confirms they are a patient: it needs their
    authorization like any patient content (compliance rules, 5a). The link
    e-mailed to them (engagement.sharing) opens the e-signed authorization;
    only once it is signed can a post use their content, and the registry
    and the publish gate then treat it as any other authorization.
    """

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="share_requests")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    consent = models.ForeignKey(
        PatientConsent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Share request {self.pk} for {self.item}"

    @property
    def signed(self) -> bool:
        return self.consent_id is not None
