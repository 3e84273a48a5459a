"""Load test of the API behind the production server (issue 6).

Runs gunicorn (``geflecht serve``) on loopback against the database named by
``GEFLECHT_DATABASE_URL`` (PostgreSQL in the issue's setting, filled with
``geflecht demo --people 100000``), then drives it with wrk at 50 concurrent
connections: person detail and the introduction-path endpoint, each request for a
different random person, authenticated with a personal API token. Prints req/s,
median, p95, p99 and the error count per endpoint.

    GEFLECHT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/geflecht_load \\
        .venv/bin/python bench/bench_api_load.py --duration 30 --connections 50

Needs wrk (Debian package ``wrk``).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LUA = """
local ids = {%(ids)s}
local token = "%(token)s"
local template = "%(template)s"
local errors = 0
request = function()
  local path = string.gsub(template, "{id}", ids[math.random(#ids)])
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
response = function(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  local non2xx = summary.errors.status or 0
  io.write(string.format("RESULT %%d %%.1f %%.2f %%.2f %%.2f %%.2f %%d\\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    non2xx + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


def setup_django():
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geflecht.settings")
    import django

    django.setup()


def pick_targets(n: int, seed: int):
    """A token for the demo user and ``n`` random people that user may see."""
    from geflecht.accounts.actions import create_token
    from geflecht.accounts.models import User
    from geflecht.people.queries import visible_people

    user = User.objects.filter(tenant__slug="demo", person__isnull=False).order_by("id").first()
    if user is None:
        sys.exit("No demo user: run `geflecht demo --people 100000` against this database first.")
    ids = list(visible_people(user).values_list("pk", flat=True))
    random.Random(seed).shuffle(ids)
    _, secret = create_token(user, "load benchmark")
    return user, secret, ids[:n], len(ids)


def wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the server did not answer at {url}")


def run_wrk(name, template, ids, token, port, duration, connections, threads):
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(LUA % {"ids": ",".join(map(str, ids)), "token": token, "template": template})
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(row for row in out.splitlines() if row.startswith("RESULT"))
    count, rps, p50, p95, p99, worst, errors = line.split()[1:]
    return {
        "endpoint": name,
        "requests": int(count),
        "req/s": float(rps),
        "median ms": float(p50),
        "p95 ms": float(p95),
        "p99 ms": float(p99),
        "max ms": float(worst),
        "errors": int(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--targets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    setup_django()
    from django.db import connection

    user, token, ids, visible = pick_targets(args.targets, args.seed)
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
        f"{visible:,} people visible to {user.username}"
    )
    connection.close()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/geflecht"),
            "serve",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "GEFLECHT_LOG_LEVEL": "ERROR"},
    )
    try:
        wait_for(f"http://127.0.0.1:{args.port}/healthz")
        # Every worker loads its graph snapshot on its first path request: warm them up.
        me = user.person_id
        for target in ids[:50]:
            request = urllib.request.Request(
                f"http://127.0.0.1:{args.port}/api/v1/paths?target={target}",
                headers={"Authorization": f"Bearer {token}"},
            )
            urllib.request.urlopen(request, timeout=120).read()
        rows = [
            run_wrk(
                "GET /api/v1/persons/{id}",
                "/api/v1/persons/{id}",
                ids,
                token,
                args.port,
                args.duration,
                args.connections,
                2,
            ),
            run_wrk(
                "GET /api/v1/paths?target={id}",
                "/api/v1/paths?target={id}",
                [i for i in ids if i != me],
                token,
                args.port,
                args.duration,
                args.connections,
                2,
            ),
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"\ngunicorn {args.workers} workers x {args.threads} threads, wrk {args.connections} "
        f"connections, {args.duration} s per endpoint, {len(ids)} random targets\n"
    )
    header = list(rows[0])
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print(
            "| " + " | ".join(f"{row[h]:,}" if h != "endpoint" else row[h] for h in header) + " |"
        )


if __name__ == "__main__":
    main()
