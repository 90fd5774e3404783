from __future__ import annotations

from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"

    def ready(self) -> None:
        from posts import signals  # noqa: F401  (connects the receivers)
