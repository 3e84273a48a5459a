"""Exceptions raised by the graph engine.

The engine never raises Django or database errors: callers catch these three and map
them to their own responses (an empty result, a 404, a friendly message).
"""

__all__ = ["GraphError", "NoPath", "NodeNotFound"]


class GraphError(Exception):
    """Base class for every error the graph engine raises on purpose."""


class NodeNotFound(GraphError, KeyError):
    """A node id is outside ``0 .. n-1`` of the graph it was used with."""

    def __str__(self) -> str:  # KeyError would quote the message; keep it readable
        return str(self.args[0]) if self.args else "node not found"


class NoPath(GraphError):
    """No path satisfies the request (connectivity, hop limit, bans or strength floor)."""
