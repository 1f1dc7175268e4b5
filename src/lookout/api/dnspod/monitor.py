"""The D-Monitor family (B5): Monitor.Listsubdomain ... Monitor.Getdowns."""

from __future__ import annotations

from typing import Any

from lookout.api.dnspod.actions import MAX_ID, Action, Call, domain_ref, positive_id, require_domain
from lookout.api.dnspod.domain import GRADE
from lookout.api.dnspod.envelope import Reply, stamp
from lookout.api.dnspod.form import Params
from lookout.api.dnspod.record import line_name
from lookout.services.dns.d_monitor_input import MAX_POINTS, POINTS, MonitorInput
from lookout.services.dns.views import DMonitorView

NOT_YET = "0000-00-00 00:00:00"


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def monitor_json(view: DMonitorView, lang: str) -> dict[str, Any]:
    return {
        "monitor_id": str(view.id),
        "domain": view.domain.display_name,
        "domain_id": str(view.domain.id),
        "domain_grade": GRADE,
        "record_id": str(view.record.id),
        "sub_domain": view.record.sub_domain,
        "record_line": line_name(view.record.line, lang),
        "ip": view.ip,
        "now_ip": view.now_ip,
        "host": view.host,
        "port": str(view.port),
        "monitor_type": view.monitor_type,
        "monitor_path": view.monitor_path,
        "monitor_interval": str(view.monitor_interval),
        "points": view.points,
        "bak_ip": view.bak_ip,
        "keep_ttl": _yes(view.keep_ttl),
        "status": view.status,
        "status_code": str(view.status_code),
        "sms_notice": view.sms_notice,
        "email_notice": view.email_notice,
        "weixin_notice": "",
        "less_notice": _yes(view.less_notice),
        "callback_url": view.callback_url,
        "callback_key": view.callback_key,
        "monitor_status": "enabled" if view.enabled else "disabled",
        "created_on": stamp(view.created_at),
        "updated_on": stamp(view.updated_at),
        "bak_ip_status": [{"ip": ip, "status": status} for ip, status in view.bak_ip_status],
        "delay_notify": "0",
        "warnasdown": "yes",
        "sms2voice": "",
        "lookout_monitor_id": view.monitor_id,
    }


def monitor_input(params: Params) -> MonitorInput:
    return MonitorInput(
        host=params.text("host"),
        port=params.text("port"),
        monitor_type=params.text("monitor_type"),
        monitor_path=params.text("monitor_path"),
        monitor_interval=params.text("monitor_interval"),
        points=params.text("points"),
        bak_ip=params.text("bak_ip"),
        keep_ttl=params.text("keep_ttl"),
        sms_notice=params.text("sms_notice"),
        email_notice=params.text("email_notice"),
        less_notice=params.text("less_notice"),
        callback_url=params.text("callback_url"),
        callback_key=params.text("callback_key"),
    )


def _short_domain(view: Any) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "name": view.display_name,
        "punycode": view.name,
        "grade": GRADE,
        "owner": view.owner,
    }


async def listsubdomain(call: Call) -> Reply:
    domain, names = await call.dns.d_monitors.subdomains(call.who, require_domain(call.params))
    if not names:
        return Reply("8")
    return Reply("1", {"domain": _short_domain(domain) | {"id": domain.id}, "subdomain": names})


async def listsubvalue(call: Call) -> Reply:
    ref = require_domain(call.params)
    sub = call.params.get("subdomain") or call.params.get("sub_domain")
    if not sub.strip() or len(sub) > 200:
        return Reply("8")
    domain, records, balance = await call.dns.d_monitors.subvalues(call.who, ref, sub)
    lang = call.params.get("lang")
    return Reply(
        "1",
        {
            "domain": _short_domain(domain),
            "points": {"max": call.dns.d_monitors.max_points or MAX_POINTS, "list": dict(POINTS)},
            "balance": balance,
            "records": [
                {
                    "id": str(r.id),
                    "area": line_name(r.line, lang),
                    "value": r.value,
                    "record_type": r.type,
                    "sub_domain": r.sub_domain,
                }
                for r in records
            ],
        },
    )


async def list_monitors(call: Call) -> Reply:
    ref = domain_ref(call.params)
    views = await call.dns.d_monitors.listing(call.who, ref)
    if not views and call.params.get("error_on_empty", "yes").strip().lower() != "no":
        return Reply("6")
    lang = call.params.get("lang")
    down = sum(1 for view in views if view.enabled and view.status == "Down")
    return Reply(
        "1",
        {
            "info": {"total_count": str(len(views)), "down_count": str(down)},
            "monitors": [monitor_json(view, lang) for view in views],
        },
    )


async def create(call: Call) -> Reply:
    params = call.params
    ref = domain_ref(params)
    record_id = params.integer("record_id") if params.present("record_id") else None
    if params.present("record_id") and (record_id is None or record_id > MAX_ID):
        return Reply("7")
    monitor_id, record = await call.dns.d_monitors.create(call.who, ref, record_id, monitor_input(params))
    return Reply("1", {"monitor": {"monitor_id": monitor_id, "record_id": record}})


async def modify(call: Call) -> Reply:
    monitor_id = positive_id(call.params, "monitor_id", "monitor_id")
    await call.dns.d_monitors.modify(call.who, monitor_id, monitor_input(call.params))
    return Reply("1")


async def remove(call: Call) -> Reply:
    await call.dns.d_monitors.remove(call.who, positive_id(call.params, "monitor_id", "monitor_id"))
    return Reply("1")


async def info(call: Call) -> Reply:
    view = await call.dns.d_monitors.info(call.who, positive_id(call.params, "monitor_id", "monitor_id"))
    return Reply("1", {"info": monitor_json(view, call.params.get("lang"))})


async def setstatus(call: Call) -> Reply:
    monitor_id = positive_id(call.params, "monitor_id", "monitor_id")
    await call.dns.d_monitors.set_status(call.who, monitor_id, call.params.get("status")[:16])
    return Reply("1")


async def gethistory(call: Call) -> Reply:
    monitor_id = positive_id(call.params, "monitor_id", "monitor_id")
    hours = call.params.integer("hours") if call.params.present("hours") else 1
    view, points = await call.dns.d_monitors.history(call.who, monitor_id, max(1, hours or 1))
    return Reply(
        "1",
        {
            "domain": {"id": str(view.domain.id), "domain": view.domain.display_name, "domain_grade": GRADE},
            "record": {"id": str(view.record.id), "sub_domain": view.record.sub_domain, "ip": view.ip},
            "monitor_history": [
                {
                    "point": point.point,
                    "data": {
                        "message": "ok",
                        "code": 200,
                        "data": [
                            {
                                "status": s.status,
                                "status_code": s.status_code,
                                "createtime": stamp(s.at),
                                "responsetime": s.response_ms,
                            }
                            for s in point.samples
                        ],
                    },
                }
                for point in points
            ],
        },
    )


async def userdesc(call: Call) -> Reply:
    counts = await call.dns.d_monitors.counts(call.who)
    used = counts.monitoring + counts.not_monitoring
    return Reply(
        "1",
        {
            "desc": {
                "unmoniting_count": counts.not_monitoring,
                "moniting_count": counts.monitoring,
                "down_count": counts.down,
            },
            "user": {"max_count": counts.max_count, "use_count": used},
        },
    )


async def getdowns(call: Call) -> Reply:
    params = call.params
    offset = params.integer("offset") if params.present("offset") else 0
    length = params.integer("length") if params.present("length") else 100
    if offset is None or length is None or length < 1:
        return Reply("6")
    total, downs = await call.dns.d_monitors.downs(call.who, offset, length)
    return Reply(
        "1",
        {
            "info": {"total_count": str(total)},
            "monitor_downs": [
                {
                    "down_id": str(down.id),
                    "monitor_id": str(down.d_monitor_id),
                    "host": down.host,
                    "record_line": line_name(down.record_line, params.get("lang")),
                    "ip": down.ip,
                    "warn_reason": down.warn_reason,
                    "switch_log": list(down.switch_log),
                    "created_on": stamp(down.created_at),
                    "updated_on": stamp(down.recovered_at) if down.recovered_at else NOT_YET,
                }
                for down in downs
            ],
        },
    )


_DOMAIN = {
    "6": ("Domain does not exist", "域名不存在"),
    "7": ("Invalid domain id", "域名编号错误"),
    "8": ("Domain has no records", "域名没有记录"),
}
_CREATE = {
    "6": ("Invalid domain id", "域名编号错误"),
    "7": ("Invalid record id", "记录编号错误"),
    "8": ("Invalid host", "无效的主机头"),
    "9": ("Invalid monitor port number that range from 1 to 65535", "端口错误"),
    "10": ("Invalid monitor type", "监控类型错误"),
    "11": ("Invalid monitor path", "监控路径错误"),
    "12": ("Invalid monitor interval", "监控间隔错误"),
    "13": ("Invalid monitor points", "监控节点错误"),
    "14": ("Too many points", "监控节点过多"),
    "15": ("Invalid backup IP", "备用IP错误"),
    "16": ("Invalid backup url", "备用URL错误"),
    "17": ("Invalid backup IP", "备用IP不可用"),
    "18": ("Invalid sms notice", "短信通知设置错误"),
    "19": ("Invalid email notice", "邮件通知设置错误"),
    "20": ("There is already been one monitor on this record", "此记录已经存在监控"),
    "21": ("The number of you monitors is up to limit", "监控数量已达上限"),
    "22": ("Invalid callback URL", "回调地址错误"),
}
_SETTING_CODES = {
    "host": "8",
    "port": "9",
    "monitor_type": "10",
    "monitor_path": "11",
    "monitor_interval": "12",
    "points": "13",
    "too_many_points": "14",
    "bak_ip": "15",
    "bak_url": "16",
    "bak_ip_refused": "17",
    "sms_notice": "18",
    "email_notice": "19",
    "callback_url": "22",
}
_BAD_MONITOR_6 = {"6": ("Invalid monitor id", "监控编号错误")}

ACTIONS = {
    "Monitor.Listsubdomain": Action(listsubdomain, _DOMAIN, {"domain": "6"}),
    "Monitor.Listsubvalue": Action(listsubvalue, _DOMAIN, {"domain": "6"}),
    "Monitor.List": Action(list_monitors, {"6": ("No monitors", "没有监控")}, {"domain": "6"}),
    "Monitor.Create": Action(
        create,
        _CREATE,
        {"domain": "6", "record_id": "7", "exists": "20", "quota": "21", **_SETTING_CODES},
    ),
    "Monitor.Modify": Action(
        modify,
        _CREATE | {"7": ("Invalid monitor id", "监控编号错误")},
        {"monitor_id": "7", **_SETTING_CODES},
    ),
    "Monitor.Remove": Action(remove, _BAD_MONITOR_6, {"monitor_id": "6"}),
    "Monitor.Info": Action(info, {"7": ("Invalid monitor id", "监控编号错误")}, {"monitor_id": "7"}),
    "Monitor.Setstatus": Action(
        setstatus,
        {
            "6": ("Invalid monitor id", "监控编号错误"),
            "7": ("Invalid new status", "状态错误"),
            "8": ("Enable the domain first", "请先启用域名"),
            "9": ("Enable the record first", "请先启用记录"),
        },
        {"monitor_id": "6", "status": "7", "domain_disabled": "8", "record_disabled": "9"},
    ),
    "Monitor.Gethistory": Action(gethistory, _BAD_MONITOR_6, {"monitor_id": "6"}),
    "Monitor.Userdesc": Action(userdesc, {}, {}),
    "Monitor.Getdowns": Action(getdowns, {"6": ("Invalid offset or length", "参数错误")}, {}),
}
