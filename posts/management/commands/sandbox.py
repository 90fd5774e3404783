"""manage.py sandbox --port 8765: the sandbox platforms in the foreground.

Point the app at it with SANDBOX_URL=http://127.0.0.1:8765.
"""

from __future__ import annotations

import contextlib

from django.core.management.base import BaseCommand

from posts.platforms.sandbox import SandboxServer


class Command(BaseCommand):
    help = "Run the sandbox platform server (Facebook, Instagram, LinkedIn, X, Google) on loopback."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--seed", type=int, default=None, help="seed for fault decisions")
        parser.add_argument("--verbose", action="store_true", help="log every request")

    def handle(self, *args, host, port, seed, verbose, **options):
        server = SandboxServer(host, port, seed=seed, verbose=verbose)
        self.stdout.write(f"Sandbox platforms on {server.url} (feeds at {server.url}/_sandbox/)")
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
