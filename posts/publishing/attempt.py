"""One publishing attempt, from claim to recorded outcome, and what follows it.

The one way a publication is published: exactly once, whatever fails.

The job (posts.jobs.publish_publication) calls `attempt`. The order matters:

1. claim (queued -> publishing, counting the attempt) or leave it alone;
2. read back first when an earlier request may have gone through: a post
   found there is settled as published and never sent twice;
3. re-check, at this moment, the approval and every patient authorization;
4. respect the platform's quota, counted from our own rows, by waiting;
5. publish, and record exactly one outcome with a fenced conditional update.
"""

from __future__ import annotations

import contextlib
import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.models import AuditEvent, User
from platforms.base import Account, PlatformClient, PublishRequest, PublishResult, RemotePost
from platforms.errors import PlatformError
from posts.media.outgoing import MediaUnavailable, local_copies, media_items
from posts.models import IllegalTransition, MonthTotals, Post, PostMedia, Publication
from posts.publishing import alerts
from posts.rules import compliance
from practices import alerts as account_alerts
from practices.models import PatientConsent, SocialAccount
from practices.platform_clients import account_for, client_for

logger = logging.getLogger(__name__)

Kind = Publication.ErrorKind
ACTOR = "publisher"

# Posting limits we keep to before the platform enforces them (platforms.md):
# Instagram 50 API posts per rolling 24 h per account, X 200 posts per 15 min
# per user. Counted from our own rows, so no API call is spent asking.
QUOTAS: dict[str, tuple[int, timedelta]] = {
    "instagram": (50, timedelta(hours=24)),
    "x": (200, timedelta(minutes=15)),
}
# Clock skew between us and a platform when looking for our own post.
READ_BACK_SLACK = timedelta(minutes=5)


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Full jitter (random between 0 and base * 2^(attempt-1), capped), never
    sooner than the platform's retry-after."""
    base = settings.PUBLISH_RETRY_BASE_SECONDS
    cap = settings.PUBLISH_RETRY_CAP_SECONDS
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    delay = random.uniform(0, ceiling)
    if retry_after:
        delay = max(delay, float(retry_after))
    return delay


def gave_up_for() -> str:
    """How long a publication was tried before a person is told, in words."""
    hours, seconds = divmod(settings.PUBLISH_GIVE_UP_AFTER_SECONDS, 3600)
    if hours and not seconds:
        return f"after trying for {hours} hour{'s' if hours != 1 else ''}"
    return f"after trying for {max(1, settings.PUBLISH_GIVE_UP_AFTER_SECONDS // 60)} minutes"


def gave_up() -> str:
    return f"Gave up {gave_up_for()}."


# -- checks at the moment of publishing ---------------------------------------


def approval_problem(
    post: Post,
    *,
    consents: list[PatientConsent] | None = None,
    attachments: list[PostMedia] | None = None,
    approved_hash: str | None = None,
    approval_read: bool = False,
) -> str:
    """Why the post may not go out as it is, approval-wise; "" if it may.

    `approved_hash` with `approval_read`: the current approval's hash as the
    claim read it (Publication.claim), saving a query per attempt.
    """
    if approval_read:
        current = post.approved_as_is(approved_hash, consents=consents, attachments=attachments)
    else:
        current = post.approval_is_current(consents=consents, attachments=attachments)
    if not current:
        return (
            "Not published: the post was changed after it was approved. Send it for approval again."
        )
    return ""


def quota_opens_at(publication: Publication, *, now: datetime) -> datetime | None:
    """None if the account may post now; else the earliest moment it may.

    Counts our publications on the account that went out within the window,
    plus those being published right now by other workers (they will count
    by the time the platform sees ours). Counting in-flight ones can only
    make us wait a little too long, never post over the limit.
    """
    quota = QUOTAS.get(publication.account.platform)
    if quota is None:
        return None
    limit, window = quota
    rows = list(
        Publication.objects.filter(account_id=publication.account_id)
        .filter(
            Q(
                status__in=[Publication.Status.PUBLISHED, Publication.Status.DELETED],
                published_at__gt=now - window,
            )
            | Q(status=Publication.Status.PUBLISHING)
        )
        .exclude(pk=publication.pk)
        .values_list("status", "published_at")
    )
    # The sent ones matched published_at > now - window: none is None.
    sent = sorted(
        at for status, at in rows if status != Publication.Status.PUBLISHING and at is not None
    )
    in_flight = len(rows) - len(sent)
    over = len(sent) + in_flight - limit + 1  # how many must leave the window first
    if over <= 0:
        return None
    if over <= len(sent):
        return sent[over - 1] + window + timedelta(seconds=1)
    return now + timedelta(seconds=60)  # only in-flight ones: look again shortly


# -- the attempt ----------------------------------------------------------------


def attempt(*, publication_id: int) -> str:
    """Run one attempt; returns the outcome's name (for the job's result and tests)."""
    publication = Publication.claim(publication_id)
    if publication is None:
        return "skipped"  # not queued: another worker has it, or it was cancelled
    outcome, error_kind, read_back = "error", "", False
    try:
        outcome, error_kind, read_back = _run(publication)
    finally:
        # Exactly one audit event per attempt. Ids and classes only, never text.
        verb = {"published": "published", "failed": "publish_failed"}.get(
            outcome, "publish_attempt"
        )
        AuditEvent.record(
            verb,
            actor_label=ACTOR,
            practice=publication.post.practice,
            obj=publication,
            detail={
                "publication": publication.pk,
                "post": publication.post_id,
                "platform": publication.account.platform,
                "attempt": publication.attempts,
                "outcome": outcome,
                "error_kind": error_kind,
                "read_back": read_back,
            },
        )
        _roll_up(publication.post)
    return outcome


def _run(publication: Publication) -> tuple[str, str, bool]:
    post = publication.post
    account = publication.account
    platform = account.platform
    client = client_for(platform)
    remote_account = account_for(account)
    text = post.caption_for(platform)
    read_back = False
    consents = None  # read at the moment of publishing, below
    try:
        if publication.read_back_first:
            read_back = True
            try:
                found = _find_existing(client, remote_account, publication, text)
            except PlatformError as error:
                return _read_back_failed(publication, error), error.kind, read_back
            if found is not None:
                outcome = _published(
                    publication, found.platform_id, found.permalink, found.created_at
                )
                return outcome, "", read_back
            # Nothing there: the doubt is settled, whatever this attempt ends in.
            publication.read_back_settled()

        # The moment of publishing is now, after any read-back (which can take
        # a while): a revocation received meanwhile already counts.
        now = timezone.now()
        # The authorizations, read once here (after any read-back, so that a
        # revocation received meanwhile counts) for both checks and for the
        # outcome; a changed approval is reported first.
        consents = list(post.relied_consents())
        # The photos too, once: what the approval covered is what is uploaded.
        attachments = post.attachments()
        problems = compliance.authorization_problems(
            post, platforms=[platform], at=now, consents=consents, attachments=attachments
        )
        problem = approval_problem(
            post,
            consents=consents,
            attachments=attachments,
            approved_hash=getattr(publication, "approved_hash", None),
            approval_read=hasattr(publication, "approved_hash"),
        )
        kind = Kind.APPROVAL
        if not problem and problems:
            kind = Kind.CONSENT
            problem = "Not published: " + " ".join(problems)
        if problem:
            if publication.takedown_was_requested():
                # A revocation arrived while this was in flight (possibly after
                # our claim, hence the fresh read): nothing went out, nothing to
                # report, the person revoking already knows.
                publication.cancel_attempt(message=problem)
                return "cancelled", kind, read_back
            return _failed(publication, kind, problem), kind, read_back

        opens_at = quota_opens_at(publication, now=now)
        if opens_at is not None:
            publication.hold(
                kind="",
                message=f"Waiting for {account.get_platform_display()}'s posting limit: "
                f"next slot at {opens_at:%Y-%m-%d %H:%M} UTC.",
                at=opens_at,
            )
            return "deferred", "", read_back

        if publication.out_of_time(now):
            # Out of time after an unclear answer that a read-back has now
            # settled (nothing is there): give up without sending again.
            message = publication.last_error_message or "no answer from the platform"
            return (
                _failed(publication, Kind.EXHAUSTED, f"{gave_up()} Last error: {message}"),
                Kind.EXHAUSTED,
                read_back,
            )

        with local_copies() as copies:
            try:
                media = media_items(post, platform, attachments=attachments, copies=copies)
            except MediaUnavailable as error:
                return (
                    _failed(publication, Kind.MEDIA, f"Not published: {error}."),
                    Kind.MEDIA,
                    read_back,
                )

            state = dict(publication.platform_state)
            request = PublishRequest(text=text, media=media, state=state)
            # From here a request may reach the platform. If this worker dies, the
            # lease runs out and the dispatcher brings it back as unknown.
            result: PublishResult = client.publish(
                remote_account, request, on_progress=publication.save_progress
            )
    except PlatformError as error:
        return (
            _platform_error(publication, error, client, remote_account, text, consents),
            error.kind,
            read_back,
        )
    return (
        _published(
            publication,
            result.platform_id,
            result.permalink,
            result.published_at,
            consents=consents,
        ),
        "",
        read_back,
    )


def _find_existing(
    client: PlatformClient, remote_account: Account, publication: Publication, text: str
) -> RemotePost | None:
    """Our post on the platform, if an earlier request created it."""
    if publication.platform_post_id:
        found = client.read_back(remote_account, publication.platform_post_id)
        if found is not None:
            return found
    since = publication.created_at - READ_BACK_SLACK
    found = client.find_recent(remote_account, text, since=since)
    if found is not None and _recorded_elsewhere(publication, found.platform_id):
        return None  # another of our posts with the same text, not this one
    return found


def _recorded_elsewhere(publication: Publication, platform_id: str) -> bool:
    return (
        Publication.objects.filter(account_id=publication.account_id, platform_post_id=platform_id)
        .exclude(pk=publication.pk)
        .exists()
    )


def _read_back_failed(publication: Publication, error: PlatformError) -> str:
    """We could not look: stay unknown (never publish blind) and look again later.

    Giving up fails the publication with the doubt kept (read_back_first): a
    person's "retry now" looks before it writes, and a takedown still counts
    the post as maybe live.
    """
    account = publication.account
    label = account.get_platform_display()
    if error.kind == "reconnect":
        if account.mark_needs_reconnect(f"{label}: {error.message}"):
            account_alerts.account_needs_reconnect(account, post=publication.post)
        publication.hold(
            kind=Kind.RECONNECT, message=f"{label}: {error.message}", at=timezone.now()
        )
        return "held"
    if publication.out_of_time(timezone.now()):
        return _failed(
            publication,
            Kind.EXHAUSTED,
            f"Could not check whether {label} has this post ({error.message}), "
            f"{gave_up_for()}. Look at the account before trying again.",
        )
    delay = retry_delay(publication.attempts, error.retry_after)
    publication.mark_unknown(
        message=f"{label}: could not check yet ({error.message}).",
        at=timezone.now() + timedelta(seconds=delay),
    )
    return "unknown"


def _published(
    publication: Publication,
    platform_id: str,
    permalink: str,
    published_at: datetime | None,
    *,
    consents: list[PatientConsent] | None = None,
) -> str:
    """`consents`: the authorizations this attempt checked, if it got that far
    (a post found by reading back was not checked again)."""
    if not publication.mark_published(
        platform_id=platform_id, permalink=permalink or "", published_at=published_at
    ):
        logger.warning("publication %s: outcome came after the lease ran out", publication.pk)
        return "stale"
    MonthTotals.recount_publications([publication.pk])
    # Consent revoked while this attempt was in flight (the revocation marks
    # the row, not our copy of it): take the post down again at once. Only a
    # post that relies on an authorization can be affected.
    post = publication.post
    relies = post.features_patient or (
        bool(consents) if consents is not None else post.relied_consents().exists()
    )
    if relies and publication.takedown_was_requested():
        from posts.publishing import takedown

        takedown.enqueue_deletes([publication.pk])
    elif post.tip_id is not None:
        alerts.tip_published(publication)
    return "published"


def _failed(publication: Publication, kind: str, message: str) -> str:
    if not publication.mark_failed(kind=kind, message=message):
        return "stale"
    alerts.publication_failed(publication)
    return "failed"


def _platform_error(
    publication: Publication,
    error: PlatformError,
    client: PlatformClient,
    remote_account: Account,
    text: str,
    consents: list[PatientConsent] | None,
) -> str:
    now = timezone.now()
    account: SocialAccount = publication.account
    label = account.get_platform_display()
    message = f"{label}: {error.message}"
    if error.kind in ("transient", "throttled"):
        if publication.out_of_time(now):
            return _failed(publication, Kind.EXHAUSTED, f"{gave_up()} Last error: {message}")
        delay = retry_delay(publication.attempts, error.retry_after)
        if error.kind == "throttled":
            # Not a failed try: the platform asks us to wait. The whole account
            # waits (the dispatcher skips it until then), and the attempt is
            # given back, so a busy hour never spends the retries.
            until = now + timedelta(seconds=float(error.retry_after or delay))
            SocialAccount.objects.filter(pk=account.pk).filter(
                Q(throttled_until__isnull=True) | Q(throttled_until__lt=until)
            ).update(throttled_until=until)
            publication.hold(kind=Kind.THROTTLED, message=message, at=until)
            return "retry"
        publication.schedule_retry(
            kind=error.kind, message=message, at=now + timedelta(seconds=delay)
        )
        return "retry"
    if error.kind == "reconnect":
        if account.mark_needs_reconnect(message):
            account_alerts.account_needs_reconnect(account, post=publication.post)
        publication.hold(kind=Kind.RECONNECT, message=message, at=now)
        return "held"
    if error.kind == "ambiguous":
        delay = retry_delay(1)  # soon: the platform usually shows the post within seconds
        publication.mark_unknown(
            message=f"{label} gave no clear answer ({error.message}); "
            "checking before trying again.",
            at=now + timedelta(seconds=delay),
        )
        return "unknown"
    if error.kind == "duplicate":
        return _settle_duplicate(
            publication, error, client, remote_account, text, message, consents
        )
    # rejected, a setup problem on our side, or anything unclassified: a
    # person has to look.
    kind = {"rejected": Kind.REJECTED, "config": Kind.CONFIG}.get(error.kind, Kind.EXHAUSTED)
    return _failed(publication, kind, message)


def _settle_duplicate(
    publication: Publication,
    error: PlatformError,
    client: PlatformClient,
    remote_account: Account,
    text: str,
    message: str,
    consents: list[PatientConsent] | None,
) -> str:
    """The platform says this post exists: find it (ours from an earlier try) or fail."""
    try:
        found = None
        if error.existing_id:  # LinkedIn names the existing post
            if _recorded_elsewhere(publication, error.existing_id):
                found = None  # one of our other posts, not an earlier try of this one
            else:
                found = client.read_back(remote_account, error.existing_id) or RemotePost(
                    platform_id=error.existing_id, text=text, created_at=None, permalink=""
                )
        else:
            found = _find_existing(client, remote_account, publication, text)
    except PlatformError as lookup_error:
        # Could not look: treat like an ambiguous answer and look again later.
        publication.mark_unknown(
            message=f"{message} (could not check yet: {lookup_error.message})",
            at=timezone.now() + timedelta(seconds=retry_delay(1)),
        )
        return "unknown"
    if found is not None:
        return _published(
            publication, found.platform_id, found.permalink, found.created_at, consents=consents
        )
    return _failed(
        publication,
        Kind.DUPLICATE,
        f"{message} The platform already has a post with exactly this text, and it is not "
        "one we published for this post. Change the text, then try again.",
    )


def _roll_up(post: Post) -> None:
    # roll_up locks the post and reads its status afresh, so another worker
    # settling it at the same moment is waited for, not overwritten. The
    # suppression is a last guard: an outcome is recorded whatever happens to
    # the post's own status.
    with contextlib.suppress(IllegalTransition):
        post.roll_up()


# -- a person's "retry now" -------------------------------------------------------


def retry_publication(*, publication: Publication, by: User) -> bool:
    """Put a failed publication back in line; the next dispatch sends it."""
    with transaction.atomic():
        # The post's row first, then the publication (the order Post.roll_up
        # and everyone else keeps): a worker rolling the post up at this
        # moment either settled it before (and the post is resumed below) or
        # waits, then reads this publication as pending and leaves the post
        # publishing, where the dispatcher finds it.
        post = Post.objects.select_for_update().get(pk=publication.post_id)
        if not publication.retry_now():
            return False
        if post.can("resume_publishing"):
            post._move("resume_publishing")
        AuditEvent.record(
            "publish_retry_requested",
            actor=by,
            practice=post.practice,
            obj=publication,
            detail={"publication": publication.pk, "platform": publication.account.platform},
        )
    return True


# -- a person's "cancel on this platform" ---------------------------------------------


def cancel_publication(*, publication: Publication, by: User) -> bool:
    """Stop one publication that did not go out; the post then settles on the rest.

    The way out for a post held in publishing by an account nobody will
    reconnect, or for a failure nobody will retry. False, with nothing
    changed, if it may have gone out or is going out right now (see
    Publication.cancel). IllegalTransition, in plain words, before the post
    goes out: then its targets change, or the whole post is cancelled.
    """
    with transaction.atomic():
        # The post's row first, then the publication (the order everyone
        # keeps, see posts.publishing.dispatch.claim_due): the dispatcher skips this post
        # meanwhile, and a worker's roll-up waits for it.
        post = Post.objects.select_for_update().get(pk=publication.post_id)
        if post.status in Post.PRE_PUBLISH:
            raise IllegalTransition(
                "it has not started going out; change the post's targets, or cancel the post"
            )
        if post.status not in Post.SETTLING:
            raise IllegalTransition(f"the post is {post.get_status_display().lower()}")
        was = publication.status
        if not publication.cancel(
            message=f"Cancelled: not published on {publication.platform_label}."
        ):
            return False
        AuditEvent.record(
            "publication_cancelled",
            actor=by,
            practice=publication.post.practice,
            obj=publication,
            detail={
                "publication": publication.pk,
                "platform": publication.account.platform,
                "was": was,
            },
        )
        # All cancelled: the post is cancelled; otherwise it settles on what
        # went out and what failed. Its lock is already ours.
        post.roll_up()
    return True
