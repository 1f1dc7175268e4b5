"""Why a DNS service refused a request, as a stable reason the API maps to its codes."""

from __future__ import annotations

from lookout.errors import LookoutError


class DnsRefused(LookoutError):  # noqa: N818 - reads as what happened
    """`reason` is a field name (`host`, `port`, ...) or a short word (`exists`, `quota`)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail
