"""Laravel length-aware pagination: `page[number]` (or plain `page`) and `page[size]`."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import URL, QueryParams

DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 1000


def _positive_int(value: str | None, default: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number >= 1 else default


def page_request(params: QueryParams, default_size: int = DEFAULT_PAGE_SIZE) -> tuple[int, int]:
    """(page number, page size) from the query; nonsense falls back to the defaults."""
    number = _positive_int(params.get("page[number]") or params.get("page"), 1)
    size = min(_positive_int(params.get("page[size]"), default_size), MAX_PAGE_SIZE)
    return number, size


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
