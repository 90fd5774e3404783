"""`make test` on a machine without PostgreSQL or Redis starts throwaway ones."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import psycopg
import redis

from tests import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import services


def test_throwaway_postgresql_and_redis_start_answer_and_stop():
    # Like `make test`: a fresh folder under the system temp directory, which
    # the unprivileged PostgreSQL user can reach.
    workdir = Path(tempfile.mkdtemp(prefix="rounds-services-test-"))
    pg_url, pg = services.start_postgres(workdir)
    redis_url, rd = services.start_redis(workdir)
    try:
        with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres") as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)
        assert redis.Redis.from_url(redis_url).ping()
    finally:
        for server in (pg, rd):
            server.terminate()
            server.wait(timeout=20)
    shutil.rmtree(workdir, ignore_errors=True)
    assert not services.answers("127.0.0.1", int(pg_url.rsplit(":", 1)[1].split("/")[0]))
