"""The dispatcher and a person acting on the same post at the same moment.

Each side runs on its own database connection, as the cron process and a web
request do, so the row locks are real.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from posts.models import IllegalTransition, Post, Publication
from posts.publishing import dispatch
from practices.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

Status = Publication.Status


def _due_post() -> Post:
    practice = factories.make_practice()
    doctor = factories.make_member(practice, Membership.Role.DOCTOR)
    targets = [factories.make_account(practice, p) for p in ("facebook", "linkedin", "x")]
    post = factories.make_post(practice, targets=targets)
    post.submit_for_review()
    post.approve(by=doctor, via="login")
    post.schedule(at=timezone.now() - timedelta(seconds=1))
    return post


class Side(threading.Thread):
    """One side of the race, on its own connection; keeps what it returned or raised."""

    def __init__(self, work, *, hold: threading.Event | None = None) -> None:
        super().__init__(daemon=True)
        self.work = work
        # Set when the work is done; the transaction stays open until `hold` is set.
        self.done = threading.Event()
        self.hold = hold
        self.result = None
        self.error: BaseException | None = None
        self.pid: int | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        try:
            connection.ensure_connection()
            self.pid = connection.connection.info.backend_pid
            self.ready.set()
            with transaction.atomic():
                self.result = self.work()
                self.done.set()
                if self.hold is not None:
                    self.hold.wait(10)
        except BaseException as error:
            self.error = error
        finally:
            self.ready.set()
            self.done.set()
            connections.close_all()


def _waits_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def _until_blocked_or_done(side: Side, seconds: float = 5) -> None:
    side.ready.wait(seconds)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if side.done.is_set() or _waits_for_a_lock(side.pid):
            return
        time.sleep(0.01)
    raise AssertionError("the other side neither finished nor waited for a lock")


PERSON_ACTIONS = {
    "cancel": lambda post: post.cancel(reason="The event was moved."),
    "reopen": lambda post: post.reopen(),
    "unschedule": lambda post: post.unschedule(),
}
AFTER = {
    "cancel": (Post.Status.CANCELLED, {Status.CANCELLED}),
    "reopen": (Post.Status.DRAFT, set()),
    "unschedule": (Post.Status.APPROVED, set()),
}


@pytest.mark.parametrize("action", PERSON_ACTIONS)
def test_dispatcher_skips_a_post_a_person_is_changing_and_neither_fails(redis_db, action):
    post = _due_post()
    dispatcher = Side(dispatch.claim_due)
    with transaction.atomic():
        # The person's transaction locks the post first (the conditional
        # UPDATE that starts every workflow move), then its publications.
        # Here the moment between the two is stretched: the dispatcher runs
        # in it.
        person_post = Post.objects.select_for_update().get(pk=post.pk)
        dispatcher.start()
        _until_blocked_or_done(dispatcher)
        PERSON_ACTIONS[action](person_post)
    dispatcher.join(10)

    assert dispatcher.error is None, dispatcher.error
    assert dispatcher.result == []
    post.refresh_from_db()
    status, publications = AFTER[action]
    assert post.status == status
    assert set(post.publications.values_list("status", flat=True)) == publications
    # The next run finds nothing either: the person's change stands.
    assert dispatch.claim_due() == []


def test_a_person_arriving_while_the_dispatcher_claims_is_told_it_started(redis_db):
    post = _due_post()
    release = threading.Event()
    dispatcher = Side(dispatch.claim_due, hold=release)
    dispatcher.start()
    dispatcher.done.wait(10)
    person = Side(lambda: Post.objects.get(pk=post.pk).reopen())
    person.start()
    _until_blocked_or_done(person)
    release.set()
    dispatcher.join(10)
    person.join(10)

    assert dispatcher.error is None, dispatcher.error
    assert sorted(dispatcher.result) == sorted(post.publications.values_list("pk", flat=True))
    # A refusal in plain words for the page, not a database error.
    assert isinstance(person.error, IllegalTransition), person.error
    assert "publishing" in str(person.error)
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHING
    assert set(post.publications.values_list("status", flat=True)) == {Status.QUEUED}


@pytest.mark.parametrize("first", ["retry", "roll_up"])
def test_a_retry_and_a_workers_roll_up_at_once_leave_the_retry_to_be_sent(redis_db, first):
    # A worker has just settled the post's last publication and rolls the post
    # up while a person presses "Retry now" on another, failed one. Whichever
    # commits first, the retried publication is sent: the post must not end
    # settled (partially failed) with a pending publication that no dispatch
    # takes and no button offers to retry.
    from posts.publishing import attempt as publishing

    post = _due_post()
    Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHING)
    failed, *others = post.publications.order_by("pk")
    Publication.objects.filter(pk=failed.pk).update(
        status=Status.FAILED, next_attempt_at=None, last_error_message="rejected"
    )
    Publication.objects.filter(pk__in=[p.pk for p in others]).update(
        status=Status.PUBLISHED, next_attempt_at=None, published_at=timezone.now()
    )
    person = factories.make_user("person")
    failed.refresh_from_db()

    def retry():
        return publishing.retry_publication(publication=failed, by=person)

    def roll_up():
        Post.objects.get(pk=post.pk).roll_up()

    release = threading.Event()
    holder = Side(retry if first == "retry" else roll_up, hold=release)
    holder.start()
    holder.done.wait(10)
    arriving = Side(roll_up if first == "retry" else retry)
    arriving.start()
    _until_blocked_or_done(arriving)
    release.set()
    holder.join(10)
    arriving.join(10)

    assert holder.error is None, holder.error
    assert arriving.error is None, arriving.error
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHING
    assert Publication.objects.get(pk=failed.pk).status == Status.PENDING
    assert dispatch.claim_due() == [failed.pk]
