"""DNSPod's answer: HTTP 200 always, `status{code (a string), message, created_at}` and the
action's keys, as JSON or (the documented default) XML under `<dnspod>`.

Messages come in English (`lang=en`, the default) or Chinese (`lang=cn`). Codes mean
different things in different actions (6 is a bad domain id in Monitor.Create and a bad
monitor id in Monitor.Remove), so an action's own messages are looked up first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

import orjson
from starlette.responses import Response

SUCCESS = "Action completed successful"

COMMON: dict[str, tuple[str, str]] = {
    "1": (SUCCESS, "操作已经成功完成"),
    "-1": ("Login failed", "登陆失败"),
    "-2": ("API usage is limited", "API使用超出限制"),
    "-7": ("No permission to use this API", "无权使用此接口"),
    "-8": ("Account got prohibited, too many failed logins", "登录失败次数过多，帐号被暂时封禁"),
    "-99": ("This API is not ready to be used", "此功能暂停开放，请稍候重试"),
    "2": ("POST method only", "只允许POST方法"),
    "3": ("Unknown error", "未知错误"),
}


@dataclass(frozen=True, slots=True)
class Reply:
    code: str
    data: Mapping[str, Any] = field(default_factory=dict)
    message: str | None = None  # overrides the table (Info.Version answers its version)


def message_for(messages: Mapping[str, tuple[str, str]], code: str, lang: str) -> str:
    pair = messages.get(code) or COMMON.get(code) or ("Error", "错误")
    return pair[1] if lang == "cn" else pair[0]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def body(reply: Reply, messages: Mapping[str, tuple[str, str]], lang: str, now: datetime) -> dict[str, Any]:
    status = {
        "code": reply.code,
        "message": reply.message if reply.message is not None else message_for(messages, reply.code, lang),
        "created_at": stamp(now),
    }
    return {"status": status, **reply.data} if reply.code == "1" else {"status": status}


def _xml(name: str, value: Any, out: list[str]) -> None:
    if isinstance(value, Mapping):
        out.append(f"<{name}>")
        for key, item in value.items():
            _xml(_tag(str(key)), item, out)
        out.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        out.append(f"<{name}>")
        for item in value:
            _xml("item", item, out)
        out.append(f"</{name}>")
    elif value is None or value is False:
        out.append(f"<{name}/>" if value is None else f"<{name}>false</{name}>")
    else:
        text = "true" if value is True else str(value)
        out.append(f"<{name}>{escape(text)}</{name}>")


def _tag(key: str) -> str:
    # Keys such as point codes ("ctc-4") are fine; anything else becomes an item tag.
    return (
        key
        if key and (key[0].isalpha() or key[0] == "_") and all(c.isalnum() or c in "-_" for c in key)
        else "item"
    )


def render(payload: dict[str, Any], fmt: str) -> Response:
    if fmt == "json":
        return Response(orjson.dumps(payload), media_type="application/json; charset=utf-8")
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    _xml("dnspod", payload, out)
    return Response("".join(out), media_type="text/xml; charset=utf-8")
