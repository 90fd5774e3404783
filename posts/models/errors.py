"""What the workflow methods raise."""

from __future__ import annotations


class IllegalTransition(Exception):
    """A status change that the workflow does not allow, in plain words."""
