"""Pages of every list: ``limit`` (1-500, default 50) and ``offset``, answered with
``{"items": [...], "count": N}``. The bounds keep a typo from asking for a billion rows."""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000


class Page(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(50, ge=1, le=MAX_LIMIT, description="how many items (1-500)")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="how many items to skip")

    def __init__(self, **kwargs):
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
