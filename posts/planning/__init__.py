"""Seeing the work: the calendar, the iCal feed, the post list's filters and rows,
and the strategist's dashboard.
"""
