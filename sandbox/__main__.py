"""python -m sandbox --port 8765: run the sandbox in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from sandbox.server import SandboxServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Sandbox platform server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=None, help="seed for fault decisions")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if os.environ.get("DJANGO_ENV") == "production":
        # A fake of five platforms has no business beside the real product.
        sys.exit("The sandbox is a development tool: it does not run with DJANGO_ENV=production.")
    server = SandboxServer(args.host, args.port, seed=args.seed, verbose=args.verbose)
    print(f"Sandbox platforms on {server.url} (feeds at {server.url}/_sandbox/)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
