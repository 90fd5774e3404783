"""The posts app's pages, one module per kind of thing they show.

Every view starts with a helper of `posts.access` (which re-exports the
practice-level ones of `practices.access`); none checks a role on its own.
"""
