"""Laravel length-aware pagination: `page[number]` (or plain `page`) and `page[size]`.

Like Laravel's paginator, a page parameter is never refused: one that is not an integer
as PHP reads integers (base 10, within a signed 64-bit range) or is below 1 falls back
to the default, as nonsense always has. A 422 would break clients that Oh Dear answers.
A page number whose rows would start beyond the largest offset a database takes (a
signed 64-bit integer) is answered as the last page that can be asked for: past the
last row either way, so the same empty page, and the query stays in range.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query
from starlette.datastructures import URL, QueryParams

from lookout.services.validation import INT64_MAX, int64_from_text

DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 1000

# Declared on each paginated route so the OpenAPI description shows them; `page_request`
# reads them (as text: FastAPI's own integer parsing would 422 what Laravel ignores).
PageNumber = Annotated[str | None, Query(alias="page[number]", description="from 1; `page` is an alias")]
PageSize = Annotated[str | None, Query(alias="page[size]", description=f"1 to {MAX_PAGE_SIZE}")]


def _positive_int(value: str | None, default: int) -> int:
    number = int64_from_text(value) if value is not None else None
    return number if number is not None and number >= 1 else default


def page_request(params: QueryParams, default_size: int = DEFAULT_PAGE_SIZE) -> tuple[int, int]:
    """(page number, page size) from the query; nonsense falls back to the defaults."""
    size = min(_positive_int(params.get("page[size]"), default_size), MAX_PAGE_SIZE)
    number = _positive_int(params.get("page[number]") or params.get("page"), 1)
    return min(number, last_addressable_page(size)), size


def last_addressable_page(size: int) -> int:
    """The last page whose offset, (page - 1) * size, is a signed 64-bit integer."""
    return INT64_MAX // size + 1


def paginated(data: list[Any], url: URL, page: int, size: int, total: int) -> dict[str, Any]:
    last_page = max(1, math.ceil(total / size))
    path = str(url.replace(query=""))
    query = QueryParams(url.query)
    kept = [(k, v) for k, v in query.multi_items() if k not in ("page", "page[number]")]

    def link(number: int) -> str:
        return f"{path}?{urlencode([*kept, ('page[number]', str(number))])}"

    start = (page - 1) * size
    links = [{"url": link(page - 1) if page > 1 else None, "label": "&laquo; Previous", "active": False}]
    links += [{"url": link(n), "label": str(n), "active": n == page} for n in _window(page, last_page)]
    links.append(
        {"url": link(page + 1) if page < last_page else None, "label": "Next &raquo;", "active": False}
    )
    return {
        "data": data,
        "links": {
            "first": link(1),
            "last": link(last_page),
            "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < last_page else None,
        },
        "meta": {
            "current_page": page,
            "from": start + 1 if data else None,
            "last_page": last_page,
            "links": links,
            "path": path,
            "per_page": size,
            "to": start + len(data) if data else None,
            "total": total,
        },
    }


def _window(page: int, last_page: int, around: int = 3) -> range:
    return range(max(1, page - around), min(last_page, page + around) + 1)
