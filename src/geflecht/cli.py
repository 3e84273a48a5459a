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
    try:
        execute_from_command_line(argv)
    except Exception as exc:
        # The CLI's half of the one error mapping (lib.errors.classify): a service's
        # NotFound / NotAllowed / Conflict / Invalid is a message and exit status 1, as
        # Django prints a CommandError; anything else is a bug and keeps its traceback.
        from geflecht.lib.errors import classify, message_of

        if classify(exc) is None:
            raise
        sys.stderr.write(f"geflecht: {message_of(exc)}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
