"""Going out and coming back: dispatch, the attempt (publishing.attempt, the one
way a publication is published), takedowns, alerts and metrics.
"""
