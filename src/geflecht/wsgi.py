"""WSGI entry point for production servers (gunicorn via ``geflecht serve``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geflecht.settings")
application = get_wsgi_application()

# Load the graph engine's compiled kernels now, so no user's first query waits for them.
from geflecht.graph import warm_up  # noqa: E402

warm_up()

# Build each tenant's snapshot, search index, counts and communities while serving.
from geflecht.web.prepare import prepare_in_background  # noqa: E402

prepare_in_background()
