"""What every action gets, and the table of actions the router serves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from lookout.api.dnspod.envelope import Reply
from lookout.api.dnspod.form import Params
from lookout.services.dns.container import DnsServices
from lookout.services.dns.domains import DomainRef
from lookout.services.dns.errors import DnsRefused
from lookout.services.tokens import Principal

Messages = Mapping[str, tuple[str, str]]
# Ids are INTEGER columns, 32 bits on PostgreSQL: a larger number names nothing there, and a
# query with it fails ("integer out of range") instead of finding nothing.
MAX_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Call:
    params: Params
    who: Principal
    dns: DnsServices
    location: str


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Action:
    handler: Handler
    messages: Messages
    # A refusal's reason -> this action's code.
    codes: Mapping[str, str]

    async def __call__(self, call: Call) -> Reply:
        try:
            return await self.handler(call)
        except DnsRefused as refused:
            return Reply(self.codes.get(refused.reason, "3"))


def domain_ref(params: Params) -> DomainRef | None:
    """`domain_id` when sent (a bad one names no domain), else `domain` by name."""
    if params.present("domain_id"):
        number = params.integer("domain_id")
        return number if number is not None and number <= MAX_ID else -1
    if params.present("domain"):
        return params.get("domain")[:253]
    return None


def require_domain(params: Params) -> DomainRef:
    ref = domain_ref(params)
    if ref is None:
        raise DnsRefused("domain")
    return ref


def positive_id(params: Params, name: str, reason: str) -> int:
    number = params.integer(name)
    if number is None or number > MAX_ID:
        raise DnsRefused(reason)
    return number


def bool_text(value: bool) -> str:
    return "1" if value else "0"
