"""Domain.Create, Domain.List, Domain.Info, Domain.Remove, Domain.Status."""

from __future__ import annotations

from typing import Any

from lookout.api.dnspod.actions import Action, Call, require_domain
from lookout.api.dnspod.envelope import Reply, stamp
from lookout.services.dns.views import DomainView

GRADE = "DP_Free"


def domain_json(domain: DomainView) -> dict[str, Any]:
    return {
        "id": domain.id,
        "status": domain.status,
        "grade": GRADE,
        "group_id": "1",
        "searchengine_push": "yes",
        "is_mark": "no",
        "ttl": str(domain.ttl),
        "cname_speedup": "disable",
        "remark": domain.remark,
        "created_on": stamp(domain.created_at),
        "updated_on": stamp(domain.updated_at),
        "punycode": domain.name,
        "ext_status": "",
        "name": domain.display_name,
        "grade_title": "Free",
        "is_vip": "no",
        "owner": domain.owner,
        "records": str(domain.records),
    }


async def create(call: Call) -> Reply:
    view = await call.dns.domains.create(call.who, call.params.get("domain")[:300])
    return Reply("1", {"domain": {"id": str(view.id), "punycode": view.name, "domain": view.display_name}})


async def list_domains(call: Call) -> Reply:
    params = call.params
    offset = params.integer("offset") if params.present("offset") else 0
    if offset is None:
        return Reply("6")
    length = params.integer("length") if params.present("length") else 500
    if length is None or length < 1:
        return Reply("7")
    total, domains = await call.dns.domains.page(call.who, offset, length, params.get("keyword")[:100])
    if not domains and params.get("error_on_empty", "yes").strip().lower() != "no":
        return Reply("9")
    paused = sum(1 for domain in domains if domain.status != "enable")
    info = {
        "domain_total": total,
        "all_total": total,
        "mine_total": total,
        "share_total": 0,
        "vip_total": 0,
        "ismark_total": 0,
        "pause_total": paused,
        "error_total": 0,
        "lock_total": 0,
        "spam_total": 0,
        "vip_expire": 0,
        "share_out_total": 0,
    }
    return Reply("1", {"info": info, "domains": [domain_json(domain) for domain in domains]})


async def info(call: Call) -> Reply:
    view = await call.dns.domains.get(call.who, require_domain(call.params))
    shown = domain_json(view) | {"remark": view.remark or False, "user_id": str(view.user_id or "")}
    return Reply("1", {"domain": shown})


async def remove(call: Call) -> Reply:
    await call.dns.domains.remove(call.who, require_domain(call.params))
    return Reply("1")


async def status(call: Call) -> Reply:
    await call.dns.domains.set_status(
        call.who, require_domain(call.params), call.params.get("status").strip().lower()
    )
    return Reply("1")


ACTIONS = {
    "Domain.Create": Action(
        create,
        {
            "6": ("Invalid domain", "域名无效"),
            "7": ("Domain already exists", "域名已经存在"),
            "12": ("Domain already exists in another account", "域名已经存在于其他帐号"),
        },
        {"domain": "6", "exists": "7", "exists_elsewhere": "12", "permission": "-7"},
    ),
    "Domain.List": Action(
        list_domains,
        {
            "6": ("Invalid offset", "记录开始的偏移无效"),
            "7": ("Invalid length", "共要获取的记录的数量无效"),
            "9": ("No domains", "没有任何域名"),
        },
        {},
    ),
    "Domain.Info": Action(info, {"6": ("Invalid domain id", "域名ID错误")}, {"domain": "6"}),
    "Domain.Remove": Action(remove, {"6": ("Invalid domain id", "域名ID错误")}, {"domain": "6"}),
    "Domain.Status": Action(
        status,
        {"6": ("Invalid domain id", "域名ID错误"), "7": ("Invalid status", "状态错误")},
        {"domain": "6", "status": "7"},
    ),
}
