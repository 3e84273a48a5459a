"""geflecht serve: the production server (gunicorn) with static files served by the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand
from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication

from geflecht.lib.headers import write_server_error

#: gunicorn's access log without query strings and referrers: a search URL carries the
#: name searched for (``/search/?q=Max+Muster``), and the log outlives any erasure.
#: ``%(U)s`` is the path alone.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(L)ss'

#: The longest request line gunicorn accepts (its maximum; the default is 4094): a long
#: search reaches the app, which shortens it with a message. Header fields may be
#: twice gunicorn's default, for the cookies of a busy browser.
LIMIT_REQUEST_LINE = 8190
LIMIT_REQUEST_FIELD_SIZE = 16380


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from geflecht.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve Geflecht with gunicorn (default http://127.0.0.1:8000)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("GEFLECHT_WORKERS", "2"))
        )
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--no-worker",
            dest="worker",
            action="store_false",
            help="start no background worker beside it (run `geflecht worker` on its own)",
        )

    def handle(self, *args, host, port, workers, threads, worker, **options):
        call_command("collectstatic", interactive=False, verbosity=0)
        # Requests gunicorn refuses itself (a line or header beyond the limits) get an
        # error page with the security headers, like every answer of the app.
        gunicorn_util.write_error = write_server_error
        self.stdout.write(f"Geflecht is serving on http://{host}:{port}/ (Ctrl+C stops it)")
        # One worker for the background jobs beside the web server, stopped with it.
        jobs = _start_worker() if worker else None
        try:
            self._serve(host, port, workers, threads)
        finally:
            if jobs is not None:
                _stop(jobs)

    def _serve(self, host, port, workers, threads) -> None:
        _Gunicorn(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "accesslog": "-",
                "access_log_format": ACCESS_LOG_FORMAT,
                "limit_request_line": LIMIT_REQUEST_LINE,
                "limit_request_field_size": LIMIT_REQUEST_FIELD_SIZE,
                "timeout": 60,
            }
        ).run()


def _start_worker() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "geflecht.cli", "worker"])


def _stop(worker: subprocess.Popen) -> None:
    """Ctrl+C reached the worker too (one process group); otherwise ask it to stop. It
    finishes the jobs it runs, within half a minute, else it is killed (and its jobs are
    queued again by the next worker)."""
    try:
        worker.wait(timeout=1)
        return
    except subprocess.TimeoutExpired:
        worker.send_signal(signal.SIGINT)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
