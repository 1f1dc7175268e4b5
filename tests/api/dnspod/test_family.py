"""Domains, records and the rest of the D-Monitor family, end to end through form POSTs."""

from __future__ import annotations

from tests.api.dnspod.conftest import DnsPod


def test_domains_and_records(pod: DnsPod, other: DnsPod) -> None:
    domain_id, record_id, name = pod.domain_with_record()
    assert pod.code("Domain.Create", domain=name) == "7"
    assert other.code("Domain.Create", domain=name) == "12"
    assert pod.code("Domain.Create", domain="not a domain") == "6"
    listed = pod.call("Domain.List")["domains"]
    assert [(d["id"], d["name"], d["punycode"], d["records"]) for d in listed] == [
        (domain_id, name, name, "1")
    ]
    assert other.code("Domain.Info", domain_id=domain_id) == "6"
    assert pod.call("Domain.Info", domain=name)["domain"]["remark"] is False
    records = pod.call("Record.List", domain=name)
    assert records["info"] == {"sub_domains": "1", "record_total": "1"}
    record = records["records"][0]
    assert {
        k: record[k] for k in ("id", "name", "type", "line", "value", "ttl", "mx", "status", "monitor_status")
    } == {
        "id": str(record_id),
        "name": "www",
        "type": "A",
        "line": "default",
        "value": "192.0.2.10",
        "ttl": "600",
        "mx": "0",
        "status": "enabled",
        "monitor_status": "",
    }
    assert pod.call("Record.List", domain=name, lang="cn")["records"][0]["line"] == "默认"
    modified = pod.call(
        "Record.Modify",
        domain_id=domain_id,
        record_id=record_id,
        sub_domain="www",
        record_type="A",
        record_line="default",
        value="192.0.2.20",
        ttl="60",
    )
    assert modified["record"] == {"id": record_id, "name": "www", "value": "192.0.2.20", "status": "enable"}
    info = pod.call("Record.Info", domain_id=domain_id, record_id=record_id)["record"]
    assert (info["value"], info["ttl"], info["record_line"]) == ("192.0.2.20", "60", "default")
    assert (
        pod.call("Record.Status", domain_id=domain_id, record_id=record_id, status="disable")["record"][
            "status"
        ]
        == "disable"
    )
    assert pod.code("Record.Info", domain_id=domain_id, record_id=999999) == "7"
    assert (
        pod.code(
            "Record.Create", domain_id=domain_id, sub_domain="www", record_type="CNAME", value="x.example.com"
        )
        == "31"
    )
    assert (
        pod.code("Record.Create", domain_id=domain_id, sub_domain="a", record_type="A", value="nope") == "34"
    )
    assert (
        pod.code("Record.Create", domain_id=domain_id, sub_domain="a", record_type="BOGUS", value="1.2.3.4")
        == "27"
    )
    assert (
        pod.code(
            "Record.Create",
            domain_id=domain_id,
            sub_domain="a",
            record_type="A",
            value="1.2.3.4",
            record_line="mars",
        )
        == "26"
    )
    assert (
        pod.code("Record.Create", domain_id=domain_id, sub_domain="a b", record_type="A", value="1.2.3.4")
        == "22"
    )
    assert (
        pod.code(
            "Record.Create", domain_id=domain_id, sub_domain="a", record_type="A", value="1.2.3.4", ttl="0"
        )
        == "32"
    )
    assert pod.code("Record.Remove", domain_id=domain_id, record_id=record_id) == "1"
    assert pod.code("Record.List", domain_id=domain_id) == "10"
    assert pod.code("Domain.Remove", domain_id=domain_id) == "1"
    assert pod.code("Domain.List") == "9"


def test_the_monitor_family(pod: DnsPod, other: DnsPod) -> None:
    domain_id, record_id, name = pod.domain_with_record()
    pod.call(
        "Record.Create",
        domain_id=domain_id,
        sub_domain="www",
        record_type="A",
        record_line="默认",
        value="192.0.2.11",
    )
    assert pod.call("Monitor.Listsubdomain", domain_id=domain_id)["subdomain"] == ["www"]
    values = pod.call("Monitor.Listsubvalue", domain=name, subdomain="www")
    assert [r["value"] for r in values["records"]] == ["192.0.2.10", "192.0.2.11"]
    assert values["points"]["max"] == 3 and "ctc" in values["points"]["list"] and values["balance"] == 3
    assert pod.code("Monitor.List") == "6"
    assert pod.call("Monitor.List", error_on_empty="no")["monitors"] == []
    created = pod.call(
        "Monitor.Create",
        domain_id=domain_id,
        record_id=record_id,
        port=443,
        monitor_type="https",
        monitor_path="/health",
        monitor_interval=60,
        points="ctc",
        bak_ip="auto",
        host=f"www.{name}",
    )
    monitor_id = created["monitor"]["monitor_id"]
    listed = pod.call("Monitor.List", domain_id=domain_id)
    assert listed["info"] == {"total_count": "1", "down_count": "0"}
    item = listed["monitors"][0]
    for key in (
        "monitor_id",
        "domain",
        "domain_id",
        "domain_grade",
        "record_id",
        "sub_domain",
        "record_line",
        "ip",
        "now_ip",
        "host",
        "port",
        "monitor_type",
        "monitor_path",
        "monitor_interval",
        "points",
        "bak_ip",
        "status",
        "status_code",
        "sms_notice",
        "email_notice",
        "less_notice",
        "callback_url",
        "callback_key",
        "monitor_status",
        "created_on",
        "updated_on",
        "bak_ip_status",
    ):
        assert key in item, key
    assert other.code("Monitor.Info", monitor_id=monitor_id) == "7"
    assert (
        pod.code(
            "Monitor.Modify",
            monitor_id=monitor_id,
            port=8443,
            monitor_type="https",
            monitor_path="/",
            monitor_interval=180,
            points="ctc,cuc",
            bak_ip="pause2",
        )
        == "1"
    )
    info = pod.call("Monitor.Info", monitor_id=monitor_id)["info"]
    assert (info["port"], info["monitor_interval"], info["bak_ip"], info["host"]) == (
        "8443",
        "180",
        "pause2",
        f"www.{name}",
    )
    # The points go into the uptime check's settings: a failure is confirmed at one of theirs.
    lookout = pod.client.get(
        f"/api/monitors/{info['lookout_monitor_id']}",
        headers={"Authorization": f"Bearer {pod.token.split(',', 1)[1]}"},
    ).json()
    (uptime,) = [check for check in lookout["checks"] if check["type"] == "uptime"]
    assert uptime["settings"]["dmonitor_points"] == "ctc,cuc"
    assert pod.code("Monitor.Modify", monitor_id=monitor_id, port=99999) == "9"
    assert pod.code("Monitor.Modify", monitor_id="12345678") == "7"
    assert pod.code("Monitor.Setstatus", monitor_id=monitor_id, status="disable") == "1"
    assert pod.call("Monitor.Info", monitor_id=monitor_id)["info"]["monitor_status"] == "disabled"
    assert pod.code("Monitor.Setstatus", monitor_id=monitor_id, status="maybe") == "7"
    pod.call("Record.Status", domain_id=domain_id, record_id=record_id, status="disable")
    assert pod.code("Monitor.Setstatus", monitor_id=monitor_id, status="enabled") == "9"
    pod.call("Record.Status", domain_id=domain_id, record_id=record_id, status="enable")
    pod.call("Domain.Status", domain_id=domain_id, status="disable")
    assert pod.code("Monitor.Setstatus", monitor_id=monitor_id, status="enable") == "8"
    pod.call("Domain.Status", domain_id=domain_id, status="enable")
    assert pod.code("Monitor.Setstatus", monitor_id=monitor_id, status="enabled") == "1"
    history = pod.call("Monitor.Gethistory", monitor_id=monitor_id, hours=2)
    assert [h["point"] for h in history["monitor_history"]] == ["ctc", "cuc"]
    assert history["record"] == {"id": str(record_id), "sub_domain": "www", "ip": "192.0.2.10"}
    assert pod.call("Monitor.Userdesc")["desc"] == {
        "unmoniting_count": 0,
        "moniting_count": 1,
        "down_count": 0,
    }
    assert pod.call("Monitor.Getdowns", offset=0, length=10)["info"] == {"total_count": "0"}
    assert pod.code("Monitor.Gethistory", monitor_id="x") == "6"
    assert pod.code("Monitor.Remove", monitor_id=monitor_id) == "1"
    assert pod.code("Monitor.Remove", monitor_id=monitor_id) == "6"
