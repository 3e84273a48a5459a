"""The network's kinds of job (registered with the queue when the apps load)."""

from geflecht.network import snapshot  # noqa: F401 - defines the "graph-snapshot" kind
