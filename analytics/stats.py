"""The arithmetic behind the analytics pages: rates, percentiles, peer bands.

Plain functions on plain numbers, so that the tests can check each rule on
its own: what a missing figure does (it is left out, never counted as 0),
and when there are too few peers to show a band.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

# Fewer peers than this and a band would point at individual practices.
MIN_PEERS = 5


def engagement_rate(reach: int | None, engagements: int | None) -> float | None:
    """Engagements per person reached, in percent: the one formula of every page,
    report and CSV. None while the reach is unknown or nobody was reached."""
    if not reach:
        return None
    return 100 * (engagements or 0) / reach


@dataclass
class Totals:
    """What a set of publications earned. `reported`: those whose reach is known."""

    posts: int = 0
    reported: int = 0
    reach: int = 0
    engagements: int = 0

    def add(self, reach: int | None, engagements: int | None) -> None:
        self.posts += 1
        if reach is None:
            return  # not reported yet: neither its reach nor its engagements count
        self.reported += 1
        self.reach += reach
        self.engagements += engagements or 0

    def merge(self, other: Totals) -> None:
        """Add another set's totals to these."""
        self.posts += other.posts
        self.reported += other.reported
        self.reach += other.reach
        self.engagements += other.engagements

    @property
    def engagement_rate(self) -> float | None:
        """Engagements per person reached, in percent; None before any reach is known."""
        if not self.reported:
            return None
        return engagement_rate(self.reach, self.engagements)

    @property
    def reach_per_post(self) -> float | None:
        if not self.reported:
            return None
        return self.reach / self.reported


def change(now: float | None, before: float | None) -> float | None:
    """Percent change from `before` to `now`; None when either is unknown or before is 0."""
    if now is None or before is None or before == 0:
        return None
    return 100 * (now - before) / before


@dataclass(frozen=True)
class PeerBand:
    peers: int
    low: float | None = None  # 25th percentile
    median: float | None = None
    high: float | None = None  # 75th percentile

    @property
    def enough(self) -> bool:
        return self.peers >= MIN_PEERS


def band(values: Iterable[float | None]) -> PeerBand:
    """The 25th, 50th and 75th percentiles of the peers' known values.

    Inclusive quartiles (the peers are the whole population, not a sample).
    With fewer than MIN_PEERS known values no band is given.
    """
    known = sorted(v for v in values if v is not None)
    if len(known) < MIN_PEERS:
        return PeerBand(peers=len(known))
    low, median, high = statistics.quantiles(known, n=4, method="inclusive")
    return PeerBand(peers=len(known), low=low, median=median, high=high)
