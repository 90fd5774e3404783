"""Posts, their photos in order, and the approvals given to exact versions of them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.models import User
from posts.models.errors import IllegalTransition
from posts.models.media import MediaAsset
from posts.models.tips import Tip, TipPhoto
from practices.models import PatientConsent, Practice, SocialAccount

# What the post list's search reads: the title and caption as words, each as
# written ("simple": no language's stemming, which would not fit names, drugs
# and hashtags).
SEARCHED = SearchVector("title", "caption", config="simple")


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AGENCY_REVIEW = "agency_review", "Agency review"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHING = "publishing", "Publishing"
        PUBLISHED = "published", "Published"
        PARTIALLY_FAILED = "partially_failed", "Partially failed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        # Not approved by its scheduled time: it was not published.
        APPROVAL_EXPIRED = "approval_expired", "Approval expired"

    PRE_PUBLISH = frozenset(
        {
            Status.DRAFT,
            Status.AGENCY_REVIEW,
            Status.IN_REVIEW,
            Status.APPROVAL_EXPIRED,
            Status.CHANGES_REQUESTED,
            Status.APPROVED,
            Status.SCHEDULED,
        }
    )
    # What a practice's doctors see of a post: from the moment it is sent to
    # them for review, through the decision, to its going out. A draft is the
    # agency's working space, also when it went back to draft after a doctor
    # asked for changes (the doctors see it again when it is sent back). A
    # cancelled post is shown if it was cancelled from one of these (they had
    # seen it); one cancelled while still a draft never reached them. Read
    # through `shown_to_doctors`, which posts.access uses for every doctor.
    SHOWN_TO_DOCTORS = frozenset(
        {
            Status.IN_REVIEW,
            Status.CHANGES_REQUESTED,
            Status.APPROVED,
            Status.SCHEDULED,
            Status.PUBLISHING,
            Status.PUBLISHED,
            Status.PARTIALLY_FAILED,
            Status.FAILED,
        }
    )
    # Gone out, or going out, on at least one platform and not settled as
    # published: where a single publication may be cancelled (before that,
    # the post's targets change, or the whole post is cancelled).
    SETTLING = frozenset({Status.PUBLISHING, Status.PARTIALLY_FAILED, Status.FAILED})
    # Waiting for a decision (the agency's internal review, or the doctor's):
    # not approved by the scheduled time, it expires (posts.approval.decisions).
    AWAITING_DECISION = frozenset({Status.AGENCY_REVIEW, Status.IN_REVIEW})
    # action -> (statuses it may start from, status it leads to). Every status
    # change goes through `_move`, so an illegal one is refused in one place.
    TRANSITIONS = {
        "submit_for_review": ({Status.DRAFT}, Status.IN_REVIEW),
        # The practice asked for an agency review before its doctors see a post.
        "submit_for_agency_review": ({Status.DRAFT}, Status.AGENCY_REVIEW),
        "pass_agency_review": ({Status.AGENCY_REVIEW}, Status.IN_REVIEW),
        "approve": ({Status.IN_REVIEW}, Status.APPROVED),
        # When the practice's policy needs no doctor for this post.
        "mark_ready": ({Status.DRAFT}, Status.APPROVED),
        "request_changes": ({Status.IN_REVIEW, Status.AGENCY_REVIEW}, Status.CHANGES_REQUESTED),
        # A doctor withdraws an approval before the post goes out ("hold").
        "hold": ({Status.APPROVED, Status.SCHEDULED}, Status.IN_REVIEW),
        "expire_approval": (set(AWAITING_DECISION), Status.APPROVAL_EXPIRED),
        "reopen": (
            {
                Status.CHANGES_REQUESTED,
                Status.AGENCY_REVIEW,
                Status.IN_REVIEW,
                Status.APPROVED,
                Status.SCHEDULED,
                Status.APPROVAL_EXPIRED,
            },
            Status.DRAFT,
        ),
        "schedule": ({Status.APPROVED}, Status.SCHEDULED),
        "unschedule": ({Status.SCHEDULED}, Status.APPROVED),
        "start_publishing": ({Status.SCHEDULED}, Status.PUBLISHING),
        "finish_published": ({Status.PUBLISHING, Status.PARTIALLY_FAILED}, Status.PUBLISHED),
        "finish_partially_failed": ({Status.PUBLISHING}, Status.PARTIALLY_FAILED),
        "finish_failed": ({Status.PUBLISHING, Status.PARTIALLY_FAILED}, Status.FAILED),
        # Refused at the publisher because it changed after its approval (a photo
        # swapped or re-cropped in the library, say), with nothing sent: back
        # to draft, to be sent for approval again.
        "return_for_approval": ({Status.PUBLISHING}, Status.DRAFT),
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
    # Which photos go to a platform when not all of them: {platform: [asset id, ...]},
    # in the post's order (Google takes one photo, X four).
    photo_choices = models.JSONField(default=dict, blank=True)
    identifier_review_note = models.TextField(
        blank=True, help_text="Why flagged identifiers in the text are acceptable."
    )
    # The identifier findings that note covers (posts.rules.compliance.Finding.key):
    # a new one blocks again.
    identifier_review_findings = models.JSONField(default=list, blank=True)
    # Bumped by every save in the editor: a save made from an older copy is
    # refused instead of overwriting someone else's (posts.media.editing).
    version = models.PositiveIntegerField(default=1)
    cancel_reason = models.CharField(max_length=500, blank=True)
    # The status a cancelled post was cancelled from (see SHOWN_TO_DOCTORS);
    # empty for every other post.
    cancelled_from = models.CharField(max_length=20, choices=Status.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-created_at"]
        indexes = [
            models.Index(fields=["practice", "status"], name="post_practice_status"),
            models.Index(fields=["scheduled_at"], name="post_scheduled_at"),
            # The post list's order (posts.planning.filters.for_list): its first
            # page is read in order and stops at 50, not sorted from every
            # post the person may see.
            models.Index(
                F("scheduled_at").desc(nulls_last=True),
                F("created_at").desc(),
                F("id").desc(),
                name="post_list_order",
            ),
            # The post list's search (posts.planning.filters.searched): the posts
            # holding every word, found by the words, not by reading every caption.
            GinIndex(SEARCHED, name="post_search"),
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
        # the order posts.publishing.dispatch.claim_due relies on to never deadlock.
        changes: dict[str, str] = {"status": target}
        if target == self.Status.CANCELLED:
            changes["cancelled_from"] = self.status
        moved = Post.objects.filter(pk=self.pk, status=self.status).update(
            **changes, updated_at=timezone.now()
        )
        if not moved:
            current = Post.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            raise IllegalTransition(
                f"the post changed meanwhile (it is now {current}); reload and try again"
            )
        self.cancelled_from = changes.get("cancelled_from", self.cancelled_from)
        self.status = target

    def can(self, action: str) -> bool:
        return self.status in self.TRANSITIONS[action][0]

    @classmethod
    def shown_to_doctors(cls) -> Q:
        """The posts a practice's doctors see (SHOWN_TO_DOCTORS), as a filter."""
        return Q(status__in=cls.SHOWN_TO_DOCTORS) | Q(
            status=cls.Status.CANCELLED, cancelled_from__in=cls.SHOWN_TO_DOCTORS
        )

    def is_shown_to_doctors(self) -> bool:
        """The same rule for this post."""
        if self.status == self.Status.CANCELLED:
            return self.cancelled_from in self.SHOWN_TO_DOCTORS
        return self.status in self.SHOWN_TO_DOCTORS

    def needs_doctor_approval(self) -> bool:
        policy = self.practice.approval_policy
        if policy == Practice.ApprovalPolicy.ALWAYS:
            return True
        if policy == Practice.ApprovalPolicy.PATIENT_CONTENT:
            return self.features_patient
        return False

    def submit_for_review(self) -> None:
        self._move("submit_for_review")

    def mark_ready(self, *, by: User) -> Approval:
        """Approve without a doctor, where the practice's policy allows it."""
        if self.needs_doctor_approval():
            raise IllegalTransition("this practice's policy needs a doctor to approve this post")
        self._require_consents(action="approve", at=timezone.now())
        with transaction.atomic():
            self._move("mark_ready")
            return self._decide(
                Approval.Decision.APPROVED,
                by=by,
                via=Approval.Via.LOGIN,
                comment="Approved by the agency under the practice's approval policy.",
                ip_address=None,
                user_agent="",
                link=None,
                reviewer_label="",
            )

    def approve(
        self,
        *,
        by: User | None,
        via: str,
        comment: str = "",
        ip_address: str | None = None,
        user_agent: str = "",
        link: ApprovalLink | None = None,
        reviewer_label: str = "",
    ) -> Approval:
        self._require_consents(action="approve", at=timezone.now())
        with transaction.atomic():
            self._move("approve")
            return self._decide(
                Approval.Decision.APPROVED,
                by=by,
                via=via,
                comment=comment,
                ip_address=ip_address,
                user_agent=user_agent,
                link=link,
                reviewer_label=reviewer_label,
            )

    def request_changes(
        self,
        *,
        by: User | None,
        via: str,
        comment: str,
        ip_address: str | None = None,
        user_agent: str = "",
        link: ApprovalLink | None = None,
        reviewer_label: str = "",
    ) -> Approval:
        if not comment.strip():
            raise IllegalTransition("asking for changes needs a comment saying what to change")
        with transaction.atomic():
            self._move("request_changes")
            return self._decide(
                Approval.Decision.CHANGES_REQUESTED,
                by=by,
                via=via,
                comment=comment.strip(),
                ip_address=ip_address,
                user_agent=user_agent,
                link=link,
                reviewer_label=reviewer_label,
            )

    def _decide(
        self,
        decision: str,
        *,
        by: User | None,
        via: str,
        comment: str,
        ip_address: str | None,
        user_agent: str,
        link: ApprovalLink | None,
        reviewer_label: str,
    ) -> Approval:
        attachments = self.attachments()
        return Approval.objects.create(
            post=self,
            reviewer=by,
            reviewer_label=reviewer_label,
            decision=decision,
            comment=comment,
            content_hash=self.content_hash(attachments=attachments),
            snapshot=self.snapshot(attachments),
            via=via,
            link=link,
            ip_address=ip_address,
            user_agent=user_agent[:300],
        )

    def submit_for_agency_review(self) -> None:
        self._move("submit_for_agency_review")

    def pass_agency_review(self) -> None:
        self._move("pass_agency_review")

    def hold(self) -> None:
        """A doctor withdraws the approval before the post goes out: back to review.

        The same lock as every move (see _move): once the dispatcher has taken
        the post to publishing, the hold is refused as "changed meanwhile".
        """
        from posts.models.publications import Publication  # it builds on Post

        with transaction.atomic():
            self._move("hold")
            self.approvals.filter(voided_at__isnull=True).update(voided_at=timezone.now())
            self.publications.filter(status=Publication.Status.PENDING).delete()

    def expire_approval(self) -> None:
        """Its time came without an approval: it will not be published."""
        self._move("expire_approval")

    def reopen(self) -> None:
        """Back to draft for editing; any approval given is void from now on."""
        from posts.models.publications import Publication  # it builds on Post

        with transaction.atomic():
            self._move("reopen")
            self.approvals.filter(voided_at__isnull=True).update(voided_at=timezone.now())
            self.publications.filter(status=Publication.Status.PENDING).delete()

    def schedule(self, *, at: datetime) -> None:
        from posts.models.publications import Publication  # it builds on Post

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
        from posts.models.publications import Publication  # it builds on Post

        with transaction.atomic():
            self._move("unschedule")
            self.publications.filter(status=Publication.Status.PENDING).delete()

    def cancel(self, *, reason: str = "") -> None:
        from posts.models.publications import Publication  # it builds on Post

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
        from posts.models.publications import Publication  # it builds on Post

        settled = {
            Publication.Status.PUBLISHED,
            Publication.Status.FAILED,
            Publication.Status.CANCELLED,
            Publication.Status.DELETED,
        }
        # A first look without the lock (one query, no transaction): while
        # another publication of the post is still on its way there is nothing
        # to settle, and whoever settles that one rolls up after its own
        # commit, seeing ours (committed before this read). Only a roll-up that
        # may be the last takes the lock and reads again.
        if self.publications.exclude(status__in=settled).exists():
            return

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
            rows = list(
                self.publications.order_by().values_list(
                    "status", "last_error_kind", "read_back_first"
                )
            )
            statuses = [status for status, _, _ in rows]
            if not statuses or any(s not in settled for s in statuses):
                return
            refused = [
                kind == Publication.ErrorKind.APPROVAL and not maybe_live
                for status, kind, maybe_live in rows
                if status != Publication.Status.CANCELLED
            ]
            if refused and all(refused) and self.can("return_for_approval"):
                self._return_for_approval()
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

    def _return_for_approval(self) -> None:
        """Every publication was refused because the post changed after its approval,
        and none may have gone out: the post goes back to draft with the reason on
        its thread, its approval void and the refused publications gone (scheduling
        it again makes them anew). Under roll_up's lock."""
        from posts.models.publications import Publication  # it builds on Post

        self._move("return_for_approval")
        self.approvals.filter(voided_at__isnull=True).update(voided_at=timezone.now())
        self.publications.filter(
            status=Publication.Status.FAILED, last_error_kind=Publication.ErrorKind.APPROVAL
        ).delete()
        PostComment.objects.create(
            post=self,
            author_label="Rounds",
            body="Not published: the post was changed after it was approved (its text, a "
            "photo, its crop or description, or its platforms). It is back in draft: "
            "check it and send it for approval again.",
        )

    # -- patient authorizations ----------------------------------------------

    def relied_consents(self) -> models.QuerySet[PatientConsent]:
        """The authorizations this post relies on: those attached to it, plus
        its tip's when it was drafted from a tip that has one.

        `relying_on` is the same rule read the other way (a revocation uses
        it, and `relying_on_any` the signed photo URLs), `relied_consents_of`
        the same for many posts (the approval page): change them together.
        """
        attached = Post.consents.through.objects.filter(post_id=self.pk).values("patientconsent_id")
        rule = Q(pk__in=attached)
        if self.tip_id:
            rule |= Q(pk__in=Tip.objects.filter(pk=self.tip_id).values("consent_id"))
        return PatientConsent.objects.filter(rule)

    @staticmethod
    def consents_of(post_ids: list[int]) -> dict[int, list[PatientConsent]]:
        """The authorizations attached to each of these posts, in the model's order
        (patient, then the newest signed), in one query."""
        attached: dict[int, list[PatientConsent]] = {pk: [] for pk in post_ids}
        for link in (
            Post.consents.through.objects.filter(post_id__in=post_ids)
            .select_related("patientconsent")
            .order_by("patientconsent__patient_label", "-patientconsent__signed_at")
        ):
            attached[link.post_id].append(link.patientconsent)
        return attached

    @staticmethod
    def relied_consents_of(
        posts: list[Post], attached: dict[int, list[PatientConsent]] | None = None
    ) -> dict[int, list[PatientConsent]]:
        """relied_consents() of each of these posts (the same rule), each in the model's
        order. `attached`: consents_of these posts, when the caller has read them."""
        if attached is None:
            attached = Post.consents_of([post.pk for post in posts])
        relied = {
            pk: {consent.pk: consent for consent in consents} for pk, consents in attached.items()
        }
        by_tip: dict[int, list[int]] = {}
        for post in posts:
            if post.tip_id:
                by_tip.setdefault(post.tip_id, []).append(post.pk)
        for tip in Tip.objects.filter(pk__in=by_tip, consent__isnull=False).select_related(
            "consent"
        ):
            for pk in by_tip[tip.pk]:
                assert tip.consent is not None  # filtered above
                relied[pk][tip.consent.pk] = tip.consent
        return {
            pk: sorted(
                consents.values(),
                key=lambda consent: (consent.patient_label, -consent.signed_at.timestamp()),
            )
            for pk, consents in relied.items()
        }

    @classmethod
    def relying_on(cls, consent: PatientConsent) -> models.QuerySet[Post]:
        """Posts that rely on an authorization (see relied_consents).

        Ids through subqueries, not joins: no duplicate rows, hence no
        DISTINCT, so the result can be locked with select_for_update.
        """
        return cls.relying_on_any(PatientConsent.objects.filter(pk=consent.pk))

    @classmethod
    def relying_on_any(cls, consents: models.QuerySet[PatientConsent]) -> models.QuerySet[Post]:
        """Posts that rely on any of these authorizations (the rule of relying_on)."""
        ids = consents.values("pk")
        attached = Post.consents.through.objects.filter(patientconsent_id__in=ids).values("post_id")
        tips = Tip.objects.filter(consent_id__in=ids).values("pk")
        return cls.objects.filter(Q(pk__in=attached) | Q(tip_id__in=tips))

    def consent_problems(
        self,
        platforms: Iterable[str],
        *,
        at: datetime,
        consents: list[PatientConsent] | None = None,
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

    def photo_consent_problems(
        self,
        platforms: Iterable[str],
        *,
        at: datetime,
        consents: list[PatientConsent] | None = None,
        attachments: list[PostMedia] | None = None,
    ) -> list[str]:
        """Why the photos' own authorizations do not cover this post; [] if they do.

        A photo sent in with a tip that has a patient's authorization relies
        on it in whatever post it is used: the post must rely on that
        authorization too, and it must cover the photo on these platforms at
        `at`. Attachments from `attachments()` say whether any photo came
        with one, so a post without such a photo costs no extra query.
        """
        if attachments is None:
            attachments = self.attachments()
        with_consent = [a for a in attachments if getattr(a, "came_with_consent", True)]
        if not with_consent:
            return []
        if consents is None:
            consents = list(self.relied_consents())
        relied = {consent.pk for consent in consents}
        position = {attachment.asset_id: attachment.position for attachment in attachments}
        rows = (
            TipPhoto.objects.filter(
                asset_id__in=[a.asset_id for a in with_consent], tip__consent__isnull=False
            )
            .select_related("tip__consent")
            .order_by("pk")
        )
        problems: list[str] = []
        seen: set[tuple[int, int]] = set()
        for row in rows:
            consent = row.tip.consent
            if consent is None or (row.asset_id, consent.pk) in seen:
                continue
            seen.add((row.asset_id, consent.pk))
            found = consent.problems_for(uses={"photo"}, platforms=set(platforms), at=at)
            if consent.pk not in relied:
                found.insert(
                    0,
                    f"it came with the authorization for {consent.patient_label}, which this "
                    "post does not rely on (draft it from that tip, or attach the authorization)",
                )
            problems += [f"photo {position[row.asset_id] + 1}: {problem}" for problem in found]
        return problems

    def _require_consents(self, *, action: str, at: datetime) -> None:
        """Approving, approving under the policy and scheduling all keep the whole
        rule: the post's own uses and its photos' authorizations."""
        platforms = set(self.targets.values_list("platform", flat=True))
        consents = list(self.relied_consents())
        problems = self.consent_problems(platforms, at=at, consents=consents)
        problems += self.photo_consent_problems(platforms, at=at, consents=consents)
        if problems:
            raise IllegalTransition(f"cannot {action} this post: " + "; ".join(problems))

    # -- content ------------------------------------------------------------

    def caption_for(self, platform: str) -> str:
        return self.overrides.get(platform) or self.caption

    def attachments(self) -> list[PostMedia]:
        """The post's photos in order, each with its asset (one query).

        Each is marked `came_with_consent` when its photo was sent in with a
        tip that has a patient's authorization (posts.rules.compliance reads those).
        """
        return Post.attachments_of([self.pk])[self.pk]

    @staticmethod
    def attachments_of(post_ids: list[int]) -> dict[int, list[PostMedia]]:
        """attachments() of each of these posts, in one query."""
        came_with_consent = TipPhoto.objects.filter(
            asset_id=models.OuterRef("asset_id"), tip__consent__isnull=False
        )
        found: dict[int, list[PostMedia]] = {pk: [] for pk in post_ids}
        for attachment in (
            PostMedia.objects.filter(post_id__in=post_ids)
            .select_related("asset")
            .annotate(came_with_consent=models.Exists(came_with_consent))
            .order_by("post_id", "position")
        ):
            found[attachment.post_id].append(attachment)
        return found

    def photos_for(self, platform: str, attachments: list[PostMedia]) -> list[PostMedia]:
        """The photos that go to this platform: all, or those chosen for it."""
        chosen = self.photo_choices.get(platform)
        if chosen is None:
            return attachments
        wanted = set(chosen)
        return [attachment for attachment in attachments if attachment.asset_id in wanted]

    def content_hash(
        self,
        *,
        consents: list[PatientConsent] | None = None,
        attachments: list[PostMedia] | None = None,
        accounts: list[SocialAccount] | None = None,
    ) -> str:
        """A fingerprint of exactly what would be published.

        `consents`, `attachments` and `accounts`: the relied authorizations, the
        photos and the target accounts when the caller has just read them (the
        publisher, once per attempt, for all its checks and the upload; the
        approval page, for all its posts at once), saving a query each.

        An approval stores it; any change to a caption, a photo, its crop or
        alt text, the targets, or what it uses of a patient and under which
        authorizations makes a different hash and voids the approval.
        """
        if attachments is None:
            attachments = self.attachments()
        media = [
            [pm.asset.sha256, pm.asset.focal_x, pm.asset.focal_y, pm.asset.alt_text]
            # A video's cover is shown before it plays (and is what Google
            # gets): a new cover is a new version. Only for videos, so that
            # every photo's approval stays valid.
            + ([pm.asset.poster_id] if pm.asset.is_video else [])
            for pm in attachments
        ]
        if accounts is None:
            # One query for both (this runs again at every publishing attempt).
            target_rows = list(self.targets.values_list("pk", "platform"))
        else:
            target_rows = [(account.pk, account.platform) for account in accounts]
        targets = sorted(pk for pk, _ in target_rows)
        platforms = sorted({platform for _, platform in target_rows})
        content = {
            "captions": {p: self.caption_for(p) for p in platforms} or {"*": self.caption},
            "media": media,
            "targets": targets,
            "testimonial": self.is_testimonial,
        }
        if self.photo_choices:
            # Only when some platform takes fewer photos, so that the
            # approvals given before photo choices existed stay valid.
            content["photo_choices"] = {
                platform: sorted(ids)
                for platform, ids in self.photo_choices.items()
                if platform in platforms
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

    def snapshot(self, attachments: list[PostMedia] | None = None) -> dict[str, object]:
        """What a reviewer saw, kept with the decision: the texts per platform and
        the photos, so that a later version can be shown as what changed since."""
        if attachments is None:
            attachments = self.attachments()
        platforms = sorted(set(self.targets.values_list("platform", flat=True)))
        return {
            "caption": self.caption,
            "captions": {platform: self.caption_for(platform) for platform in platforms},
            "photos": [attachment.asset_id for attachment in attachments],
        }

    def current_approval(self) -> Approval | None:
        return (
            self.approvals.filter(decision=Approval.Decision.APPROVED, voided_at__isnull=True)
            .order_by("-created_at")
            .first()
        )

    def approval_is_current(
        self,
        *,
        consents: list[PatientConsent] | None = None,
        attachments: list[PostMedia] | None = None,
    ) -> bool:
        approval = self.current_approval()
        return self.approved_as_is(
            approval.content_hash if approval is not None else None,
            consents=consents,
            attachments=attachments,
        )

    def approved_as_is(
        self,
        approved_hash: str | None,
        *,
        consents: list[PatientConsent] | None = None,
        attachments: list[PostMedia] | None = None,
    ) -> bool:
        """Whether the approval given to `approved_hash` covers the post as it is now."""
        return approved_hash is not None and approved_hash == self.content_hash(
            consents=consents, attachments=attachments
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


class PostComment(models.Model):
    """The conversation on a post between the agency and the practice's doctors."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on {self.post}"


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
    # The texts and photos the reviewer saw (Post.snapshot): the next review
    # shows what changed since.
    snapshot = models.JSONField(default=dict, blank=True)
    via = models.CharField(max_length=10, choices=Via.choices)
    link = models.ForeignKey(
        "ApprovalLink", null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer or self.reviewer_label}"


class ApprovalLink(models.Model):
    """A doctor's e-mailed way to the approval page of one practice, without a password.

    The URL carries the row's id signed with the secret key (posts.approval.decisions
    makes and reads it), so it cannot be forged or guessed; the row says
    whether it still works: not past `expires_at`, not revoked (by the doctor
    leaving the page, signing out, or the agency), and only while its doctor
    is still an active doctor of its practice.
    """

    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_links"
    )
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_because = models.CharField(max_length=100, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Approval link for {self.doctor} at {self.practice}"


class CaptionTemplate(models.Model):
    """A caption to start from (a holiday closure, a flu clinic): for one practice,
    or for every practice of a specialty."""

    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.CASCADE, related_name="caption_templates"
    )
    specialty = models.CharField(
        max_length=30,
        choices=Practice.Specialty.choices,
        blank=True,
        help_text="For every practice of this specialty (when no practice is set).",
    )
    name = models.CharField(max_length=120)
    text = models.TextField(max_length=5000)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(practice__isnull=True) & Q(specialty="")),
                name="caption_template_has_an_owner",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def for_practice(cls, practice: Practice) -> models.QuerySet[CaptionTemplate]:
        return cls.objects.filter(
            Q(practice=practice) | Q(practice__isnull=True, specialty=practice.specialty)
        )
