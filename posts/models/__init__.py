"""The posts app's models, one module per sub-domain, in the order they build on each other.

tips and media (what staff send) -> posts (what the agency writes and the
doctor approves) -> publications (what goes out) -> metrics (what it earned).
"""

from __future__ import annotations

from posts.models.errors import IllegalTransition
from posts.models.media import MediaAsset, MediaVariant
from posts.models.metrics import AccountSnapshot, DayTotals, MetricSnapshot, MonthTotals
from posts.models.posts import (
    Approval,
    ApprovalLink,
    CaptionTemplate,
    Post,
    PostComment,
    PostMedia,
)
from posts.models.publications import Publication
from posts.models.tips import Tip, TipPhoto

__all__ = [
    "AccountSnapshot",
    "Approval",
    "ApprovalLink",
    "CaptionTemplate",
    "DayTotals",
    "IllegalTransition",
    "MediaAsset",
    "MediaVariant",
    "MetricSnapshot",
    "MonthTotals",
    "Post",
    "PostComment",
    "PostMedia",
    "Publication",
    "Tip",
    "TipPhoto",
]
