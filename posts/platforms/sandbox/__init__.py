"""A loopback server speaking the five platforms' wire formats, with fault knobs.

The tests and the demo point every platform host at it; see server.SandboxServer.
"""

from __future__ import annotations

from posts.platforms.sandbox.server import SandboxServer

__all__ = ["SandboxServer"]
