"""`geflecht serve` runs a production server (gunicorn) that also serves static files."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_serve_answers_login_page_and_static_files(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "GEFLECHT_DATA_DIR": str(tmp_path)}
    if "GEFLECHT_DATABASE_URL" not in env:
        env["GEFLECHT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    geflecht = [sys.executable, "-m", "geflecht.cli"]
    proc = subprocess.Popen(
        [*geflecht, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # Generous: a fresh checkout compiles the graph kernels once at start-up.
        deadline = time.monotonic() + 180
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(
                        "server did not start:\n"
                        + (proc.stdout.read1().decode() if proc.poll() is not None else "")
                    )
                time.sleep(0.3)
        assert page.status == 200
        assert b"username" in page.read()
        assert page.headers["X-Frame-Options"] == "DENY"
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/web/geflecht.css", timeout=60)
        assert css.status == 200
        assert b"--brand" in css.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
