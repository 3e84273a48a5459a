"""A real `geflecht worker` process: it runs what the web queued, and a worker killed in
the middle of an import (SIGKILL) loses nothing: the next worker imports the rest, with
no one twice and the job not left "running"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

CONTACTS = 5000

SETUP = """
import json, sys
from geflecht.accounts.models import Tenant, User
from geflecht.importers.jobs import start_import
tenant = Tenant.objects.create(name="Brenner", slug="brenner")
anna = User.objects.create_user(username="anna", password="x-Geflecht-2026", tenant=tenant)
with open(sys.argv[1], "rb") as f:
    imp = start_import(anna, iter([f.read()]), "kontakte.csv", private=False)
print(json.dumps({"import": imp.pk, "job": imp.job_id}))
"""

#: Read straight from the installation's database, as an operator would.
STATE = """
SELECT j.status, j.attempts, j.done, j.error, i.status, i.entries_done,
       (SELECT COUNT(*) FROM people_person),
       (SELECT COUNT(DISTINCT email) FROM people_contactemail)
FROM jobs_job j JOIN importers_importjob i ON i.job_id = j.id WHERE j.id = %s
"""
FIELDS = ("status", "attempts", "done", "error", "import", "entries", "people", "distinct")


def _row(env: dict, sql: str, params: tuple = ()) -> tuple:
    """One row read straight from the installation's database (``%s`` placeholders)."""
    url = env["GEFLECHT_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as conn:
            row = conn.execute(sql.replace("%s", "?"), params).fetchone()
            assert row is not None, sql
            return row
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None, sql
    return row


def _state(env: dict, job: int) -> dict:
    return dict(zip(FIELDS, _row(env, STATE, (job,)), strict=True))


@pytest.fixture
def installation(tmp_path):
    """A fresh installation of its own (database, data and queue), as `make run` makes."""
    env = {
        **os.environ,
        "GEFLECHT_DATA_DIR": str(tmp_path),
        "GEFLECHT_QUEUE_NAME": f"worker-test-{uuid.uuid4().hex[:8]}",
        "GEFLECHT_TASKS_AT_ONCE": "0",
        "GEFLECHT_SECRET_KEY": "test-only-" + "x" * 40,
        "PYTHONUNBUFFERED": "1",
    }
    db = settings.DATABASES["default"]
    dropped = None
    if db["ENGINE"].endswith("postgresql"):
        import psycopg

        name = f"geflecht_worker_{uuid.uuid4().hex[:8]}"
        server = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}"
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        env["GEFLECHT_DATABASE_URL"] = f"{server}/{name}"
        dropped = (server, name)
    else:
        env["GEFLECHT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'geflecht.sqlite3'}"
    subprocess.run(_cmd("migrate", "-v", "0"), env=env, check=True)
    yield env
    if dropped is not None:
        import psycopg

        with psycopg.connect(f"{dropped[0]}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {dropped[1]} WITH (FORCE)")


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "geflecht.cli", *args]


def _python(env: dict, code: str, *args: str) -> dict:
    out = subprocess.run(
        _cmd("shell", "-c", code.replace("sys.argv[1]", repr(args[0]))),
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _contacts(path: Path) -> Path:
    rows = ["First Name,Last Name,Organization Name,E-mail 1 - Value"]
    rows += [
        f"Vorname{i},Nachname{i},Firma {i % 300} GmbH,kontakt{i}@firma{i % 300}.example"
        for i in range(CONTACTS)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        _cmd("worker", "--threads", "1"), env=env, stdout=subprocess.PIPE, text=True
    )


def wait_until(read, ready, timeout: float = 90.0) -> dict:
    """Poll ``read()`` until ``ready`` says yes; the state it got there with."""
    deadline = time.monotonic() + timeout
    state = read()
    while not ready(state):
        if time.monotonic() > deadline:
            raise AssertionError(f"not there in {timeout} s: {state}")
        time.sleep(0.1)
        state = read()
    return state


def _wait_for(env: dict, job: int, ready, timeout: float = 90.0) -> dict:
    return wait_until(lambda: _state(env, job), ready, timeout)


def test_a_killed_worker_loses_nothing_and_the_next_one_finishes_the_import(installation, tmp_path):
    env = installation
    queued = _python(env, SETUP, str(_contacts(tmp_path / "kontakte.csv")))
    waiting = _state(env, queued["job"])
    assert (waiting["status"], waiting["people"]) == ("queued", 0)  # nobody runs it yet

    first = _worker(env)
    try:
        running = _wait_for(env, queued["job"], lambda s: s["status"] == "running" and s["done"])
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    killed = _state(env, queued["job"])
    assert killed["status"] == "running" and killed["people"] < CONTACTS, killed
    assert running["attempts"] == 1

    second = _worker(env)
    try:
        done = _wait_for(env, queued["job"], lambda s: s["status"] in ("done", "failed"))
    finally:
        second.send_signal(signal.SIGINT)
        out, _ = second.communicate(timeout=60)
    assert done["status"] == "done", done
    assert done["attempts"] == 2 and done["import"] == "done"
    assert done["people"] == done["distinct"] == CONTACTS  # each one once
    assert "was lost by" in out
