"""The ``geflecht`` console command: Django's management commands under the project's name.

``geflecht serve``, ``geflecht migrate``, ``geflecht createuser``, ``geflecht demo`` and the
commands each domain app adds are ordinary management commands, so the CLI, the web
and the API share one settings module and one set of services.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geflecht.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "geflecht"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
