"""Record.Create, Record.List, Record.Info, Record.Modify, Record.Remove, Record.Status."""

from __future__ import annotations

from typing import Any

from lookout.api.dnspod.actions import Action, Call, bool_text, positive_id, require_domain
from lookout.api.dnspod.domain import GRADE
from lookout.api.dnspod.envelope import Reply, stamp
from lookout.api.dnspod.form import Params
from lookout.services.dns.records import RecordInput
from lookout.services.dns.views import RecordView


def line_name(line: str, lang: str) -> str:
    return line if lang == "cn" else "default" if line == "默认" else line


def record_json(record: RecordView, lang: str) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "name": record.sub_domain,
        "line": line_name(record.line, lang),
        "line_id": "0",
        "type": record.type,
        "ttl": str(record.ttl),
        "value": record.value,
        "weight": None if record.weight is None else str(record.weight),
        "mx": str(record.mx),
        "enabled": bool_text(record.enabled),
        "status": "enabled" if record.enabled else "disabled",
        "monitor_status": record.monitor_status,
        "remark": record.remark,
        "updated_on": stamp(record.updated_at),
        "use_aqb": "no",
    }


def record_input(params: Params) -> RecordInput:
    return RecordInput(
        sub_domain=params.get("sub_domain", "@"),
        record_type=params.get("record_type"),
        record_line=params.get("record_line"),
        record_line_id=params.get("record_line_id"),
        value=params.get("value"),
        mx=params.get("mx"),
        ttl=params.get("ttl"),
        status=params.get("status"),
        weight=params.get("weight"),
    )


async def create(call: Call) -> Reply:
    view = await call.dns.records.create(call.who, require_domain(call.params), record_input(call.params))
    status = "enable" if view.enabled else "disable"
    return Reply("1", {"record": {"id": str(view.id), "name": view.sub_domain, "status": status}})


async def list_records(call: Call) -> Reply:
    params = call.params
    ref = require_domain(params)
    offset = params.integer("offset") if params.present("offset") else 0
    if offset is None:
        return Reply("7")
    length = params.integer("length") if params.present("length") else 3000
    if length is None or length < 1:
        return Reply("8")
    page = await call.dns.records.page(
        call.who, ref, offset, length, params.get("sub_domain")[:200], params.get("keyword")[:100]
    )
    if not page.records and params.get("error_on_empty", "yes").strip().lower() != "no":
        return Reply("10")
    domain = page.domain
    return Reply(
        "1",
        {
            "domain": {
                "id": domain.id,
                "name": domain.display_name,
                "punycode": domain.name,
                "grade": GRADE,
                "owner": domain.owner,
                "ext_status": "",
                "ttl": domain.ttl,
            },
            "info": {"sub_domains": str(page.sub_domains), "record_total": str(page.total)},
            "records": [record_json(record, params.get("lang")) for record in page.records],
        },
    )


async def info(call: Call) -> Reply:
    ref = require_domain(call.params)
    record_id = positive_id(call.params, "record_id", "record_id")
    record, domain_name = await call.dns.records.info(call.who, ref, record_id)
    lang = call.params.get("lang")
    return Reply(
        "1",
        {
            "domain": {"id": str(record.domain_id), "domain": domain_name, "domain_grade": GRADE},
            "record": {
                "id": str(record.id),
                "sub_domain": record.sub_domain,
                "record_type": record.type,
                "record_line": line_name(record.line, lang),
                "record_line_id": "0",
                "value": record.value,
                "weight": None if record.weight is None else str(record.weight),
                "mx": str(record.mx),
                "ttl": str(record.ttl),
                "enabled": bool_text(record.enabled),
                "monitor_status": record.monitor_status,
                "remark": record.remark,
                "updated_on": stamp(record.updated_at),
                "domain_id": str(record.domain_id),
            },
        },
    )


async def modify(call: Call) -> Reply:
    ref = require_domain(call.params)
    record_id = positive_id(call.params, "record_id", "record_id")
    view = await call.dns.records.modify(call.who, ref, record_id, record_input(call.params))
    status = "enable" if view.enabled else "disable"
    return Reply(
        "1", {"record": {"id": view.id, "name": view.sub_domain, "value": view.value, "status": status}}
    )


async def remove(call: Call) -> Reply:
    ref = require_domain(call.params)
    await call.dns.records.remove(call.who, ref, positive_id(call.params, "record_id", "record_id"))
    return Reply("1")


async def status(call: Call) -> Reply:
    ref = require_domain(call.params)
    record_id = positive_id(call.params, "record_id", "record_id")
    view = await call.dns.records.set_status(call.who, ref, record_id, call.params.get("status"))
    return Reply(
        "1",
        {
            "record": {
                "id": view.id,
                "name": view.sub_domain,
                "status": "enable" if view.enabled else "disable",
            }
        },
    )


_WRITE_MESSAGES = {
    "6": ("Missing or invalid parameter (domain id)", "缺少参数或者参数错误"),
    "7": ("Not the domain's owner, no permission", "不是域名所有者或者没有权限"),
    "8": ("Invalid record id", "记录ID错误"),
    "21": ("Domain locked", "域名被锁定"),
    "22": ("Invalid sub domain", "子域名不合法"),
    "26": ("Invalid record line", "记录线路错误"),
    "27": ("Invalid record type", "记录类型错误"),
    "30": ("MX priority must be 1-20", "MX优先级错误"),
    "31": ("Records conflict: A, CNAME and others cannot share a name", "存在冲突的记录"),
    "32": ("Invalid TTL", "记录的TTL值超出了限制"),
    "34": ("Invalid record value", "记录值不正确"),
    "104": ("Record already exists", "记录已经存在"),
    "500025": ("Too many records on this domain", "记录数量超出限制"),
}
_WRITE_CODES = {
    "domain": "6",
    "permission": "7",
    "record_id": "8",
    "sub_domain": "22",
    "record_line": "26",
    "record_type": "27",
    "mx": "30",
    "conflict": "31",
    "ttl": "32",
    "value": "34",
    "weight": "6",
    "status": "6",
    "duplicate": "104",
    "limit": "500025",
}
_READ = {
    "6": ("Invalid domain id", "域名ID错误"),
    "7": ("Invalid offset", "记录开始的偏移无效"),
    "8": ("Invalid length", "共要获取的记录的数量无效"),
    "10": ("No records", "没有记录"),
}
_ONE = {
    "6": ("Invalid domain id", "域名ID错误"),
    "7": ("Invalid record id", "记录ID错误"),
    "8": ("Invalid status", "状态错误"),
}

ACTIONS = {
    "Record.Create": Action(create, _WRITE_MESSAGES, _WRITE_CODES),
    "Record.Modify": Action(modify, _WRITE_MESSAGES, _WRITE_CODES),
    "Record.List": Action(list_records, _READ, {"domain": "6"}),
    "Record.Info": Action(info, _ONE, {"domain": "6", "record_id": "7"}),
    "Record.Remove": Action(remove, _ONE, {"domain": "6", "record_id": "7"}),
    "Record.Status": Action(status, _ONE, {"domain": "6", "record_id": "7", "status": "8"}),
}
