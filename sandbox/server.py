"""The HTTP server: routes on the first path segment (the host role) to a platform."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from sandbox import admin, google, graph, linkedin, x
from sandbox.core import Request, Response, Router, json_response
from sandbox.state import Sandbox

log = logging.getLogger(__name__)


def _routers() -> dict[str, Router]:
    routers: dict[str, Router] = {"_sandbox": admin.admin}
    for module in (graph, linkedin, x, google):
        routers.update(module.ROUTERS)
    # Permalinks the sandbox hands out point back at itself, under the www roles.
    routers["facebook_www"].add(
        "GET", r"/([^/]+)/posts/([^/]+)", admin.permalink_page("facebook", "fb")
    )
    routers["instagram_www"].add("GET", r"/p/([^/]+)/?", admin.permalink_page("instagram", "ig"))
    routers["linkedin_www"].add(
        "GET", r"/feed/update/([^/]+)/?", admin.permalink_page("linkedin", "id")
    )
    routers["x_www"].add("GET", r"/i/web/status/(\d+)", admin.permalink_page("x", "id"))
    routers["google_www"].add(
        "GET", r"/localposts/(\d+)", admin.permalink_page("google_business", "google")
    )
    return routers


ROUTERS = _routers()


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so that clients' sessions keep connections alive under load.
    protocol_version = "HTTP/1.1"
    server_version = "RoundsSandbox/1.0"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's
        # algorithm meets the client's delayed ACK and every answer waits ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        role, _, rest = parts.path.lstrip("/").partition("/")
        req = Request(
            method=self.command,
            role=role,
            path="/" + rest,
            raw_query=parts.query,
            headers=self.headers,
            body=body,
            base_url=f"http://{self.headers.get('Host') or self.server.host_port}",
        )
        sb = self.server.sandbox
        try:
            response = self._dispatch(sb, req)
        except Exception:  # a sandbox bug must not look like a platform outage
            log.exception("sandbox error on %s %s", self.command, self.path)
            response = json_response(500, {"error": "sandbox bug, see the server log"})
        if req.scope:
            latency = sb.knobs(*req.scope)["latency_ms"]
            if latency:
                # After the work is done, so a client timing out mid-wait is a
                # true ambiguous outcome: the post exists, the answer never came.
                time.sleep(latency / 1000)
        if response.drop:
            self.close_connection = True
            return
        self._write(response)

    def _dispatch(self, sb: Sandbox, req: Request) -> Response:
        if req.role == "":
            return Response(status=302, headers={"Location": "/_sandbox/"})
        router = ROUTERS.get(req.role)
        response = router.dispatch(sb, req) if router else None
        if response is None:
            return json_response(
                404, {"error": f"no sandbox route for {req.method} /{req.role}{req.path}"}
            )
        if req.role in ("graph", "instagram_graph"):
            response = graph.add_usage_headers(req, response)
        return response

    def _write(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if response.body and self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its read timeout); nothing left to tell it.
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512  # benchmarks open many connections at once

    def __init__(self, address: tuple[str, int], sandbox: Sandbox, verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.sandbox = sandbox
        self.verbose = verbose

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that vanished mid-request (a killed worker, a timeout) is
        # business as usual for the sandbox, not a traceback on stderr.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        log.exception("sandbox error serving %s", client_address)

    @property
    def host_port(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"


class SandboxServer:
    """The five platforms on one loopback port.

    server = SandboxServer(port=0).start()
    server.url  # "http://127.0.0.1:54321"; hosts are f"{server.url}/{role}"
    server.stop()
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.sandbox = Sandbox(seed)
        self._server = _Server((host, port), self.sandbox, verbose)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._server.host_port}"

    def start(self) -> SandboxServer:
        # A short poll interval so that stop() returns quickly.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
