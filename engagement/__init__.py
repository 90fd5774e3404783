"""The conversation around a practice: comments, mentions and reviews, and the replies to them."""
