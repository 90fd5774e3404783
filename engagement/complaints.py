"""Which comments are complaints: told to the practice's strategist at once.

Django-free. A review of one or two stars is bad whatever it says; a comment
or mention is a complaint when it uses the words people complain in. The
list errs on the side of telling: a strategist glancing at a false alarm
costs a minute, a complaint left a day costs the practice.
"""

from __future__ import annotations

import re

BAD_STARS = 2
_WORDS = (
    r"worst",
    r"terrible",
    r"horrible",
    r"awful",
    r"rude",
    r"unprofessional",
    r"disappointed",
    r"disappointing",
    r"never again",
    r"never going back",
    r"waited (?:for )?(?:over |more than )?(?:an? |\d+ |two |three )?(?:hours?|minutes)",
    r"wait(?:ing)? (?:time|times) (?:is|are|was|were) (?:ridiculous|terrible|awful)",
    r"complain(?:t|ed|ing)?",
    r"refund",
    r"overcharged",
    r"scam",
    r"lawsuit",
    r"lawyer",
    r"malpractice",
    r"negligen(?:t|ce)",
    r"botched",
    r"misdiagnos\w*",
    r"report(?:ing|ed)? (?:you|them|this)",
    r"do not (?:go|recommend)",
    r"don'?t (?:go|recommend)",
    r"avoid (?:this|them)",
    r"zero stars?",
    r"0 stars?",
)
_COMPLAINT = re.compile(r"\b(?:" + "|".join(_WORDS) + r")\b", re.IGNORECASE)


def is_complaint(text: str, *, rating: int | None = None) -> bool:
    """A bad review (two stars or fewer), or text in the words of a complaint (a
    three-star review can be one too)."""
    if rating is not None and rating <= BAD_STARS:
        return True
    return bool(_COMPLAINT.search(text or ""))
