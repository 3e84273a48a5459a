"""The importers' kinds of job (registered with the queue when the apps load)."""

from geflecht.importers import jobs  # noqa: F401 - defines the "import" kind
