"""Tips coming in: the tip forms, the secret tip link and its guard, the inbox,
and what became of each tip.
"""
