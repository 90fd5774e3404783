"""What the five clients' engagement halves share: cursors, and what a platform cannot do.

Cursors are opaque to the caller but plain here:
- a fetch of comments cut short (FETCH_PAGES): "{index of the post}:{the platform's page
  cursor}", and complete False; the call that resumes from it is never complete either,
  since it did not see the posts before (fetch fewer posts a call to get completeness);
- mentions: "{epoch}:{ids seen at that instant}" (Facebook, Instagram, LinkedIn) or
  X's since_id; never complete (a stream, not a set to compare);
- reviews: "page:{Google's page token}" when cut short, "done" when a fetch reached the
  end, which is complete: the caller takes the union with the calls since "" (the
  next one starts over: reviews are read whole, to see edits and deletions).
"""

from __future__ import annotations

from datetime import datetime

from platforms.base import Conversation, Conversations
from platforms.errors import DeleteUnsupported

# Pages one fetch reads before it hands back a cursor to resume from: enough for
# any practice's posts in one go, and a bound on how long one call holds a worker.
FETCH_PAGES = 50
REVIEWS_DONE = "done"
NOTHING = Conversations(items=(), cursor="", complete=True)


def resume_point(cursor: str) -> tuple[int, str]:
    """(index of the post to start at, the page cursor within it) from a comments cursor."""
    index, _, page = cursor.partition(":")
    try:
        return max(0, int(index)), page
    except ValueError:
        return 0, ""  # not ours: start over


def resume_cursor(index: int, page: str) -> str:
    return f"{index}:{page}"


def cannot(platform: str, words: str) -> DeleteUnsupported:
    """What the platform does not let an account do through its API; a person acts there."""
    return DeleteUnsupported(words, platform=platform)


class SeenSince:
    """A mention cursor by time: "{epoch}:{id,id}", the newest instant seen and the ids
    seen at that instant (several mentions can share one second, and a platform's
    `since` includes it)."""

    def __init__(self, cursor: str) -> None:
        stamp, _, ids = cursor.partition(":")
        try:
            self.epoch: int | None = int(stamp) if stamp else None
        except ValueError:
            self.epoch = None
        self.ids = {i for i in ids.split(",") if i} if self.epoch is not None else set()
        self._newest = self.epoch
        self._newest_ids = set(self.ids)

    def is_new(self, item_id: str, when: datetime | None, *, scale: int = 1) -> bool:
        """Whether a mention made at `when` (epoch units of 1/scale s) is after the cursor."""
        if self.epoch is None or when is None:
            return True
        stamp = int(when.timestamp() * scale)
        return stamp > self.epoch or (stamp == self.epoch and item_id not in self.ids)

    def older(self, when: datetime | None, *, scale: int = 1) -> bool:
        """Whether a mention is from before the cursor (a newest-first walk can stop)."""
        return self.epoch is not None and when is not None and when.timestamp() * scale < self.epoch

    def saw(self, item_id: str, when: datetime | None, *, scale: int = 1) -> None:
        if when is None:
            return
        stamp = int(when.timestamp() * scale)
        if self._newest is None or stamp > self._newest:
            self._newest, self._newest_ids = stamp, {item_id}
        elif stamp == self._newest:
            self._newest_ids.add(item_id)

    def cursor(self) -> str:
        if self._newest is None:
            return ""
        return f"{self._newest}:{','.join(sorted(self._newest_ids))}"


def mentions(items: list[Conversation], seen: SeenSince) -> Conversations:
    """New mentions only: never `complete` (they are a stream, not a set to compare)."""
    return Conversations(items=tuple(items), cursor=seen.cursor(), complete=False)
