"""geflecht serve: the production server (gunicorn) with static files served by the app."""

from __future__ import annotations

import os

from django.core.management import call_command
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication


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

    def handle(self, *args, host, port, workers, threads, **options):
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Geflecht is serving on http://{host}:{port}/ (Ctrl+C stops it)")
        _Gunicorn(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "accesslog": "-",
                "timeout": 60,
            }
        ).run()
